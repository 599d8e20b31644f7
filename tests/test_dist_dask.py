"""The same run on a Dask cluster: a real LocalCluster of worker processes on the loopback interface.

The simulation splits chains into chunks, gives chunk k child k of the run's SeedSequence and merges in
chunk order, so a Dask run must equal the local run with the same seed, bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from modelcollapse._validation import ParameterError
from modelcollapse.cli import main
from modelcollapse.numeric.dask import INSTALL_HINT, check_scheduler, dask_executor
from modelcollapse.numeric.gaussian1d import simulate
from modelcollapse.sweep import read_table, run_sweep, same_table

pytest.importorskip("distributed")

# Distributed warns when creating its workers' scratch directories is slow (a loaded CI disk): harmless
# here.  Every other warning stays an error (pyproject: filterwarnings = error).
SLOW_DISK = "ignore:Creating scratch directories is taking a surprisingly long time:UserWarning"
pytestmark = pytest.mark.filterwarnings(SLOW_DISK)


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster (2 single-threaded worker processes, 127.0.0.1, no dashboard) for the module."""
    with dask_executor("local", workers=2) as dask:
        yield dask


def test_local_cluster_equals_local_run_bit_for_bit(cluster) -> None:
    assert cluster.workers == 2 and cluster.address.startswith("tcp://127.0.0.1:")
    kw = {"seed": np.random.SeedSequence(20241125), "chunk_size": 3_000, "record": "all"}
    local = simulate([10, 30, 7], 40_000, **kw)
    on_dask = simulate([10, 30, 7], 40_000, executor=cluster.executor, workers=cluster.workers, **kw)
    assert on_dask.summaries == local.summaries  # every count, mean and central sum, exactly
    assert on_dask.estimates() == local.estimates()
    brute = {"seed": 5, "sampler": "brute", "estimator": "mle", "chunk_size": 700}
    assert simulate([4, 9], 3_000, executor=cluster.executor, **brute).summaries == simulate([4, 9], 3_000, **brute).summaries


def test_sweep_on_the_cluster_equals_the_local_sweep(cluster, tmp_path) -> None:
    grid = {"model": "gaussian1d", "sizes_grid": [8, 20], "generations": [1, 4], "chains": 5_000, "seed": 3, "chunk_size": 2_000}
    local = run_sweep(tmp_path / "local.csv", **grid)
    on_dask = run_sweep(tmp_path / "dask.csv", executor=cluster.executor, workers=cluster.workers, **grid)
    assert same_table(local.rows, on_dask.rows)
    assert same_table(read_table(tmp_path / "dask.csv"), local.rows)


def test_cli_scheduler_local_matches_local_workers(capsys) -> None:
    argv = ["simulate", "gaussian1d", "--sizes", "6,9", "--chains", "30000", "--seed", "11", "--json", "--quiet"]
    assert main([*argv, "--workers", "1"]) == 0
    local = _stable(json.loads(capsys.readouterr().out))
    assert main([*argv, "--scheduler", "local", "--workers", "2"]) == 0
    on_dask = _stable(json.loads(capsys.readouterr().out))
    assert on_dask == local


@pytest.mark.parametrize("bad", ["remote", "tcp://host", "tcp://host:0", "http://host:8786", "host:8786", "", 8786])
def test_scheduler_forms(bad) -> None:
    with pytest.raises(ParameterError, match="scheduler must be 'local' or an address tcp://HOST:PORT"):
        check_scheduler(bad)
    assert check_scheduler("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert check_scheduler("tls://[::1]:8786") == "tls://[::1]:8786"


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_cli_bad_scheduler_is_one_line_exit_2(capsys, tmp_path, command) -> None:
    if command == "simulate":
        argv = ["simulate", "gaussian1d", "--sizes", "10", "--chains", "100"]
    else:
        argv = ["sweep", "gaussian1d", "--sizes-grid", "10", "--generations", "1", "--chains", "100",
                "--out", str(tmp_path / "t.csv")]
    code = main([*argv, "--scheduler", "localhost:8786"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "scheduler must be 'local' or an address tcp://HOST:PORT (got 'localhost:8786')" in err
    assert not (tmp_path / "t.csv").exists()


def test_missing_dask_gives_the_install_hint() -> None:
    """With dask.distributed unimportable: the library raises ModuleNotFoundError, the CLI one line, exit 2."""
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "from modelcollapse.cli import main\n"
        "from modelcollapse.numeric.dask import dask_executor\n"
        "try:\n"
        "    with dask_executor('local'): pass\n"
        "except ModuleNotFoundError as e: print('library:', e)\n"
        "raise SystemExit(main(['simulate', 'gaussian1d', '--sizes', '5', '--chains', '10', '--scheduler', 'local']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stdout.strip() == f"library: {INSTALL_HINT}"
    assert proc.stderr == f"modelcollapse simulate: error: {INSTALL_HINT}\n"


def test_dask_module_imports_neither_dask_nor_sympy() -> None:
    code = "import sys, modelcollapse.numeric.dask; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not {"dask", "distributed", "sympy", "mpmath"} & loaded
    assert not any(m.startswith(("modelcollapse.symbolic", "modelcollapse.proofs")) for m in loaded)


def test_cli_verify_on_a_local_cluster_matches_the_local_run(capsys) -> None:
    argv = ["verify", "gaussian1d-mean-sigma2", "--scale", "smoke", "--json", "--quiet", "--save", ""]
    main(argv)
    local = _stable(json.loads(capsys.readouterr().out))
    main([*argv, "--scheduler", "local", "--workers", "2"])
    on_dask = _stable(json.loads(capsys.readouterr().out))
    assert [c["mc"] for c in on_dask["claims"]] == [c["mc"] for c in local["claims"]]


def test_cli_scheduler_address_of_a_running_cluster(cluster, capsys) -> None:
    argv = ["simulate", "gaussian1d", "--sizes", "12,4", "--chains", "20000", "--seed", "5", "--json", "--quiet"]
    assert main([*argv, "--workers", "1"]) == 0
    local = _stable(json.loads(capsys.readouterr().out))
    assert main([*argv, "--scheduler", cluster.address]) == 0  # tcp://127.0.0.1:PORT
    assert _stable(json.loads(capsys.readouterr().out)) == local


def _stable(obj):
    """An output without its provenance (command line and time differ between runs by design)."""
    obj.pop("provenance", None)
    return obj
