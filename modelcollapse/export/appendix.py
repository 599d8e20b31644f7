r"""Papers: one LaTeX fragment per claim, a compilable appendix with the evidence, and the bibliography.

:func:`write_paper` writes, under ``out``:

* ``claims/<claim-id>.tex``: the claim as a labelled ``equation`` or ``align`` (``\label{eq:<claim-id>}``).
  A published claim's fragment is the formula *as published*; the derived expansion to the same order is
  ``claims/<claim-id>-derived.tex`` (``\label{eq:<claim-id>-derived}``).  Lines are broken for a one-column
  page and, with ``\mcbreak`` (:data:`~modelcollapse.export.latex.MCBREAK_DEFINITION`), again where the
  column is narrow; a fragment needs ``amsmath`` only;
* ``notation/<model>.tex``: each model's notation (the abbreviations its fragments use, defined once), a
  ``tabular`` that needs ``booktabs``;
* ``appendix.tex``: an ``article`` (amsmath, amssymb, amsthm, booktabs, caption, natbib) with, per model, its standing assumptions (stated once) and notation, and
  per claim a theorem, its derivation (every step with how it was checked: one refit, then base case and
  induction step for every number of generations), its series with the remainder check, and its Monte Carlo
  evidence; published statements as published, then the derived correction and the verdict with the
  z-score of the published value; a summary table;
* ``references.bib``: BibTeX for every key the appendix cites (``\bibliography{references}``,
  ``\bibliographystyle{plainnat}``).

Build: ``pdflatex appendix && bibtex appendix && pdflatex appendix && pdflatex appendix && pdflatex appendix``
(:data:`BUILD`).  The output depends only on the claims and the evidence: no dates, fixed number formats,
sorted keys, so regenerating a paper directory gives byte-identical files (paper diffs stay clean).

Nothing here names a model: assumptions, notation, derivation rows, units, published forms and figures all
come from the claims' and models' declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mpmath
import sympy as sp

from .. import __version__
from ..proofs.claim import Claim, DerivationStep
from . import bibtex
from .latex import (
    EM_PER_UNIT,
    SYMBOLS,
    break_tex,
    display_lines,
    equation_block,
    layout_rows,
    render,
    visual_width,
)

__all__ = [
    "BUILD",
    "Evidence",
    "PaperFiles",
    "appendix_tex",
    "claim_fragment",
    "collect_evidence",
    "derived_fragment",
    "mc_entries",
    "notation_fragment",
    "write_paper",
]

BUILD = ("pdflatex appendix", "bibtex appendix", "pdflatex appendix", "pdflatex appendix", "pdflatex appendix")
"""The commands that build ``appendix.pdf`` (in the paper directory): the citations resolved after the second
run move text across pages, so the page numbers of the labels settle in the fourth."""

APPENDIX_EM = 36.0
"""Room for a displayed row in the appendix (11 pt, A4, 2.5 cm margins: about 41 em), a tag left aside."""

_WIDTH = APPENDIX_EM / EM_PER_UNIT

_CONTEXT = (
    ("an independent simulation of the analysis of Shumailov et al.", ("borji2024",)),
    ("fully synthetic loops of multivariate Gaussians and images", ("alemohammad2024",)),
    ("accumulating real and synthetic data", ("gerstgrasser2024", "kazdan2025")),
    ("mixing in a fraction of real data", ("bertrand2024",)),
    ("linear regression and scaling laws", ("dohmatob2024regression", "dohmatob2024tails")),
    ("statistical language models", ("seddik2024",)),
    ("loss of tails and fairness", ("wyllie2024",)),
    ("linguistic diversity of language models trained on their predecessors' text", ("guo2023",)),
    ("watermarks that let synthetic data be filtered out", ("kirchenbauer2023",)),
)
"""The literature paragraph of the appendix: (topic, BibTeX keys); each model's own sources are cited in its
section (``Model.references``, ``Claim.references``)."""


# ---------------------------------------------------------------------------------------------------------
# evidence


@dataclass(frozen=True)
class Evidence:
    """The verification result of one claim (``Report.to_dict()["claims"][k]``) and its run's settings."""

    result: dict[str, Any]
    run: dict[str, Any]
    """``scale``, ``seed``, ``alpha``, ``checks``, ``modelcollapse`` (version) of the run."""


def _run_info(report: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "scale": report.get("scale"),
        "seed": report.get("seed"),
        "alpha": report.get("alpha"),
        "checks": report.get("checks"),
        "modelcollapse": (report.get("provenance") or {}).get("modelcollapse"),
    }


def _matches(claim: Claim, result: Mapping[str, Any]) -> bool:
    """The saved check was made at this claim's parameters, against its current exact value and derivation."""
    mc = result.get("mc") or {}
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in claim.params.items()}
    if mc.get("params") != params or mc.get("theory") is None:
        return False
    if len(result.get("steps") or ()) != len(claim.steps):
        return False
    value = float(claim.exact_value(claim.params, 17))
    return abs(value - float(mc["theory"])) <= 1e-12 * max(1.0, abs(value))


def collect_evidence(
    claims: Sequence[Claim],
    report: Mapping[str, Any] | None,
    *,
    scale: str = "smoke",
    seed: int | None = None,
) -> tuple[dict[str, Evidence], list[str]]:
    """Evidence per claim id from a saved report; claims it lacks are verified now (``scale``, ``seed``).

    Returns the evidence and the ids that had to be verified.
    """
    found: dict[str, Evidence] = {}
    if report:
        info = _run_info(report)
        for entry in report.get("claims", []):
            found[entry["claim_id"]] = Evidence(entry, info)
    # evidence that no longer matches the claim (other sizes, other exact value, other steps) is stale
    missing = [c.id for c in claims if c.id not in found or not _matches(c, found[c.id].result)]
    if missing:
        from ..proofs.verify import DEFAULT_SEED, verify

        fresh = verify(missing, scale=scale, seed=DEFAULT_SEED if seed is None else seed).to_dict()
        info = _run_info(fresh)
        for entry in fresh["claims"]:
            found[entry["claim_id"]] = Evidence(entry, info)
    return {c.id: found[c.id] for c in claims}, missing


