#!/usr/bin/env bash
# Builds build/CommunitySDKFFI.xcframework (static libcommunity_sdk_ffi.a for iOS devices,
# the iOS simulator and macOS) for Package.swift. Run on macOS with Xcode and rustup.
# The Swift sources are generated on Linux by tests/bindings.sh and checked in; this script
# only builds the native part.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
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
echo "built $OUT/CommunitySDKFFI.xcframework"
