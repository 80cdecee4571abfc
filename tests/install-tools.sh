#!/usr/bin/env bash
# Installs what the binding tests need, idempotently, into .tools/ (and JNA from Debian):
#   kotlinc 2.4.20 (npm package kotlin-compiler: the full distribution), JNA (libjna-java),
#   cbindgen 0.29.4 (crates.io). Prints the paths as shell assignments for `eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=$PWD/.tools
KOTLIN_VERSION=2.4.20
CBINDGEN_VERSION=0.29.4
mkdir -p "$TOOLS"

if [ ! -f /usr/share/java/jna.jar ] || [ ! -e /usr/lib/x86_64-linux-gnu/jni/libjnidispatch.system.so ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjna-java libjna-jni >&2
fi

if [ ! -x "$TOOLS/kotlinc/bin/kotlinc" ]; then
  (cd "$TOOLS" && rm -rf kotlinc kotlin-compiler-*.tgz \
    && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >&2 \
    && mkdir kotlinc && tar xzf "kotlin-compiler-$KOTLIN_VERSION.tgz" -C kotlinc --strip-components=1 \
    && rm -f "kotlin-compiler-$KOTLIN_VERSION.tgz")
fi

if ! "$TOOLS/cbindgen/bin/cbindgen" --version 2>/dev/null | grep -q "$CBINDGEN_VERSION"; then
  cargo install --locked --quiet --root "$TOOLS/cbindgen" "cbindgen@$CBINDGEN_VERSION" >&2
fi

echo "KOTLINC=$TOOLS/kotlinc/bin/kotlinc"
echo "KOTLIN_LIB=$TOOLS/kotlinc/lib"
echo "JNA_JAR=/usr/share/java/jna.jar"
echo "CBINDGEN=$TOOLS/cbindgen/bin/cbindgen"
