"""The layers import one way: symbolic never pulls numpy in, numeric never pulls SymPy in."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(import_line: str) -> set[str]:
    code = f"import sys; {import_line}; print('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["modelcollapse.symbolic", "modelcollapse.symbolic.gaussian1d", "modelcollapse.symbolic.recursion", "modelcollapse.symbolic.series",
     "modelcollapse.symbolic.ngram"],
)
def test_symbolic_imports_no_numeric_layer(module):
    loaded = _modules_after(f"import {module}")
    assert "numpy" not in loaded and "scipy" not in loaded
    assert not any(m.startswith("modelcollapse.numeric") or m.startswith("modelcollapse.proofs") for m in loaded)


@pytest.mark.parametrize("module", ["modelcollapse.numeric", "modelcollapse.numeric.gaussian1d", "modelcollapse.numeric.ngram"])
def test_numeric_imports_no_sympy(module):
    loaded = _modules_after(f"import {module}")
    assert "sympy" not in loaded and "mpmath" not in loaded
    assert not any(m.startswith("modelcollapse.symbolic") or m.startswith("modelcollapse.proofs") for m in loaded)


def test_package_and_plugin_import_light():
    loaded = _modules_after("import modelcollapse, modelcollapse._pytest_plugin")
    assert not {"sympy", "numpy", "mpmath"} & loaded
