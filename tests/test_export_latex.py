"""`modelcollapse latex`: the printer, fragments that fit real pages, the appendix built with BibTeX, and
the defects a referee sent back (they cannot come back)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from modelcollapse.cli import main
from modelcollapse.export import bibtex
from modelcollapse.export.appendix import (
    BUILD,
    Evidence,
    appendix_tex,
    claim_fragment,
    derived_fragment,
    mc_entries,
    write_paper,
)
from modelcollapse.export.latex import (
    EM_PER_UNIT,
    NARROW_EM,
    WIDE_EM,
    abbreviate,
    break_tex,
    clean_indices,
    paper_form,
    render,
    visual_width,
)
from modelcollapse.proofs.registry import claim_ids, get_claim, registry
from modelcollapse.proofs.verify import verify
from modelcollapse.symbolic import gaussian1d as G

IDS = (
    "gaussian1d-var-x",
    "gaussian1d-var-w2sq",
    "gaussian1d-mean-log-sigma2",
    "gaussian1d-var-x-mle",
    "gaussian1d-mean-sigma-mle",
    "shumailov2024-b-mean-w2sq",
    "shumailov2024-c-var-w2sq",
)
PDFLATEX, BIBTEX, PDFFONTS = shutil.which("pdflatex"), shutil.which("bibtex"), shutil.which("pdffonts")
needs_latex = pytest.mark.skipif(
    PDFLATEX is None or BIBTEX is None,
    reason="pdflatex and bibtex are not installed (apt-get install texlive-latex-base texlive-latex-recommended)",
)
needs_pdffonts = pytest.mark.skipif(PDFFONTS is None, reason="pdffonts is not installed (apt-get install poppler-utils)")


@pytest.fixture(scope="module")
def report():
    return verify(IDS, scale="smoke")


@pytest.fixture(scope="module")
def paper(tmp_path_factory, report):
    out = tmp_path_factory.mktemp("paper")
    files = write_paper(out, IDS, report=report.to_dict())
    return out, files


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _tex_of(out: Path) -> str:
    return (out / "appendix.tex").read_text() + "".join(p.read_text() for p in sorted((out / "claims").iterdir()))


# -- the printer --------------------------------------------------------------------------------------------


def test_printer_writes_psi_clean_indices_and_common_denominators():
    tex = render(G.exact_symbolic_g("mean_log_sigma2"))
    assert r"\psi\left(\frac{M_{i} - 1}{2}\right)" in tex and "polygamma" not in tex
    assert render(G.exact_symbolic_g("var_log_sigma2")) == r"\sum_{i=0}^{g - 1} \psi'\left(\frac{M_{i} - 1}{2}\right)"
    assert render(sp.gamma(G.M / 2 - sp.Rational(1, 2))) == r"\Gamma\left(\frac{M - 1}{2}\right)"
    # nested binders get i, j, k by depth, never SymPy's dummies i_0, j_1
    tex = render(G.exact_symbolic_g("var_w2sq", "mle"))
    assert not re.search(r"[ij]_\{\d\}", tex)
    assert r"\sum_{i=0}^{g - 1}" in tex and r"\prod_{j=0}^{i - 1}" in tex and r"\prod_{k=0}^{j - 1}" in tex


def test_no_sum_of_a_negative_and_no_unit_powers():
    i, g = sp.symbols("i g", integer=True)
    tex = render(sp.Sum(-G.sigma**4 / G.Mi[i] ** 2, (i, 0, g - 1)))
    assert tex == r"- \sigma^{4} \sum_{i=0}^{g - 1} \frac{1}{M_{i}^{2}}"
    for cid in claim_ids():
        claim = get_claim(cid)
        for step in claim.steps:
            assert "^{1}" not in step.description and "^{0}" not in step.description, step.description


def test_display_forms_keep_the_value():
    at = {G.g: 3}
    sizes = {G.Mi[i]: m for i, m in enumerate((5, 8, 4))}
    for q in ("var_w2sq", "mean_log_sigma2", "var_x"):
        for est in ("unbiased", "mle"):
            e = G.exact_symbolic_g(q, est)
            for f in (paper_form, clean_indices):
                a = sp.N(e.subs(at).doit().subs(sizes).subs(G.sigma, 1), 30)
                b = sp.N(f(e).subs(at).doit().subs(sizes).subs(G.sigma, 1), 30)
                assert abs(a - b) < 1e-25, (q, est, f.__name__)


def test_abbreviations_keep_the_value():
    c = get_claim("gaussian1d-var-w2sq")
    short, defs = c.display(c.statement)
    assert [name for name, _ in defs] == ["nu_1", "nu_3"]  # rational bodies, (M+1)/(M-1), are kept as they are
    back = short.replace(
        lambda e: isinstance(e, sp.core.function.AppliedUndef),
        lambda e: dict(defs)[type(e).__name__].subs(sp.Symbol("M", positive=True, integer=True), e.args[0]),
    )
    at = {G.g: 3}
    sizes = {G.Mi[i]: m for i, m in enumerate((5, 8, 4))}
    a = sp.N(c.statement.subs(at).doit().subs(sizes).subs(G.sigma, 1), 30)
    b = sp.N(back.subs(at).doit().subs(sizes).subs(G.sigma, 1), 30)
    assert abs(a - b) < 1e-25


def test_a_body_that_is_no_moment_gets_a_local_name():
    M = G.Mi[sp.Symbol("j", integer=True)]
    expr = sp.Product(sp.gamma(M + sp.Rational(1, 3)) / sp.gamma(M), (sp.Symbol("j", integer=True), 0, G.g - 1))
    short, defs = abbreviate(expr, G.refit_moment)
    assert [n for n, _ in defs] == ["kappa_1"] and "kappa_" in str(short)


def test_the_mle_variance_of_a_sample_is_sigma_squared_exactly():
    claim = get_claim("gaussian1d-var-x-mle")
    assert claim.statement == G.sigma**2
    (step,) = [s for s in claim.steps if s.kind == "invariant"]
    assert step.prove() is True  # telescoping, for symbolic g


def test_line_breaking_keeps_every_term():
    tex = render(sp.Add(*(sp.Symbol(f"x_{i}") / (i + 1) for i in range(30))))
    lines = break_tex(tex, width=20)
    assert len(lines) > 3 and " ".join(lines).split() == tex.split()
    assert all(visual_width(ln) <= 20 for ln in lines)
    # within a product: never after a sign, a number or an operator; the new line starts with \times
    long_term = render(G.exact_symbolic_g("var_w2sq", "mle"))
    for ln in break_tex(long_term, 20):
        assert not ln.rstrip().endswith(("+", "-", "}^{g - 1}", "}^{i - 1}")), ln
    joined = " ".join(ln.removeprefix(r"\times ") for ln in break_tex(long_term, 20))
    joined = joined.replace(r"\biggl(", r"\left(").replace(r"\biggr)", r"\right)")  # opened groups
    assert joined.replace(" ", "") == long_term.replace(" ", "")


def test_fragment_lines_fit_both_widths():
    tex = claim_fragment(get_claim("gaussian1d-var-w2sq-mle"))
    rows = [r for r in tex.split("\\\\\n") if "&" in r]
    assert len(rows) >= 4
    wide, narrow = WIDE_EM / EM_PER_UNIT, NARROW_EM / EM_PER_UNIT
    for row in rows:
        body = re.sub(r"\\(nonumber|label\{[^}]*\}|end\{align\}|begin\{align\})", "", row.split("\n")[-1])
        assert visual_width(body.replace(r"\mcbreaktimes", "").replace(r"\mcbreak", "")) < wide + 2
        for piece in re.split(r"\\mcbreak(?:times)?", body):
            assert visual_width(piece) < narrow + 2, piece


# -- fragments ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", claim_ids())
def test_every_claim_has_a_labelled_fragment(cid):
    claim = get_claim(cid)
    tex = claim_fragment(claim)
    assert tex.count(rf"\label{{eq:{cid}}}") == 1
    env = "align" if r"\begin{align}" in tex else "equation"
    assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}") == 1
    if env == "align":  # one number per fragment: every other row is unnumbered
        rows = tex.split(r"\begin{align}")[1].split(r"\end{align}")[0].split(r"\\")
        assert sum(r"\nonumber" not in row and r"\intertext" not in row for row in rows) == 1
    assert "{M}_" not in tex and "polygamma" not in tex
    if claim.published is not None:
        derived = derived_fragment(claim)
        assert derived.count(rf"\label{{eq:{cid}-derived}}") == 1


def test_published_formulas_are_shown_as_published():
    c = get_claim("shumailov2024-c-var-w2sq")
    tex = claim_fragment(c)
    assert r"\sum_{i \ne j} \frac{4}{M_i M_j}" in tex and r"\frac{3}{M_0^2}" in tex and r"M_i^{-3}" in tex
    assert "5 \\sigma^{4}" not in tex  # the correction is not in the published statement
    assert r"\frac{5 \sigma^{4}}{2}" in derived_fragment(c)


# -- the paper directory ------------------------------------------------------------------------------------


def test_paper_layout(paper):
    out, files = paper
    published = [cid for cid in IDS if get_claim(cid).published is not None]
    expected = sorted([f"{cid}.tex" for cid in IDS] + [f"{cid}-derived.tex" for cid in published])
    assert sorted(p.name for p in (out / "claims").iterdir()) == expected
    assert [p.name for p in files.notation] == ["gaussian1d.tex"]
    appendix = (out / "appendix.tex").read_text()
    for cid in IDS:
        assert appendix.count(rf"\input{{claims/{cid}}}") == 1
    assert appendix.startswith("% Generated by modelcollapse")
    assert r"\bibliography{references}" in appendix and r"\bibliographystyle{plainnat}" in appendix
    assert r"\begin{thebibliography}" not in appendix and not (out / "appendix.aux").exists()
    assert files.verified == ()


def test_appendix_content(paper, report):
    out, _ = paper
    appendix = (out / "appendix.tex").read_text()
    data = report.to_dict()
    assert "scale \\texttt{smoke}, master seed 20241125" in appendix
    for c in data["claims"]:
        for _, mc in mc_entries(c):
            assert f"{mc['theory']:.6g}" in appendix and f"{mc['z']:+.2f}" in appendix
            assert f"{mc['chains']:,}".replace(",", r"\,") in appendix
    # standing assumptions once per model, derivations by induction
    assert appendix.count(r"\subsection*{Standing assumptions}") == 1
    assert appendix.count("data are replaced each generation") == 1
    assert r"proved for symbolic $g$" in appendix and "base case" in appendix
    # series evidence at four generations and at unequal sizes
    assert "for $g = 4$" in appendix and r"(M, 2M, 5M, 3M)" in appendix


def test_verdicts_show_the_z_of_the_published_value(paper, report):
    out, _ = paper
    appendix = (out / "appendix.tex").read_text()
    pub = {c["claim_id"]: c["published"] for c in report.to_dict()["claims"] if c.get("published")}
    c = pub["shumailov2024-c-var-w2sq"]
    assert r"\paragraph{Verdict: refuted.}" in appendix
    assert f"${c['z_published']:+.1f}$" in appendix and f"${c['z_exact']:+.2f}$" in appendix
    summary = appendix.split(r"\section*{Summary}")[1]
    row = next(ln for ln in summary.splitlines() if "shumailov2024-c-var-w2sq" in ln)
    status = next(x["status"] for x in report.to_dict()["claims"] if x["claim_id"] == "shumailov2024-c-var-w2sq")
    # the status column shows the verdict, or why the run is no evidence (at smoke a heavy tail may be unresolved)
    assert status in ("refuted", "unreliable") and f"${c['z_published']:+.1f}$" in row and status in row
    b = pub["shumailov2024-b-mean-w2sq"]
    assert r"\paragraph{Verdict: correct to the stated order.}" in appendix
    assert "this remainder is what the simulation" in appendix and f"${b['z_published']:+.1f}$" in appendix


def _defects(text: str) -> list[str]:
    found = []
    if "polygamma" in text:
        found.append("polygamma")
    found += re.findall(r"(?<![A-Za-z\\])[ijk]_\{\d\}", text)  # dummy indices
    found += [m for m in ("^{1}", "^{0}", r"\sigma^1") if m in text]
    group = r"\{(?:[^{}]|\{[^{}]*\})*\}"  # a brace group, one level of nesting
    found += re.findall(rf"\\sum_{group}\^{group} -", text)  # a sum of a negative
    for block in re.findall(r"\\begin\{align\*?\}(.*?)\\end\{align\*?\}", text, flags=re.S):
        rows = [re.sub(r"\\tag\*\{[^}]*\}|\\nonumber|\\label\{[^}]*\}", "", r).strip() for r in block.split("\\\\")]
        rows = [r for r in rows if r]
        found += [f"line twice: {a}" for a, b in zip(rows, rows[1:]) if a == b]
        for row in rows:
            sides = row.split("&=")
            if len(sides) == 2 and sides[0].strip() == sides[1].strip():
                found.append(f"x = x: {row}")
    found += re.findall(r"\\tag\*?\{\\eqref[^}]*\}", text)  # derivation lines numbered like theorems
    return found


def test_the_defects_a_referee_sent_back_cannot_come_back(paper):
    out, _ = paper
    assert _defects(_tex_of(out)) == []
    assert r"\Gamma\left(\frac{M_{i}}{2} - \frac{1}{2}\right)" not in _tex_of(out)


def test_no_claim_of_any_model_has_them():
    """Every registered claim (of every model, now and later) through the same checks, without evidence."""
    claims = registry()
    tex = appendix_tex(claims, {c.id: Evidence({}, {}) for c in claims})
    fragments = "".join(claim_fragment(c) + (derived_fragment(c) if c.published else "") for c in claims)
    assert _defects(tex + fragments) == []


def test_references_are_complete_and_keys_match_years(paper):
    out, _ = paper
    bib = (out / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    tex = (out / "appendix.tex").read_text()
    cited = {k.strip() for group in re.findall(r"\\cite[pt]?\{([^}]*)\}", tex) for k in group.split(",")}
    assert cited and cited <= keys
    for key, (kind, fields) in bibtex.ENTRIES.items():
        assert {"author", "title", "year"} <= set(fields), key
        assert fields["year"] in key, key  # keys consistent with years
        assert {"journal", "booktitle", "howpublished"} & set(fields), key  # a venue, or arXiv as the venue
        if kind == "misc":
            assert re.search(r"arXiv:\d{4}\.\d{4,5}", fields["howpublished"]), key
            assert "eprint" not in fields and "note" not in fields, key  # the identifier once
    assert bibtex.entry("shumailov2024curse") == bibtex.entry("shumailov2023curse")  # old keys stay valid
    assert "shumailov2023curse" in bibtex.citation("gaussian1d-var-x", file=None)


def test_byte_stable(tmp_path, paper, report):
    out, _ = paper
    again = tmp_path / "again"
    write_paper(again, IDS, report=json.loads(json.dumps(report.to_dict())))
    assert _files(again) == _files(out)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@needs_latex
def test_appendix_builds_with_bibtex_without_warnings(paper, tmp_path):
    src, _ = paper
    work = tmp_path / "build"
    shutil.copytree(src, work)
    for command in BUILD:
        proc = _run([*command.split()[:1], "-interaction=nonstopmode", "-halt-on-error", *command.split()[1:]]
                    if command.startswith("pdflatex") else command.split(), work)
        assert proc.returncode == 0, (command, proc.stdout[-3000:])
    log = (work / "appendix.log").read_text(errors="replace")
    assert "undefined" not in log.lower(), "\n".join(ln for ln in log.splitlines() if "ndefined" in ln)
    assert "Rerun" not in log and "LaTeX Error" not in log and not re.search(r"^! ", log, flags=re.M)
    assert "Overfull" not in log, [ln for ln in log.splitlines() if "Overfull" in ln]
    blg = (work / "appendix.blg").read_text(errors="replace")
    assert "Warning" not in blg and "error" not in blg.lower(), blg
    bbl = (work / "appendix.bbl").read_text()
    assert r"\bibitem[Shumailov et~al.(2024)" in bbl and "arXiv:2305.17493" in bbl
    pages = int(re.search(r"Output written on appendix\.pdf \((\d+) pages?", log).group(1))
    assert pages >= len(IDS)
    for cid in IDS:
        assert f"claims/{cid}.tex" in log.replace("\n", "")
    if PDFFONTS:
        fonts = _run([PDFFONTS, "appendix.pdf"], work).stdout
        assert "Type 3" not in fonts, fonts


LAYOUTS = {
    "article one-column": r"\documentclass{article}",
    "article two-column": r"\documentclass[twocolumn]{article}",
    "NeurIPS-like 5.5in": r"\documentclass[10pt]{article}\usepackage[letterpaper,textwidth=5.5in,textheight=9in]{geometry}",
}


@needs_latex
def test_fragments_compile_in_three_page_layouts_without_overfull_boxes(tmp_path):
    """Every registered claim's fragments (of every model), in each layout, with amsmath only."""
    (tmp_path / "claims").mkdir()
    for claim in registry():
        (tmp_path / "claims" / f"{claim.id}.tex").write_text(claim_fragment(claim) + "\n")
        if claim.published is not None:
            (tmp_path / "claims" / f"{claim.id}-derived.tex").write_text(derived_fragment(claim) + "\n")
    inputs = "\n".join(rf"\input{{claims/{p.stem}}}" for p in sorted((tmp_path / "claims").iterdir()))
    for n, (name, preamble) in enumerate(LAYOUTS.items()):
        doc = tmp_path / f"layout{n}.tex"
        # amsmath is all a fragment needs (the README says so)
        doc.write_text(preamble + "\n\\usepackage{amsmath}\n\\begin{document}\n" + inputs + "\n\\end{document}\n")
        proc = _run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", doc.name], tmp_path)
        log = (tmp_path / f"layout{n}.log").read_text(errors="replace")
        assert proc.returncode == 0, (name, log[-2000:])
        assert "Overfull \\hbox" not in log, (name, [ln for ln in log.splitlines() if "Overfull" in ln])


