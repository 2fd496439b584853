#!/usr/bin/env python3
"""mkseeds-conn.py - write the seed corpora of the conn fuzz targets.

tests/fuzz/corpus/conn-app/, conn-web/ and conn-observer/.  The files are
committed; run this again only to change them.  Every seed starts with
the option byte of conn-fuzz.h (bit 0 small limits, 1 no auto
UNKNOWN_TYPE, 2 a second request, 3 KEEP_CONN, 4 GET_VALUES first, 5 eof
to-web first; the byte also seeds the chunking).  conn-app seeds then
hold what a web server sends, conn-web seeds what an app answers to
requests 1 (and 2), and conn-observer seeds are segments: a control byte
(top bit: to-web; low 7 bits: length, 127 = a 2-byte length follows) and
that many bytes.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "fixtures", "golden")
CORPUS = os.path.join(HERE, "corpus")

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR, DATA = range(1, 9)
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11


def rec(rtype, rid, content=b"", pad=None):
    """One record, padded to 8 unless pad is given (FastCGI 1.0, 3.3)."""
    if pad is None:
        pad = (8 - (8 + len(content)) % 8) % 8
    return (struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0)
            + content + b"\0" * pad)


def nvlen(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def nv(*pairs):
    out = b""
    for name, value in pairs:
        out += nvlen(len(name)) + nvlen(len(value)) + name + value
    return out


def begin(rid, role=1, flags=0):
    return rec(BEGIN, rid, struct.pack(">HB5x", role, flags))


def end(rid, app=0, ps=0):
    return rec(END, rid, struct.pack(">IB3x", app, ps))


PARAMS_SET = nv((b"SCRIPT_FILENAME", b"/srv/www/index.php"),
                (b"REQUEST_METHOD", b"POST"),
                (b"CONTENT_LENGTH", b"5"),
                (b"HTTP_HOST", b"example.test"))
OUT = b"Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhi\n"


def request(rid, role=1, flags=0, body=b"hello"):
    return (begin(rid, role, flags) + rec(PARAMS, rid, PARAMS_SET)
            + rec(PARAMS, rid) + rec(STDIN, rid, body) + rec(STDIN, rid))


def answer(rid, out=OUT, err=b""):
    s = rec(STDOUT, rid, out)
    if err:
        s += rec(STDERR, rid, err) + rec(STDERR, rid)
    return s + rec(STDOUT, rid) + end(rid)


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def segments(*parts):
    """parts: (dir, bytes) with dir 0 to-app, 1 to-web."""
    out = b""
    for d, data in parts:
        while data:
            chunk, data = data[:65535], data[65535:]
            if len(chunk) < 127:
                out += bytes([d << 7 | len(chunk)])
            else:
                out += bytes([d << 7 | 127]) + struct.pack(">H", len(chunk))
            out += chunk
    return out


def records(stream):
    """Split a well-formed stream into its records."""
    out = []
    while stream:
        clen, pad = struct.unpack(">HB", stream[4:7])
        n = 8 + clen + pad
        out.append(stream[:n])
        stream = stream[n:]
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    get_app = golden("nginx-phpfpm-get.to-app.bin")
    get_web = golden("nginx-phpfpm-get.to-web.bin")
    post_app = golden("nginx-phpfpm-post.to-app.bin")
    post_web = golden("nginx-phpfpm-post.to-web.bin")

    # ---- conn-app: what a web server sends ---------------------------
    app = {
        "golden-get": b"\x00" + get_app,
        "golden-post": b"\x03" + post_app,
        "request": b"\x04" + request(1),
        "multiplex": b"\x08" + begin(1, 1, 1) + begin(2, 1, 1)
        + rec(PARAMS, 2, PARAMS_SET) + rec(PARAMS, 1) + rec(PARAMS, 2)
        + rec(STDIN, 2, b"two") + rec(ABORT, 1) + rec(STDIN, 2)
        + begin(3) + begin(4) + rec(STDIN, 4, b"late") + rec(STDIN, 1),
        "filter": b"\x02" + begin(5, 3) + rec(PARAMS, 5)
        + rec(STDIN, 5, b"x") + rec(DATA, 5, b"file") + rec(STDIN, 5)
        + rec(DATA, 5),
        "management": b"\x00" + rec(GET_VALUES, 0, nv(
            (b"FCGI_MAX_CONNS", b""), (b"FCGI_MPXS_CONNS", b"")))
        + rec(99, 0, b"??") + rec(GET_VALUES, 3, nv((b"X", b"1")))
        + rec(0, 0),
        "split-params": b"\x01" + begin(1)
        + rec(PARAMS, 1, PARAMS_SET[:20]) + rec(PARAMS, 1, PARAMS_SET[20:])
        + rec(PARAMS, 1, b"\x05\x05ab") + rec(PARAMS, 1) + rec(STDIN, 1),
        "odd": b"\x06" + rec(BEGIN, 1, b"\0\1\0\0\0") + begin(1)
        + begin(2, 9) + rec(STDOUT, 1, b"x") + rec(STDIN, 0, b"y")
        + rec(STDIN, 7) + rec(PARAMS, 1, b"\1\0A", 0)
        + rec(PARAMS, 1, b"", 255),
        "limits": b"\x01" + begin(1) + rec(PARAMS, 1, nv(
            *[(b"N%d" % i, b"v" * 30) for i in range(8)])) + rec(PARAMS, 1)
        + begin(2) + begin(3) + begin(4) + begin(5),
        "bad-version": b"\x00" + begin(1) + b"\x02" + rec(PARAMS, 1)[1:],
        "http": b"\x00GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "truncated": b"\x05" + begin(1) + rec(STDIN, 1, b"abcdef")[:11],
    }
    for name, data in app.items():
        write("conn-app", name, data)

    # ---- conn-web: what an app answers to requests 1 (and 2) ---------
    web = {
        "golden-get": b"\x00" + get_web,
        "golden-post-keep": b"\x08" + post_web + answer(1),
        "stderr": b"\x01" + answer(1, OUT, b"PHP Warning: x\n"),
        "abort": b"\x00" + rec(STDOUT, 1, b"Abort me") + end(1, 1),
        "more-raw": b"\x04" + rec(STDOUT, 1, b"Send more, Raw")
        + rec(STDOUT, 2, b"two") + rec(STDOUT, 2) + end(2)
        + rec(STDOUT, 1) + end(1),
        "management": b"\x14" + rec(GET_VALUES_RESULT, 0, nv(
            (b"FCGI_MAX_CONNS", b"10"))) + rec(UNKNOWN_TYPE, 0, b"\x2a" + 7 * b"\0")
        + rec(GET_VALUES_RESULT, 0) + answer(2) + answer(1),
        "odd": b"\x0c" + end(1) + rec(STDOUT, 1, b"after") + end(7)
        + rec(STDOUT, 0, b"x") + rec(BEGIN, 1, b"12345678")
        + rec(END, 2, b"\0\0\0\0\7") + rec(STDOUT, 2, b"y", 0),
        "refused": b"\x04" + end(2, 0, 1) + end(1, 0, 2),
        "truncated": b"\x00" + rec(STDOUT, 1, OUT)[:20],
    }
    for name, data in web.items():
        write("conn-web", name, data)

    # ---- conn-observer: both directions, interleaved -------------------
    mux_app = records(begin(1, 1, 1) + begin(2, 1, 1)
                      + rec(PARAMS, 1, PARAMS_SET) + rec(PARAMS, 2)
                      + rec(PARAMS, 1) + rec(STDIN, 2) + rec(STDIN, 1, b"hello")
                      + rec(STDIN, 1))
    mux_web = records(rec(STDOUT, 2, b"two") + rec(STDOUT, 2) + end(2)
                      + answer(1))
    parts = []
    for i in range(max(len(mux_app), len(mux_web))):
        if i < len(mux_app):
            parts.append((0, mux_app[i]))
        if i < len(mux_web):
            parts.append((1, mux_web[i]))
    obs = {
        "golden-get": b"\x00" + segments((0, get_app), (1, get_web)),
        "golden-post": b"\x20" + segments((0, post_app), (1, post_web)),
        "multiplex": b"\x03" + segments(*parts),
        "race": b"\x00" + segments(
            (0, begin(1) + rec(PARAMS, 1, PARAMS_SET[:30])),
            (1, end(1, 0, 2)),
            (0, rec(PARAMS, 1, PARAMS_SET[30:]) + rec(PARAMS, 1)
             + rec(STDIN, 1, b"hello") + rec(STDIN, 1) + request(1)),
            (1, answer(1))),
        "keep": b"\x08" + segments((0, request(1, 1, 1)), (1, answer(1)),
                                   (0, request(1, 1, 1)), (1, answer(1))),
        "eof-mid": b"\x20" + segments((0, request(1) + request(3)),
                                      (1, rec(STDOUT, 1, OUT))),
        "truncated": b"\x01" + segments((0, request(1)),
                                        (1, rec(STDOUT, 1, OUT)[:30])),
    }
    for name, data in obs.items():
        write("conn-observer", name, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
