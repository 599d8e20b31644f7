r"""The 1D Gaussian model of collapse: recursive refitting of :math:`\mathcal{N}(\mu, \sigma^2)`.

Generation :math:`i` draws :math:`M_i` points from :math:`\mathcal{N}(\mu_i, \sigma_i^2)` and refits the
sample mean and the sample variance (divisor :math:`D_i = M_i - 1`, *unbiased*, or :math:`D_i = M_i`,
*mle*).  By Cochran's theorem one refit is exactly

.. math::  \mu_{i+1} = \mu_i + \sigma_i \frac{Z_{i+1}}{\sqrt{M_i}}, \qquad
           \sigma_{i+1}^2 = \sigma_i^2 V_{i+1}, \quad V_{i+1} = \chi^2_{M_i - 1} / D_i,

with :math:`Z_{i+1} \sim \mathcal{N}(0,1)` and :math:`V_{i+1}` independent of each other and of the past.

Everything below is *derived* from that one step:

* :func:`decomposition` unrolls it into :math:`X^g = \mu + \sum(\dots)`, an expression in independent
  random symbols;
* :func:`transition` applies the expectation engine to one step of the mixed moments
  :math:`m_{a,b}(i) = E[(\mu_i - \mu)^a \sigma_i^b]`, giving a linear, triangular recursion;
* :func:`recursion` collects those transitions, for one quantity, into a
  :class:`~modelcollapse.symbolic.recursion.LinearRecursion`, and the one runner of
  :mod:`~modelcollapse.symbolic.recursion` does the rest: :func:`exact` runs it symbolically (any sizes,
  numbers or symbols), :func:`exact_symbolic_g` solves it in nested ``Sum``/``Product`` form,
  :func:`evaluate` runs it in mpmath at any precision, and :func:`series` runs it on truncated power series
  in :math:`\varepsilon_i = 1/M_i`.

Quantities are in units of :math:`\sigma` (``var_x`` is :math:`\operatorname{Var} X^g/\sigma^2`, ...) when
evaluated numerically; the symbolic forms keep :math:`\sigma`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from .._validation import (
    MAX_DIGITS,
    MAX_GENERATIONS,
    MAX_ORDER,
    SCHEMES,
    ParameterError,
    check_choice,
    check_estimator,
    check_integer,
    check_detector,
    check_regime,
    check_sizes,
)
from .._validation import Schedule, parse_schedule
from ..models import TheoryResult
from . import schedules
from .expectation import ChiSquare, Law, StandardNormal, expectation
from .loggamma import Block, Interval, LogGammaSum, _powers_needed
from .recursion import (
    ExactAlgebra,
    LinearRecursion,
    MpmathAlgebra,
    PolynomialSeriesAlgebra,
    QuasiSymmetricAlgebra,
    Step,
    closed_form,
    run,
)
from .series import EPS, QuasiSymmetricSeries, truncate

__all__ = [
    "QUANTITIES",
    "Decomposition",
    "Quantity",
    "decomposition",
    "evaluate",
    "evaluate_series",
    "exact",
    "exact_direct",
    "exact_symbolic_g",
    "recursion",
    "series",
    "series_polynomial",
    "size_symbols",
    "summary",
    "transition",
]

mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
M = sp.Symbol("M", positive=True, integer=True)
g = sp.Symbol("g", nonnegative=True, integer=True)
Mi = sp.IndexedBase("M", positive=True, integer=True)
P = sp.Symbol("P", positive=True, integer=True)
"""Points in the pool behind the current fit (``accumulate``, ``accumulate-subsample``): :math:`N_{i-1}`."""
R = sp.Symbol("R", nonnegative=True, integer=True)
"""Fresh real points per sample (``mix``)."""
_d = sp.Symbol("d", real=True)  # mu_i - mu
_s = sp.Symbol("s", positive=True)  # sigma_i
_Zp = sp.Symbol("Z'", real=True)  # the fresh normal of a sample X^g = mu_g + sigma_g Z'


@dataclass(frozen=True, slots=True)
class Quantity:
    r"""One quantity: ``kind`` (``"mean"`` or ``"var"``) of the random variable ``statistic``.

    ``statistic`` is a polynomial in :math:`d = \mu_g - \mu`, :math:`s = \sigma_g`, the fresh normal
    :math:`Z'` of a sample :math:`X^g = \mu_g + \sigma_g Z'` and :math:`\sigma`, or the log-variance ratio
    :math:`\log(s^2/\sigma^2)`; ``unit`` is the power of :math:`\sigma` it scales with.  Two more kinds of a
    symmetric statistic :math:`P` (odd moments zero): ``"kurtosis"``, :math:`E P^4/(E P^2)^2 - 3`, and
    ``"vgratio"``, :math:`\kappa_6\kappa_2/\kappa_4^2` of its cumulants (:math:`10/3` for every variance-gamma
    law); and ``"law"``, a quantity of the law of :math:`\sigma_g` that is not a moment (no ``statistic``).
    """

    key: str
    latex: str
    unit: int
    kind: str
    statistic: sp.Expr
    listed: bool = True

    @property
    def is_log(self) -> bool:
        r"""Whether the statistic is :math:`\log(\sigma_g^2/\sigma^2)`, a sum of independent increments."""
        return self.statistic is not None and self.statistic.has(sp.log)

    @property
    def powers(self) -> dict[str, int]:
        """The recursion outputs a moment quantity needs: ``{output name: power of the statistic}``."""
        return {"mean": {"value": 1}, "var": {"second": 2, "first": 1}, "kurtosis": {"fourth": 4, "second": 2},
                "vgratio": {"sixth": 6, "fourth": 4, "second": 2}}[self.kind]


_X = _d + _s * _Zp
_W2SQ = _d**2 + (_s - sigma) ** 2
_LOG_RATIO = sp.log(_s**2 / sigma**2)
_TABLE = {
    q.key: q
    for q in (
        Quantity("var_x", r"\operatorname{Var} X^g", 2, "var", _X),
        Quantity("var_mu", r"\operatorname{Var} \mu_g", 2, "mean", _d**2),  # E mu_g = mu in every regime
        Quantity("mean_sigma", r"E\,\sigma_g", 1, "mean", _s),
        Quantity("mean_sigma2", r"E\,\sigma_g^2", 2, "mean", _s**2),
        Quantity("mean_sigma4", r"E\,\sigma_g^4", 4, "mean", _s**4),
        Quantity("mean_log_sigma2", r"E \log(\sigma_g^2/\sigma^2)", 0, "mean", _LOG_RATIO),
        Quantity("var_log_sigma2", r"\operatorname{Var} \log \sigma_g^2", 0, "var", _LOG_RATIO),
        Quantity("mean_w2sq", r"E\, W_2^2", 2, "mean", _W2SQ),
        Quantity("var_w2sq", r"\operatorname{Var} W_2^2", 4, "var", _W2SQ),
        Quantity("mean_x", r"E X^g - \mu", 1, "mean", _X, listed=False),
        Quantity("kurtosis_x", r"\operatorname{Kurt} X^g", 0, "kurtosis", _X, listed=False),
        Quantity("vg_ratio_x", r"\kappa_6\kappa_2/\kappa_4^2(X^g)", 0, "vgratio", _X, listed=False),
        Quantity("prob_sigma_below", r"P(\sigma_g < \varepsilon\sigma)", 0, "law", None, listed=False),
    )
}
"""Every quantity of the model, once: key, LaTeX name, unit, definition."""

QUANTITIES = tuple(k for k, q in _TABLE.items() if q.listed)
"""Quantities with exact forms and series; the keys of the CLI's JSON output."""

EXTRA_QUANTITIES = ("mean_x",)
r"""Also derived: ``mean_x`` is :math:`(E X^g - \mu)/\sigma` (zero: the mean random-walks without drift)."""

LAW_QUANTITIES = ("kurtosis_x", "vg_ratio_x", "prob_sigma_below")
r"""The law of :math:`X^g` and :math:`\sigma_g` beyond the moments: excess kurtosis :math:`E(X^g-\mu)^4/
(\operatorname{Var}X^g)^2 - 3`, the cumulant ratio :math:`\kappa_6\kappa_2/\kappa_4^2` of :math:`X^g` (equal to
:math:`10/3` for every variance-gamma law), and :math:`P(\sigma_g < \varepsilon\sigma)` (needs ``eps``)."""


def latex_name(quantity: str) -> str:
    """LaTeX for a quantity name, e.g. ``E\\, W_2^2``."""
    return _TABLE[_check_quantity(quantity)].latex


def statistic(quantity: str) -> tuple[str, sp.Expr]:
    r"""``(kind, P)``: the quantity is :math:`E[P]` (``"mean"``) or :math:`\operatorname{Var} P` (``"var"``) of
    ``P``, a polynomial in :math:`d = \mu_g - \mu`, :math:`s = \sigma_g`, the fresh normal :math:`Z'` of a
    sample :math:`X^g = \mu_g + \sigma_g Z'` and :math:`\sigma` (or the log-variance ratio).

    >>> statistic("mean_w2sq")
    ('mean', d**2 + (s - sigma)**2)
    """
    q = _TABLE[_check_quantity(quantity)]
    return q.kind, q.statistic


def sigma_power(quantity: str) -> int:
    """The power of :math:`\\sigma` a quantity scales with (its unit)."""
    return _TABLE[_check_quantity(quantity)].unit


def _check_quantity(quantity: str) -> str:
    if quantity not in _TABLE:
        raise ParameterError(f"quantity must be one of {', '.join(_TABLE)} (got {quantity!r})")
    return quantity


def step_law(size: sp.Expr, estimator: str) -> Law:
    r"""Law of :math:`V = \sigma_{i+1}^2/\sigma_i^2` for one refit on ``size`` points."""
    size = sp.sympify(size)
    divisor = size - 1 if check_estimator(estimator) == "unbiased" else size
    if size == 1:
        return _PointMassZero()
    return ChiSquare(size - 1, divisor)


@dataclass(frozen=True, slots=True)
class _PointMassZero(Law):
    """:math:`V \\equiv 0`: one point refit by maximum likelihood has zero variance."""

    def moment(self, power: sp.Expr, log_power: int = 0) -> sp.Expr:
        power = sp.sympify(power)
        if log_power:
            if power != 0:
                return sp.Integer(0)  # v^r (log v)^n -> 0 as v -> 0 for r > 0
            return -sp.oo if log_power % 2 else sp.oo
        return sp.Integer(1) if power == 0 else sp.Integer(0)

    def latex(self) -> str:
        return r"\delta_0"


def refit_moment(r: int, M: int, estimator: str = "unbiased") -> mpmath.mpf:
    r""":math:`\nu_r(M) = E[(\sigma_{i+1}/\sigma_i)^r] = (2/D)^{r/2}\,\Gamma((M-1+r)/2)/\Gamma((M-1)/2)` (mpmath).

    >>> refit_moment(2, 10)
    mpf('1.0')
    """
    D = M - 1 if check_estimator(estimator) == "unbiased" else M
    half = mpmath.mpf(M - 1) / 2
    return (mpmath.mpf(2) / D) ** (mpmath.mpf(r) / 2) * mpmath.gamma(half + mpmath.mpf(r) / 2) / mpmath.gamma(half)


def size_symbols(n: int) -> tuple[sp.Symbol, ...]:
    """``(M_0, ..., M_{n-1})`` as positive integer symbols."""
    return tuple(sp.Symbol(f"M_{i}", positive=True, integer=True) for i in range(n))


def _as_sizes(sizes: int | Sequence, estimator: str) -> tuple[sp.Expr, ...]:
    """Normalize ``sizes``: an int ``g`` means symbols ``M_0..M_{g-1}``; numbers are validated."""
    if isinstance(sizes, int) and not isinstance(sizes, bool):
        return size_symbols(check_integer("g", sizes, minimum=0, maximum=MAX_GENERATIONS))
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise ParameterError(
            "sizes must be a number of generations g (int) or a sequence of sizes, numbers or SymPy symbols "
            f"(got {sizes!r} of type {type(sizes).__name__})"
        )
    if any(not isinstance(m, (int, sp.Basic)) or isinstance(m, bool) for m in sizes):
        check_sizes(sizes, estimator)  # names the offending entry
    sizes = tuple(sp.sympify(m) for m in sizes)
    numbers = [m for m in sizes if m.is_number]
    if numbers:
        check_sizes([int(m) if m.is_Integer else m for m in numbers], estimator)
    return sizes


# --------------------------------------------------------------------------------------------------------
# Derivation: decomposition and one-step transition


@dataclass(frozen=True)
class Decomposition:
    r"""The unrolled chain: :math:`X^g`, :math:`\mu_g`, :math:`\sigma_g` in independent random symbols."""

    x: sp.Expr
    mu_g: sp.Expr
    sigma_g: sp.Expr
    law: dict
    sizes: tuple

    def equation(self) -> sp.Eq:
        """:math:`X^g = \\mu + \\dots` as a SymPy equation."""
        return sp.Eq(sp.Symbol(f"X^{{{len(self.sizes)}}}"), self.x)


def decomposition(sizes: int | Sequence = 3, estimator: str = "unbiased") -> Decomposition:
    r"""Unroll the refit recursion (Cochran's theorem per step) into independent random symbols.

    .. math::  X^g = \mu + \sigma\sum_{i=1}^{g} \Bigl(\prod_{j<i} \sqrt{V_j}\Bigr)\frac{Z_i}{\sqrt{M_{i-1}}}
               + \sigma \prod_{j=1}^{g}\sqrt{V_j}\, Z'

    >>> dec = decomposition(2)
    >>> dec.x
    sqrt(V_1)*sqrt(V_2)*Z'*sigma + mu + sqrt(V_1)*Z_2*sigma/sqrt(M_1) + Z_1*sigma/sqrt(M_0)
    """
    estimator = check_estimator(estimator)
    sizes = _as_sizes(sizes, estimator)
    m, s = mu, sigma
    law: dict = {_Zp: StandardNormal()}
    for i, size in enumerate(sizes, 1):
        Z = sp.Symbol(f"Z_{i}", real=True)
        V = sp.Symbol(f"V_{i}", positive=True)
        law[Z] = StandardNormal()
        law[V] = step_law(size, estimator)
        m = m + s * Z / sp.sqrt(size)
        s = s * sp.sqrt(V)
    return Decomposition(x=m + s * _Zp, mu_g=m, sigma_g=s, law=law, sizes=sizes)


