r"""The 1D Gaussian model's fault catalogue (:mod:`modelcollapse.proofs.faults`): deliberate errors in the
reduction, the engine's moments, the transitions, the recursion's outputs, the series, the estimator, the
generation index, the sampler and a published formula, each with the claims it is checked on.

Every fault is injected in memory (:func:`unittest.mock.patch`), with the caches of the symbolic layer and of
the claims cleared on the way in and out, so the claims are derived again with the fault in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import sympy as sp

from ..numeric import gaussian1d as N
from ..symbolic import gaussian1d as G
from ..symbolic.expectation import ChiSquare
from ..symbolic.series import QuasiSymmetricSeries
from . import gaussian1d as P
from . import quadrature as Q
from .claim import Claim
from .faults import Fault, injected, shifted_draws

NAME = P.NAME
_CACHES = (G, P)


def _derived(*quantities: str, estimator: str = "unbiased") -> Callable[[], Sequence[Claim]]:
    return lambda: [P.derived_claim(q, estimator) for q in quantities]


def _inject(*patches: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[[], Any]:
    """A fresh injection of the given patches (each a factory of a fresh patcher)."""
    return lambda: injected(*(make() for make in patches), caches=_CACHES)


# -- the reduction -----------------------------------------------------------------------------------------

_step_law = G.step_law
_moment = ChiSquare.moment
_transition = G.transition
_recursion = G.recursion
_series = G.series
_evaluate = G.evaluate
_closed_form = G.moment_closed_form


def _law_one_more_dof(size: Any, estimator: str) -> Any:
    law = _step_law(size, estimator)
    return ChiSquare(law.dof + 1, law.divisor) if isinstance(law, ChiSquare) else law


def _cochran_one_more_dof(size: int, estimator: str) -> Q.Density:
    return Q.scaled_chi_square(size, size - 1 if estimator == "unbiased" else size)


def _exact_sampler_one_more_dof() -> contextlib.AbstractContextManager[Any]:
    return mock.patch.dict(N._JOBS, {("exact", "replace"): shifted_draws(N._exact_chunk, standard_gamma=0.5)})


def _law_mle_divisor(size: Any, estimator: str) -> Any:
    law = _step_law(size, estimator)
    return ChiSquare(law.dof, sp.sympify(size)) if isinstance(law, ChiSquare) else law


# -- the engine's moments, the transitions, the outputs ----------------------------------------------------


def _moment_off(self: ChiSquare, power: Any, log_power: int = 0) -> sp.Expr:
    value = _moment(self, power, log_power)
    return value * (1 + sp.Rational(1, 1000)) if log_power == 0 and sp.sympify(power) != 0 else value


def _log_moment_off(self: ChiSquare, power: Any, log_power: int = 0) -> sp.Expr:
    value = _moment(self, power, log_power)
    return value + sp.Rational(1, 100) if log_power == 1 and sp.sympify(power) == 0 else value


def _transition_next_order(a: int, b: int, estimator: str = "unbiased") -> dict:
    table = dict(_transition(a, b, estimator))
    if (a, b) == (2, 0):
        table[(0, 2)] = table[(0, 2)] + 1 / G.M**3
    return table


def _recursion_without_cross_term(quantity: str, estimator: str = "unbiased", scheme: str = "replace") -> Any:
    rec = _recursion(quantity, estimator, scheme)
    if quantity != "mean_w2sq":
        return rec
    value = {label: w for label, w in rec.outputs["value"].items() if label != (0, 1)}  # -2 sigma E sigma_g
    return dataclasses.replace(rec, outputs={**rec.outputs, "value": value})


def _series_coefficient_off(quantity: str, order: int = 2, estimator: str = "unbiased") -> QuasiSymmetricSeries:
    s = _series(quantity, order, estimator)
    if quantity != "mean_w2sq" or order < 2:
        return s
    coefficients = dict(s.coefficients)
    coefficients[(2,)] = coefficients.get((2,), 0) - sp.Rational(1, 4)
    return QuasiSymmetricSeries(coefficients, order)


# -- the generation index ----------------------------------------------------------------------------------


def _evaluate_one_generation_short(quantity: str, sizes: Sequence[int], estimator: str = "unbiased", **kw: Any) -> Any:
    return _evaluate(quantity, tuple(sizes)[:-1] or tuple(sizes), estimator, **kw)


def _closed_form_one_generation_late(mon: tuple[int, int], count: sp.Expr, estimator: str = "unbiased") -> sp.Expr:
    return _closed_form(mon, count + 1, estimator)


# -- the data regimes ------------------------------------------------------------------------------------

_regime_transition = G.regime_transition
_detector_table = G.detector_table


def _mix_transition_next_order(a: int, k: int, estimator: str, scheme: str) -> dict:
    table = dict(_regime_transition(a, k, estimator, scheme))
    if scheme == "mix" and (a, k) == (2, 0):
        table[(0, 2)] = table.get((0, 2), 0) + 1 / G.M**3
    return table


def _accumulate_pool_one_short(a: int, k: int, estimator: str, scheme: str) -> dict:
    table = _regime_transition(a, k, estimator, scheme)
    if scheme != "accumulate":
        return table
    return {label: c.subs(G.P, G.P - 1) for label, c in table.items()}


def _detector_swapped(labels: Any, estimator: str, size: int, real: int, recall: Any, fpr: Any) -> Any:
    return _detector_table(labels, estimator, size, real, fpr, recall)


# -- a published formula -----------------------------------------------------------------------------------


def _published_a_doubled() -> Sequence[Claim]:
    claim = P.published_claims()[0]
    assert claim.published is not None
    wrong = P.series_from_function(lambda e: 1 + 2 * sum(e), 1)
    return [dataclasses.replace(claim, published=dataclasses.replace(claim.published, series=wrong))]


def faults() -> tuple[Fault, ...]:
    """The catalogue (see the module docstring)."""
    step_law = lambda f: (lambda: mock.patch.object(G, "step_law", f))  # noqa: E731
    return (
        Fault(
            "gaussian1d-cochran-dof", NAME,
            "Cochran's theorem with M_i degrees of freedom instead of M_i - 1, believed everywhere",
            "the engine's law of the refit ratio (symbolic step_law), the quadrature's density (cochran_law) and "
            "the exact sampler's chi-square",
            _inject(step_law(_law_one_more_dof), lambda: mock.patch.object(P, "cochran_law", _cochran_one_more_dof),
                    _exact_sampler_one_more_dof),
            _derived("var_x", "mean_sigma2"), expect=("mc brute",),
            note="the theory, its independent routes and the exact sampler share the wrong reduction: only drawing "
                 "the points can see it",
        ),
        Fault(
            "gaussian1d-sampler-dof", NAME,
            "the exact sampler's chi-square with M_i degrees of freedom (the theory right)",
            "numeric exact sampler (standard_gamma shape)",
            _inject(_exact_sampler_one_more_dof), _derived("mean_sigma2"), expect=("mc exact",),
        ),
        Fault(
            "gaussian1d-moment", NAME,
            "a wrong moment E V^r: the engine's chi-square moment formula off by a relative 1/1000 (r != 0)",
            "symbolic.expectation.ChiSquare.moment",
            _inject(lambda: mock.patch.object(ChiSquare, "moment", _moment_off)),
            _derived("var_x", "mean_sigma"), expect=("route",),
        ),
        Fault(
            "gaussian1d-log-moment", NAME,
            "E[log V] of the engine off by +1/100",
            "symbolic.expectation.ChiSquare.moment (log power 1)",
            _inject(lambda: mock.patch.object(ChiSquare, "moment", _log_moment_off)),
            _derived("mean_log_sigma2"), expect=("route",),
        ),
        Fault(
            "gaussian1d-transition", NAME,
            "a transition coefficient off by the size of the next-order term: m_{2,0}(i+1) = m_{2,0}(i) + "
            "(1/M_i + 1/M_i^3) m_{0,2}(i)",
            "symbolic transition(2, 0)",
            _inject(lambda: mock.patch.object(G, "transition", _transition_next_order)),
            _derived("var_x"), expect=("route",),
            note="the closed forms, the series and the exact values all follow the wrong transition consistently",
        ),
        Fault(
            "gaussian1d-cross-term", NAME,
            "a dropped cross term: E W_2^2 = E(mu_g - mu)^2 + E sigma_g^2 + sigma^2 without -2 sigma E sigma_g",
            "the output weights of the recursion of mean_w2sq",
            _inject(lambda: mock.patch.object(G, "recursion", _recursion_without_cross_term)),
            lambda: [P.derived_claim("mean_w2sq"), P.published_claims()[1]],
            expect=("route", "mc exact", "mc brute", "published"),
        ),
        Fault(
            "gaussian1d-series-coefficient", NAME,
            "a wrong series coefficient: sum 1/M_i^2 in the series of E W_2^2 changed by -1/4 (exact form right)",
            "symbolic series(mean_w2sq)",
            _inject(lambda: mock.patch.object(G, "series", _series_coefficient_off)),
            _derived("mean_w2sq"), expect=("series",),
        ),
        Fault(
            "gaussian1d-mle-divisor", NAME,
            "the MLE divisor M_i where the unbiased estimator's M_i - 1 belongs (in the engine's law)",
            "symbolic step_law, unbiased estimator",
            _inject(step_law(_law_mle_divisor)), _derived("mean_sigma2", "var_x"),
            expect=("route", "mc exact", "mc brute"),
        ),
        Fault(
            "gaussian1d-generation-offset", NAME,
            "an off-by-one in the generation index: the exact value after g - 1 refits (the last size dropped)",
            "symbolic evaluate (the claims' exact values)",
            _inject(lambda: mock.patch.object(G, "evaluate", _evaluate_one_generation_short)),
            _derived("var_x", "mean_w2sq"), expect=("series", "mc exact", "mc brute"),
        ),
        Fault(
            "gaussian1d-closed-form-offset", NAME,
            "an off-by-one in the closed forms: m_{a,b}(g) written with the sums and products of g + 1 refits",
            "symbolic moment_closed_form",
            _inject(lambda: mock.patch.object(G, "moment_closed_form", _closed_form_one_generation_late)),
            _derived("var_x"), expect=("step", "route"),
        ),
        Fault(
            "gaussian1d-mix-transition", NAME,
            "fresh real data: a transition coefficient of mix off by the next-order term, m_{2,0}(i+1) gains "
            "m_{0,2}(i)/M_i^3",
            "symbolic regime_transition(2, 0, mix)",
            _inject(lambda: mock.patch.object(G, "regime_transition", _mix_transition_next_order)),
            lambda: [P.regime_claim("mix", "var_mu")], expect=("route",),
            note="the explicit-points route writes every point out and never uses the table",
        ),
        Fault(
            "gaussian1d-accumulate-pool", NAME,
            "accumulating data: the pool one point short (N_{i-1} - 1) in every accumulate coefficient",
            "symbolic regime_transition(accumulate)",
            _inject(lambda: mock.patch.object(G, "regime_transition", _accumulate_pool_one_short)),
            lambda: [P.regime_claim("accumulate", "var_mu")], expect=("route",),
            note="the effect at the claim's sizes is below what its Monte Carlo is powered for; the explicit points "
                 "see it exactly",
        ),
        Fault(
            "gaussian1d-detector-swap", NAME,
            "a detector with recall and false-positive rate swapped in the theory's averaged table (samplers right)",
            "symbolic detector_table",
            _inject(lambda: mock.patch.object(G, "detector_table", _detector_swapped)),
            lambda: [P.detector_claim("var_mu")], expect=("mc exact", "mc brute"),
        ),
        Fault(
            "gaussian1d-published-a", NAME,
            "a wrong published formula: statement (a) transcribed as Var X^n = sigma^2 (1 + 2 sum 1/M_i)",
            "the PublishedForm of shumailov2024-a-var-x",
            contextlib.nullcontext, _published_a_doubled, expect=("published",),
        ),
    )
