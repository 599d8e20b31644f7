"""Chunk/seed/merge/executor plumbing shared by every model's sampler."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pytest

from modelcollapse._validation import ParameterError
from modelcollapse.numeric import MomentSummary, as_seed_sequence, chunk_seeds, run_chunks


def normal_job(loc: float, seed: np.random.SeedSequence, n: int) -> MomentSummary:
    """Module level, hence picklable for process pools."""
    return MomentSummary.from_array(np.random.Generator(np.random.PCG64(seed)).normal(loc, 1.0, n))


def record_job(params: None, seed: np.random.SeedSequence, n: int) -> list[tuple[tuple[int, ...], int]]:
    return [(seed.spawn_key, n)]


def failing_job(params: None, seed: np.random.SeedSequence, n: int) -> None:
    if seed.spawn_key[-1] == 2:
        raise FloatingPointError("chunk 2 went wrong")


def test_chunk_seeds_are_spawn_children_without_consuming_the_root() -> None:
    root = np.random.SeedSequence(99)
    ours = chunk_seeds(root, 4)
    assert root.n_children_spawned == 0
    theirs = np.random.SeedSequence(99).spawn(4)
    for a, b in zip(ours, theirs, strict=True):
        assert a.spawn_key == b.spawn_key
        np.testing.assert_array_equal(a.generate_state(4), b.generate_state(4))
    child = root.spawn(1)[0]  # a spawned child as the root of a run: keys extend its spawn_key
    assert [s.spawn_key for s in chunk_seeds(child, 2)] == [(0, 0), (0, 1)]


def test_chunks_cover_all_chains_in_order_with_list_merge() -> None:
    parts = run_chunks(record_job, None, 10, 4, 5, merge=lambda a, b: a + b)
    assert parts == [((0,), 4), ((1,), 4), ((2,), 2)]


@pytest.mark.parametrize("kind", ["threads", "processes", "workers"])
def test_result_does_not_depend_on_the_executor(kind: str) -> None:
    serial = run_chunks(normal_job, 2.0, 5_000, 600, 11)
    if kind == "workers":
        other = run_chunks(normal_job, 2.0, 5_000, 600, 11, workers=2)
    else:
        pool = cf.ThreadPoolExecutor(3) if kind == "threads" else cf.ProcessPoolExecutor(2)
        with pool as ex:
            other = run_chunks(normal_job, 2.0, 5_000, 600, 11, executor=ex, workers=1)
    assert other == serial
    assert serial.count == 5_000


def test_job_errors_propagate() -> None:
    with pytest.raises(FloatingPointError, match="chunk 2 went wrong"):
        run_chunks(failing_job, None, 100, 10, 0)
    with cf.ThreadPoolExecutor(2) as ex, pytest.raises(FloatingPointError, match="chunk 2 went wrong"):
        run_chunks(failing_job, None, 100, 10, 0, executor=ex)


def test_validation() -> None:
    with pytest.raises(ParameterError, match=r"chains must be an integer >= 1 \(got 0\)"):
        run_chunks(normal_job, 0.0, 0, 10, 1)
    with pytest.raises(ParameterError, match=r"chunk_size must be an integer >= 1 \(got 0\)"):
        run_chunks(normal_job, 0.0, 10, 0, 1)
    with pytest.raises(ParameterError, match=r"seed must be None, a non-negative integer"):
        as_seed_sequence(1.5)
    assert as_seed_sequence(None).entropy is not None
