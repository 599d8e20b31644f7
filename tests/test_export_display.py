"""Jupyter display of claims and results, SymPy results as math, and `modelcollapse.citation`."""

from __future__ import annotations

import io

import pytest
import sympy as sp

import modelcollapse
from modelcollapse.export.bibtex import Citation, citation, cited_keys
from modelcollapse.proofs.registry import get_claim
from modelcollapse.proofs.verify import verify
from modelcollapse.symbolic import gaussian1d as G


@pytest.fixture(scope="module")
def report():
    return verify(["gaussian1d-var-x", "shumailov2024-c-var-w2sq"], scale="smoke")


def test_claim_displays_as_math():
    claim = get_claim("gaussian1d-var-x")
    latex = claim._repr_latex_()
    assert latex.startswith("$\\displaystyle \\operatorname{Var} X^g = ") and latex.endswith("$")
    bundle = claim._repr_mimebundle_()
    assert {"text/plain", "text/latex", "text/markdown"} <= set(bundle)
    assert "gaussian1d-var-x" in bundle["text/markdown"]


def test_results_display(report):
    result = report.results[1]
    latex = result._repr_latex_()
    assert latex.startswith(r"$\begin{array}") and r"\texttt{shumailov2024-c-var-w2sq}" in latex
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown", "text/latex"}
    assert "| `shumailov2024-c-var-w2sq` |" in bundle["text/markdown"]
    assert "Published statement: **refuted**" in bundle["text/markdown"]
    rb = report._repr_mimebundle_()
    assert rb["text/markdown"].startswith("2/2 claims verified at scale smoke")
    # header row + one row per check: the first claim's (exact and brute-force sampler), the published claim's at
    # its sizes and at the larger sizes (both samplers), and the published value's z beside it
    latex = report._repr_latex_()
    assert latex.count(r"\\") == 7 and r"\text{published formula}" in latex
    assert latex.count(r"\text{exact form (brute sampler)}") == 3
    z = report.results[1].published.z_published
    assert f"| published formula | {report.results[1].published.published_value:.6g} |" in rb["text/markdown"]
    assert f"{z:+.1f}" in rb["text/markdown"]


def test_sympy_api_returns_displayable_expressions():
    expr = G.series("var_w2sq", 2).symbolic(G.Mi, G.g)
    assert isinstance(expr, sp.Expr)
    assert expr._repr_latex_().startswith("$\\displaystyle")


def test_citation_prints_and_returns(capsys):
    text = modelcollapse.citation("gaussian1d-var-w2sq")
    printed = capsys.readouterr().out
    assert isinstance(text, Citation) and isinstance(text, str) and printed == text
    assert "@article{shumailov2024nature," in text and "@misc{shumailov2023curse," in text
    assert "doi" in text and "2305.17493" in text
    assert repr(text) == "<BibTeX: 2 entries: shumailov2023curse, shumailov2024nature>"


def test_citation_accepts_claims_results_and_reports(report):
    buf = io.StringIO()
    assert citation(get_claim("gaussian1d-var-x"), file=buf) == buf.getvalue()
    assert cited_keys(report) == cited_keys(*report.results) == ("shumailov2023curse", "shumailov2024nature")
    assert {"shumailov2023curse", "shumailov2024nature"} <= set(cited_keys())  # every registered claim
    with pytest.raises(TypeError, match="citation\\(\\) takes claim ids"):
        citation(3.5, file=None)
    with pytest.raises(modelcollapse.ParameterError, match="claim must be one of the registered ids"):
        citation("nope", file=None)
