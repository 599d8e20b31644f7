r"""Sweeps: theory and simulation over a grid of sizes and generations, as one tidy, resumable table.

A sweep of the 1-D Gaussian model runs every cell :math:`(M, g)` of ``sizes_grid x generations`` (the
constant schedule :math:`M_0 = \dots = M_{g-1} = M`): the exact value and the order-``order`` 1/M series
of every quantity (mpmath), and a Monte Carlo estimate with its standard error and
:math:`z = (\hat\theta - \theta_{\text{exact}})/\mathrm{se}`.  The table has one row per
(cell, quantity) -- the tidy long form -- with provenance columns (seed, chains, chunk size, package
and library versions), all values in units of :math:`\sigma`.

Randomness: cell ``k`` (its position in the grid, sizes outer, generations inner) simulates with child
``k`` of ``SeedSequence(seed)``, and its chunks with the children of that child, so a cell's numbers
depend only on ``(seed, k, chains, chunk_size)`` -- not on the executor, the workers, or which cells
were computed in an earlier, interrupted run.

Files: ``.csv`` (no extra dependency) or ``.parquet`` (needs ``pyarrow``, the ``io`` extra).  Rows are
appended to the CSV (for parquet: to a ``FILE.partial.csv`` journal) and flushed after every finished
cell; a run that is interrupted, or killed mid-write, resumes with the same call: complete cells are
read back and skipped, a torn last cell is recomputed.

This is the orchestration layer on top of :mod:`modelcollapse.symbolic` and :mod:`modelcollapse.numeric`
and the only one that writes tables; progress is reported through a callback, never printed.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from ._validation import MAX_GENERATIONS, ParameterError, check_estimator, check_integer, min_size
from .models import get_model

__all__ = [
    "COLUMNS",
    "FORMATS",
    "Cell",
    "SweepResult",
    "cells",
    "parse_grid",
    "read_table",
    "run_sweep",
    "same_table",
]

FORMATS = {".csv": "csv", ".parquet": "parquet"}
"""Output formats by file suffix."""

PARQUET_HINT = "writing parquet needs pyarrow: pip install 'modelcollapse[io]' (or write a .csv file)"

_INT = ("M", "g", "cell", "series_order", "chains", "chunk_size")
_FLOAT = ("exact", "series", "estimate", "stderr", "z", "elapsed_s")
COLUMNS = (
    "model",
    "estimator",
    "sampler",
    "M",
    "g",
    "quantity",
    "exact",
    "series",
    "series_order",
    "estimate",
    "stderr",
    "z",
    "cell",
    "seed",
    "chains",
    "chunk_size",
    "modelcollapse",
    "python",
    "numpy",
    "scipy",
    "sympy",
    "mpmath",
    "finished_utc",
    "elapsed_s",
)
"""Columns of a sweep table, in order.  ``seed`` is a string (entropy may exceed 64 bits)."""

_RUN_KEY = ("model", "estimator", "sampler", "series_order", "seed", "chains", "chunk_size")
"""Columns that must agree between a table on disk and the sweep resuming it."""

_VOLATILE = ("finished_utc", "elapsed_s")
"""Columns that differ between two runs of the same sweep (everything else is reproducible)."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid point: constant size ``M`` for ``g`` generations; ``index`` is its position (its seed)."""

    index: int
    M: int
    g: int


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    path : pathlib.Path
        The table written.
    format : str
        ``"csv"`` or ``"parquet"``.
    seed : int
        Entropy of the master SeedSequence (pass it again to resume or reproduce).
    rows : tuple of dict
        The whole table, ordered by cell then quantity (:data:`COLUMNS` keys).
    computed : tuple of int
        Cells simulated by this call.
    resumed : tuple of int
        Cells read back from the file and skipped.
    """

    path: Path
    format: str
    seed: int
    rows: tuple[dict[str, Any], ...]
    computed: tuple[int, ...]
    resumed: tuple[int, ...]


def parse_grid(name: str, text: str, *, minimum: int = 1) -> tuple[int, ...]:
    """Parse a comma-separated list of distinct integers ``>= minimum`` (a grid axis on the command line).

    >>> parse_grid("sizes_grid", "10, 20,50", minimum=2)
    (10, 20, 50)
    >>> parse_grid("generations", "1,2.5")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: generations must be comma-separated integers >= 1 (got '2.5' in '1,2.5')
    """
    items = [t.strip() for t in str(text).split(",")]
    if not any(items):
        raise ParameterError(f"{name} must hold at least one value (got {text!r})")
    out = []
    for item in items:
        try:
            value = int(item)
        except ValueError:
            raise ParameterError(
                f"{name} must be comma-separated integers >= {minimum} (got {item!r} in {text!r})"
            ) from None
        out.append(value)
    return _check_axis(name, out, minimum)


def _check_axis(name: str, values: object, minimum: int) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(f"{name} must be a sequence of integers (got {values!r})")
    maximum = MAX_GENERATIONS if name == "generations" else None
    out = tuple(check_integer(f"{name}[{i}]", v, minimum=minimum, maximum=maximum) for i, v in enumerate(values))
    if not out:
        raise ParameterError(f"{name} must hold at least one value (got an empty grid)")
    dup = sorted({v for v in out if out.count(v) > 1})
    if dup:
        raise ParameterError(f"{name} must not repeat a value (got {', '.join(map(str, dup))} more than once)")
    return out


def cells(sizes_grid: Sequence[int], generations: Sequence[int]) -> tuple[Cell, ...]:
    """The grid in seed order: sizes outer, generations inner.

    >>> [(c.index, c.M, c.g) for c in cells([10, 20], [1, 5])]
    [(0, 10, 1), (1, 10, 5), (2, 20, 1), (3, 20, 5)]
    """
    return tuple(Cell(i * len(generations) + j, m, g) for i, m in enumerate(sizes_grid) for j, g in enumerate(generations))


def _versions() -> dict[str, str]:
    import mpmath
    import numpy
    import scipy
    import sympy

    return {
        "modelcollapse": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "mpmath": mpmath.__version__,
    }


# ---------------------------------------------------------------------------------------------------------
# reading and writing tables


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParameterError(f"out must end with {' or '.join(FORMATS)} (got {str(path)!r})")
    return fmt


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ModuleNotFoundError(PARQUET_HINT, name="pyarrow") from exc
    return pyarrow


def _cell_text(value: Any) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _parse_row(record: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(COLUMNS, record, strict=True))
    for k in _INT:
        row[k] = int(row[k])
    for k in _FLOAT:
        row[k] = float(row[k])
    return row


def _read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a sweep CSV; a torn last line (no newline, wrong field count) is dropped."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return []
    complete = text.endswith("\n")
    lines = text.splitlines(keepends=True)
    if not complete:
        lines = lines[:-1]
    reader = csv.reader(io.StringIO("".join(lines)))
    header = next(reader, None)
    if header is None and not complete:  # torn header: nothing was written yet
        return []
    if tuple(header or ()) != COLUMNS:
        raise ParameterError(
            f"{path} exists and is not a modelcollapse sweep table (its header differs); "
            "choose another output file or remove it"
        )
    rows = []
    for record in reader:
        try:
            rows.append(_parse_row(record))
        except ValueError:  # torn or edited line: the cell is recomputed
            continue
    return rows


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write header and rows atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows([_cell_text(r[k]) for k in COLUMNS] for r in rows)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _append_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Append one cell's rows in one write, flushed to disk."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([_cell_text(r[k]) for k in COLUMNS] for r in rows)
    with path.open("a", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    pa = _pyarrow()
    table = pa.parquet.read_table(path)
    if tuple(table.column_names) != COLUMNS:
        raise ParameterError(
            f"{path} exists and is not a modelcollapse sweep table (its columns differ); "
            "choose another output file or remove it"
        )
    return table.to_pylist()


def _write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    pa = _pyarrow()
    types = {k: pa.int64() for k in _INT} | {k: pa.float64() for k in _FLOAT}
    schema = pa.schema([(k, types.get(k, pa.string())) for k in COLUMNS])
    table = pa.Table.from_pylist(list(rows), schema=schema)
    tmp = path.with_name(path.name + ".tmp")
    pa.parquet.write_table(table, tmp)
    os.replace(tmp, path)


def read_table(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a sweep table (``.csv`` or ``.parquet``) back as a list of row dicts with typed values.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    list of dict
        Keys :data:`COLUMNS`.

    Raises
    ------
    ParameterError
        If the suffix is not ``.csv`` or ``.parquet``, or the file is not a sweep table.
    """
    p = Path(path)
    return _read_csv(p) if _format_of(p) == "csv" else _read_parquet(p)