def mc_entries(result: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every Monte Carlo check a verification result carries, ``(what was tested, check)``, in order.

    The main check (``mc``), any list of checks among the result's fields (more schedules, other samplers:
    entries with ``z``, ``estimate`` and ``stderr``) and the evidence of a published claim; a check that
    appears twice is listed once.

    >>> r = {"mc": {"z": 0.1, "estimate": 1, "stderr": 0.1, "sizes": [5]},
    ...      "mc_checks": [{"z": 0.5, "estimate": 1, "stderr": 0.2, "sizes": [9], "sampler": "brute"}]}
    >>> [label for label, _ in mc_entries(r)]
    ['exact form', 'exact form (brute sampler)']
    """
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[Any, ...]] = set()

    def add(entry: Any, label: str = "exact form") -> None:
        if not isinstance(entry, Mapping) or not {"z", "estimate", "stderr"} <= set(entry):
            return
        key = (tuple(entry.get("sizes") or ()), entry.get("chains"), entry.get("z"), entry.get("statistic"),
               entry.get("sampler"))
        if key in seen:
            return
        seen.add(key)
        sampler = entry.get("sampler") or "exact"
        how = entry.get("label") or (label if sampler == "exact" else f"{label} ({sampler} sampler)")
        out.append((str(how), dict(entry)))

    add(result.get("mc"))
    for name in sorted(result):
        value = result[name]
        if isinstance(value, list):
            for entry in value:
                add(entry)
    published = result.get("published") or {}
    add(published.get("evidence"))
    for name in sorted(published):
        if isinstance(published[name], list):
            for entry in published[name]:
                add(entry)
    # the checks of one setting together (in order of first appearance), the exact sampler's first
    settings: list[Any] = []
    for _, entry in out:
        setting = (tuple(entry.get("sizes") or ()), repr(entry.get("params")))
        if setting not in settings:
            settings.append(setting)

    def rank(item: tuple[str, dict[str, Any]]) -> tuple[int, bool]:
        entry = item[1]
        return (settings.index((tuple(entry.get("sizes") or ()), repr(entry.get("params")))),
                (entry.get("sampler") or "exact") != "exact")

    return sorted(out, key=rank)


# ---------------------------------------------------------------------------------------------------------
# number formatting (fixed, so that output is byte-stable)


def _num(x: Any, digits: int = 6) -> str:
    """A float as LaTeX math (no ``$``): ``6`` significant digits, powers of ten as ``\\times 10^{k}``."""
    if x is None:
        return r"\text{n/a}"
    x = float(x)
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def _signed(x: Any, digits: int = 2) -> str:
    if x is None:
        return r"\text{n/a}"
    return f"{float(x):+.{digits}f}"


def _int(n: Any) -> str:
    return f"{int(n):,}".replace(",", r"\,")


def _sizes(sizes: Sequence[int], dots: str = r"\dots") -> str:
    """``5, 8, 4``; a constant schedule of more than four sizes as ``6 (12 times)``; a longer one by its first
    two and last size with ``dots`` between (``2, 8, ..., 1800 (30 sizes)``): a table column stays narrow."""
    if len(sizes) > 4 and len(set(sizes)) == 1:
        return f"{int(sizes[0])} ({len(sizes)} times)"
    if len(sizes) > 6:
        head = ", ".join(str(int(m)) for m in sizes[:2])
        return f"{head}, {dots}, {int(sizes[-1])} ({len(sizes)} sizes)"
    return ", ".join(str(int(m)) for m in sizes)


def _seed(seed: Any) -> str:
    if isinstance(seed, (list, tuple)):
        return r"\texttt{" + ":".join(str(int(s)) for s in seed) + "}"
    return r"\texttt{" + str(seed) + "}"


def _escape(text: Any) -> str:
    """Plain text for LaTeX text mode."""
    out = str(text)
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("_", r"\_"),
                 ("<", r"$<$"), (">", r"$>$")):
        out = out.replace(a, b)
    return out


def _remainder(order: int) -> str:
    return rf"O\bigl(M^{{-{order}}}\bigr)"


# ---------------------------------------------------------------------------------------------------------
# fragments


def _series_expr(claim: Claim, series: Any) -> sp.Expr:
    """A series in the claim's symbols (indexed sizes, number of generations), times the claim's unit."""
    return sp.expand(claim.unit * series.symbolic(*claim.series_symbols))


def _abbreviated(claim: Claim, expr: sp.Expr | None = None) -> tuple[sp.Expr, list[tuple[str, sp.Expr]]]:
    """An expression of the claim (its statement by default) in its model's abbreviations, and their
    definitions; as it is when the claim declares none."""
    expr = claim.statement if expr is None else expr
    return claim.display(expr) if claim.display is not None else (expr, [])


def _model(claim: Claim) -> Any:
    from ..models import get_model

    try:
        return get_model(claim.model)
    except Exception:  # noqa: BLE001 - a claim of an unregistered model still exports
        return None


def _declared(claim: Claim, name: str) -> bool:
    r"""Whether the abbreviation ``name`` (``nu_4``) belongs to a family the model's notation defines (``\nu_r``)."""
    model = _model(claim)
    head = "\\" + name.rsplit("_", 1)[0] + "_"
    return model is not None and any(sym.startswith(head) for sym, _ in model.notation)


