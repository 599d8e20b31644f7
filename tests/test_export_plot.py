"""`modelcollapse plot`: the figures are written, deterministic, and bad input is one line with exit 2."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")

from modelcollapse.cli import main  # noqa: E402
from modelcollapse.export.plot import figure_data  # noqa: E402
from modelcollapse.symbolic import gaussian1d as G  # noqa: E402

NAMES = ("var_x", "w2", "log_sigma2", "trajectories")


def test_plot_writes_the_figures(tmp_path, capsys):
    out = tmp_path / "figs"
    code = main(["plot", "gaussian1d", "--sizes", "20x10", "--out", str(out), "--chains", "2000"])
    printed = capsys.readouterr().out.split()
    assert code == 0
    assert [p.rsplit("/", 1)[-1] for p in printed] == [f"{n}.png" for n in NAMES]
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
                 "--chains", "500", "--estimator", "mle"])
    capsys.readouterr()
    assert code == 0
    for name in NAMES:
        data = (tmp_path / f"{name}.pdf").read_bytes()
        assert data.startswith(b"%PDF") and b"CreationDate" not in data


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
