r"""The categorical model (Wright-Fisher resampling of a distribution over K categories): theory, claims,
declaration.

What is conserved and what is lost, decided from the exact forms:

* **conserved** -- the expected distribution: :math:`E\,p_g = p` for every :math:`g`, replace or mix
  (one refit is unbiased), hence the expected mass of every set of categories, e.g. of the tail,
  ``mean_tail_mass`` :math:`= \sum_{k > r} p_k`;
* **lost** -- support and coverage: :math:`\text{supp}\,p_{i+1} \subseteq \text{supp}\,p_i` under
  replace, so ``expected_support`` decreases with :math:`g` (to 1), ``missing_mass``
  :math:`\sum_k p_k P(p_g[k] = 0)` increases (to :math:`1 - \sum_k p_k^2`... and on to every category but
  one), and the mass of the tail that is still *present* decreases although its expected mass does not:
  the rare categories are lost first (they die out in :math:`O(M p_k)` generations), the expected mass is
  kept by the survivors' growth.  Heterozygosity decays geometrically, :math:`\prod_i (1 - 1/M_i)`.

Under mix (:math:`R \ge 1` real tokens per generation) nothing is lost for good: the count chain of each
category is irreducible with a stationary law, :math:`E\|p_\infty - p\|^2 = H_0 M / (M^2 - (M-R)(M-R-1))`,
and :math:`P(p_\infty[k] = 0) = \pi_k(0) > 0`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .._validation import ParameterError, check_integer
from ..models import Figure, Model, Parameter, Quantity, TheoryResult
from ..numeric import categorical as N
from ..symbolic import categorical as S
from .claim import Claim, DerivationStep, PublishedForm

NAME = "categorical"

QUANTITIES = ("mean_sq_dist", "heterozygosity", "expected_support", "missing_mass", "tail_mass_present",
              "tail_support", "mean_tail_mass", "mean_entropy")
_MARGINAL = ("expected_support", "missing_mass", "tail_mass_present", "tail_support", "mean_entropy")

_LATEX = {
    "mean_sq_dist": r"E\,\|p_g - p\|^2",
    "heterozygosity": r"E[1 - \sum_k p_g[k]^2] / H_0",
    "expected_support": r"E\,\#\{k : p_g[k] > 0\}",
    "missing_mass": r"E \sum_k p_k [p_g[k] = 0]",
    "tail_mass_present": r"E \sum_{k > r} p_k [p_g[k] > 0]",
    "tail_support": r"E\,\#\{k > r : p_g[k] > 0\}",
    "mean_tail_mass": r"E \sum_{k > r} p_g[k]",
    "mean_entropy": r"E\,H(p_g)",
}
_TEXT = {
    "mean_sq_dist": "expected squared Euclidean distance of the fit to the original distribution",
    "heterozygosity": "expected Gini-Simpson index 1 - sum p_g^2, relative to the original's H_0",
    "expected_support": "expected number of categories the model still generates",
    "missing_mass": "probability that a real token has model probability 0",
    "tail_mass_present": "real mass of the tail (ranks > r) whose categories survive",
    "tail_support": "expected number of tail categories (ranks > r) that survive",
    "mean_tail_mass": "expected model mass of the tail (ranks > r): conserved",
    "mean_entropy": "expected entropy of the fitted distribution (nats)",
}


# ---------------------------------------------------------------------------------------------------------
# theory


def _validate(params: dict[str, Any]) -> dict[str, Any]:
    d = N.parse_distribution(params["dist"])
    scheme, real = params["scheme"], params["real"]
    if scheme == "replace" and real:
        raise ParameterError(f"real must be 0 for scheme replace (got {real}); use --scheme mix")
    if scheme == "mix" and real < 1:
        raise ParameterError(f"real must be an integer >= 1 for scheme mix (got {real})")
    for i, m in enumerate(params["sizes"]):
        if real > m:
            raise ParameterError(f"real must be an integer <= every sample size M_i (got real={real} > sizes[{i}]={m})")
    if params["tail_rank"] > d.K - 1:
        raise ParameterError(f"tail_rank must be an integer between 0 and K - 1 = {d.K - 1} (got {params['tail_rank']})")
    return params


def exact_values(params: Mapping[str, Any], generations: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Every quantity at the given generations (default: the last), with the marginal laws' error bound.

    Returns one dict per generation: the quantities (floats, or mpmath numbers for the closed forms),
    ``_zero`` and ``_alive`` (per-category arrays) and ``_error``.
    """
    d = N.parse_distribution(params["dist"])
    sizes = tuple(params["sizes"])
    real = int(params["real"])
    r = int(params["tail_rank"])
    g = len(sizes)
    gens = tuple(generations) if generations is not None else (g,)
    h0 = 1.0 - d.homozygosity
    recall, fpr = float(params.get("detector_recall", 0.0)), float(params.get("detector_fpr", 0.0))
    detector = recall > 0 or fpr > 0
    dists = S.sq_dist_recursion(detector_coefficients(sizes, real, recall, fpr), mpmath.mpf(h0)) if detector \
        else S.mix_sq_dist(sizes, real, mpmath.mpf(h0))
    out = []
    forward = real > 0
    for j in gens:
        if detector:
            out.append({
                "mean_sq_dist": dists[j - 1], "heterozygosity": 1 - dists[j - 1] / mpmath.mpf(h0),
                "mean_tail_mass": float(math.fsum(d.p[r:])),
                **{q: None for q in _MARGINAL}, "_zero": None, "_alive": None, "_error": 0.0,
                "_method": "composition-averaged recursion",
            })
            continue
        m = N.marginal_expectations(d.p, sizes[:j], real=real, functions=("zero", "alive", "entropy"),
                                    method="forward" if forward else "backward")
        zero, alive, ent = m.values["zero"], m.values["alive"], m.values["entropy"]
        out.append({
            "mean_sq_dist": dists[j - 1],
            "heterozygosity": 1 - dists[j - 1] / mpmath.mpf(h0),
            "expected_support": float(math.fsum(alive)),
            "missing_mass": float(math.fsum(d.p * zero)),
            "tail_mass_present": float(math.fsum(d.p[r:] * alive[r:])),
            "tail_support": float(math.fsum(alive[r:])),
            "mean_tail_mass": float(math.fsum(d.p[r:])),
            "mean_entropy": float(math.fsum(ent)),
            "_zero": zero,
            "_alive": alive,
            "_error": m.error,
            "_method": m.method,
        })
    return out


