"""The models the package covers, by name, with the modules that implement each layer.

Lazy on purpose: a model is a name plus module paths, imported only when used, so adding a model is a new
file per layer plus one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ._validation import ParameterError


GAUSSIAN1D_QUANTITIES = (
    "var_x",
    "mean_sigma",
    "mean_sigma2",
    "mean_sigma4",
    "mean_log_sigma2",
    "var_log_sigma2",
    "mean_w2sq",
    "var_w2sq",
)
"""The 1D Gaussian quantities, in units of sigma: theory keys (symbolic) and estimate keys (numeric) alike."""


@dataclass(frozen=True, slots=True)
class Model:
    """A model: its name, one-line description and the module of each layer."""

    name: str
    description: str
    symbolic: str
    numeric: str

    def theory(self) -> ModuleType:
        """The SymPy/mpmath module (exact forms, series)."""
        return importlib.import_module(self.symbolic)

    def simulation(self) -> ModuleType:
        """The numpy module (samplers, estimators)."""
        return importlib.import_module(self.numeric)


MODELS = {
    "gaussian1d": Model(
        name="gaussian1d",
        description="1D Gaussian refit on M_i samples per generation (replace data)",
        symbolic="modelcollapse.symbolic.gaussian1d",
        numeric="modelcollapse.numeric.gaussian1d",
    ),
}


def get_model(name: str) -> Model:
    """Look a model up by name; an unknown name raises :class:`ParameterError` listing the known ones."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ParameterError(f"model must be one of {', '.join(MODELS)} (got {name!r})") from None
