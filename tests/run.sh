#!/usr/bin/env bash
# Runs Meridian's whole test suite from a fresh clone: installs what the tests need when it is
# missing (Debian/Ubuntu packages, when run as root; rustup components; cargo-machete), checks
# formatting and unused dependencies, builds once, lints, then runs every test with limited
# parallelism (the suites start many nodes; two test threads keep a 2-core box sane).
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server/redis-cli: the RESP differential tests compare Meridian with a real Redis.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing redis-server (needed by the RESP tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  else
    echo "redis-server is missing: install it (e.g. 'sudo apt-get install redis-server') and rerun" >&2
    exit 1
  fi
fi

# Drift checks that take seconds come first, so a forgotten rustfmt or a dependency left behind
# fails the run before the build. rustfmt and clippy are rustup components (a minimal profile
# lacks them); cargo-machete is installed once, from crates.io, when missing.
if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi
if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi
started=$SECONDS
cargo fmt --all -- --check
echo "rustfmt check: $((SECONDS - started)) s"
started=$SECONDS
if ! command -v cargo-machete >/dev/null 2>&1; then
  echo "installing cargo-machete (unused dependency check)"
  cargo install cargo-machete --locked
fi
# Fails when a Cargo.toml declares a dependency its crate never uses (a false positive, such as
# a crate only code generated into OUT_DIR uses, is listed under [package.metadata.cargo-machete]).
cargo machete
echo "unused dependencies check (cargo-machete, with its install when it ran): $((SECONDS - started)) s"

started=$SECONDS
cargo build --workspace --all-targets --locked
echo "build: $((SECONDS - started)) s"

# Lints after the build: it reuses most of what the build compiled for the host (build scripts,
# proc macros) and only checks the rest.
started=$SECONDS
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "clippy: $((SECONDS - started)) s"

# The docker end-to-end test runs the image of a static release build: built here, once, so
# its time shows apart (the test itself only checks that both are current). Without a docker
# engine the test says it skipped, or fails when MERIDIAN_REQUIRE_DOCKER=1 (as in CI).
if docker info >/dev/null 2>&1; then
  started=$SECONDS
  ./target/debug/meridian docker build
  echo "static build + image: $((SECONDS - started)) s"
elif [ "${MERIDIAN_REQUIRE_DOCKER:-0}" = 1 ]; then
  echo "MERIDIAN_REQUIRE_DOCKER=1 but the docker engine does not answer (docker info failed)" >&2
  exit 1
else
  echo "no docker engine: the docker end-to-end test will skip"
fi
tests_started=$SECONDS
cargo test --workspace --locked --no-fail-fast -- --test-threads=2
echo "tests: $((SECONDS - tests_started)) s (each suite's own time is on its 'test result' line)"

# The compatibility suites (tests/compat/): Redis 7.0.15's own Tcl test suite and redis-py's,
# each against redis-server and Meridian side by side, fetched at run time and bounded per
# unit / test file. The run fails when Meridian's pass ratio (tests passed on both / tests
# passed on redis-server) falls below the floor. They run the static release binary built
# above when there is one (else they build target/release/meridian).
static_bin=target/static/x86_64-unknown-linux-gnu/release/meridian
if [ -x "$static_bin" ]; then export MERIDIAN_BIN=$PWD/$static_bin; fi
started=$SECONDS
MERIDIAN_COMPAT_MIN=${MERIDIAN_REDIS_SUITE_MIN:-0.95} ./tests/compat/redis_suite.sh
echo "redis test suite: $((SECONDS - started)) s"
started=$SECONDS
MERIDIAN_COMPAT_MIN=${MERIDIAN_REDIS_PY_MIN:-0.95} ./tests/compat/redis_py.sh
echo "redis-py test suite: $((SECONDS - started)) s"
