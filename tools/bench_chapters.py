"""Chapter rows of `make bench`: each notebook executed from scratch, beside its budget.

Each chapter runs in a fresh kernel with empty PyTensor and numba compile caches
(``PYTENSOR_FLAGS=compiledir=<new folder>``, ``NUMBA_CACHE_DIR=<new folder>``), so the
time is what a newcomer's first run costs, compilation included. One run per chapter:
the machines are shared, so read the column against the budget, not to the second.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"divergences": 60.0, "rat_tumors": 30.0, "own_data": 20.0}


def chapters() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "book").glob("*.md")
        if "kernelspec:" in path.read_text(encoding="utf-8")[:1000]
    )


def execute_cold(path: Path) -> float:
    """Execute one MyST notebook in a new kernel with empty compile caches; return seconds."""
    notebook = jupytext.read(path)
    with tempfile.TemporaryDirectory() as caches:
        saved = {k: os.environ.get(k) for k in ("PYTENSOR_FLAGS", "NUMBA_CACHE_DIR")}
        os.environ["PYTENSOR_FLAGS"] = f"compiledir={caches}/pytensor"
        os.environ["NUMBA_CACHE_DIR"] = f"{caches}/numba"
        try:
            start = time.perf_counter()
            client = NotebookClient(
                notebook,
                timeout=600,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up chatter
            return time.perf_counter() - start
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def print_chapters() -> None:
    print("Chapters executed from scratch (fresh kernel, empty PyTensor and numba caches)")
    print("| chapter         | seconds | budget (s) | within |")
    print("|-----------------|---------|------------|--------|")
    total = 0.0
    for path in chapters():
        seconds = execute_cold(path)
        total += seconds
        budget = BUDGETS.get(path.stem)
        verdict = "" if budget is None else ("yes" if seconds <= budget else "NO")
        shown = "" if budget is None else f"{budget:.0f}"
        print(f"| {path.stem:<15} | {seconds:7.1f} | {shown:>10} | {verdict:<6} |", flush=True)
    print(f"| {'all, one by one':<15} | {total:7.1f} |            |        |")
