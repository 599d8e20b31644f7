r"""The regression model's fault catalogue (:mod:`modelcollapse.proofs.faults`): deliberate errors in the
inverse-Wishart moments, the Wishart law believed by theory and sampler alike, the exact sampler's
Schur-complement chi-square, a chi-square moment formula of a derivation step, and a published formula.

Every fault is injected in memory (:func:`unittest.mock.patch`) with the claims' caches cleared on the way in
and out, so the claims are built again with the fault in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import mpmath
import sympy as sp

from ..numeric import regression as N
from ..symbolic import regression as R
from . import regression as P
from .claim import Claim
from .faults import Fault, injected, shifted_draws

NAME = P.NAME
_CACHES = (R, P)

_inverse_moments = R._inverse_moments
_bartlett = N._bartlett
_chi2_moment = P._chi2_moment


def _claims(*ids: str) -> Callable[[], Sequence[Claim]]:
    return lambda: [P.derived_claims()[cid] for cid in ids]


def _inject(*patches: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[[], Any]:
    return lambda: injected(*(make() for make in patches), caches=_CACHES)


def _inverse_moments_one_row_more(dim: int, samples: int) -> tuple[Any, Any, Any]:
    """E (W^{-1})_11 = 1/(T - d) for 1/(T - d - 1): the moments of a Wishart with one degree of freedom more."""
    return _inverse_moments(dim, samples + 1)


def _bartlett_one_row_more(rng: Any, n: int, d: int, T: int) -> Any:
    return _bartlett(rng, n, d, T + 1)


def _chi2_moment_shifted(nu: sp.Expr, r: int) -> sp.Expr:
    """E[(chi2_nu)^r] with the Gamma ratio's argument off by one half: 2^r Gamma(nu/2 + r + 1/2)/Gamma(nu/2 + 1/2)."""
    return _chi2_moment(nu + 1, r)


def _dohmatob_synthetic_only() -> Sequence[Claim]:
    claim = P.published_claims()["dohmatob2024-linear-growth"]
    assert claim.published is not None

    def value(p: Any, dps: int = 17) -> Any:
        with mpmath.workdps(dps + 5):
            return mpmath.mpf(p["noise"]) ** 2 * p["dim"] * (p["generations"] - 1) / mpmath.mpf(p["samples"] - p["dim"] - 1)

    return [dataclasses.replace(claim, published=dataclasses.replace(claim.published, value=value))]


def faults() -> tuple[Fault, ...]:
    """The catalogue (see the module docstring)."""
    inverse = lambda: mock.patch.object(R, "_inverse_moments", _inverse_moments_one_row_more)  # noqa: E731
    return (
        Fault(
            "regression-wishart-dof", NAME,
            "the Gram matrix of a Gaussian design taken as Wishart with T + 1 degrees of freedom, believed by the "
            "theory's inverse moments and the exact sampler's Bartlett factor",
            "symbolic _inverse_moments and numeric _bartlett",
            _inject(inverse, lambda: mock.patch.object(N, "_bartlett", _bartlett_one_row_more)),
            _claims("regression-test-error-replace"), expect=("mc brute",),
            note="theory and exact sampler share the wrong law: only drawing the design rows can see it",
        ),
        Fault(
            "regression-wishart-mean", NAME,
            "the inverse-Wishart mean E (W^{-1})_11 = 1/(T - d) in place of 1/(T - d - 1) (the theory only)",
            "symbolic _inverse_moments (the claims' exact values)",
            _inject(inverse), _claims("regression-test-error-replace", "regression-var-test-error-random-once"),
            expect=("mc exact", "mc brute"),
        ),
        Fault(
            "regression-sampler-chi-square", NAME,
            "every chi-square of the exact sampler one degree of freedom short (the Schur complement chi2_{T-d} "
            "for chi2_{T-d+1}, the Bartlett diagonal chi2_{T-i-1})",
            "numeric exact sampler (chisquare draws)",
            _inject(lambda: mock.patch.dict(N._JOBS, {"exact": shifted_draws(N._exact_chunk, chisquare=-1)})),
            _claims("regression-test-error-replace", "regression-in-sample-error-fresh"), expect=("mc exact",),
        ),
        Fault(
            "regression-chi2-moment", NAME,
            "a wrong moment formula in the Wishart steps: E[(chi2_nu)^r] with nu/2 + 1/2 for nu/2 in the Gamma ratio",
            "proofs _chi2_moment (the left side of the Schur and Bartlett steps)",
            _inject(lambda: mock.patch.object(P, "_chi2_moment", _chi2_moment_shifted)),
            _claims("regression-test-error-replace"), expect=("step",),
            note="the exact values use their own inverse moments: the steps' own equalities see it",
        ),
        Fault(
            "regression-published-dohmatob", NAME,
            "a wrong published formula: Dohmatob et al.'s linear growth transcribed with n = G - 1",
            "the PublishedForm of dohmatob2024-linear-growth",
            contextlib.nullcontext, _dohmatob_synthetic_only, expect=("published",),
        ),
    )