def detector_coefficients(sizes: Sequence[int], real: int, recall: float, fpr: float) -> list[tuple[float, float]]:
    r"""``(c_i, e_i)`` of :func:`~modelcollapse.symbolic.categorical.sq_dist_recursion` per generation under a
    detector: generation 0 keeps :math:`a \sim \text{Bin}(M_0, 1 - f)` real tokens, generation :math:`i \ge 1`
    :math:`a \sim \text{Bin}(R, 1 - f)` real and :math:`b \sim \text{Bin}(M_i - R, 1 - \rho)` synthetic ones."""
    out = []
    for i, m in enumerate(sizes):
        r = m if i == 0 else real
        p0, e2, e1, _ = N.composition_moments(r, m - r, float(recall), float(fpr))
        out.append((e2 + p0, e1))
    return out


def recall_for_distance(dist: str, size: int, real: int, distance: float, *, fpr: float = 0.0,
                        generations: int | None = None, grid: int = 1000) -> float | None:
    r"""The smallest recall :math:`\rho` on a grid of step ``1/grid`` for which :math:`E\|p_g - p\|^2 \le`
    ``distance`` (at ``generations`` refits of ``size`` tokens with ``real`` real ones, or at stationarity,
    :math:`D_\infty = e H_0 / (1 - c)`), from the exact composition-averaged recursion; ``None`` if no
    recall reaches it.

    In this model the answer is 0 or ``None``: the composition-averaged recursion gives a squared distance
    that *increases* with the recall (removing synthetic tokens leaves fewer tokens; a perfect detector
    refits on the :math:`R` real ones, :math:`D = H_0/R`, while without one
    :math:`D_\infty = H_0 M/(M^2 - (M-R)(M-R-1)) < H_0/R`):

    >>> recall_for_distance("zipf:1.1,100", 100, 20, 0.03), recall_for_distance("zipf:1.1,100", 100, 20, 0.02)
    (0.0, None)
    """
    h0 = 1.0 - N.parse_distribution(dist).homozygosity
    for n in range(grid + 1):
        rho = n / grid
        if generations is None:
            c, e = detector_coefficients((size, size), real, rho, fpr)[1]
            d = e * h0 / (1 - c) if c < 1 else h0
        else:
            d = float(S.sq_dist_recursion(detector_coefficients((size,) * generations, real, rho, fpr), h0)[-1])
        if d <= distance:
            return rho
    return None


def theory(*, dist: str, sizes: Sequence[int], scheme: str = "replace", real: int = 0, tail_rank: int = 0,
           detector_recall: float = 0.0, detector_fpr: float = 0.0,
           per_category: bool = False, order: int = 2, digits: int = 17, record: str = "final") -> Any:
    r"""Exact values of every quantity (no 1/M series: the support quantities have none in :math:`1/M`).

    ``extra`` holds the distribution's description, the error bound of the marginal laws and, with
    ``per_category``, per category its rank, label, :math:`p_k`, :math:`P(p_g[k] = 0)` and
    :math:`P(p_g[k] > 0)` (computed separately: a small one never comes from a difference).

    >>> t = theory(dist="list:0.5,0.3,0.2", sizes=(4,))
    >>> round(float(t.exact["missing_mass"]), 6)  # 0.3 * 0.7^4 + 0.2 * 0.8^4 + 0.5 * 0.5^4
    0.1852
    """
    params = _validate({"dist": dist, "sizes": tuple(sizes), "scheme": scheme, "real": real, "tail_rank": tail_rank,
                        "detector_recall": detector_recall, "detector_fpr": detector_fpr})
    g = len(params["sizes"])
    gens = range(1, g + 1) if record == "all" else (g,)
    d = N.parse_distribution(dist)
    results = []
    with mpmath.workdps(digits + 5):
        for j, values in zip(gens, exact_values(params, gens), strict=True):
            exact = {q: None if values[q] is None else mpmath.mpf(values[q]) for q in QUANTITIES}
            no_exact = {q: _NO_DETECTOR for q in QUANTITIES if values[q] is None}
            extra: dict[str, Any] = {
                "K": d.K,
                "distribution": d.source,
                "accuracy": {
                    "method": values["_method"],
                    "absolute_error_bound": values["_error"],
                    "note": "marginal laws in float64 with the discarded probability bounded as stated; rounding adds a relative error ~1e-13",
                },
            }
            if per_category and values["_zero"] is not None:
                extra["per_category"] = [
                    {"rank": k + 1, "label": d.labels[k], "p": float(d.p[k]), "p_zero": float(values["_zero"][k]),
                     "p_alive": float(values["_alive"][k])}
                    for k in range(d.K)
                ]
            if scheme == "mix" and j == g and len(set(params["sizes"])) == 1 and not no_exact:
                extra["stationary"] = _stationary(d, params["sizes"][0], real)
            results.append(TheoryResult(
                generation=j, exact=exact, series={}, order=order, absolute=dict(exact), no_exact=no_exact,
                no_series={q: _NO_SERIES.get(q, _NO_SERIES[""]) for q in QUANTITIES},
                extra=extra,
            ))
    return results if record == "all" else results[0]


