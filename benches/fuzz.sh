#!/usr/bin/env bash
# Long runs of the property-based fuzz targets (hostile input: RESP requests and replies,
# keyspace snapshots and full-sync chunks, snapshot installs, shipping messages, deployment
# files, gRPC requests against running nodes). CI runs each with a small case count; this runs
# them with PROPTEST_CASES=CASES and prints PASS/FAIL and the seconds each took.
# Usage: benches/fuzz.sh [CASES (default 100000)] [FILTER (a target name substring)]
# Env: PROFILE=release builds optimised (faster cases, slower build; default dev);
#      IGNORED=0 skips the targets kept #[ignore]d for known bugs (default: run them too).
# The gRPC target sends one request per case to a live node: 100000 cases take hours.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
filter=${2:-}
profile=${PROFILE:-dev}
ignored=()
if [ "${IGNORED:-1}" != 0 ]; then
  ignored=(--include-ignored)
fi

# crate test-file
targets=(
  "meridian-resp fuzz_request_parser"
  "meridian-resp fuzz_parser_memory"
  "meridian-keyspace fuzz_snapshot"
  "meridian-storage fuzz_snapshot_install"
  "meridian-shipping fuzz_wire"
  "meridian-config fuzz_config"
  "meridian-testkit fuzz_grpc"
)

logs=$(mktemp -d)
table=()
failed=0
for t in "${targets[@]}"; do
  read -r crate file <<<"$t"
  if [ -n "$filter" ] && [[ "$file" != *"$filter"* ]]; then
    continue
  fi
  echo "== $file ($crate): building" >&2
  cargo test -q --profile "$profile" -p "$crate" --test "$file" -j 1 --no-run 2>"$logs/$file.build" ||
    { cat "$logs/$file.build" >&2; exit 1; }
  echo "== $file: PROPTEST_CASES=$cases" >&2
  started=$(date +%s%N)
  if PROPTEST_CASES=$cases cargo test -q --profile "$profile" -p "$crate" --test "$file" -j 1 \
      -- "${ignored[@]}" >"$logs/$file.log" 2>&1; then
    verdict=PASS
  else
    verdict=FAIL
    failed=1
  fi
  ms=$((($(date +%s%N) - started) / 1000000))
  table+=("$(printf '%-24s %-20s %-5s %6d.%d s' "$file" "$crate" "$verdict" $((ms / 1000)) $((ms % 1000 / 100)))")
  printf '%s\n' "${table[-1]}"
  if [ "$verdict" = FAIL ]; then
    grep -E '^test .*FAILED|panicked at|minimal input|last input|memory allocation' \
      "$logs/$file.log" | cut -c1-400 | sed 's/^/    /' || true
    echo "    full log: $logs/$file.log"
  fi
done

echo
printf '%-24s %-20s %-5s %10s\n' target crate verdict time
printf '%s\n' "${table[@]}"
exit $failed
