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
    check_regime,
    check_sizes,
)
from ..models import TheoryResult
from .expectation import ChiSquare, Law, StandardNormal, expectation
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
    :math:`\log(s^2/\sigma^2)`; ``unit`` is the power of :math:`\sigma` it scales with.
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
        return self.statistic.has(sp.log)


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
    )
}
"""Every quantity of the model, once: key, LaTeX name, unit, definition."""

QUANTITIES = tuple(k for k, q in _TABLE.items() if q.listed)
"""Quantities with exact forms and series; the keys of the CLI's JSON output."""

EXTRA_QUANTITIES = tuple(k for k, q in _TABLE.items() if not q.listed)
r"""Also derived: ``mean_x`` is :math:`(E X^g - \mu)/\sigma` (zero: the mean random-walks without drift)."""


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
    polys = {"value": q.statistic} if q.kind == "mean" else {"second": q.statistic**2, "first": q.statistic}
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
    """The quantity from the outputs of its recursion (any algebra): the value, or E[P^2] - E[P]^2."""
    if "value" in outputs:
        return outputs["value"]
    return outputs["second"] - outputs["first"] * outputs["first"]


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
    return sp.expand(out) if _TABLE[quantity].is_log else _tidy(out)


def _tidy(expr: sp.Expr) -> sp.Expr:
    expr = sp.gammasimp(sp.expand(expr))
    return sp.factor_terms(sp.collect(sp.expand(expr), sigma))


def exact_direct(quantity: str, sizes: int | Sequence = 2, estimator: str = "unbiased") -> sp.Expr:
    r"""The same closed form by brute force: expand over the independent variables of :func:`decomposition`.

    Exponential in ``g``; it exists to check :func:`exact` independently (tests use ``g <= 4``).
    """
    q = _TABLE[_check_quantity(quantity)]
    dec = decomposition(sizes, estimator)
    P = q.statistic.subs({_d: dec.mu_g - mu, _s: dec.sigma_g})
    if q.is_log:
        P = sp.expand_log(P, force=True)
        m = expectation(P, dec.law)
        if q.kind == "mean":
            return sp.simplify(m)
        return sp.simplify(expectation(sp.expand(P**2), dec.law) - m**2)
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
    sizes: Sequence[int],
    estimator: str = "unbiased",
    sigma: float = 1.0,
    scheme: str = "replace",
    real: int = 0,
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

    >>> r = theory(sizes=(10, 30, 7))
    >>> r.generation, mpmath.nstr(r.exact["var_x"], 8), r.order
    (3, '1.2761905', 2)
    >>> r = theory(sizes=(10, 30, 7), scheme="mix", real=3)
    >>> r.exact["mean_w2sq"] is None, r.no_exact["mean_w2sq"][:26]
    (True, 'W2^2 = (mu_g - mu)^2 + (si')
    """
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    scheme, real = check_regime(sizes, estimator, scheme, real)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    g = len(sizes)
    no_exact = {q: why for q in QUANTITIES if (why := no_closed_form(q, scheme))}
    paths = {
        q: (None,) * g if q in no_exact else
        evaluate(q, sizes, estimator, dps=digits, scheme=scheme, real=real, record="all")
        for q in QUANTITIES
    }
    no_series = {}
    ser = {}
    if scheme == "replace":
        ser = {q: series(q, order, estimator) for q in QUANTITIES}
    else:
        no_series = {q: f"the 1/M expansion is derived for scheme replace only (fit 1 of scheme {scheme} is a "
                        "different step from the later ones)" for q in QUANTITIES}
    gens = range(1, g + 1) if record == "all" else (g,)
    # every prefix's series in one pass (evaluating each prefix anew would be O(g^2))
    ser_values = {q: (s_.evaluate_prefixes(sizes, digits) if record == "all" else [None] * (g - 1) + [s_.evaluate(sizes, digits)])
                  for q, s_ in ser.items()}
    out = []
    for k in gens:
        exact_k = {q: paths[q][k - 1] for q in QUANTITIES}
        with mpmath.workdps(digits + 5):
            absolute = {q: None if v is None else v * mpmath.mpf(sigma) ** sigma_power(q) for q, v in exact_k.items()}
        out.append(
            TheoryResult(
                generation=k,
                exact=exact_k,
                series={q: ser_values[q][k - 1] if q in ser else None for q in QUANTITIES},
                order=order,
                no_exact=no_exact,
                no_series=no_series,
                absolute=absolute,
            )
        )
    return out if record == "all" else out[0]


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
    polys = {"value": q.statistic} if q.kind == "mean" else {"second": q.statistic**2, "first": q.statistic}
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
