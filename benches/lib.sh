# Shared by the bench scripts (sourced): reading the table `meridian up` prints.
# Usage: leader_resp CLUSTER UP_OUTPUT_FILE -> host:port of the cluster's leader's RESP port;
#        follower_resp CLUSTER UP_OUTPUT_FILE -> the same for one of its followers;
#        cluster_resp CLUSTER UP_OUTPUT_FILE -> the RESP address of each of its nodes.
# The table is printed once every cluster had a leader; a later election is not seen here.
leader_resp() {
  awk -v c="$1" '$1 == "cluster" && $2 == c { id = $5; on = 1; next }
    $1 == "cluster" { on = 0 } on && $1 == id { print $NF; exit }' "$2"
}
cluster_resp() { # every node's RESP address, one per line
  awk -v c="$1" '$1 == "cluster" && $2 == c { on = 1; next }
    $1 == "cluster" { on = 0 } on && $1 ~ /^[0-9]+$/ { print $NF }' "$2"
}
follower_resp() {
  awk -v c="$1" '$1 == "cluster" && $2 == c { id = $5; on = 1; next }
    $1 == "cluster" { on = 0 } on && $1 ~ /^[0-9]+$/ && $1 != id { print $NF; exit }' "$2"
}

# Usage: shifted_config SOURCE.toml DEST.toml: a copy of a deployment config with every port
# moved up by $BENCH_PORT_OFFSET (default 0), so a bench can run beside a deployment already
# using the config's own ports.
shifted_config() {
  awk -v off="${BENCH_PORT_OFFSET:-0}" '
    /^[a-z_]*port = [0-9]+/ { sub(/[0-9]+/, $3 + off) } { print }' "$1" >"$2"
}

# The usual frame of a bench script: `bench_setup PORT...` makes the temp dir $data and, on
# exit, stops `meridian up` (if `meridian_up` started it) and the redis-servers on PORT...
bench_setup() {
  data=$(mktemp -d)
  bench_redis_ports="$*"
  trap bench_cleanup EXIT
}
bench_cleanup() {
  [ -n "${up_pid:-}" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  for p in $bench_redis_ports; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$data"
}

# Usage: meridian_up [up args...]: starts `$bin up` with its data in $data/meridian and its
# output in $data/up.out (sets $up_pid), and waits until every cluster has a leader.
meridian_up() {
  MERIDIAN_DATA_DIR=$data/meridian $bin up "$@" >"$data/up.out" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 240); do grep -q "Meridian is up" "$data/up.out" && return; sleep 0.5; done
  cat "$data/up.out" >&2
  exit 1
}

# Usage: redis_start PORT [redis-server flags...]: a redis-server without persistence unless
# the flags ask for it, in a fresh directory (an AOF left by an earlier start would be loaded
# first), once it answers PONG (not LOADING).
redis_start() {
  local port=$1; shift
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$data/redis-$port" && mkdir -p "$data/redis-$port"
  redis-server --port "$port" --save '' --appendonly no --dir "$data/redis-$port" \
    --daemonize yes "$@" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return
    sleep 0.1
  done
  echo "redis-server on $port did not start" >&2
  exit 1
}
