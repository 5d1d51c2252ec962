"""pytest plugin: let nbval run MyST Markdown notebooks (``.md`` with a jupytext header).

nbval collects only ``.ipynb`` files. With ``--nbval`` or ``--nbval-lax``, this plugin
also collects every ``.md`` file whose front matter declares a Jupyter kernel, reads it
with jupytext and hands it to nbval's own collector, so each code cell becomes a test
item named ``<file>::Cell <n>`` and a cell that raises fails with the notebook and the
cell named. No ``.ipynb`` is written anywhere.

Loaded from ``pyproject.toml`` (``-p tests.nbval_myst``).
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest


def _is_myst_notebook(path: Path) -> bool:
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head and "format_name: myst" in head


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    options = parent.config.option
    if not (getattr(options, "nbval", False) or getattr(options, "nbval_lax", False)):
        return None
    if not _is_myst_notebook(file_path):
        return None
    return MystNotebookFile.from_parent(parent, path=file_path)


def _nbval_file_class() -> type:
    from nbval.plugin import IPyNbFile

    return IPyNbFile


class MystNotebookFile(_nbval_file_class()):  # type: ignore[misc]
    """nbval's notebook collector, fed by jupytext instead of ``nbformat.read``."""

    def collect(self):
        import jupytext
        import nbval.plugin

        notebook = jupytext.read(self.path)
        # nbval reads the file with nbformat.read(path, as_version=4); give it the
        # notebook parsed from Markdown instead, for the duration of its collect().
        with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
            yield from super().collect()
