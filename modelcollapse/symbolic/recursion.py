r"""One runner for linear recursions :math:`m(i+1) = T_i\, m(i)`, generic over the coefficient type.

A model reduces a quantity after :math:`g` steps to a finite vector of moments :math:`m(i)` indexed by
hashable *labels* (the 1D Gaussian uses :math:`m_{a,b}(i) = E[(\mu_i - \mu)^a \sigma_i^b]`), with

.. math::  m_L(i+1) = \sum_{L'} T_{L,L'}(s_i)\, m_{L'}(i), \qquad
           \text{output}_k(i) = \sum_L w_{k,L}\, m_L(i).

The coefficients :math:`T_{L,L'}` are SymPy expressions in *step symbols* (the sample size :math:`M`; a
pool size, a real-data count or the generation index are further symbols), and step :math:`i` is a
:class:`Step`: values of the step symbols, :math:`s_i`, and the name of the table it uses (a recursion may
have several, e.g. a degenerate one for :math:`M = 1`).  :class:`LinearRecursion` holds that description;
:func:`run` is the only place it is iterated, in one of four :class:`Algebra` types:

* :class:`ExactAlgebra` -- SymPy, step values numbers or symbols;
* :class:`MpmathAlgebra` -- mpmath at a given precision;
* :class:`QuasiSymmetricAlgebra` -- truncated series in :math:`\varepsilon_i = 1/M_i`, keeping one
  monomial per composition (see the class);
* :class:`PolynomialSeriesAlgebra` -- the same series as full polynomials in
  :math:`\varepsilon_0, \dots, \varepsilon_{n-1}` (exponentially larger; an independent check).

:func:`closed_form` solves a *triangular* recursion for a symbolic number of steps (nested ``Sum`` and
``Product``).

The state is sparse: a label that no step has reached yet is zero, so the labels in play may grow with the
steps (every label ever used must be declared in ``labels``; a family of labels that grows with the
generation, such as the covariances of an :math:`O(g^2)` recursion, is written out for a given :math:`g`
with one table per step).

Examples
--------
The variance of a random walk with step variance :math:`1/M_i`: labels ``1`` and ``v``,
:math:`v(i+1) = v(i) + 1/M_i`.

>>> M = sp.Symbol("M", positive=True)
>>> walk = LinearRecursion(
...     labels=("1", "v"),
...     initial={"1": 1},
...     tables={"generic": {"1": {"1": 1}, "v": {"v": 1, "1": 1 / M}}},
...     outputs={"var": {"v": 1}},
...     symbols=(M,),
... )
>>> M0, M1 = sp.symbols("M_0 M_1", positive=True)
>>> run(walk, [Step({M: M0}), Step({M: M1})], ExactAlgebra())
{'var': 1/M_1 + 1/M_0}
>>> mpmath.nstr(run(walk, [Step({M: 3}), Step({M: 7})], MpmathAlgebra(30))["var"], 25)
'0.4761904761904761904761905'
>>> run(walk, [Step({M: 1 / EPS})] * 3, QuasiSymmetricAlgebra(2))["var"].coefficients
{(1,): 1}
>>> closed_form(walk, sp.Symbol("g"), lambda i: {M: sp.IndexedBase("M")[i]})
{'var': Sum(1/M[i_0], (i_0, 0, g - 1))}
"""

from __future__ import annotations

import contextlib
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import mpmath
import sympy as sp
from sympy.polys.rings import PolyElement

from .._validation import ParameterError, check_choice, check_integer
from .series import EPS, QuasiSymmetricSeries, eps_ring, expansion, truncate

__all__ = [
    "Algebra",
    "ExactAlgebra",
    "LinearRecursion",
    "MpmathAlgebra",
    "PolynomialSeriesAlgebra",
    "QuasiSymmetricAlgebra",
    "Step",
    "closed_form",
    "run",
]

Label = Hashable
Table = Mapping[Label, Mapping[Label, sp.Expr]]


@dataclass(frozen=True, slots=True)
class Step:
    """One step: values of the step symbols (a mapping, stored as sorted pairs) and the table it uses."""

    values: tuple[tuple[sp.Symbol, sp.Expr], ...]
    table: str = "generic"

    def __init__(self, values: Mapping[sp.Symbol, Any] | Iterable[tuple[sp.Symbol, Any]] = (), table: str = "generic"):
        pairs = values.items() if isinstance(values, Mapping) else values
        pairs = sorted(((sp.sympify(k), sp.sympify(v)) for k, v in pairs), key=lambda kv: sp.default_sort_key(kv[0]))
        object.__setattr__(self, "values", tuple(pairs))
        object.__setattr__(self, "table", table)

    def mapping(self) -> dict[sp.Symbol, sp.Expr]:
        """The step values as a dict ``{symbol: value}``."""
        return dict(self.values)


