r"""LaTeX for papers: the package's own printer, display forms of expressions, and width-aware line breaking.

Every expression the package prints goes through :func:`render`:

* :func:`paper_form` rewrites it for reading without changing its value: factors that do not depend on a
  summation index are taken out of the sum (signs included, so no ``\sum -x``), bound variables get clean
  names (:math:`i, j, k, \dots` by nesting, never SymPy's dummies ``i_0, j_1``), and the bodies of sums and
  products are written in their narrowest equal form (:func:`sympy.cancel`, :func:`sympy.factor`,
  :func:`sympy.logcombine`);
* :class:`PaperPrinter`, a :class:`sympy.printing.latex.LatexPrinter`, prints :math:`\psi` and
  :math:`\psi'` for ``polygamma(0, .)`` and ``polygamma(1, .)``, arguments with fractional coefficients over
  a common denominator (:math:`\Gamma\bigl(\tfrac{M-1}{2}\bigr)`, not :math:`\Gamma(M/2 - 1/2)`), indexed
  sizes as :math:`M_{i}`, the expectation function of derivation steps as :math:`E[\dots]` and abbreviated
  functions (``nu_4``) as :math:`\nu_{4}`.

Displays are broken by their printed width (:func:`visual_width`, calibrated in ems of the current font), in
two tiers: lines that fit a one-column page, and within them the extra breaks a two-column page needs,
written as ``\mcbreak`` (see :data:`MCBREAK_DEFINITION`), which breaks only when ``\linewidth`` is narrow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import sympy as sp
from sympy.core.traversal import bottom_up
from sympy.printing.latex import LatexPrinter

__all__ = [
    "LATEX_SETTINGS",
    "MCBREAK_DEFINITION",
    "SYMBOLS",
    "PaperPrinter",
    "abbreviate",
    "aligned",
    "break_tex",
    "clean_indices",
    "display_lines",
    "equation_block",
    "layout_rows",
    "monomial",
    "paper_form",
    "pull_constants",
    "render",
    "to_latex",
    "visual_width",
]

LATEX_SETTINGS: dict[str, Any] = {
    "mul_symbol": None,
    "fold_short_frac": False,
    "long_frac_ratio": 3,
    "ln_notation": False,
}
"""Settings of :class:`PaperPrinter` (those of :func:`sympy.latex` it accepts)."""

TERMS_PER_LINE = 2

LINE_WIDTH = 54.0
"""Width budget of one displayed line, in the units of :func:`visual_width` (about one math letter)."""


# ---------------------------------------------------------------------------------------------------------
# The printer

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
}
_ABBREV = re.compile(r"^([A-Za-z]+)_(\w+)$")


def _degree(e: sp.Basic) -> int:
    """The order of a term in the inverse sizes (1/M_i counts 1), roughly: for ordering terms only."""
    if isinstance(e, sp.Pow) and e.exp.is_Integer and (isinstance(e.base, sp.Indexed) or _binder(e.base)):
        return abs(int(e.exp)) * max(_degree(e.base), 1 if isinstance(e.base, sp.Indexed) else 0)
    if isinstance(e, sp.Indexed):
        return 0
    if isinstance(e, sp.Mul):
        return sum(_degree(a) for a in e.args)
    if _binder(e):
        return _degree(e.function)
    if isinstance(e, sp.Add):
        return max((_degree(a) for a in e.args), default=0)
    return 0


def _term_key(t: sp.Expr) -> tuple[int, int, int]:
    """Terms without sums or products first (sigma^2 + sigma^2 sum ..., not the other way round), then by their
    order in the inverse sizes (series read 1/M, then 1/M^2), then by nesting."""
    binders = sum(1 for n in sp.preorder_traversal(t) if _binder(n))
    return (binders > 0, _degree(t), binders)


class PaperPrinter(LatexPrinter):
    r""":func:`sympy.latex` for papers (see the module docstring).

    >>> x = sp.Symbol("x", positive=True)
    >>> PaperPrinter().doprint(sp.polygamma(1, x / 2 - sp.Rational(1, 2)))
    "\\psi'\\left(\\frac{x - 1}{2}\\right)"
    """

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__({**LATEX_SETTINGS, **(settings or {})})

    def _as_ordered_terms(self, expr: sp.Expr, order: Any = None) -> list[sp.Expr]:
        # the terms without sums or products first (sigma^2 + sigma^2 sum ..., not the other way round)
        terms = sorted(super()._as_ordered_terms(expr, order=order), key=_term_key)
        # a positive term first where the first of a kind is negative: M_j - R, not -R + M_j
        if terms and terms[0].could_extract_minus_sign():
            plain = not any(_term_key(t)[0] for t in terms)  # a polynomial: M^2 - 1, not -1 + M^2
            for n, t in enumerate(terms[1:], start=1):
                if not plain and _term_key(t) != _term_key(terms[0]):
                    break
                if not t.could_extract_minus_sign():
                    terms.insert(0, terms.pop(n))
                    break
        return terms

    def _nested(self, expr: sp.Expr, op: str) -> str:
        tex = " ".join(rf"\{op}_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}}"
                       for v, lo, hi in reversed(expr.limits))
        body = self._print(expr.function)
        return tex + " " + (rf"\left({body}\right)" if isinstance(expr.function, sp.Add) else body)

    def _print_Sum(self, expr: sp.Sum) -> str:
        return self._nested(expr, "sum")

    def _print_Product(self, expr: sp.Product) -> str:
        return self._nested(expr, "prod")

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        return f"{self._print(expr.base)}_{{{','.join(map(self._print, expr.indices))}}}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        # a symbol whose name is already LaTeX (a backslash, braces or spaces) prints as it is written
        if expr in self._settings["symbol_names"]:
            return self._settings["symbol_names"][expr]
        if any(c in expr.name for c in "\\{} "):
            return expr.name
        return super()._print_Symbol(expr, style=style)

    def _argument(self, x: sp.Expr) -> str:
        """A function argument; a sum with fractional coefficients over its common denominator."""
        if isinstance(x, sp.Add) and any(
            (c := t.as_coeff_Mul()[0]).is_Rational and not c.is_Integer for t in x.args
        ):
            num, den = sp.fraction(sp.together(x))
            if den.is_Integer and den > 1:
                return rf"\frac{{{self._print(sp.expand(num))}}}{{{self._print(den)}}}"
        return self._print(x)

    def _wrap(self, head: str, arg: str, exp: str | None) -> str:
        tex = rf"{head}\left({arg}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_gamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._wrap(r"\Gamma", self._argument(expr.args[0]), exp)

    def _print_loggamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._wrap(r"\log\Gamma", self._argument(expr.args[0]), exp)

    def _print_polygamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        n, x = expr.args
        head = {0: r"\psi", 1: r"\psi'"}.get(int(n), rf"\psi^{{({self._print(n)})}}") if n.is_Integer else None
        if head is None:
            return super()._print_polygamma(expr, exp)  # pragma: no cover - symbolic order
        if exp is not None:
            return rf"{head}\left({self._argument(x)}\right)^{{{exp}}}"
        return rf"{head}\left({self._argument(x)}\right)"

    def _print_digamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._wrap(r"\psi", self._argument(expr.args[0]), exp)

    def _print_trigamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._wrap(r"\psi'", self._argument(expr.args[0]), exp)

    def _print_log(self, expr: sp.Expr, exp: str | None = None) -> str:
        x = expr.args[0]
        if x.is_Atom or isinstance(x, sp.Indexed):
            tex = rf"\log {self._print(x)}"
            return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"
        return self._wrap(r"\log", self._print(x), exp)

    def _print_Function(self, expr: sp.Expr, exp: str | None = None) -> str:
        name = type(expr).__name__
        args = ", ".join(self._argument(a) for a in expr.args)
        m = _ABBREV.match(name)
        if name == "E" and len(expr.args) == 1:
            tex = rf"E\left[{args}\right]"
        elif m and m.group(1) in _GREEK:
            tex = rf"\{m.group(1)}_{{{m.group(2)}}}({args})"
        else:
            return super()._print_Function(expr, exp)
        return tex if exp is None else rf"{tex}^{{{exp}}}"


def render(expr: sp.Expr | str, *, names: Mapping[sp.Basic, str] | None = None, tidy: bool = True) -> str:
    r"""An expression as LaTeX for papers: :func:`paper_form`, then :class:`PaperPrinter`.

    ``names`` maps symbols to the LaTeX they print as (``{m20: "m_{2,0}(g)"}``).  A string is returned as is.

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> render(G.Mi[0] ** -1)
    '\\frac{1}{M_{0}}'
    >>> render(sp.Function("E")(G.sigma ** 2))
    'E\\left[\\sigma^{2}\\right]'
    >>> render(G.exact_symbolic_g("var_x"))
    '\\sigma^{2} + \\sigma^{2} \\sum_{i=0}^{g - 1} \\frac{1}{M_{i}}'
    """
    if isinstance(expr, str):
        return expr
    expr = sp.sympify(expr)
    if tidy:
        expr = paper_form(expr)
    settings = {"symbol_names": dict(names)} if names else {}
    return PaperPrinter(settings).doprint(expr)


def to_latex(expr: sp.Expr) -> str:
    """One expression as LaTeX (the same as :func:`render`)."""
    return render(expr)


def monomial(base: str, power: int | sp.Expr) -> str:
    r"""``base^{power}`` with the unit powers left out: ``1`` for power 0, ``base`` for power 1.

    >>> monomial(r"\sigma", 1), monomial(r"\sigma", 0), monomial(r"\sigma", 4)
    ('\\sigma', '1', '\\sigma^{4}')
    """
    if power == 0:
        return "1"
    if power == 1:
        return base
    return f"{base}^{{{power}}}"


# ---------------------------------------------------------------------------------------------------------
# Display forms (value-preserving rewrites)


def _binder(e: sp.Basic) -> bool:
    return isinstance(e, (sp.Sum, sp.Product))


def pull_constants(expr: sp.Expr) -> sp.Expr:
    r"""Take the factors a sum's terms share and that do not depend on its index out of the sum.

    >>> i, g = sp.symbols("i g", integer=True)
    >>> x = sp.IndexedBase("x")
    >>> pull_constants(sp.Sum(-2 * g * x[i], (i, 0, g)))
    -2*g*Sum(x[i], (i, 0, g))
    """

    def rule(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Sum) and len(node.limits) == 1:
            var = node.limits[0][0]
            body = sp.factor_terms(node.function)
            indep, dep = body.as_independent(var, as_Add=False)
            if indep != 1:
                return indep * sp.Sum(dep, *node.limits)
            if body != node.function:
                return sp.Sum(body, *node.limits)
        return node

    return bottom_up(sp.sympify(expr), rule)


INDEX_NAMES = ("i", "j", "k", "l", "n", "p", "q")
"""Names of bound variables, outermost first (the series of :mod:`modelcollapse.symbolic.series` use ``i``)."""


def _names_in(e: sp.Basic) -> set[str]:
    out = {s.name for s in e.free_symbols if isinstance(s, sp.Symbol)}
    out |= {b.label.name for b in e.atoms(sp.IndexedBase)}
    return out


def _bound_names(e: sp.Basic) -> set[str]:
    return {lim[0].name for node in sp.preorder_traversal(e) if _binder(node) for lim in node.limits}


def clean_indices(expr: sp.Expr, names: tuple[str, ...] = INDEX_NAMES) -> sp.Expr:
    r"""Rename every bound variable (of ``Sum`` and ``Product``): the outermost ``i``, nested ones ``j``,
    ``k``, ...; factors of one product get different names; free symbols are never shadowed.

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> clean_indices(G.exact_symbolic_g("var_x", "mle"))
    sigma**2*Product(1 - 1/M[i], (i, 0, g - 1)) + Sum(sigma**2*Product(1 - 1/M[j], (j, 0, i - 1))/M[i], (i, 0, g - 1))
    """
    expr = sp.sympify(expr)
    free = _names_in(expr)

    def rename(e: sp.Basic, new_var: Any, walk_bounds: Any, walk_body: Any) -> sp.Basic:
        """A binder with its variables renamed, outermost (last limit) first: an outer variable is in scope
        in the bounds of the inner limits and in the body."""
        body = e.function
        limits = [list(lim) for lim in e.limits]
        for k in reversed(range(len(limits))):
            var = limits[k][0]
            new = new_var(var)
            limits[k][1:] = [walk_bounds(b) for b in limits[k][1:]]
            limits[k][0] = new
            body = body.xreplace({var: new})
            for inner in limits[:k]:
                inner[1:] = [b.xreplace({var: new}) for b in inner[1:]]
        return e.func(walk_body(body), *(tuple(lim) for lim in limits))

    def fresh(e: sp.Basic) -> sp.Basic:
        # alpha-rename every binder to a unique dummy first, so that later renaming cannot capture
        if _binder(e):
            return rename(e, lambda v: sp.Dummy(v.name, **v.assumptions0), fresh, fresh)
        if not e.args:
            return e
        return e.func(*(fresh(a) for a in e.args))

    def pick(taken: set[str]) -> str:
        for n in names:
            if n not in taken:
                return n
        k = 1
        while f"i_{k}" in taken:  # pragma: no cover - more nesting than names
            k += 1
        return f"i_{k}"

    def walk(e: sp.Basic, taken: set[str]) -> sp.Basic:
        if _binder(e):
            inner = set(taken)

            def new_var(var: sp.Symbol) -> sp.Symbol:
                name = pick(inner)
                inner.add(name)
                return sp.Symbol(name, **{k: v for k, v in var.assumptions0.items() if k != "dummy"})

            return rename(e, new_var, lambda b: walk(b, taken), lambda body: walk(body, inner))
        if not e.args:
            return e
        if isinstance(e, sp.Mul):
            out, local = [], set(taken)
            for a in e.args:
                b = walk(a, local)
                local |= _bound_names(b)
                out.append(b)
            return sp.Mul(*out)
        return e.func(*(walk(a, taken) for a in e.args))

    return walk(fresh(expr), free)


def _plain_width(expr: sp.Expr) -> float:
    return visual_width(PaperPrinter().doprint(expr))


def _narrowest(body: sp.Expr) -> sp.Expr:
    """The narrowest printed of a few equal forms of a sum's or product's body."""
    if body.has(sp.Sum, sp.Product):
        return body
    forms = [body]
    for f in (sp.cancel, sp.factor, lambda e: sp.logcombine(e, force=True)):
        try:
            forms.append(f(body))
        except (sp.PolificationFailed, ValueError, TypeError, NotImplementedError):  # pragma: no cover
            pass
    return min(forms, key=lambda e: (_plain_width(e), sp.count_ops(e)))


def _tidy_bodies(expr: sp.Expr) -> sp.Expr:
    def rule(node: sp.Basic) -> sp.Basic:
        if _binder(node):
            body = _narrowest(node.function)
            if body != node.function:
                return node.func(body, *node.limits)
        return node

    return bottom_up(expr, rule)


def paper_form(expr: sp.Expr) -> sp.Expr:
    r"""The expression as it is printed: narrowest bodies, constants out of sums, clean indices (same value).

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> paper_form(G.exact_symbolic_g("mean_log_sigma2"))
    Sum(log(2/(M[i] - 1)) + polygamma(0, M[i]/2 - 1/2), (i, 0, g - 1))
    """
    expr = sp.sympify(expr)
    if not expr.has(sp.Sum, sp.Product):
        return expr
    return clean_indices(pull_constants(_tidy_bodies(expr)))


# ---------------------------------------------------------------------------------------------------------
# Generic notation

SYMBOLS: dict[str, tuple[str, str]] = {
    "E": (r"E", r"expectation over every refit (and, for a sample, the final draw)"),
    "Var": (r"\operatorname{Var}", r"variance"),
    "O": (r"O(M^{-k})", r"terms of total degree $\ge k$ in the small parameters (e.g.\ the $1/M_i$), as they tend to 0 at fixed $g$"),
}
"""The generic notation: ``name -> (LaTeX, meaning)``; each model adds its own (``Model.notation``)."""


def split_lines(expr: sp.Expr, terms_per_line: int = TERMS_PER_LINE, max_chars: int = 160) -> list[str]:
    """Break a long sum into lines of LaTeX (each continuation line starts with its sign)."""
    tex = render(expr)
    return break_tex(tex, LINE_WIDTH) if visual_width(tex) > LINE_WIDTH else [tex]


def aligned(lhs: str, rhs: sp.Expr | str, *, label: str | None = None, env: str = "align") -> str:
    """An ``align`` block ``lhs &= rhs`` with long right-hand sides broken over lines."""
    rows = display_lines(lhs, rhs if isinstance(rhs, str) else render(rhs))
    if label:
        body = [ln + r" \nonumber" for ln in rows[:-1]] + [rows[-1] + f" \\label{{{label}}}"]
    else:
        body = rows
        if env == "align":
            env = "align*"
    return f"\\begin{{{env}}}\n" + " \\\\\n".join(body) + f"\n\\end{{{env}}}"


# -- product abbreviations ---------------------------------------------------------------------------------


def _match_moment(
    body: sp.Expr, size: sp.Expr, moment: Callable[[int, int], Any] | None
) -> tuple[int, sp.Expr] | None:
    """``(r, c)`` if ``body`` (a function of ``size`` only) equals ``c * moment(r, M)`` at a few sizes, with
    ``c`` a rational or the square root of one (``2 sqrt(2)``), else ``None``."""
    if moment is None:
        return None
    f = sp.lambdify(size, body, modules="mpmath")
    points = (5, 9, 17, 30)
    with mpmath.workdps(40):
        try:
            values = [mpmath.mpf(f(mpmath.mpf(m))) for m in points]
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        for r in range(1, 9):
            ratios = [v / moment(r, m) for v, m in zip(values, points, strict=True)]
            if any(abs(q - ratios[0]) > mpmath.mpf(10) ** -30 * abs(ratios[0]) for q in ratios):
                continue
            square = sp.Rational(mpmath.nstr(ratios[0] ** 2, 35)).limit_denominator(10**6)
            if square <= 0 or abs(mpmath.mpf(square.p) / square.q - ratios[0] ** 2) > mpmath.mpf(10) ** -30:
                continue
            c = sp.sqrt(square) * (1 if ratios[0] > 0 else -1)
            return r, c
    return None


def _special(e: sp.Expr) -> bool:
    return e.has(sp.gamma, sp.polygamma, sp.loggamma, sp.beta)


def abbreviate(
    expr: sp.Expr, moment: Callable[[int, int], Any] | None = None, *, family: str = "nu"
) -> tuple[sp.Expr, list[tuple[str, sp.Expr]]]:
    r"""Name the one-size functions of an expression that involve special functions.

    The body of a ``Product`` over one size :math:`M_j`, and any factor of a term that depends on one size
    :math:`M_i` only, equal to ``moment(r, M)`` (the model's :math:`r`-th moment of one step's scale factor,
    e.g. :math:`E[(\sigma_{j+1}/\sigma_j)^r]`), up to a power of the size, becomes ``family_r`` (printed
    :math:`\nu_r(M_j)`); a product body with special functions that matches no moment becomes
    :math:`\kappa_k(M_j)`.  Bodies without special functions are kept (:math:`\prod_j (1 - 1/M_j)` reads
    better than a name).  Returns the new expression and the definitions ``(name, body in M)``, in order
    of ``r`` (then ``k``).  The expression is unchanged in value.

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> short, defs = abbreviate(G.exact_symbolic_g("mean_sigma"), G.refit_moment)
    >>> render(short)
    '\\sigma \\prod_{i=0}^{g - 1} \\nu_{1}(M_{i})'
    >>> [(name, render(body)) for name, body in defs]
    [('nu_1', '\\frac{\\sqrt{2} \\Gamma\\left(\\frac{M}{2}\\right)}{\\sqrt{M - 1} \\Gamma\\left(\\frac{M - 1}{2}\\right)}')]
    """
    M = sp.Symbol("M", positive=True, integer=True)
    names: dict[sp.Expr, str] = {}
    kappas = 0

    def one_size(e: sp.Expr) -> sp.Indexed | None:
        sizes = e.atoms(sp.Indexed)
        if len(sizes) != 1:
            return None
        size = next(iter(sizes))
        if e.free_symbols - {size, *size.free_symbols}:
            return None
        return size

    def named(body_m: sp.Expr, local: bool) -> tuple[str, sp.Expr] | None:
        """``(name, c)``: ``body_m = c * name(M)``."""
        nonlocal kappas
        match = _match_moment(body_m, M, moment)
        if match is not None:
            r, c = match
            key = sp.expand(body_m / c)
            names.setdefault(key, f"{family}_{r}")
            return names[key], c
        if not local:
            return None
        if body_m not in names:
            kappas += 1
            names[body_m] = f"kappa_{kappas}"
        return names[body_m], sp.Integer(1)

    def product(node: sp.Product) -> sp.Expr:
        body = node.function
        size = one_size(body)
        if size is None or not _special(body):
            return node
        found = named(body.subs(size, M), local=True)
        assert found is not None
        name, c = found
        if c != 1:  # a constant factor of a product's body would be raised to the number of factors
            names.pop(sp.expand(body.subs(size, M) / c), None)
            kappas_name, _ = named(body.subs(size, M), local=True) or (name, c)
            return sp.Product(sp.Function(kappas_name)(size), *node.limits)
        return sp.Product(sp.Function(name)(size), *node.limits)

    def factor(node: sp.Mul) -> sp.Expr:
        if not _special(node):
            return node
        special = [f for f in node.args if _special(f) and one_size(f) is not None]
        if not special:
            return node
        size = one_size(sp.Mul(*special))
        if size is None:
            return node
        rest, dep = node.as_independent(size, as_Add=False)
        for k in range(0, 5):
            for power in dict.fromkeys((k, -k)):
                body_m = sp.powsimp(dep * size**power).subs(size, M)
                if _special(body_m):
                    found = named(body_m, local=False)
                    if found is not None:
                        name, c = found
                        return rest * c * size ** (-power) * sp.Function(name)(size)
        return node

    out = expr.replace(lambda e: isinstance(e, sp.Product), product)
    out = out.replace(lambda e: isinstance(e, sp.Mul), factor)
    defs = [(n, _display_form(b)) for b, n in names.items()]
    defs.sort(key=lambda d: (not d[0].startswith(family + "_"), int(d[0].rsplit("_", 1)[1])))
    return out, defs


def _display_form(body: sp.Expr) -> sp.Expr:
    """The narrowest of a few equal forms of a one-variable expression."""
    forms = [body]
    for f in (sp.gammasimp, lambda e: sp.factor(sp.gammasimp(e)), sp.cancel):
        try:
            forms.append(f(body))
        except (sp.PolificationFailed, ValueError, TypeError):  # pragma: no cover - defensive
            pass
    return min(forms, key=lambda e: (visual_width(render(e)), render(e)))


# -- printed width and line breaking -------------------------------------------------------------------------

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_WIDTHS = {
    r"\left": 0.0, r"\right": 0.0, r"\bigl": 0.0, r"\bigr": 0.0, r"\Bigl": 0.0, r"\Bigr": 0.0,
    r"\biggl": 0.0, r"\biggr": 0.0, r"\,": 0.3, r"\;": 0.45, r"\:": 0.4, r"\!": -0.3, r"\quad": 2.0,
    r"\qquad": 4.0, r"\times": 2.0, r"\cdot": 1.5, r"\mid": 1.6, r"\dots": 2.0, r"\ldots": 2.0, r"\log": 2.4,
    r"\ne": 2.0, r"\le": 2.0, r"\ge": 2.0, r"\infty": 1.3, r"\nonumber": 0.0, r"\displaystyle": 0.0,
}
_TEXT_COMMANDS = (r"\text", r"\textup", r"\mathrm", r"\operatorname", r"\texttt", r"\textit")
_BIG_OPERATORS = (r"\sum", r"\prod")


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at ``s[i]`` (a brace group, a command or one character) and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1 : j], j + 1
        return s[i + 1 :], len(s)
    m = _COMMAND.match(s, i)
    if m:
        return m.group(0), m.end()
    return s[i], i + 1


def visual_width(tex: str) -> float:
    r"""Approximate printed width of display-style math, in letters: fractions count their wider part,
    scripts 0.7, big operators their limits, ``\left``/``\right`` nothing.

    >>> visual_width(r"\frac{1}{M_{i}} + x")
    4.9
    """
    total = 0.0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = _COMMAND.match(tex, i)
            assert m is not None
            name, i = m.group(0), m.end()
            if name in (r"\frac", r"\dfrac", r"\tfrac"):
                a, i = _group(tex, i)
                b, i = _group(tex, i)
                total += max(visual_width(a), visual_width(b)) + 0.4
            elif name == r"\sqrt":
                a, i = _group(tex, i)
                total += visual_width(a) + 1.2
            elif name in (r"\mathcal", r"\mathbb", r"\mathbf", r"\boldsymbol", r"\mathit"):
                a, i = _group(tex, i)
                total += visual_width(a)
            elif name in _TEXT_COMMANDS:
                a, i = _group(tex, i)
                total += 0.9 * len(re.sub(r"\\[A-Za-z]+|[{}$]", "", a))
            elif name in _BIG_OPERATORS:
                limits = [2.0]
                while i < len(tex) and tex[i] in "_^":
                    a, i = _group(tex, i + 1)
                    limits.append(0.7 * visual_width(a))
                total += max(limits)
            elif name in (r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\biggl", r"\biggr"):
                _, i = _group(tex, i)
                total += 0.0 if tex[i - 1] == "." else 1.0
            else:
                total += _WIDTHS.get(name, 1.0)
        elif c in "^_":
            a, i = _group(tex, i + 1)
            total += 0.7 * visual_width(a)
        elif c in "{} &":
            i += 1
        elif c in "+-=<>":
            total += 1.8
            i += 1
        elif c in "()[]|,.;'":
            total += 0.6
            i += 1
        else:
            total += 1.0
            i += 1
    return round(total, 6)


def _top_tokens(tex: str) -> list[str]:
    """Split at spaces outside braces and ``\\left ... \\right``: factors, signs and big operators."""
    tokens: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = _COMMAND.match(tex, i)
            assert m is not None
            if m.group(0) == r"\left":
                depth += 1
            elif m.group(0) == r"\right":
                depth -= 1
            i = m.end()
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == " " and depth == 0:
            if i > start:
                tokens.append(tex[start:i])
            start = i + 1
        i += 1
    if start < len(tex):
        tokens.append(tex[start:])
    return tokens


def _terms(tokens: list[str]) -> list[list[str]]:
    """Group top-level tokens into terms, each starting with its sign (``+``/``-``) after the first."""
    terms: list[list[str]] = []
    for n, t in enumerate(tokens):
        if t in ("+", "-") and n > 0 and tokens[n - 1] not in ("+", "-", "=") and not _is_operator(tokens[n - 1]):
            terms.append([t])
        elif not terms:
            terms.append([t])
        else:
            terms[-1].append(t)
    return terms


def _is_operator(token: str) -> bool:
    """A big operator with its limits only (``\\sum_{i=0}^{g-1}``): its scope is what follows."""
    return token.startswith(_BIG_OPERATORS) and token.endswith("}") and re.match(
        r"^\\(sum|prod)(_\{.*\}|\^\{.*\})*$", token) is not None


def _open_group(token: str) -> tuple[str, str] | None:
    r"""``(inner, suffix)`` if ``token`` is ``\left( inner \right)suffix``."""
    if not (token.startswith(r"\left(") and r"\right)" in token):
        return None
    depth = 0
    for m in re.finditer(r"\\left|\\right", token):
        depth += 1 if m.group(0) == r"\left" else -1
        if depth == 0:
            if token[m.end() : m.end() + 1] != ")":
                return None
            return token[len(r"\left(") : m.start()], token[m.end() + 1 :]
    return None


def _units_of(term: list[str]) -> list[list[str]]:
    """A term's tokens grouped into the pieces a line may break between: a sign or a number, and a big
    operator with its limits, stay with the factor that follows them."""
    units: list[list[str]] = []
    pending: list[str] = []
    for token in term:
        pending.append(token)
        if token in ("+", "-", r"\times") or re.fullmatch(r"[-+]?\d+", token) or _is_operator(token):
            continue
        units.append(pending)
        pending = []
    if pending:
        if units:
            units[-1] += pending
        else:
            units.append(pending)
    return units


def break_tex(tex: str, width: float = LINE_WIDTH, first: float | None = None) -> list[str]:
    r"""Break a LaTeX expression into lines of printed width at most ``width`` (``first`` for line one).

    Lines break before a top-level ``+``/``-``; a term wider than a line starts a line of its own and breaks
    between its factors (the next line starts with ``\times``; never after a sign, a number or a big
    operator), and a parenthesized sum wider than a line is opened into ``\biggl( ... \biggr)`` and broken
    inside.  Joining the lines with spaces (and dropping the ``\times`` that start lines) gives the same
    mathematics.

    >>> break_tex(r"a + b + c", width=4.5)
    ['a + b', '+ c']
    >>> break_tex(r"2 x_{1} \sum_{i=0}^{g - 1} y_{i} z_{i}", width=7)
    ['2 x_{1}', '\\times \\sum_{i=0}^{g - 1} y_{i}', '\\times z_{i}']
    """
    first = width if first is None else first
    lines: list[str] = []
    current: list[str] = []
    limit = first

    def fits(tokens: list[str], room: float) -> bool:
        return visual_width(" ".join(tokens)) <= room

    def flush() -> None:
        nonlocal current, limit
        if current:
            lines.append(" ".join(current))
        current = []
        limit = width

    for term in _terms(_top_tokens(tex)):
        if fits(current + term, limit):
            current += term
            continue
        if current and fits(term, width):
            flush()
            current = list(term)
            continue
        # the term is wider than a line: a line of its own, broken between its factors
        flush() if current else None
        for unit in _units_of(term):
            if fits(current + unit, limit):
                current += unit
                continue
            opened = _open_group(unit[-1])
            if opened is not None and visual_width(unit[-1]) > width - 2:
                inner, suffix = opened
                head = current + unit[:-1]
                room = max(limit - visual_width(" ".join(head)) - 2, width / 3)
                inner_lines = break_tex(inner, width - 2, room)
                inner_lines[0] = " ".join([*head, r"\biggl(" + inner_lines[0]])
                inner_lines[-1] = inner_lines[-1] + r"\biggr)" + suffix
                lines.extend(inner_lines[:-1])
                current, limit = [inner_lines[-1]], width
                continue
            if current:
                flush()
                current = [r"\times", *unit]
            else:
                current = list(unit)
    flush()
    return lines or [tex]


EM_PER_UNIT = 0.72
"""Printed width of one :func:`visual_width` unit in ems of the text font (display style), an upper bound
measured with pdflatex on the package's own expressions (the mean is about 0.66)."""

