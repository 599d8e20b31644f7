r"""Claims: a statement, its assumptions, checked derivation steps, exact form, series and Monte Carlo test.

A :class:`Claim` is a frozen record.  Nothing in it is taken on trust: :mod:`modelcollapse.proofs.verify`
checks each derivation step (exactly with SymPy where it can, and at random high-precision points with
mpmath), the series against the exact form to the claimed remainder order, and the exact form against
simulation with a powered, calibrated z-test.

*Published* claims carry the formula as printed in a paper (:class:`PublishedForm`); their verdict
(exact / correct to the stated order / refuted) is computed by comparing it with the derived series.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..symbolic.series import QuasiSymmetricSeries

__all__ = ["RELATIONS", "ROUTES", "STEP_KINDS", "Claim", "DerivationStep", "PublishedForm", "StepCheck"]


ROUTES = {
    "quadrature": "numerical integration against the densities (mpmath.quad), no moment formula used",
    "exact sum": "the expectation as an explicit sum over a discrete law (or its transition matrices)",
    "instances": "random instances of the model computed directly (e.g. a least-squares solve)",
    "alternative": "an exact derivation of the right side by another method (combinatorics, another model's "
                   "exact form, a closed-form density)",
    "points": "both sides are explicit expressions with no expectation left to take, evaluated at random "
              "points (independently of SymPy's symbolic proof)",
}
"""The independent routes a derivation step's numeric check may take: ways of reaching the right side that do
not go through the expectation engine (:mod:`modelcollapse.symbolic.expectation`) or the formulas the left
side was derived with.  A step with ``route=""`` has none and is labelled so in the report."""


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
    route: str = ""
    """The step's independent route (a key of :data:`ROUTES`), ``""`` for none."""
    route_ok: bool | None = None
    """Whether the numeric check (the independent route, where the step has one) agreed at every point;
    ``None`` when no point was evaluated."""
    kind: str = "identity"
    """The step's kind (:data:`STEP_KINDS`): every kind but ``identity`` must be proved by SymPy."""
    sides_error: float | None = None
    """Where the numeric check takes an independent route and the left side is an expression too: the largest
    relative difference of the left side itself from the right side (the derivation's own equality)."""


STEP_KINDS = ("identity", "base", "recurrence", "invariant")
"""How a :class:`DerivationStep` is read and checked:

* ``identity``: ``lhs = rhs`` (SymPy, then mpmath at random points of ``domain``);
* ``base``: the base case of an induction, ``lhs`` a closed form at ``index = 0`` (empty sums and products);
* ``recurrence``: ``lhs`` is a closed form at ``index + 1`` and ``rhs`` the one-step recursion applied to
  closed forms at ``index``; proved for symbolic ``index`` by splitting off the last term of every sum and
  the last factor of every product (:func:`~modelcollapse.proofs.induction.prove_recurrence`): the
  induction step of a closed form valid for every number of generations;
* ``invariant``: ``lhs = rhs`` for every integer ``index >= 0``: at ``index = 0``, and their difference does
  not change from ``index`` to ``index + 1`` (a telescoping proof, again for symbolic ``index``).

Base, recurrence and invariant steps are always proved exactly (no sample of ``index`` proves "for every g"); the
random points, when ``domain`` gives them, are an extra check."""


