#!/usr/bin/env bash
# The project's one test command: formatting, lints and every test suite.
# Run from anywhere: `bash tests/run-all.sh`. Installs what it needs, idempotently.
# CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (protocol, server, SDK, end-to-end)"
cargo test --workspace --locked

if [ -x "$ROOT/tests/bindings.sh" ]; then
  step "bindings (C, Kotlin, Python; Swift generated)"
  bash "$ROOT/tests/bindings.sh"
fi
step "all suites passed"
