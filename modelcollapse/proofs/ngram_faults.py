r"""The n-gram model's fault catalogue (:mod:`modelcollapse.proofs.faults`): the marginal chains a generation
short, the distance recursion without its drift term, and the exact sampler forgetting the real tokens.

Every fault is injected in memory (:func:`unittest.mock.patch`) with the claims' caches cleared on the way in
and out, so the claims are built again with the fault in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import numpy as np

from ..numeric import ngram as N
from ..symbolic import ngram as S
from . import ngram as P
from .claim import Claim
from .faults import Fault, injected

NAME = P.NAME
_CACHES = (S, P)

_pair_marginals = N.pair_marginals
_weighted_distance = S.weighted_distance
_step_exact = N._step_exact


def _claims(*ids: str) -> Callable[[], Sequence[Claim]]:
    return lambda: [P._claims_built()[cid] for cid in ids]


def _inject(*patches: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[[], Any]:
    return lambda: injected(*(make() for make in patches), caches=_CACHES)


def _marginals_one_generation_short(corpus: Any, generations: int, real: int = 0) -> Any:
    return _pair_marginals(corpus, max(generations - 1, 1), real)


def _distance_without_drift(groups: Any, generations: int, *, dps: int = 17, drift: bool = True) -> Any:
    return _weighted_distance(groups, generations, dps=dps, drift=False)


def _step_forgetting_real_tokens(rng: Any, c: Any, X: Any, rc: Any, p0: Any) -> Any:
    return _step_exact(rng, c, X, np.zeros_like(rc), p0)


def faults() -> tuple[Fault, ...]:
    """The catalogue (see the module docstring)."""
    return (
        Fault(
            "ngram-marginals-offset", NAME,
            "the per-pair marginal chains one generation short (P(X^(g)_{c,w} = 0) after g - 1 refits)",
            "numeric pair_marginals (the claims' exact values)",
            _inject(lambda: mock.patch.object(N, "pair_marginals", _marginals_one_generation_short)),
            _claims("ngram-distinct-1"), expect=("route", "mc exact", "mc brute"),
        ),
        Fault(
            "ngram-drift-dropped", NAME,
            "the weighted distance recursion without its drift term -alpha/M (the fit treated as fixed)",
            "symbolic weighted_distance",
            _inject(lambda: mock.patch.object(S, "weighted_distance", _distance_without_drift)),
            _claims("ngram-mix-mean-sq-dist"), expect=("route",),
            note="the claim's power target is this very error: under the fault it vanishes and the Monte Carlo "
                 "checks report themselves underpowered",
        ),
        Fault(
            "ngram-sampler-real-tokens", NAME,
            "the exact sampler forgets the real tokens under mix (all N_c next tokens from the model)",
            "numeric _step_exact",
            _inject(lambda: mock.patch.object(N, "_step_exact", _step_forgetting_real_tokens)),
            _claims("ngram-mix-mean-sq-dist"), expect=("mc exact",),
        ),
    )
