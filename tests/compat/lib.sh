# Shared by tests/compat/*.sh (sourced): the cache dir, a reference redis-server and a
# Meridian cluster started the way a user starts one, and the comparison table.
#
# Environment:
#   MERIDIAN_COMPAT_CACHE   downloads, venv and results (default ~/.cache/meridian-compat)
#   MERIDIAN_COMPAT_MIN     exit non-zero when the total ratio is below it (default 0)
#   MERIDIAN_COMPAT_CONFIG  deployment to start (default cluster-configs/one-cluster.toml:
#                           one regional cluster of 3 nodes; the suites talk to its leader)
#   MERIDIAN_COMPAT_PORT_OFFSET  added to every port of that config (default 500)
#   MERIDIAN_COMPAT_REDIS_PORT   the reference redis-server's port (default 6899)
#   MERIDIAN_BIN            a meridian binary to use instead of building target/release/meridian

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${MERIDIAN_COMPAT_CACHE:-$HOME/.cache/meridian-compat}
min_ratio=${MERIDIAN_COMPAT_MIN:-0}
redis_port=${MERIDIAN_COMPAT_REDIS_PORT:-6899}
mkdir -p "$cache"
# shellcheck source=../../benches/lib.sh
source "$root/benches/lib.sh"

# Debian/Ubuntu packages, installed when missing and we are root.
need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $2 (for $1)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "$1 is missing: install $2 and rerun" >&2
    exit 1
  fi
}

# Builds (or takes MERIDIAN_BIN) and sets $bin.
meridian_bin() {
  if [ -n "${MERIDIAN_BIN:-}" ]; then
    bin=$MERIDIAN_BIN
  else
    (cd "$root" && cargo build --release -p meridian-cli >/dev/null)
    bin=$root/target/release/meridian
  fi
}

# Starts the reference redis-server (7.0.15, as Meridian's differential tests use) in $data.
start_reference() {
  need_pkg redis-server redis-server
  redis_start "$redis_port" "$@"
  echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$redis_port" >&2
}

# Starts the deployment with `meridian up` (the README's way) on shifted ports and sets
# $meridian_port to its leader's RESP port.
start_meridian() {
  meridian_bin
  local config=${MERIDIAN_COMPAT_CONFIG:-$root/cluster-configs/one-cluster.toml}
  BENCH_PORT_OFFSET=${MERIDIAN_COMPAT_PORT_OFFSET:-500} shifted_config "$config" "$data/cluster.toml"
  meridian_up --config "$data/cluster.toml"
  local cluster
  cluster=$(awk '$1 == "name" { gsub(/"/, "", $3); print $3; exit }' "$data/cluster.toml")
  meridian_port=$(leader_resp "$cluster" "$data/up.out")
  meridian_port=${meridian_port##*:}
  [ -n "$meridian_port" ] || { cat "$data/up.out" >&2; echo "no leader found" >&2; exit 1; }
  echo "meridian ($(basename "$config"), leader) on 127.0.0.1:$meridian_port" >&2
}

# Usage: compare_table RESULTS_DIR UNIT...: RESULTS_DIR/{redis,meridian}/UNIT.passed hold the
# names of the tests that passed, one a line. A test counts for Meridian when it passed there
# and on redis-server (names compared as multisets: loops repeat names); tests that failed on
# redis-server too are left out of both columns. Writes RESULTS_DIR/failing/UNIT.txt, prints
# the table and sets $total_ratio.
compare_table() {
  local dir=$1; shift
  mkdir -p "$dir/failing"
  local tr=0 tm=0 cr=0 cf=0 unit r m
  printf '| %-40s | %8s | %8s | %6s |\n' unit redis meridian ratio
  printf '|%s|%s|%s|%s|\n' ------------------------------------------ ---------- ---------- --------
  for unit in "$@"; do
    local key=${unit//\//_}
    r=$(wc -l <"$dir/redis/$key.passed" 2>/dev/null || echo 0)
    m=$(multiset_common "$dir/redis/$key.passed" "$dir/meridian/$key.passed" \
      "$dir/failing/$key.txt")
    tr=$((tr + r)); tm=$((tm + m))
    cr=$((cr + $(counted "$unit" "$dir/redis/$key.passed")))
    cf=$((cf + $(counted "$unit" "$dir/failing/$key.txt")))
    printf '| %-40s | %8s | %8s | %6s |\n' "$unit" "$r" "$m" "$(ratio "$m" "$r")"
  done
  printf '| %-40s | %8s | %8s | %6s |\n' "**total**" "$tr" "$tm" "$(ratio "$tm" "$tr")"
  total_ratio=$(ratio "$((cr - cf))" "$cr")
  printf '| %-40s | %8s | %8s | %6s |\n' "**counted** (tests/compat/elsewhere.txt left out)" \
    "$cr" "$((cr - cf))" "$total_ratio"
}

# counted UNIT FILE: how many test names in FILE do not belong to another issue's features
# (tests/compat/elsewhere.txt).
counted() {
  [ -f "$2" ] || { echo 0; return; }
  sed "s|^|$1 |" "$2" | grep -Evc -f <(grep -v '^#' "$root/tests/compat/elsewhere.txt" | grep .) || true
}

# multiset_common REF GOT OUT: prints how many lines of REF are matched in GOT (each line of
# GOT used once) and writes the unmatched lines of REF to OUT.
multiset_common() {
  touch "$1" "$2"
  awk -v out="$3" 'FILENAME == ARGV[1] { got[$0]++; next }
    got[$0] > 0 { got[$0]--; n++; next } { print > out } END { print n + 0 }' "$2" "$1"
  touch "$3"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }

# Exits non-zero when $total_ratio (the counted ratio) is below MERIDIAN_COMPAT_MIN.
check_min() {
  if awk -v r="$total_ratio" -v m="$min_ratio" 'BEGIN { exit !(r == "-" || r + 0 < m + 0) }'; then
    echo "total ratio $total_ratio is below MERIDIAN_COMPAT_MIN=$min_ratio" >&2
    exit 1
  fi
}
