"""Make a pure-Python wheel of an installed package (for the upstream-shaped QEMU source fixture).

    wheel.py OUTDIR DIST VERSION PACKAGE_DIR [CONSOLE_SCRIPT=module:function]...

Debian installs Python packages without wheels; QEMU's release tarballs carry meson and pycotap
as wheels in python/wheels/. This packs PACKAGE_DIR (a directory of the system's dist-packages)
as DIST-VERSION-py3-none-any.whl with the metadata pip needs, the RECORD with every file's hash.
"""
import base64
import hashlib
import os
import sys
import zipfile


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> None:
    outdir, dist, version, pkg_dir, *scripts = sys.argv[1:]
    info = f"{dist}-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    top = os.path.dirname(os.path.abspath(pkg_dir))
    for here, dirs, names in os.walk(pkg_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith((".pyc", ".pyo")):
                continue
            full = os.path.join(here, n)
            with open(full, "rb") as f:
                files.append((os.path.relpath(full, top), f.read()))
    files.append((f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: anyarch-test-fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    if scripts:
        files.append((f"{info}/entry_points.txt", ("[console_scripts]\n" + "".join(
            f"{s.split('=', 1)[0]} = {s.split('=', 1)[1]}\n" for s in scripts)).encode()))
    record = [record_line(n, d) for n, d in files] + [f"{info}/RECORD,,"]
    out = os.path.join(outdir, f"{dist}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files:
            z.writestr(n, d)
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    print(out)


main()
