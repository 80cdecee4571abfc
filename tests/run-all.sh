#!/usr/bin/env bash
# The project's one test command: formatting, lints and every test suite.
# Run from anywhere: `bash tests/run-all.sh`. Installs what it needs, idempotently.
# CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

# Everything is also written to a log, from which the closing line adds up the tests run.
LOG=$(mktemp "${TMPDIR:-/tmp}/community-tests.XXXXXX")
exec > >(tee "$LOG") 2>&1
TEE_PID=$!
finish() { exec >&- 2>&-; wait "$TEE_PID" 2>/dev/null || true; rm -f "$LOG"; }
trap finish EXIT

step "rustfmt"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
# Default members only, so uniffi-bindgen's CLI features are not unified into the FFI
# library; the bindgen crate is linted on its own.
cargo clippy --all-targets --locked -- -D warnings
cargo clippy -p uniffi-bindgen --locked -- -D warnings
# The PostgreSQL store is behind a feature (issue 15, docs/MULTINODE.md): linted too.
cargo clippy -p community-server-domain --features postgres --all-targets --locked -- -D warnings

step "services the tests start by themselves: PostgreSQL, nats-server (Debian packages, once)"
# The tests run their own throwaway PostgreSQL cluster and nats-server on 127.0.0.1 and
# stop them; only the binaries are needed.
need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

step "Rust tests (protocol, server, SDK, end-to-end)"
cargo test --locked

step "the domain suite again, over PostgreSQL (a throwaway cluster on 127.0.0.1)"
COMMUNITY_TEST_STORE=postgres cargo test --locked -p community-server-domain --features postgres --lib

step "end-to-end suite again, every community large (slow path, PROTOCOL.md §9.5)"
COMMUNITY_E2E_LARGE=1 cargo test --locked -p community-e2e

step "end-to-end suite on two nodes: the cluster subset (docs/MULTINODE.md), clients spread over both"
# The same test binaries; every test server is two nodes over one PostgreSQL database and
# one nats-server. The subset and what it leaves out (and why) are in the script.
bash "$ROOT/tests/e2e-cluster.sh"

if [ -x "$ROOT/tests/bindings.sh" ]; then
  step "bindings (C, Kotlin, Python; Swift generated)"
  bash "$ROOT/tests/bindings.sh"
fi
if [ -x "$ROOT/tests/packaging.sh" ]; then
  step "packaging (wheel, jar, AAR, C package, Unity package, server tarball: installed and run)"
  bash "$ROOT/tests/packaging.sh"
fi
step "all suites passed"
# cargo's "test result: ok. N passed", the C, Kotlin, C# and packaging "N passed, 0 failed",
# unittest's "Ran N tests".
total=$(grep -hoE '^test result: ok\. [0-9]+ passed|^[0-9]+ passed, 0 failed$|^Ran [0-9]+ tests?' "$LOG" \
  | grep -oE '[0-9]+' | awk '{ n += $1 } END { print n + 0 }')
echo "$total passed, 0 failed"
