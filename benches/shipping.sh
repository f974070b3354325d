#!/usr/bin/env bash
# Benchmark: cross-region shipping against a redis-server replica, measured in the same run.
#  1. Replication lag p50/p99 while the primary takes writes at half its maximum rate
#     (`meridian bench lag`: 50 writers, acknowledged on the primary -> readable on the replica).
#     Meridian: `meridian up` (gds1: use1 primary, euw1 and aps1 secondaries), writes on use1's
#     leader, watched with local reads (READONLY) on euw1's leader and on a follower of aps1.
#     Reference: redis-server master (6396) and a replica of it (6397).
#  2. Full sync of N keys (default 1,000,000; 16-byte values): Meridian re-adds aps1 as a
#     secondary (emptied first) and the time runs until aps1's node answers DBSIZE = N;
#     the reference starts an empty replica with REPLICAOF and the time runs until its
#     DBSIZE = N.
# Usage: benches/shipping.sh [keys] [lag seconds]   (prints markdown for docs/benchmarks.md)
# BENCH_PORT_OFFSET=100 moves Meridian's ports (local.toml's + 100) beside a running deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
keys=${1:-1000000}
secs=${2:-10}
cargo build --release -p meridian-cli >/dev/null
bin=$PWD/target/release/meridian
master=6396 replica=6397 fresh=6395
bench_setup $master $replica $fresh
wait_for() { # description, seconds, command...
  local what=$1 limit=$2; shift 2
  local until=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || { echo "timed out waiting for $what" >&2; exit 1; }
    sleep 0.1
  done
}
link_up() { redis-cli -p "$1" info replication | grep -q 'master_link_status:up'; }
dbsize_is() { [ "$(redis-cli -p "$1" dbsize 2>/dev/null)" = "$2" ]; }
associated() { # cluster
  $bin global describe --config "$cfg" --id gds1 --output json |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["global_datastores"][0]
m=[m for m in d["members"] if m["cluster"]==sys.argv[1]]
sys.exit(0 if m and m[0]["status"]=="associated" else 1)' "$1"
}
load_keys() { # port: SET key:000000000000 .. key:<N-1> with 16-byte values, pipelined
  python3 -c '
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer; v = b"v" * 16
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n" % (len(k), k, v))
' "$keys" | redis-cli -p "$1" --pipe >/dev/null
}
now_ms() { date +%s%3N; }

redis_start $master --repl-diskless-sync-delay 0
redis_start $replica --replicaof 127.0.0.1 $master
wait_for "the redis replica's link" 10 link_up $replica

cfg=$data/local.toml
shifted_config cluster-configs/local.toml "$cfg"
meridian_up --config "$cfg"
wait_for "euw1 associated" 60 associated euw1
wait_for "aps1 associated" 60 associated aps1

lag_rows() { # label, then bench lag args
  local label=$1; shift
  local out; out=$($bin bench lag --seconds "$secs" "$@")
  echo "$out" >&2
  local target; target=$(grep -oE 'target [0-9]+' <<<"$out" | cut -d' ' -f2)
  while read -r line; do
    sed -E "s/^replica ([^:]+:[0-9]+): ([0-9]+) of ([0-9]+) probes seen  lag p50=([0-9.]+)ms p90=([0-9.]+)ms p99=([0-9.]+)ms p99.9=([0-9.]+)ms max=([0-9.]+)ms/| $label | \1 | $target | \2\/\3 | \4 | \6 | \8 |/" <<<"$line"
  done < <(grep '^replica ' <<<"$out")
}
echo "| lag ($secs s at half the max write rate) | replica | writes/s | probes seen | p50 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|---|"
primary=$(leader_resp use1 "$data/up.out")
lag_rows "meridian (use1 -> euw1 leader, aps1 follower)" --primary "$primary" \
  --replica "$(leader_resp euw1 "$data/up.out")" --replica "$(follower_resp aps1 "$data/up.out")"
lag_rows "redis-server replica" --primary 127.0.0.1:$master --replica 127.0.0.1:$replica

# Full sync of $keys keys.
pport=${primary##*:}
redis-cli -p "$pport" flushall >/dev/null
redis-cli -p $master flushall >/dev/null
load_keys "$pport"
load_keys $master
wait_for "meridian primary holds $keys keys" 60 dbsize_is "$pport" "$keys"
wait_for "redis master holds $keys keys" 60 dbsize_is $master "$keys"

aps1=$(leader_resp aps1 "$data/up.out"); aps1=${aps1##*:}
$bin global disassociate --config "$cfg" --id gds1 --cluster aps1 >/dev/null
wait_for "aps1 standalone" 30 redis-cli -p "$aps1" flushall
wait_for "aps1 empty" 30 dbsize_is "$aps1" 0
t0=$(now_ms)
$bin global add-secondary --config "$cfg" --id gds1 --cluster aps1 >/dev/null
wait_for "aps1 full sync" 600 dbsize_is "$aps1" "$keys"
m_ms=$(( $(now_ms) - t0 ))
wait_for "aps1 associated" 60 associated aps1

redis_start $fresh
t0=$(now_ms)
redis-cli -p $fresh replicaof 127.0.0.1 $master >/dev/null
wait_for "redis full resync" 600 dbsize_is $fresh "$keys"
r_ms=$(( $(now_ms) - t0 ))

echo
echo "| full sync of $keys keys (16-byte values) | ms |"
echo "|---|---|"
echo "| meridian: add-secondary aps1 until its node answers DBSIZE = $keys | $m_ms |"
echo "| redis-server: REPLICAOF on an empty replica until DBSIZE = $keys | $r_ms |"
awk -v m="$m_ms" -v r="$r_ms" 'BEGIN { printf "| **ratio meridian / redis** | %.2f |\n", m/r }'
