#!/usr/bin/env bash
# Builds every installable artifact of the project into dist/ (see docs/PACKAGING.md):
#
#   python  community_sdk-V-py3-none-<platform>.whl    the package + the native library inside
#           community_sdk-V.tar.gz                      sdist: pip builds the library with cargo
#   jvm     community-sdk-V.jar + community-sdk-V.pom   Kotlin API + linux-x86-64 library (JNA resource path)
#   aar     community-sdk-android-V.aar + .pom          Android: classes.jar, jni/<abi>/, manifest
#           (only with --android-lib ABI=path, once per ABI: cargo-ndk builds them)
#   c       community_sdk-V-linux-x86_64.tar.gz         include/, lib/ (.a, .so), pkg-config, CMake, install.sh
#   unity   dev.community.sdk-V.tgz                     the UPM package with the native plugin inside
#   server  community-server-V-linux-x86_64.tar.gz      binary, sample config, systemd unit, README
#
#   bash scripts/dist.sh                       # all (release build), into dist/
#   bash scripts/dist.sh python c              # some
#   bash scripts/dist.sh --profile debug --no-build   # package the debug build already there
#                                                      # (the test does this; libraries are stripped)
#   bash scripts/dist.sh --android-lib arm64-v8a=path/to/libcommunity_sdk_ffi.so aar
#   bash scripts/dist.sh install-c --prefix DIR [tarball]   # install the C package under DIR
#
# V is the workspace version (scripts/version.sh). Idempotent: each run replaces what it
# builds. Linux x86_64 here; docs/PACKAGING.md says how to build the others.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=$(bash scripts/version.sh)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=release
BUILD=1
OUT=$ROOT/dist
ANDROID_LIBS=()
WHAT=()
INSTALL_PREFIX=""
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --out) OUT=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --android-lib) ANDROID_LIBS+=("$2"); shift 2 ;;
    --prefix) INSTALL_PREFIX=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) WHAT+=("$1"); shift ;;
  esac
done
case "$PROFILE" in release|debug) ;; *) echo "--profile is release or debug" >&2; exit 2 ;; esac
PLATFORM=linux-$(uname -m)                       # in file names: linux-x86_64
JNA_PLATFORM=linux-$(uname -m | sed 's/_/-/g')   # JNA's resource folder: linux-x86-64
C_NAME=community_sdk-$VERSION-$PLATFORM
SERVER_NAME=community-server-$VERSION-$PLATFORM

