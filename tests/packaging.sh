#!/usr/bin/env bash
# The packaging test: builds every artifact with scripts/dist.sh (from the debug build the
# bindings step left, stripped; `--release` packages a release build instead), installs
# each one into a clean place and runs its quick start against a real community-server on
# 127.0.0.1, started from the server's release tarball:
#   Python   a fresh virtualenv, `pip install` the wheel, run examples/python/quickstart.py
#            (isolated: nothing else on the path)
#   JVM      a folder with only the jar, JNA and Kotlin's runtime jars; the Kotlin quick
#            start compiled against it; JNA loads the library from inside the jar
#   Android  the AAR's layout (the Linux library standing in for arm64-v8a)
#   C        install.sh --prefix into an empty prefix; the C quick start built with
#            `pkg-config --cflags --libs community_sdk` alone (and statically)
#   Unity    the UPM tarball unpacked; its Runtime and sample compiled with Mono and run
#            with the plugin from the package
#   server   the tarball's binary: --version, its sample config, and it is the test's server
# It checks that every artifact carries the workspace version (scripts/version.sh), that
# the wheel and the jar hold no test or debug files and stripped libraries, and prints the
# sizes. Idempotent, loopback only, bounded (every step has a timeout).
#
#   bash tests/packaging.sh             # after tests/bindings.sh (reuses its debug build)
#   bash tests/packaging.sh --release   # package and test the release build (builds it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROFILE=debug
[ "${1:-}" = "--release" ] && PROFILE=release
START=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }
CHECKS=0
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { echo "FAIL $*"; exit 1; }
check() { # description command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# What the checks need, idempotently: pkg-config, CMake (find_package of the C package) and
# the venv module (Debian packages),
# kotlinc and JNA (tests/install-tools.sh), Mono (tests/csharp.sh installs it; optional here).
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
need_apt=()
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v cmake >/dev/null || need_apt+=(cmake)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
eval "$(bash tests/install-tools.sh)"
export KOTLINC KOTLIN_LIB JNA_JAR

VERSION=$(bash scripts/version.sh)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-packaging.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# Nothing from the build may leak into the installed artifacts' runs.
unset PYTHONPATH LD_LIBRARY_PATH CLASSPATH PKG_CONFIG_PATH

step "version $VERSION: every checked-in version agrees"
bash scripts/version.sh --check
pass "checked-in versions are $VERSION"

step "build the artifacts (scripts/dist.sh, $PROFILE build)"
if [ "$PROFILE" = release ]; then
  cargo build --locked --release -p community-sdk-ffi -p community-server
else # a no-op after tests/bindings.sh
  cargo build --locked -p community-sdk-ffi -p community-server
fi
DIST=$WORK/dist
DIST_START=$(date +%s)
timeout 600 bash scripts/dist.sh --profile "$PROFILE" --no-build --out "$DIST" \
  --android-lib "arm64-v8a=$TARGET/$PROFILE/libcommunity_sdk_ffi.so" python jvm aar c unity server
DIST_SECS=$(( $(date +%s) - DIST_START ))
PLATFORM=linux-$(uname -m)
WHEEL=$(ls "$DIST"/community_sdk-"$VERSION"-py3-none-*.whl)
JAR=$DIST/community-sdk-$VERSION.jar
AAR=$DIST/community-sdk-android-$VERSION.aar
CTAR=$DIST/community_sdk-$VERSION-$PLATFORM.tar.gz
UPM=$DIST/dev.community.sdk-$VERSION.tgz
STAR=$DIST/community-server-$VERSION-$PLATFORM.tar.gz
for f in "$WHEEL" "$JAR" "$DIST/community-sdk-$VERSION.pom" "$AAR" "$DIST/community-sdk-android-$VERSION.pom" "$CTAR" "$UPM" "$STAR"; do
  check "artifact $(basename "$f") (named for $VERSION)" test -s "$f"
done

stripped() { # an ELF file without debug information or a symbol table (.debug_gdb_scripts,
  # rustc's pointer to pretty-printers, is loaded data and stays)
  ! readelf -SW "$1" | grep -qE '\.debug_(info|line|str|abbrev|ranges|loc)|\.symtab'
}

step "server tarball: binary, sample config, systemd unit, README; it serves this test"
mkdir -p "$WORK/server"
tar xzf "$STAR" -C "$WORK/server"
SRV=$WORK/server/community-server-$VERSION-$PLATFORM
for f in bin/community-server community-server.toml community-server.service README.md; do
  check "server tarball has $f" test -s "$SRV/$f"
done
check "the server binary is stripped" stripped "$SRV/bin/community-server"
check "community-server --version says $VERSION" \
  test "$("$SRV/bin/community-server" --version)" = "community-server $VERSION"
check "the tarball's README names $VERSION" grep -q "community-server $VERSION" "$SRV/README.md"
DATA=$WORK/server-data
mkdir -p "$DATA"
# The sample config as shipped; the flags override its address and data directory.
"$SRV/bin/community-server" serve --config "$SRV/community-server.toml" --listen 127.0.0.1:0 \
  --data-dir "$DATA" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do # at most 30 s
  URL=$(grep -o 'ws://[^ )]*' "$WORK/server.out" 2>/dev/null | head -n1 || true)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err"; fail "the packaged server exited"; }
  sleep 0.1
done
[ -n "$URL" ] || { cat "$WORK/server.err"; fail "the packaged server did not report its URL within 30 s"; }
case "$URL" in ws://127.0.0.1:*) ;; *) fail "not loopback: $URL" ;; esac
pass "the packaged server runs with its sample config at $URL"
export CSDK_SERVER_URL=$URL
CSDK_TOKEN_ALICE=$("$SRV/bin/community-server" token --data-dir "$DATA" --user alice 2>/dev/null)
export CSDK_TOKEN_ALICE

quickstart_ok() { # log language-text
  grep -qx "community-sdk $VERSION" "$1" || { cat "$1"; return 1; }
  grep -q "$2" "$1" || { cat "$1"; return 1; }
}

step "Python: the wheel in a fresh virtualenv"
check "wheel METADATA says Version: $VERSION" \
  test "$(unzip -p "$WHEEL" "community_sdk-$VERSION.dist-info/METADATA" | sed -n 's/^Version: //p')" = "$VERSION"
unzip -Z1 "$WHEEL" >"$WORK/wheel.list"
check "the wheel holds the native library" grep -qx 'community_sdk/generated/libcommunity_sdk_ffi.so' "$WORK/wheel.list"
check "the wheel holds no tests, caches or debug files" \
  bash -c "! grep -E '(^|/)(tests?|__pycache__)/|\\.(pyc|pdb|a|d)$' '$WORK/wheel.list'"
mkdir -p "$WORK/wheel-lib"
unzip -q -o "$WHEEL" community_sdk/generated/libcommunity_sdk_ffi.so -d "$WORK/wheel-lib"
check "the wheel's library is stripped" stripped "$WORK/wheel-lib/community_sdk/generated/libcommunity_sdk_ffi.so"
check "the wheel's RECORD lists every file with its sha256 and size" python3 - "$WHEEL" <<'EOF'
import base64, csv, hashlib, io, sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
record = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(wheel.read(record).decode()))}
assert set(rows) == set(wheel.namelist()), set(rows) ^ set(wheel.namelist())
for name, (digest, size) in rows.items():
    if name == record:
        continue
    data = wheel.read(name)
    want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert (digest, int(size)) == (want, len(data)), name