@functools.lru_cache(maxsize=None)
def transition(a: int, b: int, estimator: str = "unbiased") -> dict[tuple[int, int], sp.Expr]:
    r"""One refit step of the mixed moment :math:`E[(\mu_i-\mu)^a\sigma_i^b]`, derived by the engine.

    Returns ``{(a', b'): c(M)}`` with :math:`m_{a,b}(i+1) = \sum c(M_i)\, m_{a',b'}(i)`.

    >>> transition(2, 0)
    {(0, 2): 1/M, (2, 0): 1}
    """
    estimator = check_estimator(estimator)
    Z = sp.Symbol("Z", real=True)
    V = sp.Symbol("V", positive=True)
    new = (_d + _s * Z / sp.sqrt(M)) ** a * (_s * sp.sqrt(V)) ** b
    value = expectation(new, {Z: StandardNormal(), V: step_law(M, estimator)})
    poly = sp.Poly(sp.expand(value), _d, _s)
    return {mon: sp.factor(sp.gammasimp(c)) for mon, c in sorted(poly.terms())}


@functools.lru_cache(maxsize=None)
def _degenerate_transition(a: int, b: int) -> dict[tuple[int, int], sp.Expr]:
    """The step for ``M = 1`` under mle: the refit has zero variance."""
    Z = sp.Symbol("Z", real=True)
    new = (_d + _s * Z) ** a * (0 if b else 1)
    value = expectation(new, {Z: StandardNormal()})
    if value == 0:
        return {}
    poly = sp.Poly(sp.expand(value), _d, _s)
    return dict(sorted(poly.terms()))


