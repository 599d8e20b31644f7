r"""Claims about the 1D Gaussian model: one per quantity and estimator, plus the seed article's statements.

Each derived claim has three checked derivation steps:

1. *one refit* (Cochran): every mixed-moment transition the quantity needs, the engine's result against
   numerical integration (mpmath quadrature over the normal and chi-square densities) at random points;
2. *solution of the recursion*: the nested ``Sum``/``Product`` form at ``g = 2`` equals the explicit
   recursion (exactly, SymPy);
3. *independent route*: brute-force expansion over the independent variables of the decomposition equals
   the recursion (exactly, SymPy).

The published claims (a), (b), (c) of the seed article ("1D Gaussian model" section; Shumailov et al.
2024) are registered with the formula as we read it; their verdict is computed by
:mod:`modelcollapse.proofs.verify`, never asserted here.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Sequence

import mpmath
import sympy as sp

from ..symbolic import gaussian1d as G
from ..symbolic.series import QuasiSymmetricSeries, eps_ring
from .claim import Claim, DerivationStep, PublishedForm

MODEL = "gaussian1d"
MC_SIZES = (5, 8, 4)
"""Schedule of the Monte Carlo checks: small sizes make the next-order terms large, so a few million chains
resolve them (the power requirement of :mod:`modelcollapse.proofs.verify`)."""

_d, _s = sp.Symbol("d", real=True), sp.Symbol("s", positive=True)
_E = sp.Function("E")

ASSUMPTIONS = (
    r"$X^0 \sim \mathcal{N}(\mu, \sigma^2)$; generation $i$ draws $M_i$ i.i.d. points from "
    r"$\mathcal{N}(\mu_i, \sigma_i^2)$ and refits $\mu_{i+1}$ (sample mean) and $\sigma_{i+1}^2$ (sample variance)",
    "data are replaced each generation (no accumulation, no real data mixed in)",
)
_ESTIMATOR_TEXT = {
    "unbiased": r"$\sigma_{i+1}^2$ divides by $M_i - 1$ (unbiased estimator), $M_i \ge 2$",
    "mle": r"$\sigma_{i+1}^2$ divides by $M_i$ (maximum-likelihood estimator), $M_i \ge 1$",
}


def _size(rng: random.Random) -> int:
    return rng.randint(2, 40)


def _real(rng: random.Random) -> mpmath.mpf:
    return mpmath.mpf(rng.uniform(-2, 2))


def _pos(rng: random.Random) -> mpmath.mpf:
    return mpmath.mpf(rng.uniform(0.25, 2))


def _transition_step(a: int, b: int, estimator: str) -> DerivationStep:
    """m_{a,b}(i+1) in terms of m(i): engine result vs quadrature of the two independent factors."""
    Z = sp.Symbol("Z", real=True)
    V = sp.Symbol("V", positive=True)
    inner = (_d + _s * Z / sp.sqrt(G.M)) ** a * (_s * sp.sqrt(V)) ** b
    rhs = sp.Add(*(c * _d**i * _s**j for (i, j), c in G.transition(a, b, estimator).items()))

    def numeric_lhs(point):
        M = int(point[G.M])
        d, s = point[_d], point[_s]
        k = M - 1
        D = k if estimator == "unbiased" else M
        normal = mpmath.quad(lambda z: (d + s * z / mpmath.sqrt(M)) ** a * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])
        half = mpmath.mpf(k) / 2
        density = lambda v: D * (D * v) ** (half - 1) * mpmath.exp(-D * v / 2) / (2**half * mpmath.gamma(half))  # noqa: E731
        chi = mpmath.quad(lambda v: (s * mpmath.sqrt(v)) ** b * density(v), [0, 1, mpmath.inf])
        return normal * chi

    return DerivationStep(
        description=(
            f"one refit (Cochran): $E[(\\mu_{{i+1}}-\\mu)^{a}\\sigma_{{i+1}}^{b}]$ given "
            f"$\\mu_i - \\mu = d$, $\\sigma_i = s$; checked by quadrature"
        ),
        lhs=_E(inner),
        rhs=rhs,
        exact=False,
        domain={G.M: _size, _d: _real, _s: _pos},
        numeric_lhs=numeric_lhs,
        points=2,
        tolerance_digits=14,
    )


def _sizes_domain(n: int) -> dict:
    return {m: _size for m in G.size_symbols(n)}


def _steps(quantity: str, estimator: str) -> tuple[DerivationStep, ...]:
    steps: list[DerivationStep] = []
    if quantity not in ("mean_log_sigma2", "var_log_sigma2"):
        for a, b in _needed_monomials(quantity, estimator):
            if a + b > 0:
                steps.append(_transition_step(a, b, estimator))
    g2 = G.exact(quantity, 2, estimator)
    form = G.exact_symbolic_g(quantity, estimator).subs(G.g, 2).doit()
    form = form.subs({G.Mi[i]: m for i, m in enumerate(G.size_symbols(2))}).doit()
    steps.append(
        DerivationStep(
            description="solution of the moment recursion (nested sums and products) at $g = 2$",
            lhs=form,
            rhs=g2,
            domain={**_sizes_domain(2), G.sigma: _pos},
        )
    )
    steps.append(
        DerivationStep(
            description="independent route: expansion over the independent variables of the Cochran decomposition, $g = 2$",
            lhs=G.exact_direct(quantity, 2, estimator),
            rhs=g2,
            domain={**_sizes_domain(2), G.sigma: _pos},
        )
    )
    return tuple(steps)


def _needed_monomials(quantity: str, estimator: str) -> list[tuple[int, int]]:
    """The moment labels :math:`(a, b)` of the quantity's recursion."""
    return list(G.recursion(quantity, estimator).labels)


