"""Chunked, seeded, executor-agnostic Monte Carlo runs: the plumbing every model's sampler reuses.

A run of ``chains`` independent chains is cut into chunks of ``chunk_size`` chains (the last one may be
smaller).  Chunk ``k`` always gets child ``k`` of the run's :class:`numpy.random.SeedSequence` and the
partial results are merged in chunk order, so the merged result depends only on
``(seed, chains, chunk_size)`` and the job, never on the executor or the number of workers.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import numpy as np

from modelcollapse._validation import MAX_CHAINS, ParameterError, check_integer

__all__ = [
    "Mergeable",
    "as_seed_sequence",
    "available_cores",
    "check_memory",
    "check_workers",
    "max_workers",
    "chunk_seeds",
    "process_pool",
    "run_chunks",
]

R = TypeVar("R", bound="Mergeable")


class Mergeable(Protocol):
    """A partial result with an associative ``merge(other) -> merged`` (left operand first)."""

    def merge(self, other: Any) -> Any: ...  # pragma: no cover - protocol


def as_seed_sequence(seed: object) -> np.random.SeedSequence:
    """Normalise ``seed`` (``None``, a non-negative int or a SeedSequence) to a SeedSequence.

    ``None`` draws fresh entropy from the operating system; read it back from ``.entropy`` to
    reproduce the run.  A SeedSequence is returned as is (it is never spawned from or mutated).

    Parameters
    ----------
    seed : None, int or numpy.random.SeedSequence

    Returns
    -------
    numpy.random.SeedSequence

    Raises
    ------
    ParameterError
        For any other type, or a negative integer.

    Examples
    --------
    >>> as_seed_sequence(42).entropy
    42
    >>> as_seed_sequence("42")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: seed must be None, a non-negative integer or a numpy.random.SeedSequence (got '42' of type str)
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise ParameterError(
        "seed must be None, a non-negative integer or a numpy.random.SeedSequence "
        f"(got {seed!r} of type {type(seed).__name__})"
    )


def chunk_seeds(seed: np.random.SeedSequence, n_chunks: int) -> list[np.random.SeedSequence]:
    """Children ``0 .. n_chunks-1`` of ``seed``, exactly as a fresh ``seed.spawn(n_chunks)`` returns them.

    Unlike :meth:`~numpy.random.SeedSequence.spawn`, this does not advance the caller's SeedSequence, so
    passing the same object to two runs gives the same streams.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
    n_chunks : int

    Returns
    -------
    list of numpy.random.SeedSequence

    Examples
    --------
    >>> import numpy as np
    >>> root = np.random.SeedSequence(7)
    >>> [c.spawn_key for c in chunk_seeds(root, 3)]
    [(0,), (1,), (2,)]
    >>> ours = chunk_seeds(root, 2)[1].generate_state(4)
    >>> bool((ours == np.random.SeedSequence(7).spawn(2)[1].generate_state(4)).all())
    True
    """
    n_chunks = check_integer("n_chunks", n_chunks, minimum=0)
    return [_child(seed, k) for k in range(n_chunks)]


