#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rewrite.py - make test captures out of a real one.

Reads a pcap or pcapng file of TCP over IPv4 or IPv6 (Ethernet, Linux
cooked or raw link types) and writes a classic pcap (or pcapng) after
applying operations, in the order given, each deterministic:

  reorder N     swap every Nth pair of adjacent data segments of a
                flow's direction, as a capture that saw them out of
                order (the endpoints' acknowledgements stay)
  swap N        the same, only for pairs with no data of the other
                direction between them (local reordering, as within one
                large transfer)
  dup N         send every Nth data segment twice (the copy later)
  overlap N     before every Nth data segment, send its second half
                alone (the same bytes)
  differ N      after every Nth data segment, send its second half
                again with other bytes (an overlap finding)
  drop N        lose every Nth data segment (the receiver got it: its
                acknowledgements stay), as a capture that missed it
  cut N         lose the first N packets (a capture started late)
  snaplen N     keep at most N bytes of each frame
  frag N        fragment IPv4 data packets into pieces of N bytes
  link TYPE     write with link type en10mb, vlan, qinq, sll, sll2,
                null, loop or raw
  ports K       K copies, each with other client ports, one after the
                other in time (large inputs for benchmarks); clients
                are the endpoints SYNs do not go to
  truncate N    cut the written file after N bytes (mid-packet)

Usage: rewrite.py IN OUT [op arg]... [--pcapng]

Only the Python standard library is used.
"""
import struct
import sys

LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2, LINK_NULL, LINK_LOOP = (
    1, 101, 113, 276, 0, 108)
TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 1, 2, 4, 8, 16


class Pkt:
    """One frame: its time (ns) and its IP packet, parsed if TCP."""

    def __init__(self, ts, ip):
        self.ts = ts
        self.ip = ip           # bytes of the IP packet (whole)
        self.tcp = None        # dict when TCP over IP
        self.snap = None       # bytes kept of the frame, or None
        self.frag = None       # bytes of an IPv4 fragment, prebuilt
        parse_tcp(self)


def parse_tcp(p):
    ip = p.ip
    if not ip:
        return
    v = ip[0] >> 4
    if v == 4:
        hl = (ip[0] & 15) * 4
        total = struct.unpack('!H', ip[2:4])[0]
        if ip[9] != 6 or struct.unpack('!H', ip[6:8])[0] & 0x3fff:
            return
        t = ip[hl:total]
        fam, src, dst = 4, ip[12:16], ip[16:20]
        ident = struct.unpack('!H', ip[4:6])[0]
    elif v == 6:
        if ip[6] != 6:
            return
        plen = struct.unpack('!H', ip[4:6])[0]
        t = ip[40:40 + plen]
        fam, src, dst, ident = 6, ip[8:24], ip[24:40], 0
    else:
        return
    sport, dport, seq, ack, off, flags, win = struct.unpack(
        '!HHIIBBH', t[:16])
    doff = (off >> 4) * 4
    p.tcp = dict(fam=fam, src=src, dst=dst, ident=ident, sport=sport,
                 dport=dport, seq=seq, ack=ack, flags=flags, win=win,
                 opts=t[20:doff], data=t[doff:])


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def build_ip(t):
    """The IP packet of a TCP dict, with checksums."""
    opts = t['opts']
    doff = 20 + len(opts)
    hdr = struct.pack('!HHIIBBHHH', t['sport'], t['dport'], t['seq'] & 0xffffffff,
                      t['ack'] & 0xffffffff, (doff // 4) << 4, t['flags'],
                      t['win'], 0, 0) + opts
    seg = hdr + t['data']
    if t['fam'] == 4:
        pseudo = t['src'] + t['dst'] + struct.pack('!BBH', 0, 6, len(seg))
    else:
        pseudo = t['src'] + t['dst'] + struct.pack('!IxxxB', len(seg), 6)
    c = csum(pseudo + seg)
    seg = seg[:16] + struct.pack('!H', c) + seg[18:]
    if t['fam'] == 4:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg),
                         t['ident'] & 0xffff, 0x4000, 64, 6, 0, t['src'],
                         t['dst'])
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        return ip + seg
    return struct.pack('!IHBB16s16s', 0x60000000, len(seg), 6, 64,
                       t['src'], t['dst']) + seg


# ---- reading -------------------------------------------------------------

def strip_link(link, frame):
    """The IP packet in a frame, or None."""
    if link == LINK_EN10MB:
        et, off = struct.unpack('!H', frame[12:14])[0], 14
        while et in (0x8100, 0x88a8, 0x9100):
            et, off = struct.unpack('!H', frame[off + 2:off + 4])[0], off + 4
        return frame[off:] if et in (0x0800, 0x86dd) else None
    if link == LINK_SLL:
        return frame[16:]
    if link == LINK_SLL2:
        return frame[20:]
    if link in (LINK_NULL, LINK_LOOP):
        return frame[4:]
    if link in (LINK_RAW, 12, 14, 228, 229):
        return frame
    raise SystemExit('rewrite.py: link type %d not supported' % link)


def read_pcap(data):
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return None
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    link = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        frame = data[off + 16:off + 16 + cap]
        off += 16 + cap
        ts = sec * 10**9 + (frac if nano else frac * 1000)
        ip = strip_link(link, frame)
        if ip is not None:
            out.append(Pkt(ts, ip))
    return out


def read_pcapng(data):
    out, off, e, ifs = [], 0, '<', []
    while off + 12 <= len(data):
        btype = struct.unpack('<I', data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            ifs = []
        blen = struct.unpack(e + 'I', data[off + 4:off + 8])[0]
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            link = struct.unpack(e + 'H', body[:2])[0]
            res, o = 6, 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + 'HH', body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    res = body[o + 4]
                o += 4 + ((ln + 3) & ~3)
            ifs.append((link, res))
        elif btype == 6:
            ifid, hi, lo, cap, _ = struct.unpack(e + 'IIIII', body[:20])
            link, res = ifs[ifid]
            units = hi << 32 | lo
            ts = units * 10**9 // 10**res if res < 128 else units
            ip = strip_link(link, body[20:20 + cap])
            if ip is not None:
                out.append(Pkt(ts, ip))
        off += blen
    return out


# ---- operations -----------------------------------------------------------

def data_segs(pkts):
    return [p for p in pkts if p.tcp and p.tcp['data']]


def key(t):
    return (t['src'], t['sport'], t['dst'], t['dport'])


def op_reorder(pkts, n, local=False):
    by_dir, last = {}, {}
    for i, p in enumerate(pkts):
        if p.tcp and p.tcp['data']:
            k = key(p.tcp)
            flow = frozenset((k[:2], k[2:]))
            # Local: a run of data of one direction, broken by the
            # other direction's data.
            if local and last.get(flow) != k:
                by_dir.setdefault(k, []).append(None)
            last[flow] = k
            by_dir.setdefault(k, []).append(i)
    count = 0
    for idx in by_dir.values():
        for j in range(0, len(idx) - 1, 2):
            if idx[j] is None or idx[j + 1] is None:
                continue
            count += 1
            if count % n == 0:
                a, b = idx[j], idx[j + 1]
                pkts[a], pkts[b] = pkts[b], pkts[a]
                pkts[a].ts, pkts[b].ts = pkts[b].ts, pkts[a].ts
    return pkts


def copy_pkt(p, t):
    q = Pkt(p.ts, build_ip(t))
    return q


def op_dup(pkts, n):
    out, count, later = [], 0, []
    for p in pkts:
        out.append(p)
        if later and p.tcp and not p.tcp['data']:
            out.extend(later)
            later = []
        if p.tcp and p.tcp['data']:
            count += 1
            if count % n == 0:
                later.append(copy_pkt(p, dict(p.tcp)))
    out.extend(later)
    return out


def op_overlap(pkts, n, differ):
    out, count = [], 0
    for p in pkts:
        t = p.tcp
        extra = None
        if t and len(t['data']) >= 4:
            count += 1
            if count % n == 0:
                h = len(t['data']) // 2
                part = bytes(t['data'][h:])
                if differ:
                    part = bytes((b ^ 0x20) for b in part)
                q = dict(t, seq=(t['seq'] + h) & 0xffffffff, data=part)
                extra = copy_pkt(p, q)
        if extra is not None and not differ:
            out.append(extra)
        out.append(p)
        if extra is not None and differ:
            out.append(extra)
    return out


def op_drop(pkts, n):
    out, count = [], 0
    for p in pkts:
        if p.tcp and p.tcp['data']:
            count += 1
            if count % n == 0:
                continue
        out.append(p)
    return out


def op_frag(pkts, size):
    size = max(8, size // 8 * 8)
    out = []
    for p in pkts:
        t = p.tcp
        if not t or t['fam'] != 4 or len(p.ip) - 20 <= size:
            out.append(p)
            continue
        payload = p.ip[20:]
        for o in range(0, len(payload), size):
            piece = payload[o:o + size]
            more = o + size < len(payload)
            fo = (o // 8) | (0x2000 if more else 0)
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(piece),
                             t['ident'], fo, 64, 6, 0, t['src'], t['dst'])
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            q = Pkt(p.ts, ip + piece)
            out.append(q)
    return out


def op_ports(pkts, k):
    """k copies; copy i moves client ports (the side that sent the SYN)
    by i * 1000 modulo the ephemeral range, and its times after the
    previous copy's."""
    # Servers: where SYNs go; without any, the lowest port.  Every other
    # endpoint is a client, also of connections opened before the
    # capture.
    servers = set()
    for p in pkts:
        t = p.tcp
        if t and t['flags'] & TH_SYN and not t['flags'] & TH_ACK:
            servers.add((t['dst'], t['dport']))
    if not servers:
        ports = [min(p.tcp['sport'], p.tcp['dport']) for p in pkts if p.tcp]
        if ports:
            low = min(ports)
            servers = {(p.tcp['dst'], low) for p in pkts
                       if p.tcp and p.tcp['dport'] == low}
    clients = set()
    for p in pkts:
        t = p.tcp
        if t:
            for e in ((t['src'], t['sport']), (t['dst'], t['dport'])):
                if e not in servers:
                    clients.add(e)
    if not pkts:
        return pkts
    span = pkts[-1].ts - pkts[0].ts + 1000
    out = []
    for i in range(k):
        for p in pkts:
            t = p.tcp
            if not t:
                continue
            q = dict(t)
            if (t['src'], t['sport']) in clients:
                q['sport'] = 1024 + (t['sport'] - 1024 + 997 * i) % 64000
            if (t['dst'], t['dport']) in clients:
                q['dport'] = 1024 + (t['dport'] - 1024 + 997 * i) % 64000
            c = Pkt(p.ts + i * span, build_ip(q))
            out.append(c)
    return out


# ---- writing ---------------------------------------------------------------

def frame_of(p, link):
    ip = p.frag if p.frag is not None else p.ip
    v6 = ip[0] >> 4 == 6
    et = struct.pack('!H', 0x86dd if v6 else 0x0800)
    macs = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01'
    if link == 'en10mb':
        return LINK_EN10MB, macs + et + ip
    if link == 'vlan':
        return LINK_EN10MB, macs + b'\x81\x00\x00\x2a' + et + ip
    if link == 'qinq':
        return LINK_EN10MB, (macs + b'\x88\xa8\x00\x64\x81\x00\x00\x2a' +
                             et + ip)
    if link == 'sll':
        return LINK_SLL, (struct.pack('!HHH', 0, 772, 6) +
                          b'\0' * 8 + et + ip)
    if link == 'sll2':
        return LINK_SLL2, (et + b'\0\0' + struct.pack('!IHBB', 1, 772, 0, 6) +
                           b'\0' * 8 + ip)
    if link == 'null':
        return LINK_NULL, struct.pack('<I', 30 if v6 else 2) + ip
    if link == 'loop':
        return LINK_LOOP, struct.pack('!I', 30 if v6 else 2) + ip
    if link == 'raw':
        return LINK_RAW, ip
    raise SystemExit('rewrite.py: unknown link type %s' % link)


def write_pcap(pkts, link, snaplen):
    lt = frame_of(Pkt(0, b'\x45' + b'\0' * 19), link)[0]
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, lt)]
    for p in pkts:
        _, fr = frame_of(p, link)
        cap = fr[:snaplen] if snaplen else fr
        out.append(struct.pack('<IIII', p.ts // 10**9,
                               p.ts % 10**9 // 1000, len(cap), len(fr)))
        out.append(cap)
    return b''.join(out)


def write_pcapng(pkts, link, snaplen):
    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack('<II', btype, n) + body + struct.pack('<I', n)
    lt = frame_of(Pkt(0, b'\x45' + b'\0' * 19), link)[0]
    out = [block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)),
           block(1, struct.pack('<HHI', lt, 0, 262144) +
                 struct.pack('<HHB3x', 9, 1, 9) + struct.pack('<HH', 0, 0))]
    for p in pkts:
        _, fr = frame_of(p, link)
        cap = fr[:snaplen] if snaplen else fr
        ts = p.ts
        out.append(block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff,
                                        len(cap), len(fr)) + cap))
    return b''.join(out)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], 'rb') as f:
        data = f.read()
    pkts = read_pcap(data)
    if pkts is None:
        pkts = read_pcapng(data)
    link, snaplen, trunc, ng = 'en10mb', 0, None, False
    args = argv[3:]
    while args:
        op = args.pop(0)
        if op == '--pcapng':
            ng = True
            continue
        arg = args.pop(0)
        if op == 'reorder':
            pkts = op_reorder(pkts, int(arg))
        elif op == 'swap':
            pkts = op_reorder(pkts, int(arg), True)
        elif op == 'dup':
            pkts = op_dup(pkts, int(arg))
        elif op == 'overlap':
            pkts = op_overlap(pkts, int(arg), False)
        elif op == 'differ':
            pkts = op_overlap(pkts, int(arg), True)
        elif op == 'drop':
            pkts = op_drop(pkts, int(arg))
        elif op == 'cut':
            pkts = pkts[int(arg):]
        elif op == 'snaplen':
            snaplen = int(arg)
        elif op == 'frag':
            pkts = op_frag(pkts, int(arg))
        elif op == 'link':
            link = arg
        elif op == 'ports':
            pkts = op_ports(pkts, int(arg))
        elif op == 'truncate':
            trunc = int(arg)
        else:
            sys.stderr.write('rewrite.py: unknown operation %s\n' % op)
            return 2
    out = (write_pcapng if ng else write_pcap)(pkts, link, snaplen)
    if trunc is not None:
        out = out[:trunc]
    with open(argv[2], 'wb') as f:
        f.write(out)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