WIDE_EM = 29.0
"""Room for ``lhs = rhs`` on one line of a one-column page (``article`` at 10--12 pt, a NeurIPS-like
5.5 in text width) next to an equation number."""

NARROW_EM = 19.5
"""The same for one column of a two-column page (``article`` ``twocolumn``, a 3.25 in column)."""

MCBREAK_WIDTH_EM = 32.5
"""``\\mcbreak`` breaks a line when ``\\linewidth`` is below this many ems (see :data:`MCBREAK_DEFINITION`)."""

MCBREAK_DEFINITION = (
    "\\providecommand{\\mcbreakwidth}{" + f"{MCBREAK_WIDTH_EM:g}" + "em}%\n"
    "\\providecommand{\\mcbreaknow}{\\nonumber\\\\&\\quad{}}%\n"
    "\\providecommand{\\mcbreak}{\\ifdim\\linewidth<\\mcbreakwidth\\relax\\expandafter\\mcbreaknow\\fi}%\n"
    "\\providecommand{\\mcbreaktimes}{\\ifdim\\linewidth<\\mcbreakwidth\\relax\\expandafter\\mcbreaknow"
    "\\expandafter\\times\\fi}%"
)
r"""The macros a fragment's line breaks use, each defined only if the document has not defined it:
``\mcbreak`` is a line break (``\mcbreaknow``) where ``\linewidth`` is below ``\mcbreakwidth`` (a two-column
page) and nothing otherwise; ``\mcbreaktimes`` the same inside a product (the new line starts with
:math:`\times`).  A class or preamble may ``\newcommand{\mcbreak}{}`` (never break) or
``\newcommand{\mcbreak}{\mcbreaknow}`` (always break) before the fragments are read."""


