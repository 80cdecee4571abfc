#!/usr/bin/env bash
# Builds build/CommunitySDKFFI.xcframework (static libcommunity_sdk_ffi.a for iOS devices,
# the iOS simulator and macOS) for Package.swift, and zips it as
# build/CommunitySDKFFI-<version>.xcframework.zip with its SwiftPM checksum, for a release's
# `.binaryTarget(name:url:checksum:)`. The version is the workspace version
# (scripts/version.sh; tag the release with it). Run on macOS with Xcode and rustup.
# The Swift sources are generated on Linux by tests/bindings.sh and checked in; this script
# only builds the native part.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
VERSION=$(bash "$ROOT/scripts/version.sh")
[ "$(uname)" = Darwin ] || { echo "build-xcframework.sh needs macOS (xcodebuild)"; exit 1; }
TARGETS="aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin"
for target in $TARGETS; do
  rustup target add "$target"
  (cd "$ROOT" && cargo build --locked --release -p community-sdk-ffi --target "$target")
done
OUT=build
rm -rf "$OUT" && mkdir -p "$OUT/sim" "$OUT/mac" "$OUT/headers"
lib() { echo "$ROOT/target/$1/release/libcommunity_sdk_ffi.a"; }
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$OUT/sim/libcommunity_sdk_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$OUT/mac/libcommunity_sdk_ffi.a"
cp Sources/CommunitySDKFFI/include/CommunitySDKFFI.h "$OUT/headers/"
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$OUT/headers" \
  -library "$OUT/sim/libcommunity_sdk_ffi.a" -headers "$OUT/headers" \
  -library "$OUT/mac/libcommunity_sdk_ffi.a" -headers "$OUT/headers" \
  -output "$OUT/CommunitySDKFFI.xcframework"
ZIP=CommunitySDKFFI-$VERSION.xcframework.zip
(cd "$OUT" && rm -f "$ZIP" && ditto -c -k --sequesterRsrc --keepParent CommunitySDKFFI.xcframework "$ZIP")
echo "built $OUT/CommunitySDKFFI.xcframework and $OUT/$ZIP ($VERSION)"
echo "checksum: $(swift package compute-checksum "$OUT/$ZIP")"
