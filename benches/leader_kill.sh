#!/usr/bin/env bash
# The primary cluster's regional leader node killed with `kill -9` (no failover): the write gap
# a client sees, from its last write acknowledged before the kill to its first acknowledged
# after it. Nine `meridian node` processes from cluster-configs/local.toml (release build,
# loopback; not `meridian up`, which stops every node when one exits), gds1 created as the
# config declares it (use1 primary, euw1 and aps1 secondaries). Writers: 4 RESP clients on
# use1's two other nodes (followers forward writes), each SET, then 5 ms pause, for 4 s before
# the kill and 8 s after. Two cases, told apart from what the nodes report (`meridian cluster
# describe` for use1's leader, `meridian_coord_leader` on a voter's metrics port):
#   both      the killed node leads use1 and the coordination group (local.toml as it is:
#             node 1 starts both groups)
#   regional  it leads use1 only (a copy of local.toml where node 2, not node 1, is use1's
#             coordination voter, so node 1 leads use1 and node 2 the coordination group)
# Prints one line per run: case, victim, the gap, the longest pause between acks after it (a
# second stall), and what the client saw during the gap.
# Usage: benches/leader_kill.sh [RUNS (default 5)] [CASES (default "regional both")]
# MERIDIAN_BIN=path runs that binary instead of building target/release/meridian.
# BENCH_PORT_OFFSET=100 moves the ports (local.toml's + 100) beside a running deployment.
# MERIDIAN_* overrides (e.g. MERIDIAN_COORD_LEASE_MS=6000) reach every node.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
runs=${1:-5}
cases=${2:-regional both}
if [ -z "${MERIDIAN_BIN:-}" ]; then
  cargo build --release -q -p meridian-cli
  bin=$PWD/${CARGO_TARGET_DIR:-target}/release/meridian
else
  bin=$MERIDIAN_BIN
fi
bench_setup
pids=()
stop_nodes() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_nodes; bench_cleanup' EXIT

# Usage: config CASE DEST: local.toml with shifted ports; for `regional`, node 2 instead of
# node 1 is use1's coordination voter.
config() {
  shifted_config cluster-configs/local.toml "$2.tmp"
  if [ "$1" = regional ]; then
    awk '/^id = / { id = $3 }
      id == 1 && /^coord = true/ { next }
      { print }
      id == 2 && /^metrics_port = / { print "coord = true" }' "$2.tmp" >"$2"
  else
    mv "$2.tmp" "$2"
  fi
  rm -f "$2.tmp"
}

# Usage: node_field CONFIG ID FIELD: a node's grpc_port, resp_port or metrics_port.
node_field() {
  python3 - "$@" <<'EOF'
import sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
for c in cfg["clusters"]:
    for n in c["nodes"]:
        if n["id"] == int(sys.argv[2]):
            print(n[sys.argv[3]])
EOF
}

wait_for() { # description, seconds, command...
  local what=$1 limit=$2
  shift 2
  local until=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || { echo "timed out waiting for $what" >&2; exit 1; }
    sleep 0.2
  done
}
all_leaders() {
  $bin cluster describe --config "$cfg" --output json |
    jq -e '[.clusters[].leader] | length == 3 and all(. != 0)'
}
use1_leader() {
  $bin cluster describe --config "$cfg" --cluster use1 --output json | jq -r '.clusters[0].leader'
}
# The coordination leader as voter $1 (a node id; 4 is one in both cases) knows it.
coord_leader() {
  curl -s "http://127.0.0.1:$(node_field "$cfg" "$1" metrics_port)/metrics" |
    awk '/^meridian_coord_leader/ { print $2 }'
}
associated() { # cluster
  $bin global describe --config "$cfg" --id gds1 --output json |
    jq -e --arg c "$1" '.global_datastores[0].members[] | select(.cluster == $c) | .status == "associated"'
}

