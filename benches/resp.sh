#!/usr/bin/env bash
# Benchmark: redis-benchmark against Meridian's RESP port (the 3-node cluster of
# cluster-configs/one-cluster.toml, at its leader's port) and against redis-server started in the same run
# (appendonly off, then appendfsync always). SET and GET, 50 clients, pipeline 1 and 16, 16-byte
# values. Memory is measured by benches/memory.sh.
# Usage: benches/resp.sh [requests]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-200000}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6398
bench_setup $ref_port

rps() { # port pipeline -> "set get"
  local csv
  csv=$(redis-benchmark -p "$1" -t set,get -c 50 -P "$2" -d 16 -n "$n" -r 100000 --csv)
  grep -q '^"GET"' <<<"$csv" || { echo "redis-benchmark on port $1 gave no result: $csv" >&2; exit 1; }
  echo "$(grep '^"SET"' <<<"$csv" | cut -d, -f2 | tr -d '"') $(grep '^"GET"' <<<"$csv" | cut -d, -f2 | tr -d '"')"
}
ref_start() { redis_start $ref_port "$@"; }

meridian_up --config cluster-configs/one-cluster.toml
leader=$(leader_resp use1 "$data/up.out")
port=${leader##*:}

echo "| target | pipeline | SET ops/s | GET ops/s |"
echo "|---|---|---|---|"
for p in 1 16; do
  read -r ms mg < <(rps "$port" $p)
  ref_start --appendonly no; read -r rs rg < <(rps $ref_port $p)
  ref_start --appendonly yes --appendfsync always; read -r as ag < <(rps $ref_port $p)
  echo "| meridian (3 nodes, fsync, linearizable GET) | $p | $ms | $mg |"
  echo "| redis-server appendonly no | $p | $rs | $rg |"
  echo "| redis-server appendfsync always | $p | $as | $ag |"
  awk -v ms="$ms" -v mg="$mg" -v rg="$rg" -v as="$as" -v p="$p" 'BEGIN {
    printf "| **ratios, pipeline %s** | | SET/always = %.2f | GET/GET = %.2f |\n", p, ms/as, mg/rg }'
done