_CONSTANT = Step()
"""The step of output weights and initial values: no step symbol is assigned."""


@dataclass(frozen=True, eq=False)
class LinearRecursion:
    r"""A linear recursion :math:`m(i+1) = T_i m(i)` on moments indexed by ``labels``.

    Parameters
    ----------
    labels
        The labels of every moment the recursion uses (hashable, distinct).
    initial
        ``{label: m_label(0)}``; labels left out start at zero.
    tables
        ``{name: {target: {source: coefficient}}}``: :math:`T_{target,source}` as SymPy expressions in
        ``symbols`` (and constant parameters); a target left out of a table is zero after that step.
    outputs
        ``{name: {label: weight}}``: linear functionals :math:`\sum_L w_L m_L`.
    symbols
        The step symbols: every :class:`Step` given to :func:`run` assigns each of them.

    Compared by identity (it holds mappings); build it once and reuse it.
    """

    labels: tuple[Label, ...]
    initial: Mapping[Label, sp.Expr]
    tables: Mapping[str, Table]
    outputs: Mapping[str, Mapping[Label, sp.Expr]]
    symbols: tuple[sp.Symbol, ...]

    def __post_init__(self) -> None:
        labels = tuple(self.labels)
        if len(set(labels)) != len(labels):
            raise ParameterError(f"labels must be distinct (got {labels!r})")
        known = set(labels)

        def checked(name: str, labelled: Iterable[Label]) -> None:
            for label in labelled:
                if label not in known:
                    raise ParameterError(f"{name} names {label!r}, which must be one of labels (got {labels!r})")

        def frozen(name: str, mapping: Mapping[Label, Any]) -> Mapping[Label, sp.Expr]:
            checked(name, mapping)
            return MappingProxyType({label: sp.sympify(value) for label, value in mapping.items()})

        tables = {}
        for table, rows in self.tables.items():
            checked(f"tables[{table!r}]", rows)
            tables[table] = MappingProxyType({t: frozen(f"tables[{table!r}][{t!r}]", row) for t, row in rows.items()})
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "initial", frozen("initial", self.initial))
        object.__setattr__(self, "tables", MappingProxyType(tables))
        object.__setattr__(self, "outputs", MappingProxyType({k: frozen(f"outputs[{k!r}]", w) for k, w in self.outputs.items()}))
        object.__setattr__(self, "symbols", tuple(self.symbols))

    def table(self, name: str) -> Table:
        """The table ``name``; :class:`ParameterError` listing the tables otherwise."""
        try:
            return self.tables[name]
        except KeyError:
            raise ParameterError(f"table must be one of {', '.join(self.tables)} (got {name!r})") from None


# --------------------------------------------------------------------------------------------------------
# The runner


def run(
    recursion: LinearRecursion, steps: Iterable[Step], algebra: Algebra, record: str = "final"
) -> dict[str, Any] | tuple[dict[str, Any], ...]:
    """Iterate ``recursion`` over ``steps`` in ``algebra``; return the outputs ``{name: value}``.

    With ``record="all"`` returns the outputs after every step, generation 0 (the initial values) first.
    Each distinct step is converted once: its table's coefficients are turned into the algebra's type at the
    step's values, and reused for every later equal step.
    """
    record = check_choice("record", record, ("final", "all"))
    converted: dict[Step, list[tuple[Label, list[tuple[Label, Any]]]]] = {}
    with algebra.context():
        weights = {
            name: [(label, algebra.coefficient(w, _CONSTANT)) for label, w in ws.items()]
            for name, ws in recursion.outputs.items()
        }
        state = {label: algebra.element(v) for label, v in recursion.initial.items() if v != 0}
        history = [_outputs(weights, state, algebra)] if record == "all" else []
        for position, step in enumerate(steps):
            rows = converted.get(step)
            if rows is None:
                rows = converted[step] = _convert(recursion, step, position, algebra)
            state = {
                target: _combination(algebra, [(c, state[source]) for source, c in row if source in state], position)
                for target, row in rows
            }
            if record == "all":
                history.append(_outputs(weights, state, algebra))
        return tuple(history) if record == "all" else _outputs(weights, state, algebra)


