#!/usr/bin/env bash
# Memory benchmark: exactly N distinct keys (`key:%012d`, 16-byte values) loaded through
# `redis-cli --pipe` into Meridian (leader of cluster use1 of cluster-configs/local.toml, port
# 6401; `meridian up` also creates gds1, so the keys ship to euw1 and aps1) and into a
# redis-server started here (--save '' --appendonly no). Reports VmRSS of Meridian's node 1
# and of redis-server right after the load, then again after SETTLE seconds, with node 1's last
# Raft log index and snapshot index (a snapshot is taken every raft.snapshot_logs_since_last
# entries: set MERIDIAN_RAFT_SNAPSHOT_LOGS_SINCE_LAST to see the state after one). No
# throughput is measured.
# Usage: benches/memory.sh [keys] [settle_secs]   (prints markdown for docs/benchmarks.md)
# MERIDIAN_BIN=path measures that binary instead of building this tree (e.g. an older build).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
keys=${1:-1000000}
settle=${2:-30}
if [ -z "${MERIDIAN_BIN:-}" ]; then
  cargo build --release -p meridian-cli -j 1 >/dev/null
fi
bin=${MERIDIAN_BIN:-${CARGO_TARGET_DIR:-./target}/release/meridian}
ref_port=6398
bench_setup $ref_port

# SET key:%012d <16 bytes>, N times, in RESP (what --pipe wants).
awk -v n="$keys" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvvvvvvvvvvvvvvvv\r\n", i
}' >"$data/load.resp"

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
raft_index() { # node 1's "last log index / snapshot index", from its metrics
  curl -s http://127.0.0.1:9401/metrics | awk '
    /^meridian_raft_last_log_index/ {l = $2} /^meridian_raft_snapshot_index/ {s = $2}
    END {printf "%s / %s", l, (s == "" ? "?" : s)}'
}
dbsize_is() { [ "$(redis-cli -p "$1" dbsize 2>/dev/null)" = "$2" ]; }

meridian_up
redis_start $ref_port

node1=$(pgrep -P "$up_pid" -f -- "--node 1$")
redis=$(pgrep -f "redis-server .*:$ref_port$")
m_idle=$(rss_kib "$node1"); r_idle=$(rss_kib "$redis")

for port in 6401 $ref_port; do
  redis-cli -p $port --pipe <"$data/load.resp" >"$data/pipe-$port.out" 2>&1 ||
    { cat "$data/pipe-$port.out"; exit 1; }
done
# The load is over when the secondaries (first nodes of euw1, aps1) hold every key too.
for _ in $(seq 1 600); do
  dbsize_is 6401 "$keys" && dbsize_is 6411 "$keys" && dbsize_is 6421 "$keys" && break
  sleep 0.5
done
mk=$(redis-cli -p 6401 dbsize); rk=$(redis-cli -p $ref_port dbsize)
m_load=$(rss_kib "$node1"); r_load=$(rss_kib "$redis")
t_load=$(date -u +%H:%M:%S); s_load=$(raft_index)
sleep "$settle"
m_settled=$(rss_kib "$node1"); r_settled=$(rss_kib "$redis")
t_settled=$(date -u +%H:%M:%S); s_settled=$(raft_index)

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v m="$1" -v r="$2" 'BEGIN { printf "%.2f", m / r }'; }
echo "| when | meridian node 1 RSS (MiB) | redis-server RSS (MiB) | ratio | node 1 last log / snapshot index |"
echo "|---|---|---|---|---|"
echo "| before loading | $(mib "$m_idle") | $(mib "$r_idle") | | |"
echo "| right after loading $mk / $rk keys ($t_load UTC) | $(mib "$m_load") | $(mib "$r_load") | **$(ratio "$m_load" "$r_load")** | $s_load |"
echo "| ${settle} s later ($t_settled UTC) | $(mib "$m_settled") | $(mib "$r_settled") | **$(ratio "$m_settled" "$r_settled")** | $s_settled |"
echo
echo "node 1 smaps_rollup after settling:"
echo '```'
grep -E '^(Rss|Pss_Anon|Pss_File|Anonymous)' "/proc/$node1/smaps_rollup"
echo '```'
