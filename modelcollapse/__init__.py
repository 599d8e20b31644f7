"""modelcollapse: the theory of model collapse as checked, reusable results.

Layers (imports flow one way):

* :mod:`modelcollapse.symbolic` -- SymPy + mpmath only: moment algebra, Cochran decompositions, exact forms, series.
* :mod:`modelcollapse.numeric` -- numpy/scipy only: samplers, estimators with standard errors, statistical tests.
* :mod:`modelcollapse.proofs` -- claims joining the two, the registry, verification.

This module imports nothing heavy: attributes are loaded on first use, so ``import modelcollapse.numeric``
never drags SymPy in (and ``import modelcollapse.symbolic`` never drags numpy in).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "citation": ("modelcollapse.export.bibtex", "citation"),
    "registry": ("modelcollapse.proofs.registry", "registry"),
    "get_claim": ("modelcollapse.proofs.registry", "get_claim"),
    "ParameterError": ("modelcollapse._validation", "ParameterError"),
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'modelcollapse' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
