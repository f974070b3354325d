#!/usr/bin/env bash
# The docker deployment under WAN round trips (the proxy's defaults: 70 ms us-east-1 <->
# eu-west-1, 190 ms us-east-1 <-> ap-south-1, 120 ms eu-west-1 <-> ap-south-1, jitter 5 ms):
# - replication lag use1 -> euw1 and use1 -> aps1 at half the primary's maximum write rate
#   (`meridian bench lag` over the published RESP ports; goal: p99 under one round trip + 50 ms);
# - failover times, measured as benches/failover.sh does, by tests/docker_e2e.rs (RUNS runs):
#   forced = from `partition use1` to the first write euw1 acknowledges; planned = the write
#   gap from the last write euw1 acknowledged to the first use1 acknowledged.
# Usage: benches/docker_wan.sh [RUNS (default 3)]
# Env: BENCH_LAG_SECONDS (default 20) for the measured lag run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
# The static release binary is the image's and also the client here (bench lag); the e2e test
# only orchestrates and times from outside the containers, so its debug build is enough.
RUSTFLAGS="-C target-feature=+crt-static --cfg tokio_unstable" CARGO_TARGET_DIR=target/static \
  cargo build --release -q --target x86_64-unknown-linux-gnu -p meridian-cli
bin=target/static/x86_64-unknown-linux-gnu/release/meridian
cargo build -q -p meridian-cli
cargo test -q -p meridian-tests --test e2e --no-run

# A project, subnet and host ports of its own, removed on exit.
project=meridian-bench-$$
export MERIDIAN_DOCKER_PROJECT=$project MERIDIAN_DOCKER_SUBNET=${BENCH_SUBNET:-199}
export MERIDIAN_DOCKER_RESP_PREFIX=${BENCH_RESP_PREFIX:-36} MERIDIAN_DOCKER_GRPC_PREFIX=${BENCH_GRPC_PREFIX:-37}
trap '$bin docker down --project "$project" --volumes >/dev/null 2>&1 || true' EXIT
$bin docker up >/dev/null
r=$MERIDIAN_DOCKER_RESP_PREFIX
echo "lag: $bin bench lag --primary 127.0.0.1:${r}01 --replica 127.0.0.1:${r}11 --replica 127.0.0.1:${r}21 --seconds ${BENCH_LAG_SECONDS:-20}"
$bin bench lag --primary "127.0.0.1:${r}01" --replica "127.0.0.1:${r}11" \
  --replica "127.0.0.1:${r}21" --seconds "${BENCH_LAG_SECONDS:-20}"
$bin docker down --volumes >/dev/null 2>&1
unset MERIDIAN_DOCKER_PROJECT MERIDIAN_DOCKER_SUBNET MERIDIAN_DOCKER_RESP_PREFIX MERIDIAN_DOCKER_GRPC_PREFIX

for i in $(seq 1 "$runs"); do
  MERIDIAN_REQUIRE_DOCKER=1 cargo test -q -p meridian-tests --test e2e docker_e2e:: -- \
    --nocapture 2>&1 | grep -E "replication lag|killed .*: first write|forced failover:|planned failover:|docker e2e done" \
    | sed "s/^ */run $i: /"
done
