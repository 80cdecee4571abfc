#!/usr/bin/env bash
# The bindings' test command: builds the FFI library, checks that the generated sources
# (Kotlin, Python, Swift via uniffi; the C header via cbindgen; C# via
# bindings/csharp/generate.py) are fresh, then runs the same scenario in Kotlin (JVM + JNA),
# Python (asyncio), C (under valgrind when present) and C# (Mono, tests/csharp.sh) against
# a real community-server on 127.0.0.1, and builds the examples.
#
#   bash tests/bindings.sh            # check + test (fails when a generated file is stale)
#   bash tests/bindings.sh --update   # rewrite the generated files, then test
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
UPDATE=0
[ "${1:-}" = "--update" ] && UPDATE=1
START=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }

eval "$(bash tests/install-tools.sh)"
export KOTLINC KOTLIN_LIB JNA_JAR
# Every binding's version() must be the workspace version (scripts/version.sh).
export CSDK_EXPECTED_VERSION=$(bash scripts/version.sh)
# Cargo's target directory (CARGO_TARGET_DIR when set, as cargo itself does).
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LIB=$TARGET/debug/libcommunity_sdk_ffi.so
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-bindings.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step "build the FFI library, the server and the uniffi-bindgen CLI"
cargo build --locked -p community-sdk-ffi -p community-server
# Built alone so uniffi's CLI features stay out of the library (feature unification).
cargo build --locked -p uniffi-bindgen

step "generate bindings (library mode, unstripped debug .so) and the C header"
GEN=$WORK/gen
for lang in kotlin python swift; do
  "$TARGET/debug/uniffi-bindgen" generate --library "$LIB" --language "$lang" --no-format \
    --out-dir "$GEN/$lang" >/dev/null
done
mkdir -p "$GEN/c"
"$CBINDGEN" --quiet --config sdk-ffi/cbindgen.toml --crate community-sdk-ffi \
  --output "$GEN/c/community_sdk.h" sdk-ffi
# The C# binding's generated sources, from the header just generated (and the FFI records).
python3 bindings/csharp/generate.py --header "$GEN/c/community_sdk.h" --out "$GEN/csharp"
STALE=0
fresh() { # generated checked-in
  if ! cmp -s "$1" "$2"; then
    if [ "$UPDATE" = 1 ]; then
      mkdir -p "$(dirname "$2")"; cp "$1" "$2"; echo "updated $2"
    else
      echo "STALE: $2 differs from the generated file (run: bash tests/bindings.sh --update)"
      STALE=1
    fi
  fi
}
fresh "$GEN/kotlin/dev/community/sdk/community_sdk_ffi.kt" bindings/kotlin/src/main/kotlin/dev/community/sdk/generated/community_sdk_ffi.kt
fresh "$GEN/python/community_sdk_ffi.py" bindings/python/community_sdk/generated/community_sdk_ffi.py
fresh "$GEN/swift/CommunitySDK.swift" bindings/swift/Sources/CommunitySDK/generated/CommunitySDK.swift
fresh "$GEN/swift/CommunitySDKFFI.h" bindings/swift/Sources/CommunitySDKFFI/include/CommunitySDKFFI.h
fresh "$GEN/swift/CommunitySDKFFI.modulemap" bindings/swift/Sources/CommunitySDKFFI/include/module.modulemap
fresh "$GEN/c/community_sdk.h" include/community_sdk.h
for cs in Native/NativeMethods.g.cs Generated/Codes.g.cs Generated/Records.g.cs Generated/Api.g.cs; do
  fresh "$GEN/csharp/Runtime/$cs" "bindings/csharp/Runtime/$cs"
done
if [ "$STALE" = 1 ]; then
  echo "generated bindings are stale"; exit 1
fi
echo "generated sources are fresh"

step "start community-server on 127.0.0.1 (ephemeral port)"
DATA=$WORK/server-data
mkdir -p "$DATA"
"$TARGET/debug/community-server" serve --listen 127.0.0.1:0 --data-dir "$DATA" >"$WORK/server.out" 2>"$WORK/server.err" &
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
export CSDK_TOKEN_ALICE=$("$TARGET/debug/community-server" token --data-dir "$DATA" --user alice 2>/dev/null)
export CSDK_TOKEN_BOB=$("$TARGET/debug/community-server" token --data-dir "$DATA" --user bob 2>/dev/null)
export CSDK_TOKEN_CAROL=$("$TARGET/debug/community-server" token --data-dir "$DATA" --user carol 2>/dev/null)
echo "server at $URL"

