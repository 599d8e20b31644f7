r"""Series machinery for 1/M expansions.

* :func:`log_moment_series` -- :math:`\log E[V^r]` of a chi-square law in powers of :math:`\varepsilon = 1/M`,
  derived by SymPy from the asymptotic series of :math:`\log\Gamma(x + r) - \log\Gamma(x)` (the gamma
  ratio itself has no usable series at infinity in SymPy, its logarithm does).
* Truncated multivariate polynomials in :math:`\varepsilon_i = 1/M_i` (SymPy's sparse ``ring`` over QQ).
* Quasi-symmetric bookkeeping.  A chain of refits applies the same one-step transition with its own
  :math:`\varepsilon_i`, and a step with :math:`\varepsilon_i = 0` is the identity, so every expectation is a
  *quasi-symmetric* function of :math:`(\varepsilon_0, \varepsilon_1, \dots)`: the coefficient of
  :math:`\varepsilon_{i_1}^{a_1}\cdots\varepsilon_{i_l}^{a_l}` (:math:`i_1 < \dots < i_l`) depends only on the
  composition :math:`(a_1, \dots, a_l)`.  A truncated series computed with as many variables as its order
  therefore holds for every number of generations; when the coefficients do not depend on the order of
  the parts, it is symmetric and is rewritten in power sums :math:`p_r = \sum_i M_i^{-r}`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence

import mpmath
import sympy as sp
from sympy.polys.rings import PolyElement, ring

from .expectation import ChiSquare

__all__ = [
    "EPS",
    "QuasiSymmetricSeries",
    "compositions",
    "log_moment_series",
    "moment_series",
    "partitions",
    "truncate",
]

EPS = sp.Symbol("epsilon", positive=True)
"""The expansion variable :math:`\\varepsilon = 1/M`."""


@functools.lru_cache(maxsize=None)
def _loggamma_ratio_coefficients(order: int) -> tuple[sp.Expr, ...]:
    """Coefficients :math:`c_n(r)` with :math:`\\log\\Gamma(x+r) - \\log\\Gamma(x) - r\\log x \\sim \\sum_n c_n(r) x^{-n}`.

    Derived with :func:`sympy.series` at :math:`x = \\infty`; returns ``(c_1, ..., c_order)``, polynomials in
    the symbol ``r`` of :func:`_r`.
    """
    x = sp.Symbol("x", positive=True)
    r = _r()
    raw = sp.series(sp.loggamma(x + r) - sp.loggamma(x), x, sp.oo, order + 1).removeO()
    y = sp.Symbol("y", positive=True)
    rest = sp.expand(sp.expand_log(raw.subs(x, 1 / y) - r * sp.log(1 / y), force=True))
    poly = sp.Poly(rest, y)
    if poly.coeff_monomial(1) != 0 or rest.has(sp.log):
        raise ArithmeticError(f"unexpected constant in the log-gamma series: {rest}")
    return tuple(sp.expand(poly.coeff_monomial(y**n)) for n in range(1, order + 1))


@functools.lru_cache(maxsize=None)
def _r() -> sp.Symbol:
    return sp.Symbol("r")


def log_moment_series(law: ChiSquare, M: sp.Symbol, order: int) -> sp.Expr:
    r"""Series of :math:`K(r) = \log E[V^r]` in :math:`\varepsilon = 1/M` to :math:`O(\varepsilon^{order+1})`.

    ``law`` is a :class:`ChiSquare` whose dof and divisor are expressions in ``M``.  The power is the symbol
    ``r`` (see the example); :math:`E[\log V] = K'(0)` and :math:`\operatorname{Var}\log V = K''(0)`.

    Uses :math:`K(r) = r\log(k/D) + \sum_n c_n(r) (2/k)^n` with :math:`k` the dof and :math:`D` the divisor.

    >>> M = sp.Symbol("M", positive=True)
    >>> K = log_moment_series(ChiSquare(M - 1, M - 1), M, 2)
    >>> sp.factor(K.coeff(EPS, 1))
    r*(r - 1)
    """
    k = law.dof.subs(M, 1 / EPS)
    D = law.divisor.subs(M, 1 / EPS)
    r = _r()
    body = r * sp.log(k / D) + sum(c * (2 / k) ** n for n, c in enumerate(_loggamma_ratio_coefficients(order), 1))
    return sp.expand(sp.series(body, EPS, 0, order + 1).removeO())


def moment_series(law: ChiSquare, M: sp.Symbol, power: sp.Expr, order: int, log_power: int = 0) -> sp.Expr:
    r"""Series of :math:`E[V^{power} (\log V)^{log\_power}]` in :math:`\varepsilon = 1/M` to order ``order``.

    >>> M = sp.Symbol("M", positive=True)
    >>> moment_series(ChiSquare(M - 1, M - 1), M, sp.Rational(1, 2), 2)
    -7*epsilon**2/32 - epsilon/4 + 1
    """
    r = _r()
    K = log_moment_series(law, M, order)
    if log_power:
        expr = sp.diff(sp.exp(K), r, log_power).subs(r, power)
    else:
        expr = sp.exp(K.subs(r, power))
    return sp.expand(sp.series(expr, EPS, 0, order + 1).removeO())


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


def univariate_to_ring(expr: sp.Expr, gen: PolyElement) -> PolyElement:
    """Map a polynomial in :data:`EPS` with rational coefficients to the ring element in ``gen``."""
    poly = sp.Poly(sp.expand(expr), EPS)
    out = gen.ring.zero
    for (n,), c in poly.terms():
        out += gen.ring.domain.convert(c) * gen**n
    return out


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


def _monomial_composition(monom: Sequence[int]) -> tuple[int, ...]:
    return tuple(e for e in monom if e)


class NotQuasiSymmetricError(ArithmeticError):
    """A polynomial that should be quasi-symmetric is not: the derivation is inconsistent."""


class QuasiSymmetricSeries:
    r"""A truncated series :math:`\sum_\alpha c_\alpha M_\alpha(\varepsilon)` in the monomial quasi-symmetric basis.

    :math:`M_\alpha = \sum_{i_1<\dots<i_l} \varepsilon_{i_1}^{a_1}\cdots\varepsilon_{i_l}^{a_l}`.  Holds for
    any number of generations ``g`` (terms with more parts than ``g`` vanish).
    """

    __slots__ = ("coefficients", "order")

    def __init__(self, coefficients: Mapping[tuple[int, ...], sp.Rational], order: int) -> None:
        self.coefficients = {a: sp.Rational(c) for a, c in sorted(coefficients.items()) if c != 0}
        self.order = order

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
        return QuasiSymmetricSeries({a: c for a, c in self.coefficients.items() if sum(a) <= order}, order)

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
        """Numeric value at the given sizes (mpmath, current or given precision), in O(len(sizes)) per term."""
        ctx = mpmath.mp
        with ctx.workdps(prec_dps or ctx.dps):
            eps = [ctx.mpf(1) / m for m in sizes]
            total = ctx.mpf(0)
            for alpha, c in self.coefficients.items():
                total += ctx.mpf(c.p) / c.q * _eval_composition(eps, alpha, ctx)
            return +total

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


def _eval_composition(eps: Sequence, alpha: tuple[int, ...], ctx) -> object:
    """:math:`M_\\alpha(\\varepsilon)` by dynamic programming over positions."""
    if not alpha:
        return ctx.mpf(1)
    acc = [ctx.mpf(1)] + [ctx.mpf(0)] * len(alpha)
    for e in eps:
        for j in range(len(alpha), 0, -1):
            acc[j] += acc[j - 1] * e ** alpha[j - 1]
    return acc[-1]
