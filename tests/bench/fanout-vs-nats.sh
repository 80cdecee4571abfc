#!/usr/bin/env bash
# Fan-out of community-server against nats-server on this machine (issue 14: P1, P2, P3
# and isolation). Not part of the normal test command: run it by hand.
#
#   tests/bench/fanout-vs-nats.sh                      # N = 1,000 and 5,000, both servers
#   tests/bench/fanout-vs-nats.sh --clients 1000       # any flag of the program
#
# It builds the release binaries once, installs nats-server from Debian if it is missing,
# and runs server/examples/fanout_vs_nats: both servers as processes of their own on
# 127.0.0.1, the same message and subscriber counts, one table at the end (the figures per
# run go to stderr). Everything stops by itself (every wait in the program is bounded).
set -euo pipefail

cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if ! command -v nats-server >/dev/null 2>&1; then
    echo "installing nats-server" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get install -y nats-server >&2 || {
        $sudo apt-get update >&2
        $sudo apt-get install -y nats-server >&2
    }
fi
nats-server --version >&2

cargo build --release --locked -p community-server --bin community-server --example fanout_vs_nats >&2

# Each connection needs a descriptor in the server and one in the load program.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec timeout 1800 "$CARGO_TARGET_DIR/release/examples/fanout_vs_nats" \
    --server-bin "$CARGO_TARGET_DIR/release/community-server" "$@"
