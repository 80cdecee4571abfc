#!/usr/bin/env python3
"""Packs the Unity package (bindings/csharp, UPM name dev.community.sdk) as a tarball
Unity's Package Manager installs ("Add package from tarball…", or a scoped registry):
``package/`` with package.json (the workspace version written in), Runtime/, Samples~/,
Plugins/ with the native plugins given, and a ``.meta`` for every file and folder Unity
imports (a package from a tarball is immutable: Unity ignores files without one).
GUIDs are derived from the package name and path, so they stay the same across versions
and a project's references survive an upgrade. Tests~ and the generator are left out.

    python3 scripts/unity_pack.py --package bindings/csharp --version 0.1.0 \
        --plugin Plugins/Linux/x86_64=target/release/libcommunity_sdk_ffi.so --out dist/dev.community.sdk-0.1.0.tgz
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

INCLUDE = ("package.json", "Runtime", "Samples~", "Plugins/README.md", "README.md", "CHANGELOG.md", "LICENSE.md")
# Unity's platform settings for each plugin folder this script knows (Plugin Inspector).
PLATFORMS = {
    "Plugins/Linux/x86_64": ("Linux", "Linux64", "x86_64"),
    "Plugins/Windows/x86_64": ("Windows", "Win64", "x86_64"),
    "Plugins/macOS": ("OSX", "OSXUniversal", "AnyCPU"),
}


def guid(name: str, path: str) -> str:
    return hashlib.md5(f"{name}/{path}".encode()).hexdigest()


def meta(name: str, path: str, folder: bool, plugin: tuple = None) -> bytes:
    lines = ["fileFormatVersion: 2", f"guid: {guid(name, path)}"]
    if folder:
        lines += ["folderAsset: yes", "DefaultImporter:", "  externalObjects: {}", "  userData: ",
                  "  assetBundleName: ", "  assetBundleVariant: "]
    elif plugin:
        os_name, standalone, cpu = plugin
        excluded = {"Linux64": 1, "OSXUniversal": 1, "Win": 1, "Win64": 1}
        excluded[standalone] = 0
        lines += ["PluginImporter:", "  externalObjects: {}", "  serializedVersion: 2", "  iconMap: {}",
                  "  executionOrder: {}", "  defineConstraints: []", "  isPreloaded: 0", "  isOverridable: 0",
                  "  isExplicitlyReferenced: 0", "  validateReferences: 1", "  platformData:",
                  "  - first:", "      : Any", "    second:", "      enabled: 0", "      settings:",
                  "        Exclude Editor: 0"]
        lines += [f"        Exclude {k}: {v}" for k, v in sorted(excluded.items())]
        lines += ["  - first:", "      Any: ", "    second:", "      enabled: 0", "      settings: {}",
                  "  - first:", "      Editor: Editor", "    second:", "      enabled: 1", "      settings:",
                  f"        CPU: {cpu}", "        DefaultValueInitialized: true", f"        OS: {os_name}",
                  "  - first:", f"      Standalone: {standalone}", "    second:", "      enabled: 1",
                  "      settings:", f"        CPU: {cpu}",
                  "  userData: ", "  assetBundleName: ", "  assetBundleVariant: "]
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--plugin", action="append", default=[], help="FOLDER=LIBRARY, e.g. Plugins/Linux/x86_64=lib.so")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    manifest = json.load(open(os.path.join(args.package, "package.json"), encoding="utf-8"))
    name = manifest["name"]
    manifest["version"] = args.version
    files = {"package.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()}
    for entry in INCLUDE[1:]:
        full = os.path.join(args.package, entry)
        if os.path.isfile(full):
            files[entry] = open(full, "rb").read()
        for root, dirs, names in os.walk(full):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__",))
            for n in sorted(names):
                if n in (".gitkeep",) or n.endswith((".meta", ".pyc", ".pdb")):
                    continue
                path = os.path.relpath(os.path.join(root, n), args.package).replace(os.sep, "/")
                files[path] = open(os.path.join(root, n), "rb").read()
    plugins = {}
    for spec in args.plugin:
        folder, lib = spec.split("=", 1)
        path = f"{folder.rstrip('/')}/{os.path.basename(lib)}"
        files[path] = open(lib, "rb").read()
        plugins[path] = PLATFORMS.get(folder.rstrip("/"))

    # .meta for every imported file and folder (not inside "…~" folders, which Unity skips).
    metas = {}
    for path in list(files):
        parts = path.split("/")
        if any(p.endswith("~") for p in parts):
            continue
        metas[path + ".meta"] = meta(name, path, False, plugins.get(path))
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            metas.setdefault(folder + ".meta", meta(name, folder, True))
    files.update(metas)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with tarfile.open(args.out + ".part", "w:gz") as tar:
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(f"package/{path}")
            info.size, info.mtime, info.mode = len(data), 0, 0o755 if path in plugins else 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(args.out + ".part", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