@dataclass(frozen=True, kw_only=True)
class DerivationStep:
    r"""One equality of a derivation, ``lhs = rhs``, with how to check it.

    ``domain`` maps each free symbol to a sampler ``rng -> value`` for the numeric check (sizes are
    integers, scales positive reals); an :class:`~sympy.IndexedBase` maps to a sampler of a list (its
    entries ``M[0], M[1], ...``).  ``numeric_lhs`` overrides how the left side is evaluated (for example
    an integral computed by :func:`mpmath.quad`); it receives the point, the lists of the indexed bases
    included.  ``route`` names how the numeric check is independent of the expectation engine and of the
    formulas the sides were derived with (:data:`ROUTES`; ``""``: it is not).

    ``display`` holds the rows the step is shown as, ``(left, right)`` pairs of LaTeX strings or SymPy
    expressions (printed with ``names`` for placeholder symbols); by default the one row ``lhs = rhs``.
    The last row is the step's own equation; rows before it state what it uses (e.g. the closed form whose
    induction step it is).  ``shown=False`` lists the step without a display (an identity too long to read).
    """

    description: str
    lhs: sp.Expr
    rhs: sp.Expr
    exact: bool = True
    domain: Mapping[Any, Callable[[random.Random], Any]] = field(default_factory=dict)
    numeric_lhs: Callable[[Mapping[sp.Symbol, Any]], Any] | None = None
    points: int = 3
    tolerance_digits: int = 20
    kind: Literal["identity", "base", "recurrence", "invariant"] = "identity"
    index: sp.Symbol | None = None
    """The induction variable of a ``recurrence`` or ``invariant`` step (the number of generations)."""
    display: tuple[tuple[Any, Any], ...] = ()
    names: Mapping[sp.Basic, str] = field(default_factory=dict)
    shown: bool = True
    route: str = ""
    """The numeric check's independent route, a key of :data:`ROUTES` (``""``: the step has none)."""

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {', '.join(STEP_KINDS)} (got {self.kind!r})")
        if self.route and self.route not in ROUTES:
            raise ValueError(f"step route must be one of {', '.join(ROUTES)} or empty (got {self.route!r})")
        if self.kind != "identity" and self.index is None:
            raise ValueError(f"a {self.kind} step needs its induction variable (index=)")

    @property
    def rows(self) -> tuple[tuple[Any, Any], ...]:
        """The displayed rows (``display``, or the one row ``lhs = rhs``)."""
        return self.display or ((self.lhs, self.rhs),)

    def latex(self) -> str:
        from ..export.latex import render

        return " \\\n".join(f"{render(a, names=self.names)} &= {render(b, names=self.names)}" for a, b in self.rows)

    def prove(self) -> bool | None:
        """``True`` if SymPy proves the step (for every value of ``index`` where it has one), else ``None``."""
        from .induction import prove_recurrence

        if self.kind == "recurrence":
            return prove_recurrence(self.lhs, self.rhs, self.index)
        if self.kind == "invariant":
            n = self.index
            difference = self.lhs - self.rhs
            if prove_zero(difference.subs(n, 0)) is not True:
                return None
            return prove_recurrence(difference.subs(n, n + 1), difference, n)
        return prove_zero(self.lhs - self.rhs)

    def check(self, seed: int = 0, *, exact: bool | None = None, points: int | None = None) -> StepCheck:
        """Check the step: SymPy first (if ``exact``; always for induction steps), then mpmath at ``points``
        random points of ``domain``.  With ``numeric_lhs``, the route it computes must equal the right side, and
        so must the left side itself wherever it is an expression that can be evaluated (not a placeholder such
        as ``E(...)``): the route does not excuse a wrong derivation."""
        do_exact = (self.exact if exact is None else exact) or self.kind != "identity"
        proved: bool | None = None
        if do_exact:
            proved = self.prove()
        rng = random.Random(seed)
        n = self.points if points is None else points
        bases = [k for k in self.domain if isinstance(k, sp.IndexedBase)]
        sides = self.numeric_lhs is not None and self._evaluable_lhs()
        exprs = [self.rhs] if self.numeric_lhs is not None and not sides else [self.rhs, self.lhs]
        labels = {b.label for e in exprs for b in e.atoms(sp.IndexedBase)}
        free_set = {s for s in self.domain if isinstance(s, sp.Symbol)}
        for e in exprs:
            free_set |= {s for s in e.free_symbols if isinstance(s, sp.Symbol) and s not in labels}
        free = sorted(free_set - set(_bound_symbols(self.lhs, self.rhs)), key=str)
        missing = [s for s in free if s not in self.domain]
        if missing and n:
            raise ValueError(f"derivation step {self.description!r} has no sampling domain for {missing}")
        worst = worst_sides = 0.0
        tiny = mpmath.mpf(10) ** -self.tolerance_digits

        def relative(a: Any, b: Any) -> float:
            return float(abs(a - b) / max(abs(a), abs(b), tiny))

        with mpmath.workdps(self.tolerance_digits + 15):
            for _ in range(n):
                point: dict[Any, Any] = {s: self.domain[s](rng) for s in free}
                values = {b: self.domain[b](rng) for b in bases}
                try:
                    rhs = _numeric(self.rhs, point, values)
                    lhs = (self.numeric_lhs({**point, **values}) if self.numeric_lhs is not None
                           else _numeric(self.lhs, point, values))
                    if sides:
                        worst_sides = max(worst_sides, relative(_numeric(self.lhs, point, values), rhs))
                except (ValueError, TypeError, ArithmeticError):
                    worst = math.inf  # a side that is not a number at a point of the domain: the step fails
                    continue
                worst = max(worst, relative(lhs, rhs))
        agrees = worst < 10.0**-self.tolerance_digits
        ok = agrees and worst_sides < 10.0**-self.tolerance_digits and (n > 0 or proved is True)
        if self.kind != "identity":
            ok = ok and proved is True
        return StepCheck(self.description, proved, worst if n else None, n, ok, self.route, agrees if n else None,
                         self.kind, worst_sides if n and sides else None)

    def _evaluable_lhs(self) -> bool:
        """Whether the left side is an expression in the domain's symbols (not a placeholder for an
        expectation, a residual or a function evaluated only by ``numeric_lhs``)."""
        for f in self.lhs.atoms(sp.Function):
            if isinstance(f, AppliedUndef) or not type(f).__module__.startswith("sympy."):
                return False  # E(...), or a function class of the package evaluated only by numeric_lhs
        labels = {b.label for b in self.lhs.atoms(sp.IndexedBase)}
        bound = set(_bound_symbols(self.lhs))
        known = {s for s in self.domain if isinstance(s, sp.Symbol)}
        return all(s in known for s in self.lhs.free_symbols
                   if isinstance(s, sp.Symbol) and s not in labels and s not in bound)