def _where_rows(claim: Claim, defs: list[tuple[str, sp.Expr]]) -> list[str]:
    """``\\intertext`` rows defining the abbreviations the model's notation does not define."""
    local = [(n, b) for n, b in defs if not _declared(claim, n)]
    if not local:
        return []
    cells = []
    for name, body in local:
        kind, _, index = name.rpartition("_")
        cells.append(rf"\{kind}_{{{index}}}(M) &= {render(body)}")
    return [r"\intertext{where the products' factors are abbreviated as}" + "\n"
            + " \\nonumber \\\\\n".join(cells) + r" \nonumber"]


_RELATION_TEX = {"=": "=", "<=": r"\le", ">=": r"\ge"}


def _published_rows(claim: Claim) -> list[str]:
    """The statement as published: its printed formula (or, without one, its series with the remainder it
    states, or its closed form or bound), with its relation."""
    form = claim.published
    assert form is not None
    lhs = form.formula_lhs or claim.lhs_latex
    relation = _RELATION_TEX[form.relation]
    if form.formula:
        return layout_rows(lhs, form.formula, relation=relation)
    if form.series is None:
        return layout_rows(lhs, form.latex, relation=relation)
    rhs = render(_series_expr(claim, form.series)) + " + " + _remainder(form.remainder_order)
    return layout_rows(lhs, rhs, relation=relation)


def _derived_rows(claim: Claim) -> list[str]:
    """What the package derives in the statement's place: the series to the published order, or the exact
    form where the statement is a closed form or a bound."""
    form = claim.published
    assert form is not None
    if form.series is None:
        short, _ = _abbreviated(claim)
        return layout_rows(claim.lhs_latex, render(short))
    k = form.remainder_order
    return layout_rows(claim.lhs_latex, render(_series_expr(claim, claim.series(k - 1))) + " + " + _remainder(k))


def fragment_rows(claim: Claim) -> tuple[list[str], list[str]]:
    """The displayed rows of a claim's equation and its ``where`` rows (see :func:`claim_fragment`)."""
    if claim.published is not None:
        return _published_rows(claim), []
    short, defs = _abbreviated(claim)
    rhs = render(short) + ("" if claim.exact else " + " + _remainder((claim.series_order or 0) + 1))
    return layout_rows(claim.lhs_latex, rhs), _where_rows(claim, defs)


def _head(claim: Claim, what: str = "") -> str:
    model = f"; notation: notation/{claim.model}.tex" if claim.model else ""
    return (f"% {claim.id}: {claim.title}{what}\n"
            f"% generated by modelcollapse; needs amsmath{model}\n")


def claim_fragment(claim: Claim) -> str:
    r"""The LaTeX fragment of one claim: ``\label{eq:<claim-id>}`` on its (last) line.

    A derived claim shows its exact form (symbolic :math:`g`) in its model's abbreviations (defined once,
    in ``notation/<model>.tex``).  A published claim shows the formula as published, with the remainder
    it states; :func:`derived_fragment` gives the derived correction.

    >>> from modelcollapse.proofs.registry import get_claim
    >>> print(claim_fragment(get_claim("gaussian1d-var-x")))
    % gaussian1d-var-x: Variance of a sample from generation $g$ (unbiased estimator)
    % generated by modelcollapse; needs amsmath; notation: notation/gaussian1d.tex
    \begin{equation}
    \operatorname{Var} X^g = \sigma^{2} + \sigma^{2} \sum_{i=0}^{g - 1} \frac{1}{M_{i}}
    \label{eq:gaussian1d-var-x}
    \end{equation}
    """
    rows, where = fragment_rows(claim)
    what = " (as published)" if claim.published is not None else ""
    return _head(claim, what) + equation_block(rows, label=f"eq:{claim.id}", extra=where)


def derived_fragment(claim: Claim) -> str:
    r"""A published claim's derived expansion to the order it states: ``\label{eq:<claim-id>-derived}``."""
    if claim.published is None:
        raise ValueError(f"claim {claim.id} is not a published statement")
    what = " (derived, to the published order)" if claim.published.series is not None else " (derived exact form)"
    return _head(claim, what) + equation_block(
        _derived_rows(claim), label=f"eq:{claim.id}-derived")


def _models_of(claims: Sequence[Claim]) -> list[Any]:
    out = []
    for name in dict.fromkeys(c.model for c in claims):
        claim = next(c for c in claims if c.model == name)
        out.append((name, _model(claim)))
    return out


def notation_fragment(model: Any) -> str:
    """A model's notation rows as a ``tabular`` (needs ``booktabs``)."""
    rows = [rf"${tex}$ & {meaning} \\" for tex, meaning in model.notation]
    return "\n".join([
        f"% notation of model {model.name}: {model.description}",
        "% generated by modelcollapse; needs booktabs",
        r"\begin{tabular}{@{}lp{0.75\linewidth}@{}}",
        r"\toprule",
        r"symbol & meaning \\",
        r"\midrule",
        *rows,
        r"\bottomrule",
        r"\end{tabular}",
    ]) + "\n"