# ---------------------------------------------------------------------------------------------------------
# the sweep


def _journal(path: Path, fmt: str) -> Path:
    return path if fmt == "csv" else path.with_name(path.name + ".partial.csv")


def _existing_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if fmt == "parquet" and path.is_file():
        rows += _read_parquet(path)
    journal = _journal(path, fmt)
    if journal.is_file():
        rows += _read_csv(journal)
    return rows


def _resumable(
    rows: list[dict[str, Any]], run: dict[str, Any], grid: tuple[Cell, ...], quantities: Sequence[str], path: Path
) -> dict[int, list[dict[str, Any]]]:
    """Complete cells of ``rows`` (all quantities present), checked against this sweep's parameters."""
    by_index = {c.index: c for c in grid}
    found: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        for k in _RUN_KEY:
            if row[k] != run[k]:
                raise ParameterError(
                    f"{path} holds a different sweep ({k} {row[k]!r}, this run {run[k]!r}); "
                    "resume with the same parameters, or choose another output file"
                )
        cell = by_index.get(row["cell"])
        if cell is None or (cell.M, cell.g) != (row["M"], row["g"]):
            raise ParameterError(
                f"{path} holds cell {row['cell']} (M={row['M']}, g={row['g']}), which is not at that position "
                "in this grid; resume with the same sizes and generations, or choose another output file"
            )
        if row["quantity"] in quantities:
            found.setdefault(cell.index, {})[row["quantity"]] = row
    return {i: [qs[q] for q in quantities] for i, qs in found.items() if len(qs) == len(quantities)}