EOF
timeout 120 python3 -m venv "$WORK/venv"
timeout 120 "$WORK/venv/bin/python" -m pip install --quiet --no-index --no-deps --disable-pip-version-check "$WHEEL"
pass "pip install $(basename "$WHEEL") into a fresh virtualenv"
mkdir -p "$WORK/py-app"
cp examples/python/quickstart.py "$WORK/py-app/"
(cd "$WORK/py-app" && timeout 120 "$WORK/venv/bin/python" -I -c \
  "import community_sdk, sys; assert community_sdk.__file__.startswith(sys.prefix), community_sdk.__file__; assert community_sdk.__version__ == '$VERSION'; print(community_sdk.__file__)")
pass "import community_sdk resolves inside the virtualenv; __version__ is $VERSION"
(cd "$WORK/py-app" && timeout 120 "$WORK/venv/bin/python" -I quickstart.py) | tee "$WORK/py.log"
check "the Python quick start ran from the wheel (version $VERSION, message read back)" quickstart_ok "$WORK/py.log" "read back"
check "pip show says $VERSION" \
  test "$("$WORK/venv/bin/python" -m pip show --disable-pip-version-check community-sdk | sed -n 's/^Version: //p')" = "$VERSION"

SDIST=$DIST/community_sdk-$VERSION.tar.gz
mkdir -p "$WORK/sdist"
tar xzf "$SDIST" -C "$WORK/sdist"
SD=$WORK/sdist/community_sdk-$VERSION
check "the sdist's PKG-INFO and pyproject.toml say $VERSION" \
  bash -c "grep -qx 'Version: $VERSION' '$SD/PKG-INFO' && grep -qx 'version = \"$VERSION\"' '$SD/pyproject.toml'"
