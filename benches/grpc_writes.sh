#!/usr/bin/env bash
# Benchmark: concurrent gRPC writers (and readers) against the 3-node cluster use1 of
# cluster-configs/local.toml, with redis-server measured in the same run as the reference.
# Usage: benches/grpc_writes.sh [seconds]   (prints a markdown table for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
secs=${1:-10}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6399
bench_setup $ref_port
meridian_up

row() { # label, then bench args
  local label=$1; shift
  local out; out=$($bin bench --endpoint 127.0.0.1:7401 --seconds "$secs" "$@" | tail -n +2 | head -1)
  echo "| $label | $(sed -E 's/.*throughput=([0-9]+).*p50=([0-9.]+)ms p99=([0-9.]+)ms.*/\1 | \2 | \3/' <<<"$out") |"
}
echo "| workload (meridian bench, 16 B values, leader endpoint) | ops/s | p50 ms | p99 ms |"
echo "|---|---|---|---|"
row "SET, 64 clients" --clients 64 --op set
row "SET, 256 clients" --clients 256 --connections 16 --op set
row "GET linearizable, 64 clients" --clients 64 --op get
row "GET local, 64 clients" --clients 64 --op get-local

echo
echo "Reference, same run: redis-server 7 (redis-benchmark -c 64 -d 16 -n 200000)"
echo
echo "| redis-server | SET ops/s | GET ops/s |"
echo "|---|---|---|"
reference() { # label, then redis-server flags
  local label=$1; shift
  redis_start $ref_port "$@"
  local csv; csv=$(redis-benchmark -p $ref_port -t set,get -c 64 -d 16 -n 200000 --csv 2>/dev/null)
  local set get
  set=$(grep '^"SET"' <<<"$csv" | cut -d, -f2 | tr -d '"')
  get=$(grep '^"GET"' <<<"$csv" | cut -d, -f2 | tr -d '"')
  echo "| $label | $set | $get |"
}
reference "appendonly no" --appendonly no
reference "appendonly yes, appendfsync always" --appendonly yes --appendfsync always