# ---------------------------------------------------------------------------------------------------------
# the appendix

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.5cm]{geometry}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{booktabs}
\usepackage{caption}
\usepackage[numbers,sort&compress]{natbib}
\allowdisplaybreaks
\newtheorem{theorem}{Theorem}
\theoremstyle{definition}
\newtheorem{statement}[theorem]{Published statement}
\renewcommand{\labelitemi}{$\bullet$}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex plus 0.2ex}
\setlength{\emergencystretch}{3em}
"""


def _check_text(check: Mapping[str, Any] | None, step: DerivationStep) -> str:
    if not check:
        return "not checked in this run"
    parts = []
    if check.get("exact") is True:
        parts.append({"recurrence": r"proved for symbolic $g$", "invariant": r"proved for symbolic $g$",
                      "base": "proved exactly"}.get(step.kind, "proved exactly"))
    elif step.kind != "identity":
        parts.append("NOT proved")
    if check.get("points"):
        err = check.get("max_rel_error")
        n = check["points"]
        parts.append(
            f"{'and ' if parts else ''}evaluated at {n} random point{'s' if n != 1 else ''} "
            f"(largest relative difference ${_num(err, 2)}$)"
        )
    route = check.get("route", step.route)
    if check.get("points"):
        parts.append(f"({_ROUTE_TEXT.get(route, route)})" if route else "(no independent route)")
    verdict = "holds" if check.get("ok") else "FAILS"
    return (" ".join(parts) or "checked") + f": {verdict}"


_ROUTE_TEXT = {
    "quadrature": "independent route: numerical integration against the densities",
    "exact sum": "independent route: an explicit sum over the law",
    "instances": "independent route: random instances computed directly",
    "alternative": "independent route: an exact derivation by another method",
    "points": "independent route: explicit evaluation, no expectation taken",
}
"""How the evidence names a step's independent route (:data:`~modelcollapse.proofs.claim.ROUTES`)."""


def _tex(claim: Claim, part: Any, names: Mapping[sp.Basic, str]) -> str:
    if isinstance(part, str):
        return part
    short, _ = _abbreviated(claim, sp.sympify(part))
    return render(short, names=names)


def _rows(lhs: str, rhs: str) -> list[str]:
    """Rows of one displayed equality at the appendix's width; a wide left side gets a row of its own."""
    if visual_width(lhs) <= _WIDTH / 3:
        return display_lines(lhs, rhs, width=_WIDTH)
    rows = [f"& {ln}" for ln in break_tex(lhs, _WIDTH - 4)]
    for n, ln in enumerate(break_tex(rhs, _WIDTH - 6, _WIDTH - 4)):
        rows.append(("={}& " if n == 0 else r"&\quad {}") + ln)
    return rows


def _derivation(claim: Claim, ev: Evidence, shared_with: str | None) -> list[str]:
    checks = ev.result.get("steps") or []
    out = [r"\begin{proof}[Derivation]"]
    if shared_with is not None:
        out.append(
            rf"The exact form and its derivation are those of Theorem~\ref{{thm:{shared_with}}}, "
            rf"equation~\eqref{{eq:{shared_with}}}; the checks of this run:"
        )
    kinds = {s.kind for s in claim.steps}
    if shared_with is None and "recurrence" in kinds:
        out.append(
            r"By induction on the number of generations $g$: each closed form holds at $g = 0$ (base case) and, "
            r"if it holds at $g$, at $g + 1$ (induction step). An induction step substitutes the closed forms "
            r"into the one-step recursion and splits off the last term of every sum and the last factor of every "
            r"product; SymPy then reduces the difference to zero with $g$ a symbol, so no value of $g$ is sampled "
            r"(the random points are an extra check). Each step below says how it was checked."
        )
    previous: tuple[str, str] | None = None
    for n, step in enumerate(claim.steps, start=1):
        check = checks[n - 1] if n - 1 < len(checks) else None
        out.append(rf"\par\textbf{{(S{n})}} {step.description} --- {_check_text(check, step)}.")  # own paragraph
        if shared_with is not None or not step.shown:
            continue
        rows: list[str] = []
        for lhs, rhs in step.rows:
            pair = (_tex(claim, lhs, step.names), _tex(claim, rhs, step.names))
            if pair == previous or pair[0] == pair[1]:
                continue  # no line twice, no x = x
            previous = pair
            rows += _rows(*pair)
        if rows:
            rows[-1] += rf" \tag*{{(S{n})}}"
            out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    if claim.argument and shared_with is None:
        out.append(r"\textbf{Argument} (written, not checked by a step): " + claim.argument)
    out.append(r"\end{proof}")
    return out


def _series_block(claim: Claim, ev: Evidence) -> list[str]:
    k = claim.series_order
    if k is None:  # a claim without a series (exact form and Monte Carlo only)
        return []
    if not claim.exact:  # the statement is the series: nothing exact to check its remainder against
        steps = ", ".join(f"(S{n + 1})" for n in range(len(claim.steps)))
        return [r"\paragraph{Series.}",
                rf"The statement is a series of order ${k}$: with no exact form to check its remainder against, "
                rf"its coefficients are checked by the independent routes of the derivation steps {steps}, and the "
                r"Monte Carlo check is made where the omitted terms are far below its standard error."]
    rhs = render(_series_expr(claim, claim.series(k))) + " + " + _remainder(k + 1)
    out = [
        r"\paragraph{Series.}",
        rf"Keeping the terms of total degree $\le {k}$ in the $1/M_i$:",
        "\\begin{align*}\n" + " \\\\\n".join(display_lines(claim.lhs_latex, rhs, width=_WIDTH)) + "\n\\end{align*}",
    ]
    s = ev.result.get("series")
    if s:
        unit = "" if claim.unit == 1 else rf"/{render(claim.unit)}"
        power = s["order"] + 1
        values = ", ".join(f"${_num(v, 6)}$" for _, v in s["scaled_errors"])
        sizes = ", ".join(f"$10^{{{e}}}$" for e, _ in s["scaled_errors"])
        verdict = "holds" if s["ok"] else "FAILS"
        unequal = s.get("unequal") or []
        pattern = s.get("pattern") or []
        vanishes = all(v == 0 for _, v in s["scaled_errors"]) and all(e == p == 0 for _, e, p in unequal)
        if vanishes:
            text = (
                rf"Remainder checked against the exact form at 70 digits ({verdict}), with $M_i = M$ for $g = {s['generations']}$ "
                rf"and $M = $ {sizes}" + (", and with unequal sizes" if unequal else "")
                + r": exact minus series is zero at every point, so the series is the exact form."
            )
            unequal = []
        else:
            text = (
                rf"Remainder order checked against the exact form at 70 digits ({verdict}): with $M_i = M$ for $g = {s['generations']}$, "
                rf"$(\text{{exact}} - \text{{series}}){unit} \cdot M^{{{power}}}$ is {values} at $M = $ {sizes}; "
                rf"it tends to the next coefficient ${_num(s['limit'], 6)}$."
            )
        if unequal and pattern:
            sizes_text = ", ".join(("M" if p == 1 else f"{p}M") for p in pattern)
            pairs = "; ".join(rf"${_num(err, 6)}$ against ${_num(pred, 6)}$ at $M = 10^{{{e}}}$" for e, err, pred in unequal)
            text += (
                rf" With the unequal sizes $(M_0, \dots, M_{{{len(pattern) - 1}}}) = ({sizes_text})$, where terms "
                rf"that only move weight between $\sum_i M_i^{{-2}}$ and $(\sum_i M_i^{{-1}})^2$ cannot cancel, "
                rf"$(\text{{exact}} - \text{{series}}){unit} \cdot M^{{{power}}}$ is {pairs}, the prediction of the "
                rf"degree-{power} terms alone."
            )
        out.append(text)
    return out