def _child(seed: np.random.SeedSequence, k: int) -> np.random.SeedSequence:
    """Child ``k`` of ``seed`` (what the ``k``-th ``spawn`` returns), made on demand."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k), pool_size=seed.pool_size)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one, else ``os.cpu_count()``).

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


WORKERS_PER_CORE = 4
"""Local worker processes allowed per available core (more only adds start-up time and memory)."""


def max_workers() -> int:
    """The most local worker processes a run accepts: :data:`WORKERS_PER_CORE` per available core, at least 8.

    >>> max_workers() >= 8
    True
    """
    return max(8, WORKERS_PER_CORE * available_cores())


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (``MemAvailable`` of /proc/meminfo where there is one,
    else the physical memory), ``None`` when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


def _bytes_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_memory(nbytes: float, what: str, *, workers: int = 1) -> None:
    """Refuse, before allocating, work whose arrays cannot fit: ``nbytes`` per worker process, ``workers`` of them.

    Raises
    ------
    ParameterError
        Naming ``what``, the memory it needs and the memory available.

    Examples
    --------
    >>> check_memory(1e6, "a small array")
    >>> check_memory(8e12, "one sample of 10^12 points")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: one sample of 10^12 points needs 7.28 TiB of memory, but ...
    """
    avail = available_memory()
    need = float(nbytes) * max(int(workers), 1)
    if avail is not None and need > 0.8 * avail:
        per = f" ({_bytes_text(nbytes)} in each of {workers} workers)" if workers > 1 else ""
        raise ParameterError(
            f"{what} needs {_bytes_text(need)} of memory{per}, but {_bytes_text(avail)} is available; "
            "use smaller sample sizes, fewer chains per chunk or fewer workers"
        )


def check_workers(workers: object) -> int:
    """Validate a worker count: ``None`` means every available core (:func:`available_cores`).

    Parameters
    ----------
    workers : None or int
        ``None`` or an integer ``>= 1``.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        For anything else.

    Examples
    --------
    >>> check_workers(3), check_workers(None) == available_cores()
    (3, True)
    >>> check_workers(0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: workers must be an integer >= 1 (got 0)
    """
    if workers is None:
        return available_cores()
    return check_integer("workers", workers, minimum=1, maximum=max_workers())


@contextlib.contextmanager
def process_pool(workers: int | None) -> Iterator[cf.ProcessPoolExecutor | None]:
    """A pool of ``workers`` local processes to reuse over several runs, shut down on exit.

    Yields ``None`` for a single worker (runs then stay in the calling process, which gives the same
    results without the start-up cost).  ``None`` means every available core.

    Parameters
    ----------
    workers : None or int

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor or None

    Examples
    --------
    >>> with process_pool(1) as pool:
    ...     pool is None
    True
    """
    n = check_workers(workers)
    if n == 1:
        yield None
        return
    with cf.ProcessPoolExecutor(max_workers=n, mp_context=_default_mp_context()) as pool:
        yield pool


def _default_mp_context() -> Any:
    """The start method for pools we create: ``fork`` where it is the platform default and still
    warning-free (Linux, Python < 3.12: starts in milliseconds), otherwise ``forkserver`` where
    available (safe with threads), otherwise the platform default (``spawn``)."""
    methods = multiprocessing.get_all_start_methods()
    default = multiprocessing.get_start_method(allow_none=True) or methods[0]
    if default == "fork" and sys.version_info < (3, 12):
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def run_chunks(
    job: Callable[[Any, np.random.SeedSequence, int], R],
    params: Any,
    chains: int,
    chunk_size: int,
    seed: object,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
    *,
    merge: Callable[[R, R], R] | None = None,
) -> R:
    """Run ``job(params, seed_k, n_k)`` on every chunk and merge the partial results in chunk order.

    Parameters
    ----------
    job : callable
        ``job(params, seed_k, n_k) -> partial`` for chunk ``k`` of ``n_k`` chains.  Must be a picklable
        module-level function (and ``params`` picklable) when an executor runs it in other processes.
    params : object
        Passed unchanged to every job.
    chains : int
        Total number of chains, ``>= 1``.
    chunk_size : int
        Chains per chunk, ``>= 1``.
    seed : None, int or numpy.random.SeedSequence
        Root of the run's randomness (see :func:`as_seed_sequence`); chunk ``k`` gets child ``k``.
    executor : concurrent.futures.Executor, optional
        Runs the chunk jobs (a ProcessPoolExecutor, ``dask.distributed.Client.get_executor()``, ...).
        It is used, not shut down.  When given, ``workers`` only sets how many jobs are kept in flight.
    workers : int or None
        Without an executor: 1 runs in this process; ``N > 1`` creates a ProcessPoolExecutor of ``N``
        processes for this call and shuts it down afterwards (a run of a single chunk stays in process:
        the result is the same either way); ``None`` means every available core.  With an executor:
        how many of its workers to keep busy (jobs in flight: twice that, at least twice the local cores).
    progress : callable, optional
        ``progress(done_chains, total_chains)``, called after each chunk is merged.
    merge : callable, optional
        ``merge(a, b)`` combining partial results; defaults to ``a.merge(b)``.

    Returns
    -------
    object
        ``partial_0 ⊕ partial_1 ⊕ ...`` folded left in chunk order.

    Notes
    -----
    Memory is bounded by the chunk size, not by ``chains``: chunk seeds are made on demand, at most
    ``2 * workers`` jobs are in flight, and each partial result is folded in as soon as it (and every
    earlier chunk) is done.  Every job is a pure function of ``(params, seed_k, n_k)``, so executors
    that cache by argument (Dask's ``pure=True`` default) are correct.

    Raises
    ------
    ParameterError
        For invalid arguments.  Exceptions raised by a job propagate unchanged.

    Examples
    --------
    >>> from modelcollapse.numeric.estimators import MomentSummary
    >>> def job(params, seed, n):
    ...     rng = np.random.Generator(np.random.PCG64(seed))
    ...     return MomentSummary.from_array(rng.normal(params, 1.0, n))
    >>> a = run_chunks(job, 3.0, 1000, 300, 1)
    >>> b = run_chunks(job, 3.0, 1000, 300, np.random.SeedSequence(1))
    >>> a == b, a.count
    (True, 1000)
    """
    chains = check_integer("chains", chains, minimum=1, maximum=MAX_CHAINS)
    chunk_size = check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ParameterError(
            f"executor must be a concurrent.futures.Executor or None (got {type(executor).__name__})"
        )
    if progress is not None and not callable(progress):
        raise ParameterError(f"progress must be a callable or None (got {type(progress).__name__})")
    if merge is None:
        merge = _merge_method
    root = as_seed_sequence(seed)
    n_chunks = -(-chains // chunk_size)
    chunks = ((_child(root, k), min(chunk_size, chains - k * chunk_size)) for k in range(n_chunks))

    if executor is None and (workers == 1 or n_chunks == 1):
        result: Any = None
        done = 0
        for seed_k, n_k in chunks:
            part = job(params, seed_k, n_k)
            result = part if result is None else merge(result, part)
            done += n_k
            if progress is not None:
                progress(done, chains)
        return result

    if executor is not None:
        in_flight = 2 * max(workers, os.cpu_count() or 1)
        return _run_on(executor, job, params, chunks, chains, in_flight, progress, merge)
    with cf.ProcessPoolExecutor(max_workers=min(workers, n_chunks), mp_context=_default_mp_context()) as pool:
        return _run_on(pool, job, params, chunks, chains, 2 * workers, progress, merge)


def _merge_method(a: Any, b: Any) -> Any:
    return a.merge(b)


def _run_on(
    executor: cf.Executor,
    job: Callable[..., Any],
    params: Any,
    chunks: Iterator[tuple[np.random.SeedSequence, int]],
    chains: int,
    in_flight: int,
    progress: Callable[[int, int], object] | None,
    merge: Callable[[Any, Any], Any],
) -> Any:
    """Submit jobs with at most ``in_flight`` outstanding; fold results in submission (= chunk) order."""
    pending: collections.deque[tuple[cf.Future[Any], int]] = collections.deque()
    jobs = iter(chunks)
    result: Any = None
    done = 0
    try:
        for seed_k, n_k in jobs:
            pending.append((executor.submit(job, params, seed_k, n_k), n_k))
            if len(pending) >= in_flight:
                break
        while pending:
            future, n_k = pending.popleft()
            part = future.result()
            result = part if result is None else merge(result, part)
            done += n_k
            if progress is not None:
                progress(done, chains)
            nxt = next(jobs, None)
            if nxt is not None:
                pending.append((executor.submit(job, params, *nxt), nxt[1]))
    finally:
        for future, _ in pending:
            future.cancel()
    return result
