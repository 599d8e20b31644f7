"""`run_sweep` / `modelcollapse sweep`: the tidy table, its provenance, interruption and resumption."""

from __future__ import annotations

import csv
import math
import sys

import numpy as np
import pytest

from modelcollapse.testing import order_target

import modelcollapse.numeric.gaussian1d as numeric_g
from modelcollapse._validation import ParameterError
from modelcollapse.cli import main
from modelcollapse.sweep import (
    cells,
    columns,
    parse_grid,
    read_table,
    run_sweep,
    same_table,
)
from modelcollapse.symbolic import gaussian1d as G

GRID = {"model": "gaussian1d", "sizes_grid": [5, 12], "generations": [1, 3, 6], "chains": 4_000, "seed": 42,
        "chunk_size": 1_000}
SCHEDULES = [(m,) * g for m in (5, 12) for g in (1, 3, 6)]
N_Q = len(G.QUANTITIES)


class Interrupt(Exception):
    """Stands for Ctrl-C (KeyboardInterrupt would stop pytest itself)."""


def interrupt_at(cell_index: int):
    """A progress callback that raises while cell ``cell_index`` is being simulated."""

    def progress(stage: str, done: int, total: int) -> None:
        if stage.startswith(f"cell {cell_index + 1}/"):
            raise Interrupt

    return progress