def prove_zero(expr: sp.Expr) -> bool | None:
    """``True`` if SymPy reduces ``expr`` to 0 by one of a few canonicalizations, else ``None`` (undecided).

    A failed simplification proves nothing, so this never returns ``False``; the numeric check decides.
    """
    from .induction import prove_zero_by_structure

    if prove_zero_by_structure(expr) is True:
        return True
    strategies = (
        sp.gammasimp,
        lambda e: sp.simplify(sp.gammasimp(e)),
        lambda e: sp.simplify(sp.gammasimp(sp.expand(sp.expand_log(sp.expand_func(e), force=True, factor=True)))),
    )
    for strategy in strategies:
        if strategy(expr) == 0:
            return True
    if expr.has(sp.Sum, sp.Product):
        done = expr.doit()
        if not done.has(sp.Sum, sp.Product) and done != expr:
            return prove_zero(done)
    return None


def _bound_symbols(*exprs: sp.Expr) -> list[sp.Symbol]:
    out: list[sp.Symbol] = []
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, (sp.Sum, sp.Product, sp.Integral)):
                out.extend(lim[0] for lim in node.limits)
    return out


def evaluate_at(expr: sp.Expr, point: Mapping[Any, Any]) -> mpmath.mpf:
    """``expr`` at a point of a step's domain (symbols to numbers, indexed bases to lists), at the working
    precision: what a ``numeric_lhs`` uses to evaluate a closed form."""
    symbols = {k: v for k, v in point.items() if not isinstance(k, sp.IndexedBase)}
    return _numeric(expr, symbols, {k: v for k, v in point.items() if isinstance(k, sp.IndexedBase)})


def _numeric(expr: sp.Expr, point: Mapping[sp.Symbol, Any], values: Mapping[sp.IndexedBase, Any] | None = None) -> mpmath.mpf:
    expr = expr.subs(point).doit()
    for base, seq in (values or {}).items():
        expr = expr.xreplace({ix: seq[int(ix.indices[0])] for ix in expr.atoms(sp.Indexed) if ix.base == base})
    value = sp.N(expr.doit(), mpmath.mp.dps)
    if value.free_symbols or not value.is_number:
        raise ValueError(f"not a number at this point: {value}")
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
    formula: str = ""
    """The right-hand side exactly as printed (LaTeX, with its remainder), in the publication's own indexing;
    the appendix shows it as the statement's labelled equation.  Empty: the published series (or, for a value
    form, :attr:`latex`) is printed."""
    formula_lhs: str = ""
    """The printed left-hand side (LaTeX); empty: the claim's :attr:`Claim.lhs_latex`."""
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
    """The unit in words; with :attr:`unit` 1 and a text other than ``"1"`` it names what the values are measured
    in (LaTeX text mode, e.g. ``units of the entries of $\\Sigma_0$``)."""
    series_symbols: tuple[Any, ...] = ()
    """``(M, g)``: the indexed sizes and the number of generations a series is written in."""
    display: Callable[[sp.Expr], tuple[sp.Expr, list[tuple[str, sp.Expr]]]] | None = None
    """Abbreviation for LaTeX: ``statement -> (shorter expression, [(name, definition)])``."""
    estimator: str = ""
    notes: str = ""
    scope: str = ""
    """Where the exact form holds, as the appendix's theorem states it (default: every ``g`` and all sizes)."""
    exact: bool = True
    """``False`` for a quantity without a closed form: :attr:`statement` is then the series to
    :attr:`series_order` (the remainder is O(M^-(series_order+1))), :attr:`exact_value` returns that series, and
    :attr:`mc_target` is required.  Verification then has no exact form to check the remainder order against:
    the claim's derivation steps must check the coefficients by independent routes (a reduction to an exact
    case, exact moments through the engine, ...), and its Monte Carlo check is made at sizes where the
    omitted terms are far below the standard error."""
    argument: str = ""
    """The part of the proof no derivation step checks (inequalities, limits, almost-sure statements), in
    LaTeX: the appendix prints it at the end of the derivation, as the written argument it is."""

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
