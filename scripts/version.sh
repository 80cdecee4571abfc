#!/usr/bin/env bash
# Prints the project's one version: `version` of `[workspace.package]` in the root
# Cargo.toml, which every crate inherits (`version.workspace = true`) and every package
# (wheel, jar, AAR, C package, Unity package, server release) carries.
#
#   bash scripts/version.sh           # e.g. 0.1.0
#   bash scripts/version.sh --check   # fails when a checked-in file names another version
#   bash scripts/version.sh --sync    # writes the version into those files
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(awk '
  /^\[/ { section = $0; next }
  section == "[workspace.package]" && /^version[[:space:]]*=/ {
    sub(/^version[[:space:]]*=[[:space:]]*"/, ""); sub(/".*/, ""); print; exit
  }' Cargo.toml)
VERSION=${VERSION:-}
[ -n "$VERSION" ] || { echo "no version in [workspace.package] of Cargo.toml" >&2; exit 1; }

# The checked-in files that state the version themselves (their formats need a literal).
# Each line: file, a sed pattern matching the version line (the version is group 2).
FILES=(
  'bindings/python/pyproject.toml|^(version = ")([^"]*)(")'
  'bindings/csharp/package.json|^(  "version": ")([^"]*)(",)'
  'bindings/kotlin/pom.xml|^(  <version>)([^<]*)(</version>)'
)
case "${1:-}" in
  "") echo "$VERSION" ;;
  --check|--sync)
    bad=0
    for entry in "${FILES[@]}"; do
      file=${entry%%|*}; pattern=${entry#*|}
      found=$(sed -nE "s#$pattern#\\2#p" "$file" | head -n1)
      if [ "$found" != "$VERSION" ]; then
        if [ "$1" = --sync ]; then
          sed -i -E "0,\\#$pattern#s##\\1$VERSION\\3#" "$file"; echo "set $file to $VERSION"
        else
          echo "VERSION MISMATCH: $file says '${found}', Cargo.toml [workspace.package] says $VERSION (run: bash scripts/version.sh --sync)" >&2
          bad=1
        fi
      fi
    done
    [ "$bad" = 0 ] || exit 1
    [ "$1" = --sync ] || echo "every checked-in version is $VERSION"
    ;;
  *) echo "usage: $0 [--check|--sync]" >&2; exit 2 ;;
esac