_NO_DETECTOR = ("not computed: under a detector the kept total is random, so one category's chain is "
                "two-dimensional (count, kept total); the moment recursion is exact (mean_sq_dist), the support "
                "quantities are simulated")

_NO_SERIES = {
    "mean_sq_dist": "not needed: the exact closed form is given",
    "heterozygosity": "not needed: the exact closed form is given",
    "mean_tail_mass": "not needed: the exact value is constant (conserved)",
    "": "no finite 1/M series: P(p_g[k] = 0) is exponentially small in M p_k; exact values from the marginal chains",
}


def _stationary(d: N.Distribution, size: int, real: int) -> dict[str, Any]:
    st = N.stationary_expectations(d.p, size, real, functions=("zero", "alive"))
    return {
        "mean_sq_dist": float(S.stationary_sq_dist(size, real, 1.0 - d.homozygosity)),
        "expected_support": float(math.fsum(st.values["alive"])),
        "missing_mass": float(math.fsum(d.p * st.values["zero"])),
        "method": st.method,
    }


def extinction_probabilities(dist: str, sizes: Sequence[int], *, real: int = 0) -> dict[str, np.ndarray]:
    r"""Per category (rank order): ``p``, ``p_zero`` :math:`= P(p_g[k] = 0)` (the extinction probability
    by generation :math:`g` under replace) and ``p_alive`` :math:`= P(p_g[k] > 0)`, computed separately.

    >>> e = extinction_probabilities("list:0.9,0.1", [10, 10])
    >>> bool(abs(e["p_zero"][1] + e["p_alive"][1] - 1) < 1e-14)
    True
    """
    d = N.parse_distribution(dist)
    m = N.marginal_expectations(d.p, sizes, real=real, functions=("zero", "alive"))
    return {"p": d.p.copy(), "p_zero": m.values["zero"], "p_alive": m.values["alive"], "labels": np.array(d.labels)}


# ---------------------------------------------------------------------------------------------------------
# claims

_p, _q, _s = S.p, S.q, S.s
_M, _R = S.M, S.R


def _prob(rng: random.Random) -> mpmath.mpf:
    return mpmath.mpf(rng.uniform(0.05, 0.95))


def _small(rng: random.Random) -> int:
    return rng.randint(2, 7)


ASSUMPTIONS = (
    r"a distribution $p$ over $K$ categories; generation $i$ draws $M_i$ tokens and refits by counting, "
    r"$p_{i+1} = c_i / M_i$",
)
_REPLACE = r"replace: $c_i \sim \text{Multinomial}(M_i, p_i)$ (generation 0 draws from $p$)"
_MIX = (r"mix: $c_i \sim \text{Multinomial}(R, p) + \text{Multinomial}(M_i - R, p_i)$ for $i \ge 1$, "
        r"$c_0 \sim \text{Multinomial}(M_0, p)$, $1 \le R \le M_i$")


def _step_marginal() -> DerivationStep:
    """The marginal of a multinomial refit is binomial: the pgf at s_j = 1 for j != k."""
    p1, p2 = sp.symbols("p_1 p_2", positive=True)
    lhs = (p1 * _s + p2 + (1 - p1 - p2)) ** _M
    return DerivationStep(
        description=r"one refit: the count of one category is binomial, $(p_k s + \sum_{j \ne k} p_j)^M = (1 - p_k + p_k s)^M$",
        lhs=lhs, rhs=S.binomial_pgf(_M, p1), domain={p1: lambda r: mpmath.mpf(r.uniform(0.05, 0.45)),
                                                     p2: lambda r: mpmath.mpf(r.uniform(0.05, 0.45)),
                                                     _s: _prob, _M: _small},
        route="points",
    )


_REFIT_STATISTICS: dict[str, Callable[[Any, Any], Any]] = {
    "mean": lambda x, p: x,
    "second": lambda x, p: x * x,
    "sq_dev": lambda x, p: (x - p) ** 2,
    "het": lambda x, p: x * (1 - x),
}
"""The statistic of the refit frequency :math:`p'` whose mean each key of :func:`~.S.one_refit` is."""


