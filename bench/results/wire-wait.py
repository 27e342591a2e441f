#!/usr/bin/env python3
"""wire-wait.py PCAP SERVER_PORT T0 [SLOW_MS]: where each attempt's wait
was spent, seen on the loopback wire (a tcpdump capture of the overload
run), independent of both processes' clocks and schedulers.

Per connection (the client's port, split when the port is reused):
  handshake  SYN -> SYN-ACK            the kernel's listener
  client     SYN-ACK -> request data    the generator: connect done, request not yet written
  server     request data -> response   the server: accept queue, event loop, shard, write
The request -> response step is the whole of the server's part: the kernel
completes the handshake and queues the request in the socket before the
server accepts, so accept-queue time is in it too.

Prints the worst of each step over the run, then per 100 ms window (by SYN
time, seconds from T0, the load's start in unix seconds) every window whose
worst step exceeds SLOW_MS (default 20), and the 10 slowest connections."""
import collections
import struct
import sys


def read_pcap(path):
    with open(path, 'rb') as f:
        gh = f.read(24)
        magic = struct.unpack('<I', gh[:4])[0]
        if magic not in (0xa1b2c3d4, 0xa1b23c4d):
            sys.exit(f'{path}: not a little-endian pcap file')
        frac = 1e9 if magic == 0xa1b23c4d else 1e6
        link = struct.unpack('<I', gh[20:24])[0]
        off = {1: 14, 113: 16}.get(link, 0)  # Ethernet (lo), Linux cooked
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, sub, incl, _ = struct.unpack('<IIII', h)
            data = f.read(incl)
            ip = data[off:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                continue
            ihl = (ip[0] & 15) * 4
            total = struct.unpack('>H', ip[2:4])[0]
            tcp = ip[ihl:]
            if len(tcp) < 14:
                continue
            sport, dport = struct.unpack('>HH', tcp[:4])
            payload = total - ihl - (tcp[12] >> 4) * 4
            yield sec + sub / frac, sport, dport, tcp[13], payload


def connections(path, port):
    current, done = {}, []
    for t, sport, dport, flags, payload in read_pcap(path):
        syn, ack, fin = flags & 2, flags & 16, flags & 1
        if dport == port:
            c = current.get(sport)
            if syn and not ack and (c is None or 'resp' in c or 'fin' in c):
                c = {'port': sport, 'syn': t}
                current[sport] = c
                done.append(c)
            if c is None:
                continue
            if payload > 0:
                c.setdefault('req', t)
            if fin:
                c.setdefault('fin', t)
        elif sport == port:
            c = current.get(dport)
            if c is None:
                continue
            if syn and ack:
                c.setdefault('synack', t)
            if payload > 0:
                c.setdefault('resp', t)
    return [c for c in done if {'syn', 'synack', 'req', 'resp'} <= c.keys()]


def main():
    path, port, t0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    slow_ms = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    steps = ('handshake', 'client', 'server')
    rows = []
    for c in connections(path, port):
        s = {'handshake': c['synack'] - c['syn'], 'client': c['req'] - c['synack'],
             'server': c['resp'] - c['req']}
        rows.append((c['syn'] - t0, c['port'], {k: v * 1e3 for k, v in s.items()}))
    if not rows:
        sys.exit('no complete connection in the capture')
    print(f'{len(rows)} connections; worst ' +
          ', '.join(f'{k} {max(r[2][k] for r in rows):.2f} ms' for k in steps))
    for k in steps:
        v = sorted(r[2][k] for r in rows)
        print(f'  {k:9s} p50 {v[len(v) // 2]:.3f} ms  p99 {v[len(v) * 99 // 100]:.3f} ms  '
              f'p99.9 {v[len(v) * 999 // 1000]:.3f} ms  max {v[-1]:.3f} ms')
    windows = collections.defaultdict(lambda: {k: 0.0 for k in steps})
    counts = collections.Counter()
    for at, _, s in rows:
        w = int(at * 10)
        counts[w] += 1
        for k in steps:
            windows[w][k] = max(windows[w][k], s[k])
    print(f'100 ms windows with a step over {slow_ms:g} ms (window start s from T0, connections, worst ms):')
    for w in sorted(windows):
        if max(windows[w].values()) > slow_ms:
            print(f'  {w / 10:6.1f} s  {counts[w]:4d}  ' + '  '.join(f'{k} {windows[w][k]:7.2f}' for k in steps))
    print('slowest connections (SYN to response):')
    for at, p, s in sorted(rows, key=lambda r: -sum(r[2].values()))[:10]:
        print(f'  port {p:5d} SYN at {at:7.3f} s  ' + '  '.join(f'{k} {s[k]:.2f} ms' for k in steps))


if __name__ == '__main__':
    main()
