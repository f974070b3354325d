#!/usr/bin/env bash
# Benchmark: redis-benchmark against Meridian's RESP port (the 3-node cluster of
# cluster-configs/one-cluster.toml, at its leader's port) and against redis-server started in the same run
# (appendonly off, then appendfsync always). SET and GET, 50 clients, pipeline 1 and 16, 16-byte
# values. Then memory: RSS after loading N keys into each (default 1,000,000).
# Usage: benches/resp.sh [requests] [keys]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
n=${1:-200000}
keys=${2:-1000000}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
data=$(mktemp -d)
ref_port=6398
cleanup() {
  [ -n "${up_pid:-}" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  redis-cli -p $ref_port shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

rps() { # port pipeline -> "set get"
  local csv
  csv=$(redis-benchmark -p "$1" -t set,get -c 50 -P "$2" -d 16 -n "$n" -r 100000 --csv 2>/dev/null)
  echo "$(grep '^"SET"' <<<"$csv" | cut -d, -f2 | tr -d '"') $(grep '^"GET"' <<<"$csv" | cut -d, -f2 | tr -d '"')"
}
ref_start() {
  redis-cli -p $ref_port shutdown nosave >/dev/null 2>&1 || true
  redis-server --port $ref_port --save '' --dir "$data" "$@" --daemonize yes >/dev/null
  for _ in $(seq 1 50); do redis-cli -p $ref_port ping >/dev/null 2>&1 && break; sleep 0.1; done
}

MERIDIAN_DATA_DIR=$data $bin up --config cluster-configs/one-cluster.toml >"$data/up.out" 2>&1 &
up_pid=$!
for _ in $(seq 1 240); do grep -q "Meridian is up" "$data/up.out" && break; sleep 0.5; done
grep -q "Meridian is up" "$data/up.out" || { cat "$data/up.out"; exit 1; }
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

# Memory: the same keys (key:000000000000 .. , 16-byte values) in both; RSS of the leader.
redis-cli -p "$port" flushall >/dev/null
ref_start --appendonly no
for p in "$port" $ref_port; do
  redis-benchmark -p $p -t set -c 50 -P 16 -d 16 -n "$keys" -r "$keys" -q >/dev/null 2>&1
done
mk=$(redis-cli -p "$port" dbsize); rk=$(redis-cli -p $ref_port dbsize)
leader_pid=$(pgrep -f "node --config .* --node $((port - 6400))$" | head -1)
m_rss=$(awk '/VmRSS/ {print $2}' "/proc/$leader_pid/status")
r_rss=$(awk '/VmRSS/ {print $2}' "/proc/$(pgrep -f "redis-server .*:$ref_port" | head -1)/status")
echo
echo "| memory after loading | keys | RSS (MiB) |"
echo "|---|---|---|"
echo "| meridian leader (node $((port - 6400))) | $mk | $((m_rss / 1024)) |"
echo "| redis-server | $rk | $((r_rss / 1024)) |"
awk -v m="$m_rss" -v r="$r_rss" 'BEGIN { printf "| **ratio** | | %.2f |\n", m/r }'
