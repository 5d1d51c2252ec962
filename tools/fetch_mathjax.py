"""Fetch MathJax 3 from the npm registry so that the book typesets math offline.

The tarball is pinned by version and by the registry's sha512 integrity hash; its
``es5`` folder is unpacked into ``DEST/mathjax``. ``_config.yml`` lists ``DEST`` in
``html_static_path`` (so Sphinx copies it to ``_build/html/_static``) and points
``mathjax_path`` at ``mathjax/tex-chtml.js``. Nothing fetched here is committed.

Usage: python tools/fetch_mathjax.py [DEST]   (default: .cache/mathjax)
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "3.2.2"
URL = f"https://registry.npmjs.org/mathjax/-/mathjax-{VERSION}.tgz"
INTEGRITY = (  # the registry's dist.integrity for this version
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/"
    "O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)


def main(dest: Path) -> None:
    target = dest / "mathjax"
    stamp = target / f".version-{VERSION}"
    if stamp.exists():
        print(f"MathJax {VERSION} already in {target}")
        return
    print(f"Fetching MathJax {VERSION} from {URL}")
    with urllib.request.urlopen(URL, timeout=120) as response:
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        sys.exit(f"MathJax tarball integrity mismatch: expected {INTEGRITY}, got {digest}")
    if target.exists():
        shutil.rmtree(target)
    prefix = "package/es5/"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            out = target / member.name.removeprefix(prefix)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.extractfile(member).read())
    stamp.touch()
    print(f"MathJax {VERSION} unpacked into {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".cache/mathjax"))
