#!/usr/bin/env python3
"""Reads a bench child's wire timeline (BENCH_CHILD_TRACE=<file>: <file>.<pid>.jsonl, see
bench/mail-bench-child.ts traceWire) and prints, per connection, each command with when it was
written, when its tagged answer came and the bytes read meanwhile, and the time the connection had
no command in flight (after its first command, before its last answer); then the messages on disk
per tenth of the run. Usage: python3 bench/mail-timeline.py <file.jsonl> [--commands]"""
import json
import sys
from collections import defaultdict


def main(path, show_commands):
    ev = [json.loads(line) for line in open(path) if line.strip()]
    t0 = min(e['t'] for e in ev)
    conns = defaultdict(list)
    files = []
    for e in ev:
        if e['k'] == 'file':
            files.append(e)
        else:
            conns[e['c']].append(e)
    for c, es in sorted(conns.items()):
        pending = {}  # tag -> [t_written, text, bytes read since]
        done = []
        opened = es[0]['t']
        for e in es:
            if e['k'] == 'w':
                for line in e['lines']:
                    tag = line.split(' ', 1)[0]
                    if tag and line != '' and not line.startswith('*') and ' ' in line:
                        pending[tag] = [e['t'], line[:70], 0, None]
            elif e['k'] == 'r':
                for p in pending.values():
                    p[2] += e['n']
                    if p[3] is None:
                        p[3] = e['t']
                for a in e['tagged']:
                    tag = a.split(' ', 1)[0]
                    p = pending.pop(tag, None)
                    if p:
                        done.append((p[0], e['t'], p[1], p[2], p[3], a[:30]))
        done.sort()
        busy = []
        for s, f, *_ in done:
            if busy and s <= busy[-1][1]:
                busy[-1][1] = max(busy[-1][1], f)
            else:
                busy.append([s, f])
        idle = [(busy[i][1], busy[i + 1][0]) for i in range(len(busy) - 1)]
        idle_ms = sum(b - a for a, b in idle)
        first = done[0][0] if done else opened
        last = done[-1][1] if done else opened
        print(f'conn {c}: open {opened - t0:.0f} ms, first command {first - t0:.0f}, last answer {last - t0:.0f}; '
              f'{len(done)} commands, nothing in flight {idle_ms:.0f} ms in {len(idle)} gaps'
              + (f' (largest {max(b - a for a, b in idle):.0f} ms at {max(idle, key=lambda x: x[1] - x[0])[0] - t0:.0f})' if idle else ''))
        if show_commands:
            for s, f, text, n, fb, ans in done:
                fbs = f'first byte +{fb - s:.0f}' if fb is not None else ''
                print(f'   {s - t0:8.0f} -> {f - t0:8.0f} ({f - s:6.0f} ms, {n / 1e6:6.2f} MB, {fbs}) {text}')
            for a, b in idle:
                if b - a > 20:
                    print(f'   idle {a - t0:.0f} -> {b - t0:.0f} ({b - a:.0f} ms)')
    if files:
        files.sort(key=lambda e: e['t'])
        a, b = files[0]['t'], files[-1]['t']
        n = len(files)
        print(f'messages on disk: {n}, first {a - t0:.0f} ms, last {b - t0:.0f} ms')
        cuts = [files[min(n - 1, (n * k) // 10)]['t'] - t0 for k in range(1, 11)]
        print('  10 %..100 % at ' + ' / '.join(f'{x:.0f}' for x in cuts))
        per = defaultdict(lambda: [None, None, 0])
        for e in files:
            p = per[e['folder']]
            p[0] = e['t'] if p[0] is None else p[0]
            p[1] = e['t']
            p[2] += 1
        for folder, (s, f, k) in per.items():
            print(f'  {folder}: {k} messages, {s - t0:.0f} -> {f - t0:.0f} ms')


if __name__ == '__main__':
    main(sys.argv[1], '--commands' in sys.argv)