@pytest.fixture
def counted(monkeypatch):
    """Count the simulations the sweep runs, by schedule."""
    calls: list[tuple[int, ...]] = []
    real = numeric_g.simulate

    def simulate(sizes, *args, **kwargs):
        calls.append(tuple(sizes))
        return real(sizes, *args, **kwargs)

    monkeypatch.setattr(numeric_g, "simulate", simulate)
    return calls


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted sweep."""
    return run_sweep(tmp_path_factory.mktemp("ref") / "ref.csv", **GRID)


def test_table_is_tidy_with_theory_and_provenance(reference) -> None:
    rows = reference.rows
    assert len(rows) == 6 * N_Q and reference.computed == tuple(range(6)) and reference.resumed == ()
    assert [r["quantity"] for r in rows[:N_Q]] == list(G.QUANTITIES)
    assert [(r["cell"], r["M"], r["g"]) for r in rows[::N_Q]] == [
        (c.index, c.values[0][1][0], len(c.values[0][1])) for c in cells([("sizes", SCHEDULES)])
    ]
    with reference.path.open(newline="") as f:
        assert tuple(next(csv.reader(f))) == columns("gaussian1d")
    for r in rows:
        sizes = [r["M"]] * r["g"]
        assert r["exact"] == float(G.evaluate(r["quantity"], sizes))
        assert r["series"] == float(G.series(r["quantity"], 2).evaluate(sizes, 17))
        assert r["z"] == pytest.approx((r["estimate"] - r["exact"]) / r["stderr"], rel=1e-12)
        assert (r["seed"], r["chains"], r["chunk_size"], r["estimator"], r["sampler"]) == ("42", 4_000, 1_000, "unbiased", "exact")
        assert r["numpy"] == np.__version__ and r["python"] == "{}.{}.{}".format(*sys.version_info[:3])
        assert r["modelcollapse"] and r["scipy"] and r["sympy"] and r["mpmath"] and r["finished_utc"]
    assert same_table(read_table(reference.path), rows)  # floats round-trip exactly through the CSV


def test_cell_k_uses_child_k_of_the_master_seed(reference) -> None:
    cell = cells([("sizes", SCHEDULES)])[4]
    res = numeric_g.simulate(cell.values[0][1], 4_000, seed=np.random.SeedSequence(42).spawn(6)[4], chunk_size=1_000)
    est = res.estimates()
    rows = [r for r in reference.rows if r["cell"] == 4]
    assert {r["quantity"]: r["estimate"] for r in rows} == {q: est[q].value for q in G.QUANTITIES}


def test_interrupted_sweep_resumes_without_recomputing(tmp_path, counted, reference) -> None:
    out = tmp_path / "sweep.csv"
    with pytest.raises(Interrupt):
        run_sweep(out, progress=interrupt_at(3), **GRID)
    saved = read_table(out)
    assert sorted({r["cell"] for r in saved}) == [0, 1, 2] and len(saved) == 3 * N_Q
    counted.clear()
    res = run_sweep(out, **GRID)
    assert res.resumed == (0, 1, 2) and res.computed == (3, 4, 5)
    assert counted == [(12,), (12,) * 3, (12,) * 6]  # only the cells that were missing
    assert [r["finished_utc"] for r in res.rows[: 3 * N_Q]] == [r["finished_utc"] for r in saved]
    assert same_table(res.rows, reference.rows) and same_table(read_table(out), reference.rows)
    counted.clear()
    assert run_sweep(out, **GRID).computed == () and counted == []


def test_torn_last_cell_is_recomputed(tmp_path, counted, reference) -> None:
    out = tmp_path / "sweep.csv"
    with pytest.raises(Interrupt):
        run_sweep(out, progress=interrupt_at(2), **GRID)
    text = out.read_text()
    out.write_text(text[: len(text) - 40])  # killed in the middle of writing cell 1
    counted.clear()
    res = run_sweep(out, **{**GRID, "seed": None})  # the seed is read back from the file
    assert res.seed == 42 and res.resumed == (0,) and res.computed == (1, 2, 3, 4, 5)
    assert len(counted) == 5
    assert same_table(res.rows, reference.rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_same_table_with_any_number_of_workers(tmp_path, reference, workers) -> None:
    res = run_sweep(tmp_path / "w.csv", workers=workers, **GRID)
    assert same_table(res.rows, reference.rows)


def test_fresh_seed_is_recorded_and_reused(tmp_path) -> None:
    out = tmp_path / "fresh.csv"
    small = {"model": "gaussian1d", "sizes_grid": [4], "generations": [1, 2], "chains": 200}
    with pytest.raises(Interrupt):
        run_sweep(out, progress=interrupt_at(1), **small)
    first = read_table(out)
    res = run_sweep(out, **small)
    assert res.resumed == (0,) and str(res.seed) == first[0]["seed"] and res.seed > 2**64


def test_refuses_to_mix_sweeps_or_overwrite_other_files(tmp_path, reference) -> None:
    out = tmp_path / "s.csv"
    out.write_bytes(reference.path.read_bytes())
    with pytest.raises(ParameterError, match=r"holds a different sweep \(chains 4000, this run 5000\)"):
        run_sweep(out, **{**GRID, "chains": 5_000})
    with pytest.raises(ParameterError, match=r"holds a different sweep \(estimator 'unbiased', this run 'mle'\)"):
        run_sweep(out, **{**GRID, "estimator": "mle"})
    with pytest.raises(ParameterError, match=r"holds cell 1 \(sizes=5x3\), which is not at that position"):
        run_sweep(out, **{**GRID, "generations": [1, 6, 3]})
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ParameterError, match="is not a modelcollapse sweep table"):
        run_sweep(other, **GRID)
    assert other.read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes_grid": []}, "sizes_grid must hold at least one value"),
        ({"sizes_grid": [5, 5]}, "sizes_grid must not repeat a value (got 5 more than once)"),
        ({"sizes_grid": [1]}, "cell sizes=1: sizes[0] must be an integer >= 2 for the unbiased estimator (got 1)"),
        ({"generations": [0]}, "generations[0] must be an integer >= 1 (got 0)"),
        ({"generations": [1.5]}, "generations[0] must be an integer (got 1.5 of type float)"),
        ({"chains": 1}, "chains must be an integer >= 2 (got 1)"),
        ({"workers": 0}, "workers must be an integer >= 1 (got 0)"),
        ({"sampler": "magic"}, "sampler must be one of exact, brute (got 'magic')"),
        ({"out": "table.txt"}, "out must end with .csv or .parquet (got 'table.txt')"),
    ],
)
def test_validation(tmp_path, kwargs, message) -> None:
    args = {**GRID, "out": tmp_path / "v.csv", **kwargs}
    with pytest.raises(ParameterError) as info:
        run_sweep(args.pop("out"), **args)
    assert message in str(info.value)
    assert not (tmp_path / "v.csv").exists()


def test_parse_grid() -> None:
    assert parse_grid("generations", "1, 5,20") == (1, 5, 20)
    for text, message in [("", "must hold at least one value"), ("1,,2", "(got '' in '1,,2')"), ("3,1e3", "(got '1e3'")]:
        with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_grid("generations", text)


@pytest.mark.mc(checks=N_Q)
def test_simulation_agrees_with_theory_in_a_cell(tmp_path, mc_seed, mc_check, mc_chains) -> None:
    res = run_sweep(tmp_path / "mc.csv", model="gaussian1d", sizes_grid=[15], generations=[4], chains=mc_chains(1_000_000),
                    seed=int(mc_seed.generate_state(1)[0]))
    for r in res.rows:
        # powered to see a wrong second-order coefficient: a relative error of sum_i 1/M_i^2 = g / M^2
        mc_check(f"{r['quantity']} M={r['M']} g={r['g']}", r["estimate"], r["exact"], stderr=r["stderr"],
                 target=order_target(r["exact"], [r["M"]] * r["g"]))


# --- parquet ----------------------------------------------------------------------------------------------


def test_parquet_without_pyarrow_is_a_one_line_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the 'io' extra were not installed
    code = main(["sweep", "gaussian1d", "--sizes-grid", "5", "--generations", "1", "--chains", "100",
                 "--out", str(tmp_path / "t.parquet"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "writing parquet needs pyarrow: pip install 'modelcollapse[io]'" in err
    assert list(tmp_path.iterdir()) == []


def test_parquet_round_trip_and_resume(tmp_path, reference) -> None:
    pytest.importorskip("pyarrow")
    out = tmp_path / "sweep.parquet"
    with pytest.raises(Interrupt):
        run_sweep(out, progress=interrupt_at(4), **GRID)
    assert not out.exists() and (tmp_path / "sweep.parquet.partial.csv").is_file()
    res = run_sweep(out, **GRID)
    assert res.format == "parquet" and res.computed == (4, 5)
    assert not (tmp_path / "sweep.parquet.partial.csv").exists()
    assert same_table(read_table(out), reference.rows)


# --- command line ------------------------------------------------------------------------------------------


def sweep_argv(out, *extra):
    return ["sweep", "gaussian1d", "--sizes-grid", "5,12", "--generations", "1,3,6", "--chains", "4000",
            "--seed", "42", "--chunk-size", "1000", "--out", str(out), *extra]


def test_cli_sweep_matches_library_and_resumes(tmp_path, capsys, reference) -> None:
    out = tmp_path / "cli.csv"
    assert main(sweep_argv(out, "--workers", "2")) == 0
    stdout, stderr = capsys.readouterr()
    assert "6 cells" in stdout and "computed 6 cells, resumed 0; 54 rows" in stdout and "largest z" in stdout
    assert stderr.count("\n") == 1 and stderr.startswith("sweep: 24,000/24,000 chains in ")  # piped: one final line
    assert same_table(read_table(out), reference.rows)
    assert main(sweep_argv(out, "--workers", "1", "--quiet")) == 0
    stdout, stderr = capsys.readouterr()
    assert "computed 0 cells, resumed 6" in stdout and stderr == ""


def test_cli_sweep_interrupt_says_how_to_resume(tmp_path, capsys, monkeypatch) -> None:
    from modelcollapse import sweep

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    assert main(sweep_argv(tmp_path / "x.csv", "--quiet")) == 130
    _, err = capsys.readouterr()
    assert "interrupted" in err and "run the same command again to resume" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--sizes-grid", ""), "sizes-grid must hold at least one value (got '')"),
        (("--sizes-grid", "1,5"), "cell sizes=1: sizes[0] must be an integer >= 2 for the unbiased estimator (got 1)"),
        (("--generations", "1,x"), "generations must be comma-separated integers >= 1 (got 'x' in '1,x')"),
        (("--generations", "2.5"), "generations must be comma-separated integers >= 1 (got '2.5' in '2.5')"),
        (("--chains", "1"), "chains must be an integer >= 2 (got 1)"),
        (("--workers", "0"), "workers must be an integer >= 1 (got 0)"),
        (("--seed", "-1"), "seed must be an integer >= 0 (got -1)"),
        (("--estimator", "bayes"), "estimator must be one of unbiased, mle (got 'bayes')"),
        (("--out", "x.json"), "out must end with .csv or .parquet"),
        (("--scheduler", "udp://h:1"), "scheduler must be 'local' or an address tcp://HOST:PORT"),
    ],
)
def test_cli_sweep_bad_input(tmp_path, capsys, change, message) -> None:
    argv = sweep_argv(tmp_path / "bad.csv", "--quiet")
    if change[0] in argv:
        argv[argv.index(change[0]) + 1] = change[1]
    else:
        argv += list(change)
    if change[0] == "--out":
        argv[argv.index("--out") + 1] = str(tmp_path / change[1])
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("modelcollapse sweep: error: ") and message in err
    assert not (tmp_path / "bad.csv").exists()


def test_mle_cell_with_a_fit_of_one_point(tmp_path) -> None:
    res = run_sweep(tmp_path / "mle.csv", model="gaussian1d", sizes_grid=[1, 3], generations=[2], chains=500, seed=1,
                    estimator="mle")
    row = {(r["M"], r["quantity"]): r for r in res.rows}
    assert row[(1, "mean_log_sigma2")]["exact"] == -math.inf and row[(1, "mean_log_sigma2")]["estimate"] == -math.inf
    assert math.isnan(row[(1, "mean_log_sigma2")]["z"])
    assert same_table(read_table(tmp_path / "mle.csv"), res.rows)
