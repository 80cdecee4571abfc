#!/usr/bin/env bash
# Compiles the Kotlin API (bindings/kotlin/src/main: Extensions.kt and the uniffi-generated
# sources) into a jar of classes, once per content: the jar is cached under the cargo
# target directory by a hash of the sources and the compiler, so the binding tests and the
# packaging step share one compilation (kotlinc takes about a minute for these sources).
# Prints the jar's path. Needs KOTLINC, KOTLIN_LIB and JNA_JAR (tests/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KOTLINC:?}" "${KOTLIN_LIB:?}" "${JNA_JAR:?}"
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
CACHE=$TARGET/kotlin-classes
SOURCES=$(find bindings/kotlin/src/main/kotlin -name '*.kt' | LC_ALL=C sort)
KEY=$({ cat $SOURCES; echo "$SOURCES"; "$KOTLINC" -version 2>&1; } | sha256sum | cut -c1-16)
JAR=$CACHE/community-sdk-classes-$KEY.jar
if [ ! -f "$JAR" ]; then
  mkdir -p "$CACHE"
  rm -f "$CACHE"/community-sdk-classes-*.jar
  echo "kotlinc: compiling the Kotlin API ($(echo "$SOURCES" | wc -l) files)" >&2
  "$KOTLINC" -nowarn $SOURCES -cp "$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar" \
    -d "$JAR.part.jar" 2>&1 | grep -v '^warning:' >&2 || true
  [ -f "$JAR.part.jar" ] || { echo "kotlinc failed" >&2; exit 1; }
  mv "$JAR.part.jar" "$JAR"
fi
echo "$JAR"
