r"""Claims: a statement, its assumptions, checked derivation steps, exact form, series and Monte Carlo test.

A :class:`Claim` is a frozen record.  Nothing in it is taken on trust: :mod:`modelcollapse.proofs.verify`
checks each derivation step (exactly with SymPy where it can, and at random high-precision points with
mpmath), the series against the exact form to the claimed remainder order, and the exact form against
simulation with a powered, calibrated z-test.

*Published* claims carry the formula as printed in a paper (:class:`PublishedForm`); their verdict
(exact / correct to the stated order / refuted) is computed by comparing it with the derived series.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import mpmath
import sympy as sp

from ..symbolic.series import QuasiSymmetricSeries

__all__ = ["RELATIONS", "Claim", "DerivationStep", "PublishedForm", "StepCheck"]


@dataclass(frozen=True, slots=True)
class StepCheck:
    """How one derivation step was checked."""

    description: str
    exact: bool | None
    """``True``: SymPy proved ``lhs - rhs == 0``; ``None``: not attempted or undecided (numeric check only)."""
    max_rel_error: float | None
    """Largest relative difference at the random points (mpmath), or ``None`` if not evaluated."""
    points: int
    ok: bool


@dataclass(frozen=True, kw_only=True)
class DerivationStep:
    r"""One equality of a derivation, ``lhs = rhs``, with how to check it.

    ``domain`` maps each free symbol to a sampler ``rng -> value`` for the numeric check (sizes are
    integers, scales positive reals); ``numeric`` overrides how the left side is evaluated (for example
    an integral computed by :func:`mpmath.quad`).
    """

    description: str
    lhs: sp.Expr
    rhs: sp.Expr
    exact: bool = True
    domain: Mapping[sp.Symbol, Callable[[random.Random], Any]] = field(default_factory=dict)
    numeric_lhs: Callable[[Mapping[sp.Symbol, Any]], Any] | None = None
    points: int = 3
    tolerance_digits: int = 20

    def latex(self) -> str:
        from ..export.latex import to_latex

        return f"{to_latex(self.lhs)} &= {to_latex(self.rhs)}"

    def check(self, seed: int = 0, *, exact: bool | None = None, points: int | None = None) -> StepCheck:
        """Check the step: SymPy first (if ``exact``), then mpmath at ``points`` random points of ``domain``."""
        do_exact = self.exact if exact is None else exact
        proved: bool | None = None
        if do_exact:
            proved = prove_zero(self.lhs - self.rhs)
        rng = random.Random(seed)
        n = self.points if points is None else points
        worst = 0.0
        free_set = set(self.domain) | self.rhs.free_symbols
        if self.numeric_lhs is None:
            free_set |= self.lhs.free_symbols
        free = sorted(free_set - set(_bound_symbols(self.lhs, self.rhs)), key=str)
        missing = [s for s in free if s not in self.domain]
        if missing and n:
            raise ValueError(f"derivation step {self.description!r} has no sampling domain for {missing}")
        with mpmath.workdps(self.tolerance_digits + 15):
            for _ in range(n):
                point = {s: self.domain[s](rng) for s in free}
                rhs = _numeric(self.rhs, point)
                lhs = self.numeric_lhs(point) if self.numeric_lhs is not None else _numeric(self.lhs, point)
                scale = max(abs(rhs), abs(lhs), mpmath.mpf(10) ** -self.tolerance_digits)
                worst = max(worst, float(abs(lhs - rhs) / scale))
        ok = worst < 10.0**-self.tolerance_digits and (n > 0 or proved is True)
        return StepCheck(self.description, proved, worst if n else None, n, ok)


def prove_zero(expr: sp.Expr) -> bool | None:
    """``True`` if SymPy reduces ``expr`` to 0 by one of a few canonicalizations, else ``None`` (undecided).

    A failed simplification proves nothing, so this never returns ``False``; the numeric check decides.
    """
    strategies = (
        sp.gammasimp,
        lambda e: sp.simplify(sp.gammasimp(e)),
        lambda e: sp.simplify(sp.gammasimp(sp.expand(sp.expand_log(sp.expand_func(e), force=True, factor=True)))),
    )
    for strategy in strategies:
        if strategy(expr) == 0:
            return True
    return None


def _bound_symbols(*exprs: sp.Expr) -> list[sp.Symbol]:
    out: list[sp.Symbol] = []
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, (sp.Sum, sp.Product, sp.Integral)):
                out.extend(lim[0] for lim in node.limits)
    return out


def _numeric(expr: sp.Expr, point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
    value = sp.N(expr.subs(point).doit(), mpmath.mp.dps)
    return mpmath.mpf(str(value)) if value.is_real else mpmath.mpc(complex(value))


RELATIONS = ("=", "<=", ">=")
"""How a published value relates to the exact quantity: ``exact <relation> published``."""


@dataclass(frozen=True, kw_only=True)
class PublishedForm:
    """A formula as published: either its truncated 1/M series and the remainder order it states, or
    (``value``) a closed form or a bound evaluated at the model's parameters.

    A *value* form is judged exactly, at the parameter points ``probes`` (changes to the claim's
    parameters): ``exact`` / ``refuted`` for ``relation="="``, ``bound holds`` / ``refuted`` for a bound
    (``relation="<="``: the exact quantity is at most the published value; ``">="``: at least).  Points
    ``beyond`` the statement's assumptions are compared and reported too, without deciding the verdict
    (``exact in scope`` / ``bound holds in scope`` when one of them fails).
    """

    source: str
    """Where it is printed, e.g. "Shumailov et al. (2024), Nature 631, Methods, 1D Gaussian"."""
    text: str
    """The statement in words, as we read it."""
    series: QuasiSymmetricSeries | None = None
    """The published expansion (in units of sigma), as a quasi-symmetric series in 1/M_i."""
    remainder_order: int | None = None
    """The stated remainder is O(M^-remainder_order)."""
    value: Callable[[Mapping[str, Any], int], Any] | None = None
    """``(params, dps) -> value``: the published right side at model parameters (a value form)."""
    relation: str = "="
    """One of :data:`RELATIONS`: ``exact <relation> published`` is what the publication states."""
    latex: str = ""
    """The published right side in LaTeX (value forms; the appendix prints it)."""
    probes: tuple[Mapping[str, Any], ...] = ()
    """Value forms: the parameter changes at which the verdict is decided (exactly, at 50 digits)."""
    beyond: tuple[Mapping[str, Any], ...] = ()
    """Value forms: parameter changes outside the stated assumptions, compared and reported only."""
    tolerance: float = 1e-25
    """Value forms: relative slack of the comparison (the precision of the claim's exact values)."""
    reading: str = ""
    """How an ambiguous printed formula was read (e.g. ordered vs unordered pairs)."""
    alternatives: Mapping[str, Any] = field(default_factory=dict)
    """Other readings of the printed formula, checked too: series for an expansion, ``(params, dps) ->
    value`` callables for a value form (judged at the probes; their z-score at the evidence parameters)."""

    def __post_init__(self) -> None:
        if (self.series is None) == (self.value is None):
            raise ValueError("a published form needs exactly one of series (with remainder_order) or value")
        if self.series is not None and self.remainder_order is None:
            raise ValueError("a published series needs its remainder_order")
        if self.relation not in RELATIONS:
            raise ValueError(f"relation must be one of {', '.join(RELATIONS)} (got {self.relation!r})")
        if self.value is not None and not self.probes:
            raise ValueError("a published value form needs probes (parameter points of the verdict)")

    def evaluate(self, params: Mapping[str, Any], series_variable: str = "sizes", dps: int = 30) -> mpmath.mpf:
        """The published right side at ``params``: the series at ``params[series_variable]``, or the value."""
        if self.value is not None:
            with mpmath.workdps(dps):
                return mpmath.mpf(self.value(params, dps))
        assert self.series is not None
        return self.series.evaluate(list(params[series_variable]), dps)


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A checked result about one model quantity (see the module docstring).

    Everything model-specific that verification and export need is here, so that the generic layers
    never name a model: the parameters of the Monte Carlo check (:attr:`params`, complete, as the model's
    ``resolve`` returns them), the exact value as a function of parameters, the series and the parameter it
    expands in, the power target, the unit and the symbols the LaTeX of a series is written in.
    """

    id: str
    title: str
    model: str
    quantity: str
    lhs_latex: str
    statement: sp.Expr
    """Exact right-hand side, symbolic number of generations ``g`` (SymPy)."""
    assumptions: tuple[str, ...]
    steps: tuple[DerivationStep, ...]
    exact_value: Callable[[Mapping[str, Any], int], mpmath.mpf]
    """``(params, dps) -> value`` in the quantity's unit."""
    params: Mapping[str, Any]
    """The model parameters of the Monte Carlo check."""
    series_order: int | None = 2
    """Order of the claim's series in the inverse sizes, or ``None`` when the claim has no series."""
    series_of_order: Callable[[int], QuasiSymmetricSeries] | None = None
    series_variable: str = "sizes"
    """The schedule parameter :math:`M_i` the series expands in (:math:`\\varepsilon_i = 1/M_i`)."""
    statistic: str | None = None
    """Key of the simulation estimate tested (default: :attr:`quantity`)."""
    mc_target: Callable[[Mapping[str, Any]], float] | None = None
    """Size of the error the Monte Carlo check must resolve at given parameters (default: the first term the
    series omits)."""
    evidence_params: Mapping[str, Any] | None = None
    """Published claims: where the printed formula is tested against simulation."""
    references: tuple[str, ...] = ()
    kind: Literal["derived", "published"] = "derived"
    published: PublishedForm | None = None
    unit: sp.Expr = sp.Integer(1)
    """The quantity's unit as a SymPy expression (``sigma**2``): exact values are in this unit."""
    unit_text: str = "1"
    series_symbols: tuple[Any, ...] = ()
    """``(M, g)``: the indexed sizes and the number of generations a series is written in."""
    display: Callable[[sp.Expr], tuple[sp.Expr, list[tuple[str, sp.Expr]]]] | None = None
    """Abbreviation for LaTeX: ``statement -> (shorter expression, [(name, definition)])``."""
    estimator: str = ""
    notes: str = ""
    scope: str = ""
    """Where the exact form holds, as the appendix's theorem states it (default: every ``g`` and all sizes)."""

    @property
    def mc_sizes(self) -> tuple[int, ...]:
        """The schedule of the Monte Carlo check (``params[series_variable]``), ``()`` if it has none."""
        return tuple(self.params.get(self.series_variable, ()))

    @property
    def estimate_key(self) -> str:
        return self.statistic or self.quantity

    def at(self, **changes: Any) -> dict[str, Any]:
        """The check's parameters with some replaced (e.g. ``claim.at(sizes=(10, 20))``)."""
        return {**self.params, **changes}

    @property
    def equation(self) -> sp.Eq:
        """The statement as a SymPy equation, left side a symbol named by :attr:`lhs_latex`."""
        return sp.Eq(sp.Symbol(self.lhs_latex), self.statement, evaluate=False)

    def series(self, order: int | None = None) -> QuasiSymmetricSeries:
        """The claim's series (its own order by default)."""
        if self.series_of_order is None:
            raise ValueError(f"claim {self.id} has no series")
        return self.series_of_order(self.series_order if order is None else order)

    def series_value(self, order: int, params: Mapping[str, Any], dps: int = 30) -> mpmath.mpf:
        """The order-``order`` series evaluated at ``params`` (its schedule parameter)."""
        return self.series(order).evaluate(list(params[self.series_variable]), dps)

    # -- display -------------------------------------------------------------------------------------------
    def _repr_latex_(self) -> str:
        from ..export.latex import to_latex

        return f"$\\displaystyle {self.lhs_latex} = {to_latex(self.statement)}$"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {
            "text/plain": repr(self),
            "text/latex": self._repr_latex_(),
            "text/markdown": f"**{self.title}** (`{self.id}`, {self.kind})\n\n{self._repr_latex_()}",
        }

    def __repr__(self) -> str:
        tag = f"/{self.estimator}" if self.estimator else ""
        return f"Claim({self.id!r}, {self.kind}, {self.model}/{self.quantity}{tag})"