def _kind(claim: Claim) -> str:
    return "Published statement" if claim.published is not None else "Theorem"


def _units(claim: Claim) -> str:
    if claim.unit == 1:
        return "Values are dimensionless" if claim.unit_text in ("", "1") else f"Values in {claim.unit_text}"
    return f"Values in units of ${render(claim.unit)}$"


def _params_text(params: Mapping[str, Any]) -> str:
    """Model parameters in text mode (``dim 5, samples 20, ...``; unset ones left out)."""
    shown = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = _sizes(value, "...") if len(value) > 4 and (len(set(value)) == 1 or len(value) > 6) else ",".join(
                str(v) for v in value)
        shown.append(f"{_escape(key)} {_escape(value)}")
    return ", ".join(shown)


def _evidence_table(claim: Claim, ev: Evidence) -> list[str]:
    result = ev.result
    pub = result.get("published") or {}
    run = ev.run
    evidence_check = pub.get("evidence") or {}
    settings: list[tuple[str, Mapping[str, Any]]] = []

    def _setting(check: Mapping[str, Any]) -> str:
        """The sizes of a check, or (a model without a schedule) a letter for its parameters, listed below."""
        if check.get("sizes"):
            return _sizes(check["sizes"])
        params = check.get("params") or {}
        for tag, known in settings:
            if known == params:
                return f"({tag})"
        settings.append((chr(ord("a") + len(settings)), params))
        return f"({settings[-1][0]})"

    rows = []
    for label, mc in mc_entries(result):
        rows.append([_escape(label), _setting(mc), f"${_num(mc.get('theory'))}$", f"${_num(mc.get('estimate'))}$",
                     f"${_num(mc.get('stderr'), 3)}$", f"${_signed(mc.get('z'))}$",
                     f"${_int(mc['chains'])}$" if "chains" in mc else "---"])
        if mc is not None and evidence_check and mc.get("z") == evidence_check.get("z") and pub.get("published_value") is not None:
            if pub.get("exact_value") == pub.get("published_value"):
                rows[-1][0] = "exact form = published"
            else:
                rows.append(["published formula", _setting(mc), f"${_num(pub.get('published_value'))}$",
                             f"${_num(mc.get('estimate'))}$", f"${_num(mc.get('stderr'), 3)}$",
                             f"${_signed(pub.get('z_published'), 1)}$", f"${_int(mc['chains'])}$" if "chains" in mc else "---"])
    main = result.get("mc") or {}
    status = result.get("status", "n/a")
    caption = (
        rf"Monte Carlo evidence for {_kind(claim)}~\ref{{thm:{claim.id}}}: verification at scale "
        rf"\texttt{{{run.get('scale')}}}, master seed {run.get('seed')} (chain seed {_seed(main.get('seed', ''))}), "
        rf"family-wise $\alpha = {_num(run.get('alpha'), 3)}$ over {run.get('checks')} checks, "
        rf"so $|z| \le {_num(main.get('threshold'), 3)}$ passes; modelcollapse {run.get('modelcollapse')}. "
        rf"Status: \emph{{{_escape(status)}}}. {_units(claim)}; "
        r"$z = (\text{estimate} - \text{value})/\text{stderr}$."
    )
    if pub.get("published_value") is not None and pub.get("exact_value") != pub.get("published_value"):
        caption += (" The exact form and the published formula at the larger sizes are tested by one simulation."
                    if pub.get("evidence_sizes") else " The published rows share one simulation with the exact form.")
    if any(mc.get("sampler") == "brute" for _, mc in mc_entries(result)):
        caption += (" The brute sampler draws every point and refits it, sharing nothing with the reduction the "
                    "exact sampler and the exact form use; its checks have their own pilot, chains and seed.")
    if result.get("notes"):
        caption += " " + " ".join(_escape(n[0].upper() + n[1:]) + "." for n in result["notes"])
    if settings:
        caption += " Parameters: " + "; ".join(f"({tag}) {_params_text(p)}" for tag, p in settings) + "."
    return [
        # not a float: the evidence stays with its claim
        r"\par\noindent\begin{minipage}{\linewidth}",
        r"\centering\small",
        r"\begin{tabular}{@{}lllllrr@{}}",
        r"\toprule",
        rf"tested & {'setting' if settings else 'sizes $M_i$'} & value & estimate & stderr & $z$ & chains \\",
        r"\midrule",
        *(" & ".join(r) + r" \\" for r in rows),
        r"\bottomrule",
        r"\end{tabular}",
        rf"\captionof{{table}}{{{caption}}}",
        rf"\label{{tab:{claim.id}}}",
        r"\end{minipage}",
        r"\par\medskip",
    ]


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        if len(value) > 3 and len(set(value)) == 1:
            return f"{value[0]}x{len(value)}"
        return ",".join(map(str, value))
    return str(value)


