r"""Jupyter display of verification results (``_repr_latex_``, ``_repr_mimebundle_``; STYLE.md B2).

The result classes of :mod:`modelcollapse.proofs.verify` call these functions from their display hooks,
so the proofs layer never formats text itself (STYLE.md R14).  Everything works on the plain-data form
``to_dict()``.

>>> row = {"claim_id": "c", "status": "holds", "ok": True,
...        "mc": {"theory": 1.5, "estimate": 1.49, "stderr": 0.01, "z": -1.0, "threshold": 4.0, "chains": 1000}}
>>> print(result_markdown(row))
| claim | exact | estimate | stderr | z | threshold | chains | status |
|---|---|---|---|---|---|---|---|
| `c` | 1.5 | 1.49 | 0.01 | -1.00 | 4.00 | 1,000 | holds |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["report_bundle", "report_latex", "report_markdown", "result_bundle", "result_latex", "result_markdown"]

_HEAD = ("claim", "exact", "estimate", "stderr", "z", "threshold", "chains", "status")


def _cells(row: Mapping[str, Any]) -> list[str]:
    mc = row.get("mc") or {}

    def num(key: str, fmt: str) -> str:
        value = mc.get(key)
        return "n/a" if value is None else format(value, fmt)

    status = str(row.get("status", ""))
    if row.get("ok") is False:
        status += " (FAILED)"
    return [str(row.get("claim_id", "")), num("theory", ".6g"), num("estimate", ".6g"), num("stderr", ".3g"),
            num("z", "+.2f"), num("threshold", ".2f"), num("chains", ","), status]


def _markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for row in rows:
        cells = _cells(row)
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _latex(rows: Sequence[Mapping[str, Any]]) -> str:
    head = " & ".join(rf"\text{{{h}}}" for h in _HEAD)
    body = []
    for row in rows:
        cells = _cells(row)
        cells[0] = r"\texttt{" + cells[0] + "}"
        cells[-1] = r"\text{" + cells[-1] + "}"
        cells[6] = cells[6].replace(",", r"\,")
        body.append(" & ".join(cells))
    return r"$\begin{array}{lrrrrrrl}" + head + r" \\ \hline " + r" \\ ".join(body) + r"\end{array}$"


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
