#!/usr/bin/env bash
# Benchmark: redis-benchmark's list, set, sorted-set, hash and MSET tests against Meridian's RESP
# port (the 3-node cluster of cluster-configs/one-cluster.toml, at its leader) and against
# redis-server with appendfsync always, started in the same run; 50 clients, pipeline 1.
# Ratio = Meridian ops/s ÷ redis-server ops/s for each test (writes are acknowledged after an
# fsync on both sides; LRANGE is a linearizable read on Meridian).
# Usage: benches/resp_families.sh [requests]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-100000}
tests=lpush,lpop,sadd,spop,hset,zadd,lrange_100,mset
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6397
bench_setup $ref_port

ops() { # port -> "NAME ops/s" lines
  local csv
  csv=$(redis-benchmark -p "$1" -t "$tests" -c 50 -P 1 -d 16 -n "$n" -r 100000 --csv)
  grep -q '^"MSET' <<<"$csv" || { echo "redis-benchmark on port $1 gave no result: $csv" >&2; exit 1; }
  tail -n +2 <<<"$csv" | awk -F'","' '{ gsub(/"/, "", $1); split($1, w, " "); print w[1], $2 }'
}

meridian_up --config cluster-configs/one-cluster.toml
leader=$(leader_resp use1 "$data/up.out")
ops "${leader##*:}" >"$data/meridian.txt"
redis_start $ref_port --appendonly yes --appendfsync always
ops $ref_port >"$data/redis.txt"

echo "| test | meridian ops/s | redis-server appendfsync always ops/s | ratio |"
echo "|---|---|---|---|"
join "$data/meridian.txt" "$data/redis.txt" | awk '{ printf "| %s | %s | %s | %.2f |\n", $1, $2, $3, $2/$3 }'