def _exact_value(quantity: str, estimator: str) -> Callable[[Sequence[int], int], mpmath.mpf]:
    return lambda sizes, dps=17: G.evaluate(quantity, sizes, estimator, dps=dps)


def _series_of(quantity: str, estimator: str) -> Callable[[int], QuasiSymmetricSeries]:
    return lambda order: G.series(quantity, order, estimator)


def claim_id(quantity: str, estimator: str) -> str:
    """``gaussian1d-<quantity>`` (unbiased) or ``gaussian1d-<quantity>-mle``; hyphens only (file and label safe)."""
    base = f"{MODEL}-{quantity.replace('_', '-')}"
    return base if estimator == "unbiased" else f"{base}-mle"


_TITLES = {
    "var_x": "Variance of a sample from generation $g$",
    "mean_sigma": "Mean fitted standard deviation",
    "mean_sigma2": "Mean fitted variance",
    "mean_sigma4": "Fourth moment of the fitted standard deviation",
    "mean_log_sigma2": "Drift of the log-variance",
    "var_log_sigma2": "Spread of the log-variance",
    "mean_w2sq": "Expected squared Wasserstein-2 distance to the original",
    "var_w2sq": "Variance of the squared Wasserstein-2 distance",
}


@functools.lru_cache(maxsize=None)
def derived_claim(quantity: str, estimator: str = "unbiased") -> Claim:
    """The derived claim for one quantity and estimator."""
    return Claim(
        id=claim_id(quantity, estimator),
        title=f"{_TITLES[quantity]} ({estimator} estimator)",
        model=MODEL,
        quantity=quantity,
        estimator=estimator,
        lhs_latex=G.latex_name(quantity),
        statement=G.exact_symbolic_g(quantity, estimator),
        assumptions=(*ASSUMPTIONS, _ESTIMATOR_TEXT[estimator]),
        steps=_steps(quantity, estimator),
        series_order=2,
        exact_value=_exact_value(quantity, estimator),
        series_of_order=_series_of(quantity, estimator),
        mc_sizes=MC_SIZES,
        references=("shumailov2024curse", "shumailov2024nature"),
        sigma_power=G.sigma_power(quantity),
    )


# ---------------------------------------------------------------------------------------------------------
# The seed article's statements, as we read them


def series_from_function(fn: Callable[[Sequence[sp.Symbol]], sp.Expr], order: int) -> QuasiSymmetricSeries:
    """A quasi-symmetric series from a formula written for explicit variables eps_0..eps_{n-1}."""
    n = max(order, 1)
    eps = sp.symbols(f"e0:{n}", positive=True)
    R, gens = eps_ring(n)
    expr = sp.expand(fn(eps))
    poly = sp.Poly(expr, *eps)
    p = R.zero
    for monom, c in poly.terms():
        term = R.domain.convert(c)
        for gen, e in zip(gens, monom, strict=True):
            term *= gen**e
        p += term
    return QuasiSymmetricSeries.from_polynomial(p, order)