def _convert(recursion: LinearRecursion, step: Step, position: int, algebra: Algebra) -> list:
    if not isinstance(step, Step):
        raise ParameterError(f"steps[{position}] must be a Step (got {step!r} of type {type(step).__name__})")
    missing = [s for s in recursion.symbols if s not in dict(step.values)]
    if missing:
        raise ParameterError(
            f"steps[{position}] must assign every step symbol {', '.join(map(str, recursion.symbols))} "
            f"(got {step.mapping()})"
        )
    table = recursion.table(step.table)
    values: dict[sp.Expr, Any] = {}  # equal coefficients are converted once
    for row in table.values():
        for c in row.values():
            if c not in values:
                values[c] = algebra.coefficient(c, step)
    return [(target, [(source, values[c]) for source, c in row.items()]) for target, row in table.items()]


def _combination(algebra: Algebra, terms: Sequence[tuple[Any, Any]], position: int | None) -> Any:
    """:math:`\\sum c\\, x` over ``terms`` in ``algebra``."""
    if not terms:
        return algebra.zero
    return functools.reduce(algebra.add, (algebra.mul(c, x, position) for c, x in terms))


def _outputs(weights: Mapping, state: Mapping, algebra: Algebra) -> dict[str, Any]:
    return {
        name: algebra.result(_combination(algebra, [(w, state[label]) for label, w in ws if label in state], None))
        for name, ws in weights.items()
    }


# --------------------------------------------------------------------------------------------------------
# Algebras


class Algebra(ABC):
    """The coefficient type of a run.

    A *coefficient* is a transition coefficient converted at a step's values (:meth:`coefficient`); an
    *element* is a state entry.  ``parameters`` (e.g. ``{sigma: 1}``) are substituted into every constant
    and coefficient.
    """

    def __init__(self, parameters: Mapping[sp.Symbol, Any] | None = None) -> None:
        self.parameters = {sp.sympify(k): sp.sympify(v) for k, v in (parameters or {}).items()}

    def _at(self, expr: sp.Expr, step: Step) -> sp.Expr:
        return sp.sympify(expr).subs(step.mapping()).subs(self.parameters)

    def _number(self, value: sp.Expr, allowed: Iterable[sp.Symbol] = ()) -> sp.Expr:
        """``value`` (parameters substituted), checked free of symbols other than ``allowed``."""
        value = sp.sympify(value).subs(self.parameters)
        if value.free_symbols - set(allowed):
            raise ParameterError(
                f"{type(self).__name__} constants must be numbers once parameters are substituted (got {value}; "
                f"give {', '.join(sorted(map(str, value.free_symbols - set(allowed))))} a value in parameters)"
            )
        return value

    @property
    @abstractmethod
    def zero(self) -> Any:
        """The zero element."""

    @abstractmethod
    def element(self, value: sp.Expr) -> Any:
        """A state entry from a constant (an initial value)."""

    @abstractmethod
    def coefficient(self, expr: sp.Expr, step: Step) -> Any:
        """The coefficient ``expr`` (in the step symbols) at the values of ``step``."""

    @abstractmethod
    def add(self, x: Any, y: Any) -> Any:
        """``x + y`` for two elements."""

    @abstractmethod
    def mul(self, c: Any, x: Any, position: int | None) -> Any:
        """Coefficient ``c`` of the step at ``position`` (``None``: a constant weight) times element ``x``."""

    def result(self, x: Any) -> Any:
        """An element as returned to the caller."""
        return x

    def context(self) -> contextlib.AbstractContextManager:
        """Entered around a run (the working precision of :class:`MpmathAlgebra`)."""
        return contextlib.nullcontext()


class ExactAlgebra(Algebra):
    """SymPy expressions: coefficients are ``subs`` of the step values (numbers or symbols)."""

    zero = sp.Integer(0)

    def element(self, value: sp.Expr) -> sp.Expr:
        return self._at(value, _CONSTANT)

    def coefficient(self, expr: sp.Expr, step: Step) -> sp.Expr:
        return self._at(expr, step)

    def add(self, x: sp.Expr, y: sp.Expr) -> sp.Expr:
        return x + y

    def mul(self, c: sp.Expr, x: sp.Expr, position: int | None) -> sp.Expr:
        return c * x


