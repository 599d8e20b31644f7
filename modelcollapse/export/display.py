r"""Jupyter display of verification results (``_repr_latex_``, ``_repr_mimebundle_``; STYLE.md B2).

The result classes of :mod:`modelcollapse.proofs.verify` call these functions from their display hooks,
so the proofs layer never formats text itself (STYLE.md R14).  Everything works on the plain-data form
``to_dict()``; a result shows one row per Monte Carlo check it carries (more schedules, other samplers) and,
for a published statement, the published value's z beside the exact form's.

>>> row = {"claim_id": "c", "status": "holds", "ok": True,
...        "mc": {"theory": 1.5, "estimate": 1.49, "stderr": 0.01, "z": -1.0, "threshold": 4.0, "chains": 1000}}
>>> print(result_markdown(row))
| claim | tested | value | estimate | stderr | z | threshold | chains | status |
|---|---|---|---|---|---|---|---|---|
| `c` | exact form | 1.5 | 1.49 | 0.01 | -1.00 | 4.00 | 1,000 | holds |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["report_bundle", "report_latex", "report_markdown", "result_bundle", "result_latex", "result_markdown"]

_HEAD = ("claim", "tested", "value", "estimate", "stderr", "z", "threshold", "chains", "status")


def _rows(row: Mapping[str, Any]) -> list[list[str]]:
    """One table row per Monte Carlo check of a result (every schedule and sampler it carries), and the
    published value's z beside the exact form's for a published statement."""
    from .appendix import mc_entries

    status = str(row.get("status", ""))
    if row.get("ok") is False:
        status += " (FAILED)"
    pub = row.get("published") or {}
    evidence = pub.get("evidence") or {}
    out = []
    checks = mc_entries(row) or [("exact form", {})]
    for label, mc in checks:
        def num(value: Any, fmt: str) -> str:
            return "n/a" if value is None else format(value, fmt)

        cells = [str(row.get("claim_id", "")), label, num(mc.get("theory"), ".6g"), num(mc.get("estimate"), ".6g"),
                 num(mc.get("stderr"), ".3g"), num(mc.get("z"), "+.2f"), num(mc.get("threshold"), ".2f"),
                 num(mc.get("chains"), ","), status]
        out.append(cells)
        if evidence and mc.get("z") == evidence.get("z") and pub.get("published_value") not in (None, pub.get("exact_value")):
            out.append([cells[0], "published formula", num(pub.get("published_value"), ".6g"), cells[3], cells[4],
                        num(pub.get("z_published"), "+.1f"), cells[6], cells[7], status])
    return out


def _markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for row in rows:
        for cells in _rows(row):
            cells[0] = f"`{cells[0]}`"
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _latex(rows: Sequence[Mapping[str, Any]]) -> str:
    head = " & ".join(rf"\text{{{h}}}" for h in _HEAD)
    body = []
    for row in rows:
        for cells in _rows(row):
            cells[0] = r"\texttt{" + cells[0] + "}"
            cells[1] = r"\text{" + cells[1] + "}"
            cells[-1] = r"\text{" + cells[-1] + "}"
            cells[7] = cells[7].replace(",", r"\,")
            body.append(" & ".join(cells))
    return r"$\begin{array}{llrrrrrrl}" + head + r" \\ \hline " + r" \\ ".join(body) + r"\end{array}$"


def result_markdown(row: Mapping[str, Any]) -> str:
    """One claim's verification result (``ClaimResult.to_dict()``) as a Markdown table."""
    return _markdown([row])


def result_latex(row: Mapping[str, Any]) -> str:
    """One claim's verification result as a LaTeX ``array`` (MathJax-compatible, between ``$``)."""
    return _latex([row])


def result_bundle(row: Mapping[str, Any], plain: str | None = None) -> dict[str, str]:
    """The MIME bundle of one result: ``text/plain`` (the table unless given), ``text/markdown``, ``text/latex``."""
    text = result_markdown(row)
    pub = row.get("published")
    if pub:
        text += f"\n\nPublished statement: **{pub.get('verdict')}** ({pub.get('text')})"
    return {"text/plain": plain or text, "text/markdown": text, "text/latex": result_latex(row)}


def _report_head(data: Mapping[str, Any]) -> str:
    n_ok = sum(bool(c.get("ok")) for c in data.get("claims", []))
    return (f"{n_ok}/{len(data.get('claims', []))} claims verified at scale {data.get('scale')} "
            f"(seed {data.get('seed')}, family-wise alpha {data.get('alpha')} over {data.get('checks')} checks)")


def report_markdown(data: Mapping[str, Any]) -> str:
    """A verification report (``Report.to_dict()``) as Markdown: one line of settings, one table."""
    return _report_head(data) + "\n\n" + _markdown(data.get("claims", []))


def report_latex(data: Mapping[str, Any]) -> str:
    """A verification report as one LaTeX ``array``."""
    return _latex(data.get("claims", []))


def report_bundle(data: Mapping[str, Any], plain: str | None = None) -> dict[str, str]:
    """The MIME bundle of a report (``text/plain`` is the Markdown table unless given)."""
    text = report_markdown(data)
    return {"text/plain": plain or text, "text/markdown": text, "text/latex": report_latex(data)}