check "the sdist's backend prepares the wheel's metadata for $VERSION (without building)" \
  bash -c "cd '$SD' && python3 -c 'import sys; sys.path.insert(0, \"build_backend\"); import community_sdk_build as b; print(b.prepare_metadata_for_build_wheel(sys.argv[1]))' '$WORK/sdist-meta' >/dev/null \
    && grep -qx 'Version: $VERSION' '$WORK/sdist-meta/community_sdk-$VERSION.dist-info/METADATA'"
check "the sdist's Rust workspace is the three crates at $VERSION" \
  test "$(cargo metadata --no-deps --format-version 1 --manifest-path "$SD/rust/Cargo.toml" \
    | python3 -c 'import json,sys; print(sorted((p["name"], p["version"]) for p in json.load(sys.stdin)["packages"]))')" \
    = "[('community-protocol', '$VERSION'), ('community-sdk', '$VERSION'), ('community-sdk-ffi', '$VERSION')]"
check "the sdist holds Cargo.lock and no integration tests, build outputs or libraries" \
  bash -c "test -s '$SD/rust/Cargo.lock' && ! tar tzf '$SDIST' | grep -E '/rust/[^/]+/(tests|examples)/|/(target|__pycache__)/|\.(so|dylib|dll|a|pyc)$'"

step "JVM: the jar + JNA + Kotlin's runtime jars, nothing else"
unzip -Z1 "$JAR" >"$WORK/jar.list"
check "the jar holds linux-x86-64/libcommunity_sdk_ffi.so (JNA's resource path)" \
  grep -qx "linux-$(uname -m | sed 's/_/-/g')/libcommunity_sdk_ffi.so" "$WORK/jar.list"
check "the jar holds the Kotlin API" grep -qx 'dev/community/sdk/Client.class' "$WORK/jar.list"
check "the jar holds no tests or debug files" \
  bash -c "! grep -iE '(^|/)tests?/|BindingsTest|Quickstart|\\.(pdb|a)$' '$WORK/jar.list'"
mkdir -p "$WORK/jar-lib"
(cd "$WORK/jar-lib" && unzip -q "$JAR" "linux-*/libcommunity_sdk_ffi.so")
check "the jar's library is stripped" stripped "$WORK/jar-lib"/linux-*/libcommunity_sdk_ffi.so
check "the jar's pom.properties says $VERSION" \
  grep -qx "version=$VERSION" <(unzip -p "$JAR" META-INF/maven/dev.community/community-sdk/pom.properties)
check "the jar's manifest says Implementation-Version: $VERSION" \
  grep -q "^Implementation-Version: $VERSION" <(unzip -p "$JAR" META-INF/MANIFEST.MF)
check "the pom declares dev.community:community-sdk:$VERSION" \
  grep -q "<version>$VERSION</version>" "$DIST/community-sdk-$VERSION.pom"
for dep in jna kotlin-stdlib kotlinx-coroutines-core-jvm; do
  check "the pom depends on $dep" grep -q "<artifactId>$dep</artifactId>" "$DIST/community-sdk-$VERSION.pom"
