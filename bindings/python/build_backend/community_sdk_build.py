"""The PEP 517 build backend of the Community SDK's source distribution.

The sdist (``scripts/dist.sh python``) holds the Python package, the Rust crates the native
library is built from (``rust/``: community-protocol, community-sdk, community-sdk-ffi and
the workspace's Cargo.lock) and this backend, so ``pip install community_sdk-V.tar.gz``
works wherever cargo and a Rust toolchain are on the PATH (Linux, macOS, Windows): it runs
``cargo build --release -p community-sdk-ffi`` and builds the wheel with ``csdk_wheel.py``
(the same code as ``scripts/wheel.py``). No Python build dependency. ``CARGO_TARGET_DIR``
is honoured; ``CARGO`` names another cargo.
"""
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import csdk_wheel  # noqa: E402


def _version() -> str:
    with open(os.path.join(ROOT, "PKG-INFO"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("Version: "):
                return line.split(": ", 1)[1].strip()
    raise RuntimeError("PKG-INFO has no Version")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    """The wheel's METADATA without building the library (pip asks for it first)."""
    dist_info = f"community_sdk-{_version()}.dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = csdk_wheel.metadata(_version(), f.read())
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(text)
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    rust = os.path.join(ROOT, "rust")
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise RuntimeError("building community-sdk from source needs cargo (https://rustup.rs)")
    subprocess.run([cargo, "build", "--release", "-p", "community-sdk-ffi", "--lib"], cwd=rust, check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(rust, "target")
    names = {"darwin": "libcommunity_sdk_ffi.dylib", "win32": "community_sdk_ffi.dll"}
    built = os.path.join(target, "release", names.get(sys.platform, "libcommunity_sdk_ffi.so"))
    lib = os.path.join(ROOT, "build", os.path.basename(built))
    os.makedirs(os.path.dirname(lib), exist_ok=True)
    if sys.platform.startswith("linux") and shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", "-o", lib, built], check=True)
    else:
        shutil.copyfile(built, lib)
    path = csdk_wheel.build(lib, _version(), wheel_directory, os.path.join(ROOT, "community_sdk"),
                            os.path.join(ROOT, "README.md"))
    return os.path.basename(path)


def build_sdist(sdist_directory, config_settings=None):
    """Packs this tree again (without build outputs)."""
    name = f"community_sdk-{_version()}"
    path = os.path.join(sdist_directory, name + ".tar.gz")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(ROOT):
            rel = os.path.relpath(root, ROOT)
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "target") and not (rel == "." and d == "build"))
            for n in sorted(files):
                full = os.path.join(root, n)
                tar.add(full, arcname=f"{name}/{os.path.relpath(full, ROOT).replace(os.sep, '/')}")
    return os.path.basename(path)