def _refit_by_sum(key: str, mix: bool) -> Callable[[Mapping[Any, Any]], Any]:
    r""":math:`E f(p')` as the explicit double sum over :math:`A \sim \text{Bin}(R, p)` real and
    :math:`B \sim \text{Bin}(M - R, q)` synthetic tokens, :math:`p' = (A + B)/M` (no pgf, no moment formula)."""
    f = _REFIT_STATISTICS[key]

    def numeric_lhs(point: Mapping[Any, Any]) -> Any:
        m, real = int(point[_M]), int(point[_R]) if mix else 0
        p, q = mpmath.mpf(point[_p]), mpmath.mpf(point[_q])
        return mpmath.fsum(
            mpmath.binomial(real, a) * p**a * (1 - p) ** (real - a)
            * mpmath.binomial(m - real, b) * q**b * (1 - q) ** (m - real - b) * f(mpmath.mpf(a + b) / m, p)
            for a in range(real + 1) for b in range(m - real + 1))

    return numeric_lhs


def _step_refit(key: str, rhs: sp.Expr, text: str, mix: bool) -> DerivationStep:
    lhs = S.one_refit()[key]
    if not mix:
        lhs, rhs = lhs.subs(_R, 0), rhs.subs(_R, 0)
    dom = {_M: lambda r: r.randint(6, 40), _q: _prob, _p: _prob}
    if mix:
        dom[_R] = lambda r: r.randint(1, 5)
    return DerivationStep(description=text + "; checked by the explicit sum over the binomial counts", lhs=lhs,
                          rhs=rhs, domain=dom, numeric_lhs=_refit_by_sum(key, mix), route="exact sum")


def _step_recursion(statement: sp.Expr, explicit: Callable[[Sequence[sp.Expr]], sp.Expr], mix: bool) -> DerivationStep:
    m0, m1 = sp.symbols("M_0 M_1", positive=True, integer=True)
    form = statement.subs(S.g, 2).doit().subs({S.Mi[0]: m0, S.Mi[1]: m1}).doit()
    dom = {m0: lambda r: r.randint(6, 40), m1: lambda r: r.randint(6, 40), S.H0: _prob}
    if mix:
        dom[_R] = lambda r: r.randint(1, 5)
    return DerivationStep(description="solution of the recursion (products and sums) at $g = 2$",
                          lhs=form, rhs=explicit((m0, m1)), domain=dom, route="points")


def _zero_engine_step(real: int) -> DerivationStep:
    r"""The float64 engine against the exact nested sum at g = 3 (SymPy, small sizes)."""
    m0, m1, m2 = sp.symbols("M_0 M_1 M_2", positive=True, integer=True)
    c1, c2 = sp.symbols("c_1 c_2", integer=True, nonnegative=True)

    def binpmf(n: sp.Expr, x: sp.Expr, prob: sp.Expr) -> sp.Expr:
        return sp.binomial(n, x) * prob**x * (1 - prob) ** (n - x)

    if real:
        a1, a2 = sp.symbols("a_1 a_2", integer=True, nonnegative=True)
        # X_2 = A + B, A ~ Bin(R, p), B ~ Bin(M_1 - R, c_1/M_0); P(X_3 = 0 | X_2) = (1-p)^R (1 - X_2/M_1)^(M_2 - R)
        inner = sp.Sum(binpmf(real, a1, _p) * sp.Sum(binpmf(m1 - real, c2, c1 / m0)
                       * (1 - (a1 + c2) / m1) ** (m2 - real), (c2, 0, m1 - real)), (a1, 0, real))
        rhs = sp.Sum(binpmf(m0, c1, _p) * inner, (c1, 0, m0)) * (1 - _p) ** real
        text = (rf"the float64 engine (forward windows) against the exact nested sum of $P(p_3[k] = 0)$, "
                rf"mix with $R = {real}$")
        del a2
    else:
        rhs = sp.Sum(binpmf(m0, c1, _p) * sp.Sum(binpmf(m1, c2, c1 / m0) * (1 - c2 / m1) ** m2, (c2, 0, m1)), (c1, 0, m0))
        text = r"the float64 engine (backward band) against the exact nested sum of $P(p_3[k] = 0)$, replace"

    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        sizes = [int(point[m0]), int(point[m1]), int(point[m2])]
        pk = float(point[_p])
        v = N.marginal_expectations([pk, 1 - pk], sizes, real=real, functions=("zero",)).values["zero"][0]
        return mpmath.mpf(v)

    lo = max(real, 2)
    return DerivationStep(
        description=text, lhs=sp.Function("P_0")(_p), rhs=rhs, exact=False,
        domain={m0: lambda r: r.randint(lo, 7), m1: lambda r: r.randint(lo, 7), m2: lambda r: r.randint(lo, 7), _p: _prob},
        numeric_lhs=numeric_lhs, points=2, tolerance_digits=12, route="exact sum",
    )


def _dense_route_step(real: int) -> DerivationStep:
    r"""The float64 engine against the mpmath dense chain (30 digits) at g = 5, random sizes."""
    ms = sp.symbols("M_0:5", positive=True, integer=True)

    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        sizes = [int(point[m]) for m in ms]
        pk = float(point[_p])
        return mpmath.mpf(N.marginal_expectations([pk, 1 - pk], sizes, real=real, functions=("zero",)).values["zero"][0])

    class _Dense(sp.Function):
        @classmethod
        def eval(cls, pk, *sizes):  # noqa: D102 - evaluated only at numbers
            if all(x.is_Number for x in (pk, *sizes)):
                v = S.zero_probability_dense(mpmath.mpf(str(sp.N(pk, 40))), [int(x) for x in sizes], real, dps=30)[-1]
                return sp.Float(mpmath.nstr(v, 30), 30)
            return None

    lo = max(real, 2)
    return DerivationStep(
        description=r"independent route: the exact law of the count propagated with dense transition matrices "
                    r"(mpmath, 30 digits), $g = 5$",
        lhs=sp.Function("P_0")(_p), rhs=_Dense(_p, *ms), exact=False,
        domain={**{m: (lambda r, lo=lo: r.randint(lo, 12)) for m in ms}, _p: _prob},
        numeric_lhs=numeric_lhs, points=2, tolerance_digits=12, route="exact sum",
    )