# -- the command --------------------------------------------------------------------------------------------


def test_cli_latex_with_saved_evidence(tmp_path, capsys, report):
    evidence = tmp_path / "report.json"
    evidence.write_text(json.dumps(report.to_dict()))
    out = tmp_path / "paper"
    code = main(["latex", "gaussian1d-var-x", "--out", str(out), "--evidence", str(evidence)])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    assert "appendix.tex" in captured.out and "bibtex appendix" in captured.out and "amsmath" in captured.out
    assert (out / "claims" / "gaussian1d-var-x.tex").is_file() and (out / "references.bib").is_file()


def test_cli_latex_verifies_what_the_evidence_lacks(tmp_path, capsys):
    out = tmp_path / "paper"
    code = main(["latex", "gaussian1d-mean-sigma2", "--out", str(out), "--evidence", str(tmp_path / "none.json")])
    captured = capsys.readouterr()
    assert code == 0
    assert "no saved verification" in captured.err and "scale smoke (seed 20241125)" in captured.err
    assert "scale \\texttt{smoke}, master seed 20241125" in (out / "appendix.tex").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gaussian1d-nope"], "claim must be one of the registered ids"),
        (["--scale", "huge"], "scale must be one of smoke, ci, paper (got 'huge')"),
        (["--seed", "-1"], "seed must be an integer >= 0 (got -1)"),
    ],
)
def test_cli_latex_bad_input(tmp_path, capsys, argv, message):
    code = main(["latex", *argv, "--out", str(tmp_path / "p")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and message in err


def test_cli_latex_bad_evidence_and_out(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code = main(["latex", "gaussian1d-var-x", "--out", str(tmp_path / "p"), "--evidence", str(bad)])
    _, err = capsys.readouterr()
    assert code == 2 and "evidence must be a JSON report" in err and err.count("\n") == 1
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    code = main(["latex", "gaussian1d-var-x", "--out", str(afile)])
    _, err = capsys.readouterr()
    assert code == 2 and "out must be a directory" in err


def test_bibtex_entries_are_well_formed():
    text = bibtex.bibtex()
    assert text.count("@") == len(bibtex.ENTRIES)
    assert text.count("{") == text.count("}")
