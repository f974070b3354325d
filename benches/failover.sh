#!/usr/bin/env bash
# Failover under continuous writes (release build, in process on loopback), over RUNS runs:
# - planned (tests/failover_planned.rs): the write gap from the last write acknowledged by the
#   old primary to the first acknowledged by the new one;
# - forced (tests/failover_forced.rs, with the default lease, drift bound and margin): the time
#   from cutting the primary region off to the first write acknowledged by the new primary
#   (goal: under lease + 1 s).
# Usage: benches/failover.sh [RUNS (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo test --release -q -p meridian-tests --test e2e --no-run
for i in $(seq 1 "$runs"); do
  cargo test --release -q -p meridian-tests --test e2e failover_planned::a_planned_failover -- \
    --nocapture 2>&1 | grep -E "write gap|final seq" | sed "s/^ */planned run $i: /"
done
for i in $(seq 1 "$runs"); do
  MERIDIAN_BENCH_DEFAULT_LEASE=1 cargo test --release -q -p meridian-tests --test e2e \
    failover_forced:: -- --nocapture 2>&1 | grep -E "^ +(forced failover:|[0-9]+ writes acknowledged)" | sed "s/^ */forced run $i: /"
done