def _params(**changes: Any) -> dict[str, Any]:
    base = {"dist": "zipf:1.1,12", "sizes": (6,) * 5, "tail_rank": 4}
    return MODEL.resolve({**base, **changes})


def _exact(quantity: str) -> Callable[[Mapping[str, Any], int], mpmath.mpf]:
    def value(params: Mapping[str, Any], dps: int = 17) -> mpmath.mpf:
        with mpmath.workdps(dps):
            return mpmath.mpf(exact_values(params)[0][quantity])

    return value


def _gw_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target: the gap between the exact value and the Galton-Watson (branching) approximation."""

    def target(params: Mapping[str, Any]) -> float:
        d = N.parse_distribution(params["dist"])
        z = N.galton_watson_zero(d.p, params["sizes"])
        r = params["tail_rank"]
        approx = {
            "expected_support": np.sum(1 - z), "missing_mass": np.sum(d.p * z),
            "tail_mass_present": np.sum(d.p[r:] * (1 - z[r:])), "tail_support": np.sum(1 - z[r:]),
        }[quantity]
        return abs(float(approx) - float(exact_values(params)[0][quantity]))

    return target


_SUPPORT_TEXT = {
    "expected_support": ("Expected support after $g$ refits", r"\sum_k P(p_g[k] > 0)"),
    "missing_mass": ("Missing mass after $g$ refits", r"\sum_k p_k P(p_g[k] = 0)"),
    "tail_mass_present": ("Real tail mass still generated", r"\sum_{k > r} p_k P(p_g[k] > 0)"),
    "tail_support": ("Tail categories still generated", r"\sum_{k > r} P(p_g[k] > 0)"),
}


def _support_claim(quantity: str, mix: bool = False) -> Claim:
    title, rhs = _SUPPORT_TEXT[quantity]
    P0 = sp.Function("P")
    statement = sp.Symbol(rhs)  # displayed as written; the value is the marginal chains'
    real = 3 if mix else 0
    params = _params(scheme="mix", real=3, sizes=(6,) * 12) if mix else _params()
    del P0
    return Claim(
        id=f"{NAME}-{'mix-' if mix else ''}{quantity.replace('_', '-')}",
        title=title + (" (mix)" if mix else " (replace)"),
        model=NAME, quantity=quantity, lhs_latex=_LATEX[quantity], statement=statement,
        assumptions=(*ASSUMPTIONS, _MIX if mix else _REPLACE,
                     r"$P(p_g[k] = 0)$ from the exact law of the count chain $X_{i+1} \sim \text{Bin}(R, p_k) + "
                     r"\text{Bin}(M_i - R, X_i / M_{i-1})$, $X_1 \sim \text{Bin}(M_0, p_k)$"),
        steps=(_step_marginal(), _zero_engine_step(real), _dense_route_step(real)),
        exact_value=_exact(quantity), params=params, series_order=None,
        mc_target=_gw_target(quantity) if not mix else _mix_target(quantity),
        references=("shumailov2024nature", "suresh2024"),
    )


def _mix_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target under mix: the gap to the replace value at the same sizes (forgetting the real tokens)."""

    def target(params: Mapping[str, Any]) -> float:
        rep = exact_values({**params, "scheme": "replace", "real": 0})[0][quantity]
        return abs(float(rep) - float(exact_values(params)[0][quantity]))

    return target


