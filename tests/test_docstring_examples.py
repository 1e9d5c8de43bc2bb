"""The Examples in the analysis module's docstrings run and print what they say.

Analysts copy these examples; one that no longer runs is a broken promise, so
every module's doctests run here, from the repository root (the examples load
``instruments/strategy-pulse.toml`` by a relative path).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import analysis

ROOT = Path(__file__).resolve().parents[1]
#: Every module, packages walked into: doctest only runs the examples of
#: objects defined in the module it is given, so a package's ``__init__``
#: re-exporting its modules' functions would run none of theirs.
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(analysis.__path__, "analysis.") if m.name != "analysis.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_the_estimators_and_core_functions_have_examples():
    """The public entry points the issues promise a runnable example for."""
    from analysis import reliability, themes

    finder = doctest.DocTestFinder()
    for obj in (themes.ThemeClusterer, reliability.cronbach_alpha):
        examples = sum(len(t.examples) for t in finder.find(obj))
        assert examples > 0, f"{obj.__qualname__} has no runnable example"
