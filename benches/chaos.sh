#!/usr/bin/env bash
# Many chaos runs: every workload under every fault kind, one seed per run, then each planted
# bug once (those runs must come out INVALID). Prints one line per run and a table.
# Usage: benches/chaos.sh [RUNS_PER_WORKLOAD (default 10)] [DURATION (default 30s)] [FIRST_SEED (default 1000)]
# Histories of invalid runs are kept under $OUT (default ./chaos-runs).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
duration=${2:-30s}
first=${3:-1000}
out=${OUT:-chaos-runs}
cargo build --release -q -p meridian-chaos
bin=target/release/meridian-chaos
mkdir -p "$out"
table=$(mktemp)
trap 'rm -f "$table"' EXIT

# Usage: one WORKLOAD SEED EXPECT [extra args]: runs one seed, records its verdict line.
one() {
  local workload=$1 seed=$2 expect=$3
  shift 3
  local log="$out/$workload-$seed.log" started verdict
  started=$(date +%s)
  if "$bin" --seed "$seed" --duration "$duration" --workload "$workload" "$@" >"$log" 2>&1; then
    verdict=VALID
  else
    verdict=INVALID
  fi
  local line
  line=$(grep -m1 "^seed $seed workload" "$log" || echo "seed $seed: harness error (see $log)")
  printf '%-12s %6s %-8s %-8s %4ss  %s\n' "$workload" "$seed" "$expect" "$verdict" \
    "$(($(date +%s) - started))" "${line#*: }" | tee -a "$table"
}

for workload in register list-append shipping; do
  for i in $(seq 0 $((runs - 1))); do one "$workload" $((first + i)) VALID; done
done
one register $((first + runs)) INVALID --plant ack-before-commit
one shipping $((first + runs)) INVALID --plant ship-out-of-order --converge-within 10s
one shipping $((first + runs + 1)) INVALID --plant snapshot-drops-key --faults kill --converge-within 10s
one list-append $((first + runs)) INVALID --plant split-transactions
one shipping $((first + runs + 2)) INVALID --plant ack-before-commit --faults kill,partition

echo
echo "workload       seed expected verdict  time  summary"
cat "$table"
bad=$(awk '$3 != $4' "$table" | wc -l)
echo "runs: $(wc -l <"$table"), not as expected: $bad"
[ "$bad" -eq 0 ]
