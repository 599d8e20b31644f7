r"""Exact expectations of expressions in independent standard normals and scaled chi-square variables.

An expression is a polynomial in the random symbols with constant (possibly symbolic) coefficients, where

* a standard normal :math:`Z` appears with non-negative integer powers, :math:`E[Z^p] = (p-1)!!` for even
  ``p`` and 0 for odd ``p``;
* a scaled chi-square :math:`V = \chi^2_k / D` appears with any real power and integer powers of
  :math:`\log V`; the moment is finite for ``r > -k/2`` and infinite (``oo``) for ``r <= -k/2``, and a symbolic
  ``k`` must carry assumptions that decide which (an undecidable condition raises, naming it):

  .. math::  E[V^r] = \left(\frac{2}{D}\right)^r \frac{\Gamma(k/2 + r)}{\Gamma(k/2)},
             \qquad E[V^r (\log V)^n] = \frac{\partial^n}{\partial r^n} E[V^r].

Because the variables are independent, the expectation of a monomial factors into one moment per variable;
:func:`expectation` expands the expression and applies this term by term.  Nothing is typed in: every
moment formula above is the only model-specific input, and everything else is algebra.

Examples
--------
>>> import sympy as sp
>>> Z = sp.Symbol("Z", real=True)
>>> S = sp.Symbol("S", positive=True)
>>> k = sp.Symbol("k", positive=True, integer=True)
>>> expectation((1 + Z)**4, {Z: StandardNormal()})
10
>>> sp.simplify(expectation(S**2, {S: ChiSquare(k, k)}))
(k + 2)/k
>>> expectation(sp.log(S), {S: ChiSquare(4, 4)})
-log(2) - EulerGamma + 1
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

__all__ = ["ChiSquare", "Law", "StandardNormal", "UnsupportedExpressionError", "expectation"]


class UnsupportedExpressionError(ValueError):
    """The expression is not a polynomial in the random symbols of a form the engine can integrate."""


class Law(ABC):
    """Distribution of one random symbol (abstract).  Subclasses are final."""

    @abstractmethod
    def moment(self, power: sp.Expr, log_power: int = 0) -> sp.Expr:
        """Return :math:`E[X^{power} (\\log X)^{log\\_power}]` as a SymPy expression."""

    @abstractmethod
    def latex(self) -> str:
        """LaTeX for the law, e.g. ``\\mathcal{N}(0, 1)``."""


@dataclass(frozen=True, slots=True)
class StandardNormal(Law):
    """:math:`Z \\sim \\mathcal{N}(0, 1)`."""

    def moment(self, power: sp.Expr, log_power: int = 0) -> sp.Expr:
        p = sp.sympify(power)
        if log_power:
            raise UnsupportedExpressionError("log of a normal variable has no finite moments here")
        if not (p.is_Integer and p >= 0):
            raise UnsupportedExpressionError(
                f"a standard normal may only appear with non-negative integer powers (got power {p})"
            )
        return sp.Integer(0) if p % 2 else sp.factorial2(p - 1)

    def latex(self) -> str:
        return r"\mathcal{N}(0, 1)"


@dataclass(frozen=True, slots=True)
class ChiSquare(Law):
    """:math:`V = \\chi^2_{dof} / divisor`; ``ChiSquare(k, k)`` is the scaled chi-square :math:`S = \\chi^2_k/k`."""

    dof: sp.Expr
    divisor: sp.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "dof", sp.sympify(self.dof))
        object.__setattr__(self, "divisor", sp.sympify(self.divisor))

    def moment(self, power: sp.Expr, log_power: int = 0) -> sp.Expr:
        r = sp.sympify(power)
        half = self.dof / 2
        # E[V^r] is finite iff r > -k/2 (the density ~ v^(k/2 - 1) at 0); a law needs k > 0, so r >= 0 always is
        domain = sp.true if r.is_nonnegative else sp.Gt(half + r, 0)
        if domain == sp.false:
            return sp.oo  # the integral of v^(r + k/2 - 1) near 0 diverges: E[V^r (log V)^n] is infinite
        if domain != sp.true:
            raise UnsupportedExpressionError(
                f"E[V^({r})] for V = chi^2_({self.dof})/{self.divisor} is finite only where {sp.sstr(half + r)} > 0; "
                "declare the degrees of freedom with assumptions that decide it or give numbers"
            )
        if log_power == 0:
            if r.is_Integer and r >= 0:
                # Gamma(k/2 + r)/Gamma(k/2) is a rising factorial for integer r.
                return sp.expand_func(sp.rf(half, r)) * (2 / self.divisor) ** r
            return (2 / self.divisor) ** r * sp.gamma(half + r) / sp.gamma(half)
        t = sp.Dummy("t")
        mgf = (2 / self.divisor) ** t * sp.gamma(half + t) / sp.gamma(half)
        out = sp.diff(mgf, t, log_power).subs(t, r)
        return sp.expand_func(sp.expand_log(sp.simplify(out), force=True))

    def latex(self) -> str:
        return rf"\chi^2_{{{sp.latex(self.dof)}}} / {sp.latex(self.divisor)}"


def _split_monomial(
    term: sp.Expr, law: Mapping[sp.Symbol, Law]
) -> tuple[sp.Expr, dict[sp.Symbol, list[sp.Expr]]]:
    """Split a product into (constant, {rv: [power, log_power]})."""
    const = sp.Integer(1)
    powers: dict[sp.Symbol, list[sp.Expr]] = {}
    for factor in sp.Mul.make_args(term):
        base, exp = factor.as_base_exp()
        if base in law:
            powers.setdefault(base, [sp.Integer(0), sp.Integer(0)])[0] += exp
        elif isinstance(base, sp.log) and base.args[0] in law:
            if not (exp.is_Integer and exp > 0):
                raise UnsupportedExpressionError(f"log powers must be positive integers (got {factor})")
            powers.setdefault(base.args[0], [sp.Integer(0), sp.Integer(0)])[1] += exp
        elif factor.free_symbols & law.keys():
            raise UnsupportedExpressionError(
                f"cannot integrate the factor {factor}: the engine handles products of powers of the "
                "random symbols and of their logarithms"
            )
        else:
            const *= factor
    return const, powers


def expectation(expr: sp.Expr, law: Mapping[sp.Symbol, Law]) -> sp.Expr:
    """Exact :math:`E[expr]` where the keys of ``law`` are independent random symbols.

    Symbols that are not keys of ``law`` are constants.  The result is not simplified beyond collecting
    terms; call :func:`sympy.simplify` or :func:`sympy.gammasimp` as needed.

    Raises
    ------
    UnsupportedExpressionError
        If a random symbol appears other than as a power (or, for a chi-square, its logarithm).
    """
    expr = sp.sympify(expr)
    if not expr.free_symbols & law.keys():
        return expr
    expanded = sp.expand(sp.expand_log(expr, force=True), power_base=True, power_exp=True)
    total = sp.Integer(0)
    for term in sp.Add.make_args(expanded):
        const, powers = _split_monomial(term, law)
        value = const
        for rv, (p, n) in powers.items():
            value *= law[rv].moment(p, int(n))
        total += value
    return total