cat >"$data/writer.py" <<'EOF'
# Usage: writer.py VICTIM_PID BEFORE_S AFTER_S HOST:PORT...: RESP writers on the endpoints
# (4 clients, round robin), kill -9 of VICTIM_PID after BEFORE_S, stop AFTER_S later; prints
# the write gap around the kill.
import asyncio, os, signal, sys, time
pid, before, after = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
endpoints = sys.argv[4:]
log = []  # (sent, done, ok, reply)
stop = time.monotonic() + before + after

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

async def client(n):
    host, port = endpoints[n % len(endpoints)].rsplit(":", 1)
    conn, i = None, 0
    while time.monotonic() < stop:
        i += 1
        sent = time.monotonic()
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
            r, w = conn
            w.write(cmd("SET", f"lk-{n}-{i % 100}", str(i)))
            line = (await asyncio.wait_for(r.readline(), 10)).decode().strip()
        except Exception as e:
            line = f"-{type(e).__name__}"
            if conn is not None:
                conn[1].close()
            conn = None
        log.append((sent, time.monotonic(), line == "+OK", line))
        await asyncio.sleep(0.005)

async def main():
    tasks = [asyncio.create_task(client(n)) for n in range(4)]
    await asyncio.sleep(before)
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    await asyncio.gather(*tasks)
    ok_before = [d for s, d, ok, _ in log if ok and d <= killed]
    ok_after = [d for s, d, ok, _ in log if ok and s >= killed]
    if not ok_before or not ok_after:
        print("no write acknowledged before or after the kill")
        return
    last, first = max(ok_before), min(ok_after)
    errors = {}
    for s, d, ok, line in log:
        if not ok and last < d < first:
            key = line[:60]
            errors[key] = errors.get(key, 0) + 1
    seen = "; ".join(f"{n}x {e}" for e, n in sorted(errors.items(), key=lambda x: -x[1])[:2])
    # A later stall, e.g. an inherited lease running out before a fresh grant arrives.
    acks = sorted(d for s, d, ok, _ in log if ok and d >= first)
    later = max((b - a for a, b in zip(acks, acks[1:])), default=0)
    print(f"gap {(first - last) * 1000:.0f} ms (last ack {(killed - last) * 1000:.0f} ms before "
          f"the kill, first {(first - killed) * 1000:.0f} ms after); longest pause after that "
          f"{later * 1000:.0f} ms; {sum(1 for *_, ok, _ in log if ok)} acks in all; "
          f"in between: {seen or 'nothing'}")

asyncio.run(main())
EOF

for case in $cases; do
  for i in $(seq 1 "$runs"); do
    cfg=$data/$case.toml
    config "$case" "$cfg"
    rm -rf "$data/meridian"
    for id in $(seq 1 9); do
      MERIDIAN_DATA_DIR=$data/meridian $bin node --config "$cfg" --node "$id" \
        >"$data/node-$id.log" 2>&1 &
      pids[id]=$!
    done
    wait_for "a leader in every cluster" 120 all_leaders
    wait_for "the control plane" 60 $bin global create --config "$cfg" --id gds1 --primary use1
    wait_for "use1 associated" 60 associated use1
    for s in euw1 aps1; do
      $bin global add-secondary --config "$cfg" --id gds1 --cluster "$s" >/dev/null
      wait_for "$s associated" 60 associated "$s"
    done
    victim=$(use1_leader)
    coord=$(coord_leader 4)
    leads=$([ "$victim" = "$coord" ] && echo both || echo regional)
    survivors=()
    for id in 1 2 3; do
      [ "$id" = "$victim" ] || survivors+=("127.0.0.1:$(node_field "$cfg" "$id" resp_port)")
    done
    result=$(python3 "$data/writer.py" "${pids[victim]}" 4 8 "${survivors[@]}")
    echo "case $case run $i: node $victim (use1 leader; coordination leader $coord: leads $leads) killed: $result"
    stop_nodes
  done
done
