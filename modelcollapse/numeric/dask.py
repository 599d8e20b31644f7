"""Run the chunked simulations on a Dask cluster, through its ``concurrent.futures`` executor.

Nothing here is Dask-specific numerics: :func:`~modelcollapse.numeric.executors.run_chunks` already
accepts any :class:`concurrent.futures.Executor`, and ``dask.distributed.Client.get_executor()`` is one.
This module only opens and closes the client (and, for ``"local"``, a
:class:`~distributed.LocalCluster` of worker processes on the loopback interface).

Dask is an optional dependency (the ``dist`` extra) and is imported only inside the functions, so
``import modelcollapse.numeric.dask`` is always cheap and never fails.

The chunk jobs are pure functions of ``(params, seed child, chains)``; Dask's default ``pure=True``
therefore names equal jobs equally and may reuse a result that is still in cluster memory, which is
correct.  Each chunk is a separate task, so make chunks long enough (about a second or more) that Dask's
per-task overhead (about a millisecond) is negligible.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelcollapse._validation import ParameterError
from modelcollapse.numeric.executors import check_workers

__all__ = ["INSTALL_HINT", "DaskExecutor", "check_scheduler", "dask_executor"]

INSTALL_HINT = "the Dask scheduler needs the 'dist' extra: pip install 'modelcollapse[dist]'"
"""The message of the :class:`ModuleNotFoundError` raised when ``dask.distributed`` is missing."""

_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def check_scheduler(scheduler: object) -> str:
    """Validate a scheduler specification: ``"local"`` or ``tcp://HOST:PORT`` (``tls://`` too).

    Parameters
    ----------
    scheduler : str

    Returns
    -------
    str
        The specification, stripped of surrounding blanks.

    Raises
    ------
    ParameterError
        For anything else.

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786"), check_scheduler(" local ")
    ('tcp://10.0.0.5:8786', 'local')
    >>> check_scheduler("10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: scheduler must be 'local' or an address tcp://HOST:PORT (got '10.0.0.5:8786')
    """
    text = scheduler.strip() if isinstance(scheduler, str) else scheduler
    if text == "local":
        return "local"
    if isinstance(text, str):
        match = _ADDRESS.match(text)
        if match and 0 < int(match.group(3)) < 65536:
            return text
    raise ParameterError(f"scheduler must be 'local' or an address tcp://HOST:PORT (got {scheduler!r})")


def _reachable(address: str, timeout: float) -> None:
    """Fail at once, with the reason, when nothing listens at ``address`` (a refused TCP connection is
    immediate; Dask's own client would retry until ``timeout``)."""
    import socket

    match = _ADDRESS.match(address)
    assert match is not None  # checked by check_scheduler
    host, port = match.group(2).strip("[]"), int(match.group(3))
    try:
        with socket.create_connection((host, port), timeout=min(timeout, 10.0)):
            pass
    except OSError as exc:
        raise ParameterError(
            f"could not connect to the Dask scheduler at {address}: {exc.strerror or exc} (is `dask scheduler` "
            "running there?)"
        ) from None


def check_timeout(timeout: object) -> float:
    """Seconds to wait for a scheduler: a finite number in (0, 3600].

    >>> check_timeout(5)
    5.0
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        raise ParameterError(f"timeout must be a number of seconds in (0, 3600] (got {timeout!r})")
    return float(timeout)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ModuleNotFoundError(INSTALL_HINT, name="distributed") from exc
    return distributed


@dataclass(frozen=True, slots=True)
class DaskExecutor:
    """An open connection to a Dask cluster, as :func:`dask_executor` yields it.

    Attributes
    ----------
    executor : concurrent.futures.Executor
        ``client.get_executor()``: pass it as ``executor=`` to ``simulate``, ``verify`` or ``run_sweep``.
    workers : int
        Worker threads of the cluster when it was opened: pass it as ``workers=`` so that every one of
        them is kept busy.
    address : str
        The scheduler's address.
    client : distributed.Client
        The client itself, for anything else (its dashboard, ``client.restart()``, ...).
    """

    executor: cf.Executor
    workers: int
    address: str
    client: Any


@contextlib.contextmanager
def dask_executor(
    scheduler: str = "local", *, workers: int | None = None, timeout: float = 30.0
) -> Iterator[DaskExecutor]:
    """Connect to a Dask scheduler (or start a local cluster) and yield its executor; close both on exit.

    Parameters
    ----------
    scheduler : str
        ``"local"``: start a :class:`distributed.LocalCluster` of ``workers`` single-threaded worker
        processes listening on 127.0.0.1 only, without a dashboard.  ``"tcp://HOST:PORT"``: connect to
        a running scheduler (``dask scheduler`` plus ``dask worker tcp://HOST:PORT`` on each machine);
        its workers must be able to import ``modelcollapse``.
    workers : int or None
        For ``"local"``: worker processes (``None``: one per available core).  Ignored for an address:
        the cluster's own workers are used.
    timeout : float
        Seconds to wait for the connection and for at least one worker.

    Yields
    ------
    DaskExecutor

    Raises
    ------
    ParameterError
        For an invalid ``scheduler`` or ``workers``, or when the scheduler cannot be reached or has no
        worker within ``timeout``.
    ModuleNotFoundError
        When ``dask.distributed`` is not installed (message :data:`INSTALL_HINT`).

    Examples
    --------
    ::

        from modelcollapse.numeric.dask import dask_executor
        from modelcollapse.numeric.gaussian1d import simulate

        with dask_executor("tcp://scheduler:8786") as dask:
            res = simulate([20] * 1000, 10**9, seed=7, executor=dask.executor, workers=dask.workers)
    """
    scheduler = check_scheduler(scheduler)
    n_workers = check_workers(workers)
    timeout = check_timeout(timeout)
    distributed = _distributed()
    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # the scheduler's small HTTP server (/health, /metrics) runs even without a
                    # dashboard: keep it on loopback, on a free port (never "8787 already in use")
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )
            )
            address = cluster.scheduler_address
            client = stack.enter_context(distributed.Client(cluster, timeout=timeout))
        else:
            address = scheduler
            _reachable(address, timeout)
            try:
                client = stack.enter_context(distributed.Client(address, timeout=timeout))
            except (OSError, TimeoutError) as exc:
                raise ParameterError(f"could not connect to the Dask scheduler at {address}: {exc}") from exc
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ParameterError(f"the Dask scheduler at {address} has no worker after {timeout:g} s") from exc
        threads = sum(client.nthreads().values())
        executor = client.get_executor()
        try:
            yield DaskExecutor(executor, max(1, threads), address, client)
        finally:
            executor.shutdown(wait=False)
