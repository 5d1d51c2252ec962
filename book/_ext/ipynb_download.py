"""Offer each executed MyST notebook as an ``.ipynb`` download, with its outputs.

sphinx-book-theme adds an ".ipynb" entry to the download menu only when a launch
button (Binder, Colab, ...) is configured, and it copies the notebook that myst-nb
writes to ``_build/jupyter_execute``, which has no outputs when they came from the
execution cache. This extension, with no launch service and no network, merges the
cached outputs back into that notebook, writes it to ``_sources/<page>.ipynb`` and
tells the theme about it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from jupyter_cache import get_cache
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def _executed_notebook(app: Sphinx, pagename: str) -> nbformat.NotebookNode | None:
    source = Path(app.env.mystnb_config.output_folder, pagename + ".ipynb")
    if not source.exists():
        return None
    notebook = nbformat.read(source, as_version=4)
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        _, notebook = cache.merge_match_into_notebook(notebook)
    except KeyError:
        pass  # executed in this build, so the notebook already carries its outputs
    return notebook


def add_ipynb_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None or not context.get("sourcename", "").endswith(".md"):
        return
    notebook = _executed_notebook(app, pagename)
    if notebook is None:
        return
    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = pagename + ".ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # Before sphinx-book-theme builds the header buttons (priority 501).
    app.connect("html-page-context", add_ipynb_download, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