def _cell_rows(
    cell: Cell,
    run: dict[str, Any],
    theory: Any,
    series: dict[str, Any],
    simulation: Any,
    *,
    executor: cf.Executor | None,
    workers: int | None,
    progress: Callable[[int, int], object] | None,
    versions: dict[str, str],
) -> list[dict[str, Any]]:
    import numpy as np

    t0 = time.perf_counter()
    sizes = [cell.M] * cell.g
    res = simulation.simulate(
        sizes,
        run["chains"],
        seed=np.random.SeedSequence(int(run["seed"]), spawn_key=(cell.index,)),
        sampler=run["sampler"],
        estimator=run["estimator"],
        chunk_size=run["chunk_size"],
        executor=executor,
        workers=workers,
        progress=progress,
    )
    est = res.estimates()
    rows = []
    for q in theory.QUANTITIES:
        exact = float(theory.evaluate(q, sizes, run["estimator"], dps=17))
        approx = float(series[q].evaluate(sizes, 17))
        e = est[q]
        z = (e.value - exact) / e.stderr if e.stderr > 0 and math.isfinite(e.stderr) else math.nan
        if not math.isfinite(z):
            z = math.nan
        rows.append({
            **run,
            "M": cell.M,
            "g": cell.g,
            "quantity": q,
            "exact": exact,
            "series": approx,
            "estimate": float(e.value),
            "stderr": float(e.stderr),
            "z": float(z),
            "cell": cell.index,
            **versions,
        })
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    elapsed = round(time.perf_counter() - t0, 3)
    for r in rows:
        r["finished_utc"] = stamp
        r["elapsed_s"] = elapsed
    return [{k: r[k] for k in COLUMNS} for r in rows]