def _units(em: float) -> float:
    return em / EM_PER_UNIT


def display_lines(lhs: str, rhs: str, *, width: float = LINE_WIDTH, relation: str = "=") -> list[str]:
    r"""``align`` rows ``lhs &= ...`` / ``&\quad ...`` for ``rhs`` broken to ``width`` (units) for the whole row."""
    room = max(width - visual_width(lhs) - 1.8, width / 2)
    lines = break_tex(rhs, room - 2, room)
    rows = [f"{lhs} &{relation} {lines[0]}"]
    for ln in lines[1:]:
        rows.append(r"&\quad {}" + ln if ln.startswith(("+", "-", r"\times")) else r"&\quad " + ln)
    return rows


def layout_rows(lhs: str, rhs: str, *, wide: float = WIDE_EM, narrow: float = NARROW_EM, relation: str = "=") -> list[str]:
    r"""``align`` rows for ``lhs = rhs`` that fit both page widths: lines of at most ``wide`` ems (with the left
    side), each cut by ``\mcbreak`` into pieces of at most ``narrow`` ems (see :data:`MCBREAK_DEFINITION`).

    >>> rows = layout_rows("y", " + ".join(f"x_{{{k}}}" for k in range(40)))
    >>> len(rows) > 1 and r"\mcbreak" in rows[0]
    True
    """
    quad = visual_width(r"\quad")
    rows = []
    fits = visual_width(lhs) + 1.8 + visual_width(rhs) <= _units(narrow)
    if visual_width(lhs) > _units(narrow) / 2.4 and not fits:
        # a wide left side gets a row of its own; the right side follows, indented, from the next row
        rows = [f"& {ln}" for ln in break_tex(lhs, _units(narrow))]
        lhs, relation, left = "", r"\quad " + relation, quad + 1.8
    else:
        left = visual_width(lhs) + 1.8
    wide_room = max(_units(wide) - left, _units(wide) / 2)
    narrow_room = max(_units(narrow) - left, _units(narrow) / 2)
    for n, line in enumerate(break_tex(rhs, wide_room - quad, wide_room)):
        first = narrow_room if n == 0 else narrow_room - quad
        pieces = break_tex(line, narrow_room - quad, first)
        row = pieces[0]
        for piece in pieces[1:]:
            if piece.startswith("\\times "):
                row += r" \mcbreaktimes " + piece[len("\\times "):]
            else:
                row += r" \mcbreak " + piece
        if n == 0:
            rows.append(f"{lhs} &{relation} {row}" if lhs else f"&{relation} {row}")
        else:
            rows.append((r"&\quad {}" if lhs else r"&\qquad {}") + row)
    return rows


