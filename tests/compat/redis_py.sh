#!/usr/bin/env bash
# redis-py's own test suite (the tests/ of its 5.0.x sdist) against redis-server 7.0.15 and
# against Meridian, in the same run: tests passed on each, per test file and in total, and
# the ratio. Meridian is the 3-node cluster of cluster-configs/one-cluster.toml started with
# `meridian up`; pytest talks to its leader.
#
# Usage: tests/compat/redis_py.sh [pytest path or -k expression args...]
#        (default: the whole tests/ directory)
#
# Left out for both servers: tests marked redismod (Redis Stack modules), onlycluster (Redis
# Cluster), ssl and replica, and the two search test files (they need numpy). Each test is
# bounded by pytest-timeout, each test file by MERIDIAN_COMPAT_PY_TIMEOUT.
#
# Environment (also those of tests/compat/lib.sh):
#   MERIDIAN_COMPAT_REDIS_PY      redis-py version (default 5.0.8)
#   MERIDIAN_COMPAT_TEST_TIMEOUT  seconds per test (default 30)
#   MERIDIAN_COMPAT_PY_TIMEOUT    seconds per test file and server (default 600)
# Output: the table on stdout; under $MERIDIAN_COMPAT_CACHE/redis-py/: pytest's log per server
# and junit XML per test file, and failing/FILE.txt (tests passed on redis-server, not on Meridian).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version=${MERIDIAN_COMPAT_REDIS_PY:-5.0.8}
test_timeout=${MERIDIAN_COMPAT_TEST_TIMEOUT:-30}
run_timeout=${MERIDIAN_COMPAT_PY_TIMEOUT:-600}
results=$cache/redis-py
venv=$cache/venv
src=$cache/src/redis-$version

# The sdist (not the wheel: only the sdist carries tests/) and a venv with pytest.
fetch_suite() {
  need_pkg python3 python3-venv
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" -q install 'pytest<8' 'pytest-asyncio<0.22' pytest-timeout packaging
  [ -d "$src/tests" ] && return
  mkdir -p "$cache/pydl" "$cache/src"
  "$venv/bin/pip" -q download --no-deps --no-binary :all: -d "$cache/pydl" "redis==$version"
  tar xzf "$cache/pydl/redis-$version.tar.gz" -C "$cache/src"
}

# run_pytest SERVER PORT ARGS...: one pytest per test file (a crash of pytest itself, seen
# once as an INTERNALERROR while formatting a traceback, then costs one file, not the rest of
# the run), junit XML per file under $results/SERVER.xml.d/.
run_pytest() {
  local server=$1 port=$2; shift 2
  local started=$SECONDS file
  mkdir -p "$results/$server.xml.d"
  : >"$results/$server.log"
  # The tests import the package from the sdist's tree (the version under test).
  for file in $(cd "$src" && find "$@" -name 'test_*.py' | sort); do
    (cd "$src" && timeout -k 10 "$run_timeout" "$venv/bin/python" -m pytest "$file" \
      --redis-url="redis://127.0.0.1:$port" -p no:cacheprovider -o asyncio_mode=auto \
      -m 'not redismod and not onlycluster and not ssl and not replica' \
      --ignore=tests/test_search.py --ignore=tests/test_asyncio/test_search.py \
      --timeout "$test_timeout" -q -rfE --tb=native \
      --junitxml="$results/$server.xml.d/${file//\//_}.xml" >>"$results/$server.log" 2>&1) || true
  done
  echo "$server: $((SECONDS - started)) s" >&2
  echo $((SECONDS - started)) >"$results/$server.secs"
}

# passed_names SERVER: "file<TAB>test" of every passed test, grouped by test file.
passed_names() {
  "$venv/bin/python" - "$results/$1.xml.d" "$results/$1" <<'EOF'
import os, sys, xml.etree.ElementTree as ET
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
files = {}
cases = []
for xml in sorted(os.listdir(sys.argv[1])):
    cases += ET.parse(os.path.join(sys.argv[1], xml)).iter("testcase")
for case in cases:
    if any(c.tag in ("failure", "error", "skipped") for c in case):
        continue
    path = case.get("classname", "").split(".")
    mods = [i for i, p in enumerate(path) if p.startswith("test_")]
    mod = mods[-1] if mods else len(path) - 1
    name = "_".join(path[1:mod + 1]) or "other"
    files.setdefault(name, []).append(".".join(path[mod + 1:] + [case.get("name", "")]))
for name, tests in files.items():
    with open(os.path.join(out, name + ".passed"), "w") as f:
        f.write("".join(t + "\n" for t in tests))
EOF
}

fetch_suite
rm -rf "$results" && mkdir -p "$results"
bench_setup "$redis_port"
start_reference
start_meridian
# Both servers at once: the run takes as long as the slower of the two.
run_pytest redis "$redis_port" "${@:-tests}" &
redis_job=$!
run_pytest meridian "$meridian_port" "${@:-tests}"
wait "$redis_job"
redis_secs=$(cat "$results/redis.secs")
meridian_secs=$(cat "$results/meridian.secs")
passed_names redis
passed_names meridian
mapfile -t files < <(find "$results/redis" -name '*.passed' -printf '%f\n' | sed 's/\.passed$//' | sort)

echo
echo "redis-py $version test suite, passed tests; ratio = Meridian / redis-server"
echo
compare_table "$results" "${files[@]}"
echo
echo "time: redis-server ${redis_secs} s, meridian ${meridian_secs} s, run side by side;" \
  "failing test names: $results/failing/"
check_min
