#!/usr/bin/env bash
# Benchmark: what ACL checks cost. RESP SET and GET as the `default` user (`+@all ~*`: no
# per-key check) and as a restricted user (`~bench:* +@read +@write`: command and key checked
# on every call), on Meridian and on redis-server in the same run; the ratio Meridian/redis as
# the restricted user over the ratio as `default` shows what the check costs Meridian beyond
# what it costs Redis. Meridian: the 3-node cluster of cluster-configs/one-cluster.toml
# (`meridian up`), at its leader. redis-server: appendfsync always. 50 clients, pipeline 1.
# Usage: benches/acl.sh [requests]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-100000}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6395
bench_setup $ref_port

ops() { # port [redis-benchmark flags...] -> "SET ops/s" and "GET ops/s" lines
  local port=$1 csv; shift
  csv=$(redis-benchmark -p "$port" "$@" -t set,get -c 50 -P 1 -d 16 -n "$n" -r 100000 --csv)
  grep -q '^"GET' <<<"$csv" || { echo "redis-benchmark on port $port gave no result: $csv" >&2; exit 1; }
  tail -n +2 <<<"$csv" | awk -F'","' '{ gsub(/"/, "", $1); print $1, $2 }'
}

# redis-benchmark's keys are key:__rand_int__; the user may touch key:* only.
user=(--user bench -a bench-pass)
make_user() { # port
  redis-cli -p "$1" ACL SETUSER bench on '>bench-pass' '~key:*' +@read +@write +ping \
    +config +@connection >/dev/null
}

meridian_up --config cluster-configs/one-cluster.toml
leader=$(leader_resp use1 "$data/up.out")
port=${leader##*:}
make_user "$port"
ops "$port" >"$data/m-default.txt"
ops "$port" "${user[@]}" >"$data/m-user.txt"
redis_start $ref_port --appendonly yes --appendfsync always
make_user $ref_port
ops $ref_port >"$data/r-default.txt"
ops $ref_port "${user[@]}" >"$data/r-user.txt"

echo "| test | meridian | redis | ratio | meridian as user | redis as user | ratio as user | user ratio ÷ ratio |"
echo "|---|---|---|---|---|---|---|---|"
join "$data/m-default.txt" "$data/r-default.txt" | join - "$data/m-user.txt" | join - "$data/r-user.txt" |
  awk '{ p = $2 / $3; t = $4 / $5; printf "| %s | %s | %s | %.2f | %s | %s | %.2f | %.2f |\n", $1, $2, $3, p, $4, $5, t, t / p }'