def run_sweep(
    out: str | os.PathLike[str],
    *,
    sizes_grid: Sequence[int],
    generations: Sequence[int],
    chains: int,
    model: str = "gaussian1d",
    seed: int | None = None,
    estimator: str = "unbiased",
    sampler: str = "exact",
    order: int = 2,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[str, int, int], object] | None = None,
) -> SweepResult:
    r"""Run theory and simulation over ``sizes_grid x generations`` and write the tidy table to ``out``.

    If ``out`` already holds rows of the same sweep (same model, estimator, sampler, series order,
    seed, chains and chunk size, same grid), their complete cells are kept and not recomputed, so an
    interrupted sweep resumes by calling this again with the same arguments.

    Parameters
    ----------
    out : str or path-like
        ``*.csv``, or ``*.parquet`` (needs ``pyarrow``).  Parent directories are created.
    sizes_grid : sequence of int
        Distinct constant sample sizes :math:`M` (``>= 2``, or ``>= 1`` for ``"mle"``).
    generations : sequence of int
        Distinct numbers of fits :math:`g \ge 1`.
    chains : int
        Chains per cell, ``>= 2``.
    model : str
        A model name (see :mod:`modelcollapse.models`).
    seed : int, optional
        Master seed (non-negative).  ``None``: the seed of the table in ``out`` when there is one (resume),
        otherwise fresh entropy (recorded in the table and the result).
    estimator : {"unbiased", "mle"}
    sampler : {"exact", "brute"}
    order : int
        Order of the 1/M series in the ``series`` column.
    chunk_size : int, optional
        Chains per chunk (part of what determines the random numbers); the model's default otherwise.
    executor : concurrent.futures.Executor, optional
        Runs the chunk jobs (e.g. a Dask cluster's executor); used, never shut down.
    workers : int or None
        Without an executor: worker processes (one pool is kept for the whole sweep; ``None``: every
        core).  With an executor: how many of its workers to keep busy.
    progress : callable, optional
        ``progress(stage, done_chains, total_chains)`` over the cells still to compute.

    Returns
    -------
    SweepResult

    Raises
    ------
    ParameterError
        For invalid arguments, or an ``out`` that holds another table.
    ModuleNotFoundError
        For ``.parquet`` without ``pyarrow``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sweep.csv"
    >>> res = run_sweep(path, sizes_grid=[10, 20], generations=[1, 3], chains=2_000, seed=7)
    >>> len(res.rows), res.computed
    (32, (0, 1, 2, 3))
    >>> again = run_sweep(path, sizes_grid=[10, 20], generations=[1, 3], chains=2_000, seed=7)
    >>> again.computed, again.resumed
    ((), (0, 1, 2, 3))
    >>> row = res.rows[0]
    >>> row["M"], row["g"], row["quantity"], row["exact"], row["seed"]
    (10, 1, 'var_x', 1.1, '7')
    """
    from .numeric.executors import as_seed_sequence, check_workers, process_pool

    path = Path(out)
    fmt = _format_of(path)
    if fmt == "parquet":
        _pyarrow()
    spec = get_model(model)
    estimator = check_estimator(estimator)
    grid = cells(
        _check_axis("sizes_grid", sizes_grid, min_size(estimator)), _check_axis("generations", generations, 1)
    )
    chains = check_integer("chains", chains, minimum=2)
    order = check_integer("order", order, minimum=1)
    simulation = spec.simulation()
    if sampler not in simulation.SAMPLERS:
        raise ParameterError(f"sampler must be one of {', '.join(simulation.SAMPLERS)} (got {sampler!r})")
    chunk = simulation.DEFAULT_CHUNK_SIZE if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ParameterError(f"executor must be a concurrent.futures.Executor or None (got {type(executor).__name__})")
    if workers is not None:
        check_workers(workers)

    existing = _existing_rows(path, fmt)
    if seed is None:
        seed = int(existing[0]["seed"]) if existing else as_seed_sequence(None).entropy
    seed = check_integer("seed", seed, minimum=0)
    run = {
        "model": spec.name,
        "estimator": estimator,
        "sampler": sampler,
        "series_order": order,
        "seed": str(seed),
        "chains": chains,
        "chunk_size": chunk,
    }
    theory = spec.theory()
    quantities = tuple(theory.QUANTITIES)
    done = _resumable(existing, run, grid, quantities, path)

    journal = _journal(path, fmt)
    journal.parent.mkdir(parents=True, exist_ok=True)
    kept = [r for c in grid if c.index in done for r in done[c.index]]
    _write_csv(journal, kept)  # drops torn lines and incomplete cells before appending
    todo = [c for c in grid if c.index not in done]
    total = chains * len(todo)
    versions = _versions()
    series = {q: theory.series(q, order, estimator) for q in quantities} if todo else {}
    computed = []
    if progress is not None:
        progress(f"{len(done)} of {len(grid)} cells already in {path.name}", 0, total)
    pool_context = contextlib.nullcontext(executor) if executor is not None else process_pool(workers)
    with pool_context as pool:
        for n, cell in enumerate(todo):
            stage = f"cell {cell.index + 1}/{len(grid)} (M={cell.M}, g={cell.g})"
            base = n * chains

            def tick(d: int, _t: int, stage: str = stage, base: int = base) -> None:
                if progress is not None:
                    progress(stage, base + d, total)

            rows = _cell_rows(
                cell, run, theory, series, simulation, executor=pool, workers=workers, progress=tick, versions=versions
            )
            _append_csv(journal, rows)
            done[cell.index] = rows
            computed.append(cell.index)
    table = tuple(r for c in grid for r in done[c.index])
    if fmt == "parquet":
        _write_parquet(path, table)
        journal.unlink()
    else:
        _write_csv(path, table)
    if progress is not None:
        progress("done", total, total)
    return SweepResult(
        path=path,
        format=fmt,
        seed=seed,
        rows=table,
        computed=tuple(computed),
        resumed=tuple(c.index for c in grid if c.index not in computed),
    )


def same_table(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> bool:
    """Whether two sweep tables hold the same results (ignoring the time columns; nan equals nan).

    >>> row = {k: 0 for k in COLUMNS}
    >>> same_table([row | {"z": float("nan"), "elapsed_s": 1.0}], [row | {"z": float("nan")}])
    True
    """
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for k in COLUMNS:
            if k in _VOLATILE:
                continue
            x, y = ra[k], rb[k]
            if x != y and not (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)):
                return False
    return True
