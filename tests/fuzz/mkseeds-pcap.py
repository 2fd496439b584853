#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkseeds-pcap.py - seeds of fuzz-pcap (tests/fuzz/corpus/pcap/) from
the golden captures of tests/pcap/ and variants rewrite.py makes of them:
each a control byte, then per frame a 2-byte length, a time step byte and
the frame.  The files are committed; run this again only to change them.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, '..', 'pcap')
OUT = os.path.join(HERE, 'corpus', 'pcap')
# Link type -> its index in fuzz-pcap.c's table.
INDEX = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5}


def frames(path):
    data = open(path, 'rb').read()
    assert data[:4] == b'\xd4\xc3\xb2\xa1', path
    link = struct.unpack('<I', data[20:24])[0]
    off, out, last = 24, [], None
    while off + 16 <= len(data):
        sec, usec, cap, _ = struct.unpack('<IIII', data[off:off + 16])
        t = sec * 1000 + usec // 1000
        step = 0 if last is None else min(255, max(0, t - last))
        last = t
        out.append((step, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return link, out


def seed(name, path, ctl_extra=0, limit=None):
    link, fr = frames(path)
    b = bytes([INDEX[link] | ctl_extra])
    for step, f in fr[:limit]:
        b += struct.pack('>HB', len(f), step) + f
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    for cap in ('nginx-keep-v4', 'nginx-close-v6'):
        src = os.path.join(PCAPS, cap + '.pcap')
        seed(cap, src, 0x40, 40)
        for name, ops in (('reorder', ['reorder', '1']),
                          ('drop', ['drop', '3']),
                          ('differ', ['differ', '2']),
                          ('frag', ['frag', '64']),
                          ('sll2', ['link', 'sll2']),
                          ('vlan', ['link', 'qinq']),
                          ('cut', ['cut', '6']),
                          ('snaplen', ['snaplen', '90'])):
            out = os.path.join(tmp, name + '.pcap')
            subprocess.check_call([sys.executable,
                                   os.path.join(PCAPS, 'rewrite.py'),
                                   src, out] + ops)
            seed('%s-%s' % (cap, name), out, 0x40, 40)
    src = os.path.join(PCAPS, 'nginx-keep-v4.pcap')
    seed('keep-port', src, 0x10 | 0x20, 40)
    return 0


if __name__ == '__main__':
    sys.exit(main())
