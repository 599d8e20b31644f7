"""Local parallel execution: every core by default on the command line, the same answer with any number of
workers, a reusable process pool, and memory bounded by the chunk size rather than the chain count."""

from __future__ import annotations

import concurrent.futures as cf
import json
import subprocess
import sys

import numpy as np
import pytest

from modelcollapse.cli import parse_args, main
from modelcollapse.numeric import MomentSummary, run_chunks, simulate
from modelcollapse.numeric.executors import available_cores, check_workers, process_pool


def normal_job(loc: float, seed: np.random.SeedSequence, n: int) -> MomentSummary:
    """Module level, hence picklable for process pools."""
    return MomentSummary.from_array(np.random.Generator(np.random.PCG64(seed)).normal(loc, 1.0, n))


def run_json(capsys, *argv) -> dict:
    assert main(list(argv)) == 0
    return _stable(json.loads(capsys.readouterr().out))


def test_cli_same_seed_same_answer_with_1_and_2_workers(capsys) -> None:
    argv = ["simulate", "gaussian1d", "--sizes", "8,20,5", "--chains", "120000", "--seed", "2024", "--json", "--quiet"]
    one = run_json(capsys, *argv, "--workers", "1")
    two = run_json(capsys, *argv, "--workers", "2")
    default = run_json(capsys, *argv)  # every core
    assert one == two == default
    assert one["chains"] == 120000 and one["seed"] == 2024


def test_cli_workers_default_is_every_core() -> None:
    _, args = parse_args(["simulate", "gaussian1d", "--sizes", "5", "--chains", "10"])
    assert args.workers is None and args.scheduler is None
    assert check_workers(None) == available_cores() >= 1


def test_workers_none_and_a_reused_pool_give_the_serial_result() -> None:
    serial = run_chunks(normal_job, 1.0, 9_000, 1_000, 3)
    assert run_chunks(normal_job, 1.0, 9_000, 1_000, 3, workers=None) == serial
    kw = {"seed": np.random.SeedSequence(8), "chunk_size": 2_500}
    reference = simulate([7, 7, 7], 10_000, **kw)
    with process_pool(2) as pool:
        assert isinstance(pool, cf.ProcessPoolExecutor)
        for _ in range(2):  # the pool serves several runs
            assert simulate([7, 7, 7], 10_000, executor=pool, workers=2, **kw).summaries == reference.summaries
    assert simulate([7, 7, 7], 10_000, workers=None, **kw).summaries == reference.summaries


def test_chunk_results_are_folded_in_chunk_order_whatever_finishes_first() -> None:
    """A thread pool of 4 on 37 uneven chunks: completion order varies, the merged result does not."""
    ref = run_chunks(normal_job, -2.0, 37_001, 1_000, 99)
    with cf.ThreadPoolExecutor(4) as ex:
        assert run_chunks(normal_job, -2.0, 37_001, 1_000, 99, executor=ex, workers=4) == ref


_PEAK = """
import resource, sys
from modelcollapse.numeric import simulate
chains = int(sys.argv[1])
simulate((20,) * 40, chains, seed=1, workers=2, chunk_size=1 << 14)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_kib(chains: int) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(chains)], capture_output=True, text=True, check=True, timeout=300)
    own, kids = map(int, out.stdout.split())
    return own, kids


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB (Linux)")
def test_resident_memory_does_not_grow_with_the_chain_count() -> None:
    """Peak RSS of the main process and of the largest worker, 2 workers, 2**15 vs 2**21 chains x 40
    generations: the 64x larger run may not take more memory (one float64 array of 2**21 chains alone
    would be 16 MiB; a few chunk arrays are 128 KiB each)."""
    small = _peak_kib(1 << 15)
    large = _peak_kib(1 << 21)
    assert large[0] - small[0] < 8 * 1024, (small, large)  # main process: < 8 MiB more
    assert large[1] - small[1] < 8 * 1024, (small, large)  # largest worker: < 8 MiB more


def _stable(obj):
    """An output without its provenance (command line and time differ between runs by design)."""
    obj.pop("provenance", None)
    return obj