@functools.lru_cache(maxsize=None)
def _claims_built() -> dict[str, Claim]:
    out: dict[str, Claim] = {}
    # conservation of the expected distribution (tail mass)
    mean_step = _step_refit("mean", _p + (_M - _R) / _M * (_q - _p),
                            r"one refit is unbiased: $E[p' \mid q] = p + \alpha (q - p)$, $\alpha = (M - R)/M$", True)
    out[f"{NAME}-mean-tail-mass"] = Claim(
        id=f"{NAME}-mean-tail-mass", title="The expected tail mass is conserved (replace and mix)",
        model=NAME, quantity="mean_tail_mass", lhs_latex=_LATEX["mean_tail_mass"],
        statement=sp.Symbol(r"\sum_{k > r} p_k"), assumptions=(*ASSUMPTIONS, _MIX + r" (replace: $R = 0$)"),
        steps=(_step_marginal(), mean_step), exact_value=_exact("mean_tail_mass"),
        params=_params(scheme="mix", real=2), series_order=None,
        mc_target=lambda params: abs(float(exact_values(params)[0]["mean_tail_mass"])
                                     - float(exact_values(params)[0]["tail_mass_present"])),
        references=("shumailov2024nature",),
    )
    het_step = _step_refit("het", (1 - 1 / _M) * _q * (1 - _q),
                           r"one refit (replace): $E[p'(1 - p') \mid q] = (1 - 1/M)\, q (1 - q)$", False)
    het_rec = _step_recursion(S.heterozygosity_statement(), lambda ms: (1 - 1 / ms[0]) * (1 - 1 / ms[1]), False)
    out[f"{NAME}-heterozygosity"] = Claim(
        id=f"{NAME}-heterozygosity", title="Heterozygosity decays geometrically (replace)",
        model=NAME, quantity="heterozygosity", lhs_latex=_LATEX["heterozygosity"],
        statement=S.heterozygosity_statement(), assumptions=(*ASSUMPTIONS, _REPLACE),
        steps=(_step_marginal(), het_step, het_rec), exact_value=_exact("heterozygosity"),
        params=_params(sizes=(5, 8, 4, 6)), series_order=None,
        mc_target=lambda params: abs(float(S.heterozygosity_ratio(params["sizes"])) - (1 - sum(1 / m for m in params["sizes"]))),
        unit=S.H0, unit_text="H_0", references=("shumailov2024nature",),
    )

    def mix_explicit(ms: Sequence[sp.Expr]) -> sp.Expr:
        a1 = ((ms[1] - _R) / ms[1]) ** 2 - (ms[1] - _R) / ms[1] ** 2
        return S.H0 * (a1 / ms[0] + 1 / ms[1])

    sq_step = _step_refit("sq_dev", S.sq_dev_recursion_form(),
                          r"one refit: $E[(p' - p)^2 \mid q] = \alpha^2 (q - p)^2 + (R p(1-p) + (M - R) q(1-q))/M^2$", True)
    out[f"{NAME}-mix-mean-sq-dist"] = Claim(
        id=f"{NAME}-mix-mean-sq-dist", title="Squared distance to the original under mix",
        model=NAME, quantity="mean_sq_dist", lhs_latex=_LATEX["mean_sq_dist"], statement=S.mix_statement(),
        assumptions=(*ASSUMPTIONS, _MIX), steps=(_step_marginal(), sq_step, _step_recursion(S.mix_statement(), mix_explicit, True)),
        exact_value=_exact("mean_sq_dist"), params=_params(scheme="mix", real=2, sizes=(6,) * 8), series_order=None,
        mc_target=_no_drift_target, references=("seddik2024",),
    )
    comp_step = _composition_step()
    out[f"{NAME}-detector-mean-sq-dist"] = dataclasses.replace(
        out[f"{NAME}-mix-mean-sq-dist"], id=f"{NAME}-detector-mean-sq-dist",
        title="Squared distance under a detector (mix, random kept composition)",
        statement=sp.Symbol(r"D_g,\ D_{i+1} = c_i D_i + e_i H_0"),
        assumptions=(*ASSUMPTIONS, _MIX, r"a detector keeps each synthetic token with probability $1 - \rho$ and "
                     r"each real one with probability $1 - f$, independently; the refit uses the kept tokens "
                     r"($p_{i+1} = p_i$ if none is kept); $c_i = E[b(b-1)/n^2; n > 0] + P(n = 0)$, "
                     r"$e_i = E[1/n; n > 0]$ over the kept real $a$ and synthetic $b$, $n = a + b$"),
        steps=(_step_marginal(), sq_step, comp_step),
        params=_params(scheme="mix", real=2, sizes=(8,) * 6, detector_recall=0.6, detector_fpr=0.1),
        mc_target=_detector_target,
    )
    for q in ("expected_support", "missing_mass", "tail_mass_present", "tail_support"):
        c = _support_claim(q)
        out[c.id] = c
    for q in ("expected_support", "missing_mass"):
        c = _support_claim(q, mix=True)
        out[c.id] = c
    ent = dataclasses.replace(
        _support_claim("expected_support"), id=f"{NAME}-mean-entropy", title="Expected entropy of the fit (replace)",
        quantity="mean_entropy", lhs_latex=_LATEX["mean_entropy"],
        statement=sp.Symbol(r"\sum_k E[-p_g[k] \log p_g[k]]"), exact_value=_exact("mean_entropy"),
        mc_target=lambda params: abs(float(exact_values(params)[0]["mean_entropy"]) - _entropy_of(params)),
    )
    out[ent.id] = ent
    out.update({c.id: c for c in published_claims(out)})
    return out


def _detector_target(params: Mapping[str, Any]) -> float:
    """Power target: the gap to the same mix without a detector."""
    plain = exact_values({**params, "detector_recall": 0.0, "detector_fpr": 0.0})[0]["mean_sq_dist"]
    return abs(float(plain) - float(exact_values(params)[0]["mean_sq_dist"]))


def _composition_step() -> DerivationStep:
    """The composition moments (float64 windows) against the exact double sum over the binomials (SymPy)."""
    a, b = sp.symbols("a b", integer=True, nonnegative=True)
    Rr, Ss = sp.symbols("R S", positive=True, integer=True)
    rho, f = sp.symbols("rho f", positive=True)
    pa = sp.binomial(Rr, a) * (1 - f) ** a * f ** (Rr - a)
    pb = sp.binomial(Ss, b) * (1 - rho) ** b * rho ** (Ss - b)
    # n = a + b > 0: b starts at 1 when a = 0
    term = pa * pb * (b * (b - 1) / (a + b) ** 2 + 1 / (a + b))
    rhs = sp.Sum(sp.Sum(term, (b, 0, Ss)), (a, 1, Rr)) + sp.Sum(term.subs(a, 0), (b, 1, Ss))

    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        _, e2, e1, _ = N.composition_moments(int(point[Rr]), int(point[Ss]), float(point[rho]), float(point[f]))
        return mpmath.mpf(e2) + mpmath.mpf(e1)

    return DerivationStep(
        description=r"average over the kept composition: $E[b(b-1)/n^2 + 1/n; n > 0]$ by the float64 windows "
                    r"against the exact double sum over $a \sim \text{Bin}(R, 1-f)$, $b \sim \text{Bin}(S, 1-\rho)$",
        lhs=sp.Function("E")(Rr, Ss), rhs=rhs, exact=False,
        domain={Rr: lambda r: r.randint(1, 6), Ss: lambda r: r.randint(1, 8), rho: _prob, f: _prob},
        numeric_lhs=numeric_lhs, points=2, tolerance_digits=12, route="exact sum",
    )


