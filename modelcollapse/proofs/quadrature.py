r"""Expectations by numerical integration against the densities: the independent route of derivation steps.

The expectation engine (:mod:`modelcollapse.symbolic.expectation`) takes moments from formulas:
:math:`E Z^p = (p-1)!!`, :math:`E V^r = (2/D)^r\,\Gamma(k/2 + r)/\Gamma(k/2)`, log moments by differentiating
in :math:`r`.  Here every moment of every random symbol is an integral,
:math:`\int x^p (\log x)^n f(x)\,dx` by :func:`mpmath.quad` against the density :math:`f` the model's
assumptions state, and :math:`E[\text{expr}]` of a polynomial in independent random symbols is the sum over
its monomials of the products of those integrals (independence and Fubini).  The only thing shared with the
engine is SymPy's expansion of the polynomial into monomials: a wrong moment formula, a wrong degree of freedom
or divisor in the engine's laws, a dropped or doubled term in what the engine derived is seen here.

>>> import sympy as sp
>>> Z, V = sp.Symbol("Z", real=True), sp.Symbol("V", positive=True)
>>> laws = {Z: normal(), V: scaled_chi_square(4, 3)}
>>> with mpmath.workdps(20):
...     print(mpmath.nstr(expectation((1 + Z) ** 4 * V, laws), 15))   # 10 * E[chi2_4 / 3] = 40/3
13.3333333333333
>>> with mpmath.workdps(20):                       # E log(chi2_4 / 4) = psi(2) + log(2) - log(4)
...     print(mpmath.nstr(expectation(sp.log(V), {V: scaled_chi_square(4, 4)}), 12))
-0.270362845461
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

__all__ = ["Density", "density_of", "expectation", "moment", "normal", "scaled_chi_square"]


@dataclass(frozen=True)
class Density:
    """A density for :func:`mpmath.quad`: ``pdf``, the points ``breaks`` splitting its support, and a ``name``
    that identifies it (the moments are cached by name)."""

    name: str
    pdf: Callable[[Any], Any]
    breaks: tuple[Any, ...]


def normal() -> Density:
    r"""The standard normal density :math:`e^{-z^2/2}/\sqrt{2\pi}`."""
    return Density("N(0,1)", lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi), (-mpmath.inf, 0, mpmath.inf))


def scaled_chi_square(dof: int, divisor: Any) -> Density:
    r"""The density of :math:`V = \chi^2_k / D`: :math:`D\,f_{\chi^2_k}(D v)`, written out (no moment formula).

    Breaks at the mean :math:`k/D` and far in the tail, so that the quadrature resolves the bulk.
    """
    k = int(dof)
    if k < 1:
        raise ValueError(f"a chi-square density needs dof >= 1 (got {dof!r})")
    ratio = sp.Rational(divisor)
    D = mpmath.mpf(int(ratio.p)) / int(ratio.q)
    half = mpmath.mpf(k) / 2

    def pdf(v: Any) -> Any:
        if v <= 0:
            return mpmath.mpf(0)
        x = D * v
        return D * mpmath.exp((half - 1) * mpmath.log(x) - x / 2 - half * mpmath.log(2) - mpmath.loggamma(half))

    return Density(f"chi2_{k}/{mpmath.nstr(D, 30)}", pdf, (0, k / D, (4 * k + 40) / D, mpmath.inf))


def density_of(law: Any, values: Mapping[sp.Symbol, Any] | None = None) -> Density:
    """The density of one of the engine's laws (:class:`~modelcollapse.symbolic.expectation.StandardNormal`,
    :class:`~modelcollapse.symbolic.expectation.ChiSquare` with its degrees of freedom and divisor numbers once
    ``values`` are substituted): its parameters, not its moment formulas."""
    from ..symbolic.expectation import ChiSquare, StandardNormal

    if isinstance(law, StandardNormal):
        return normal()
    if isinstance(law, ChiSquare):
        dof, divisor = (sp.sympify(x).subs(dict(values or {})) for x in (law.dof, law.divisor))
        if not (dof.is_Integer and divisor.is_Rational):
            raise ValueError(f"a chi-square density needs numbers for its dof and divisor (got {dof}, {divisor})")
        return scaled_chi_square(int(dof), divisor)
    raise ValueError(f"no density for the law {law!r}")


_MOMENTS: dict[tuple[str, tuple[int, int], int, int], Any] = {}


def moment(density: Density, power: Any = 1, log_power: int = 0) -> Any:
    r""":math:`\int x^{power} (\log x)^{log\_power} f(x)\,dx` by :func:`mpmath.quad` at the working precision
    (cached by density name, power, log power and precision)."""
    r = sp.Rational(power)
    key = (density.name, (int(r.p), int(r.q)), int(log_power), mpmath.mp.dps)
    if key not in _MOMENTS:
        p = mpmath.mpf(int(r.p)) / int(r.q)
        n = int(log_power)

        def integrand(x: Any) -> Any:
            value = density.pdf(x)
            if p:
                value *= mpmath.power(x, p) if x > 0 or p == int(p) else mpmath.mpf(0)
            if n:
                value *= mpmath.log(x) ** n
            return value

        _MOMENTS[key] = mpmath.quad(integrand, list(density.breaks))
    return _MOMENTS[key]


def _factors(term: sp.Expr, laws: Mapping[sp.Symbol, Density]) -> tuple[sp.Expr, dict[sp.Symbol, list[Any]]]:
    """``(constant, {random symbol: [power, log power]})`` of one monomial."""
    const = sp.Integer(1)
    powers: dict[sp.Symbol, list[Any]] = {}
    for factor in sp.Mul.make_args(term):
        base, exp = factor.as_base_exp()
        if base in laws:
            powers.setdefault(base, [sp.Integer(0), 0])[0] += exp
        elif isinstance(base, sp.log) and base.args[0] in laws and exp.is_Integer and exp > 0:
            powers.setdefault(base.args[0], [sp.Integer(0), 0])[1] += int(exp)
        elif factor.free_symbols & set(laws):
            raise ValueError(f"cannot integrate the factor {factor}: products of powers of the random symbols "
                             "and of their logarithms only")
        else:
            const *= factor
    return const, powers


def expectation(expr: sp.Expr, laws: Mapping[sp.Symbol, Density], values: Mapping[sp.Symbol, Any] | None = None) -> Any:
    """:math:`E[\\text{expr}]` (an mpmath number) for independent random symbols with the given densities;
    every other symbol takes its number from ``values`` (mpmath or Python numbers)."""
    expr = sp.sympify(expr)
    if values:
        expr = expr.xreplace({k: sp.Float(v, mpmath.mp.dps + 5) if not isinstance(v, int) else sp.Integer(v)
                              for k, v in values.items()})
    expanded = sp.expand(sp.expand_log(expr, force=True), power_base=True, power_exp=True)
    total = mpmath.mpf(0)
    for term in sp.Add.make_args(expanded):
        const, powers = _factors(term, laws)
        if const.free_symbols:
            raise ValueError(f"expectation by quadrature needs numbers for {sorted(map(str, const.free_symbols))}")
        value = mpmath.mpf(sp.N(const, mpmath.mp.dps + 5))
        for rv, (p, n) in powers.items():
            value *= moment(laws[rv], p, n)
        total += value
    return total
