"""LaTeX rendering with one settings table, so every fragment uses the same symbols."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sympy as sp

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


def theory_align(theory: ModuleType, estimator: str, order: int) -> str:
    """Closed forms (symbolic number of generations ``g``) and series of every quantity of a model."""
    blocks = []
    for q in theory.QUANTITIES:
        name = theory.latex_name(q)
        exact = theory.exact_symbolic_g(q, estimator)
        ser = theory.series(q, order, estimator).symbolic(theory.Mi, theory.g)
        unit = theory.sigma ** theory.sigma_power(q)
        blocks.append(f"% {q} ({estimator} estimator)")
        blocks.append(aligned(name, exact))
        series_tex = to_latex(sp.expand(unit * ser)) + rf" + O\bigl(M^{{-{order + 1}}}\bigr)"
        blocks.append(aligned(name, series_tex))
    return "\n".join(blocks)
