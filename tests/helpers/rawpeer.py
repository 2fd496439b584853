#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rawpeer.py - a web server that breaks the rules on purpose, for the
serve tests: it connects, writes the records it is told to (whole, or one
byte per write with -1), then prints what comes back, one record a line,
and how the connection ended.

usage: rawpeer.py [-1] [-w ms] address step...

address   a unix socket path (with a '/') or host:port
-1        write one byte at a time, with a short pause after each
-w ms     after writing, read until the peer closes or it has been quiet
          this long (default 1500)

Steps, in order (ID a request id, TEXT with \\n \\r \\xNN escapes):
  begin:ID[:ROLE[:FLAGS[:LEN]]]   BEGIN_REQUEST (LEN: body length, 8)
  params:ID[:NAME=VALUE,...]      one PARAMS record (none: the empty one)
  stdin:ID[:TEXT]                 one STDIN record (none: the empty one)
  values:ID:NAME,...              GET_VALUES with these names
  abort:ID[:TEXT]                 ABORT_REQUEST
  rec:TYPE:ID[:TEXT[:PAD]]        any record
  sleep:MS                        wait before the next step
  nothing                         write nothing at all

Output lines: "TYPE ID TEXT" for each record (END_REQUEST as "END_REQUEST
ID app=N proto=NAME"), then "eof", "reset" or "open".
"""
import socket
import struct
import sys
import time

TYPES = {1: "BEGIN_REQUEST", 2: "ABORT_REQUEST", 3: "END_REQUEST",
         4: "PARAMS", 5: "STDIN", 6: "STDOUT", 7: "STDERR", 8: "DATA",
         9: "GET_VALUES", 10: "GET_VALUES_RESULT", 11: "UNKNOWN_TYPE"}
PSTATUS = {0: "REQUEST_COMPLETE", 1: "CANT_MPX_CONN", 2: "OVERLOADED",
           3: "UNKNOWN_ROLE"}


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def escape(data):
    out = []
    for b in data:
        if b == 10:
            out.append("\\n")
        elif b == 13:
            out.append("\\r")
        elif 32 <= b < 127 and b != 92:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def record(rtype, rid, content=b"", pad=None):
    if pad is None:
        pad = (8 - len(content) % 8) % 8
    return (struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) +
            content + b"\0" * pad)


def nv(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 1 << 31)
    return out + name + value


def build(step):
    parts = step.split(":")
    kind = parts[0]
    if kind == "begin":
        role = int(parts[2]) if len(parts) > 2 else 1
        flags = int(parts[3]) if len(parts) > 3 else 0
        body = struct.pack(">HB5x", role, flags)
        if len(parts) > 4:
            body = (body + b"\0" * 64)[:int(parts[4])]
        return record(1, int(parts[1]), body)
    if kind == "params":
        body = b""
        if len(parts) > 2 and parts[2]:
            for pair in ":".join(parts[2:]).split(","):
                name, _, value = pair.partition("=")
                body += nv(unescape(name), unescape(value))
        return record(4, int(parts[1]), body)
    if kind == "stdin":
        text = ":".join(parts[2:]) if len(parts) > 2 else ""
        return record(5, int(parts[1]), unescape(text))
    if kind == "values":
        body = b"".join(nv(n.encode(), b"") for n in parts[2].split(","))
        return record(9, int(parts[1]), body)
    if kind == "abort":
        text = ":".join(parts[2:]) if len(parts) > 2 else ""
        return record(2, int(parts[1]), unescape(text))
    if kind == "rec":
        text = parts[3] if len(parts) > 3 else ""
        pad = int(parts[4]) if len(parts) > 4 else None
        return record(int(parts[1]), int(parts[2]), unescape(text), pad)
    raise SystemExit("rawpeer: bad step '%s'" % step)


def show(data):
    while len(data) >= 8:
        _, rtype, rid, clen, plen, _ = struct.unpack(">BBHHBB", data[:8])
        if len(data) < 8 + clen + plen:
            break
        content = data[8:8 + clen]
        data = data[8 + clen + plen:]
        name = TYPES.get(rtype, "TYPE_%d" % rtype)
        if rtype == 3 and clen == 8:
            app, proto = struct.unpack(">IB3x", content)
            print("END_REQUEST %d app=%d proto=%s" %
                  (rid, app, PSTATUS.get(proto, str(proto))))
        else:
            print(("%s %d %s" % (name, rid, escape(content))).rstrip())
    if data:
        print("partial " + escape(data))


def main():
    args = sys.argv[1:]
    bytewise = False
    wait = 1.5
    while args and args[0].startswith("-"):
        if args[0] == "-1":
            bytewise = True
            args = args[1:]
        elif args[0] == "-w":
            wait = int(args[1]) / 1000.0
            args = args[2:]
        else:
            raise SystemExit("rawpeer: unknown option " + args[0])
    addr, steps = args[0], args[1:]
    if "/" in addr:
        s = socket.socket(socket.AF_UNIX)
        s.connect(addr)
    else:
        host, _, port = addr.rpartition(":")
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for step in steps:
        if step == "nothing":
            continue
        if step.startswith("sleep:"):
            time.sleep(int(step[6:]) / 1000.0)
            continue
        data = build(step)
        try:
            if bytewise:
                for i in range(len(data)):
                    s.send(data[i:i + 1])
                    time.sleep(0.001)
            else:
                s.sendall(data)
        except OSError:
            break
    got = b""
    end = "open"
    s.settimeout(wait)
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            end = "reset"
            break
        if not chunk:
            end = "eof"
            break
        got += chunk
    show(got)
    print(end)


main()
