"""Package hygiene: every public object is documented, and docstrings are clean text."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys

import pytest

MODULES = [
    "companion.datasets",
    "companion.beta_binomial",
    "companion.normal_normal",
    "companion.grid",
    "companion.exchangeability",
    "companion.draws",
    "companion.models",
    "companion.diagnostics",
    "companion.replicates",
    "companion.claims",
    "companion.priors",
    "companion.mixtures",
    "companion.rankings",
    "companion.predictive_checks",
    "companion.meta_analysis",
    "companion.checks",
    "companion.literature",
    "companion.plots",
]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _public(module_name: str):
    module = importlib.import_module(module_name)
    yield module_name, module
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        yield f"{module_name}.{name}", obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and callable(member):
                    yield f"{module_name}.{name}.{attr}", member


@pytest.mark.parametrize("module_name", MODULES)
def test_public_objects_have_clean_docstrings(module_name: str) -> None:
    for qualname, obj in _public(module_name):
        if not (inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj)):
            continue  # constants such as PARAMETRIZATIONS, FLAT or UNIFORM_RATE
        doc = inspect.getdoc(obj)
        assert doc, f"{qualname} has no docstring"
        assert not CONTROL.search(doc), (
            f"{qualname}: control character in docstring (a lost backslash?)"
        )


@pytest.mark.slow
def test_importing_companion_does_not_import_pymc() -> None:
    code = (
        "import sys, companion, companion.normal_normal, companion.beta_binomial, "
        "companion.replicates, companion.claims; "
        "print('pymc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