@functools.lru_cache(maxsize=None)
def _log_moments_generic(estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """(E log V, Var log V) for one step of size ``M`` (a symbol), derived once with the engine."""
    V = sp.Symbol("V", positive=True)
    law = {V: step_law(M, estimator)}
    mean = sp.simplify(expectation(sp.log(V), law))
    second = expectation(sp.log(V) ** 2, law)
    return mean, sp.simplify(sp.expand(second - mean**2))


# --------------------------------------------------------------------------------------------------------
# The recursion of a quantity


@functools.lru_cache(maxsize=None)
def recursion(quantity: str, estimator: str = "unbiased", scheme: str = "replace") -> LinearRecursion:
    r"""The linear recursion of ``quantity``, in the step symbol :data:`M`, for :func:`~.recursion.run`.

    Moment quantities use the labels :math:`(a, b)` of :math:`m_{a,b}(i) = E[(\mu_i-\mu)^a \sigma_i^b]`
    (even :math:`a`; odd moments vanish), closed under :func:`transition`, with tables ``"generic"`` and,
    for the mle, ``"degenerate"`` (a refit of :math:`M = 1` point).  The log quantities are sums of
    independent increments: labels ``"1"`` and the quantity, :math:`L(i+1) = L(i) + c(M_i)` with
    :math:`c = E\log V` or :math:`\operatorname{Var}\log V`.  Outputs: ``"value"`` for a quantity linear in
    the labels, else ``"second"`` and ``"first"`` (:math:`E[P^2]` and :math:`E[P]` of its statistic P).

    >>> rec = recursion("var_x")
    >>> rec.labels
    ((0, 2), (2, 0))
    >>> dict(rec.tables["generic"][(2, 0)])
    {(0, 2): 1/M, (2, 0): 1}
    """
    q = _TABLE[_check_quantity(quantity)]
    estimator = check_estimator(estimator)
    scheme = check_choice("scheme", scheme, SCHEMES)
    if scheme != "replace":
        return _regime_recursion(q, estimator, scheme)
    if q.is_log:
        return _log_recursion(q, estimator)
    if q.kind == "law":
        raise ParameterError(f"quantity {q.key} is not a moment: it has no linear recursion (see law_sigma)")
    polys = {name: q.statistic**k for name, k in q.powers.items()}
    outputs = {}
    for name, P in polys.items():
        reduced = expectation(P, {_Zp: StandardNormal()})
        terms = sp.Poly(sp.expand(reduced), _d, _s).terms()
        outputs[name] = {mon: c for mon, c in terms if mon[0] % 2 == 0}  # odd moments of d vanish
    labels = _closure([mon for weights in outputs.values() for mon in weights], estimator)
    tables = {"generic": {mon: transition(*mon, estimator) for mon in labels}}
    if estimator == "mle":
        tables["degenerate"] = {mon: _degenerate_transition(*mon) for mon in labels}
    initial = {(0, b): sigma**b for a, b in labels if a == 0}
    return LinearRecursion(labels=labels, initial=initial, tables=tables, outputs=outputs, symbols=(M,))


def _closure(monomials, estimator: str) -> tuple[tuple[int, int], ...]:
    """All (a, b) the recursion for the given monomials needs, sorted."""
    todo = list(monomials)
    seen: set[tuple[int, int]] = set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(n for n in transition(*m, estimator) if n not in seen)
    return tuple(sorted(seen))


def _log_recursion(q: Quantity, estimator: str) -> LinearRecursion:
    mean, var = _log_moments_generic(estimator)
    increment, degenerate = (mean, -sp.oo) if q.kind == "mean" else (var, sp.nan)  # mle, M = 1: V = 0
    tables = {"generic": {"1": {"1": 1}, q.key: {q.key: 1, "1": increment}}}
    if estimator == "mle":
        tables["degenerate"] = {"1": {"1": 1}, q.key: {q.key: 1, "1": degenerate}}
    return LinearRecursion(
        labels=("1", q.key), initial={"1": 1}, tables=tables, outputs={"value": {q.key: 1}}, symbols=(M,)
    )


def _value(outputs: dict):
    """The quantity from the outputs of its recursion (any algebra): the value, E[P^2] - E[P]^2, the excess
    kurtosis E[P^4]/E[P^2]^2 - 3, or the cumulant ratio k6 k2/k4^2 (symmetric P)."""
    if "value" in outputs:
        return outputs["value"]
    if "first" in outputs:
        return outputs["second"] - outputs["first"] * outputs["first"]
    m2, m4 = outputs["second"], outputs["fourth"]
    if "sixth" not in outputs:
        if isinstance(m2, QuasiSymmetricSeries):
            inverse = _series_inverse(m2)
            return m4 * inverse * inverse - QuasiSymmetricSeries({(): 3}, m4.order)
        return m4 / (m2 * m2) - 3
    m6 = outputs["sixth"]
    k4 = m4 - 3 * m2 * m2
    k6 = m6 - 15 * m4 * m2 + 30 * m2 * m2 * m2
    return k6 * m2 / (k4 * k4)


def _series_inverse(s: QuasiSymmetricSeries) -> QuasiSymmetricSeries:
    r""":math:`1/s` for a series with constant term 1: :math:`\sum_{n \le \text{order}} (1 - s)^n`."""
    if s.coefficients.get((), 0) != 1:
        raise ArithmeticError(f"the series inverse needs a constant term 1 (got {s.coefficients.get((), 0)})")
    u = QuasiSymmetricSeries({(): 1}, s.order) - s
    out = term = QuasiSymmetricSeries({(): 1}, s.order)
    for _ in range(s.order):
        term = term * u
        out = out + term
    return out


def _regime_steps(sizes: Sequence, scheme: str, real: Any) -> tuple[Step, ...]:
    """The steps of a schedule in a regime: fit 1 on the ``M_0`` real points (table ``"first"``), then one
    step of the regime's table per later sample, with its size ``M``, pool ``P`` and real points ``R``."""
    if scheme == "replace":
        return _steps(sizes)
    steps = [Step({M: sizes[0], P: 0, R: 0}, "first")]
    pool = sizes[0]
    for size in sizes[1:]:
        steps.append(Step({M: size, P: pool, R: real}, scheme))
        pool = pool + size
    return tuple(steps)


def _steps(sizes: Sequence) -> tuple[Step, ...]:
    """One step per size; a size of 1 (mle only, the sizes are validated) uses the degenerate table."""
    return tuple(Step({M: m}, "degenerate" if m == 1 else "generic") for m in sizes)


MAX_EXACT_SIZE = 100_000
"""Largest numeric sample size :func:`exact` accepts (SymPy's exact gamma values grow with M; 10^5 takes seconds)."""

_SERIES_STEP = Step({M: 1 / EPS})
"""Every step of a series run: :math:`M_j = 1/\\varepsilon_j`."""

_SIGMA_ONE = {sigma: 1}
"""Numeric values are in units of sigma."""


# --------------------------------------------------------------------------------------------------------
# Exact forms


def exact(
    quantity: str,
    sizes: int | Sequence = 3,
    estimator: str = "unbiased",
    *,
    simplify: bool = True,
    scheme: str = "replace",
    real: int | sp.Expr = 0,
) -> sp.Expr:
    r"""Exact closed form of ``quantity`` after refits of the given sizes, by the moment recursion.

    ``sizes`` is an int ``g`` (symbols :math:`M_0,\dots,M_{g-1}`) or a sequence of numbers and/or symbols;
    ``scheme`` is a data regime (:data:`~modelcollapse._validation.SCHEMES`; ``real`` points of real data
    per sample for ``mix``).  A quantity a regime has no closed form for raises :class:`NoClosedForm`.

    >>> exact("var_x", 2)
    sigma**2*(1 + 1/M_1 + 1/M_0)
    >>> exact("mean_sigma2", [10, 30], "mle")
    87*sigma**2/100
    >>> exact("var_mu", [10, 30], scheme="accumulate")
    19*sigma**2/160
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes = _as_sizes(sizes, estimator)
    for i, m in enumerate(sizes):
        if m.is_number and m > MAX_EXACT_SIZE:
            raise ParameterError(
                f"sizes[{i}] must be at most {MAX_EXACT_SIZE} for an exact SymPy form (gamma functions of M/2 become "
                f"numbers of about M digits; got {m}): use evaluate({quantity!r}, sizes, dps=...) for its value at "
                "any size, or a symbol for the form"
            )
    scheme, real = _check_regime_symbolic(sizes, estimator, scheme, real)
    rec = recursion(quantity, estimator, scheme)
    out = _value(run(rec, _regime_steps(sizes, scheme, real), ExactAlgebra()))
    if not simplify:
        return out
    if _TABLE[quantity].kind in ("kurtosis", "vgratio"):
        return sp.factor(sp.cancel(sp.together(out)))
    return sp.expand(out) if _TABLE[quantity].is_log else _tidy(out)


def _tidy(expr: sp.Expr) -> sp.Expr:
    expr = sp.gammasimp(sp.expand(expr))
    return sp.factor_terms(sp.collect(sp.expand(expr), sigma))


def exact_direct(quantity: str, sizes: int | Sequence = 2, estimator: str = "unbiased") -> sp.Expr:
    r"""The same closed form by brute force: expand over the independent variables of :func:`decomposition`.

    Exponential in ``g``; it exists to check :func:`exact` independently (tests use ``g <= 4``).
    """
    q = _TABLE[_check_quantity(quantity)]
    if q.kind == "law":
        raise ParameterError(f"quantity {q.key} is not a moment: exact_direct expands moments only")
    dec = decomposition(sizes, estimator)
    P = q.statistic.subs({_d: dec.mu_g - mu, _s: dec.sigma_g})
    if q.is_log:
        P = sp.expand_log(P, force=True)
        m = expectation(P, dec.law)
        if q.kind == "mean":
            return sp.simplify(m)
        return sp.simplify(expectation(sp.expand(P**2), dec.law) - m**2)
    if q.kind in ("kurtosis", "vgratio"):  # P = X^g - mu is symmetric: its central moments are its moments
        moments = {name: expectation(sp.expand(P**k), dec.law) for name, k in q.powers.items()}
        return sp.factor(sp.cancel(sp.together(_value(moments))))
    first = expectation(P, dec.law)
    if q.kind == "mean":
        return _tidy(first)
    return _tidy(expectation(P**2, dec.law) - first**2)


def exact_symbolic_g(quantity: str, estimator: str = "unbiased") -> sp.Expr:
    r"""Exact form for a symbolic number of generations ``g`` with sizes ``M[i]``: nested ``Sum``/``Product``.

    Solves the triangular recursion of :func:`recursion` (:func:`~.recursion.closed_form`):
    :math:`m_{0,n}(g) = \sigma^n\prod_{j<g}\lambda_{0,n}(M_j)`, and for
    :math:`a > 0`, :math:`m_{a,b}(g) = \sum_{i<g} \bigl(\prod_{j=i+1}^{g-1}\lambda_{a,b}(M_j)\bigr)
    \sum_{(a',b') \ne (a,b)} T_{(a,b),(a',b')}(M_i)\, m_{a',b'}(i)`.

    >>> exact_symbolic_g("var_x")
    sigma**2 + Sum(sigma**2/M[i_0], (i_0, 0, g - 1))
    """
    q = _TABLE[_check_quantity(quantity)]
    estimator = check_estimator(estimator)
    index = "i" if q.is_log else "i_{depth}"  # a single sum over the generations
    forms = closed_form(recursion(quantity, estimator), g, lambda i: {M: Mi[i]}, sum_index=index)
    out = _value(forms)
    return out if q.is_log else sp.expand(out)


def moment_closed_form(mon: tuple[int, int], count: sp.Expr, estimator: str = "unbiased") -> sp.Expr:
    r"""Closed form of :math:`m_{a,b}(n) = E[(\mu_n-\mu)^a\sigma_n^b]` after ``count`` refits (replace), nested
    ``Sum``/``Product`` over sizes ``M[i]``: the runner's :func:`~.recursion.closed_form` read at one label.

    >>> moment_closed_form((2, 0), g)
    Sum(sigma**2/M[i_0], (i_0, 0, g - 1))
    """
    estimator = check_estimator(estimator)
    labels = _closure([mon], estimator)
    rec = LinearRecursion(
        labels=labels,
        initial={(0, b): sigma**b for a, b in labels if a == 0},
        tables={"generic": {m: transition(*m, estimator) for m in labels}},
        outputs={"value": {mon: 1}},
        symbols=(M,),
    )
    return closed_form(rec, count, lambda i: {M: Mi[i]})["value"]


# --------------------------------------------------------------------------------------------------------
# Exact numeric evaluation (mpmath)


def evaluate(
    quantity: str,
    sizes: Sequence[int],
    estimator: str = "unbiased",
    *,
    dps: int = 17,
    scheme: str = "replace",
    real: int = 0,
    record: str = "final",
) -> mpmath.mpf | tuple[mpmath.mpf, ...]:
    r"""Exact value (in units of :math:`\sigma`) at ``dps`` significant digits, in O(g) work.

    Runs the derived recursion in mpmath with guard digits; coefficients are computed once per distinct
    step, so a schedule of a thousand sizes takes well under a second.  ``record="all"`` returns the values
    after generations ``1..g`` from the same single pass.

    >>> mpmath.nstr(evaluate("var_x", [10, 30, 7], dps=20), 20)
    '1.2761904761904761905'
    >>> [mpmath.nstr(v, 6) for v in evaluate("var_mu", [10, 10, 10], scheme="mix", real=5, record="all")]
    ['0.1', '0.125', '0.132639']
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    scheme, real = check_regime(sizes, estimator, scheme, real)
    dps = check_integer("dps", dps, minimum=1, maximum=MAX_DIGITS + 100)
    # Moments of order n cancel down to O(M^-n/2) from O(1) terms: keep 2 log10(M) guard digits beyond 10;
    # a pool (accumulate) reaches sum(sizes).
    algebra = MpmathAlgebra(dps + 10 + 2 * len(str(sum(sizes))), _SIGMA_ONE)
    rec = recursion(quantity, estimator, scheme)
    with algebra.context():
        outputs = run(rec, _regime_steps(sizes, scheme, real), algebra, record=record)
        values = [_value(o) for o in outputs[1:]] if record == "all" else [_value(outputs)]
    with mpmath.workdps(dps):
        values = [+v for v in values]
    return tuple(values) if record == "all" else values[0]


# --------------------------------------------------------------------------------------------------------
# Series in 1/M_i


def series(quantity: str, order: int = 2, estimator: str = "unbiased") -> QuasiSymmetricSeries:
    r"""The 1/M expansion of ``quantity`` (units of :math:`\sigma`) keeping all terms of total degree <= ``order``.

    Computed by running the recursion in ``order`` generations on truncated series that keep one monomial
    per composition (:class:`~.recursion.QuasiSymmetricAlgebra`; by quasi-symmetry they fix every
    coefficient); use :meth:`QuasiSymmetricSeries.symbolic` for the symbolic-``g`` form (power sums when
    symmetric), :meth:`~QuasiSymmetricSeries.constant_size` for :math:`M_i = M`, and
    :meth:`~QuasiSymmetricSeries.evaluate` at given sizes.

    >>> s = series("mean_w2sq", 2)
    >>> s.symbolic(Mi, g)
    Sum(M[i]**(-2), (i, 0, g - 1))/2 - Sum(1/M[i], (i, 0, g - 1))**2/16 + 3*Sum(1/M[i], (i, 0, g - 1))/2
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    if _TABLE[quantity].kind in ("vgratio", "law"):
        raise ParameterError(f"quantity {quantity} has no 1/M series (a ratio of O(1/M) terms, or not a moment)")
    return _series(quantity, order, estimator)


@functools.lru_cache(maxsize=None)
def _series(quantity: str, order: int, estimator: str) -> QuasiSymmetricSeries:
    algebra = QuasiSymmetricAlgebra(order, _SIGMA_ONE)
    out = _value(run(recursion(quantity, estimator), (_SERIES_STEP,) * order, algebra))
    return QuasiSymmetricSeries(out.coefficients, out.order, min_size=2 if estimator == "unbiased" else 1)


def series_polynomial(quantity: str, order: int, estimator: str, nvars: int):
    """The truncated series as a polynomial in ``eps_0..eps_{nvars-1}`` (SymPy sparse ring over QQ).

    The direct computation for ``nvars`` generations, every monomial kept
    (:class:`~.recursion.PolynomialSeriesAlgebra`); tests check :func:`series` against it for
    ``nvars > order``.
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    nvars = check_integer("nvars", nvars, minimum=0)
    algebra = PolynomialSeriesAlgebra(order, nvars, _SIGMA_ONE)
    return truncate(_value(run(recursion(quantity, estimator), (_SERIES_STEP,) * nvars, algebra)), order)


def evaluate_series(
    quantity: str, sizes: Sequence[int], order: int = 2, estimator: str = "unbiased", *, dps: int = 17
) -> mpmath.mpf:
    """The order-``order`` series of ``quantity`` evaluated at ``sizes`` (units of sigma), in mpmath."""
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    return series(quantity, order, estimator).evaluate(sizes, dps)


def summary(
    sizes: Sequence[int], estimator: str = "unbiased", order: int = 2, *, dps: int = 17
) -> dict[str, dict[str, mpmath.mpf]]:
    """Every quantity at ``sizes``: ``{"exact": {q: value}, "series": {q: value}}`` in units of sigma."""
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    order = check_integer("order", order, minimum=1)
    return {
        "exact": {q: evaluate(q, sizes, estimator, dps=dps) for q in QUANTITIES},
        "series": {q: evaluate_series(q, sizes, order, estimator, dps=dps) for q in QUANTITIES},
    }


def theory(
    *,
    sizes: Sequence[int] | Schedule,
    estimator: str = "unbiased",
    sigma: float = 1.0,
    scheme: str = "replace",
    real: int = 0,
    detector_recall: float = 0.0,
    detector_fpr: float = 0.0,
    eps: float | None = None,
    order: int = 2,
    digits: int = 17,
    record: str = "final",
) -> TheoryResult | list[TheoryResult]:
    r"""The model's theory as the registry calls it: exact values and order-``order`` series of every quantity.

    Values are in units of :math:`\sigma` (``absolute`` multiplies by ``sigma`` to each quantity's power).
    A quantity the regime has no closed form for is ``None`` with the reason in ``no_exact``; the 1/M series
    exist for ``replace`` (the other regimes' first step differs from the later ones, so their expansions
    are not quasi-symmetric: ``no_series``).  ``record="all"`` returns one
    :class:`~modelcollapse.models.TheoryResult` per generation ``1..g``, all from one pass of each recursion.

    Besides the moments: ``kurtosis_x`` and ``vg_ratio_x`` (the law of :math:`X^g`), ``extra["collapse"]``
    (:func:`collapse_criteria`), and with ``eps`` the exact :math:`P(\sigma_g < \varepsilon\sigma)`
    (``prob_sigma_below``) with ``extra["sigma_law"]`` (its error bound, quantiles of :math:`\sigma_g/\sigma`,
    the normal approximation, labelled) and ``extra["collapse_time"]`` (:func:`collapse_time`).  An infinite
    schedule (``xinf``) gives the limits :math:`g \to \infty` (:func:`limits`), ``generation="inf"``.

    >>> r = theory(sizes=(10, 30, 7))
    >>> r.generation, mpmath.nstr(r.exact["var_x"], 8), r.order
    (3, '1.2761905', 2)
    >>> r = theory(sizes=(10, 30, 7), scheme="mix", real=3)
    >>> r.exact["mean_w2sq"] is None, r.no_exact["mean_w2sq"][:26]
    (True, 'W2^2 = (mu_g - mu)^2 + (si')
    >>> r = theory(sizes=parse_schedule("geometric:10,2xinf"), eps=0.5)
    >>> r.generation, mpmath.nstr(r.exact["var_x"], 8), r.extra["collapse"]["sigma_to_zero_almost_surely"]
    ('inf', '1.2', False)
    """
    estimator = check_estimator(estimator)
    if eps is not None:
        eps = check_eps(eps)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    record = check_choice("record", record, ("final", "all"))
    if _is_infinite(sizes):
        if record == "all":
            raise ParameterError(f"sizes: record='all' needs a finite schedule (got {sizes.text})")
        if check_choice("scheme", scheme, SCHEMES) != "replace":
            raise ParameterError(f"sizes: the limits g -> infinity (xinf) are derived for scheme replace (got {scheme})")
        sizes = check_sizes(sizes, estimator, infinite=True)
        return _theory_limit(sizes, estimator, sigma, eps, digits)
    sizes = check_sizes(sizes, estimator)
    scheme, real = check_regime(sizes, estimator, scheme, real)
    recall, fpr = check_detector(scheme, detector_recall, detector_fpr)
    g = len(sizes)
    moments = QUANTITIES + ("kurtosis_x", "vg_ratio_x")
    keys = moments + (("prob_sigma_below",) if eps is not None else ())
    no_exact = {q: why for q in keys if (why := no_closed_form(q, scheme))}
    if estimator == "mle" and sizes[0] == 1 and "vg_ratio_x" not in no_exact:
        no_exact["vg_ratio_x"] = "X^g is exactly normal given mu_g after an mle fit of one point: kappa_4 = 0"
    if recall or fpr:
        paths = {
            q: (None,) * g if q in no_exact else
            detector_evaluate(q, sizes, estimator, real=real, recall=recall, fpr=fpr, dps=digits, record="all")
            for q in moments
        }
    else:
        paths = {
            q: (None,) * g if q in no_exact else
            evaluate(q, sizes, estimator, dps=digits, scheme=scheme, real=real, record="all")
            for q in moments
        }
    no_series = {}
    ser = {}
    if scheme == "replace":
        ser = {q: series(q, order, estimator) for q in QUANTITIES + ("kurtosis_x",)}
        no_series["vg_ratio_x"] = ("kappa_6 kappa_2/kappa_4^2 is a ratio of O(1/M) terms: not a power series in "
                                   "the 1/M_i")
    else:
        no_series = {q: f"the 1/M expansion is derived for scheme replace only (fit 1 of scheme {scheme} is a "
                        "different step from the later ones)" for q in moments}
    if eps is not None:
        no_series["prob_sigma_below"] = "a probability of the law of sigma_g, not a moment: no 1/M expansion"
    gens = range(1, g + 1) if record == "all" else (g,)
    collapse = collapse_criteria(sizes, estimator, digits) if scheme == "replace" else _no_criteria(scheme)
    # every prefix's series in one pass (evaluating each prefix anew would be O(g^2))
    ser_values = {q: (s_.evaluate_prefixes(sizes, digits) if record == "all" else [None] * (g - 1) + [s_.evaluate(sizes, digits)])
                  for q, s_ in ser.items()}
    out = []
    for k in gens:
        exact_k = {q: paths[q][k - 1] for q in moments}
        extra: dict[str, Any] = {"collapse": collapse}
        if eps is not None:
            if "prob_sigma_below" in no_exact:
                exact_k["prob_sigma_below"] = None
            else:
                law_extra = _law_extra(eps, sizes if k == g else sizes[:k], estimator, digits, full=k == g)
                exact_k["prob_sigma_below"] = law_extra.pop("value")
                extra.update(law_extra)
        with mpmath.workdps(digits + 5):
            absolute = {q: None if v is None else v * mpmath.mpf(sigma) ** sigma_power(q) for q, v in exact_k.items()}
        out.append(
            TheoryResult(
                generation=k,
                exact=exact_k,
                series={q: ser_values[q][k - 1] if q in ser else None for q in keys},
                order=order,
                no_exact=no_exact,
                no_series=no_series,
                absolute=absolute,
                extra=extra,
            )
        )
    return out if record == "all" else out[0]


def _no_criteria(scheme: str) -> dict[str, Any]:
    return {"sum_inv_sizes": None, "mean_w2sq_bounded": None, "sigma_to_zero_almost_surely": None,
            "note": f"the collapse criteria are derived for scheme replace (got {scheme})"}


def _law_extra(eps: float, sizes: Sequence[int], estimator: str, digits: int, full: bool) -> dict[str, Any]:
    """``prob_sigma_below`` (``"value"``) and, for the reported generation (``full``), the extra keys
    ``sigma_law`` and ``collapse_time``."""
    if degenerate_generation(sizes, estimator) is not None:
        g0 = degenerate_generation(sizes, estimator)
        note = f"sigma_g = 0 exactly from generation {g0} (an mle fit of one point)"
        return {"value": mpmath.mpf(1), "sigma_law": {"eps": eps, "prob_sigma_below_error_bound": 0, "note": note},
                "collapse_time": collapse_time(eps, sizes, estimator, digits)} if full else {"value": mpmath.mpf(1)}
    law = law_sigma(sizes, estimator, digits)
    p, err = prob_sigma_below(eps, sizes, estimator, digits, law=law)
    if not full:
        return {"value": p}
    quantiles = sigma_quantiles(sizes, estimator, digits, law=law)
    normal = normal_approximation(eps, sizes, estimator, digits, law=law)
    return {
        "value": p,
        "sigma_law": {
            "eps": eps,
            "prob_sigma_below_error_bound": err,
            "quantiles": {q: {"value": v, "error_bound": e} for q, (v, e) in quantiles.items()},
            "normal_approximation": {
                "prob_sigma_below": normal["prob_sigma_below"],
                "quantiles": normal["quantiles"],
                "note": ("an approximation, not exact: log(sigma_g^2/sigma^2) replaced by the normal law with its "
                         "exact mean and variance (the exact law is a sum of log-gamma variables, skewed left)"),
            },
        },
        "collapse_time": _time_extra(collapse_time(eps, sizes, estimator, digits, law=law)),
    }


def _time_extra(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "prob_collapsed_by_lower": t["prob_collapsed_by_lower"],
        "prob_collapsed_by_upper": t["prob_collapsed_by_upper"],
        "bounds": ("exact: P(sigma_g < eps sigma) <= P(T_eps <= g) <= inf_theta<0 E[(sigma_g/sigma)^(2 theta)] "
                   "eps^(-2 theta) (Ville's maximal inequality)"),
        "wald_mean_collapse_time": t.get("wald_mean_collapse_time"),
        "wald_note": t.get("wald_note", t.get("note", "")) + "; an approximation, not exact",
    }


def _theory_limit(schedule: Schedule, estimator: str, sigma: float, eps: float | None, digits: int) -> TheoryResult:
    """The limits g -> infinity as a :class:`TheoryResult` (``generation="inf"``)."""
    values, why = limits(schedule, estimator, digits, eps)
    exact = {q: None if v is None else v.mid for q, v in values.items()}
    errors = {q: v.rad for q, v in values.items() if v is not None}
    achieved = {}
    for q, v in values.items():
        if v is not None:
            scale = abs(v.mid) or mpmath.mpf(1)
            achieved[q] = digits if v.rad == 0 else max(0, min(digits, int(-mpmath.log10(v.rad / scale))))
    with mpmath.workdps(digits + 5):
        absolute = {q: None if v is None else v * mpmath.mpf(sigma) ** sigma_power(q) for q, v in exact.items()}
    extra: dict[str, Any] = {
        "collapse": collapse_criteria(schedule, estimator, digits),
        "limit": {
            "error_bound": errors,
            "digits": achieved,
            "note": ("g -> infinity: the first sizes exactly, the tail of every infinite sum or product bounded "
                     "analytically (Hurwitz zeta / geometric sums, ceil brackets); digits below the requested ones "
                     "are what the bound guarantees"),
        },
    }
    if eps is not None and schedules.converges(schedule):
        law = _infinite_law(schedule, estimator, digits)
        quantiles = sigma_quantiles(schedule, estimator, digits, law=law)
        extra["sigma_law"] = {"eps": eps, "prob_sigma_below_error_bound": errors.get("prob_sigma_below"),
                              "quantiles": {q: {"value": v, "error_bound": e} for q, (v, e) in quantiles.items()},
                              "note": "the law of sigma_infinity = lim sigma_g (sum 1/M_i < infinity)"}
        with mpmath.workdps(digits + 20):
            extra["collapse_time"] = {
                "prob_collapse_ever_upper": law.lower_tail_bound(2 * mpmath.log(mpmath.mpf(eps))),
                "note": ("exact: P(T_eps < infinity) <= inf_theta<0 E[(sigma_inf/sigma)^(2 theta)] eps^(-2 theta) "
                         "(Ville); P(sigma_inf < eps sigma) <= P(T_eps < infinity)"),
            }
    elif eps is not None:
        extra["collapse_time"] = {"prob_collapse_ever": 1, "note": "sum 1/M_i = infinity: sigma_g -> 0 almost surely, "
                                  "so T_eps < infinity almost surely"}
    no_series = {q: "g -> infinity: no expansion in the 1/M_i of a limit" for q in exact}
    return TheoryResult(generation="inf", exact=exact, series={q: None for q in exact}, order=None,
                        no_exact=why, no_series=no_series, absolute=absolute, extra=extra)


# --------------------------------------------------------------------------------------------------------
# Data regimes: accumulate, accumulate-subsample, mix (fresh real data)


class NoClosedForm(ParameterError):
    """A quantity the regime gives no closed form for (the message says why); simulate it instead."""


def _divisor(n: sp.Expr, estimator: str) -> sp.Expr:
    return n - 1 if estimator == "unbiased" else n


@functools.lru_cache(maxsize=None)
def regime_transition(a: int, k: int, estimator: str, scheme: str) -> dict[tuple[int, int], sp.Expr]:
    r"""One step (fit :math:`i \to i+1`, :math:`i \ge 1`) of :math:`E[(\mu_i-\mu)^a\sigma_i^{2k}]` in a data regime.

    Returns ``{(a', b'): c}`` with :math:`m_{a,2k}(i+1) = \sum c\, m_{a',b'}(i)`, the coefficients rational in
    the step symbols: ``M`` (sample size :math:`M_i`), ``P`` (pool size :math:`N_{i-1}`, accumulate), ``R``
    (real points, mix) and ``sigma``.  Derived by the expectation engine from the exact one-step law:

    * ``accumulate``: with :math:`N = P + M`, one normal :math:`Z` (the new batch's mean) and
      :math:`V \sim \chi^2_{M-1}` (its sum of squares),
      :math:`\mu' = \mu_i + \sigma_i\sqrt{M} Z/N`, :math:`D(N)\,\sigma'^2 = \sigma_i^2 (D(P) + V + (P/N) Z^2)`;
    * ``mix``: with :math:`S = M - R` synthetic points, normals :math:`Z_r, Z_s` and
      :math:`V_r \sim \chi^2_{R-1}`, :math:`V_s \sim \chi^2_{S-1}`,
      :math:`M\mu' = M\mu + \sqrt R\,\sigma Z_r + S(\mu_i - \mu) + \sqrt S\,\sigma_i Z_s` and
      :math:`D(M)\sigma'^2 = \sigma^2 V_r + \sigma_i^2 V_s + (RS/M)(\sigma Z_r/\sqrt R - (\mu_i-\mu) - \sigma_i Z_s/\sqrt S)^2`.
      The coefficients are polynomials in ``R`` valid for every :math:`0 \le R \le M` (``R = 0`` is ``replace``).

    Only even powers of :math:`\sigma_i` close: :math:`\sigma'^2` is a sum, so :math:`E\,\sigma'` has no
    polynomial form; quantities that need odd powers have no closed form in these regimes.

    >>> regime_transition(0, 1, "unbiased", "mix")
    {(0, 0): R*sigma**2/M, (0, 2): (M - R)/M, (2, 0): R*(M - R)/(M*(M - 1))}
    """
    estimator = check_estimator(estimator)
    Z, Zr = sp.Symbol("Z", real=True), sp.Symbol("Z_r", real=True)
    V, Vr = sp.Symbol("V", positive=True), sp.Symbol("V_r", positive=True)
    if scheme == "accumulate":
        N = P + M
        new_d = _d + _s * sp.sqrt(M) / N * Z
        new_v = _s**2 * (_divisor(P, estimator) + V + P / N * Z**2) / _divisor(N, estimator)
        law = {Z: StandardNormal(), V: ChiSquare(M - 1, 1)}
    elif scheme == "mix":
        S = M - R
        new_d = (sp.sqrt(R) * sigma * Zr + S * _d + sp.sqrt(S) * _s * Z) / M
        between = sigma * Zr / sp.sqrt(R) - _d - _s * Z / sp.sqrt(S)
        new_v = (sigma**2 * Vr + _s**2 * V + R * S / M * between**2) / _divisor(M, estimator)
        law = {Z: StandardNormal(), Zr: StandardNormal(), V: ChiSquare(S - 1, 1), Vr: ChiSquare(R - 1, 1)}
    else:
        raise ParameterError(f"scheme must be accumulate or mix for a regime transition (got {scheme!r})")
    value = expectation(sp.expand(new_d**a * new_v**k), law)
    poly = sp.Poly(sp.expand(value), _d, _s)
    return {mon: sp.factor(sp.cancel(c)) for mon, c in sorted(poly.terms())}


_NO_CLOSED_FORM = {
    "mean_sigma": "sigma_g^2 is a sum of independent chi-square terms, not a product, so E sigma_g (odd powers of sigma_g) has no closed form",
    "mean_w2sq": "W2^2 = (mu_g - mu)^2 + (sigma_g - sigma)^2 needs E sigma_g, which has no closed form in this regime",
    "var_w2sq": "Var W2^2 needs E sigma_g and E sigma_g^3, which have no closed form in this regime",
    "mean_log_sigma2": "log sigma_g^2 is the log of a sum of chi-square terms: its mean has no closed form",
    "var_log_sigma2": "log sigma_g^2 is the log of a sum of chi-square terms: its variance has no closed form",
    "mean_x": "",
}
"""Why a moment quantity has no closed form outside ``replace``."""

_SUBSAMPLE_QUANTITIES = {"var_x": {"mu2": 1, "v": 1}, "var_mu": {"mu2": 1}, "mean_sigma2": {"v": 1}}
"""``accumulate-subsample``: the quantities of its second-order pool recursion, as labels."""


def no_closed_form(quantity: str, scheme: str) -> str | None:
    """Why ``quantity`` has no closed form in ``scheme`` (``None`` if it has one).

    >>> no_closed_form("mean_sigma4", "accumulate") is None, no_closed_form("mean_sigma4", "accumulate-subsample")[:30]
    (True, 'fourth moments of a subsample ')
    """
    q = _TABLE[_check_quantity(quantity)]
    scheme = check_choice("scheme", scheme, SCHEMES)
    if scheme == "replace":
        return None
    if quantity == "prob_sigma_below":
        return ("sigma_g^2 is a sum of dependent chi-square terms in this regime, not a product of independent "
                "factors, so log sigma_g^2 is not a sum of independent log-gamma variables: no exact law is derived")
    if quantity == "vg_ratio_x":
        return "sixth moments of the regime's recursion are not derived (only up to fourth)"
    if quantity == "kurtosis_x" and scheme == "accumulate-subsample":
        return ("fourth moments of a subsample of a shared pool need the pool's fourth-order power sums; only the "
                "second-order recursion is derived here")
    if scheme == "accumulate-subsample":
        if quantity in _SUBSAMPLE_QUANTITIES:
            return None
        return (
            "fourth moments of a subsample of a shared pool need the pool's fourth-order power sums and the "
            "overlaps of subsamples across generations; only the second-order recursion is derived here"
            if not q.is_log and quantity in ("mean_sigma4",)
            else _NO_CLOSED_FORM.get(quantity) or "not derived for this regime"
        )
    return _NO_CLOSED_FORM.get(quantity) if quantity in _NO_CLOSED_FORM and quantity != "mean_x" else None


def _regime_recursion(q: Quantity, estimator: str, scheme: str) -> LinearRecursion:
    """The recursion of ``q`` in a data regime: table ``"first"`` (fit 1 on the real points) and the
    regime's table, in the step symbols ``M``, ``P``, ``R``."""
    why = no_closed_form(q.key, scheme)
    if why:
        raise NoClosedForm(f"quantity {q.key} has no closed form for scheme {scheme}: {why}")
    if scheme == "accumulate-subsample":
        return _subsample_recursion(q, estimator)
    polys = {name: q.statistic**k for name, k in q.powers.items()}
    outputs = {}
    for name, poly in polys.items():
        reduced = expectation(poly, {_Zp: StandardNormal()})
        outputs[name] = {mon: c for mon, c in sp.Poly(sp.expand(reduced), _d, _s).terms() if mon[0] % 2 == 0}
    todo = [mon for w in outputs.values() for mon in w]
    labels: set[tuple[int, int]] = set()
    while todo:
        mon = todo.pop()
        if mon not in labels:
            labels.add(mon)
            todo.extend(regime_transition(mon[0], mon[1] // 2, estimator, scheme))
    labels_t = tuple(sorted(labels))
    tables = {
        "first": {mon: transition(*mon, estimator) for mon in labels_t},
        scheme: {mon: regime_transition(mon[0], mon[1] // 2, estimator, scheme) for mon in labels_t},
    }
    initial = {(0, b): sigma**b for a, b in labels_t if a == 0}
    return LinearRecursion(labels=labels_t, initial=initial, tables=tables, outputs=outputs, symbols=(M, P, R))


@functools.lru_cache(maxsize=None)
def subsample_tables(estimator: str) -> dict[str, dict[str, dict[str, sp.Expr]]]:
    r"""The second-order recursion of ``accumulate-subsample`` on the labels ``mu2`` (:math:`E(\mu_g-\mu)^2`),
    ``v`` (:math:`E\sigma_g^2`), ``A`` (:math:`E S_1^2`), ``B`` (:math:`E S_2`) and ``1``.

    :math:`S_1 = \sum_p (x_p - \mu)` and :math:`S_2 = \sum_p (x_p - \mu)^2` run over the pool the fit
    was drawn from.  One step adds :math:`M` points drawn from the fit to a pool of :math:`P` points and
    refits on a uniform subsample of :math:`M` of the :math:`N = P + M`:  with inclusion probabilities
    :math:`M/N` (one point) and :math:`M(M-1)/(N(N-1))` (two points),

    .. math::  E[m'^2 \mid \text{pool}] = \frac{1}{M^2}\Bigl(\frac{M}{N} S_2 + \frac{M(M-1)}{N(N-1)}(S_1^2 - S_2)\Bigr),
               \qquad E[D(M)\,v' \mid \text{pool}] = \frac{M}{N} S_2 - M\, E[m'^2 \mid \text{pool}],

    and, with :math:`E[S_1 \mu_g] = E S_1^2/P` (the fit's mean is the mean of a uniform subsample),
    :math:`S_1' = S_1 + M\mu_g + \sqrt{M}\sigma_g Z`, :math:`E S_2' = E S_2 + M(E\mu_g^2 + E\sigma_g^2)`.
    Table ``"first"`` is fit 1 on the :math:`M` real points; tables are linear maps ``{target: {source: c}}``.
    """
    estimator = check_estimator(estimator)
    N = P + M
    mu2, v, A, B, one = sp.symbols("mu2 v A B one")
    A_new = A + 2 * M * A / P + M**2 * mu2 + M * v
    B_new = B + M * (mu2 + v)
    mu2_new = (M / N * B_new + M * (M - 1) / (N * (N - 1)) * (A_new - B_new)) / M**2
    v_new = (M / N * B_new - M * mu2_new) / _divisor(M, estimator)
    names = {"mu2": mu2, "v": v, "A": A, "B": B, "1": one}

    def linear(expr: sp.Expr) -> dict[str, sp.Expr]:
        expr = sp.expand(expr)
        return {k: sp.factor(expr.coeff(x)) for k, x in names.items() if expr.coeff(x) != 0}

    step = {"mu2": linear(mu2_new), "v": linear(v_new), "A": linear(A_new), "B": linear(B_new), "1": {"1": 1}}
    first = {
        "mu2": {"1": sigma**2 / M},
        "v": {"1": sigma**2 * (M - 1) / _divisor(M, estimator)},
        "A": {"1": M * sigma**2},
        "B": {"1": M * sigma**2},
        "1": {"1": 1},
    }
    return {"first": first, "accumulate-subsample": step}


def _subsample_recursion(q: Quantity, estimator: str) -> LinearRecursion:
    return LinearRecursion(
        labels=("1", "mu2", "v", "A", "B"),
        initial={"1": 1},
        tables=subsample_tables(estimator),
        outputs={"value": _SUBSAMPLE_QUANTITIES[q.key]},
        symbols=(M, P, R),
    )


def _check_regime_symbolic(sizes: Sequence, estimator: str, scheme: str, real: Any) -> tuple[str, Any]:
    """:func:`~modelcollapse._validation.check_regime` where sizes and ``real`` are numbers; symbols pass."""
    scheme = check_choice("scheme", scheme, SCHEMES)
    real = sp.sympify(real)
    if all(sp.sympify(m).is_Integer for m in sizes) and real.is_Integer:
        return check_regime(tuple(int(m) for m in sizes), estimator, scheme, int(real))
    if scheme != "mix" and real != 0:
        raise ParameterError(f"real must be 0 unless scheme is mix (got real={real} with scheme {scheme})")
    return scheme, real


def _fit_points(points: Sequence[sp.Expr], estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """Sample mean and variance (divisor by ``estimator``) of explicit points."""
    n = len(points)
    mean = sp.Add(*points) / n
    return mean, sp.Add(*((x - mean) ** 2 for x in points)) / _divisor(sp.Integer(n), estimator)


def _integrate_layers(expr: sp.Expr, layers: Sequence[tuple[list, sp.Symbol | None, sp.Expr | None]]) -> sp.Expr:
    """Integrate the standard normals of each layer, last layer first.  A layer's points were drawn with the
    scale symbol ``s`` standing for :math:`\\sigma_i = \\sqrt{v_i}`: after its normals are integrated only
    even powers of ``s`` remain (checked), and :math:`s^2` is replaced by the fit's variance ``v`` in the
    earlier layers' normals."""
    for normals, s, v in reversed(layers):
        expr = sp.expand(expectation(expr, {z: StandardNormal() for z in normals}))
        if s is not None:
            out = sp.Integer(0)
            for (k,), c in sp.Poly(expr, s).terms():
                if k % 2:
                    raise ArithmeticError(f"an odd power of {s} survived the integration of its points")
                out += c * v ** (k // 2)
            expr = sp.expand(out)
    return expr


def exact_direct_regime(
    quantity: str, sizes: Sequence[int], estimator: str = "unbiased", scheme: str = "accumulate", real: int = 0
) -> sp.Expr:
    r"""The exact value of ``quantity`` in a data regime by an independent route: explicit points.

    Every point of every sample is written out as :math:`\mu + \sigma Z` (real) or :math:`\mu_i + \sigma_i Z`
    (drawn from fit :math:`i`), every fit is the sample mean and variance of its explicit training points (the
    pool, a subsample of it, or the newest sample with its real points), and the expectation is taken over
    the standard normals, newest first (and, for ``accumulate-subsample``, averaged over every subsample,
    enumerated).  No Cochran reduction, chi-square law or moment transition is used.  Exponential in the
    sizes: for small schedules (tests and derivation steps use a few points per generation).

    >>> exact_direct_regime("var_mu", (3, 3, 2), scheme="accumulate")
    427*sigma**2/960
    """
    q = _TABLE[_check_quantity(quantity)]
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    scheme, real = check_regime(sizes, estimator, scheme, real)
    if q.is_log or q.kind != "mean" and quantity != "var_x" or no_closed_form(quantity, scheme):
        raise NoClosedForm(f"quantity {quantity} has no explicit-points route for scheme {scheme}")
    statistic = q.statistic if quantity != "var_x" else _d**2 + _s**2  # Var X^g = E(mu_g-mu)^2 + E sigma_g^2
    z0 = sp.symbols(f"z0_0:{sizes[0]}", real=True)
    first = [mu + sigma * z for z in z0]

    def value(mean: sp.Expr, var: sp.Expr, layers: list) -> sp.Expr:
        # the statistics here are polynomials in d and s^2 (even powers of s only)
        stat = sp.expand(statistic).xreplace({_d: mean - mu}).subs(_s**2, var)
        return _integrate_layers(sp.expand(stat), layers)

    def chains(i: int, pool: list, mean: sp.Expr, var: sp.Expr, layers: list, weight: sp.Expr):
        """(weight, final mean, final variance, layers) of every branch (subsample choices)."""
        if i == len(sizes):
            yield weight, mean, var, layers
            return
        size = sizes[i]
        s = sp.Symbol(f"s_{i}", positive=True)
        synthetic = size - (real if scheme == "mix" else 0)
        zs = list(sp.symbols(f"z{i}_0:{synthetic}", real=True))
        zr = list(sp.symbols(f"r{i}_0:{size - synthetic}", real=True))
        new = [mean + s * z for z in zs] + [mu + sigma * z for z in zr]
        layer = layers + [(zs + zr, s, var)]
        if scheme == "mix":
            yield from chains(i + 1, new, *_fit_points(new, estimator), layer, weight)
        elif scheme == "accumulate":
            pool = pool + new
            yield from chains(i + 1, pool, *_fit_points(pool, estimator), layer, weight)
        else:  # accumulate-subsample: every subsample of `size` points of the pool, equally likely
            pool = pool + new
            subsets = list(itertools.combinations(range(len(pool)), size))
            for subset in subsets:
                train = [pool[j] for j in subset]
                yield from chains(i + 1, pool, *_fit_points(train, estimator), layer, weight / len(subsets))

    total = sp.Integer(0)
    for weight, mean, var, layers in chains(1, first, *_fit_points(first, estimator), [(list(z0), None, None)], sp.Integer(1)):
        total += weight * value(mean, var, layers)
    return sp.factor(sp.expand(total))


# --------------------------------------------------------------------------------------------------------
# Limits as g -> infinity of the regimes at constant sample size M


def _rising_limit(expr: sp.Expr, n: sp.Symbol) -> sp.Expr:
    r""":math:`\lim_{n\to\infty}` of a product of powers of rising factorials :math:`(a_k)_n` and constants.

    :math:`(a)_n = \Gamma(a+n)/\Gamma(a)` and :math:`\Gamma(n+a)/\Gamma(n) \sim n^a`, so the limit is finite and
    equal to :math:`\prod_k \Gamma(a_k)^{-e_k}` times the constants exactly when :math:`\sum_k e_k = 0` and
    :math:`\sum_k e_k a_k = 0`; otherwise :class:`ArithmeticError`.
    """
    constant, count, shift = sp.Integer(1), sp.Integer(0), sp.Integer(0)
    for factor in sp.Mul.make_args(expr):
        base, e = factor.as_base_exp()
        if isinstance(base, sp.RisingFactorial) and base.args[1] == n:
            a = base.args[0]
            count += e
            shift += e * a
            constant *= sp.gamma(a) ** (-e)
        elif factor.has(n):
            raise ArithmeticError(f"cannot take the limit of the factor {factor} as {n} -> oo")
        else:
            constant *= factor
    if sp.simplify(count) != 0 or sp.simplify(shift) != 0:
        raise ArithmeticError(f"the product does not converge to a finite non-zero limit (exponent {count}, {shift})")
    return constant


@functools.lru_cache(maxsize=None)
def accumulate_variance_factors(estimator: str = "unbiased") -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""``accumulate`` at constant size :math:`M`: :math:`(E\sigma_1^2/\sigma^2,\ c(i),\ E\sigma_\infty^2/\sigma^2)`.

    :math:`E\sigma_{i+1}^2 = c(i)\,E\sigma_i^2` with :math:`c(i)` the regime's coefficient at the pool
    :math:`P = iM` (derived by the engine, :func:`regime_transition`); SymPy writes
    :math:`\prod_{i=1}^{n} c(i)` as rising factorials and :func:`_rising_limit` takes :math:`n \to \infty`.

    >>> accumulate_variance_factors("mle")[2]
    sqrt(M)*sin(pi/sqrt(M))/pi
    """
    estimator = check_estimator(estimator)
    i = sp.Symbol("i", integer=True, positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    first = sp.factor(transition(0, 2, estimator)[(0, 2)])
    c = sp.factor(regime_transition(0, 1, estimator, "accumulate")[(0, 2)].subs(P, i * M))
    product = sp.product(c, (i, 1, n))
    limit = sp.simplify(sp.gammasimp(first * _rising_limit(product, n)))
    return first, c, limit


def _rising_parameters(expr: sp.Expr, n: sp.Symbol) -> tuple[sp.Expr, list[sp.Expr], list[sp.Expr]]:
    """``(constant, upper, lower)`` with ``expr`` = constant * prod (a)_n over upper / prod (b)_n over lower."""
    constant, upper, lower = sp.Integer(1), [], []
    for factor in sp.Mul.make_args(expr):
        base, e = factor.as_base_exp()
        if isinstance(base, sp.RisingFactorial) and base.args[1] == n and e.is_Integer:
            (upper if e > 0 else lower).extend([base.args[0]] * abs(int(e)))
        elif factor.has(n):
            raise ArithmeticError(f"not a product of rising factorials in {n}: {factor}")
        else:
            constant *= factor
    return constant, upper, lower


def accumulate_limit(quantity: str, M_value: int, estimator: str = "unbiased", *, dps: int = 30) -> mpmath.mpf:
    r""":math:`\lim_{g\to\infty}` of ``var_mu``, ``mean_sigma2`` or ``var_x`` under ``accumulate`` with every
    :math:`M_i = M` (units of :math:`\sigma`).

    :math:`E\sigma^2_\infty` is the closed form of :func:`accumulate_variance_factors`.  The mean gains
    :math:`E\sigma_i^2\, M/N_i^2 = E\sigma_i^2/((i+1)^2 M)` per step, so
    :math:`\operatorname{Var}\mu_\infty = \frac1M\bigl(1 + \sum_{n\ge 0} E\sigma_1^2\,\Pi(n)/(n+2)^2\bigr)` with
    :math:`\Pi(n) = \prod_{i=1}^{n} c(i)` a ratio of rising factorials: the sum is a generalized hypergeometric
    series at 1 (:func:`mpmath.hyper`, convergent since its parameter excess is 1), evaluated to ``dps`` digits.
    Every :math:`E\sigma_k^2 \le 1`, so the limit lies below :math:`\pi^2/(6M)`.

    >>> mpmath.nstr(accumulate_limit("var_mu", 10), 12), mpmath.nstr(mpmath.pi**2 / 60, 12)
    ('0.162780970015', '0.164493406685')
    """
    quantity = check_choice("quantity", quantity, ("var_mu", "mean_sigma2", "var_x"))
    M_value = check_integer("M", M_value, minimum=2)
    first, c, limit = accumulate_variance_factors(estimator)
    e_inf = limit.subs(M, M_value)
    if quantity != "mean_sigma2":
        i = sp.Symbol("i", integer=True, positive=True)
        n = sp.Symbol("n", integer=True, nonnegative=True)
        constant, upper, lower = _rising_parameters(sp.product(c.subs(M, M_value), (i, 1, n)), n)
        # 1/(n+2)^2 = (2)_n^2 / (4 (3)_n^2), and (1)_n / n! = 1 supplies the hypergeometric n!
        upper, lower = [*upper, 2, 2, 1], [*lower, 3, 3]
    with mpmath.workdps(dps + 10):
        e_inf = mpmath.mpf(sp.N(e_inf, dps + 10))
        if quantity == "mean_sigma2":
            return +e_inf
        arg = lambda x: mpmath.mpf(sp.N(x, dps + 10))  # noqa: E731
        series = mpmath.hyper([arg(a) for a in upper], [arg(b) for b in lower], 1)
        var_mu = (1 + arg(first.subs(M, M_value) * constant) * series / 4) / M_value
        return +(var_mu if quantity == "var_mu" else var_mu + e_inf)


@functools.lru_cache(maxsize=None)
def mix_stationary(estimator: str = "unbiased") -> dict[str, sp.Expr]:
    r"""The fixed point of ``mix`` at constant :math:`M` and :math:`R \ge 1`: the stationary
    :math:`\operatorname{Var}\mu` and :math:`E\sigma^2` (and :math:`\operatorname{Var}X`), solved by SymPy from
    the second-moment block of :func:`regime_transition`.

    >>> mix_stationary("unbiased")["var_mu"], mix_stationary("unbiased")["mean_sigma2"]
    (sigma**2*(M - 1)/(2*M*R - M - R**2), R*sigma**2*(2*M - R - 1)/(2*M*R - M - R**2))
    >>> mix_stationary("mle")["var_x"]
    sigma**2
    """
    estimator = check_estimator(estimator)
    mons = ((2, 0), (0, 2))
    x = sp.symbols("x0 x1")
    equations = []
    for mon, unknown in zip(mons, x):
        row = regime_transition(mon[0], mon[1] // 2, estimator, "mix")
        value = sp.Add(*(c * (x[mons.index(k)] if k in mons else 1) for k, c in row.items()))
        equations.append(sp.Eq(unknown, value))
    (solution,) = sp.solve(equations, x, dict=True)
    var_mu, sigma2 = (sp.factor(solution[x[0]]), sp.factor(solution[x[1]]))
    return {"var_mu": var_mu, "mean_sigma2": sigma2, "var_x": sp.factor(var_mu + sigma2)}


@functools.lru_cache(maxsize=None)
def mix_fourth_moment_block(estimator: str = "unbiased") -> sp.Matrix:
    r"""The homogeneous part of ``mix``'s fourth-order recursion on :math:`(m_{4,0}, m_{2,2}, m_{0,4})`: the
    matrix :math:`T(M, R)` (the lower orders feed in as a bounded input once the second moments converge)."""
    mons = ((4, 0), (2, 2), (0, 4))
    rows = [regime_transition(a, b // 2, estimator, "mix") for a, b in mons]
    return sp.Matrix([[sp.factor(row.get(k, 0)) for k in mons] for row in rows])


def mix_fourth_moment_bounded(M_value: int, R_value: int, estimator: str = "unbiased") -> bool:
    r"""Whether :math:`E\sigma_g^4` stays bounded under ``mix`` with constant :math:`M` and :math:`R` real points.

    :math:`T` (:func:`mix_fourth_moment_block`) is a non-negative matrix, so its spectral radius is below 1
    exactly when every leading principal minor of :math:`I - T` is positive (M-matrix criterion); that is
    decided in exact rational arithmetic.  Bounded second moments need :math:`R \ge 1` as well.

    >>> [mix_fourth_moment_bounded(10, r) for r in (0, 1, 2, 3)]
    [False, False, True, True]
    >>> [mix_fourth_moment_bounded(10, r, "mle") for r in (0, 1, 2)]
    [False, True, True]
    """
    M_value = check_integer("M", M_value, minimum=2)
    R_value = check_integer("R", R_value, minimum=0, maximum=M_value)
    if R_value == 0:
        return False
    return all(minor.subs({M: M_value, R: R_value}) > 0 for minor in _fourth_minors(check_estimator(estimator)))


@functools.lru_cache(maxsize=None)
def _fourth_minors(estimator: str) -> tuple[sp.Expr, ...]:
    """The leading principal minors of :math:`I - T` (:func:`mix_fourth_moment_block`), rational in M and R."""
    I = sp.eye(3) - mix_fourth_moment_block(estimator)
    return tuple(sp.factor(sp.cancel(I[:k, :k].det())) for k in (1, 2, 3))


def regime_step_direct(a: int, k: int, estimator: str, scheme: str, size: int, pool: int = 0, real: int = 0) -> sp.Expr:
    r"""One step of ``accumulate`` or ``mix`` by explicit points, as a polynomial identity to check
    :func:`regime_transition` against: returns ``E[d'^a v'^k] - sum c d^a' s^b'`` (zero when the table holds).

    ``accumulate``: the pool is ``pool`` explicit points :math:`x_1..x_P` (symbols), the current fit their
    mean and variance, ``size`` new points drawn from it; ``mix``: the fit is :math:`(\mu + d, s)` and the
    sample has ``real`` points :math:`\mu + \sigma Z` and ``size - real`` points :math:`\mu + d + s Z`.
    The expectation is over the new points' standard normals only; no sufficient statistic is used.

    >>> regime_step_direct(2, 1, "unbiased", "accumulate", 2, pool=2)
    0
    """
    estimator = check_estimator(estimator)
    table = regime_transition(a, k, estimator, scheme)
    s = sp.Symbol("s_step", positive=True)
    if scheme == "accumulate":
        xs = sp.symbols(f"x0:{pool}", real=True)
        old = [mu + x for x in xs]
        m, v = _fit_points(old, estimator)
        zs = sp.symbols(f"z0:{size}", real=True)
        new = [m + s * z for z in zs]
        m2, v2 = _fit_points(old + new, estimator)
        direct = _integrate_layers(sp.expand((m2 - mu) ** a * v2**k), [(list(zs), s, v)])
        d_value, v_value = m - mu, v
        values = {P: pool, M: size, R: 0}
    else:
        d_value, v_value = sp.Symbol("d_step", real=True), s**2
        zs = sp.symbols(f"z0:{size - real}", real=True)
        zr = sp.symbols(f"r0:{real}", real=True)
        new = [mu + d_value + s * z for z in zs] + [mu + sigma * z for z in zr]
        m2, v2 = _fit_points(new, estimator)
        direct = sp.expand(expectation(sp.expand((m2 - mu) ** a * v2**k), {z: StandardNormal() for z in (*zs, *zr)}))
        values = {M: size, R: real, P: 0}
    table_value = sp.Add(
        *(c.subs(values) * d_value**i * (v_value ** (j // 2)) for (i, j), c in table.items())
    )
    return sp.simplify(sp.expand(direct - table_value))


def mix_stationary_fourth(M_value: int, R_value: int, estimator: str = "unbiased", dps: int = 30) -> mpmath.mpf:
    r"""The fixed point of ``mix``'s recursion of :math:`E\sigma^4` at constant :math:`M`, :math:`R` (units of
    :math:`\sigma^4`): the solution of :math:`m = T m` with :math:`m_{0,0} = 1` on the labels of
    ``recursion("mean_sigma4", estimator, "mix")``.  It is the limit of :math:`E\sigma_g^4` when the recursion
    contracts (:func:`mix_fourth_moment_bounded`); otherwise the moments diverge and this number is only the
    algebraic fixed point.

    >>> mpmath.nstr(mix_stationary_fourth(10, 10), 10)
    '1.222222222'
    """
    rec = recursion("mean_sigma4", estimator, "mix")
    table = rec.table("mix")
    labels = [label for label in rec.labels if label != (0, 0)]
    values = {M: M_value, R: R_value, P: 0, sigma: 1}
    with mpmath.workdps(dps + 10):
        A = mpmath.matrix(len(labels))
        b = mpmath.matrix(len(labels), 1)
        for r, target in enumerate(labels):
            A[r, r] = 1
            for source, c in table[target].items():
                c = mpmath.mpf(sp.Rational(c.subs(values)).p) / sp.Rational(c.subs(values)).q
                if source == (0, 0):
                    b[r] = c
                else:
                    A[r, labels.index(source)] -= c
        x = mpmath.lu_solve(A, b)
        return +x[labels.index((0, 4))]


# --------------------------------------------------------------------------------------------------------
# Detector filtering of mix samples


def _binomial_pmf(n: int, p: sp.Rational) -> list[sp.Rational]:
    return [sp.binomial(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def detector_table(
    labels: Sequence[tuple[int, int]], estimator: str, size: int, real: int, recall: Any, fpr: Any
) -> dict[tuple[int, int], dict[tuple[int, int], sp.Expr]]:
    r"""One ``mix`` step behind a detector, averaged over the random kept composition (exact rationals).

    A real point is kept with probability :math:`1 - \mathrm{fpr}`, a synthetic one with
    :math:`1 - \mathrm{recall}`: :math:`a \sim \mathrm{Bin}(R, 1-\mathrm{fpr})` and
    :math:`b \sim \mathrm{Bin}(M - R, 1 - \mathrm{recall})` independent of the state.  Given :math:`(a, b)` the
    refit is the ``mix`` refit with :math:`R \to a`, :math:`M \to n = a + b` (:func:`regime_transition`), and
    with :math:`n < 2` there is no refit (the fit stays).  The moment recursion is linear with coefficients
    that depend on :math:`(a, b)` only, so the step's table is
    :math:`E_{a,b}\bigl[T_{mix}(n, a)\,;\,n \ge 2\bigr] + P(n < 2)\, I`.
    """
    recall, fpr = sp.Rational(str(recall)), sp.Rational(str(fpr))
    keep_real, keep_syn = _binomial_pmf(real, 1 - fpr), _binomial_pmf(size - real, 1 - recall)
    table: dict = {t: {} for t in labels}
    stay = sp.Integer(0)
    for a, pa in enumerate(keep_real):
        for b, pb in enumerate(keep_syn):
            p = pa * pb
            if p == 0:
                continue
            n = a + b
            if n < 2:
                stay += p
                continue
            for target in labels:
                for source, c in regime_transition(target[0], target[1] // 2, estimator, "mix").items():
                    value = c.subs({M: n, R: a})
                    table[target][source] = table[target].get(source, 0) + p * value
    for target in labels:
        if stay:
            table[target][target] = table[target].get(target, 0) + stay
        table[target] = {k: sp.nsimplify(v) for k, v in table[target].items() if v != 0}
    return table


def detector_evaluate(
    quantity: str,
    sizes: Sequence[int],
    estimator: str = "unbiased",
    *,
    real: int = 0,
    recall: float = 0.0,
    fpr: float = 0.0,
    dps: int = 17,
    record: str = "final",
) -> mpmath.mpf | tuple[mpmath.mpf, ...]:
    r"""Exact value of ``quantity`` under ``mix`` behind a detector (units of :math:`\sigma`), by the runner on
    the averaged tables of :func:`detector_table` (one per distinct size; sample 0 is all real).

    >>> mpmath.nstr(detector_evaluate("var_mu", [10, 10], real=3, recall=1, fpr=0), 8)  # the 3 real points only
    '0.33333333'
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    check_regime(sizes, estimator, "mix", real)
    why = no_closed_form(quantity, "mix")
    if why:
        raise NoClosedForm(f"quantity {quantity} has no closed form for scheme mix: {why}")
    base = recursion(quantity, estimator, "mix")
    labels = tuple(base.labels)
    tables, steps = {}, []
    for i, size in enumerate(sizes):
        key = (size, size if i == 0 else real)
        name = f"detector-{key[0]}-{key[1]}"
        if name not in tables:
            tables[name] = detector_table(labels, estimator, key[0], key[1], recall, fpr)
        steps.append(Step({}, name))
    rec = LinearRecursion(labels=labels, initial=base.initial, tables=tables, outputs=base.outputs, symbols=())
    algebra = MpmathAlgebra(dps + 10 + 2 * len(str(max(sizes))), _SIGMA_ONE)
    with algebra.context():
        outputs = run(rec, steps, algebra, record=record)
        values = [_value(o) for o in outputs[1:]] if record == "all" else [_value(outputs)]
    with mpmath.workdps(dps):
        values = [+v for v in values]
    return tuple(values) if record == "all" else values[0]


def recall_for(
    quantity: str, target: float, sizes: Sequence[int], estimator: str = "unbiased", *, real: int = 0, fpr: float = 0.0,
    grid: int = 100,
) -> float | None:
    r"""The smallest detector recall (on a grid of ``grid + 1`` values in [0, 1]) that keeps ``quantity`` at the end
    of ``sizes`` at or below ``target``, or ``None`` when no recall does.

    In this model removing synthetic points also removes sample size, so a detector can make the fitted
    mean worse: with :math:`R` real points among :math:`M`, recall 1 leaves :math:`\operatorname{Var}\mu = \sigma^2/R`
    after each fit, against about :math:`\sigma^2/(2R)` without a detector once :math:`R \ll M`.

    >>> recall_for("var_mu", 0.2, [20] * 30, real=4, grid=10), recall_for("var_mu", 0.15, [20] * 30, real=4, grid=10)
    (0.0, None)
    """
    values = [(k / grid, detector_evaluate(quantity, sizes, estimator, real=real, recall=k / grid, fpr=fpr))
              for k in range(grid + 1)]
    for recall, value in values:
        if value <= target:
            return recall
    return None


# ========================================================================================================
# Collapse itself: the exact law of sigma_g, when sigma_g -> 0, g -> infinity, the collapse time, the law of X^1
#
# log(sigma_g^2/sigma^2) = sum_i log V_i with D_i V_i ~ chi^2_{M_i - 1} independent: each term is
# log(2/D_i) + log G_i, G_i ~ Gamma((M_i - 1)/2), a sum of independent log-gamma variables
# (modelcollapse.symbolic.loggamma gives its exact law with bounded error).

COLLAPSE_QUANTILES = ("0.05", "0.5", "0.95")
"""Quantiles of :math:`\\sigma_g/\\sigma` that ``theory`` reports."""

TAIL_CAP = 100_000
"""Most sizes of an infinite schedule summed explicitly before its tail is bracketed analytically."""


def check_eps(eps: Any) -> float:
    """``eps`` (the collapse threshold :math:`\\varepsilon`, in units of sigma): a finite number > 0.

    >>> check_eps(0.1)
    0.1
    >>> check_eps(0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: eps must be a finite number > 0 (got 0)
    """
    import math

    if isinstance(eps, bool):
        raise ParameterError(f"eps must be a finite number > 0, not a boolean (got {eps!r})")
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise ParameterError(f"eps must be a finite number > 0 (got {eps!r})") from None
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"eps must be a finite number > 0 (got {eps!r})")
    return value


def _is_infinite(sizes: Any) -> bool:
    return isinstance(sizes, Schedule) and sizes.infinite


def extension(sizes: Any) -> Schedule | int:
    """How a schedule continues for ever, for the criteria as :math:`g \\to \\infty`: a named schedule continues
    by its formula (a :class:`~modelcollapse._validation.Schedule`); an explicit list (or ``MxG``) repeats its
    last size (returned as that ``int``)."""
    if isinstance(sizes, Schedule):
        return sizes if sizes.infinite else sizes.extended()
    schedule = getattr(sizes, "schedule", None)
    if isinstance(schedule, Schedule):
        return schedule.extended()
    return int(tuple(sizes)[-1])


def extension_converges(sizes: Any, power: int = 1) -> bool:
    r"""Whether :math:`\sum_i M_i^{-j} < \infty` (``j = power``) for the schedule continued for ever."""
    ext = extension(sizes)
    if isinstance(ext, int):
        return False
    return schedules.converges(ext, power)


def degenerate_generation(sizes: Sequence[int], estimator: str) -> int | None:
    """The first generation with :math:`\\sigma_g = 0` exactly (an mle fit of one point), if any."""
    if estimator == "mle" and 1 in sizes:
        return tuple(sizes).index(1) + 1
    return None


def law_terms(sizes: Sequence[int], estimator: str = "unbiased") -> list[tuple]:
    r"""The terms :math:`(a, c, n)` of :math:`\log(\sigma_g^2/\sigma^2) = \sum n\,(c + \log G)`,
    :math:`G \sim \mathrm{Gamma}(a)`: :math:`a = (M-1)/2`, :math:`c = \log(2/D)`, one per distinct size."""
    estimator = check_estimator(estimator)
    counts: dict[int, int] = {}
    for m in sizes:
        counts[m] = counts.get(m, 0) + 1
    if estimator == "mle" and 1 in counts:
        raise ParameterError("the law of log sigma_g^2 has no density after an mle fit of one point (sigma_g = 0)")
    return [(mpmath.mpf(m - 1) / 2, mpmath.log(mpmath.mpf(2) / (m - 1 if estimator == "unbiased" else m)), n)
            for m, n in sorted(counts.items())]


def law_sigma(sizes: Any, estimator: str = "unbiased", digits: int = 17) -> LogGammaSum:
    r"""The exact law of :math:`S_g = \log(\sigma_g^2/\sigma^2)` (a :class:`~.loggamma.LogGammaSum`).

    ``sizes`` is a finite schedule, or an infinite :class:`~modelcollapse._validation.Schedule` with
    :math:`\sum 1/M_i < \infty`: then :math:`S_\infty = \lim S_g` exists almost surely, the first sizes are exact
    terms and the rest a block bracketed analytically (:mod:`~modelcollapse.symbolic.schedules`).

    >>> law = law_sigma((10, 20))
    >>> mpmath.nstr(law.kappa(1).mid, 12) == mpmath.nstr(evaluate("mean_log_sigma2", (10, 20)), 12)
    True
    """
    estimator = check_estimator(estimator)
    digits = check_integer("digits", digits, minimum=1, maximum=MAX_DIGITS)
    if _is_infinite(sizes):
        return _infinite_law(sizes, estimator, digits)
    sizes = check_sizes(sizes, estimator)
    with mpmath.workdps(digits + 20):
        return LogGammaSum.from_terms(law_terms(sizes, estimator), digits)


def _infinite_law(schedule: Schedule, estimator: str, digits: int) -> LogGammaSum:
    """:math:`S_\\infty` for a schedule with :math:`\\sum 1/M_i < \\infty`: exact head, bracketed block."""
    if not schedules.converges(schedule):
        raise ParameterError(f"sizes: log sigma_g^2 has no limit for {schedule.text} (sum 1/M_i = infinity: "
                             "sigma_g -> 0 almost surely)")
    dps = digits + 20
    with mpmath.workdps(dps):
        J = 16
        goal = mpmath.mpf(10) ** (-digits - 5)
        start = 0
        while (schedule.size(start) - 1) < 16 or schedules.smooth(schedule, start) < 4:
            start += 1
        while True:
            head = schedule.sizes(start)
            var = mpmath.fsum(mpmath.psi(1, mpmath.mpf(m - 1) / 2) for m in head)
            var += 2 * schedules.tail_bracket(schedule, start, 1, 1)[0]
            reach = 2 * mpmath.sqrt(2 * (digits + 5) * mpmath.log(10) / var) + 1
            pj = [2**j * schedules.tail_bracket(schedule, start, j, 1)[1] for j in (J, J + 1)]
            rem = reach ** (J + 1) / mpmath.factorial(J + 1) * (mpmath.factorial(J - 1) * pj[0] + mpmath.factorial(J) * pj[1])
            if rem < goal or start > TAIL_CAP // 4:
                break
            start = max(start + 1, int(start * 1.5))
        block = _schedule_block(schedule, start, estimator, J, goal, reach)
        terms = law_terms(schedule.sizes(start), estimator) if start else []
        return LogGammaSum(terms, block, J, dps)


def _schedule_block(schedule: Schedule, start: int, estimator: str, J: int, goal, reach) -> Block:
    r"""The :class:`~.loggamma.Block` of sizes :math:`M_i`, :math:`i \ge` ``start``: power sums of
    :math:`1/a_i = 2/(M_i - 1)`, each summed exactly up to the index where its tail bracket is narrow enough
    (capped at :data:`TAIL_CAP`), then bracketed; and :math:`\sum (c_i + \log a_i)` (zero for the unbiased
    estimator, :math:`\sum \log(1 - 1/M_i)` for the mle, from power sums of :math:`1/M_i`)."""
    a_min = mpmath.mpf(schedule.size(start) - 1) / 2
    p1 = 2 * schedules.tail_bracket(schedule, start, 1, 1)[1]
    jmax = _powers_needed([(a_min, 0, int(mpmath.ceil(p1 * a_min)) + 1)], J, goal)

    def width(n: int, j: int, shift: int, scale: int) -> mpmath.mpf:
        lo, hi = schedules.tail_bracket(schedule, n, j, shift)
        return scale**j * (hi - lo)

    def stops(js: int, shift: int, scale: int) -> list[int]:
        out = []
        for j in range(1, js + 1):
            target = goal / (1 + reach) ** j
            n = max(start, min(TAIL_CAP, _stop_guess(schedule, j, scale, target)))
            while n < TAIL_CAP and width(n, j, shift, scale) > target:
                n = min(TAIL_CAP, max(n + 1, int(n * 1.3)))
            out.append(n)
            if n == start:  # later powers have narrower tails from the same start
                out += [start] * (js - j)
                break
        for k in range(1, len(out)):
            out[k] = min(out[k], out[k - 1])
        return out

    power = _block_sums(schedule, start, stops(jmax, 1, 2), 1, 2)
    if estimator == "unbiased":
        log_part = Interval(mpmath.mpf(0))  # log(2/(M-1)) + log((M-1)/2) = 0
    else:  # log(1 - u) = -sum_{k<=K} u^k/k - R, 0 <= R <= u^{K+1}/((K+1)(1 - u)), u = 1/M_i <= 1/M_start
        K = max(2, digits_for(goal, schedule.size(start)))
        sums = _block_sums(schedule, start, stops(K + 1, 0, 1), 0, 1)
        u = mpmath.mpf(1) / schedule.size(start)
        log_part = Interval(mpmath.mpf(0))
        for k in range(1, K + 1):
            log_part = log_part + sums[k - 1].scale(-mpmath.mpf(1) / k)
        rest = sums[K].hi / ((K + 1) * (1 - u))
        log_part = Interval(log_part.mid - rest / 2, log_part.rad + rest / 2)
    return Block(tuple(power), log_part, a_min, None)


def _stop_guess(schedule: Schedule, j: int, scale: int, target) -> int:
    r"""Where the tail bracket of :math:`\sum (\text{scale}/M_i)^j` narrows below ``target``: its width is about
    :math:`j\,\text{scale}^j Z_{j+1}(N)`, solved for :math:`N` from the leading term of :math:`Z_{j+1}`."""
    A = schedules._mp(schedule.args[0])
    b = schedules._mp(schedule.args[1])
    c = j * mpmath.mpf(scale) ** j / target
    if schedule.name == "power":
        s = (j + 1) * b
        return int(mpmath.ceil((c / (A ** (j + 1) * (s - 1))) ** (1 / (s - 1)))) if s > 1 else TAIL_CAP
    if schedule.name == "geometric" and b > 1:
        return max(0, int(mpmath.ceil(mpmath.log(c / ((1 - b ** (-j - 1)) * A ** (j + 1))) / ((j + 1) * mpmath.log(b)))))
    return 0


def digits_for(goal, m: int) -> int:
    """Terms ``K`` of :math:`\\log(1 - u) = -\\sum u^k/k` with :math:`u^{K+1} \\le` ``goal`` at :math:`u = 1/m`."""
    return int(mpmath.ceil(-mpmath.log(goal) / mpmath.log(m))) + 1


@functools.lru_cache(maxsize=64)
def _block_sums_cached(schedule: Schedule, start: int, stop: tuple[int, ...], shift: int, scale: int, prec: int):
    jmax = len(stop)
    last = max(stop)
    sizes = schedule.sizes(last, start) if last > start else ()
    bits = prec + 24
    out = []
    for j in range(1, jmax + 1):
        top = (scale**j) << bits
        n = stop[j - 1] - start
        exact_units = sum(top // (m - shift) ** j for m in sizes[:n])  # floor: within one unit per term
        lo, hi = schedules.tail_bracket(schedule, stop[j - 1], j, shift)
        exact = mpmath.ldexp(exact_units, -bits)
        rad = mpmath.ldexp(n, -bits)
        out.append(Interval.between(exact + scale**j * lo, exact + rad + scale**j * hi))
    return tuple(out)


def _block_sums(schedule: Schedule, start: int, stop: Sequence[int], shift: int, scale: int) -> list[Interval]:
    r"""Intervals of :math:`\sum_{i \ge N}(\text{scale}/(M_i - s))^j`, ``j = 1..len(stop)``: exact (fixed point,
    floors) over ``start <= i < stop[j-1]``, then the analytic bracket of the tail from ``stop[j-1]``."""
    return list(_block_sums_cached(schedule, start, tuple(stop), shift, scale, mpmath.mp.prec))


def sum_inv_sizes(sizes: Any) -> Interval:
    r""":math:`\sum_i 1/M_i` as an interval: exact for a finite schedule; for an infinite one with a finite sum,
    the first sizes exactly and the tail bracketed (raises for a divergent one)."""
    if not _is_infinite(sizes):
        return Interval(mpmath.fsum(mpmath.mpf(1) / m for m in sizes))
    schedule = sizes
    if not schedules.converges(schedule):
        raise ParameterError(f"sizes: sum 1/M_i diverges for {schedule.text}")
    start = 0
    while schedules.smooth(schedule, start) < 4:
        start += 1
    head = mpmath.fsum(mpmath.mpf(1) / m for m in schedule.sizes(start))
    goal = mpmath.mpf(10) ** (-mpmath.mp.dps + 5)
    n = start
    while n < TAIL_CAP:
        lo, hi = schedules.tail_bracket(schedule, n, 1, 0)
        if hi - lo <= goal * hi:
            break
        n = min(TAIL_CAP, max(n + 1, int(n * 1.6)))
    (part,) = _block_sums(schedule, start, [n], 0, 1)
    return part + head


# --------------------------------------------------------------------------------------------------------
# The law of sigma_g: P(sigma_g < eps sigma), quantiles, the normal approximation, the collapse time


def prob_sigma_below(eps: float, sizes: Any, estimator: str = "unbiased", digits: int = 17,
                     law: LogGammaSum | None = None) -> tuple[mpmath.mpf, mpmath.mpf]:
    r""":math:`P(\sigma_g < \varepsilon\sigma)` and a bound on its error (relative ``10^-digits`` where the
    inversion reaches it), by inverting the exact characteristic function of :math:`\log(\sigma_g^2/\sigma^2)`.

    >>> p, err = prob_sigma_below(0.5, (3,))  # P(chi^2_2/2 < 1/4) = 1 - exp(-1/4)
    >>> mpmath.nstr(p, 15), mpmath.nstr(1 - mpmath.exp(-0.25), 15), bool(err < 1e-17)
    ('0.221199216928595', '0.221199216928595', True)
    """
    eps = check_eps(eps)
    estimator = check_estimator(estimator)
    if not _is_infinite(sizes):
        sizes = check_sizes(sizes, estimator)
        if degenerate_generation(sizes, estimator) is not None:
            return mpmath.mpf(1), mpmath.mpf(0)
    law = law if law is not None else law_sigma(sizes, estimator, digits)
    with mpmath.workdps(digits + 20):
        return law.cdf(2 * mpmath.log(mpmath.mpf(eps)), digits)


def sigma_quantiles(sizes: Any, estimator: str = "unbiased", digits: int = 17, qs: Sequence[str] = COLLAPSE_QUANTILES,
                    law: LogGammaSum | None = None) -> dict[str, tuple[mpmath.mpf, mpmath.mpf]]:
    r"""Quantiles of :math:`\sigma_g/\sigma`: ``{q: (value, error bound)}``, from the exact law of
    :math:`\log\sigma_g^2` by bisection on its distribution function with guaranteed brackets."""
    law = law if law is not None else law_sigma(sizes, estimator, digits)
    out = {}
    with mpmath.workdps(digits + 20):
        for q in qs:
            x, rad = law.quantile(mpmath.mpf(q), digits)
            value = mpmath.exp(x / 2)
            out[q] = (value, value * (mpmath.exp(rad / 2) - 1))
    return out


def normal_approximation(eps: float | None, sizes: Any, estimator: str = "unbiased", digits: int = 17,
                         law: LogGammaSum | None = None) -> dict[str, Any]:
    r"""The normal approximation of :math:`\log(\sigma_g^2/\sigma^2)` from its exact drift and variance (an
    approximation: the law is a sum of log-gamma variables, skewed to the left):
    :math:`P(\sigma_g < \varepsilon\sigma) \approx \Phi((2\log\varepsilon - E S_g)/\sqrt{\operatorname{Var} S_g})`."""
    law = law if law is not None else law_sigma(sizes, estimator, digits)
    with mpmath.workdps(digits + 5):
        mean, var = law.kappa(1).mid, law.kappa(2).mid
        sd = mpmath.sqrt(var)
        out: dict[str, Any] = {"mean_log_sigma2": mean, "var_log_sigma2": var}
        if eps is not None:
            out["prob_sigma_below"] = mpmath.ncdf((2 * mpmath.log(check_eps(eps)) - mean) / sd)
        out["quantiles"] = {q: mpmath.exp((mean + sd * _normal_quantile(mpmath.mpf(q))) / 2) for q in COLLAPSE_QUANTILES}
    return out


def _normal_quantile(q) -> mpmath.mpf:
    return mpmath.sqrt(2) * mpmath.erfinv(2 * q - 1)


def collapse_time(eps: float, sizes: Any, estimator: str = "unbiased", digits: int = 17,
                  law: LogGammaSum | None = None) -> dict[str, Any]:
    r"""What theory gives about :math:`T_\varepsilon = \min\{g : \sigma_g < \varepsilon\sigma\}`.

    Exact bounds: :math:`P(\sigma_g < \varepsilon\sigma) \le P(T_\varepsilon \le g) \le \inf_{\theta<0}
    E[(\sigma_g/\sigma)^{2\theta}]\,\varepsilon^{-2\theta}`.  The upper bound is Ville's maximal inequality for the
    positive martingale :math:`e^{\theta S_k}/E e^{\theta S_k}`, whose normaliser grows with :math:`k` for
    :math:`\theta < 0` (:math:`E V^\theta \ge (E V)^\theta \ge 1` by Jensen, as :math:`E V \le 1` for both
    estimators).  Approximation (labelled so): Wald's identity :math:`E S_T = E\sum_{i<T} E\log V_i` with the
    overshoot of :math:`2\log\varepsilon` neglected: :math:`E T_\varepsilon \approx` the generation at which the
    drift :math:`\sum_{i<g} E\log V_i` of the schedule (continued, see :func:`extension`) reaches
    :math:`2\log\varepsilon`.
    """
    eps = check_eps(eps)
    estimator = check_estimator(estimator)
    out: dict[str, Any] = {}
    if not _is_infinite(sizes):
        sizes = check_sizes(sizes, estimator)
        if degenerate_generation(sizes, estimator) is not None:
            g0 = degenerate_generation(sizes, estimator)
            return {"prob_collapsed_by_lower": mpmath.mpf(1), "prob_collapsed_by_upper": mpmath.mpf(1),
                    "wald_mean_collapse_time": None,
                    "note": f"sigma_g = 0 exactly from generation {g0} (an mle fit of one point)"}
    law = law if law is not None else law_sigma(sizes, estimator, digits)
    with mpmath.workdps(digits + 20):
        b = 2 * mpmath.log(mpmath.mpf(eps))
        out["prob_collapsed_by_lower"] = law.cdf(b, digits)[0]
        out["prob_collapsed_by_upper"] = law.lower_tail_bound(b)
    out["wald_mean_collapse_time"], out["wald_note"] = _wald_time(float(b), sizes, estimator)
    return out


def _drift(m: int, estimator: str) -> float:
    r""":math:`E\log V` of a refit on ``m`` points, in floats (asymptotic series beyond 60 points)."""
    k = m - 1
    if k < 60:
        with mpmath.workdps(15):
            return float(mpmath.psi(0, mpmath.mpf(k) / 2) + mpmath.log(mpmath.mpf(2) / (k if estimator == "unbiased" else m)))
    x = k / 2
    import math

    value = -1 / (2 * x) - 1 / (12 * x * x) + 1 / (120 * x**4)
    return value + (0.0 if estimator == "unbiased" else -math.log1p(1 / k))


def _wald_time(b: float, sizes: Any, estimator: str, most: int = 10_000_000) -> tuple[float | None, str]:
    """Wald's approximation of :math:`E T_\\varepsilon` (module docstring of :func:`collapse_time`)."""
    ext = extension(sizes)
    if b >= 0:
        return 0.0, "eps >= 1: sigma_0 = sigma is not below eps sigma, but any fit may fall below it (approximation)"
    if isinstance(ext, int):
        given = tuple(sizes)
        drift = 0.0
        for g, m in enumerate(given, 1):
            step = _drift(m, estimator)
            if drift + step <= b:
                return g - 1 + (b - drift) / step, "Wald approximation (overshoot neglected)"
            drift += step
        step = _drift(ext, estimator)
        return len(given) + (b - drift) / step, "Wald approximation (overshoot neglected), the last size repeated"
    drift = 0.0
    cache: dict[int, float] = {}
    for start in range(0, most, 4096):
        for g, m in enumerate(ext.sizes(start + 4096, start), start + 1):
            step = cache.get(m)
            if step is None:
                step = cache[m] = _drift(m, estimator)
            if drift + step <= b:
                return g - 1 + (b - drift) / step, "Wald approximation (overshoot neglected)"
            drift += step
        if schedules.converges(ext) and len(cache) > 64:
            limit = law_sigma(ext, estimator, 10).kappa(1).mid
            if limit > b:
                return None, (f"the drift of log sigma_g^2 tends to {mpmath.nstr(limit, 6)} > 2 log eps: "
                              "P(T_eps = infinity) > 0 and E T_eps is infinite")
    return None, f"the drift does not reach 2 log eps within {most} generations"


# --------------------------------------------------------------------------------------------------------
# Criteria as g -> infinity, and the limits of every quantity (xinf)


def collapse_criteria(sizes: Any, estimator: str = "unbiased", digits: int = 17) -> dict[str, Any]:
    r"""The criteria of the ``"collapse"`` key, for the schedule continued for ever (:func:`extension`):

    * ``sum_inv_sizes``: :math:`\sum_i 1/M_i` over the given sizes (finite schedule) or all of them (``xinf``;
      ``"inf"`` when it diverges);
    * ``mean_w2sq_bounded``: :math:`\sup_g E W_2^2 < \infty` -- iff :math:`\sum 1/M_i < \infty` (unbiased; then
      :math:`E W_2^2 = \sigma^2(\sum 1/M_i + 2 - 2\prod\nu_1(M_i))`), always for the mle
      (:math:`E W_2^2 = 2\sigma^2(1 - \prod\nu_1(M_i)) \le 2\sigma^2`);
    * ``sigma_to_zero_almost_surely``: iff :math:`\sum 1/M_i = \infty` (both estimators; an mle fit of one point
      makes :math:`\sigma_g = 0` at once).

    >>> c = collapse_criteria((10, 10, 10))
    >>> c["mean_w2sq_bounded"], c["sigma_to_zero_almost_surely"], c["extension"]
    (False, True, 'the last size, 10, repeated for ever')
    """
    estimator = check_estimator(estimator)
    ext = extension(sizes)
    converges = extension_converges(sizes)
    degenerate = not _is_infinite(sizes) and degenerate_generation(tuple(sizes), estimator) is not None
    with mpmath.workdps(digits + 10):
        if _is_infinite(sizes):
            total: Any = sum_inv_sizes(sizes).mid if converges else "inf"
        else:
            total = sum_inv_sizes(tuple(sizes)).mid
    return {
        "sum_inv_sizes": total,
        "mean_w2sq_bounded": bool(converges or estimator == "mle"),
        "sigma_to_zero_almost_surely": bool(degenerate or not converges),
        "extension": (f"the last size, {ext}, repeated for ever" if isinstance(ext, int) else ext.text),
    }


_DIVERGES = {
    "var_x": "Var X^g = sigma^2 (1 + sum 1/M_i) -> infinity (sum 1/M_i = infinity)",
    "var_mu": "Var mu_g = sigma^2 sum 1/M_i -> infinity",
    "mean_sigma4": "E sigma_g^4 = sigma^4 prod (M_i + 1)/(M_i - 1) -> infinity",
    "mean_log_sigma2": "E log(sigma_g^2/sigma^2) -> -infinity (the drift sum E log V_i diverges)",
    "var_log_sigma2": "Var log sigma_g^2 = sum psi'((M_i - 1)/2) -> infinity",
    "mean_w2sq": "E W2^2 >= Var mu_g = sigma^2 sum 1/M_i -> infinity",
    "var_w2sq": "Var W2^2 >= E Var(W2^2 | sigma_0..sigma_g) = 2 E tau^4 >= 2 sigma^4 (sum 1/M_i)^2 -> infinity, "
                "tau^2 = sum sigma_i^2/M_i",
    "kurtosis_x": "Kurt X^g >= 3 E sigma_g^4/(Var X^g)^2 - 3 >= 3 exp(sum 1/M_i)/(1 + sum 1/M_i)^2 - 3 -> infinity",
}
"""Why a quantity has no finite limit (unbiased estimator, :math:`\\sum 1/M_i = \\infty`)."""

_NOT_DERIVED = ("the limit exists (every moment converges when sum 1/M_i < infinity) but its infinite nested sums "
                "are not bounded analytically here; evaluate a long finite schedule instead")


def limits(schedule: Schedule, estimator: str = "unbiased", digits: int = 17,
           eps: float | None = None) -> tuple[dict[str, Interval | None], dict[str, str]]:
    r"""The limits :math:`g \to \infty` of every quantity, as intervals (the tails bounded analytically), and
    ``{quantity: reason}`` for those without a (derived) finite limit.  Units of :math:`\sigma`.

    >>> values, why = limits(parse_schedule("geometric:10,2xinf"), digits=20)
    >>> mpmath.nstr(values["var_x"].mid, 20), why["var_w2sq"][:16]
    ('1.2', 'the limit exists')
    """
    estimator = check_estimator(estimator)
    keys = QUANTITIES + ("kurtosis_x", "vg_ratio_x") + (("prob_sigma_below",) if eps is not None else ())
    values: dict[str, Interval | None] = {}
    why: dict[str, str] = {}
    one, zero = Interval(mpmath.mpf(1)), Interval(mpmath.mpf(0))
    with mpmath.workdps(digits + 20):
        if schedules.converges(schedule):
            law = _infinite_law(schedule, estimator, digits)
            s1 = sum_inv_sizes(schedule)
            m1, m2, m4 = law.moment(mpmath.mpf(1) / 2), law.moment(1), law.moment(2)
            if estimator == "unbiased":
                m2 = one  # E sigma_g^2 = sigma^2 for every g
                var_mu = s1
            else:
                var_mu = one + m2.scale(-1)  # 1 - prod(1 - 1/M_i), telescoping
            values.update(
                var_x=s1 + 1 if estimator == "unbiased" else one,
                var_mu=var_mu, mean_sigma=m1, mean_sigma2=m2, mean_sigma4=m4,
                mean_log_sigma2=law.kappa(1), var_log_sigma2=law.kappa(2),
                mean_w2sq=var_mu + m2 + m1.scale(-2) + 1,
            )
            for q in ("var_w2sq", "kurtosis_x", "vg_ratio_x"):
                values[q], why[q] = None, _NOT_DERIVED
            if eps is not None:
                p, err = law.cdf(2 * mpmath.log(mpmath.mpf(check_eps(eps))), digits)
                values["prob_sigma_below"] = Interval(p, err)
        else:
            values.update(mean_sigma=zero, prob_sigma_below=one if eps is not None else None)
            if estimator == "unbiased":
                values["mean_sigma2"] = one
                for q, reason in _DIVERGES.items():
                    values[q], why[q] = None, reason
                values["vg_ratio_x"], why["vg_ratio_x"] = None, "not derived for g -> infinity"
            else:
                values.update(var_x=one, var_mu=one, mean_sigma2=zero, mean_w2sq=Interval(mpmath.mpf(2)))
                values["mean_sigma4"] = _mle_fourth_limit(schedule)
                values["mean_log_sigma2"], why["mean_log_sigma2"] = None, _DIVERGES["mean_log_sigma2"]
                values["var_log_sigma2"], why["var_log_sigma2"] = None, _DIVERGES["var_log_sigma2"]
                for q in ("var_w2sq", "kurtosis_x", "vg_ratio_x"):
                    values[q], why[q] = None, "not derived for g -> infinity with sum 1/M_i = infinity (mle)"
            if eps is None:
                values.pop("prob_sigma_below", None)
    return {k: values.get(k) for k in keys}, why


def _mle_fourth_limit(schedule: Schedule) -> Interval:
    r""":math:`\lim E\sigma_g^4/\sigma^4 = \prod (1 - 1/M_i^2)` (mle): zero if :math:`\sum 1/M_i^2 = \infty`, else
    :math:`\exp\sum\log(1 - M_i^{-2})` with :math:`\log(1-u) \in [-u - u^2/(2(1-u)), -u]` on the bracketed tail."""
    if not schedules.converges(schedule, 2):
        return Interval(mpmath.mpf(0))
    start = 0
    while schedules.smooth(schedule, start) < 4:
        start += 1
    head = mpmath.fsum(mpmath.log(1 - mpmath.mpf(1) / m**2) for m in schedule.sizes(start))
    n = start
    goal = mpmath.mpf(10) ** (-mpmath.mp.dps + 5)
    while n < TAIL_CAP and (lambda b: b[1] - b[0])(schedules.tail_bracket(schedule, n, 2, 0)) > goal:
        n = min(TAIL_CAP, max(n + 1, int(n * 1.6)))
    sizes = schedule.sizes(n, start)
    p2, p4 = (Interval.between(
        mpmath.fsum(mpmath.mpf(1) / mpmath.mpf(m) ** j for m in sizes) + schedules.tail_bracket(schedule, n, j, 0)[0],
        mpmath.fsum(mpmath.mpf(1) / mpmath.mpf(m) ** j for m in sizes) + schedules.tail_bracket(schedule, n, j, 0)[1])
        .widen(len(sizes) * mpmath.mpf(10) ** (-mpmath.mp.dps + 2)) for j in (2, 4))
    u = mpmath.mpf(1) / schedule.size(start) ** 2
    log_tail = Interval.between(-p2.hi - p4.hi / (2 * (1 - u)), -p2.lo)
    return (log_tail + head).exp()


# --------------------------------------------------------------------------------------------------------
# The law of X^1 (and X^2): a normal variance mixture, not a variance-gamma law


def x_density(x: Any, sizes: Sequence[int], estimator: str = "unbiased", digits: int = 15) -> mpmath.mpf:
    r"""The exact density of :math:`(X^g - \mu)/\sigma` at ``x`` for ``g = len(sizes)`` in ``{1, 2}``.

    Given the fitted :math:`\sigma_1, \dots, \sigma_g`, :math:`X^g - \mu` is normal with variance
    :math:`W_g = \sigma^2/M_0 + \sigma_1^2/M_1 + \dots + \sigma_g^2` (Cochran), so the density is the normal
    density averaged over the law of :math:`W_g`: for :math:`g = 1`, :math:`W_1 = 1/M_0 + w`,
    :math:`w \sim \mathrm{Gamma}((M_0-1)/2, \text{scale } 2/D_0)` -- one quadrature; for :math:`g = 2`,
    :math:`W_2 = 1/M_0 + w(1/M_1 + v)` with :math:`D_1 v \sim \chi^2_{M_1-1}` independent -- a double one.

    :math:`\sigma_1 Z'` alone is the symmetric variance-gamma law :math:`\mathrm{VG}(\lambda = (M_0-1)/2,
    \alpha = \sqrt{D_0}, \beta = 0, \mu = 0)` (density :math:`\alpha^{2\lambda}|y|^{\lambda-1/2}K_{\lambda-1/2}(\alpha|y|)
    /(\sqrt\pi\,\Gamma(\lambda)(2\alpha)^{\lambda-1/2})`), and :math:`X^1` is its convolution with
    :math:`\mathcal N(\mu, \sigma^2/M_0)`: not a variance-gamma law itself (see ``vg_ratio_x``).

    >>> mpmath.nstr(x_density(0.3, (5,)), 12) == mpmath.nstr(mpmath.quad(lambda y: x_density_vg_convolution(y, 0.3, 5), [-mpmath.inf, 0, mpmath.inf]), 12)
    True
    """
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    if len(sizes) not in (1, 2):
        raise ParameterError(f"sizes: the exact density of X^g is given for g = 1 and 2 (got g = {len(sizes)})")
    if degenerate_generation(sizes, estimator) is not None:
        raise ParameterError("sizes: an mle fit of one point leaves X^g normal given mu_g; no mixture to integrate")
    with mpmath.workdps(digits + 5):
        x = mpmath.mpf(x)
        laws = [_gamma_scale(m, estimator) for m in sizes]

        def normal(var):
            return mpmath.exp(-x * x / (2 * var)) / mpmath.sqrt(2 * mpmath.pi * var)

        a0, th0 = laws[0]
        base = mpmath.mpf(1) / sizes[0]
        if len(sizes) == 1:
            f = lambda w: normal(base + w) * _gamma_pdf(w, a0, th0)  # noqa: E731
            return +mpmath.quad(f, _gamma_points(a0, th0))
        a1, th1 = laws[1]
        inner = lambda w: mpmath.quad(lambda v: normal(base + w * (mpmath.mpf(1) / sizes[1] + v)) * _gamma_pdf(v, a1, th1),  # noqa: E731
                                      _gamma_points(a1, th1), maxdegree=6)
        return +mpmath.quad(lambda w: inner(w) * _gamma_pdf(w, a0, th0), _gamma_points(a0, th0), maxdegree=6)


def _gamma_scale(m: int, estimator: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Shape and scale of :math:`\\sigma_{i+1}^2/\\sigma_i^2 \\sim \\chi^2_{m-1}/D`: Gamma((m-1)/2, 2/D)."""
    D = m - 1 if estimator == "unbiased" else m
    return mpmath.mpf(m - 1) / 2, mpmath.mpf(2) / D


def _gamma_pdf(w, a, theta):
    if w <= 0:
        return mpmath.mpf(0)
    return mpmath.exp((a - 1) * mpmath.log(w) - w / theta - mpmath.loggamma(a) - a * mpmath.log(theta))


def _gamma_points(a, theta) -> list:
    """Quadrature breakpoints of a gamma density: 0, its mode region and infinity."""
    mean = a * theta
    return [0, mean / 4, mean, 4 * mean + 4 * theta, mpmath.inf]


def x_density_vg_convolution(y, x, m: int, estimator: str = "unbiased"):
    r"""The integrand of the convolution route to the density of :math:`X^1`: the symmetric variance-gamma
    density (Bessel :math:`K`) at :math:`y` times the normal density of :math:`\mathcal N(0, 1/M_0)` at
    :math:`x - y` (units of sigma): an independent check of :func:`x_density`."""
    lam = mpmath.mpf(m - 1) / 2
    alpha = mpmath.sqrt(m - 1 if estimator == "unbiased" else m)
    y = mpmath.mpf(y)
    ay = abs(y)
    if ay == 0:
        ay = mpmath.mpf(10) ** (-mpmath.mp.dps)
    vg = alpha ** (2 * lam) * ay ** (lam - mpmath.mpf(1) / 2) * mpmath.besselk(lam - mpmath.mpf(1) / 2, alpha * ay) / (
        mpmath.sqrt(mpmath.pi) * mpmath.gamma(lam) * (2 * alpha) ** (lam - mpmath.mpf(1) / 2))
    var = mpmath.mpf(1) / m
    return vg * mpmath.exp(-(x - y) ** 2 / (2 * var)) / mpmath.sqrt(2 * mpmath.pi * var)


def x_cdf(x: Any, sizes: Sequence[int], estimator: str = "unbiased", digits: int = 12) -> mpmath.mpf:
    r""":math:`P((X^1 - \mu)/\sigma < x)`: the normal distribution function averaged over :math:`W_1` (one quadrature)."""
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    if len(sizes) != 1:
        raise ParameterError(f"sizes: the exact distribution function of X^g is given for g = 1 (got g = {len(sizes)})")
    with mpmath.workdps(digits + 5):
        x = mpmath.mpf(x)
        a0, th0 = _gamma_scale(sizes[0], estimator)
        base = mpmath.mpf(1) / sizes[0]
        return +mpmath.quad(lambda w: mpmath.ncdf(x / mpmath.sqrt(base + w)) * _gamma_pdf(w, a0, th0), _gamma_points(a0, th0))
