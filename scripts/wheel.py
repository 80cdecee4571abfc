#!/usr/bin/env python3
"""Builds the Python wheel of the Community SDK with the standard library only.

The wheel holds the package ``community_sdk`` (``__init__.py`` and the uniffi-generated
``generated/community_sdk_ffi.py``) and the native library beside the generated module,
where the generated code loads it from (``community_sdk/generated/libcommunity_sdk_ffi.so``,
``.dylib`` or ``community_sdk_ffi.dll``). The Python code is plain ctypes, so the wheel
fits every Python 3 (``py3-none``); only the platform tag names the native library's
platform. On Linux the tag is computed from the library like auditwheel does: the newest
glibc symbol version it needs gives ``manylinux_2_<minor>_<arch>``, provided it links only
the system libraries manylinux allows; otherwise ``linux_<arch>``.

    python3 scripts/wheel.py --lib target/release/libcommunity_sdk_ffi.so --version 0.1.0 --out dist
    python3 scripts/wheel.py --lib …/libcommunity_sdk_ffi.dylib --plat macosx_11_0_arm64 …

Prints the wheel's path.
"""
import argparse
import base64
import hashlib
import os
import platform
import re
import subprocess
import sys
import zipfile

NAME = "community_sdk"  # the distribution's normalized name (community-sdk) and the package
# Libraries a manylinux wheel may link without bundling them (PEP 600 / auditwheel policy).
MANYLINUX_LIBS = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libgcc_s.so.1",
    "libutil.so.1", "libstdc++.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}
# Never shipped in the wheel.
SKIP_DIRS = {"__pycache__", "tests", "test"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".pdb", ".a", ".lib", ".d")


def linux_tag(lib: str) -> str:
    arch = platform.machine()
    try:
        symbols = subprocess.run(["objdump", "-T", lib], check=True, capture_output=True, text=True).stdout
        dynamic = subprocess.run(["objdump", "-p", lib], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"linux_{arch}"
    needed = set(re.findall(r"^\s*NEEDED\s+(\S+)", dynamic, re.M))
    if not needed <= MANYLINUX_LIBS:
        return f"linux_{arch}"
    minors = [int(m) for m in re.findall(r"GLIBC_2\.(\d+)", symbols)]
    return f"manylinux_2_{max(minors + [17])}_{arch}"


def record_entry(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build(lib: str, version: str, out: str, package_dir: str, readme: str, plat: str = "auto") -> str:
    """Writes the wheel into ``out`` and returns its path."""
    lib_name = os.path.basename(lib)
    if not re.fullmatch(r"(lib)?community_sdk_ffi\.(so|dylib|dll)", lib_name):
        raise ValueError(f"unexpected library name {lib_name}")
    if plat == "auto":
        if sys.platform.startswith("linux"):
            plat = linux_tag(lib)
        else:
            import sysconfig
            plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    tag = f"py3-none-{plat}"
    dist_info = f"{NAME}-{version}.dist-info"
    wheel_path = os.path.join(out, f"{NAME}-{version}-{tag}.whl")
    os.makedirs(out, exist_ok=True)

    files = []  # (archive path, bytes, executable)
    for root, dirs, names in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            if name.endswith(SKIP_SUFFIXES) or re.search(r"\.(so|dylib|dll)$", name):
                continue  # a stray library from a test run: the one given by --lib goes in
            full = os.path.join(root, name)
            rel = os.path.relpath(full, os.path.dirname(os.path.abspath(package_dir))).replace(os.sep, "/")
            with open(full, "rb") as f:
                files.append((rel, f.read(), False))
    with open(lib, "rb") as f:
        files.append((f"{NAME}/generated/{lib_name}", f.read(), True))

    text = open(readme, encoding="utf-8").read() if readme and os.path.exists(readme) else ""
    files.append((f"{dist_info}/METADATA", metadata(version, text).encode(), False))
    wheel = "\n".join([
        "Wheel-Version: 1.0",
        "Generator: community-sdk scripts/wheel.py",
        "Root-Is-Purelib: false",
        f"Tag: {tag}",
        "",
    ])
    files.append((f"{dist_info}/WHEEL", wheel.encode(), False))
    files.append((f"{dist_info}/top_level.txt", f"{NAME}\n".encode(), False))
    record = [record_entry(path, data) for path, data, _ in files] + [f"{dist_info}/RECORD,,"]

    tmp = wheel_path + ".part"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data, executable in files + [(f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), False)]:
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if executable else 0o644) << 16
            zf.writestr(info, data)
    os.replace(tmp, wheel_path)
    return wheel_path


def metadata(version: str, readme: str, version_line: str = "2.1") -> str:
    """The core metadata (METADATA in the wheel, PKG-INFO in the sdist)."""
    return "\n".join([
        f"Metadata-Version: {version_line}",
        "Name: community-sdk",
        f"Version: {version}",
        "Summary: The Community SDK for Python (uniffi bindings over community-sdk-ffi, native library included).",
        "License: Apache-2.0",
        "Requires-Python: >=3.9",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Programming Language :: Rust",
        "Classifier: Framework :: AsyncIO",
        "Description-Content-Type: text/markdown",
        "",
        readme,
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", required=True, help="the native library (release build, stripped)")
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", default="dist")
    parser.add_argument("--package-dir", default=os.path.join("bindings", "python", NAME))
    parser.add_argument("--readme", default=os.path.join("bindings", "python", "README.md"))
    parser.add_argument("--plat", default="auto", help="platform tag; auto: computed (Linux) or from the host")
    args = parser.parse_args()
    try:
        print(build(args.lib, args.version, args.out, args.package_dir, args.readme, args.plat))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