def equation_block(rows: list[str], *, label: str | None = None, extra: list[str] | None = None) -> str:
    """A numbered ``equation`` (one row without breaks, no extras) or ``align`` (label on the last row of
    ``rows``; every other row, and the ``extra`` rows after it, unnumbered); ``\\mcbreak`` macros defined
    first when a row uses them."""
    extra = extra or []
    uses_break = any(r"\mcbreak" in r for r in rows)
    head = MCBREAK_DEFINITION + "\n" if uses_break else ""
    if len(rows) == 1 and not extra and label and not uses_break:
        row = re.sub(r"^(.*?) ?&(?=[^&]*$)", r"\1 ", rows[0], count=1).strip()  # no alignment in an equation
        return "\\begin{equation}\n" + row + f"\n\\label{{{label}}}\n\\end{{equation}}"
    body = [r + r" \nonumber" for r in rows[:-1]]
    body.append(rows[-1] + (f" \\label{{{label}}}" if label else r" \nonumber"))
    body += extra
    block = "\\begin{align}\n" + " \\\\\n".join(body) + "\n\\end{align}"
    if len(rows) + sum(r.count(r"\mcbreak") for r in rows) > 6:
        # a tall display may break across columns and pages (here only: the document's setting is kept)
        block = "\\begingroup\\allowdisplaybreaks\n" + block + "\n\\endgroup"
    return head + block
