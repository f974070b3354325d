# Shared by the bench scripts (sourced): reading the table `meridian up` prints.
# Usage: leader_resp CLUSTER UP_OUTPUT_FILE -> host:port of the cluster's leader's RESP port;
#        follower_resp CLUSTER UP_OUTPUT_FILE -> the same for one of its followers.
# The table is printed once every cluster had a leader; a later election is not seen here.
leader_resp() {
  awk -v c="$1" '$1 == "cluster" && $2 == c { id = $5; on = 1; next }
    $1 == "cluster" { on = 0 } on && $1 == id { print $NF; exit }' "$2"
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
