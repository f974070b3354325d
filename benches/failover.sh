#!/usr/bin/env bash
# Planned failover under continuous writes (tests/failover_planned.rs, release build, in
# process on loopback): the write gap from the last write acknowledged by the old primary to
# the first acknowledged by the new one, over RUNS runs.
# Usage: benches/failover.sh [RUNS (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo test --release -q -p meridian-tests --test failover_planned --no-run
for i in $(seq 1 "$runs"); do
  cargo test --release -q -p meridian-tests --test failover_planned a_planned_failover -- \
    --nocapture 2>&1 | grep -E "write gap|final seq" | sed "s/^ */run $i: /"
done