def _entropy_of(params: Mapping[str, Any]) -> float:
    """Entropy of the expected distribution p (the plausible wrong answer 'entropy is conserved')."""
    p = N.parse_distribution(params["dist"]).p
    return float(-np.sum(p * np.log(p)))


def _no_drift_target(params: Mapping[str, Any]) -> float:
    """Power target: the gap to the recursion without the -alpha/M term (treating p_i as fixed)."""
    h0 = 1.0 - N.parse_distribution(params["dist"]).homozygosity
    d = 0.0
    for n, m in enumerate(params["sizes"]):
        alpha = (m - params["real"]) / m if n else 0.0
        d = alpha**2 * d + h0 / m
    return abs(d - float(S.mix_sq_dist(params["sizes"], params["real"], h0)[-1]))


# ---------------------------------------------------------------------------------------------------------
# published statements


def _constant(params: Mapping[str, Any]) -> tuple[int, int]:
    sizes = tuple(params["sizes"])
    if len(set(sizes)) != 1:
        raise ParameterError(f"sizes must be constant for this published statement (got {sizes})")
    return sizes[0], len(sizes)


def published_claims(derived: Mapping[str, Claim]) -> tuple[Claim, ...]:
    """The heterozygosity identity and Suresh et al.'s bounds, as we read them, with probes."""
    het = derived[f"{NAME}-heterozygosity"]
    wf = PublishedForm(
        source="Wright-Fisher heterozygosity identity, as quoted for model collapse (constant sample size)",
        text=r"$E[p_g(1 - p_g)] = p(1-p)(1 - 1/M)^g$ for each category, so $E[1 - \sum_k p_g[k]^2] = H_0 (1 - 1/M)^g$",
        value=lambda params, dps: (1 - mpmath.mpf(1) / _constant(params)[0]) ** _constant(params)[1],
        latex=r"(1 - 1/M)^g", relation="=",
        probes=tuple({"sizes": (m,) * n, "dist": dist} for m in (2, 7, 50) for n in (1, 3, 20)
                     for dist in ("zipf:1.1,12", "list:0.5,0.5")),
        tolerance=1e-25,
    )
    # Suresh et al. Theorem 1 (Bernoulli), as we read it: P(Theta_k != 0) >= 1 - exp(-n theta / k)
    bern = dataclasses.replace(
        derived[f"{NAME}-tail-support"], id="suresh2024-theorem1", title="Published: survival of a Bernoulli symbol",
        params=MODEL.resolve({"dist": "list:0.9,0.1", "sizes": (10,) * 6, "tail_rank": 1}),
        mc_target=lambda params: 0.02,
    )
    t1 = PublishedForm(
        source="Suresh, Thangaraj, Khandavally (2024), Theorem 1 (Bernoulli), in the form given by the paper's summary",
        text=(r"for a Bernoulli model refit on $n$ samples per generation, a symbol of probability $\theta$ "
              r"survives $k$ generations with probability $\ge 1 - e^{-n\theta/k}$"),
        reading=(r"our reading (the paper itself was not available): $\lambda = n\theta$, the expected count, "
                 r"$n = M$ constant, $k = g$, $\theta$ the rarer symbol's probability"),
        value=lambda params, dps: _suresh_bound(params, dps, tail_only=True),
        latex=r"1 - e^{-M \theta / g}", relation=">=",
        probes=tuple({"dist": f"list:{1 - th},{th}", "sizes": (n,) * k}
                     for n in (1, 2, 5, 20, 100) for th in (0.5 / n, 1.0 / n, 0.3, 0.5) if th <= 0.5
                     for k in (1, 2, 5, 20, 100)),
        tolerance=1e-9,
    )
    c1 = PublishedForm(
        source="Suresh, Thangaraj, Khandavally (2024), Corollary 1, in the form given by the paper's summary",
        text=r"the expected number of symbols still present after $k$ generations is $\ge \sum_i (1 - e^{-n p_i / k})$",
        reading=r"our reading: Theorem 1 applied to each symbol's (binomial) marginal, $n = M$ constant, $k = g$",
        value=lambda params, dps: _suresh_bound(params, dps, tail_only=False),
        latex=r"\sum_k \bigl(1 - e^{-M p_k / g}\bigr)", relation=">=",
        probes=tuple({"dist": dist, "sizes": (m,) * n} for dist in ("zipf:1.1,12", "zipf:2,40", "list:0.5,0.3,0.2")
                     for m in (5, 30, 200) for n in (1, 4, 30)),
        tolerance=1e-9,
    )
    sup = derived[f"{NAME}-expected-support"]
    return (
        dataclasses.replace(het, id="wright-fisher-heterozygosity", kind="published", published=wf,
                            title="Published: heterozygosity identity (constant M)",
                            params=_params(sizes=(5,) * 4), evidence_params=_params(sizes=(5,) * 4)),
        dataclasses.replace(bern, kind="published", published=t1, evidence_params=bern.params,
                            references=("suresh2024",)),
        dataclasses.replace(sup, id="suresh2024-corollary1", title="Published: expected number of unique symbols",
                            kind="published", published=c1, params=_params(sizes=(6,) * 5),
                            evidence_params=_params(sizes=(6,) * 5), references=("suresh2024",)),
    )


