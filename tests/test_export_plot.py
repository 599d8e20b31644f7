"""`modelcollapse plot`: the figures are written, deterministic, and bad input is one line with exit 2."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")

from modelcollapse.cli import main  # noqa: E402
from modelcollapse.export.plot import WIDTHS, figure, figure_data  # noqa: E402
from modelcollapse.symbolic import gaussian1d as G  # noqa: E402

PDFFONTS = shutil.which("pdffonts")

NAMES = ("var_x", "w2", "log_sigma2", "trajectories")


def test_plot_writes_the_figures(tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["plot", "gaussian1d", "--sizes", "20x10", "--out", str(out), "--chains", "2000"])
    printed = capsys.readouterr().out.split()
    assert code == 0
    assert [p.rsplit("/", 1)[-1] for p in printed] == [f"{n}.png" for n in NAMES]
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{n}.png" for n in NAMES] + [f"{n}.txt" for n in NAMES])
    for name in NAMES:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    again = tmp_path / "again"
    assert main(["plot", "gaussian1d", "--sizes", "20x10", "--out", str(again), "--chains", "2000"]) == 0
    capsys.readouterr()
    for name in NAMES:  # same arguments, same bytes
        assert (again / f"{name}.png").read_bytes() == (out / f"{name}.png").read_bytes()


def test_plot_pdf(tmp_path, capsys):
    code = main(["plot", "gaussian1d", "--sizes", "10,30,7", "--out", str(tmp_path), "--format", "pdf",
                 "--chains", "500", "--estimator", "mle", "--width", "text"])
    capsys.readouterr()
    assert code == 0
    for name in NAMES:
        data = (tmp_path / f"{name}.pdf").read_bytes()
        assert data.startswith(b"%PDF") and b"CreationDate" not in data
        caption = (tmp_path / f"{name}.txt").read_text()
        assert "seed 20241125" in caption and "500 chains" in caption  # the caption is beside, not on, the figure
        if PDFFONTS:  # fonts embedded as TrueType: many venues reject Type 3
            fonts = subprocess.run([PDFFONTS, str(tmp_path / f"{name}.pdf")], capture_output=True, text=True).stdout
            assert "Type 3" not in fonts and "TrueType" in fonts, fonts


@pytest.fixture(scope="module")
def small():
    return figure_data("gaussian1d", {"sizes": (5,) * 40, "estimator": "mle"}, chains=2000, seed=5,
                       trajectory_chains=100, shown_chains=5)


def test_figures_for_papers(small):
    import matplotlib.pyplot as plt

    fig = figure("gaussian1d", "var_x", data=small)
    assert tuple(fig.get_size_inches().round(2))[0] == WIDTHS["column"] and fig._suptitle is None
    top = fig.axes[0]
    assert top.get_ylabel() == r"$\operatorname{Var} X^g/\sigma^{2}$"  # a dimensionless ratio, no "units of"
    assert not any("units" in a.get_ylabel() for a in fig.axes)
    plt.close(fig)
    fig = figure("gaussian1d", "w2", data=small, width="text", title=True)
    assert fig.get_size_inches()[0] == WIDTHS["text"] and fig._suptitle is not None
    by_label = {a.get_ylabel(): a for a in fig.axes}
    mean_ax, var_ax = by_label[r"$E\, W_2^2/\sigma^{2}$"], by_label[r"$\operatorname{Var} W_2^2/\sigma^{4}$"]
    assert var_ax.get_yscale() == "log"  # Var W2^2 spans decades
    # the series of E W2^2 diverges at 5 points per refit: y-limits from the exact curve and the band, clipped
    lo, hi = mean_ax.get_ylim()
    exact = small.exact["mean_w2sq"]
    assert lo > -0.1 * exact.max() and hi < 1.5 * max(exact.max(), np.nanmax(small.estimate["mean_w2sq"] + 2 * small.stderr["mean_w2sq"]))
    assert np.nanmin(small.series["mean_w2sq"]) < lo  # the series really leaves the range
    assert "clipped" in fig.modelcollapse_caption and "logarithmic" in fig.modelcollapse_caption
    plt.close(fig)
    # into the caller's axes
    fig, ax = plt.subplots()
    assert figure("gaussian1d", "trajectories", data=small, ax=ax) is fig and ax.get_yscale() == "log"
    plt.close(fig)


def test_figure_data_matches_theory():
    d = figure_data("gaussian1d", {"sizes": (10, 30, 7)}, chains=4000, seed=3, trajectory_chains=100, shown_chains=5)
    assert list(d.generations) == [1, 2, 3]
    assert d.exact["var_x"] == pytest.approx([1 + 1 / 10, 1 + 1 / 10 + 1 / 30, 1 + 1 / 10 + 1 / 30 + 1 / 7])
    assert d.series["var_w2sq"][-1] == pytest.approx(float(G.series("var_w2sq", 2).evaluate([10, 30, 7])))
    z = (d.estimate["var_x"] - d.exact["var_x"]) / d.stderr["var_x"]
    assert np.all(np.abs(z) < 6)
    assert d.paths["sigma"].shape == (5, 4) and np.all(d.paths["sigma"][:, 0] == 1)
    assert d.bands["sigma"].shape == (2, 4) and np.all(d.bands["sigma"][0] <= d.bands["sigma"][1])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gaussian7d", "--sizes", "10"], "model must be one of gaussian1d"),
        (["gaussian1d", "--sizes", "10,1"], "sizes[1] must be an integer >= 2 for the unbiased estimator (got 1)"),
        (["gaussian1d", "--sizes", "10,abc"], "sizes must be integers separated by commas"),
        (["gaussian1d", "--sizes", "10", "--format", "gif"], "format must be one of png, pdf, svg (got 'gif')"),
        (["gaussian1d", "--sizes", "10", "--chains", "1"], "chains must be an integer >= 2 (got 1)"),
        (["gaussian1d", "--sizes", "10", "--estimator", "ols"], "estimator must be one of unbiased, mle (got 'ols')"),
        (["gaussian1d", "--sizes", "10", "--width", "huge"], "width must be one of column, text, neurips or a width in inches"),
    ],
)
def test_plot_bad_input(tmp_path, capsys, argv, message):
    code = main(["plot", *argv, "--out", str(tmp_path / "figs")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "figs").exists()


def test_plot_out_must_be_a_directory(tmp_path, capsys):
    target = tmp_path / "file.png"
    target.write_bytes(b"x")
    code = main(["plot", "gaussian1d", "--sizes", "5x3", "--out", str(target), "--chains", "100"])
    _, err = capsys.readouterr()
    assert code == 2 and "out must be a directory" in err


def test_profile_figure_kind(tmp_path, capsys):
    # a 'profile' figure (declared by categorical): ranked profiles of a traced run, log-log, deterministic
    argv = ["plot", "categorical", "--dist", "zipf:1.1,30", "--sizes", "20x6", "--chains", "300"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    data = (tmp_path / "a" / "rank_frequency.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert data == (tmp_path / "b" / "rank_frequency.png").read_bytes()
