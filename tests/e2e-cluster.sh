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
  backpressure close cold_cache conversation damaged_events faults large management
  message_life notification people permission_matrix resume roles search session spread
  threads
)
# Left out, with the reason (docs/MULTINODE.md lists them too):
skips=(
  # The server is stopped, killed or restarted: not yet possible for a node over
  # PostgreSQL inside a test (its pool's blocking clients panic when dropped on an async
  # thread), so the harness refuses.
  changes_made_offline_are_kept_and_carried_out_once_after_a_restart
  a_direct_conversation_is_exact_on_every_device_and_survives_a_restart
  a_thread_stream_survives_cuts_and_a_killed_server_once
  # Presence does not cross nodes yet (the member list puts online members first; each
  # node sees only its own users online); voice state does not cross nodes yet.
  presence_follows_devices_and_invisible_shows_offline_to_others_only
  voice_state_moves_between_channels_and_clears_when_the_user_goes
  the_member_list_follows_a_nickname_as_a_fresh_subscription_sees_it
  # A second login of one device on the other node does not end the first session
  # (sessions are per node; the link carries commits and typing).
  a_second_login_on_the_same_device_replaces_the_first
)
args=()
for file in "${files[@]}"; do args+=(--test "$file"); done
filters=()
for skip in "${skips[@]}"; do filters+=(--skip "$skip"); done
COMMUNITY_E2E_CLUSTER=1 cargo test --locked -p community-e2e "${args[@]}" "$@" -- "${filters[@]}"