def _pairs_ordered(eps):
    return sum(a * b for a, b in itertools.permutations(eps, 2))


def _pairs_unordered(eps):
    return sum(a * b for a, b in itertools.combinations(eps, 2))


def _published_claim(tag: str, quantity: str, form: PublishedForm, title: str) -> Claim:
    base = derived_claim(quantity, "unbiased")
    return Claim(
        id=f"shumailov2024-{tag}",
        title=title,
        model=MODEL,
        quantity=quantity,
        estimator="unbiased",
        lhs_latex=base.lhs_latex,
        statement=base.statement,
        assumptions=base.assumptions,
        steps=base.steps,
        series_order=form.remainder_order - 1,
        exact_value=base.exact_value,
        series_of_order=base.series_of_order,
        mc_sizes=MC_SIZES,
        references=("shumailov2024nature", "shumailov2024curse"),
        kind="published",
        published=form,
        sigma_power=base.sigma_power,
    )


@functools.lru_cache(maxsize=None)
def published_claims() -> tuple[Claim, ...]:
    """Statements (a), (b), (c) of the seed article's 1D Gaussian section, as we read them."""
    a = PublishedForm(
        source="Shumailov et al. (2024), 1D Gaussian analysis; seed article, 1D Gaussian model",
        text=r"$\operatorname{Var} X^n = \sigma^2\,(1 + \sum_{i<n} 1/M_i) + O(M_i^{-2})$",
        series=series_from_function(lambda e: 1 + sum(e), 1),
        remainder_order=2,
    )
    b = PublishedForm(
        source="Shumailov et al. (2024), 1D Gaussian analysis; seed article, 1D Gaussian model",
        text=r"$E\,W_2^2$ at generation $n+1$ $= \tfrac32\,\sigma^2 \sum_{i=0}^{n} 1/M_i + O(M_i^{-2})$",
        series=series_from_function(lambda e: sp.Rational(3, 2) * sum(e), 1),
        remainder_order=2,
    )
    c = PublishedForm(
        source="Shumailov et al. (2024), 1D Gaussian analysis; seed article, 1D Gaussian model",
        text=(
            r"$\operatorname{Var} W_2^2$ at generation $n+1$ $= \tfrac12\,\sigma^4 \bigl(3\sum_i M_i^{-2} + "
            r"\sum_{i\ne j} 4/(M_i M_j)\bigr) + O(M_i^{-3})$"
        ),
        series=series_from_function(lambda e: sp.Rational(1, 2) * (3 * sum(x**2 for x in e) + 4 * _pairs_ordered(e)), 2),
        remainder_order=3,
        reading=r"$\sum_{i\ne j}$ read as a sum over ordered pairs ($i \ne j$, both orders)",
        alternatives={
            "unordered pairs (i < j)": series_from_function(
                lambda e: sp.Rational(1, 2) * (3 * sum(x**2 for x in e) + 4 * _pairs_unordered(e)), 2
            )
        },
    )
    return (
        _published_claim("a-var-x", "var_x", a, "Published (a): variance of a sample at generation $n$"),
        _published_claim("b-mean-w2sq", "mean_w2sq", b, "Published (b): expected squared W2 distance"),
        _published_claim("c-var-w2sq", "var_w2sq", c, "Published (c): variance of the squared W2 distance"),
    )


PUBLISHED_IDS = ("shumailov2024-a-var-x", "shumailov2024-b-mean-w2sq", "shumailov2024-c-var-w2sq")


def claim_factories() -> dict[str, Callable[[], Claim]]:
    """``{claim id: factory}`` for every claim of the model; building a claim derives and caches it."""
    out: dict[str, Callable[[], Claim]] = {}
    for est in ("unbiased", "mle"):
        for q in G.QUANTITIES:
            out[claim_id(q, est)] = functools.partial(derived_claim, q, est)
    for i, cid in enumerate(PUBLISHED_IDS):
        out[cid] = functools.partial(lambda i: published_claims()[i], i)
    return out
