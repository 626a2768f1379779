"""
Sampler for bench/gutenberg-timeline.ts (not part of the tests): every PERIOD seconds, prints one
JSON line with CLOCK_MONOTONIC, each core's busy and idle ticks (/proc/stat), each thread of the
Fanout process (tid -> [comm, utime+stime ticks, start time s]) and the summed ticks of the given other processes
(server, proxies; a curl child found under the Fanout process). A separate process so the sampling
costs the measured process nothing. Args: period_s fanout_pid other_pid... ; stops on stdin EOF.
"""
import json, os, sys, time, threading

HZ = os.sysconf('SC_CLK_TCK')

period = float(sys.argv[1])
pid = int(sys.argv[2])
others = [int(p) for p in sys.argv[3:]]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()


def ticks(path):
    try:
        with open(path) as f:
            s = f.read()
        rest = s[s.rindex(')') + 2:].split(' ')
        return s[s.index('(') + 1:s.rindex(')')], int(rest[11]) + int(rest[12]), int(rest[19]) / HZ
    except (OSError, ValueError):
        return None, 0, 0


def curl_pids():
    """curl processes under the Fanout process (directly, or under /usr/bin/time)."""
    out = []
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open(f'/proc/{p}/stat') as f:
                s = f.read()
            if s[s.index('(') + 1:s.rindex(')')] == 'curl':
                out.append(int(p))
        except (OSError, ValueError):
            pass
    return out


curls = []
# Each curl's ticks as last seen: a curl that exits keeps its last count (the total only grows).
curl_seen = {}
n = 0
while not stop.is_set():
    t = time.monotonic()
    cores = {}
    with open('/proc/stat') as f:
        for line in f:
            if line.startswith('cpu') and line[3].isdigit():
                v = [int(x) for x in line.split()[1:]]
                cores[line.split()[0]] = [v[0] + v[1] + v[2] + v[5] + v[6] + v[7], v[3] + v[4]]
    threads = {}
    for tid in os.listdir(f'/proc/{pid}/task') if os.path.exists(f'/proc/{pid}/task') else []:
        comm, tk, start = ticks(f'/proc/{pid}/task/{tid}/stat')
        if comm is not None:
            threads[tid] = [comm, tk, start]
    if n % 4 == 0:
        curls = curl_pids()
    n += 1
    other = sum(ticks(f'/proc/{p}/stat')[1] for p in others)
    for p in curls:
        curl_seen[p] = max(curl_seen.get(p, 0), ticks(f'/proc/{p}/stat')[1])
    curl = sum(curl_seen.values())
    print(json.dumps({'t': t, 'cores': cores, 'threads': threads, 'servers': other, 'curl': curl}), flush=True)
    stop.wait(max(0.0, period - (time.monotonic() - t)))
