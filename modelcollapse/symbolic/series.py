r"""Series machinery for 1/M expansions.

* :func:`expansion` -- the power series in :math:`\varepsilon = 1/M` of a one-step coefficient: products and
  sums of powers of polynomials in :math:`M`, gamma and polygamma functions of :math:`aM + b` and logarithms,
  through the Stirling series of :math:`\log\Gamma` (SymPy has no usable series of a gamma ratio at
  infinity); :func:`moment_series` applies it to the moments of a chi-square law.
* Truncated multivariate polynomials in :math:`\varepsilon_i = 1/M_i` (SymPy's sparse ``ring`` over QQ).
* Quasi-symmetric bookkeeping.  A chain of refits applies the same one-step transition with its own
  :math:`\varepsilon_i`, and a step with :math:`\varepsilon_i = 0` is the identity, so every expectation is a
  *quasi-symmetric* function of :math:`(\varepsilon_0, \varepsilon_1, \dots)`: the coefficient of
  :math:`\varepsilon_{i_1}^{a_1}\cdots\varepsilon_{i_l}^{a_l}` (:math:`i_1 < \dots < i_l`) depends only on the
  composition :math:`(a_1, \dots, a_l)`.  A truncated series computed with as many variables as its order
  therefore holds for every number of generations; when the coefficients do not depend on the order of
  the parts, it is symmetric and is rewritten in power sums :math:`p_r = \sum_i M_i^{-r}`.  Products of such
  series are quasi-shuffle (stuffle) products of the monomial quasi-symmetric functions.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

import mpmath
import sympy as sp
from sympy.polys.ring_series import rs_exp, rs_log, rs_mul
from sympy.polys.rings import PolyElement, ring

from .expectation import ChiSquare

__all__ = [
    "EPS",
    "QuasiSymmetricSeries",
    "compositions",
    "expansion",
    "moment_series",
    "partitions",
    "quasi_shuffle",
    "truncate",
]

EPS = sp.Symbol("epsilon", positive=True)
"""The expansion variable :math:`\\varepsilon = 1/M`."""

# --------------------------------------------------------------------------------------------------------
# One-step coefficients as power series in EPS

_L = sp.Dummy("L", positive=True)  # the large variable 1/EPS
_SERIES, _E = ring("e", sp.QQ)  # truncated power series in EPS over QQ


def expansion(expr: sp.Expr, order: int) -> tuple[sp.Rational, ...]:
    r"""Coefficients :math:`(c_0, \dots, c_{order})` of ``expr`` :math:`= \sum_n c_n \varepsilon^n + O(\varepsilon^{order+1})`.

    ``expr`` is an expression in :data:`EPS` (as :math:`\varepsilon \to 0^+`) built by sums and products of
    rational powers of polynomials in :math:`1/\varepsilon`, powers of :math:`\Gamma(w + b)` and of
    :math:`\psi^{(n)}(w + b)`, and logarithms of polynomials, where :math:`w = a/\varepsilon` (:math:`a > 0`,
    :math:`a, b` rational).  Each gamma function is replaced by the Stirling series

    .. math::  \log\Gamma(w + b) \sim (w + b - \tfrac12)\log w - w + \tfrac12\log 2\pi
               + \sum_{n \ge 1} \frac{(-1)^{n+1} B_{n+1}(b)}{n(n+1)\, w^n}

    (:math:`B_n` the Bernoulli polynomials) and each polygamma function by its derivatives; the growing
    parts (:math:`w\log w`, :math:`w`, :math:`\log w`, fractional and negative powers of :math:`\varepsilon`)
    must cancel, and the coefficients must be rational.

    Raises
    ------
    ArithmeticError
        If ``expr`` has a factor of another form, or has no power series with rational coefficients.

    Examples
    --------
    :math:`\Gamma(k + \tfrac12)/(\sqrt{k}\,\Gamma(k))` for :math:`k = 1/\varepsilon`, and
    :math:`\psi(k) - \log k`:

    >>> k = 1 / EPS
    >>> expansion(sp.gamma(k + sp.Rational(1, 2)) / (sp.sqrt(k) * sp.gamma(k)), 3)
    (1, -1/8, 1/128, 5/1024)
    >>> expansion(sp.polygamma(0, k) - sp.log(k), 3)
    (0, -1/2, -1/12, 0)
    """
    return _expansion(sp.sympify(expr), int(order))


@functools.lru_cache(maxsize=None)
def _expansion(expr: sp.Expr, order: int) -> tuple[sp.Rational, ...]:
    acc: dict[tuple, dict[sp.Rational, sp.Expr]] = {}
    for factors in _products(expr.subs(EPS, 1 / _L)):
        _add_term(factors, order, acc)
    out = [sp.Integer(0)] * (order + 1)
    for key, coefficients in acc.items():
        for power, value in coefficients.items():
            value = value if value.is_Rational else sp.simplify(value)
            if key == (0, 0, 0) and power.is_integer and 0 <= power <= order:
                if not value.is_Rational:
                    raise ArithmeticError(f"the coefficient of EPS**{power} in {expr} is not rational ({value})")
                out[int(power)] = value
            elif value != 0:
                raise _no_series(expr, key, power)
    return tuple(out)


_TRANSCENDENTAL = (sp.gamma, sp.polygamma, sp.log)


def _products(expr: sp.Expr) -> list[list[sp.Expr]]:
    """``expr`` as a sum of products, each a list of factors; sums of transcendental terms are distributed
    (sums of powers of L stay single factors, polynomials for :func:`_polynomial_parts`)."""
    if expr.is_Add and expr.has(*_TRANSCENDENTAL):
        return [p for arg in expr.args for p in _products(arg)]
    out: list[list[sp.Expr]] = [[]]
    for factor in sp.Mul.make_args(expr):
        base, e = factor.as_base_exp()
        if base.is_Add and base.has(*_TRANSCENDENTAL):
            if not (e.is_Integer and e > 0):
                raise ArithmeticError(f"cannot expand {factor.subs(_L, 1 / EPS)}: a sum of transcendental terms "
                                      "may only appear to a positive integer power")
            parts = [[]]
            for _ in range(int(e)):
                parts = [a + b for a in parts for b in _products(base)]
        else:
            parts = [[factor]]
        out = [a + b for a in out for b in parts]
    return out


def _add_term(factors: Sequence[sp.Expr], order: int, acc: dict) -> None:
    r"""Expand one product of factors and add it to ``acc``: ``{(L log L, L, log L powers): {EPS power: coeff}}``.

    The term is ``const * L**power * exp(alpha*L*log L + beta*L) * (product of series) * (product of sums
    u*log L + v + series)``; the additive factors come from ``log`` and ``polygamma(0, .)``.
    """
    const, power, alpha, beta = sp.Integer(1), sp.Integer(0), sp.Integer(0), sp.Integer(0)
    series: list[Callable[[int], PolyElement]] = []
    logs: list[tuple[sp.Expr, sp.Expr, Callable[[int], PolyElement]]] = []  # log L coefficient, constant, series
    for factor in factors:
        if not factor.has(_L):
            const *= factor
            continue
        base, e = factor.as_base_exp()
        if isinstance(base, sp.gamma):
            a, b = _linear(base.args[0])
            alpha += e * a
            beta += e * a * (sp.log(a) - 1)
            power += e * (b - sp.Rational(1, 2))
            const *= (a ** (b - sp.Rational(1, 2)) * sp.sqrt(2 * sp.pi)) ** e
            series.append(functools.partial(_gamma_series, a, b, e))
        elif isinstance(base, sp.polygamma) and base.args[0] != 0:
            n = int(base.args[0])
            a, b = _linear(base.args[1])
            power -= n * e
            const *= ((-1) ** (n - 1) * sp.factorial(n - 1) / a**n) ** e  # the leading term s_0 w^-n
            series.append(functools.partial(_polygamma_series, a, b, n, e))
        elif isinstance(base, (sp.log, sp.polygamma)):
            if not (e.is_Integer and e > 0):
                raise ArithmeticError(f"cannot expand {factor}: a logarithm may only appear to a positive integer power")
            logs.extend([_log_factor(base)] * int(e))
        else:
            numerator, denominator = sp.fraction(sp.together(base))
            for poly, sign in ((numerator, 1), (denominator, -1)):
                lead, degree, rest = _polynomial_parts(poly, factor)
                const *= lead ** (sign * e)
                power += sign * e * degree
                series.append(functools.partial(_power_of_series, rest, sign * e))
    precision = int(sp.floor(order + power)) + 1  # terms EPS**n * L**power with n - power <= order
    if precision <= 0:
        return
    product = _SERIES.one
    for make in series:
        product = rs_mul(product, make(precision), _E, precision)
    pieces = [(0, sp.Integer(1), product)]
    for u, v, make in logs:
        s = make(precision)
        pieces = [
            piece
            for k, c, p in pieces
            for piece in ((k + 1, c * u, p), (k, c * v, p), (k, c, rs_mul(p, s, _E, precision)))
        ]
    for k, c, p in pieces:
        target = acc.setdefault((alpha, beta, k), {})
        for (n,), value in p.items():
            key = n - power
            target[key] = target.get(key, sp.Integer(0)) + const * c * _SERIES.domain.to_sympy(value)


def _no_series(expr: sp.Expr, key: tuple, power: sp.Rational) -> ArithmeticError:
    alpha, beta, k = key
    return ArithmeticError(
        f"{expr} has no power series in EPS: the terms EPS**{power} * log(L)**{k} * exp({alpha}*L*log(L) + {beta}*L) "
        "(L = 1/EPS) do not cancel"
    )


def _linear(arg: sp.Expr) -> tuple[sp.Rational, sp.Rational]:
    """``(a, b)`` with ``arg = a*L + b``, ``a > 0`` and ``b`` rational."""
    poly = sp.Poly(sp.expand(arg), _L)
    a, b = poly.coeff_monomial(_L), poly.coeff_monomial(1)
    if poly.degree() != 1 or not (a.is_Rational and a > 0 and b.is_Rational):
        raise ArithmeticError(f"cannot expand a gamma or polygamma function of {arg.subs(_L, 1 / EPS)}: "
                              "the argument must be a/EPS + b with rational a > 0 and b")
    return a, b


def _stirling_coefficients(b: sp.Rational, count: int) -> list[sp.Rational]:
    r"""``[0, c_1, ..., c_count]``: :math:`\log\Gamma(w+b) - (w+b-\frac12)\log w + w - \frac12\log 2\pi \sim \sum c_n w^{-n}`."""
    return [sp.Integer(0)] + [(-1) ** (n + 1) * sp.bernoulli(n + 1, b) / (n * (n + 1)) for n in range(1, count + 1)]


def _gamma_series(a: sp.Rational, b: sp.Rational, e: sp.Rational, precision: int) -> PolyElement:
    """:math:`\\exp(e \\sum_n c_n (\\varepsilon/a)^n)`, the series part of :math:`\\Gamma(a/\\varepsilon + b)^e`."""
    exponent = sum(
        (_SERIES.domain.from_sympy(e * c / a**n) * _E**n for n, c in enumerate(_stirling_coefficients(b, precision))),
        _SERIES.zero,
    )
    return rs_exp(exponent, _E, precision)


def _digamma_coefficients(b: sp.Rational, count: int) -> list[sp.Rational]:
    r"""``[0, d_1, ..., d_count]``: :math:`\psi(w + b) - \log w \sim \sum d_m w^{-m}` (the derivative of Stirling)."""
    c = _stirling_coefficients(b, count)
    return [sp.Integer(0), b - sp.Rational(1, 2)] + [-(m - 1) * c[m - 1] for m in range(2, count + 1)]


def _polygamma_series(a: sp.Rational, b: sp.Rational, n: int, e: sp.Rational, precision: int) -> PolyElement:
    r""":math:`(\psi^{(n)}(w + b) / s_0 w^{-n})^e` for ``n >= 1``, :math:`w = a/\varepsilon`.

    Differentiating :math:`\psi(w + b) \sim \log w + \sum_m d_m w^{-m}` ``n`` times gives
    :math:`w^{-n}(s_0 + \sum_{m \ge 1} s_m w^{-m})` with :math:`s_0 = (-1)^{n-1}(n-1)!` and
    :math:`s_m = (-1)^n d_m\, m(m+1)\cdots(m+n-1)`.
    """
    d = _digamma_coefficients(b, precision)
    s0 = (-1) ** (n - 1) * sp.factorial(n - 1)
    relative = [sp.Integer(1)] + [d[m] * (-1) ** n * sp.rf(m, n) / s0 / a**m for m in range(1, precision)]
    return _power_of_series(relative, e, precision)


def _log_factor(base: sp.Expr) -> tuple[sp.Expr, sp.Expr, Callable[[int], PolyElement]]:
    """``log`` of a rational function of L or ``polygamma(0, a*L + b)`` as ``u*log L + v + series``."""
    if isinstance(base, sp.polygamma):
        a, b = _linear(base.args[1])
        return sp.Integer(1), sp.log(a), functools.partial(_digamma_series, a, b)
    numerator, denominator = sp.fraction(sp.together(base.args[0]))
    lead_n, degree_n, rest_n = _polynomial_parts(numerator, base)
    lead_d, degree_d, rest_d = _polynomial_parts(denominator, base)
    return degree_n - degree_d, sp.log(lead_n / lead_d), functools.partial(_log_ratio_series, rest_n, rest_d)


def _digamma_series(a: sp.Rational, b: sp.Rational, precision: int) -> PolyElement:
    d = _digamma_coefficients(b, precision)
    return sum((_SERIES.domain.from_sympy(c / a**m) * _E**m for m, c in enumerate(d) if m < precision), _SERIES.zero)


def _log_ratio_series(numerator: tuple, denominator: tuple, precision: int) -> PolyElement:
    return rs_log(_truncated(numerator, precision), _E, precision) - rs_log(_truncated(denominator, precision), _E, precision)


def _polynomial_parts(poly: sp.Expr, context: sp.Expr) -> tuple[sp.Expr, int, tuple[sp.Rational, ...]]:
    """``(lead, degree, (1, r_1, r_2, ...))`` with ``poly = lead * L**degree * (1 + r_1 EPS + r_2 EPS**2 + ...)``."""
    try:
        p = sp.Poly(poly, _L)
    except sp.PolynomialError:
        raise ArithmeticError(f"cannot expand the factor {context.subs(_L, 1 / EPS)}") from None
    coefficients = p.all_coeffs()  # highest degree first
    lead = coefficients[0]
    rest = tuple(c / lead for c in coefficients)
    if not all(r.is_Rational for r in rest):
        raise ArithmeticError(f"cannot expand the factor {context.subs(_L, 1 / EPS)}: irrational coefficients")
    return lead, p.degree(), rest


def _truncated(coefficients: Sequence[sp.Rational], precision: int) -> PolyElement:
    return sum(
        (_SERIES.domain.from_sympy(c) * _E**n for n, c in enumerate(coefficients) if n < precision), _SERIES.zero
    )


def _power_of_series(coefficients: Sequence[sp.Rational], e: sp.Rational, precision: int) -> PolyElement:
    """:math:`(1 + r_1\\varepsilon + \\dots)^e` truncated below ``EPS**precision``."""
    p = _truncated(coefficients, precision)
    if e == 1:
        return p
    return rs_exp(_SERIES.domain.from_sympy(sp.Rational(e)) * rs_log(p, _E, precision), _E, precision)


def moment_series(law: ChiSquare, M: sp.Symbol, power: sp.Expr, order: int, log_power: int = 0) -> sp.Expr:
    r"""Series of :math:`E[V^{power} (\log V)^{log\_power}]` in :math:`\varepsilon = 1/M` to order ``order``.

    ``law`` is a :class:`ChiSquare` whose dof and divisor are expressions in ``M``; the moment is expanded by
    :func:`expansion`.

    >>> M = sp.Symbol("M", positive=True)
    >>> moment_series(ChiSquare(M - 1, M - 1), M, sp.Rational(1, 2), 2)
    -7*epsilon**2/32 - epsilon/4 + 1
    >>> moment_series(ChiSquare(M - 1, M - 1), M, 0, 2, log_power=1)
    -4*epsilon**2/3 - epsilon
    """
    moment = law.moment(power, log_power).subs(M, 1 / EPS)
    return sp.Add(*(c * EPS**n for n, c in enumerate(expansion(moment, order))))


# --------------------------------------------------------------------------------------------------------
# Truncated polynomials in eps_0, ..., eps_{n-1}


@functools.lru_cache(maxsize=None)
def eps_ring(n: int) -> tuple:
    """``(R, gens)``: the sparse polynomial ring QQ[eps_0, ..., eps_{n-1}] (at least one generator)."""
    names = [f"eps_{i}" for i in range(max(n, 1))]
    R, *gens = ring(names, sp.QQ)
    return R, tuple(gens[:n])


def truncate(p: PolyElement, order: int) -> PolyElement:
    """Drop every term of total degree above ``order``."""
    return p.ring({m: c for m, c in p.items() if sum(m) <= order})


# --------------------------------------------------------------------------------------------------------
# Compositions, partitions, quasi-symmetric and power-sum forms


def compositions(n: int) -> list[tuple[int, ...]]:
    """All compositions of ``n`` (ordered tuples of positive parts summing to ``n``); ``()`` for ``n == 0``.

    >>> compositions(3)
    [(1, 1, 1), (1, 2), (2, 1), (3,)]
    """
    if n == 0:
        return [()]
    return sorted(tuple(c) for c in _comp(n))


def _comp(n: int) -> Iterable[list[int]]:
    if n == 0:
        yield []
        return
    for first in range(1, n + 1):
        for rest in _comp(n - first):
            yield [first, *rest]


def partitions(n: int) -> list[tuple[int, ...]]:
    """Partitions of ``n`` as non-increasing tuples.

    >>> partitions(4)
    [(1, 1, 1, 1), (2, 1, 1), (2, 2), (3, 1), (4,)]
    """
    return sorted({tuple(sorted(c, reverse=True)) for c in compositions(n)})


@functools.lru_cache(maxsize=None)
def quasi_shuffle(alpha: tuple[int, ...], beta: tuple[int, ...]) -> dict[tuple[int, ...], int]:
    r"""The quasi-shuffle (stuffle) product :math:`M_\alpha M_\beta = \sum_\gamma n_\gamma M_\gamma` as ``{gamma: n}``.

    Interleave the parts of :math:`\alpha` and :math:`\beta` keeping the order within each, where a part of
    each may also merge into their sum: :math:`(a\alpha') * (b\beta') = a(\alpha' * b\beta') +
    b(a\alpha' * \beta') + (a+b)(\alpha' * \beta')`.

    >>> quasi_shuffle((1,), (2,))
    {(1, 2): 1, (2, 1): 1, (3,): 1}
    """
    if not alpha or not beta:
        return {alpha + beta: 1}
    out: dict[tuple[int, ...], int] = {}
    for head, rest_a, rest_b in ((alpha[0], alpha[1:], beta), (beta[0], alpha, beta[1:]), (alpha[0] + beta[0], alpha[1:], beta[1:])):
        for gamma, n in quasi_shuffle(rest_a, rest_b).items():
            key = (head, *gamma)
            out[key] = out.get(key, 0) + n
    return out


def _monomial_composition(monom: Sequence[int]) -> tuple[int, ...]:
    return tuple(e for e in monom if e)


class NotQuasiSymmetricError(ArithmeticError):
    """A polynomial that should be quasi-symmetric is not: the derivation is inconsistent."""


class QuasiSymmetricSeries:
    r"""A truncated series :math:`\sum_\alpha c_\alpha M_\alpha(\varepsilon)` in the monomial quasi-symmetric basis.

    :math:`M_\alpha = \sum_{i_1<\dots<i_l} \varepsilon_{i_1}^{a_1}\cdots\varepsilon_{i_l}^{a_l}`.  Holds for
    any number of generations ``g`` (terms with more parts than ``g`` vanish).
    """

    __slots__ = ("coefficients", "min_size", "order")

    def __init__(self, coefficients: Mapping[tuple[int, ...], sp.Rational], order: int, min_size: int = 1) -> None:
        self.coefficients = {a: sp.Rational(c) for a, c in sorted(coefficients.items()) if c != 0}
        self.order = order
        self.min_size = min_size
        """Smallest sample size the expansion is evaluated at (2 where the model divides by M - 1)."""

    @classmethod
    def from_polynomial(cls, p: PolyElement, order: int) -> QuasiSymmetricSeries:
        """Read the coefficients off a polynomial in at least ``order`` variables, checking quasi-symmetry."""
        if p.ring.ngens < order:
            raise ValueError(f"need at least order={order} variables to separate compositions (got {p.ring.ngens})")
        coeffs: dict[tuple[int, ...], sp.Rational] = {}
        for monom, c in p.items():
            if sum(monom) > order:
                raise ValueError("polynomial is not truncated to the requested order")
            alpha = _monomial_composition(monom)
            c = p.ring.domain.to_sympy(c)
            if alpha in coeffs and coeffs[alpha] != c:
                raise NotQuasiSymmetricError(
                    f"coefficient of composition {alpha} differs between monomials ({coeffs[alpha]} vs {c})"
                )
            coeffs[alpha] = c
        # every monomial of a present composition must be present (zero coefficients are absent)
        n = p.ring.ngens
        for alpha in coeffs:
            for positions in itertools.combinations(range(n), len(alpha)):
                monom = [0] * n
                for pos, e in zip(positions, alpha, strict=True):
                    monom[pos] = e
                if p.ring.domain.to_sympy(p.get(tuple(monom), p.ring.domain.zero)) != coeffs[alpha]:
                    raise NotQuasiSymmetricError(f"monomial {monom} breaks quasi-symmetry")
        return cls(coeffs, order)

    # -- algebra -----------------------------------------------------------------------------------------
    def truncated(self, order: int) -> QuasiSymmetricSeries:
        """The same series keeping only terms of total degree <= ``order``."""
        return QuasiSymmetricSeries({a: c for a, c in self.coefficients.items() if sum(a) <= order}, order, self.min_size)

    def __add__(self, other: QuasiSymmetricSeries) -> QuasiSymmetricSeries:
        """Sum, truncated at the smaller order."""
        if not isinstance(other, QuasiSymmetricSeries):
            return NotImplemented
        order = min(self.order, other.order)
        out = dict(self.coefficients)
        for alpha, c in other.coefficients.items():
            out[alpha] = out.get(alpha, 0) + c
        return QuasiSymmetricSeries(out, order, max(self.min_size, other.min_size)).truncated(order)

    def __neg__(self) -> QuasiSymmetricSeries:
        return QuasiSymmetricSeries({a: -c for a, c in self.coefficients.items()}, self.order, self.min_size)

    def __sub__(self, other: QuasiSymmetricSeries) -> QuasiSymmetricSeries:
        if not isinstance(other, QuasiSymmetricSeries):
            return NotImplemented
        return self + (-other)

    def __mul__(self, other: QuasiSymmetricSeries) -> QuasiSymmetricSeries:
        r"""Product, truncated at the smaller order: :math:`M_\alpha M_\beta = \sum_\gamma M_\gamma` over the
        quasi-shuffles :math:`\gamma` of :math:`\alpha` and :math:`\beta` (:func:`quasi_shuffle`).

        >>> a = QuasiSymmetricSeries({(1,): 1}, 2)  # p_1 = sum_i eps_i
        >>> (a * a).coefficients  # p_1^2 = M_(2) + 2 M_(1,1)
        {(1, 1): 2, (2,): 1}
        """
        if not isinstance(other, QuasiSymmetricSeries):
            return NotImplemented
        order = min(self.order, other.order)
        out: dict[tuple[int, ...], sp.Rational] = {}
        for alpha, a in self.coefficients.items():
            room = order - sum(alpha)
            for beta, b in other.coefficients.items():
                if sum(beta) <= room:
                    for gamma, n in quasi_shuffle(alpha, beta).items():
                        out[gamma] = out.get(gamma, 0) + n * a * b
        return QuasiSymmetricSeries(out, order, max(self.min_size, other.min_size))

    def power_sum_coefficients(self) -> dict[tuple[int, ...], sp.Rational] | None:
        r"""Coefficients in products of power sums :math:`p_\lambda = \prod_j p_{\lambda_j}`, or ``None``.

        ``None`` when the series is not symmetric (coefficients depend on the order of the parts).
        """
        by_partition: dict[tuple[int, ...], sp.Rational] = {}
        for alpha, c in self.coefficients.items():
            lam = tuple(sorted(alpha, reverse=True))
            if lam in by_partition and by_partition[lam] != c:
                return None
            by_partition[lam] = c
        for lam, c in by_partition.items():
            for alpha in set(itertools.permutations(lam)):
                if self.coefficients.get(alpha, 0) != c:
                    return None
        # monomial symmetric m_lambda -> power sums, by solving in enough variables
        n = max(self.order, 1)
        R, gens = eps_ring(n)
        target = R.zero
        for lam, c in by_partition.items():
            target += R.domain.convert(c) * _monomial_symmetric(R, gens, lam)
        basis = [lam for d in range(self.order + 1) for lam in partitions(d)]
        polys = [_power_sum_product(R, gens, lam) for lam in basis]
        unknowns = sp.symbols(f"c0:{len(basis)}")
        monoms = sorted({m for p in [*polys, target] for m in p.keys()})
        equations = []
        q = R.domain.to_sympy
        for m in monoms:
            lhs = sum(q(p.get(m, R.domain.zero)) * u for p, u in zip(polys, unknowns, strict=True))
            equations.append(sp.Eq(lhs, q(target.get(m, R.domain.zero))))
        sol = sp.solve(equations, unknowns, dict=True)
        if len(sol) != 1:
            raise ArithmeticError("power-sum conversion is not unique")
        return {lam: sol[0].get(u, sp.Integer(0)) for lam, u in zip(basis, unknowns, strict=True) if sol[0].get(u, 0) != 0}

    # -- forms ---------------------------------------------------------------------------------------------
    def polynomial(self, eps: Sequence[sp.Expr]) -> sp.Expr:
        """The series as an explicit SymPy polynomial in the given variables (one per generation)."""
        total = sp.Integer(0)
        for alpha, c in self.coefficients.items():
            for idx in itertools.combinations(range(len(eps)), len(alpha)):
                total += c * sp.Mul(*(eps[i] ** a for i, a in zip(idx, alpha, strict=True)))
        return total

    def constant_size(self, M: sp.Expr, g: sp.Expr) -> sp.Expr:
        r"""The series at :math:`M_i = M` for all :math:`i < g`: :math:`\sum_\alpha c_\alpha \binom{g}{l(\alpha)} M^{-|\alpha|}`."""
        total = sp.Integer(0)
        for alpha, c in self.coefficients.items():
            total += c * sp.binomial(g, len(alpha)) * M ** (-sum(alpha))
        return sp.expand(sp.expand_func(total))

    def symbolic(self, M: sp.IndexedBase, g: sp.Expr) -> sp.Expr:
        r"""Symbolic-``g`` form: power sums :math:`\sum_{i=0}^{g-1} M_i^{-r}` when symmetric, else nested sums."""
        ps = self.power_sum_coefficients()
        if ps is not None:
            i = sp.Symbol("i", integer=True, nonnegative=True)
            p = {r: sp.Sum(M[i] ** (-r), (i, 0, g - 1)) for r in range(1, self.order + 1)}
            return sp.Add(*(c * sp.Mul(*(p[part] for part in lam)) for lam, c in ps.items()))
        total = sp.Integer(0)
        for alpha, c in self.coefficients.items():
            total += c * _nested_sum(M, g, alpha)
        return total

    def evaluate(self, sizes: Sequence[int], prec_dps: int | None = None) -> mpmath.mpf:
        """Numeric value at the given sizes (mpmath, current or given precision), in O(len(sizes)) per term.

        Sizes are validated: integers >= :attr:`min_size` (a size the model's expansion has no meaning at, e.g.
        ``M = 1`` with the divisor ``M - 1``, raises instead of returning a number).

        >>> QuasiSymmetricSeries({(1,): 1}, 1, min_size=2).evaluate([1])
        Traceback (most recent call last):
        ...
        modelcollapse._validation.ParameterError: sizes[0] must be an integer >= 2 for this series (got 1)
        """
        ctx = mpmath.mp
        with ctx.workdps(prec_dps or ctx.dps):
            eps = [ctx.mpf(1) / m for m in self._checked(sizes)]
            total = ctx.mpf(0)
            for alpha, c in self.coefficients.items():
                total += ctx.mpf(c.p) / c.q * _eval_composition(eps, alpha, ctx)
            return +total

    def evaluate_prefixes(self, sizes: Sequence[int], prec_dps: int | None = None) -> list[mpmath.mpf]:
        """The values at every prefix ``sizes[:1], sizes[:2], ...`` in one pass: O(len(sizes)) per term, where
        calling :meth:`evaluate` on each prefix is O(len(sizes)^2) (figures and ``record="all"``).

        >>> s = QuasiSymmetricSeries({(1,): 1, (1, 1): 1}, 2)
        >>> [mpmath.nstr(v, 6) for v in s.evaluate_prefixes([2, 4, 5])] == [mpmath.nstr(s.evaluate(p), 6) for p in ([2], [2, 4], [2, 4, 5])]
        True
        """
        ctx = mpmath.mp
        with ctx.workdps(prec_dps or ctx.dps):
            eps = [ctx.mpf(1) / m for m in self._checked(sizes)]
            totals = [ctx.mpf(0)] * len(eps)
            for alpha, c in self.coefficients.items():
                coefficient = ctx.mpf(c.p) / c.q
                for k, v in enumerate(_eval_composition_prefixes(eps, alpha, ctx)):
                    totals[k] += coefficient * v
            return [+t for t in totals]

    def _checked(self, sizes: Sequence[int]) -> list[int]:
        from .._validation import ParameterError, check_integer

        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise ParameterError(f"sizes must be a sequence of integers (got {sizes!r})")
        out = []
        for i, m in enumerate(sizes):
            try:
                out.append(check_integer(f"sizes[{i}]", m))
            except ParameterError:
                raise ParameterError(f"sizes[{i}] must be an integer >= {self.min_size} for this series (got {m!r})") from None
            if out[-1] < self.min_size:
                raise ParameterError(f"sizes[{i}] must be an integer >= {self.min_size} for this series (got {m!r})")
        return out

    def __repr__(self) -> str:
        return f"QuasiSymmetricSeries(order={self.order}, {self.coefficients})"


def _monomial_symmetric(R, gens: Sequence[PolyElement], lam: tuple[int, ...]) -> PolyElement:
    out = R.zero
    for alpha in set(itertools.permutations(lam)):
        for idx in itertools.combinations(range(len(gens)), len(alpha)):
            term = R.one
            for i, a in zip(idx, alpha, strict=True):
                term *= gens[i] ** a
            out += term
    return out


def _power_sum_product(R, gens: Sequence[PolyElement], lam: tuple[int, ...]) -> PolyElement:
    out = R.one
    for part in lam:
        out *= sum((x**part for x in gens), R.zero)
    return out


def _nested_sum(M: sp.IndexedBase, g: sp.Expr, alpha: tuple[int, ...]) -> sp.Expr:
    idx = [sp.Symbol(f"i_{n}", integer=True, nonnegative=True) for n in range(len(alpha))]
    body = sp.Mul(*(M[i] ** (-a) for i, a in zip(idx, alpha, strict=True)))
    for n in reversed(range(len(alpha))):
        lower = 0 if n == 0 else idx[n - 1] + 1
        body = sp.Sum(body, (idx[n], lower, g - 1))
    return body


def _eval_composition_prefixes(eps: Sequence, alpha: tuple[int, ...], ctx) -> list:
    """:math:`M_\\alpha` of every prefix of ``eps``, by the same dynamic programme (its last entry after each step)."""
    if not alpha:
        return [ctx.mpf(1)] * len(eps)
    acc = [ctx.mpf(1)] + [ctx.mpf(0)] * len(alpha)
    out = []
    for e in eps:
        for j in range(len(alpha), 0, -1):
            acc[j] += acc[j - 1] * e ** alpha[j - 1]
        out.append(acc[-1])
    return out


def _eval_composition(eps: Sequence, alpha: tuple[int, ...], ctx) -> object:
    """:math:`M_\\alpha(\\varepsilon)` by dynamic programming over positions."""
    if not alpha:
        return ctx.mpf(1)
    acc = [ctx.mpf(1)] + [ctx.mpf(0)] * len(alpha)
    for e in eps:
        for j in range(len(alpha), 0, -1):
            acc[j] += acc[j - 1] * e ** alpha[j - 1]
    return acc[-1]
