#!/usr/bin/env bash
# Benchmark: PUBLISH fan-out to 100 subscribers (`meridian bench pubsub`). Meridian: the 3-node
# cluster of cluster-configs/one-cluster.toml, the publisher at the leader, the subscribers
# spread over all three nodes (every PUBLISH is a Raft commit, then each node delivers to its
# own subscribers). redis-server: one server, in the same run. Ratio = Meridian deliveries/s ÷
# redis-server deliveries/s.
# Usage: benches/pubsub.sh [messages] [subscribers]   (prints markdown for docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
messages=${1:-20000}
subscribers=${2:-100}
cargo build --release -p meridian-cli >/dev/null
bin=./target/release/meridian
ref_port=6398
bench_setup $ref_port

rate() { # publish-addr subscribe-addrs... -> deliveries/s
  local pub=$1; shift
  local subs=()
  for a in "$@"; do subs+=(--subscribe "$a"); done
  $bin bench pubsub --publish "$pub" "${subs[@]}" --subscribers "$subscribers" \
    --messages "$messages" | awk '$1 == "deliveries_per_sec" { print $2 }'
}

meridian_up --config cluster-configs/one-cluster.toml
leader=$(leader_resp use1 "$data/up.out")
mapfile -t nodes < <(cluster_resp use1 "$data/up.out")
m=$(rate "$leader" "${nodes[@]}")
redis_start $ref_port
r=$(rate "127.0.0.1:$ref_port" "127.0.0.1:$ref_port")

echo "| test | meridian deliveries/s | redis-server deliveries/s | ratio |"
echo "|---|---|---|---|"
awk -v m="$m" -v r="$r" -v n="$subscribers" -v k="$messages" \
  'BEGIN { printf "| PUBLISH %d × %d subscribers | %.0f | %.0f | %.2f |\n", k, n, m, r, m/r }'
