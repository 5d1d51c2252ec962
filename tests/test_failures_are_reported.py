"""Bad notebooks fail loudly: nbval and the book build name the file and the cause.

Each test builds a throw-away copy of the book's configuration around one broken page,
so what is tested is this repository's own ``_config.yml`` and nbval plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")

pytestmark = pytest.mark.slow

HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""

RAISING = HEADER + textwrap.dedent(
    """
    # A page whose second cell raises

    ```{code-cell} ipython3
    x = 1
    ```

    ```{code-cell} ipython3
    raise ZeroDivisionError("deliberately broken cell")
    ```
    """
)

BROKEN_REFERENCE = HEADER + textwrap.dedent(
    """
    # A page with a broken cross-reference

    ```{code-cell} ipython3
    x = 1
    ```

    As {eq}`eq-that-does-not-exist` shows, nothing.
    """
)


def _make_book(tmp_path: Path, page: str) -> Path:
    """A copy of this book's configuration whose only chapter is ``page``."""
    book = tmp_path / "book"
    (book / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", book / "book" / "_ext")
    shutil.copy(ROOT / "book" / "references.bib", book / "book" / "references.bib")
    (book / ".cache" / "mathjax").mkdir(parents=True)
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/broken\n", encoding="utf-8")
    (book / "book" / "broken.md").write_text(page, encoding="utf-8")
    return book


def _build(book: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_build_fails_on_a_raising_cell_and_names_it(tmp_path: Path) -> None:
    result = _build(_make_book(tmp_path, RAISING))
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build succeeded although a cell raised"
    assert "broken.md" in output, "the failing notebook is not named"
    assert "ZeroDivisionError" in output and "deliberately broken cell" in output


def test_build_fails_on_a_broken_reference_and_names_it(tmp_path: Path) -> None:
    result = _build(_make_book(tmp_path, BROKEN_REFERENCE))
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build succeeded despite a broken reference"
    assert "broken.md" in output and "eq-that-does-not-exist" in output


def test_nbval_names_the_notebook_and_the_failing_cell(tmp_path: Path) -> None:
    notebook = tmp_path / "broken.md"
    notebook.write_text(RAISING, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.nbval_myst",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            str(notebook),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 1 passed" in output
    assert "broken.md::Cell 1" in output
    assert "ZeroDivisionError" in output