# --- install-c: the C package's install step (also shipped in the tarball as install.sh) ---
if [ "${WHAT[0]:-}" = install-c ]; then
  [ -n "$INSTALL_PREFIX" ] || { echo "install-c needs --prefix DIR" >&2; exit 2; }
  TARBALL=${WHAT[1]:-$OUT/$C_NAME.tar.gz}
  [ -f "$TARBALL" ] || { echo "no $TARBALL (run: bash scripts/dist.sh c)" >&2; exit 1; }
  UNPACK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-install.XXXXXX")
  trap 'rm -rf "$UNPACK"' EXIT
  tar xzf "$TARBALL" -C "$UNPACK"
  bash "$UNPACK"/*/install.sh --prefix "$INSTALL_PREFIX"
  exit 0
fi

[ ${#WHAT[@]} -gt 0 ] || WHAT=(python jvm c unity server)
[ ${#ANDROID_LIBS[@]} -gt 0 ] && [[ " ${WHAT[*]} " != *" aar "* ]] && WHAT+=(aar)
wants() { [[ " ${WHAT[*]} " == *" $1 "* ]]; }
step() { printf '\n==> %s\n' "$*"; }
START=$(date +%s)

bash scripts/version.sh --check >/dev/null
if [ "$BUILD" = 1 ]; then
  step "cargo build ($PROFILE): community-sdk-ffi (cdylib + staticlib), community-server"
  flag=""; [ "$PROFILE" = release ] && flag=--release
  cargo build --locked $flag -p community-sdk-ffi -p community-server
fi
BIN=$TARGET/$PROFILE
for f in libcommunity_sdk_ffi.so libcommunity_sdk_ffi.a community-server; do
  [ -f "$BIN/$f" ] || { echo "missing $BIN/$f (build it, or drop --no-build)" >&2; exit 1; }
done

mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csdk-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Stripped copies: no debug information in any artifact (the uniffi metadata the binding
# generator reads is only needed at generation time, from the unstripped build).
mkdir -p "$WORK/lib"
strip --strip-unneeded -o "$WORK/lib/libcommunity_sdk_ffi.so" "$BIN/libcommunity_sdk_ffi.so"
LIB=$WORK/lib/libcommunity_sdk_ffi.so
size() { du -h "$1" | cut -f1; }

if wants python; then
  step "Python wheel"
  rm -f "$OUT"/community_sdk-*.whl
  WHEEL=$(python3 scripts/wheel.py --lib "$LIB" --version "$VERSION" --out "$OUT")
  echo "$(basename "$WHEEL") ($(size "$WHEEL"))"
  for f in "$OUT"/community_sdk-*.tar.gz; do # the sdists, not the C package
    [[ $(basename "$f") =~ ^community_sdk-[0-9][0-9.]*\.tar\.gz$ ]] && rm -f "$f"
  done
  SDIST=$(python3 scripts/sdist.py --version "$VERSION" --out "$OUT")
  echo "$(basename "$SDIST") ($(size "$SDIST")): the source distribution"
fi

KOTLIN_CLASSES=""
kotlin_classes() {
  if [ -z "$KOTLIN_CLASSES" ]; then
    eval "$(bash tests/install-tools.sh)"
    export KOTLINC KOTLIN_LIB JNA_JAR
    KOTLIN_CLASSES=$(bash scripts/kotlin-classes.sh)
  fi
}
# pom.properties + the pom inside a jar, as Maven puts them.
maven_meta() { # dir artifactId pom
  local dir=$1/META-INF/maven/dev.community/$2
  mkdir -p "$dir"
  cp "$3" "$dir/pom.xml"
  printf 'groupId=dev.community\nartifactId=%s\nversion=%s\n' "$2" "$VERSION" >"$dir/pom.properties"
}

if wants jvm; then
  step "JVM jar (Kotlin API + the native library at JNA's resource path $JNA_PLATFORM/)"
  kotlin_classes
  rm -f "$OUT"/community-sdk-[0-9]*.jar "$OUT"/community-sdk-[0-9]*.pom
  J=$WORK/jar
  mkdir -p "$J/$JNA_PLATFORM"
  (cd "$J" && unzip -q "$KOTLIN_CLASSES" -x 'META-INF/MANIFEST.MF')
  cp "$LIB" "$J/$JNA_PLATFORM/"
  maven_meta "$J" community-sdk bindings/kotlin/pom.xml
  cat >"$WORK/MANIFEST.MF" <<EOF
Implementation-Title: community-sdk
Implementation-Version: $VERSION
Implementation-Vendor-Id: dev.community
Automatic-Module-Name: dev.community.sdk
EOF
  JAR=$OUT/community-sdk-$VERSION.jar
  (cd "$J" && jar --create --file "$JAR" --manifest "$WORK/MANIFEST.MF" .)
  cp bindings/kotlin/pom.xml "$OUT/community-sdk-$VERSION.pom"
  echo "$(basename "$JAR") ($(size "$JAR")), $(basename "$JAR" .jar).pom: dev.community:community-sdk:$VERSION"
fi

if wants aar; then
  step "Android AAR"
  [ ${#ANDROID_LIBS[@]} -gt 0 ] || { echo "aar needs --android-lib ABI=path (per ABI; see docs/PACKAGING.md)" >&2; exit 2; }
  kotlin_classes
  args=()
  for entry in "${ANDROID_LIBS[@]}"; do
    abi=${entry%%=*}; src=${entry#*=}
    mkdir -p "$WORK/android/$abi"
    strip --strip-unneeded -o "$WORK/android/$abi/libcommunity_sdk_ffi.so" "$src" 2>/dev/null \
      || cp "$src" "$WORK/android/$abi/libcommunity_sdk_ffi.so" # another architecture: cargo-ndk strips
    args+=("$abi=$WORK/android/$abi/libcommunity_sdk_ffi.so")
  done
  bash scripts/aar.sh --classes "$KOTLIN_CLASSES" --version "$VERSION" --out "$OUT" "${args[@]}"
fi

if wants c; then
  step "C package (header, static and shared library, pkg-config, CMake)"
  rm -f "$OUT"/community_sdk-*-linux-*.tar.gz
  C=$WORK/$C_NAME
  mkdir -p "$C/include" "$C/lib/pkgconfig" "$C/lib/cmake/community_sdk" "$C/share/doc/community_sdk"
  cp include/community_sdk.h "$C/include/"
  cp "$LIB" "$C/lib/"
  strip --strip-debug -o "$C/lib/libcommunity_sdk_ffi.a" "$BIN/libcommunity_sdk_ffi.a"
  # The native libraries a static link needs (rustc --print native-static-libs on Linux).
  STATIC_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
  cat >"$C/lib/pkgconfig/community_sdk.pc" <<EOF
# Relocatable as shipped (pcfiledir); install.sh writes the absolute prefix.
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: community_sdk
Description: The Community SDK's C ABI (communities, channels, messages, unread counts)
Version: $VERSION
Libs: -L\${libdir} -lcommunity_sdk_ffi
Libs.private: $STATIC_LIBS
Cflags: -I\${includedir}
EOF
  cat >"$C/lib/cmake/community_sdk/community_sdkConfig.cmake" <<EOF
# find_package(community_sdk $VERSION CONFIG REQUIRED)
# target_link_libraries(app PRIVATE community_sdk::community_sdk)          # shared
# target_link_libraries(app PRIVATE community_sdk::community_sdk_static)   # static
get_filename_component(_csdk_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(community_sdk_VERSION "$VERSION")
set(community_sdk_INCLUDE_DIRS "\${_csdk_prefix}/include")
if(NOT TARGET community_sdk::community_sdk)
  add_library(community_sdk::community_sdk SHARED IMPORTED)
  set_target_properties(community_sdk::community_sdk PROPERTIES
    IMPORTED_LOCATION "\${_csdk_prefix}/lib/libcommunity_sdk_ffi.so"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "\${_csdk_prefix}/include")
endif()
if(NOT TARGET community_sdk::community_sdk_static)
  find_package(Threads REQUIRED)
  add_library(community_sdk::community_sdk_static STATIC IMPORTED)
  set_target_properties(community_sdk::community_sdk_static PROPERTIES
    IMPORTED_LOCATION "\${_csdk_prefix}/lib/libcommunity_sdk_ffi.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_csdk_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;gcc_s;util;rt;m;dl")
endif()
set(community_sdk_LIBRARIES community_sdk::community_sdk)
unset(_csdk_prefix)
EOF
  cat >"$C/lib/cmake/community_sdk/community_sdkConfigVersion.cmake" <<EOF
# Compatible when the major version matches (0.x: the same minor) and it is not older.
set(PACKAGE_VERSION "$VERSION")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(PACKAGE_FIND_VERSION_MAJOR STREQUAL "0" AND NOT PACKAGE_FIND_VERSION_MINOR STREQUAL "$(echo "$VERSION" | cut -d. -f2)")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL "$(echo "$VERSION" | cut -d. -f1)")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF
  cp examples/c/quickstart.c "$C/share/doc/community_sdk/"
  cat >"$C/share/doc/community_sdk/README.md" <<EOF
# community_sdk $VERSION for C ($PLATFORM)

    ./install.sh --prefix /usr/local          # or any directory; then, for a non-system prefix:
    export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig LD_LIBRARY_PATH=PREFIX/lib
    cc app.c \$(pkg-config --cflags --libs community_sdk) -o app                     # shared
    cc app.c \$(pkg-config --cflags community_sdk) PREFIX/lib/libcommunity_sdk_ffi.a $STATIC_LIBS -o app  # static

CMake: \`find_package(community_sdk $VERSION CONFIG REQUIRED)\` (with
\`CMAKE_PREFIX_PATH=PREFIX\`), then link \`community_sdk::community_sdk\` or
\`community_sdk::community_sdk_static\`. \`csdk_version()\` returns "$VERSION". The API is
\`include/community_sdk.h\`; \`quickstart.c\` is a complete program.
EOF
  cat >"$C/install.sh" <<'EOF'
#!/bin/sh
# Installs this C package under a prefix: ./install.sh --prefix /usr/local (default).
set -eu
PREFIX=/usr/local
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    *) echo "usage: $0 [--prefix DIR]" >&2; exit 2 ;;
  esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$PREFIX" && PREFIX=$(cd "$PREFIX" && pwd)
install -d "$PREFIX/include" "$PREFIX/lib/pkgconfig" "$PREFIX/lib/cmake/community_sdk" "$PREFIX/share/doc/community_sdk"
install -m 0644 "$HERE/include/community_sdk.h" "$PREFIX/include/"
install -m 0755 "$HERE/lib/libcommunity_sdk_ffi.so" "$PREFIX/lib/"
install -m 0644 "$HERE/lib/libcommunity_sdk_ffi.a" "$PREFIX/lib/"
install -m 0644 "$HERE"/lib/cmake/community_sdk/*.cmake "$PREFIX/lib/cmake/community_sdk/"
install -m 0644 "$HERE"/share/doc/community_sdk/* "$PREFIX/share/doc/community_sdk/"
sed "s|^prefix=.*|prefix=$PREFIX|; /^# Relocatable/d" "$HERE/lib/pkgconfig/community_sdk.pc" >"$PREFIX/lib/pkgconfig/community_sdk.pc"
echo "installed community_sdk under $PREFIX (pkg-config: PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig)"
EOF
  chmod 0755 "$C/install.sh"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$OUT/$C_NAME.tar.gz" -C "$WORK" "$C_NAME"
  echo "$C_NAME.tar.gz ($(size "$OUT/$C_NAME.tar.gz"))"
fi

if wants unity; then
  step "Unity package (UPM tarball, native plugin for Linux x86_64 inside)"
  rm -f "$OUT"/dev.community.sdk-*.tgz
  python3 scripts/unity_pack.py --package bindings/csharp --version "$VERSION" \
    --plugin "Plugins/Linux/x86_64=$LIB" --out "$OUT/dev.community.sdk-$VERSION.tgz"
  echo "dev.community.sdk-$VERSION.tgz ($(size "$OUT/dev.community.sdk-$VERSION.tgz"))"
fi

if wants server; then
  step "server release tarball"
  rm -f "$OUT"/community-server-*.tar.gz
  S=$WORK/$SERVER_NAME
  mkdir -p "$S/bin"
  strip -o "$S/bin/community-server" "$BIN/community-server"
  sed 's|^data_dir = .*|data_dir = "/var/lib/community-server"|' server/community-server.example.toml \
    >"$S/community-server.toml"
  grep -q '^data_dir = "/var/lib/community-server"' "$S/community-server.toml"
  cp server/dist/community-server.service "$S/"
  sed "s|@VERSION@|$VERSION|g; s|@PLATFORM@|$PLATFORM|g" server/dist/README.md >"$S/README.md"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$OUT/$SERVER_NAME.tar.gz" -C "$WORK" "$SERVER_NAME"
  echo "$SERVER_NAME.tar.gz ($(size "$OUT/$SERVER_NAME.tar.gz"))"
fi

step "dist/ ($VERSION, $PROFILE build) in $(( $(date +%s) - START )) s"
(cd "$OUT" && ls -la | awk 'NR > 1 && $1 !~ /^d/ { printf "%10d  %s\n", $5, $9 }')