def _difference(claim: Claim) -> sp.Expr | None:
    """Derived minus published series (to the published order), or ``None`` when they agree."""
    from ..symbolic.series import QuasiSymmetricSeries

    form = claim.published
    assert form is not None
    k = form.remainder_order - 1
    ours = claim.series(k).coefficients
    theirs = form.series.coefficients
    diff = {a: ours.get(a, 0) - theirs.get(a, 0) for a in sorted(set(ours) | set(theirs))}
    diff = {a: c for a, c in diff.items() if c != 0}
    return _series_expr(claim, QuasiSymmetricSeries(diff, k)) if diff else None


def _next_order_value(claim: Claim, params: Mapping[str, Any]) -> float:
    """The derived terms of the order a published statement leaves in its remainder, at ``params``."""
    assert claim.published is not None
    k = claim.published.remainder_order
    with mpmath.workdps(30):
        return float(claim.series_value(k, params) - claim.series_value(k - 1, params))


def _published_block(claim: Claim, ev: Evidence, exact_ref: str | None) -> list[str]:
    form = claim.published
    assert form is not None
    pub = ev.result.get("published") or {}
    k = form.remainder_order
    verdict = pub.get("verdict", "not verified")
    out = [rf"\begin{{statement}}[{_escape(form.source) if '$' not in form.source else form.source}]",
           rf"\label{{thm:{claim.id}}}",
           *([] if form.formula else [f"{form.text}."]),
           r"As published" + (rf" \citep{{{','.join(_keys(claim))}}}" if claim.references else "") + ":",
           rf"\input{{claims/{claim.id}}}"]
    if form.reading:
        out.append(f"Read with {form.reading}.")
    out.append(r"\end{statement}")
    line = [rf"\paragraph{{Verdict: {_escape(verdict)}.}}"]
    if form.series is None:
        line.append(r"The exact form, in this appendix's notation, is")
    else:
        line.append(r"The derived expansion to the same order, in this appendix's notation, is")
    out += [" ".join(line), rf"\input{{claims/{claim.id}-derived}}"]
    unit = "" if claim.unit == 1 else rf" (in units of ${render(claim.unit)}$)"
    sizes = _sizes(pub.get("evidence_sizes") or ())
    z_pub, z_exact = pub.get("z_published"), pub.get("z_exact")
    threshold = (pub.get("evidence") or {}).get("threshold")
    detected = z_pub is not None and threshold is not None and abs(z_pub) > threshold
    text = []
    difference = _difference(claim) if form.series is not None else None
    points = pub.get("points") or []
    tables: list[str] = []
    if form.series is None and any(pt.get("scope") == "beyond" for pt in points):
        tables = _points_table(points)
    elif form.series is None and points:
        worst = min(points, key=lambda pt: (pt["holds"], -abs(pt["exact"] - pt["published"])))
        shown = ", ".join(f"{_escape(k)} {_escape(_short(v))}" for k, v in worst["params"].items())
        text.append(
            rf"Decided exactly at {len(points)} parameter points; "
            rf"{'the relation fails' if not worst['holds'] else 'the largest gap is'} at {shown}: exact "
            rf"${_num(worst['exact'])}$, published ${_num(worst['published'])}$."
        )
    elif verdict == "refuted" and difference is not None:
        text.append(rf"The printed coefficients are wrong: derived minus published is ${render(difference)} + {_remainder(k)}$.")
    elif verdict == "correct to the stated order":
        text.append(
            rf"The printed coefficients are the derived ones to the stated order; the statement leaves the "
            rf"terms of order $M^{{-{k}}}$ in its remainder, and they are not zero."
        )
    elif verdict == "exact":
        text.append("The published expression equals the exact form: it has no remainder.")
    alts = pub.get("alternatives") or {}
    for name, result in sorted(alts.items()):
        text.append(f"Read otherwise ({_escape(name)}), it is {_escape(result)}.")
    if not sizes and z_pub is not None:
        sizes = "the evidence parameters"
    if sizes:
        gap = None if pub.get("exact_value") is None else pub["exact_value"] - pub["published_value"]
        if verdict == "correct to the stated order" and gap is not None and claim.evidence_params is not None:
            nxt = _next_order_value(claim, claim.evidence_params)
            text.append(
                rf"At sizes {sizes} the exact value exceeds the published one by ${_num(gap, 3)}${unit}, of which "
                rf"the derived $M^{{-{k}}}$ terms account for ${_num(nxt, 3)}$: this remainder is what the "
                rf"simulation {'detects' if detected else 'does not resolve'}, $z = {_signed(z_pub, 1)}$ for the "
                rf"published value against $z = {_signed(z_exact)}$ for the exact form."
            )
        else:
            where = f"At sizes {sizes}" if pub.get("evidence_sizes") else f"At {sizes}"
            text.append(
                rf"{where} the simulation gives $z = {_signed(z_pub, 1)}$ for the published value "
                rf"({'rejected' if detected else 'not rejected'}) and $z = {_signed(z_exact)}$ for the exact form."
            )
            others = pub.get("z_alternatives") or {}
            if others:
                text[-1] = text[-1].rstrip(".") + "; other readings: " + ", ".join(
                    f"{_escape(n)} $z = {_signed(z, 1)}$" for n, z in sorted(others.items())) + "."
        text[-1] = text[-1].rstrip(".") + rf" (Table~\ref{{tab:{claim.id}}})."
    if exact_ref is not None:
        text.append(rf"The exact form is \eqref{{eq:{exact_ref}}} of Theorem~\ref{{thm:{exact_ref}}}.")
    out.append(" ".join(text))
    out += tables
    if exact_ref is None:
        short, defs = _abbreviated(claim)
        rows = display_lines(claim.lhs_latex, render(short), width=_WIDTH)
        where = _where_rows(claim, defs)
        body = " \\\\\n".join(rows) + ("\\\\\n" + where[0].replace(r" \nonumber", "") if where else "")
        out.append("The exact form is\n\\begin{align*}\n" + body + "\n\\end{align*}")
    return out


