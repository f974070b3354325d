#!/usr/bin/env bash
# Benchmark: XADD (a stream write whose id comes from the replicated entry's time) through
# redis-benchmark's arbitrary-command mode, against Meridian's RESP port (the 3-node cluster of
# cluster-configs/one-cluster.toml, at its leader) and against redis-server with appendfsync
# always, in the same run; 50 clients, pipeline 1. Ratio = Meridian ops/s ÷ redis-server ops/s.
# Usage: benches/streams.sh [requests]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-100000}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6399
bench_setup $ref_port

ops() { # port -> ops/s of XADD
  local csv
  csv=$(redis-benchmark -p "$1" -c 50 -P 1 -n "$n" --csv XADD bench:stream '*' field value)
  grep -q '^"XADD' <<<"$csv" || { echo "redis-benchmark on port $1 gave no result: $csv" >&2; exit 1; }
  tail -n +2 <<<"$csv" | awk -F'","' '{ print $2 }'
}

meridian_up --config cluster-configs/one-cluster.toml
leader=$(leader_resp use1 "$data/up.out")
m=$(ops "${leader##*:}")
redis_start $ref_port --appendonly yes --appendfsync always
r=$(ops $ref_port)

echo "| test | meridian ops/s | redis-server appendfsync always ops/s | ratio |"
echo "|---|---|---|---|"
awk -v m="$m" -v r="$r" 'BEGIN { printf "| XADD | %.0f | %.0f | %.2f |\n", m, r, m/r }'