class MpmathAlgebra(Algebra):
    """mpmath numbers at ``dps`` significant digits; step values must be rational numbers.

    Coefficients are lambdified once per expression (:func:`sympy.lambdify`, module ``mpmath``) and, through
    :func:`run`, evaluated once per distinct step.  Choose ``dps`` with guard digits: moments of high order
    cancel from O(1) terms.
    """

    def __init__(self, dps: int, parameters: Mapping[sp.Symbol, Any] | None = None) -> None:
        super().__init__(parameters)
        self.dps = check_integer("dps", dps, minimum=1)
        self._arguments: dict[Step, tuple] = {}
        self._functions: dict[tuple, Callable] = {}

    @property
    def zero(self) -> mpmath.mpf:
        return mpmath.mpf(0)

    def element(self, value: sp.Expr) -> mpmath.mpf:
        return self.coefficient(value, _CONSTANT)

    def coefficient(self, expr: sp.Expr, step: Step) -> mpmath.mpf:
        symbols, args = self._arguments.get(step) or self._convert_values(step)
        f = self._functions.get((expr, symbols))
        if f is None:
            f = self._functions[expr, symbols] = _lambdified(self._number(expr, symbols), symbols)
        return mpmath.mpf(f(*args))

    def _convert_values(self, step: Step) -> tuple:
        for s, v in step.values:
            if not v.is_Rational:
                raise ParameterError(f"the mpmath algebra needs rational step values (got {s} = {v})")
        self._arguments[step] = (tuple(s for s, _ in step.values), [mpmath.mpf(v.p) / v.q for _, v in step.values])
        return self._arguments[step]

    def add(self, x: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
        return x + y

    def mul(self, c: mpmath.mpf, x: mpmath.mpf, position: int | None) -> mpmath.mpf:
        return c * x

    def context(self) -> contextlib.AbstractContextManager:
        return mpmath.workdps(self.dps)


@functools.lru_cache(maxsize=None)
def _lambdified(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable:
    return sp.lambdify(symbols, expr, modules="mpmath")


class _SeriesAlgebra(Algebra):
    r"""Shared by the series algebras: a coefficient is its expansion :math:`(c_0, \dots, c_{order})` in the
    :data:`~modelcollapse.symbolic.series.EPS` of its step.

    Series steps assign the step symbols in terms of ``EPS``, e.g. ``Step({M: 1/EPS})``; the step at position
    ``j`` of a run is read with :math:`\varepsilon_j` for ``EPS``.  Products are truncated at total degree
    ``order`` as they are formed.
    """

    def __init__(self, order: int, parameters: Mapping[sp.Symbol, Any] | None = None) -> None:
        super().__init__(parameters)
        self.order = check_integer("order", order, minimum=0)

    def coefficient(self, expr: sp.Expr, step: Step) -> tuple:
        return tuple(sp.QQ.from_sympy(c) for c in expansion(self._number(self._at(expr, step), (EPS,)), self.order))

    def _rational(self, value: sp.Expr) -> Any:
        return sp.QQ.from_sympy(self._number(value))


class QuasiSymmetricAlgebra(_SeriesAlgebra):
    r"""Truncated series in :math:`\varepsilon_0, \varepsilon_1, \dots`, one monomial per composition.

    An element is ``{composition: coefficient}``: the composition :math:`(a_1, \dots, a_l)` stands for the
    monomial :math:`\varepsilon_0^{a_1}\cdots\varepsilon_{l-1}^{a_l}`, whose support is the prefix
    :math:`\{0, \dots, l-1\}`.  Keeping only such monomials is a projection that commutes with the recursion:
    step :math:`j` multiplies by polynomials in :math:`\varepsilon_j` alone, and a monomial whose support is
    not a prefix never produces one that is.  So step :math:`j` keeps every composition (times :math:`c_0`)
    and extends those of length exactly :math:`j` by a part :math:`k` (times :math:`c_k`).  When every step is
    the identity at :math:`\varepsilon = 0` the result is quasi-symmetric, and these coefficients are all of
    it: :meth:`result` is a :class:`~modelcollapse.symbolic.series.QuasiSymmetricSeries`, valid for any number
    of generations once the run has at least ``order`` steps.  Order 8 carries :math:`2^8 = 256`
    compositions instead of :math:`\binom{16}{8}` monomials.
    """

    @property
    def zero(self) -> dict:
        return {}

    def element(self, value: sp.Expr) -> dict:
        c = self._rational(value)
        return {(): c} if c else {}

    def add(self, x: dict, y: dict) -> dict:
        out = dict(x)
        for alpha, v in y.items():
            out[alpha] = out.get(alpha, 0) + v
        return out

    def mul(self, c: tuple, x: dict, position: int | None) -> dict:
        out = {alpha: c[0] * v for alpha, v in x.items()} if c[0] else {}
        if position is None or len(c) == 1:
            return out
        for alpha, v in x.items():
            if len(alpha) != position:
                continue
            for k in range(1, min(len(c) - 1, self.order - sum(alpha)) + 1):
                if c[k]:
                    key = (*alpha, k)
                    out[key] = out.get(key, 0) + c[k] * v
        return out

    def result(self, x: dict) -> QuasiSymmetricSeries:
        return QuasiSymmetricSeries({alpha: sp.QQ.to_sympy(v) for alpha, v in x.items()}, self.order)


class PolynomialSeriesAlgebra(_SeriesAlgebra):
    r"""Truncated polynomials in :math:`\varepsilon_0, \dots, \varepsilon_{n-1}` (the ring of
    :func:`~modelcollapse.symbolic.series.eps_ring`), every monomial kept; for runs of at most ``nvars`` steps."""

    def __init__(self, order: int, nvars: int, parameters: Mapping[sp.Symbol, Any] | None = None) -> None:
        super().__init__(order, parameters)
        self.nvars = check_integer("nvars", nvars, minimum=0)
        self._ring, self._gens = eps_ring(self.nvars)

    @property
    def zero(self) -> PolyElement:
        return self._ring.zero

    def element(self, value: sp.Expr) -> PolyElement:
        return self._ring(self._rational(value))

    def add(self, x: PolyElement, y: PolyElement) -> PolyElement:
        return x + y

    def mul(self, c: tuple, x: PolyElement, position: int | None) -> PolyElement:
        if position is None:
            return x * c[0]
        if position >= self.nvars:
            raise ParameterError(f"the run must have at most nvars={self.nvars} steps (got step {position})")
        e = self._gens[position]
        return truncate(sum((x * ck * e**k for k, ck in enumerate(c) if ck), self._ring.zero), self.order)


# --------------------------------------------------------------------------------------------------------
# Symbolic number of steps


def closed_form(
    recursion: LinearRecursion,
    count: sp.Expr,
    values: Callable[[sp.Symbol], Mapping[sp.Symbol, sp.Expr]],
    *,
    table: str = "generic",
    sum_index: str = "i_{depth}",
    product_index: str = "j_{depth}",
) -> dict[str, sp.Expr]:
    r"""The outputs after ``count`` steps of ``table``, for a symbolic ``count``, as nested ``Sum``/``Product``.

    ``values(i)`` gives the step values of step ``i`` (e.g. ``{M: Mi[i]}``).  The table must be triangular
    (no cycle through off-diagonal coefficients); with :math:`\lambda_L = T_{L,L}`,

    .. math::  m_L(n) = m_L(0) \prod_{j<n} \lambda_L(j)
               + \sum_{i<n} \Bigl(\prod_{j=i+1}^{n-1} \lambda_L(j)\Bigr) \sum_{L' \ne L} T_{L,L'}(i)\, m_{L'}(i).

    ``sum_index`` and ``product_index`` name the bound variables, formatted with the nesting ``depth``.
    """
    rows = recursion.table(table)
    _check_triangular(rows, table)

    def moment(label: Label, upper: sp.Expr, depth: int) -> sp.Expr:
        row = rows.get(label, {})
        lam = row.get(label, sp.Integer(0))
        j = sp.Symbol(product_index.format(depth=depth), integer=True, nonnegative=True)
        init = recursion.initial.get(label, sp.Integer(0))
        out = init * _product(lam, values, j, 0, upper - 1) if init != 0 else sp.Integer(0)
        others = [(source, c) for source, c in row.items() if source != label]
        if others:
            i = sp.Symbol(sum_index.format(depth=depth), integer=True, nonnegative=True)
            inner = sp.Add(*(c.subs(values(i)) * moment(source, i, depth + 1) for source, c in others))
            out += sp.Sum(_product(lam, values, j, i + 1, upper - 1) * inner, (i, 0, upper - 1))
        return out

    return {name: sp.Add(*(w * moment(label, count, 0) for label, w in ws.items())) for name, ws in recursion.outputs.items()}


def _product(lam: sp.Expr, values: Callable, j: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lam == 1:
        return sp.Integer(1)
    return sp.Product(lam.subs(values(j)), (j, lo, hi))


def _check_triangular(rows: Table, table: str) -> None:
    done: set = set()

    def visit(label: Label, path: tuple) -> None:
        if label in path:
            raise ParameterError(f"table {table!r} must be triangular for closed_form (cycle through {path + (label,)})")
        if label in done:
            return
        for source in rows.get(label, {}):
            if source != label:
                visit(source, path + (label,))
        done.add(label)

    for label in rows:
        visit(label, ())