done
APP=$WORK/jvm-app
mkdir -p "$APP/lib"
cp "$JAR" "$JNA_JAR" "$KOTLIN_LIB/kotlin-stdlib.jar" "$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar" "$APP/lib/"
APP_CP=$(ls "$APP"/lib/*.jar | tr '\n' ':')
timeout 300 "$KOTLINC" -nowarn examples/kotlin/Quickstart.kt -cp "$APP_CP" -d "$APP/quickstart.jar" 2>&1 \
  | grep -v '^warning:' || true
check "the Kotlin quick start compiles against the jar" test -f "$APP/quickstart.jar"
(cd "$APP" && timeout 120 java -Djna.debug_load=true -cp "$APP_CP$APP/quickstart.jar" dev.community.examples.QuickstartKt) \
  >"$WORK/kt.log" 2>&1 || { cat "$WORK/kt.log"; fail "the Kotlin quick start failed"; }
grep -vE '^(INFO|FINE|WARNING):|^[A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4} ' "$WORK/kt.log" || true # JNA's log
check "the Kotlin quick start ran from the jar (version $VERSION, message read back)" quickstart_ok "$WORK/kt.log" "read back"
check "JNA loaded the library from inside the jar" grep -q "jar:file:$APP/lib/$(basename "$JAR")" "$WORK/kt.log"

step "Android: the AAR's layout (the Linux library standing in for arm64-v8a)"
unzip -Z1 "$AAR" >"$WORK/aar.list"
for f in AndroidManifest.xml classes.jar jni/arm64-v8a/libcommunity_sdk_ffi.so proguard.txt R.txt; do
  check "the AAR has $f" grep -qx "$f" "$WORK/aar.list"
done
check "the AAR's classes.jar holds the API and no native library" \
  bash -c "unzip -p '$AAR' classes.jar >'$WORK/classes.jar' && unzip -Z1 '$WORK/classes.jar' | grep -qx dev/community/sdk/Client.class \
    && ! unzip -Z1 '$WORK/classes.jar' | grep -q '\\.so$'"
check "the AAR's manifest says versionName $VERSION" \
  grep -q "android:versionName=\"$VERSION\"" <(unzip -p "$AAR" AndroidManifest.xml)
check "the AAR's pom says $VERSION and packaging aar" \
  bash -c "grep -q '<version>$VERSION</version>' '$DIST/community-sdk-android-$VERSION.pom' && grep -q '<packaging>aar</packaging>' '$DIST/community-sdk-android-$VERSION.pom'"

step "C: install under a fresh prefix, build with pkg-config alone"
PREFIX=$WORK/prefix
bash scripts/dist.sh --prefix "$PREFIX" install-c "$CTAR"
for f in include/community_sdk.h lib/libcommunity_sdk_ffi.so lib/libcommunity_sdk_ffi.a lib/pkgconfig/community_sdk.pc \
  lib/cmake/community_sdk/community_sdkConfig.cmake lib/cmake/community_sdk/community_sdkConfigVersion.cmake; do
  check "the prefix has $f" test -s "$PREFIX/$f"
done
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
check "pkg-config --modversion community_sdk is $VERSION" test "$(pkg-config --modversion community_sdk)" = "$VERSION"
check "the CMake version file says $VERSION" \
  grep -q "set(PACKAGE_VERSION \"$VERSION\")" "$PREFIX/lib/cmake/community_sdk/community_sdkConfigVersion.cmake"
check "the installed shared library is stripped" stripped "$PREFIX/lib/libcommunity_sdk_ffi.so"
mkdir -p "$WORK/c-app"
cp "$PREFIX/share/doc/community_sdk/quickstart.c" "$WORK/c-app/"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Werror "$WORK/c-app/quickstart.c" $(pkg-config --cflags --libs community_sdk) -o "$WORK/c-app/quickstart"
pass "the C quick start builds with \$(pkg-config --cflags --libs community_sdk)"
LD_LIBRARY_PATH=$PREFIX/lib timeout 120 "$WORK/c-app/quickstart" | tee "$WORK/c.log"
check "the C quick start ran against the installed shared library (version $VERSION, history read)" \
  quickstart_ok "$WORK/c.log" '^history .*hi from C'
check "it was linked against the prefix's library" \
  bash -c "LD_LIBRARY_PATH='$PREFIX/lib' ldd '$WORK/c-app/quickstart' | grep -q '$PREFIX/lib/libcommunity_sdk_ffi.so'"
# shellcheck disable=SC2046
gcc -std=c11 "$WORK/c-app/quickstart.c" $(pkg-config --cflags community_sdk) \
  "$(pkg-config --variable=libdir community_sdk)/libcommunity_sdk_ffi.a" \
  $(pkg-config --static --libs-only-l community_sdk | sed 's/-lcommunity_sdk_ffi//') -o "$WORK/c-app/quickstart-static"
timeout 120 "$WORK/c-app/quickstart-static" >"$WORK/c-static.log"
check "the C quick start, statically linked from the prefix's .a (Libs.private), runs" \
  quickstart_ok "$WORK/c-static.log" '^history .*hi from C'
if command -v cmake >/dev/null; then
  mkdir -p "$WORK/cmake-app"
  cat >"$WORK/cmake-app/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(quickstart C)
find_package(community_sdk $VERSION CONFIG REQUIRED)
add_executable(quickstart $WORK/c-app/quickstart.c)
target_link_libraries(quickstart PRIVATE community_sdk::community_sdk)
add_executable(quickstart_static $WORK/c-app/quickstart.c)
target_link_libraries(quickstart_static PRIVATE community_sdk::community_sdk_static)
EOF
  cmake -S "$WORK/cmake-app" -B "$WORK/cmake-app/build" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
  cmake --build "$WORK/cmake-app/build" >/dev/null
  LD_LIBRARY_PATH=$PREFIX/lib timeout 120 "$WORK/cmake-app/build/quickstart" >"$WORK/cmake.log"
  check "find_package(community_sdk $VERSION) builds the quick start (shared), and it runs" \
    quickstart_ok "$WORK/cmake.log" '^history .*hi from C'
  check "community_sdk::community_sdk_static links it statically" \
    bash -c "! ldd '$WORK/cmake-app/build/quickstart_static' | grep -q community_sdk_ffi"
else
  echo "(cmake not installed: the CMake config is checked by content only)"
fi
unset PKG_CONFIG_PATH

step "Unity: the UPM tarball"
mkdir -p "$WORK/upm"
tar xzf "$UPM" -C "$WORK/upm"
PKG=$WORK/upm/package
check "package.json says $VERSION" \
  python3 -c "import json,sys; sys.exit(json.load(open('$PKG/package.json'))['version'] != '$VERSION')"
check "the package holds the Linux plugin and its platform settings" \
  bash -c "test -s '$PKG/Plugins/Linux/x86_64/libcommunity_sdk_ffi.so' && grep -q 'Standalone: Linux64' '$PKG/Plugins/Linux/x86_64/libcommunity_sdk_ffi.so.meta'"
check "the package holds no tests or generator" bash -c "test ! -e '$PKG/Tests~' && test ! -e '$PKG/generate.py'"
missing_meta=$(cd "$PKG" && find . -mindepth 1 -not -name '*.meta' -not -path '*~*' | while read -r f; do [ -f "$f.meta" ] || echo "$f"; done)
check "every imported file and folder has a .meta${missing_meta:+ (missing: $missing_meta)}" test -z "$missing_meta"
if command -v mcs >/dev/null && command -v mono >/dev/null; then
  MCS="mcs -langversion:7.2 -unsafe -nowarn:1591"
  $MCS -target:library -out:"$WORK/upm/CommunitySdk.dll" $(find "$PKG/Runtime" -name '*.cs' | sort)
  $MCS -target:exe -r:"$WORK/upm/CommunitySdk.dll" -r:System.Core.dll -out:"$WORK/upm/Sample.exe" \
    "$PKG/Samples~/Quickstart/CommunityQuickstart.cs" "bindings/csharp/Tests~/UnityStandIn.cs"
  (cd "$WORK/upm" && LD_LIBRARY_PATH=$PKG/Plugins/Linux/x86_64 timeout 120 mono Sample.exe) >"$WORK/upm.log" 2>&1 \
    || { cat "$WORK/upm.log"; fail "the Unity sample failed with the packaged plugin"; }
  tail -n 3 "$WORK/upm.log"
  pass "the Unity sample runs on the package's Runtime and plugin"
else
  echo "(Mono not installed: tests/csharp.sh installs it; the package is checked by content only)"
fi

kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

step "artifacts ($PROFILE build, stripped; dist.sh took ${DIST_SECS} s)"
(cd "$DIST" && for f in *; do printf '%10s  %s\n' "$(du -h "$f" | cut -f1)" "$f"; done)
step "packaging passed in $(( $(date +%s) - START )) s"
echo "$CHECKS passed, 0 failed"
