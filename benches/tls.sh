#!/usr/bin/env bash
# Benchmark: RESP SET and GET through TLS against redis-server through TLS, in the same run, and
# the same without TLS: the ratio Meridian/redis with TLS over the ratio without TLS shows what
# TLS costs Meridian beyond what it costs Redis (goal: ≥ 0.8).
# Meridian: the 3-node cluster of cluster-configs/one-cluster.toml started with `meridian up
# --tls` (RESP TLS at resp_port + 100), at its leader. redis-server: appendfsync always, with
# `tls-port` serving a certificate from the same development CA. 50 clients, pipeline 1.
# Usage: benches/tls.sh [requests]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-100000}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6397
ref_tls=6398
bench_setup $ref_port

ops() { # port [redis-benchmark TLS flags...] -> "SET ops/s" and "GET ops/s" lines
  local port=$1 csv; shift
  csv=$(redis-benchmark -p "$port" "$@" -t set,get -c 50 -P 1 -d 16 -n "$n" -r 100000 --csv)
  grep -q '^"GET' <<<"$csv" || { echo "redis-benchmark on port $port gave no result: $csv" >&2; exit 1; }
  tail -n +2 <<<"$csv" | awk -F'","' '{ gsub(/"/, "", $1); print $1, $2 }'
}

meridian_up --config cluster-configs/one-cluster.toml --tls
certs=$data/meridian/certs
leader=$(leader_resp use1 "$data/up.out")
port=${leader##*:}
tls=(--tls --cacert "$certs/ca.pem")
ops "$port" >"$data/m-plain.txt"
ops $((port + 100)) "${tls[@]}" >"$data/m-tls.txt"
redis_start $ref_port --appendonly yes --appendfsync always --tls-port $ref_tls \
  --tls-cert-file "$certs/node-1.pem" --tls-key-file "$certs/node-1-key.pem" \
  --tls-ca-cert-file "$certs/ca.pem" --tls-auth-clients no
ops $ref_port >"$data/r-plain.txt"
ops $ref_tls "${tls[@]}" >"$data/r-tls.txt"

echo "| test | meridian | redis | ratio | meridian TLS | redis TLS | ratio TLS | TLS ratio ÷ ratio |"
echo "|---|---|---|---|---|---|---|---|"
join "$data/m-plain.txt" "$data/r-plain.txt" | join - "$data/m-tls.txt" | join - "$data/r-tls.txt" |
  awk '{ p = $2 / $3; t = $4 / $5; printf "| %s | %s | %s | %.2f | %s | %s | %.2f | %.2f |\n", $1, $2, $3, p, $4, $5, t, t / p }'
