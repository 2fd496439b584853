#!/usr/bin/env python3
# peer.py - a small FastCGI application for the conform tests, written
# apart from the library so that conform is checked against a peer it does
# not share code with.  It answers GET_VALUES and unknown management types,
# echoes each Responder request's body after a CGI header, refuses other
# roles with UNKNOWN_ROLE, honours ABORT_REQUEST and KEEP_CONN, and
# multiplexes.  Options break it on purpose:
#
#   peer.py SOCKET [--no-values] [--close-on-unknown] [--no-stdout-end]
#                  [--die-on-abort]
#
# It prints "ready" once it listens on the unix socket SOCKET.
import os
import socket
import struct
import sys
import threading

OPTS = set(sys.argv[2:])


def record(rtype, rid, content=b""):
    pad = (8 - len(content) % 8) % 8
    return (struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) +
            content + b"\0" * pad)


def nv_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def nv_pairs(data):
    pairs, i = [], 0
    while i < len(data):
        lens = []
        for _ in range(2):
            if i >= len(data):
                return None
            if data[i] & 0x80:
                if i + 4 > len(data):
                    return None
                lens.append(struct.unpack(">I", data[i:i + 4])[0] & 0x7fffffff)
                i += 4
            else:
                lens.append(data[i])
                i += 1
        if i + lens[0] + lens[1] > len(data):
            return None
        pairs.append((data[i:i + lens[0]], data[i + lens[0]:i + lens[0] + lens[1]]))
        i += lens[0] + lens[1]
    return pairs


class Req:
    def __init__(self, flags):
        self.keep = flags & 1
        self.params = b""
        self.params_done = False
        self.body = b""


def answer(conn, rid, req):
    out = b"Status: 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + req.body
    data = b""
    for i in range(0, len(out), 65528):
        data += record(6, rid, out[i:i + 65528])
    if "--no-stdout-end" not in OPTS:
        data += record(6, rid)
    data += record(3, rid, struct.pack(">IB3x", 0, 0))
    conn.sendall(data)


def serve(conn):
    reqs, buf = {}, b""
    while True:
        try:
            chunk = conn.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            ver, rtype, rid, clen, plen = struct.unpack(">BBHHB", buf[:7])
            if ver != 1:
                conn.close()
                return
            if len(buf) < 8 + clen + plen:
                break
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if rid == 0:
                if rtype == 9:
                    if "--no-values" in OPTS:
                        continue
                    known = {b"FCGI_MAX_CONNS": b"10", b"FCGI_MAX_REQS": b"10",
                             b"FCGI_MPXS_CONNS": b"1"}
                    pairs = nv_pairs(content) or []
                    out = b""
                    for name, _ in pairs:
                        if name in known:
                            out += nv_len(len(name)) + nv_len(len(known[name])) + name + known[name]
                    conn.sendall(record(10, 0, out))
                else:
                    if "--close-on-unknown" in OPTS:
                        conn.close()
                        return
                    conn.sendall(record(11, 0, bytes([rtype]) + b"\0" * 7))
                continue
            if rtype == 1:
                if clen != 8 or rid in reqs:
                    conn.close()
                    return
                role, flags = struct.unpack(">HB", content[:3])
                if role != 1:
                    conn.sendall(record(3, rid, struct.pack(">IB3x", 0, 3)))
                    if not flags & 1:
                        conn.close()
                        return
                    continue
                reqs[rid] = Req(flags)
                continue
            req = reqs.get(rid)
            if req is None:
                continue
            if rtype == 2:
                if "--die-on-abort" in OPTS:
                    os._exit(1)
                del reqs[rid]
                conn.sendall(record(3, rid, struct.pack(">IB3x", 0, 0)))
                if not req.keep:
                    conn.close()
                    return
            elif rtype == 4 and not req.params_done:
                if clen == 0:
                    req.params_done = True
                else:
                    req.params += content
            elif rtype == 5 and req.params_done:
                if clen > 0:
                    req.body += content
                    continue
                del reqs[rid]
                answer(conn, rid, req)
                if not req.keep:
                    conn.close()
                    return
    conn.close()


def main():
    path = sys.argv[1]
    lsock = socket.socket(socket.AF_UNIX)
    lsock.bind(path)
    lsock.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
