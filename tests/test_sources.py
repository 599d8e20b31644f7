"""Every source file compiles without a warning: an invalid escape in a docstring (``"\\to"`` is a tab and an
``o``) is a SyntaxError once warnings are errors, which is how pytest loads the plugin on a fresh install."""

from __future__ import annotations

import pathlib
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("modelcollapse", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_source_compiles_without_warnings(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
