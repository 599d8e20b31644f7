r"""The categorical model's fault catalogue (:mod:`modelcollapse.proofs.faults`): deliberate errors in the
refit's law, the squared-distance recursion, the support engine, the exact sampler and a published bound.

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

from ..numeric import categorical as N
from ..symbolic import categorical as S
from . import categorical as C
from .claim import Claim
from .faults import Fault, injected

NAME = C.NAME
_CACHES = (S, C)

_factorial_moments = S.factorial_moments
_mix_sq_dist = S.mix_sq_dist
_marginal = N.marginal_expectations
_draw_exact = N._draw_exact


def _claims(*ids: str) -> Callable[[], Sequence[Claim]]:
    return lambda: [C._claims_built()[cid] for cid in ids]


def _inject(*patches: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[[], Any]:
    return lambda: injected(*(make() for make in patches), caches=_CACHES)


def _poisson_second_moment(n: sp.Expr, prob: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """E X^2 of a binomial count taken as that of a Poisson count, (n q)^2 + n q (the -n q^2 term dropped)."""
    m1, _ = _factorial_moments(n, prob)
    return m1, sp.expand(m1**2 + m1)


def _sq_dist_one_token_more(sizes: Sequence[int], real: int, h0: Any, **kw: Any) -> list[Any]:
    return _mix_sq_dist([m + 1 for m in sizes], real, h0, **kw)


def _sq_dist_counts_swapped(sizes: Sequence[int], real: int, h0: Any, **kw: Any) -> list[Any]:
    """alpha = R/M in place of (M - R)/M: the real and synthetic counts swapped (constant sizes)."""
    return _mix_sq_dist(sizes, sizes[-1] - real if real else real, h0, **kw)


def _marginal_one_generation_short(p: Any, sizes: Sequence[int], **kw: Any) -> Any:
    return _marginal(p, tuple(sizes)[:-1] or tuple(sizes), **kw)


def _draw_one_token_fewer(rng: Any, n: int, prob: Any) -> Any:
    return _draw_exact(rng, max(n - 1, 1) if n else 0, prob)


def _suresh_without_k() -> Sequence[Claim]:
    claim = C._claims_built()["suresh2024-theorem1"]
    assert claim.published is not None

    def value(params: Any, dps: int) -> Any:
        m, _ = C._constant(params)
        p = N.parse_distribution(params["dist"]).p[params["tail_rank"]:]
        with mpmath.workdps(dps):
            return mpmath.fsum(1 - mpmath.exp(-m * mpmath.mpf(float(x))) for x in p)

    return [dataclasses.replace(claim, published=dataclasses.replace(claim.published, value=value))]


def faults() -> tuple[Fault, ...]:
    """The catalogue (see the module docstring)."""
    return (
        Fault(
            "categorical-refit-law", NAME,
            "the refit's second moment from a Poisson count: E X^2 = (M q)^2 + M q for X ~ Bin(M, q)",
            "symbolic factorial_moments (the pgf derivation of one refit)",
            _inject(lambda: mock.patch.object(S, "factorial_moments", _poisson_second_moment)),
            _claims("categorical-heterozygosity", "categorical-mix-mean-sq-dist"), expect=("step",),
            note="the exact values come from the affine recursion, not from this derivation: only the step's own "
                 "equality can see it",
        ),
        Fault(
            "categorical-sample-size", NAME,
            "the squared-distance recursion run with M_i + 1 tokens per generation",
            "symbolic mix_sq_dist (the claims' exact values)",
            _inject(lambda: mock.patch.object(S, "mix_sq_dist", _sq_dist_one_token_more)),
            _claims("categorical-heterozygosity", "categorical-mix-mean-sq-dist", "wright-fisher-heterozygosity"),
            expect=("mc exact", "mc brute", "published"),
        ),
        Fault(
            "categorical-counts-swapped", NAME,
            "the mix recursion with the real and synthetic counts swapped: alpha = R/M_i for (M_i - R)/M_i",
            "symbolic mix_sq_dist under mix",
            _inject(lambda: mock.patch.object(S, "mix_sq_dist", _sq_dist_counts_swapped)),
            _claims("categorical-mix-mean-sq-dist"), expect=("mc exact", "mc brute"),
        ),
        Fault(
            "categorical-support-engine", NAME,
            "the support engine one generation short: P(p_g[k] = 0) after g - 1 refits",
            "numeric marginal_expectations",
            _inject(lambda: mock.patch.object(N, "marginal_expectations", _marginal_one_generation_short)),
            _claims("categorical-expected-support", "categorical-missing-mass"),
            expect=("route", "mc exact", "mc brute"),
        ),
        Fault(
            "categorical-sampler-tokens", NAME,
            "the exact sampler draws M_i - 1 tokens per generation (the theory right)",
            "numeric exact multinomial draw",
            _inject(lambda: mock.patch.object(N, "_draw_exact", _draw_one_token_fewer)),
            _claims("categorical-heterozygosity"), expect=("mc exact",),
        ),
        Fault(
            "categorical-published-suresh", NAME,
            "a wrong published bound: Suresh et al.'s Theorem 1 transcribed without the 1/k, 1 - e^{-M theta}",
            "the PublishedForm of suresh2024-theorem1",
            contextlib.nullcontext, _suresh_without_k, expect=("published",),
        ),
    )
