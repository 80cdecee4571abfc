#!/usr/bin/env bash
# The C# binding (bindings/csharp) under Mono: installs Mono from Debian's packages once
# (idempotent), compiles the package's Runtime with mcs (the language level Unity and mcs
# share), runs the scenario and the callback storm (bindings/csharp/Tests) against a real
# community-server, compiles the Unity sample against a stand-in of UnityEngine and runs it
# on a main-thread pump. Called by tests/bindings.sh with the server running
# (CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB); alone it builds and starts its own.
#
#   bash tests/csharp.sh                    # test (debug library)
#   bash tests/csharp.sh --bench            # + the benchmark (release library; builds it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=0
[ "${1:-}" = "--bench" ] && BENCH=1
step() { printf '\n==> %s\n' "$*"; }

# Mono from Debian's packages (mono-mcs: the compiler; mono-runtime: the VM), once.
if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mono-mcs mono-runtime >&2
fi

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=debug
[ "$BENCH" = 1 ] && PROFILE=release
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-csharp.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${CSDK_SERVER_URL:-}" ] || [ "$BENCH" = 1 ]; then
  step "build the FFI library and the server ($PROFILE)"
  if [ "$PROFILE" = release ]; then
    cargo build --locked --release -p community-sdk-ffi -p community-server
  else
    cargo build --locked -p community-sdk-ffi -p community-server
  fi
  step "start community-server on 127.0.0.1 (ephemeral port)"
  DATA=$WORK/server-data
  mkdir -p "$DATA"
  "$TARGET/$PROFILE/community-server" serve --listen 127.0.0.1:0 --data-dir "$DATA" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  URL=""
  for _ in $(seq 1 300); do # at most 30 s
    URL=$(grep -o 'ws://[^ )]*' "$WORK/server.out" 2>/dev/null | head -n1 || true)
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err"; echo "the server exited"; exit 1; }
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$WORK/server.err"; echo "the server did not report its URL within 30 s"; exit 1; }
  export CSDK_SERVER_URL=$URL
  export CSDK_TOKEN_ALICE=$("$TARGET/$PROFILE/community-server" token --data-dir "$DATA" --user alice 2>/dev/null)
  export CSDK_TOKEN_BOB=$("$TARGET/$PROFILE/community-server" token --data-dir "$DATA" --user bob 2>/dev/null)
  export CSDK_TOKEN_CAROL=$("$TARGET/$PROFILE/community-server" token --data-dir "$DATA" --user carol 2>/dev/null)
  echo "server at $URL"
fi

CS=bindings/csharp
MCS="mcs -langversion:7.2 -unsafe -warnaserror -nowarn:1591"
step "compile the package (mcs $(mcs --version | awk '{print $NF}'), C# 7.2, .NET 4.x profile)"
$MCS -target:library -out:"$WORK/CommunitySdk.dll" $(find $CS/Runtime -name '*.cs' | sort)
$MCS -target:exe -r:"$WORK/CommunitySdk.dll" -r:System.Core.dll -out:"$WORK/BindingsTest.exe" $CS/Tests~/BindingsTest.cs
$MCS -target:exe -r:"$WORK/CommunitySdk.dll" -r:System.Core.dll -out:"$WORK/MemberListTest.exe" $CS/Tests~/MemberListTest.cs
$MCS -target:exe -r:"$WORK/CommunitySdk.dll" -r:System.Core.dll -out:"$WORK/PushTest.exe" $CS/Tests~/PushTest.cs
# The Unity sample, against a stand-in of the few UnityEngine types it uses.
$MCS -target:exe -r:"$WORK/CommunitySdk.dll" -r:System.Core.dll -out:"$WORK/SampleRun.exe" \
  $CS/Samples~/Quickstart/CommunityQuickstart.cs $CS/Tests~/UnityStandIn.cs
export LD_LIBRARY_PATH="$TARGET/$PROFILE${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

expect_summary() { # log-file: the last line must be "N passed, 0 failed" with N > 0
  local last; last=$(tail -n1 "$1")
  echo "$last" | grep -Eq '^[1-9][0-9]* passed, 0 failed$' || { echo "unexpected summary: $last"; exit 1; }
}

if [ "$BENCH" = 1 ]; then
  step "benchmark (release library)"
  # compiled with the package's sources: it also times the bare native call (internal handle)
  $MCS -optimize+ -target:exe -r:System.Core.dll -out:"$WORK/Bench.exe" $(find $CS/Runtime -name '*.cs' | sort) $CS/Tests~/Bench.cs
  mono --optimize=all "$WORK/Bench.exe"
  exit 0
fi

step "C# scenario and callback storm (Mono $(mono --version | head -n1 | awk '{print $5}'))"
mono --debug "$WORK/BindingsTest.exe" | tee "$WORK/csharp.log"
expect_summary "$WORK/csharp.log"

step "C# member list"
mono --debug "$WORK/MemberListTest.exe" | tee "$WORK/member_list.log"
expect_summary "$WORK/member_list.log"

step "C# push tokens"
mono --debug "$WORK/PushTest.exe" | tee "$WORK/push.log"
expect_summary "$WORK/push.log"

step "the Unity sample (MonoBehaviour on a main-thread pump)"
mono --debug "$WORK/SampleRun.exe"
