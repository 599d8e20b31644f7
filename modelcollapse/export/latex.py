"""LaTeX rendering with one settings table, so every fragment uses the same symbols."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp
from sympy.printing.latex import LatexPrinter

LATEX_SETTINGS: dict[str, Any] = {
    "mul_symbol": None,
    "fold_short_frac": False,
    "long_frac_ratio": 3,
    "ln_notation": False,
}
"""Settings passed to :func:`sympy.latex` for every expression the package prints."""

TERMS_PER_LINE = 2


def to_latex(expr: sp.Expr) -> str:
    """One expression as LaTeX with the package settings."""
    return sp.latex(expr, **LATEX_SETTINGS)


def split_lines(expr: sp.Expr, terms_per_line: int = TERMS_PER_LINE, max_chars: int = 160) -> list[str]:
    """Break a long sum into lines of LaTeX (each continuation line starts with its sign)."""
    terms = list(sp.Add.make_args(sp.sympify(expr))) if isinstance(expr, sp.Add) else [expr]
    whole = to_latex(expr)
    if len(terms) == 1 or len(whole) <= max_chars:
        return [whole]
    lines: list[str] = []
    current: list[str] = []
    for term in terms:
        tex = to_latex(term)
        piece = tex if tex.startswith("-") else "+ " + tex
        if not current:
            piece = tex
        current.append(piece)
        if len(current) >= terms_per_line or sum(map(len, current)) > max_chars:
            lines.append(" ".join(current))
            current = []
    if current:
        lines.append(" ".join(current))
    return [ln if i == 0 or ln.startswith(("-", "+")) else "+ " + ln for i, ln in enumerate(lines)]


def aligned(lhs: str, rhs: sp.Expr | str, *, label: str | None = None, env: str = "align") -> str:
    """An ``align`` block ``lhs &= rhs`` with long right-hand sides broken over lines."""
    lines = [rhs] if isinstance(rhs, str) else split_lines(rhs)
    body = [f"{lhs} &= {lines[0]}"] + [f"  &\\quad {ln}" for ln in lines[1:]]
    if label:
        body = [ln + r" \nonumber" for ln in body[:-1]] + [body[-1] + f" \\label{{{label}}}"]
    elif env == "align":
        env = "align*"
    return f"\\begin{{{env}}}\n" + " \\\\\n".join(body) + f"\n\\end{{{env}}}"


# ---------------------------------------------------------------------------------------------------------
# Paper output: one printer, one symbol table, expressions broken over lines by their printed width.

SYMBOLS: dict[str, tuple[str, str]] = {
    "E": (r"E", r"expectation over every refit (and, for a sample, the final draw)"),
    "Var": (r"\operatorname{Var}", r"variance"),
    "O": (r"O(M^{-k})", r"terms of total degree $\ge k$ in the small parameters (e.g.\ the $1/M_i$), as they tend to 0 at fixed $g$"),
}
"""The generic notation: ``name -> (LaTeX, meaning)``; each model adds its own (``Model.notation``)."""

LINE_WIDTH = 54.0
"""Width budget of one displayed line, in the units of :func:`visual_width` (about one math letter)."""

_ABBREV = re.compile(r"^(nu|kappa)_(\d+)$")


class _PaperPrinter(LatexPrinter):
    """:func:`sympy.latex` with the package settings, plus: ``M_{i}`` for indexed sizes, ``E[...]`` for the
    expectation function ``E(...)`` of derivation steps, ``\\nu_r(M)`` for abbreviated products."""

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        return f"{self._print(expr.base)}_{{{','.join(map(self._print, expr.indices))}}}"

    def _print_Function(self, expr: sp.Expr, exp: str | None = None) -> str:
        name = type(expr).__name__
        args = ", ".join(self._print(a) for a in expr.args)
        m = _ABBREV.match(name)
        if name == "E" and len(expr.args) == 1:
            tex = rf"E\left[{args}\right]"
        elif m:
            tex = rf"\{m.group(1)}_{{{m.group(2)}}}({args})"
        else:
            return super()._print_Function(expr, exp)
        return tex if exp is None else rf"{tex}^{{{exp}}}"


def render(expr: sp.Expr | str) -> str:
    r"""An expression as LaTeX for papers: :data:`LATEX_SETTINGS`, ``M_{i}``, ``E\left[...\right]``.

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> render(G.Mi[0] ** -1)
    '\\frac{1}{M_{0}}'
    >>> render(sp.Function("E")(G.sigma ** 2))
    'E\\left[\\sigma^{2}\\right]'
    """
    if isinstance(expr, str):
        return expr
    return _PaperPrinter(LATEX_SETTINGS).doprint(sp.sympify(expr))


# -- product abbreviations ---------------------------------------------------------------------------------


def _match_moment(body: sp.Expr, size: sp.Expr, moment: Callable[[int, int], Any] | None) -> int | None:
    """``r`` if ``body`` (a function of ``size`` only) equals ``moment(r, M)`` at a few sizes, else ``None``."""
    if moment is None:
        return None
    f = sp.lambdify(size, body, modules="mpmath")
    with mpmath.workdps(30):
        try:
            values = [f(mpmath.mpf(m)) for m in (5, 9, 17)]
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        for r in range(1, 9):
            moments = [moment(r, m) for m in (5, 9, 17)]
            if all(abs(v - mo) < mpmath.mpf(10) ** -25 * abs(mo) for v, mo in zip(values, moments, strict=True)):
                return r
    return None


def abbreviate(
    expr: sp.Expr, moment: Callable[[int, int], Any] | None = None
) -> tuple[sp.Expr, list[tuple[str, sp.Expr]]]:
    r"""Replace the body of every ``Product`` over one size :math:`M_j` by a named function.

    Bodies equal to ``moment(r, M)`` (the model's :math:`r`-th moment of one step's scale factor, e.g.
    :math:`E[(\sigma_{j+1}/\sigma_j)^r]`) become :math:`\nu_r(M_j)`; any other body becomes
    :math:`\kappa_k(M_j)`.  Returns the new expression and the definitions ``(name, body in M)`` in order
    of ``r`` (then ``k``).  The expression is unchanged in value.

    >>> from modelcollapse.symbolic import gaussian1d as G
    >>> short, defs = abbreviate(G.exact_symbolic_g("mean_sigma4"), G.refit_moment)
    >>> render(short)
    '\\sigma^{4} \\prod_{j_{0}=0}^{g - 1} \\nu_{4}(M_{j_{0}})'
    >>> [(name, render(body)) for name, body in defs]
    [('nu_4', '\\frac{M + 1}{M - 1}')]
    """
    M = sp.Symbol("M", positive=True, integer=True)
    names: dict[sp.Expr, str] = {}
    kappas = 0

    def name_of(body_m: sp.Expr) -> str:
        nonlocal kappas
        if body_m not in names:
            r = _match_moment(body_m, M, moment)
            if r is None:
                kappas += 1
                names[body_m] = f"kappa_{kappas}"
            else:
                names[body_m] = f"nu_{r}"
        return names[body_m]

    def replace(node: sp.Product) -> sp.Expr:
        body = node.function
        sizes = body.atoms(sp.Indexed)
        if len(sizes) != 1 or body.free_symbols - {next(iter(sizes)), *next(iter(sizes)).free_symbols}:
            return node
        size = next(iter(sizes))
        body_m = body.subs(size, M)
        if body_m.has(sp.Indexed):
            return node
        return sp.Product(sp.Function(name_of(body_m))(size), *node.limits)

    out = expr.replace(lambda e: isinstance(e, sp.Product), replace)
    defs = [(n, _display_form(b)) for b, n in names.items()]
    defs.sort(key=lambda d: (d[0].split("_")[0] != "nu", int(d[0].split("_")[1])))
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
                total += 0.0 if tex[i - 1] == "." else 0.6
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


def break_tex(tex: str, width: float = LINE_WIDTH, first: float | None = None) -> list[str]:
    r"""Break a LaTeX expression into lines of printed width at most ``width`` (``first`` for line one).

    Lines break before a top-level ``+``/``-``; a term wider than a line breaks between its factors
    (the next line starts with ``\times``), and a parenthesized sum wider than a line is opened into
    ``\biggl( ... \biggr)`` and broken inside.  Joining the lines with spaces gives the same mathematics.

    >>> break_tex(r"a + b + c", width=4.5)
    ['a + b', '+ c']
    """
    first = width if first is None else first
    lines: list[str] = []
    current = ""
    limit = first

    def flush() -> None:
        nonlocal current, limit
        if current:
            lines.append(current)
        current = ""
        limit = width

    for term in _terms(_top_tokens(tex)):
        text = " ".join(term)
        sep = " " if current else ""
        if visual_width(current + sep + text) <= limit:
            current += sep + text
            continue
        if current and visual_width(text) <= width:
            flush()
            current = text
            continue
        # the term itself is too wide: break it between factors
        for factor in term:
            sep = " " if current else ""
            if visual_width(current + sep + factor) <= limit:
                current += sep + factor
                continue
            opened = _open_group(factor)
            if opened is not None and visual_width(factor) > width - 2:
                inner, suffix = opened
                room = max(limit - visual_width(current) - 2, width / 3)
                inner_lines = break_tex(inner, width - 2, room)
                inner_lines[0] = (current + sep + r"\biggl(" + inner_lines[0]).strip()
                inner_lines[-1] = inner_lines[-1] + r"\biggr)" + suffix
                lines.extend(inner_lines[:-1])
                current, limit = inner_lines[-1], width
                continue
            if current and current not in ("+", "-") and not _is_operator(current.split(" ")[-1]):
                flush()
                current = r"\times " + factor
            else:
                current += sep + factor
    flush()
    return lines or [tex]


def display_lines(lhs: str, rhs: str, *, width: float = LINE_WIDTH, relation: str = "=") -> list[str]:
    r"""``align`` rows ``lhs &= ...`` / ``&\quad ...`` for ``rhs`` broken to ``width``."""
    first = max(width - visual_width(lhs) * 0.5, width / 2)
    lines = break_tex(rhs, width - 2, first)
    rows = [f"{lhs} &{relation} {lines[0]}"]
    for ln in lines[1:]:
        rows.append(r"&\quad {}" + ln if ln.startswith(("+", "-", r"\times")) else r"&\quad " + ln)
    return rows


def equation_block(rows: list[str], *, label: str | None = None, extra: list[str] | None = None) -> str:
    """A numbered ``equation`` (one row, no extras) or ``align`` (label on the last row of ``rows``;
    every other row, and the ``extra`` rows after it, unnumbered)."""
    extra = extra or []
    if len(rows) == 1 and not extra and label:
        return "\\begin{equation}\n" + rows[0].replace(" &=", " =", 1) + f"\n\\label{{{label}}}\n\\end{{equation}}"
    body = [r + r" \nonumber" for r in rows[:-1]]
    body.append(rows[-1] + (f" \\label{{{label}}}" if label else r" \nonumber"))
    body += extra
    return "\\begin{align}\n" + " \\\\\n".join(body) + "\n\\end{align}"