def _points_table(points: Sequence[Mapping[str, Any]]) -> list[str]:
    """The probes of a value form, in and beyond the stated scope."""
    return [
        r"\begin{center}\small",
        r"\begin{tabular}{@{}p{8.2cm}lrrl@{}}",
        r"\toprule",
        r"parameters changed & scope & exact & published & holds \\",
        r"\midrule",
        *(f"{_params_text(p['params']) or 'none'} & {_escape(p.get('scope', 'stated'))} & ${_num(p['exact'])}$ & "
          f"${_num(p['published'])}$ & {'yes' if p['holds'] else 'no'} \\\\" for p in points),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{center}",
        r"The verdict is decided at the probes of the stated scope; those beyond it are reported only (a verdict "
        r"``in scope'' holds at every stated probe and fails at one beyond).",
    ]


def _keys(claim: Claim) -> list[str]:
    return sorted({bibtex.canonical(k) for k in claim.references})


def _theorem(claim: Claim, standing: Sequence[str]) -> list[str]:
    out = [rf"\begin{{theorem}}[{claim.title}]", rf"\label{{thm:{claim.id}}}"]
    extra = [a for a in claim.assumptions if a not in standing]
    if extra:
        lead = "Under the standing assumptions, and if" if standing else "Assume"
        if len(extra) == 1:
            out.append(f"{lead} {extra[0]},")
        else:
            out.append(lead)
            out.append(r"\begin{itemize}")
            out += [rf"\item {a};" for a in extra]
            out.append(r"\end{itemize}")
    elif standing:
        out.append("Under the standing assumptions,")
    refs = rf" (cf.\ \citet{{{','.join(_keys(claim))}}})" if claim.references else ""
    then = "then " if extra else ""
    if claim.scope:
        out.append(f"{then}{claim.scope}{refs},")
    elif not claim.exact:
        out.append(rf"{then}as every $M_i \to \infty$ at fixed $g$ (no closed form is known; the coefficients are "
                   rf"derived below){refs},")
    elif claim.series_symbols:
        base, _ = claim.series_symbols
        out.append(rf"{then}for every $g \ge 0$ and all sizes ${base.name}_0, \dots, {base.name}_{{g-1}}${refs},")
    else:
        out.append(f"then{refs},")
    out.append(rf"\input{{claims/{claim.id}}}")
    out.append(r"\end{theorem}")
    return out


def _shared_base(claim: Claim, claims: Sequence[Claim]) -> str | None:
    """The id of an exported derived claim whose derivation a published claim shares, if any."""
    if claim.published is None:
        return None
    for other in claims:
        if other.published is None and other.steps is claim.steps:
            return other.id
    return None


def _standing(claims: Sequence[Claim]) -> list[str]:
    """The assumptions every exported claim of a model makes (stated once, in the model's section)."""
    if not claims:
        return []
    common = [a for a in claims[0].assumptions if all(a in c.assumptions for c in claims[1:])]
    return common if len(claims) > 1 or len(claims[0].assumptions) > 1 else []


def _cited(claims: Sequence[Claim]) -> list[str]:
    keys = {bibtex.canonical(k) for c in claims for k in c.references}
    for _, model in _models_of(claims):
        if model is not None:
            keys.update(bibtex.canonical(k) for k in model.references)
    keys.update(k for _, ks in _CONTEXT for k in ks)
    return sorted(keys)


SUMMARY_ROWS = 40
"""Rows of one summary table: a ``tabular`` cannot break across pages, so longer summaries are split."""


def _summary(claims: Sequence[Claim], evidence: Mapping[str, Evidence]) -> list[str]:
    out = [r"\section*{Summary}"]
    head = [r"\begin{center}\scriptsize", r"\begin{tabular}{@{}lrrrrp{1.8cm}@{}}", r"\toprule",
            r"claim & eq. & \multicolumn{3}{c}{$z$: exact sampler, brute force, published} & status \\", r"\midrule"]
    for n, claim in enumerate(claims):
        if n % SUMMARY_ROWS == 0:  # a tabular does not break across pages: one per page's worth of rows
            out += ([r"\bottomrule", r"\end{tabular}", r"\end{center}"] if n else []) + head
        r = evidence[claim.id].result
        pub = r.get("published") or {}
        entries = mc_entries(r)
        zs, zb = (", ".join(f"${_signed(mc.get('z'), 1)}$" for _, mc in entries if (mc.get("sampler") == "brute") == brute)
                  or ("---" if brute else r"\text{n/a}") for brute in (False, True))
        z_pub = f"${_signed(pub.get('z_published'), 1)}$" if pub else "---"
        out.append(
            rf"\texttt{{{claim.id}}} & \eqref{{eq:{claim.id}}} & {zs} & {zb} & {z_pub} & "
            rf"\raggedright {_escape(r.get('status', 'n/a'))}\tabularnewline"
        )
    out += [r"\bottomrule", r"\end{tabular}", r"\end{center}"]
    if any(c.published is not None for c in claims):
        out.append(
            r"For a published statement, the exact form is tested at the sizes of its claim and at the larger "
            r"sizes where the published formula is tested; the published value's $z$ comes from the latter "
            r"simulation by the exact sampler. Chains and seeds are in each claim's table."
        )
    return out