def _suresh_bound(params: Mapping[str, Any], dps: int, *, tail_only: bool) -> mpmath.mpf:
    m, k = _constant(params)
    p = N.parse_distribution(params["dist"]).p
    if tail_only:
        p = p[params["tail_rank"]:]
    with mpmath.workdps(dps):
        return mpmath.fsum(1 - mpmath.exp(-m * mpmath.mpf(float(x)) / k) for x in p)


def claim_factories() -> dict[str, Callable[[], Claim]]:
    ids = list(_IDS)
    return {cid: functools.partial(lambda cid: _claims_built()[cid], cid) for cid in ids}


_IDS = (
    f"{NAME}-mean-tail-mass", f"{NAME}-heterozygosity", f"{NAME}-mix-mean-sq-dist", f"{NAME}-detector-mean-sq-dist",
    f"{NAME}-expected-support", f"{NAME}-missing-mass", f"{NAME}-tail-mass-present", f"{NAME}-tail-support",
    f"{NAME}-mix-expected-support", f"{NAME}-mix-missing-mass", f"{NAME}-mean-entropy",
    "wright-fisher-heterozygosity", "suresh2024-theorem1", "suresh2024-corollary1",
)


# ---------------------------------------------------------------------------------------------------------
# the declaration

MODEL = Model(
    name=NAME,
    description="categorical distribution refit by counting (Wright-Fisher): Zipf, wordfreq or file; replace or mix",
    parameters=(
        Parameter("dist", "str", "zipf:S,K | wordfreq:LANG,K (the 'lang' extra) | list:V1,V2,... | file:PATH "
                  "(one probability or count per line)", default="zipf:1.1,1000", symbol="p", grid=True),
        Parameter("sizes", "sizes", "tokens per generation M_0,...,M_{g-1}; SIZExCOUNT repeats (1000x50)",
                  symbol="M_i", minimum=1),
        Parameter("scheme", "choice", "replace | mix (R real tokens from p in every generation i >= 1)",
                  default="replace", choices=N.SCHEMES),
        Parameter("real", "int", "R, real tokens per generation under mix", default=0, minimum=0, symbol="R"),
        Parameter("tail_rank", "int", "r: the tail is the categories of rank > r", default=0, minimum=0, symbol="r"),
        Parameter("detector_recall", "float", "detector: probability that a synthetic token is removed",
                  default=0.0, minimum=0.0, maximum=1.0, symbol=r"\rho"),
        Parameter("detector_fpr", "float", "detector: probability that a real token is removed (false positive)",
                  default=0.0, minimum=0.0, maximum=1.0, symbol="f"),
        Parameter("per_category", "flag", "theory: add per-category P(p_g[k] = 0) to the JSON", default=False,
                  grid=False),
    ),
    quantities=tuple(
        Quantity(q, _LATEX[q], unit="H_0" if q == "heterozygosity" else "1",
                 unit_latex="H_0" if q == "heterozygosity" else "", series=False, description=_TEXT[q])
        for q in QUANTITIES
    ),
    theory="modelcollapse.proofs.categorical:theory",
    simulate="modelcollapse.numeric.categorical:simulate",
    claims="modelcollapse.proofs.categorical:claim_factories",
    faults="modelcollapse.proofs.categorical_faults:faults",
    validate=_validate,
    generations=lambda params: len(params["sizes"]),
    figures=(
        Figure("support", "Surviving support and missing mass: exact and Monte Carlo",
               ("expected_support", "missing_mass")),
        Figure("tail", "The tail: expected mass conserved, present mass lost", ("mean_tail_mass", "tail_mass_present")),
        Figure("support_paths", "Individual chains losing categories", ("support", "expected_support"),
               kind="paths", ylabel="number of categories with $p_g[k] > 0$"),
        Figure("rank_frequency", "Rank-frequency: $p_g$ sorted against $p$ ($E\\,p_g[k] = p_k$ by category, exactly)",
               ("rank_frequency", "p"), kind="profile", ylabel="probability"),
    ),
    notation=(
        (r"p", r"the original distribution over $K$ categories, ranked: $p_1 \ge p_2 \ge \dots$"),
        (r"p_g", r"the fitted distribution after $g$ refits"),
        (r"M_i", r"tokens drawn in generation $i$"),
        (r"R", r"real tokens (from $p$) per generation under mix"),
        (r"r", r"tail rank: the tail is the categories of rank $> r$"),
        (r"H_0", r"$1 - \sum_k p_k^2$, the original's heterozygosity (Gini-Simpson index)"),
        (r"X_i", r"one category's count in generation $i$, a Markov chain (Wright-Fisher)"),
    ),
    references=("shumailov2024nature", "suresh2024", "seddik2024"),
    default_plot={"dist": "zipf:1.1,200", "sizes": (200,) * 60, "tail_rank": 20},
)
"""The categorical (Wright-Fisher) model, as the registry sees it."""

