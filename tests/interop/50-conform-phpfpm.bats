#!/usr/bin/env bats
# 50-conform-phpfpm.bats - fcgitool conform against PHP-FPM, started here
# with a script that echoes the body; every verdict must equal
# tests/conform/expected/php-fpm.txt.

load ../cli/test_helper
load peers
load ../conform/conform

setup() {
	peers_init
	cp "$TOP/tests/conform/echo.php" "$PEER_WWW/echo.php"
	start_php_fpm "$PEER_DIR/fpm.sock" 4
}

teardown() {
	stop_peers
}

@test "conform: PHP-FPM's verdicts are the expected ones" {
	conform_check php-fpm --profile php-fpm --script "$PEER_WWW/echo.php" \
		--echo "unix:$PEER_DIR/fpm.sock"
}
