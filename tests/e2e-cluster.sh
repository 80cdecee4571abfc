#!/usr/bin/env bash
# The end-to-end subset that runs on two server nodes (issue 15, docs/MULTINODE.md
# "End-to-end suite on two nodes"): COMMUNITY_E2E_CLUSTER=1 makes every test server two
# nodes over one fresh PostgreSQL database and one nats-server, clients spread over both.
# Needs nats-server and PostgreSQL installed (tests/run-all.sh installs them). Reuses the
# test binaries `cargo test` built; extra arguments go to cargo test after the filters.
# Run from anywhere: `bash tests/e2e-cluster.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Whole files: every test in them runs on two nodes.
files=(
  admin backpressure close cold_cache conversation damaged_events faults kill_stream large
  lifecycle management message_life muted notification offline_send people
  permission_matrix push restart_offline resume roles search session spread threads
)
# Left out, with the reason (docs/MULTINODE.md lists them too):
# - cluster_chaos: runs its own cluster of node processes in every mode.
skips=()
args=()
for file in "${files[@]}"; do args+=(--test "$file"); done
filters=()
for skip in "${skips[@]+"${skips[@]}"}"; do filters+=(--skip "$skip"); done
COMMUNITY_E2E_CLUSTER=1 cargo test --locked -p community-e2e "${args[@]}" "$@" -- "${filters[@]}"
