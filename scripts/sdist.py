#!/usr/bin/env python3
"""Builds the Python source distribution: ``community_sdk-V.tar.gz``, from which
``pip install`` builds the native library with cargo on any platform (the PEP 517 backend
``bindings/python/build_backend/community_sdk_build.py``).

Holds: PKG-INFO, pyproject.toml (the in-tree backend, no build dependency), README.md, the
package ``community_sdk`` (without any native library), the backend and ``csdk_wheel.py``
(= scripts/wheel.py), and ``rust/``: a workspace of the three crates the library needs
(community-protocol, community-sdk, community-sdk-ffi: manifests, sources, benches) with the
root Cargo.toml's shared settings and Cargo.lock.

    python3 scripts/sdist.py --version 0.1.0 --out dist      # prints the path
"""
import argparse
import io
import os
import re
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wheel as csdk_wheel  # noqa: E402  (scripts/wheel.py)

CRATES = ("protocol", "sdk-core", "sdk-ffi")
KEEP = re.compile(r"^(Cargo\.toml|[^/]+\.toml|src/.*|benches/.*)$")  # per crate: no tests, examples


def workspace_manifest(text: str) -> str:
    """The root Cargo.toml reduced to the three crates (members, their dependencies)."""
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("members = ") or line.startswith("default-members = "):
            if line.startswith("members = "):
                out.append("members = [" + ", ".join(f'"{c}"' for c in CRATES) + "]")
            continue
        if line.startswith("#") and ("uniffi-bindgen" in line or "feature" in line and "cdylib" in line):
            continue
        if re.match(r"^community-server(-domain)? = ", line):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", default="dist")
    parser.add_argument("--root", default=".")
    args = parser.parse_args()
    root = args.root
    py = os.path.join(root, "bindings", "python")
    name = f"community_sdk-{args.version}"
    readme = open(os.path.join(py, "README.md"), encoding="utf-8").read()
    tracked = subprocess.run(["git", "ls-files", *CRATES], cwd=root, check=True, capture_output=True,
                             text=True).stdout.split()

    files = {
        "PKG-INFO": csdk_wheel.metadata(args.version, readme, "2.1").encode(),
        "README.md": readme.encode(),
        "pyproject.toml": (
            "[build-system]\n"
            "requires = []\n"
            'build-backend = "community_sdk_build"\n'
            'backend-path = ["build_backend"]\n\n'
            "[project]\n"
            'name = "community-sdk"\n'
            f'version = "{args.version}"\n'
            'description = "The Community SDK for Python (uniffi bindings over community-sdk-ffi)."\n'
            'requires-python = ">=3.9"\n'
            'license = { text = "Apache-2.0" }\n'
        ).encode(),
        "build_backend/community_sdk_build.py": open(os.path.join(py, "build_backend", "community_sdk_build.py"), "rb").read(),
        "build_backend/csdk_wheel.py": open(os.path.join(root, "scripts", "wheel.py"), "rb").read(),
        "rust/Cargo.toml": workspace_manifest(open(os.path.join(root, "Cargo.toml"), encoding="utf-8").read()).encode(),
        "rust/Cargo.lock": open(os.path.join(root, "Cargo.lock"), "rb").read(),
    }
    for root_dir, dirs, names in os.walk(os.path.join(py, "community_sdk")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith((".py", ".pyi", ".typed")):
                full = os.path.join(root_dir, n)
                files[os.path.relpath(full, py).replace(os.sep, "/")] = open(full, "rb").read()
    for path in tracked:
        crate, rel = path.split("/", 1)
        if KEEP.match(rel):
            files[f"rust/{path}"] = open(os.path.join(root, path), "rb").read()

    os.makedirs(args.out, exist_ok=True)
    out = os.path.join(args.out, name + ".tar.gz")
    with tarfile.open(out + ".part", "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime, info.mode = len(files[path]), 0, 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    os.replace(out + ".part", out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
