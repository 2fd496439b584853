<?php
// The conform tests' PHP-FPM script: the request body back, byte for byte.
header('Content-Type: application/octet-stream');
$in = fopen('php://input', 'rb');
$out = fopen('php://output', 'wb');
stream_copy_to_stream($in, $out);