expect_summary() { # log-file: the last line must be "N passed, 0 failed" with N > 0
  local last; last=$(tail -n1 "$1")
  echo "$last" | grep -Eq '^[1-9][0-9]* passed, 0 failed$' || { echo "unexpected summary: $last"; exit 1; }
}

step "C (static and dynamic)"
mkdir -p "$WORK/c"
CFLAGS="-std=c11 -Wall -Wextra -Werror -pthread -Iinclude"
gcc $CFLAGS bindings/c/test_bindings.c -L "$TARGET/debug" -lcommunity_sdk_ffi \
  -Wl,-rpath,"$TARGET/debug" -o "$WORK/c/test_dyn"
gcc $CFLAGS examples/c/quickstart.c -L "$TARGET/debug" -lcommunity_sdk_ffi \
  -Wl,-rpath,"$TARGET/debug" -o "$WORK/c/quickstart"
gcc $CFLAGS bindings/c/test_bindings.c "$TARGET/debug/libcommunity_sdk_ffi.a" \
  -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$WORK/c/test_static"
if command -v valgrind >/dev/null; then
  valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=1 \
    "$WORK/c/test_dyn" | tee "$WORK/c/dyn.log"
else
  "$WORK/c/test_dyn" | tee "$WORK/c/dyn.log"
fi
expect_summary "$WORK/c/dyn.log"
"$WORK/c/test_static" | tee "$WORK/c/static.log"
expect_summary "$WORK/c/static.log"
# The member list (its own file: test_bindings.c is long enough).
gcc $CFLAGS bindings/c/test_member_list.c -L "$TARGET/debug" -lcommunity_sdk_ffi \
  -Wl,-rpath,"$TARGET/debug" -o "$WORK/c/member_list"
if command -v valgrind >/dev/null; then
  valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=1 "$WORK/c/member_list" | tee "$WORK/c/member_list.log"
else
  "$WORK/c/member_list" | tee "$WORK/c/member_list.log"
fi
expect_summary "$WORK/c/member_list.log"
# Push tokens.
gcc $CFLAGS bindings/c/test_push.c -L "$TARGET/debug" -lcommunity_sdk_ffi \
  -Wl,-rpath,"$TARGET/debug" -o "$WORK/c/push"
if command -v valgrind >/dev/null; then
  valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=1 "$WORK/c/push" | tee "$WORK/c/push.log"
else
  "$WORK/c/push" | tee "$WORK/c/push.log"
fi
expect_summary "$WORK/c/push.log"
"$WORK/c/quickstart"

step "Python (asyncio, unittest)"
PYPKG=$WORK/python
mkdir -p "$PYPKG"
cp -r bindings/python/community_sdk "$PYPKG/"
cp "$LIB" "$PYPKG/community_sdk/generated/"
(cd bindings/python/tests && PYTHONPATH=$PYPKG python3 -m unittest -v test_bindings test_member_list test_push)
PYTHONPATH=$PYPKG python3 examples/python/quickstart.py

step "Kotlin (kotlinc, JVM + JNA)"
KCP=$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar
# The API once (cached by content under the target directory; the packaging step reuses
# it for the jar), then the test and the example against it.
API_JAR=$(bash scripts/kotlin-classes.sh)
"$KOTLINC" -nowarn bindings/kotlin/src/test/kotlin/BindingsTest.kt \
  bindings/kotlin/src/test/kotlin/MemberListTest.kt bindings/kotlin/src/test/kotlin/PushTest.kt \
  examples/kotlin/Quickstart.kt \
  -cp "$API_JAR:$KCP" -d "$WORK/kotlin.jar" 2>&1 | grep -v '^warning:' || true
[ -f "$WORK/kotlin.jar" ] || { echo "kotlinc failed"; exit 1; }
RUN_CP=$WORK/kotlin.jar:$API_JAR:$KCP:$KOTLIN_LIB/kotlin-stdlib.jar
java -Djna.library.path="$TARGET/debug" -cp "$RUN_CP" BindingsTestKt | tee "$WORK/kotlin.log"
expect_summary "$WORK/kotlin.log"
java -Djna.library.path="$TARGET/debug" -cp "$RUN_CP" dev.community.examples.QuickstartKt

step "C# (Mono: mcs + mono, the P/Invoke model of Unity)"
bash tests/csharp.sh

step "bindings passed in $(( $(date +%s) - START )) s"
