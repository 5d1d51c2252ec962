"""Read (and so execute) the notebooks in parallel, one notebook per task, heaviest first.

With ``-j N`` Sphinx reads documents in N processes. Two things make that useful for a
book whose reading time is notebook execution:

* Sphinx splits the documents into a few fixed batches in alphabetical order, so one
  batch can hold all the slow notebooks. Here every document is its own task, and the
  tasks are queued heaviest first (the ``parallel_read_first`` list of the book's
  configuration), so a free process always takes the next notebook.
* ``sphinx_multitoc_numbering`` does not declare whether it is safe for parallel
  reading, and Sphinx then warns and reads serially. It only renumbers the table of
  contents after all documents are read, in the main process, so it is safe; this
  extension says so.
"""

from __future__ import annotations

from typing import Any

import sphinx.builders
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def _one_per_task(arguments: list[str], nproc: int, maxbatch: int = 10) -> list[list[str]]:
    return [[argument] for argument in arguments]


def _heaviest_first(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    first = [name for name in app.config.parallel_read_first if name in docnames]
    rest = [name for name in docnames if name not in first]
    docnames[:] = first + rest


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("parallel_read_first", [], "env", list)
    sphinx.builders.make_chunks = _one_per_task
    app.connect("env-before-read-docs", _heaviest_first)
    for name in ("sphinx_multitoc_numbering",):
        if name in app.extensions:
            app.extensions[name].parallel_read_safe = True
    return {"parallel_read_safe": True, "parallel_write_safe": True}
