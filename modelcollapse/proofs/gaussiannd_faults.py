r"""The N-dimensional Gaussian model's fault catalogue (:mod:`modelcollapse.proofs.faults`): Bartlett's
decomposition believed with a wrong degree of freedom, the exact sampler alone wrong, a wrong one-refit factor
of the engine, and a wrong coefficient of the series-only ``mean_w2sq`` claim.

Every fault is injected in memory (:func:`unittest.mock.patch`) with the caches of the symbolic layer and of the
claims cleared on the way in and out, so the claims are derived again with the fault in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import sympy as sp

from ..numeric import gaussiannd as N
from ..symbolic import gaussiannd as S
from ..symbolic.expectation import ChiSquare
from ..symbolic.series import QuasiSymmetricSeries
from . import gaussiannd as P
from .claim import Claim
from .faults import Fault, injected, shifted_draws

NAME = P.NAME
_CACHES = (S, P)

_bartlett = S.bartlett
_step_moment = S.step_moment
_w2_series = S.w2_series


def _derived(*quantities: str) -> Callable[[], Sequence[Claim]]:
    return lambda: [P.derived_claim(q, "unbiased") for q in quantities]


def _inject(*patches: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[[], Any]:
    return lambda: injected(*(make() for make in patches), caches=_CACHES)


def _bartlett_one_more_dof(dim: int, size: sp.Expr = S.M, tag: str = "") -> tuple[sp.Matrix, dict]:
    A, law = _bartlett(dim, size, tag)
    return A, {k: ChiSquare(v.dof + 1, v.divisor) if isinstance(v, ChiSquare) else v for k, v in law.items()}


def _exact_sampler_one_more_dof() -> contextlib.AbstractContextManager[Any]:
    return mock.patch.dict(N._JOBS, {"exact": shifted_draws(N._exact_chunk, standard_gamma=0.5)})


def _log_factor_off(name: str, estimator: str = "unbiased") -> sp.Expr:
    value = _step_moment(name, estimator)
    return value + sp.Rational(1, 100) if name == "log" else value


def _w2_coefficient_off(order: int = 2, dim: int = 2, eigenvalues: Any = None, estimator: str = "unbiased") -> Any:
    s = _w2_series(order, dim, eigenvalues, estimator)
    if order < 2:
        return s
    coefficients = dict(s.coefficients)
    coefficients[(2,)] = coefficients.get((2,), 0) - sp.Rational(1, 4)
    return QuasiSymmetricSeries(coefficients, s.order)


def faults() -> tuple[Fault, ...]:
    """The catalogue (see the module docstring)."""
    return (
        Fault(
            "gaussiannd-bartlett-dof", NAME,
            "Bartlett's decomposition with chi2_{M-k+1} on the diagonal, believed by the engine and the exact sampler",
            "symbolic bartlett (the engine's law of the refit) and the exact sampler's gamma draws",
            _inject(lambda: mock.patch.object(S, "bartlett", _bartlett_one_more_dof), _exact_sampler_one_more_dof),
            _derived("mean_trace"), expect=("route", "mc brute"),
            note="the exact sampler agrees with the wrong theory; the Wishart eigenvalue density (quadrature) and "
                 "drawing the points do not",
        ),
        Fault(
            "gaussiannd-sampler-dof", NAME,
            "the exact sampler's Bartlett chi-squares with one degree of freedom more (the theory right)",
            "numeric exact sampler (standard_gamma shape)",
            _inject(_exact_sampler_one_more_dof), _derived("mean_trace"), expect=("mc exact",),
        ),
        Fault(
            "gaussiannd-log-factor", NAME,
            "the one-refit factor E log V_k of log det off by +1/100",
            "symbolic step_moment('log')",
            _inject(lambda: mock.patch.object(S, "step_moment", _log_factor_off)),
            _derived("mean_logdet"), expect=("route",),
        ),
        Fault(
            "gaussiannd-w2-coefficient", NAME,
            "a wrong coefficient of the series-only claim E W_2^2: sum 1/M_i^2 changed by -1/4",
            "symbolic w2_series (statement, value and series of the claim alike)",
            _inject(lambda: mock.patch.object(S, "w2_series", _w2_coefficient_off)),
            lambda: [P.w2_claim("unbiased", False)], expect=("route",),
            note="the claim has no exact form to check the series against: the reduction to the 1D model at d = 1 "
                 "(an exact derivation by another method) sees it",
        ),
    )
