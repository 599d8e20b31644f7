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
* :func:`exact` runs that recursion symbolically (any sizes, numbers or symbols), :func:`exact_symbolic_g`
  solves it in nested ``Sum``/``Product`` form, :func:`evaluate` runs it in mpmath at any precision, and
  :func:`series` runs it on truncated power series in :math:`\varepsilon_i = 1/M_i`.

Quantities are in units of :math:`\sigma` (``var_x`` is :math:`\operatorname{Var} X^g/\sigma^2`, ...) when
evaluated numerically; the symbolic forms keep :math:`\sigma`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import sympy as sp

from .._validation import (
    MAX_DIGITS,
    MAX_GENERATIONS,
    MAX_ORDER,
    ParameterError,
    check_estimator,
    check_integer,
    check_sizes,
)
from ..models import TheoryResult
from .expectation import ChiSquare, Law, StandardNormal, expectation
from .series import EPS, QuasiSymmetricSeries, eps_ring, log_moment_series, moment_series, truncate, univariate_to_ring

__all__ = [
    "QUANTITIES",
    "Decomposition",
    "decomposition",
    "evaluate",
    "evaluate_series",
    "exact",
    "exact_direct",
    "exact_symbolic_g",
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
_d = sp.Symbol("d", real=True)  # mu_i - mu
_s = sp.Symbol("s", positive=True)  # sigma_i
_Zp = sp.Symbol("Z'", real=True)  # the fresh normal of a sample X^g = mu_g + sigma_g Z'

QUANTITIES = (
    "var_x",
    "mean_sigma",
    "mean_sigma2",
    "mean_sigma4",
    "mean_log_sigma2",
    "var_log_sigma2",
    "mean_w2sq",
    "var_w2sq",
)
"""Quantities with exact forms and series; the keys of the CLI's JSON output."""

EXTRA_QUANTITIES = ("mean_x",)
r"""Also derived: ``mean_x`` is :math:`(E X^g - \mu)/\sigma` (zero: the mean random-walks without drift)."""

_DESCRIPTIONS = {
    "mean_x": r"E X^g - \mu",
    "var_x": r"\operatorname{Var} X^g",
    "mean_sigma": r"E\,\sigma_g",
    "mean_sigma2": r"E\,\sigma_g^2",
    "mean_sigma4": r"E\,\sigma_g^4",
    "mean_log_sigma2": r"E \log(\sigma_g^2/\sigma^2)",
    "var_log_sigma2": r"\operatorname{Var} \log \sigma_g^2",
    "mean_w2sq": r"E\, W_2^2",
    "var_w2sq": r"\operatorname{Var} W_2^2",
}

# (kind, polynomial in d = mu_g - mu, s = sigma_g, Z', sigma); log quantities are handled separately.
_W2SQ = _d**2 + (_s - sigma) ** 2
_MOMENT_QUANTITIES = {
    "mean_x": ("mean", _d + _s * _Zp),
    "var_x": ("var", _d + _s * _Zp),
    "mean_sigma": ("mean", _s),
    "mean_sigma2": ("mean", _s**2),
    "mean_sigma4": ("mean", _s**4),
    "mean_w2sq": ("mean", _W2SQ),
    "var_w2sq": ("var", _W2SQ),
}
_UNITS = {"mean_x": 1, "var_x": 2, "mean_sigma": 1, "mean_sigma2": 2, "mean_sigma4": 4, "mean_w2sq": 2, "var_w2sq": 4,
          "mean_log_sigma2": 0, "var_log_sigma2": 0}


def latex_name(quantity: str) -> str:
    """LaTeX for a quantity name, e.g. ``E\\, W_2^2``."""
    return _DESCRIPTIONS[_check_quantity(quantity)]


def sigma_power(quantity: str) -> int:
    """The power of :math:`\\sigma` a quantity scales with (its unit)."""
    return _UNITS[_check_quantity(quantity)]


def _check_quantity(quantity: str) -> str:
    if quantity not in QUANTITIES + EXTRA_QUANTITIES:
        raise ParameterError(
            f"quantity must be one of {', '.join(QUANTITIES + EXTRA_QUANTITIES)} (got {quantity!r})"
        )
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


def _moment_targets(quantity: str) -> tuple[str, tuple[dict[tuple[int, int], sp.Expr], ...]]:
    """(kind, parts): each part is ``{(a, b): coeff}`` with E[part] = sum coeff * m_{a,b}.

    ``kind`` is "mean" (value = E[P]) or "var" (value = E[P^2] - E[P]^2; parts = (P^2, P)).
    """
    kind, P = _MOMENT_QUANTITIES[quantity]
    polys = (P,) if kind == "mean" else (P**2, P)
    parts = []
    for p in polys:
        reduced = expectation(p, {_Zp: StandardNormal()})
        poly = sp.Poly(sp.expand(reduced), _d, _s)
        parts.append(dict(poly.terms()))
    return kind, tuple(parts)


def _closure(monomials) -> list[tuple[int, int]]:
    """All (a, b) the recursion for the given monomials needs (odd a are identically 0 and dropped)."""
    todo = [m for m in monomials if m[0] % 2 == 0]
    seen: set[tuple[int, int]] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(n for n in transition(*m) if n not in seen)
    return sorted(seen)


def _initial(mon: tuple[int, int], s0: sp.Expr) -> sp.Expr:
    a, b = mon
    return s0**b if a == 0 else sp.Integer(0)


# --------------------------------------------------------------------------------------------------------
# Exact forms


def exact(quantity: str, sizes: int | Sequence = 3, estimator: str = "unbiased", *, simplify: bool = True) -> sp.Expr:
    r"""Exact closed form of ``quantity`` after refits of the given sizes, by the moment recursion.

    ``sizes`` is an int ``g`` (symbols :math:`M_0,\dots,M_{g-1}`) or a sequence of numbers and/or symbols.

    >>> exact("var_x", 2)
    sigma**2*(1 + 1/M_1 + 1/M_0)
    >>> exact("mean_sigma2", [10, 30], "mle")
    87*sigma**2/100
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes = _as_sizes(sizes, estimator)
    if quantity in ("mean_log_sigma2", "var_log_sigma2"):
        return _exact_log(quantity, sizes, estimator, simplify=simplify)
    kind, parts = _moment_targets(quantity)
    needed = _closure([mon for part in parts for mon in part])
    state = {mon: _initial(mon, sigma) for mon in needed}
    for size in sizes:
        if size == 1:
            steps = {mon: _degenerate_transition(*mon) for mon in needed}
            steps = {mon: {k: v for k, v in t.items() if k in state} for mon, t in steps.items()}
        else:
            steps = {mon: {k: c.subs(M, size) for k, c in transition(*mon, estimator).items()} for mon in needed}
        state = {mon: sp.Add(*(c * state.get(k, 0) for k, c in steps[mon].items())) for mon in needed}
    values = [sp.Add(*(c * state.get(mon, 0) for mon, c in part.items())) for part in parts]
    out = values[0] if kind == "mean" else values[0] - values[1] ** 2
    return _tidy(out) if simplify else out


def _tidy(expr: sp.Expr) -> sp.Expr:
    expr = sp.gammasimp(sp.expand(expr))
    return sp.factor_terms(sp.collect(sp.expand(expr), sigma))


@functools.lru_cache(maxsize=None)
def _log_moments_generic(estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """(E log V, Var log V) for one step of size ``M`` (a symbol), derived once with the engine."""
    V = sp.Symbol("V", positive=True)
    law = {V: step_law(M, estimator)}
    mean = sp.simplify(expectation(sp.log(V), law))
    second = expectation(sp.log(V) ** 2, law)
    return mean, sp.simplify(sp.expand(second - mean**2))


def _log_moments(size: sp.Expr, estimator: str) -> tuple[sp.Expr, sp.Expr]:
    """(E log V, Var log V) for one step of the given size (number or symbol)."""
    if size == 1:  # mle refit of one point: V = 0
        return sp.Integer(-1) * sp.oo, sp.nan
    mean, var = _log_moments_generic(estimator)
    return mean.subs(M, size), var.subs(M, size)


def _exact_log(quantity: str, sizes: Sequence, estimator: str, *, simplify: bool) -> sp.Expr:
    # log(sigma_g^2/sigma^2) = sum_i log V_i with independent V_i (from the decomposition).
    parts = [_log_moments(size, estimator) for size in sizes]
    idx = 0 if quantity == "mean_log_sigma2" else 1
    out = sp.Add(*(p[idx] for p in parts))
    return sp.expand(out) if simplify else out


def exact_direct(quantity: str, sizes: int | Sequence = 2, estimator: str = "unbiased") -> sp.Expr:
    r"""The same closed form by brute force: expand over the independent variables of :func:`decomposition`.

    Exponential in ``g``; it exists to check :func:`exact` independently (tests use ``g <= 4``).
    """
    quantity = _check_quantity(quantity)
    dec = decomposition(sizes, estimator)
    if quantity in ("mean_log_sigma2", "var_log_sigma2"):
        log_ratio = sp.expand_log(sp.log(dec.sigma_g**2 / sigma**2), force=True)
        m = expectation(log_ratio, dec.law)
        if quantity == "mean_log_sigma2":
            return sp.simplify(m)
        return sp.simplify(expectation(sp.expand(log_ratio**2), dec.law) - m**2)
    kind, P = _MOMENT_QUANTITIES[quantity]
    P = P.subs({_d: dec.mu_g - mu, _s: dec.sigma_g})
    first = expectation(P, dec.law)
    if kind == "mean":
        return _tidy(first)
    return _tidy(expectation(P**2, dec.law) - first**2)


def exact_symbolic_g(quantity: str, estimator: str = "unbiased") -> sp.Expr:
    r"""Exact form for a symbolic number of generations ``g`` with sizes ``M[i]``: nested ``Sum``/``Product``.

    Solves the triangular moment recursion: :math:`m_{0,n}(g) = \sigma^n\prod_{j<g}\lambda_{0,n}(M_j)`, and for
    :math:`a > 0`, :math:`m_{a,b}(g) = \sum_{i<g} \bigl(\prod_{j=i+1}^{g-1}\lambda_{a,b}(M_j)\bigr)
    \sum_{(a',b') \ne (a,b)} T_{(a,b),(a',b')}(M_i)\, m_{a',b'}(i)`.

    >>> exact_symbolic_g("var_x")
    sigma**2 + Sum(sigma**2/M[i_0], (i_0, 0, g - 1))
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    if quantity in ("mean_log_sigma2", "var_log_sigma2"):
        i = sp.Symbol("i", integer=True, nonnegative=True)
        mean, var = _log_moments_generic(estimator)
        term = mean if quantity == "mean_log_sigma2" else var
        return sp.Sum(term.subs(M, Mi[i]), (i, 0, g - 1))
    kind, parts = _moment_targets(quantity)
    values = [sp.Add(*(c * _moment_g(mon, g, estimator, 0) for mon, c in part.items())) for part in parts]
    out = values[0] if kind == "mean" else values[0] - values[1] ** 2
    return sp.expand(out)


def _moment_g(mon: tuple[int, int], upper: sp.Expr, estimator: str, depth: int) -> sp.Expr:
    a, b = mon
    if a % 2:
        return sp.Integer(0)
    T = transition(a, b, estimator)
    lam = T.get(mon, sp.Integer(0))
    j = sp.Symbol(f"j_{depth}", integer=True, nonnegative=True)
    if a == 0:
        return sigma**b * _product(lam, j, 0, upper - 1)
    i = sp.Symbol(f"i_{depth}", integer=True, nonnegative=True)
    inner = sp.Add(
        *(c.subs(M, Mi[i]) * _moment_g(k, i, estimator, depth + 1) for k, c in T.items() if k != mon)
    )
    return sp.Sum(_product(lam, j, i + 1, upper - 1) * inner, (i, 0, upper - 1))


def _product(lam: sp.Expr, j: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lam == 1:
        return sp.Integer(1)
    return sp.Product(lam.subs(M, Mi[j]), (j, lo, hi))


# --------------------------------------------------------------------------------------------------------
# Exact numeric evaluation (mpmath)


@functools.lru_cache(maxsize=None)
def _numeric_plan(quantity: str, estimator: str):
    """Lambdified (mpmath) transition coefficients and the needed monomials, derived once."""
    kind, parts = _moment_targets(quantity)
    needed = _closure([mon for part in parts for mon in part])
    index = {mon: n for n, mon in enumerate(needed)}
    rows = []
    for mon in needed:
        T = transition(*mon, estimator)
        rows.append([(index[k], sp.lambdify(M, c, modules="mpmath")) for k, c in T.items()])
    degenerate = [[(index[k], float(c)) for k, c in _degenerate_transition(*mon).items() if k in index] for mon in needed]
    parts_idx = [[(index[k], sp.Rational(c.subs(sigma, 1))) for k, c in part.items() if k in index] for part in parts]
    init = [1 if mon[0] == 0 else 0 for mon in needed]
    return kind, parts_idx, rows, degenerate, init


def evaluate(quantity: str, sizes: Sequence[int], estimator: str = "unbiased", *, dps: int = 17) -> mpmath.mpf:
    r"""Exact value (in units of :math:`\sigma`) at ``dps`` significant digits, in O(g) work.

    Runs the derived recursion in mpmath with guard digits; coefficients are computed once per distinct
    size, so a schedule of a thousand sizes takes well under a second.

    >>> mpmath.nstr(evaluate("var_x", [10, 30, 7], dps=20), 20)
    '1.2761904761904761905'
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    dps = check_integer("dps", dps, minimum=1, maximum=MAX_DIGITS + 100)
    ctx = mpmath.mp
    # Moments of order n cancel down to O(M^-n/2) from O(1) terms: keep 2 log10(M) guard digits beyond 10.
    guard = 10 + 2 * len(str(max(sizes)))
    with ctx.workdps(dps + guard):
        if quantity in ("mean_log_sigma2", "var_log_sigma2"):
            out = _evaluate_log(quantity, sizes, estimator, ctx)
        else:
            kind, parts, rows, degenerate, init = _numeric_plan(quantity, estimator)
            state = [ctx.mpf(v) for v in init]
            cache: dict[int, list] = {}
            for size in sizes:
                if size == 1:
                    coeffs = [[(k, ctx.mpf(c)) for k, c in row] for row in degenerate]
                else:
                    coeffs = cache.get(size)
                    if coeffs is None:
                        m = ctx.mpf(size)
                        coeffs = cache[size] = [[(k, f(m)) for k, f in row] for row in rows]
                state = [ctx.fsum(c * state[k] for k, c in row) for row in coeffs]
            values = [ctx.fsum(ctx.mpf(c.p) / c.q * state[k] for k, c in part) for part in parts]
            out = values[0] if kind == "mean" else values[0] - values[1] ** 2
    with ctx.workdps(dps):
        return +out


@functools.lru_cache(maxsize=None)
def _log_plan(estimator: str):
    mean, var = _log_moments_generic(estimator)
    return sp.lambdify(M, mean, modules="mpmath"), sp.lambdify(M, var, modules="mpmath")


def _evaluate_log(quantity: str, sizes: Sequence[int], estimator: str, ctx) -> mpmath.mpf:
    if estimator == "mle" and 1 in sizes:
        return ctx.ninf if quantity == "mean_log_sigma2" else ctx.nan
    f = _log_plan(estimator)[0 if quantity == "mean_log_sigma2" else 1]
    cache: dict[int, mpmath.mpf] = {}
    total = ctx.mpf(0)
    for size in sizes:
        if size not in cache:
            cache[size] = f(ctx.mpf(size))
        total += cache[size]
    return total


# --------------------------------------------------------------------------------------------------------
# Series in 1/M_i


@functools.lru_cache(maxsize=None)
def _transition_series(mon: tuple[int, int], estimator: str, order: int) -> dict[tuple[int, int], sp.Expr]:
    """Each transition coefficient as a polynomial in EPS = 1/M truncated at ``order``."""
    out = {}
    law = step_law(M, estimator)
    for k, c in transition(*mon, estimator).items():
        # c = (rational function of M) * (gamma ratio); rewrite the gamma ratios as moment series.
        out[k] = _coefficient_series(c, law, order)
    return out


def _coefficient_series(c: sp.Expr, law: ChiSquare, order: int) -> sp.Expr:
    """Series in EPS of a transition coefficient: a product of powers of M and one chi-square moment."""
    # Identify E[V^r] inside c by dividing out candidate moments.
    for twice_r in range(0, 9):
        r = sp.Rational(twice_r, 2)
        moment = law.moment(r)
        rest = sp.gammasimp(c / moment)
        if not rest.has(sp.gamma):
            rest_series = sp.series(rest.subs(M, 1 / EPS), EPS, 0, order + 1).removeO()
            return sp.expand(
                sp.series(rest_series * moment_series(law, M, r, order), EPS, 0, order + 1).removeO()
            )
    raise ArithmeticError(f"transition coefficient {c} is not a power of M times a chi-square moment")


def series(quantity: str, order: int = 2, estimator: str = "unbiased") -> QuasiSymmetricSeries:
    r"""The 1/M expansion of ``quantity`` (units of :math:`\sigma`) keeping all terms of total degree <= ``order``.

    Computed by running the moment recursion on truncated series in ``order`` generations (enough to fix
    every coefficient, by quasi-symmetry); use :meth:`QuasiSymmetricSeries.symbolic` for the symbolic-``g``
    form (power sums when symmetric), :meth:`~QuasiSymmetricSeries.constant_size` for :math:`M_i = M`, and
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
    return QuasiSymmetricSeries.from_polynomial(series_polynomial(quantity, order, estimator, order), order)


def series_polynomial(quantity: str, order: int, estimator: str, nvars: int):
    """The truncated series as a polynomial in ``eps_0..eps_{nvars-1}`` (SymPy sparse ring over QQ).

    The direct computation for ``nvars`` generations; :func:`series` reads its quasi-symmetric coefficients
    off ``nvars = order`` and tests check the result against larger ``nvars``.
    """
    R, eps = eps_ring(nvars)
    if quantity in ("mean_log_sigma2", "var_log_sigma2"):
        r = sp.Symbol("r")
        K = log_moment_series(step_law(M, estimator), M, order)
        term = sp.diff(K, r, 1 if quantity == "mean_log_sigma2" else 2).subs(r, 0)
        return truncate(sum((univariate_to_ring(term, e) for e in eps), R.zero), order)
    kind, parts = _moment_targets(quantity)
    needed = _closure([mon for part in parts for mon in part])
    state = {mon: (R.one if mon[0] == 0 else R.zero) for mon in needed}
    for e in eps:
        steps = {
            mon: {k: univariate_to_ring(c, e) for k, c in _transition_series(mon, estimator, order).items()}
            for mon in needed
        }
        state = {mon: truncate(sum((c * state[k] for k, c in steps[mon].items()), R.zero), order) for mon in needed}
    values = []
    for part in parts:
        v = R.zero
        for mon, c in part.items():
            v += R.domain.convert(c.subs(sigma, 1)) * state.get(mon, R.zero)
        values.append(v)
    out = values[0] if kind == "mean" else values[0] - values[1] ** 2
    return truncate(out, order)


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
    order: int = 2,
    digits: int = 17,
    record: str = "final",
) -> TheoryResult | list[TheoryResult]:
    r"""The model's theory as the registry calls it: exact values and order-``order`` series of every quantity.

    Values are in units of :math:`\sigma` (``absolute`` multiplies by ``sigma`` to each quantity's power).
    ``record="all"`` returns one :class:`~modelcollapse.models.TheoryResult` per generation ``1..g``.

    >>> r = theory(sizes=(10, 30, 7))
    >>> r.generation, mpmath.nstr(r.exact["var_x"], 8), r.order
    (3, '1.2761905', 2)
    """
    estimator = check_estimator(estimator)
    sizes = check_sizes(sizes, estimator)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    gens = range(1, len(sizes) + 1) if record == "all" else (len(sizes),)
    ser = {q: series(q, order, estimator) for q in QUANTITIES}
    out = []
    for k in gens:
        prefix = sizes[:k]
        exact_k = {q: evaluate(q, prefix, estimator, dps=digits) for q in QUANTITIES}
        with mpmath.workdps(digits + 5):
            absolute = {q: exact_k[q] * mpmath.mpf(sigma) ** sigma_power(q) for q in QUANTITIES}
        out.append(
            TheoryResult(
                generation=k,
                exact=exact_k,
                series={q: ser[q].evaluate(prefix, digits) for q in QUANTITIES},
                order=order,
                absolute=absolute,
            )
        )
    return out if record == "all" else out[0]


# --------------------------------------------------------------------------------------------------------
# Data regimes: accumulate, accumulate-subsample, mix (fresh real data)

P = sp.Symbol("P", positive=True, integer=True)
"""Points behind the current fit (the pool it was made from) in ``accumulate``: :math:`N_{i-1}`."""
R = sp.Symbol("R", nonnegative=True, integer=True)
"""Fresh real points per sample in ``mix``."""


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
