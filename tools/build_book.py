"""Run ``jupyter-book build`` with Sphinx reading N documents at once (``BOOK_JOBS``, default 2).

Jupyter Book 1's command line has no ``-j`` option, although its ``build_sphinx`` takes
``jobs``; this wrapper passes it and otherwise runs the unchanged command line, with the
same arguments (``python tools/build_book.py build . -W -n --keep-going``).
"""

from __future__ import annotations

import functools
import os

import jupyter_book.sphinx
from jupyter_book.cli.main import main

jobs = int(os.environ.get("BOOK_JOBS", "2"))
jupyter_book.sphinx.build_sphinx = functools.partial(jupyter_book.sphinx.build_sphinx, jobs=jobs)

if __name__ == "__main__":
    main()
