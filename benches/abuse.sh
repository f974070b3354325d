#!/usr/bin/env bash
# Hostile RESP clients against Meridian and redis-server 7.0 side by side: the cases of
# tests/abuse.rs, larger. Meridian: the 3-node cluster of cluster-configs/one-cluster.toml
# (ports shifted by $BENCH_PORT_OFFSET, see lib.sh), at its leader; redis-server: no
# persistence. For each case and server: the server's RSS before, its peak while the case
# runs (VmRSS sampled every 10 ms), and after the abusive clients are gone; and the slowest
# PING/SET/GET round trip meanwhile of another client, connected before the case began.
#   slowloris    300 clients send PING a byte every 200 ms, 300 stall inside a bulk argument
#   unread       10 clients pipeline 100 GETs of a 1 MiB value each and never read
#   unread-after-write   the same with a SET first (Meridian runs the GETs in its Raft batch)
#   flood        maxclients 20, then 1000 connections at once
#   bulk-header  200 clients announce a 512 MiB argument (half after `SET`) and send no body
#   nested       100 clients send `*1\r\n` nested 100,000 deep
# Usage: benches/abuse.sh   (prints markdown for docs/benchmarks.md)
# MERIDIAN_BIN=path measures that binary instead of building this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
if [ -z "${MERIDIAN_BIN:-}" ]; then
  cargo build --release -p meridian-cli -j 1 >/dev/null
fi
bin=${MERIDIAN_BIN:-${CARGO_TARGET_DIR:-./target}/release/meridian}
ref_port=$((6396 + ${BENCH_PORT_OFFSET:-0}))
bench_setup $ref_port

cat >"$data/abuse.py" <<'EOF'
import socket, sys, threading, time
port, pid, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def rss():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10); return s

def call(s, req):
    s.sendall(req); out = b""
    while not out.endswith(b"\r\n") or (out.startswith(b"$") and out.count(b"\r\n") < 2 and not out.startswith(b"$-1")):
        d = s.recv(65536)
        if not d: raise RuntimeError(f"closed after {out!r}")
        out += d
    return out

class Probe:  # another client's slowest PING/SET/GET round trip while a case runs
    def __init__(self):
        self.worst = 0.0; self.errors = 0; self.stop = False; self.s = conn()
        self.t = threading.Thread(target=self.run); self.t.start()
    def run(self):  # one connection, opened before the case; a new one after an error
        i = 0; s = self.s
        while not self.stop:
            t0 = time.monotonic()
            try:
                ok = call(s, b"PING\r\n") == b"+PONG\r\n"
                ok = ok and call(s, b"SET probe %d\r\n" % i) == b"+OK\r\n"
                ok = ok and call(s, b"GET probe\r\n").endswith(b"%d\r\n" % i)
                self.errors += not ok
            except Exception:
                self.errors += 1; s.close(); s = self.s = conn()
            self.worst = max(self.worst, time.monotonic() - t0); i += 1; time.sleep(0.05)
    def done(self):
        self.stop = True; self.t.join(); self.s.close(); return self.worst, self.errors

def measure(case, run):
    before = rss(); peak = [before]; stop = [False]
    def sample():
        while not stop[0]:
            peak[0] = max(peak[0], rss()); time.sleep(0.01)
    t = threading.Thread(target=sample); t.start(); probe = Probe()
    note = run()
    worst, errors = probe.done(); time.sleep(1); after = rss(); stop[0] = True; t.join()
    print(f"{case} {label} {before} {peak[0]} {after} {worst*1000:.0f} {errors} {note}", flush=True)

def slowloris():
    stalled = []
    for _ in range(300):
        s = conn(); s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1000\r\nxx"); stalled.append(s)
    trick = [conn() for _ in range(300)]
    for b in b"*1\r\n$4\r\nPING\r\n":
        for s in trick: s.sendall(bytes([b]))
        time.sleep(0.2)
    pongs = sum(s.recv(64) == b"+PONG\r\n" for s in trick)
    for s in stalled + trick: s.close()
    return f"{pongs}/300-trickled-PINGs-answered"

def unread():
    c = conn(); call(c, b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048576\r\n" + b"v" * (1 << 20) + b"\r\n"); c.close()
    silent = []
    for _ in range(10):
        s = conn(); s.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 100); silent.append(s)
    time.sleep(3)
    for s in silent: s.close()
    return "1000-MiB-of-replies-unread"

def unread_after_write():  # the same GETs behind a SET: Meridian runs them in its Raft batch
    silent = []
    for _ in range(10):
        s = conn(); s.sendall(b"SET w 1\r\n" + b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 100); silent.append(s)
    time.sleep(3)
    for s in silent: s.close()
    return "1000-MiB-of-replies-unread"

def flood():
    c = conn(); call(c, b"CONFIG SET maxclients 20\r\n")
    socks = [conn() for _ in range(1000)]
    refused = 0
    for s in socks:
        s.settimeout(0.05)
        try: refused += s.recv(64).startswith(b"-ERR max number of clients reached")
        except socket.timeout: pass
    for s in socks: s.close()
    time.sleep(0.5); call(c, b"CONFIG SET maxclients 10000\r\n"); c.close()
    return f"{refused}/1000-refused"

def bulk_header():
    held = []
    for i in range(200):
        s = conn()
        s.sendall(b"*1\r\n$536870912\r\n" if i % 2 == 0 else b"*2\r\n$3\r\nSET\r\n$536870912\r\nabc")
        held.append(s)
    time.sleep(3)
    for s in held: s.close()
    return "200-held-open"

def nested():
    errs = 0
    for _ in range(100):
        s = conn()
        try: s.sendall(b"*1\r\n" * 100000)
        except OSError: pass
        try: errs += s.recv(128).startswith(b"-ERR Protocol error: expected '$', got '*'")
        except OSError: pass
        s.close()
    return f"{errs}/100-protocol-errors"

for name, run in [("slowloris", slowloris), ("unread", unread),
                  ("unread-after-write", unread_after_write), ("flood", flood),
                  ("bulk-header", bulk_header), ("nested", nested)]:
    measure(name, run)
EOF

shifted_config cluster-configs/one-cluster.toml "$data/one-cluster.toml"
meridian_up --config "$data/one-cluster.toml"
leader=$(leader_resp use1 "$data/up.out")
port=${leader##*:}
id=$((port - 6400 - ${BENCH_PORT_OFFSET:-0}))
node=$(pgrep -P "$up_pid" -f -- "--node $id( |$)")
redis_start $ref_port
redis=$(pgrep -f "redis-server .*:$ref_port$")

python3 "$data/abuse.py" "$port" "$node" meridian >"$data/m.txt"
python3 "$data/abuse.py" $ref_port "$redis" redis >"$data/r.txt"

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
echo "| case | server | RSS before (MiB) | peak (MiB) | after (MiB) | slowest other-client round trip (ms) | other-client errors | outcome |"
echo "|---|---|---|---|---|---|---|---|"
for c in slowloris unread unread-after-write flood bulk-header nested; do grep -h "^$c " "$data/m.txt" "$data/r.txt"; done |
  while read -r c who b p a w e note; do
    echo "| $c | $who | $(mib "$b") | $(mib "$p") | $(mib "$a") | $w | $e | ${note//-/ } |"
  done