def appendix_tex(claims: Sequence[Claim], evidence: Mapping[str, Evidence]) -> str:
    """The complete appendix document (see the module docstring)."""
    runs = sorted({(str(e.run.get("scale")), str(e.run.get("seed"))) for e in evidence.values()})
    models = _models_of(claims)
    names = ", ".join(rf"\texttt{{{_escape(m)}}}" for m, _ in models)
    out = [
        "% Generated by modelcollapse (`modelcollapse latex`); regenerate rather than edit.",
        "% Build: " + " && ".join(BUILD),
        _PREAMBLE.rstrip("\n"),
        r"\title{Model collapse: checked results}",
        rf"\author{{Generated by \texttt{{modelcollapse}} {__version__}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        "",
        r"\begin{abstract}",
        (
            f"This appendix states {len(claims)} result{'s' if len(claims) != 1 else ''} about model collapse "
            f"(model{'s' if len(models) != 1 else ''}: {names}). "
            "Each comes with its assumptions, its derivation (every step checked with SymPy or at random "
            "high-precision points with mpmath; closed forms for every number of generations by a base case and "
            "an induction step proved for symbolic $g$), its series in the inverse sample sizes with the "
            "remainder order checked against the exact form, and Monte Carlo evidence from powered, calibrated "
            "z-tests. Published statements are shown as published, with the derived correction and a verdict. "
            "Monte Carlo evidence: "
            + "; ".join(rf"scale \texttt{{{_escape(s)}}}, master seed {_escape(seed)}" for s, seed in runs)
            + "."
        ),
        r"\end{abstract}",
        "",
        r"\section*{Notation}",
        r"\begin{tabular}{@{}lp{12.5cm}@{}}",
        r"\toprule",
        r"symbol & meaning \\",
        r"\midrule",
        *(rf"${tex}$ & {meaning} \\" for tex, meaning in SYMBOLS.values()),
        r"\bottomrule",
        r"\end{tabular}",
        "",
        r"Each model's own symbols are listed in its section.",
        "",
        r"\section*{Context}",
        "Related work: " + "; ".join(rf"{topic} \citep{{{','.join(keys)}}}" for topic, keys in _CONTEXT) + ".",
    ]
    derived_ids = {c.id for c in claims if c.published is None}
    for name, model in models:
        group = [c for c in claims if c.model == name]
        standing = _standing(group)
        title = _escape(model.description) if model is not None else _escape(name)
        out += ["", rf"\section{{{title} (\texttt{{{_escape(name)}}})}}", rf"\label{{sec:{name}}}"]
        refs = sorted({bibtex.canonical(k) for k in (model.references if model is not None else ())})
        if standing:
            out.append(r"\subsection*{Standing assumptions}")
            out.append("Throughout this section" + (rf" (the setting of \citet{{{','.join(refs)}}})" if refs else "") + ":")
            out += [r"\begin{itemize}", *(rf"\item {a};" for a in standing), r"\end{itemize}"]
        if model is not None and model.notation:
            out += [r"\subsection*{Notation}", "", r"\begin{center}", r"\input{" + f"notation/{name}" + "}",
                    r"\end{center}", ""]
        for claim in group:
            ev = evidence[claim.id]
            shared = _shared_base(claim, claims)
            out.append("")
            out.append(f"% --- {claim.id}")
            if claim.published is not None:
                out += _published_block(claim, ev, shared if shared in derived_ids else None)
                if shared in derived_ids:
                    out += _evidence_table(claim, ev)
                    continue
            else:
                out += _theorem(claim, standing)
            if claim.series_order is not None and claim.series_of_order is not None:
                out += _series_block(claim, ev)
            out += _derivation(claim, ev, shared if shared in derived_ids else None)
            out += _evidence_table(claim, ev)
        out.append(r"\clearpage")
    out += ["", *_summary(claims, evidence), ""]
    out += [rf"\bibliographystyle{{{bibtex.BIBLIOGRAPHY_STYLE}}}", r"\bibliography{references}", "",
            r"\end{document}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperFiles:
    """What :func:`write_paper` wrote."""

    fragments: tuple[Path, ...]
    notation: tuple[Path, ...]
    appendix: Path
    bibliography: Path
    verified: tuple[str, ...]
    """Claim ids that had no saved evidence and were verified for this export."""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if not (path.is_file() and path.read_bytes() == data):  # leave unchanged files untouched
        path.write_bytes(data)
    return path


def write_paper(
    out: str | os.PathLike[str],
    ids: Sequence[str] | None = None,
    *,
    report: Mapping[str, Any] | None = None,
    scale: str = "smoke",
    seed: int | None = None,
) -> PaperFiles:
    """Write the fragments, the notation, ``appendix.tex`` and ``references.bib`` under ``out``.

    ``report`` is a saved verification (``Report.to_dict()``); claims it does not cover are verified now
    at ``scale`` (default ``smoke``) with ``seed`` (default the verification default), and the appendix
    says which scale and seed each table comes from.  Build the PDF with :data:`BUILD`.
    """
    from ..proofs.registry import registry

    claims = registry(ids)
    evidence, verified = collect_evidence(claims, report, scale=scale, seed=seed)
    root = Path(out)
    fragments = []
    for c in claims:
        fragments.append(_write(root / "claims" / f"{c.id}.tex", claim_fragment(c) + "\n"))
        if c.published is not None:
            fragments.append(_write(root / "claims" / f"{c.id}-derived.tex", derived_fragment(c) + "\n"))
    notation = tuple(_write(root / "notation" / f"{name}.tex", notation_fragment(model))
                     for name, model in _models_of(claims) if model is not None and model.notation)
    appendix = _write(root / "appendix.tex", appendix_tex(claims, evidence))
    bib = _write(root / "references.bib", bibtex.bibtex(_cited(claims)))
    return PaperFiles(tuple(fragments), notation, appendix, bib, tuple(verified))

