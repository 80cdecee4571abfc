#!/usr/bin/env bash
# Assembles the Android library (AAR) of the Kotlin binding from the compiled Kotlin API
# and one native library per ABI, as cargo-ndk builds them (docs/PACKAGING.md):
#
#   cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o build/jniLibs build --release -p community-sdk-ffi
#   bash scripts/aar.sh --classes classes.jar --version 0.1.0 --out dist \
#     arm64-v8a=build/jniLibs/arm64-v8a/libcommunity_sdk_ffi.so armeabi-v7a=… x86_64=…
#
# Writes community-sdk-android-V.aar (AndroidManifest.xml, classes.jar, jni/<abi>/,
# proguard.txt, R.txt) and its pom (JNA's AAR, kotlin-stdlib, kotlinx-coroutines-android).
# scripts/dist.sh calls it for `--android-lib ABI=path`.
set -euo pipefail
CLASSES="" VERSION="" OUT=dist LIBS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --classes) CLASSES=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *=*) LIBS+=("$1"); shift ;;
    *) echo "usage: $0 --classes JAR --version V [--out DIR] ABI=LIB..." >&2; exit 2 ;;
  esac
done
[ -f "$CLASSES" ] && [ -n "$VERSION" ] && [ ${#LIBS[@]} -gt 0 ] || { echo "usage: $0 --classes JAR --version V [--out DIR] ABI=LIB..." >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-aar.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for entry in "${LIBS[@]}"; do
  abi=${entry%%=*}; lib=${entry#*=}
  case "$abi" in arm64-v8a|armeabi-v7a|x86_64|x86) ;; *) echo "unknown Android ABI $abi" >&2; exit 2 ;; esac
  [ -f "$lib" ] || { echo "no $lib" >&2; exit 1; }
  mkdir -p "$WORK/aar/jni/$abi"
  cp "$lib" "$WORK/aar/jni/$abi/libcommunity_sdk_ffi.so"
done
# classes.jar: the Kotlin API only (on Android, the native library comes from jni/).
mkdir -p "$WORK/classes"
(cd "$WORK/classes" && unzip -q "$CLASSES" -x 'META-INF/MANIFEST.MF' && rm -rf linux-* darwin-* win32-*)
jar --create --file "$WORK/aar/classes.jar" -C "$WORK/classes" .
cat >"$WORK/aar/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="dev.community.sdk"
    android:versionName="$VERSION">
    <uses-sdk android:minSdkVersion="24" />
    <uses-permission android:name="android.permission.INTERNET" />
</manifest>
XML
# Consumer rules: R8 must keep what JNA reaches by reflection.
cat >"$WORK/aar/proguard.txt" <<'TXT'
-dontwarn java.awt.*
-keep class com.sun.jna.** { *; }
-keepclassmembers class * extends com.sun.jna.** { public *; }
-keep class dev.community.sdk.** { *; }
TXT
: >"$WORK/aar/R.txt"
mkdir -p "$OUT"
AAR=$OUT/community-sdk-android-$VERSION.aar
rm -f "$AAR"
(cd "$WORK/aar" && jar --create --no-manifest --file "$AAR" AndroidManifest.xml classes.jar R.txt proguard.txt jni)
cat >"$OUT/community-sdk-android-$VERSION.pom" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.community</groupId>
  <artifactId>community-sdk-android</artifactId>
  <version>$VERSION</version>
  <packaging>aar</packaging>
  <name>Community SDK for Android</name>
  <licenses><license><name>Apache-2.0</name></license></licenses>
  <dependencies>
    <dependency>
      <groupId>net.java.dev.jna</groupId>
      <artifactId>jna</artifactId>
      <version>5.13.0</version>
      <type>aar</type>
    </dependency>
    <dependency>
      <groupId>org.jetbrains.kotlin</groupId>
      <artifactId>kotlin-stdlib</artifactId>
      <version>2.4.20</version>
    </dependency>
    <dependency>
      <groupId>org.jetbrains.kotlinx</groupId>
      <artifactId>kotlinx-coroutines-android</artifactId>
      <version>1.8.0</version>
    </dependency>
  </dependencies>
</project>
XML
echo "$(basename "$AAR") ($(du -h "$AAR" | cut -f1)): $(cd "$WORK/aar" && ls jni | tr '\n' ' ')"
