#!/usr/bin/env bash
# Redis 7.0.15's own Tcl test suite against redis-server 7.0.15 and against Meridian, in the
# same run, in the suite's external-server mode: per unit, the tests passed on each and the
# ratio, then the total. Meridian is the 3-node regional cluster of
# cluster-configs/one-cluster.toml started with `meridian up` (the suite talks to its leader):
# the smallest real deployment, where every write is a Raft commit.
#
# Usage: tests/compat/redis_suite.sh [unit...]      (e.g. type/string keyspace)
#
# The suite comes from Debian's source package (`apt-get source --download-only redis`, the
# same 7.0.15 as the server) unpacked under $MERIDIAN_COMPAT_CACHE. Options given to runtest
# for both servers: --ignore-encoding (Meridian names encodings by Redis's size rules, but the
# encoding parameters CONFIG SET stores change nothing), --tags -needs:repl (no SYNC),
# --clients 1, --durable (an exception fails that test, not the whole unit), --timeout. Tests
# tagged external:skip are skipped by the suite itself.
#
# Environment (also those of tests/compat/lib.sh):
#   MERIDIAN_COMPAT_UNIT_TIMEOUT  seconds one unit may take on one server (default 300); a unit
#                                 cut short counts its remaining tests as failed
#   MERIDIAN_COMPAT_TAGS          --tags value (default -needs:repl)
# Output: the table on stdout; results under $MERIDIAN_COMPAT_CACHE/redis-suite/: the runtest
# logs, the passed names per unit and server, and failing/UNIT.txt (passed on redis-server,
# not on Meridian).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

default_units="type/string type/incr type/hash type/list type/list-2 type/list-3 type/set
  type/zset type/stream type/stream-cgroups keyspace expire protocol multi info-command scan
  bitops bitfield geo hyperloglog sort dump introspection introspection-2 info latency-monitor
  slowlog pubsub pubsubshard"
# shellcheck disable=SC2206
units=(${@:-$default_units})
unit_timeout=${MERIDIAN_COMPAT_UNIT_TIMEOUT:-300}
tags=${MERIDIAN_COMPAT_TAGS:--needs:repl}
results=$cache/redis-suite

# Debian's source package needs a deb-src line; its orig tarball is upstream's release.
fetch_suite() {
  suite=$(find "$cache/src" -maxdepth 1 -type d -name 'redis-7.0.*' 2>/dev/null | sort | tail -1 || true)
  [ -n "$suite" ] && [ -x "$suite/runtest" ] && return
  need_pkg apt-get apt
  local sources=/etc/apt/sources.list.d/debian.sources
  if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    [ "$(id -u)" = 0 ] || { echo "add a deb-src line to $sources and rerun" >&2; exit 1; }
    echo "adding deb-src to $sources" >&2
    sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
    apt-get update -qq
  fi
  mkdir -p "$cache/src"
  (cd "$cache" && apt-get source --download-only redis >/dev/null 2>&1)
  local orig
  orig=$(find "$cache" -maxdepth 1 -name 'redis_7.0.*.orig.tar.gz' | sort | tail -1)
  [ -n "$orig" ] || { echo "apt-get source gave no redis 7.0 tarball in $cache" >&2; exit 1; }
  tar xzf "$orig" -C "$cache/src"
  suite=$(find "$cache/src" -maxdepth 1 -type d -name 'redis-7.0.*' | sort | tail -1)
}

# run_units SERVER PORT BASEPORT: every unit against one server; passed names to $results/SERVER/.
run_units() {
  local server=$1 port=$2 baseport=$3 unit key log started all=$SECONDS
  mkdir -p "$results/$server"
  # A copy of the suite per server: runtest cleans its tests/tmp at start, and the two runs
  # go side by side (with their own --baseport for the test server and clients).
  local dir=$cache/run-$server skip=()
  # Meridian never evicts (noeviction whatever maxmemory-policy says), so this test would wait
  # for its `evicted` event until the unit's timeout: it is not run, and counts as failed.
  [ "$server" = meridian ] && skip=(--skiptest "Keyspace notifications: evicted events")
  rm -rf "$dir" && cp -r "$suite" "$dir"
  for unit in "${units[@]}"; do
    key=${unit//\//_}
    log=$results/$server/$key.log
    started=$SECONDS
    # A unit may leave limits raised (type/list's large-memory block sets 10 GB and never
    # restores them): every unit starts from the defaults on both servers.
    redis-cli -p "$port" config set proto-max-bulk-len 536870912 \
      client-query-buffer-limit 1073741824 maxmemory 0 >/dev/null 2>&1 || true
    (cd "$dir" && timeout -k 10 "$unit_timeout" ./runtest --host 127.0.0.1 --port "$port" \
      --ignore-encoding --tags "$tags" --clients 1 --durable \
      --baseport "$baseport" --timeout "$unit_timeout" "${skip[@]}" --single "unit/$unit" \
      >"$log" 2>&1) || true
    # "[ok]: name (12 ms)"; runtest may colour the tag.
    sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^\[ok\]: \(.*\) ([0-9]* ms)$/\1/p' \
      >"$results/$server/$key.passed"
    # Each failure with the first line of its reason, for grouping.
    sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^\[(err|exception)\]/ { print; getline; print "    " $0 }' \
      >"$results/$server/$key.errors"
    echo "$server $unit: $(wc -l <"$results/$server/$key.passed") passed," \
      "$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -c '^\[err\]\|^\[exception\]') failed" \
      "($((SECONDS - started)) s)" >&2
    check_alive "$server" "$port"
  done
  echo $((SECONDS - all)) >"$results/$server/.secs"
}

# A unit cut by the timeout can leave the server stuck (a test killed mid-way, e.g. in a
# DEBUG SLEEP or a huge fuzz command): the reference is restarted, Meridian is reported.
check_alive() { # server port
  timeout 10 redis-cli -p "$2" ping >/dev/null 2>&1 && return
  if [ "$1" = redis ]; then
    echo "redis-server stopped answering after a unit: restarting it" >&2
    kill -9 "$(cat "$data/reference.pid")" 2>/dev/null || true
    start_reference "${reference_flags[@]}"
  else
    echo "meridian stopped answering on port $2 after a unit" >&2
  fi
}

need_pkg tclsh tcl
fetch_suite
rm -rf "$results" && mkdir -p "$results"
bench_setup "$redis_port"
# The suite's own server config (tests/assets/default.conf) enables DEBUG and the protected
# configs its tests use; persistence off.
reference_flags=(--enable-debug-command yes --enable-protected-configs yes
  --enable-module-command yes --pidfile "$data/reference.pid")
start_reference "${reference_flags[@]}"
start_meridian
# Both servers at once (each runtest has its own test server port and tmp dir): the run
# takes as long as the slower of the two.
started=$SECONDS
run_units redis "$redis_port" 21111 &
redis_job=$!
sleep 5
run_units meridian "$meridian_port" 24111
meridian_secs=$((SECONDS - started))
wait "$redis_job"
redis_secs=$(cat "$results/redis/.secs")
echo
echo "Redis 7.0.15 test suite ($(basename "$suite")), passed tests; ratio = Meridian / redis-server"
echo
compare_table "$results" "${units[@]}"
echo
echo "time: redis-server ${redis_secs} s, meridian ${meridian_secs} s, run side by side;" \
  "failing test names: $results/failing/"
check_min
