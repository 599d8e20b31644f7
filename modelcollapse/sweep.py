r"""Sweeps: theory and simulation over a grid of any declared parameters, as one tidy, resumable table.

A sweep of a model runs every cell of the product of its grid axes (``--grid NAME=V1;V2``; for a model
with a schedule of sample sizes also ``--sizes-grid M1,M2 --generations G1,G2``, the constant schedules
:math:`M_0 = \dots = M_{g-1} = M`), every other parameter fixed: the exact value and the series of every
quantity (mpmath; empty where the model has none), and a Monte Carlo estimate with its standard error and
:math:`z = (\hat\theta - \theta_{\text{exact}})/\mathrm{se}`.  The table has one row per (cell,
quantity) -- the tidy long form -- with a column per model parameter and provenance columns (seed,
chains, chunk size, package and library versions), values in the quantities' units.

Randomness: cell ``k`` (its position in the grid, first axis outermost) simulates with child ``k`` of
``SeedSequence(seed)``, and its chunks with the children of that child, so a cell's numbers depend only
on ``(seed, k, chains, chunk_size)`` -- not on the executor, the workers, or which cells were computed in
an earlier, interrupted run.

Files: ``.csv`` (no extra dependency) or ``.parquet`` (needs ``pyarrow``, the ``io`` extra).  Rows are
appended to the CSV (for parquet: to a ``FILE.partial.csv`` journal) and flushed after every finished
cell; a run that is interrupted, or killed mid-write, resumes with the same call: complete cells are
read back and skipped, a torn last cell is recomputed.

This is the orchestration layer on top of the models' declarations (:mod:`modelcollapse.models`) and the
only one that writes tables; progress is reported through a callback, never printed.  It names no model.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import itertools
import math
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from ._numbers import is_normal, number, parse_number
from ._validation import MAX_CHAINS, MAX_GENERATIONS, ParameterError, check_choice, check_integer
from .models import Model, get_model

DEFAULT_CHUNK = 1 << 15
"""Chains per chunk when ``chunk_size`` is not given (part of what fixes the random numbers)."""

__all__ = [
    "FORMATS",
    "Cell",
    "SweepResult",
    "cells",
    "columns",
    "parse_axes",
    "parse_grid",
    "read_table",
    "run_sweep",
    "same_table",
    "value_text",
]

FORMATS = {".csv": "csv", ".parquet": "parquet"}
"""Output formats by file suffix."""

PARQUET_HINT = "writing parquet needs pyarrow: pip install 'modelcollapse[io]' (or write a .csv file)"

_HEAD = ("model", "sampler")
_BODY = (
    "M",
    "g",
    "quantity",
    "exact",
    "series",
    "series_order",
    "estimate",
    "stderr",
    "z",
    "reliable",
    "note",
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
_INT = ("g", "cell", "series_order", "chains", "chunk_size")
_OPTIONAL_INT = ("M",)
_FLOAT = ("exact", "series", "estimate", "stderr", "z", "elapsed_s")
_BOOL = ("reliable",)
_RUN = ("model", "sampler", "series_order", "seed", "chains", "chunk_size")
"""Columns that must agree between a table on disk and the sweep resuming it (with the fixed parameters)."""

_VOLATILE = ("finished_utc", "elapsed_s")
"""Columns that differ between two runs of the same sweep (everything else is reproducible)."""


def columns(model: str | Model) -> tuple[str, ...]:
    """Columns of a sweep table of ``model``: model, sampler, one per declared parameter, then ``M`` (the
    constant sample size, empty for other schedules), ``g`` (the number of fits), the quantity, its
    exact, series and Monte Carlo values, and provenance.  ``seed`` is a string (entropy may exceed 64 bits).

    >>> columns("gaussian1d")[:7]
    ('model', 'sampler', 'sizes', 'estimator', 'sigma', 'scheme', 'real')
    """
    spec = model if isinstance(model, Model) else get_model(model)
    return (*_HEAD, *(p.name for p in spec.parameters), *_BODY)


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid point: ``values`` of the axes (parsed), ``index`` its position (its seed), ``label`` as
    printed and stored."""

    index: int
    values: tuple[tuple[str, Any], ...]
    label: str


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
        The whole table, ordered by cell then quantity (:func:`columns` keys).
    computed : tuple of int
        Cells simulated by this call.
    resumed : tuple of int
        Cells read back from the file and skipped.
    cells : tuple of Cell
        The grid.
    axes : tuple of (str, tuple)
        The grid axes and their values.
    """

    path: Path
    format: str
    seed: int
    rows: tuple[dict[str, Any], ...]
    computed: tuple[int, ...]
    resumed: tuple[int, ...]
    cells: tuple[Cell, ...] = ()
    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()


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
    _no_repeats(name, out)
    return out


def _no_repeats(name: str, values: Sequence[Any]) -> None:
    dup = [v for n, v in enumerate(values) if v in values[:n]]
    if dup:
        shown = ", ".join(value_text(v) for v in dict.fromkeys(dup))
        raise ParameterError(f"{name} must not repeat a value (got {shown} more than once)")


def _schedule_axis(model: Model, sizes_grid: Any, generations: Any, *, parse: bool) -> tuple[str, tuple[Any, ...]]:
    """The legacy axes ``sizes_grid x generations`` as one axis of the model's schedule parameter."""
    schedule = [p for p in model.parameters if p.kind == "sizes"]
    if not schedule:
        raise ParameterError(f"sizes-grid and generations need a model with a schedule of sample sizes (got {model.name})")
    if (sizes_grid is None) != (generations is None):
        raise ParameterError("sizes-grid and generations must be given together (got only one of them)")
    if parse:
        ms = parse_grid("sizes-grid", sizes_grid, minimum=1)
        gs = parse_grid("generations", generations, minimum=1)
    else:
        ms = _check_axis("sizes_grid", sizes_grid, 1)
        gs = _check_axis("generations", generations, 1)
    return schedule[0].name, tuple((m,) * g for m in ms for g in gs)


def parse_axes(
    model: Model, grid: Sequence[str], sizes_grid: str | None = None, generations: str | None = None
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Command-line grid axes: ``NAME=V1;V2;...`` (``,`` also separates single numbers and names), plus
    the legacy ``--sizes-grid``/``--generations`` schedule axis.  Values are parsed by the declarations.

    >>> m = get_model("gaussian1d")
    >>> parse_axes(m, ["estimator=unbiased,mle"], "5", "1,2")
    (('sizes', ((5,), (5, 5))), ('estimator', ('unbiased', 'mle')))
    """
    axes: list[tuple[str, tuple[Any, ...]]] = []
    if sizes_grid is not None or generations is not None:
        axes.append(_schedule_axis(model, sizes_grid, generations, parse=True))
    for spec in grid:
        name, sep, text = str(spec).partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ParameterError(f"grid must be NAME=VALUES, e.g. estimator=unbiased,mle (got {spec!r})")
        p = model.parameter(name)
        if not p.grid:
            raise ParameterError(f"grid axis {name} is not allowed: that parameter cannot vary in a sweep")
        single = p.kind in ("int", "float", "choice", "str")
        items = [t.strip() for t in (text.replace(",", ";") if single else text).split(";")]
        if not any(items):
            raise ParameterError(f"grid axis {name} must hold at least one value (got {text!r})")
        axes.append((name, tuple(p.parse(t) for t in items)))
    return tuple(axes)


def cells(axes: Sequence[tuple[str, Sequence[Any]]]) -> tuple[Cell, ...]:
    """The grid in seed order: the first axis outermost.

    >>> [(c.index, c.label) for c in cells([("sizes", [(10,), (10, 10)]), ("estimator", ["unbiased", "mle"])])]
    [(0, 'sizes=10, estimator=unbiased'), (1, 'sizes=10, estimator=mle'), (2, 'sizes=10x2, estimator=unbiased'), (3, 'sizes=10x2, estimator=mle')]
    """
    names = [name for name, _ in axes]
    combos = itertools.product(*(values for _, values in axes)) if axes else [()]
    out = []
    for index, combo in enumerate(combos):
        values = tuple(zip(names, combo, strict=True))
        out.append(Cell(index, values, ", ".join(f"{n}={value_text(v)}" for n, v in values)))
    return tuple(out)


def value_text(value: Any) -> str:
    """A parameter value as stored in the table: schedules compact (``10x5``), lists comma-joined."""
    if isinstance(value, (tuple, list)):
        if len(value) > 1 and len(set(value)) == 1:
            return f"{value_text(value[0])}x{len(value)}"
        return ",".join(value_text(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _versions() -> dict[str, str]:
    from .export.schema import versions

    return versions()


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
    """A table cell: numbers as :func:`modelcollapse._numbers.number` writes them (a float's repr when it is a
    normal float64, else a decimal string with exponent), ``inf``/``-inf`` for true infinities, empty for an
    undefined value (nan) or None, booleans as ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value) if is_normal(value) or math.isinf(value) else str(number(value))
    return str(value)


def _is_table(cols: Sequence[str]) -> bool:
    cols = tuple(cols)
    return len(cols) >= len(_HEAD) + len(_BODY) and cols[: len(_HEAD)] == _HEAD and cols[-len(_BODY) :] == _BODY


def _parse_row(cols: Sequence[str], record: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(cols, record, strict=True))
    for k in _INT:
        row[k] = int(row[k])
    for k in _OPTIONAL_INT:
        row[k] = int(row[k]) if row[k] != "" else None
    for k in _FLOAT:
        value = parse_number(row[k])
        row[k] = math.nan if value is None else value
    for k in _BOOL:
        row[k] = {"true": True, "false": False, "": None}[row[k]]
    return row


def _not_a_table(path: Path, what: str) -> ParameterError:
    return ParameterError(
        f"{path} exists and is not a modelcollapse sweep table (its {what} differ); choose another output file or remove it"
    )


def _read_csv(path: Path, expected: Sequence[str] | None = None) -> list[dict[str, Any]]:
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
    header = tuple(header or ())
    if not _is_table(header) or (expected is not None and header != tuple(expected)):
        raise _not_a_table(path, "header")
    rows = []
    for record in reader:
        try:
            rows.append(_parse_row(header, record))
        except (ValueError, KeyError):  # torn or edited line: the cell is recomputed
            continue
    return rows


def _write_csv(path: Path, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Write header and rows atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            w.writerows([_cell_text(r[k]) for k in cols] for r in rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _append_csv(path: Path, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Append one cell's rows in one write, flushed to disk."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([_cell_text(r[k]) for k in cols] for r in rows)
    with path.open("a", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())


def _read_parquet(path: Path, expected: Sequence[str] | None = None) -> list[dict[str, Any]]:
    pa = _pyarrow()
    table = pa.parquet.read_table(path)
    names = tuple(table.column_names)
    if not _is_table(names) or (expected is not None and names != tuple(expected)):
        raise _not_a_table(path, "columns")
    rows = table.to_pylist()
    for row in rows:
        for k in _FLOAT:
            value = parse_number(row[k] or "")
            row[k] = math.nan if value is None else value
    return rows


def _write_parquet(path: Path, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    pa = _pyarrow()
    types = {k: pa.int64() for k in (*_INT, *_OPTIONAL_INT)} | {k: pa.string() for k in _FLOAT} | {"reliable": pa.bool_()}
    schema = pa.schema([(k, types.get(k, pa.string())) for k in cols])
    # numbers as text in parquet too: exact beyond the float64 range (read_table gives floats back where they fit)
    rows = [{**r, **{k: _cell_text(r[k]) for k in _FLOAT}} for r in rows]
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
        Keys :func:`columns` of the table's model.

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


def _existing_rows(path: Path, fmt: str, cols: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if fmt == "parquet" and path.is_file():
        rows += _read_parquet(path, cols)
    journal = _journal(path, fmt)
    if journal.is_file():
        rows += _read_csv(journal, cols)
    return rows


def _resumable(
    rows: list[dict[str, Any]],
    run: dict[str, Any],
    grid: tuple[Cell, ...],
    axis_names: Sequence[str],
    quantities: Sequence[str],
    path: Path,
    fixed: Mapping[int, dict[str, str]] | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """Complete cells of ``rows`` (all quantities present), checked against this sweep's parameters: ``run``, and
    per cell the resolved values of the parameters that are not axes (``fixed[cell]``; a default may depend
    on an axis, e.g. a default covariance on a dimension axis)."""
    by_index = {c.index: c for c in grid}
    found: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        expected = {**run, **(fixed or {}).get(row["cell"], {})}
        for k, v in expected.items():
            if row[k] != v:
                raise ParameterError(
                    f"{path} holds a different sweep ({k} {row[k]!r}, this run {v!r}); "
                    "resume with the same parameters, or choose another output file"
                )
        cell = by_index.get(row["cell"])
        if cell is None or any(row[name] != value_text(value) for name, value in cell.values):
            held = ", ".join(f"{name}={row[name]}" for name in axis_names)
            raise ParameterError(
                f"{path} holds cell {row['cell']} ({held}), which is not at that position in this grid; "
                "resume with the same grid, or choose another output file"
            )
        if row["quantity"] in quantities:
            found.setdefault(cell.index, {})[row["quantity"]] = row
    return {i: [qs[q] for q in quantities] for i, qs in found.items() if len(qs) == len(quantities)}


def _value(value: Any) -> float | str:
    """A theory or estimate value for a row: a float when it is a normal float64 (nan when undefined), else
    its exact decimal text."""
    out = number(value)
    if out is None:
        return math.nan
    if isinstance(out, str):
        return float(out) if out in ("inf", "-inf") else out
    return float(out)


def _z(estimate: Any, exact: Any) -> float:
    """``(estimate - exact) / stderr`` at any magnitude (mpmath on the estimate's exact scaled form)."""
    import mpmath

    if estimate is None or exact is None:
        return math.nan
    with mpmath.workdps(30):
        x = mpmath.mpf(exact)
        if estimate.scaled is not None:
            mv, ms, e = estimate.scaled
            value, se = mpmath.ldexp(mpmath.mpf(mv), e), mpmath.ldexp(mpmath.mpf(ms), e)
        else:
            value, se = mpmath.mpf(estimate.value), mpmath.mpf(estimate.stderr)
        if not (mpmath.isfinite(x) and mpmath.isfinite(value) and mpmath.isfinite(se) and se > 0):
            return math.nan
        return float((value - x) / se)


def _cell_rows(
    cell: Cell,
    spec: Model,
    params: dict[str, Any],
    run: dict[str, Any],
    *,
    order: int,
    sampler: str,
    executor: cf.Executor | None,
    workers: int | None,
    progress: Callable[[int, int], object] | None,
    versions: dict[str, str],
) -> list[dict[str, Any]]:
    import numpy as np

    t0 = time.perf_counter()
    theory = spec.run_theory(params, order=order, digits=17)
    res = spec.run_simulation(
        params,
        run["chains"],
        seed=np.random.SeedSequence(int(run["seed"]), spawn_key=(cell.index,)),
        sampler=sampler,
        chunk_size=run["chunk_size"],
        executor=executor,
        workers=workers,
        progress=progress,
    )
    est = spec.estimates(params, res)
    schedule = [p.name for p in spec.parameters if p.kind == "sizes"]
    sizes = params[schedule[0]] if schedule else ()
    constant = sizes[0] if sizes and len(set(sizes)) == 1 else None
    rows = []
    for q in spec.quantities:
        e = est.get(q.key)
        exact = theory.exact.get(q.key)
        notes = []
        if exact is None:
            notes.append("no exact form: " + (theory.no_exact.get(q.key) or "the model gives none for these parameters"))
        if e is None:
            notes.append("not simulated")
        elif e.reason and not e.reliable:
            notes.append("unreliable: " + e.reason)
        rows.append({
            **run,
            **{p.name: value_text(params[p.name]) for p in spec.parameters},
            "M": constant,
            "g": spec.generations(params),
            "quantity": q.key,
            "exact": _value(exact),
            "series": _value(theory.series.get(q.key)),
            "estimate": math.nan if e is None else _value(_estimate_number(e, 0)),
            "stderr": math.nan if e is None else _value(_estimate_number(e, 1)),
            "z": _z(e, exact),
            "reliable": None if e is None else bool(e.reliable),
            "note": "; ".join(notes),
            "cell": cell.index,
            **versions,
        })
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    elapsed = round(time.perf_counter() - t0, 3)
    for r in rows:
        r["finished_utc"] = stamp
        r["elapsed_s"] = elapsed
    return rows


def _estimate_number(e: Any, which: int) -> Any:
    """The estimate's value (0) or standard error (1), exact where it lies beyond float64."""
    from ._numbers import Scaled

    if e.scaled is not None:
        return Scaled(e.scaled[which], e.scaled[2])
    return float(e.value if which == 0 else e.stderr)


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    """A table row as JSON carries it (the schema's ``sweep_row``): numbers by
    :func:`modelcollapse._numbers.number`, nan as null (the ``note`` says why)."""
    return {k: number(v) if isinstance(v, float) else v for k, v in row.items()}


def run_sweep(
    out: str | os.PathLike[str],
    *,
    model: str,
    chains: int,
    grid: Sequence[tuple[str, Sequence[Any]]] = (),
    params: Mapping[str, Any] | None = None,
    sizes_grid: Sequence[int] | None = None,
    generations: Sequence[int] | None = None,
    parse: bool = False,
    seed: int | None = None,
    sampler: str = "exact",
    order: int = 2,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[str, int, int], object] | None = None,
    **fixed: Any,
) -> SweepResult:
    r"""Run theory and simulation over the grid and write the tidy table to ``out``.

    If ``out`` already holds rows of the same sweep (same model, sampler, series order, seed, chains, chunk
    size and fixed parameters, same grid), their complete cells are kept and not recomputed, so an
    interrupted sweep resumes by calling this again with the same arguments.

    Parameters
    ----------
    out : str or path-like
        ``*.csv``, or ``*.parquet`` (needs ``pyarrow``).  Parent directories are created.
    model : str
        A registered model name (see :mod:`modelcollapse.models`).
    chains : int
        Chains per cell, ``>= 2``.
    grid : sequence of (name, values)
        The axes: a declared parameter (``grid=True``) and its distinct values; the first axis is outermost.
    params : mapping, optional
        Fixed values of the other parameters (defaults apply to those not given); also as keyword
        arguments (``estimator="mle"``).
    sizes_grid, generations : sequence of int, optional
        For a model with a schedule of sample sizes: an axis of the constant schedules ``(M,) * g``, sizes
        outer, generations inner (placed before ``grid``).
    parse : bool
        Values of ``params`` and the grid are command-line text, parsed by the declarations.
    seed : int, optional
        Master seed (non-negative).  ``None``: the seed of the table in ``out`` when there is one (resume),
        otherwise fresh entropy (recorded in the table and the result).
    sampler : str
        One of the model's samplers.
    order : int
        Order of the series in the ``series`` column.
    chunk_size : int, optional
        Chains per chunk (part of what determines the random numbers); 32768 otherwise.
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
    >>> res = run_sweep(path, model="gaussian1d", sizes_grid=[10, 20], generations=[1, 3], chains=2_000, seed=7)
    >>> len(res.rows), res.computed
    (36, (0, 1, 2, 3))
    >>> again = run_sweep(path, model="gaussian1d", sizes_grid=[10, 20], generations=[1, 3], chains=2_000, seed=7)
    >>> again.computed, again.resumed
    ((), (0, 1, 2, 3))
    >>> row = res.rows[0]
    >>> row["M"], row["g"], row["quantity"], row["exact"], row["seed"]
    (10, 1, 'var_x', 1.1, '7')
    """
    from .numeric.executors import as_seed_sequence, check_workers, process_pool

    path = Path(out)
    fmt = _format_of(path)
    if path.is_dir():
        raise ParameterError(f"out must be a file path, not the directory {str(path)!r}")
    if fmt == "parquet":
        _pyarrow()
    spec = get_model(model)
    axes = list(grid)
    if sizes_grid is not None or generations is not None:
        axes.insert(0, _schedule_axis(spec, sizes_grid, generations, parse=False))
    names = [name for name, _ in axes]
    _no_repeats("grid axes", names)
    checked_axes = []
    for name, values in axes:
        p = spec.parameter(name)
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ParameterError(f"grid axis {name} must hold at least one value (got {values!r})")
        values = tuple(p.check(v) for v in values)
        _no_repeats(f"grid axis {name}", values)
        checked_axes.append((name, values))
    grid_cells = cells(checked_axes)
    given = {k: v for k, v in {**dict(params or {}), **fixed}.items() if v is not None and k not in names}
    if parse:
        given = {k: spec.parameter(k).parse(v) for k, v in given.items()}
    cell_params = {}
    for cell in grid_cells:
        try:
            cell_params[cell.index] = spec.resolve({**given, **dict(cell.values)})
        except ParameterError as exc:
            raise ParameterError(f"cell {cell.label}: {exc}" if axes else str(exc)) from None
    chains = check_integer("chains", chains, minimum=2, maximum=MAX_CHAINS)
    order = check_integer("order", order, minimum=1)
    sampler = check_choice("sampler", sampler, spec.samplers)
    chunk = DEFAULT_CHUNK if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    if executor is not None and not isinstance(executor, cf.Executor):
        raise ParameterError(f"executor must be a concurrent.futures.Executor or None (got {type(executor).__name__})")
    if workers is not None:
        check_workers(workers)

    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        return _run_locked(path, fmt, spec, grid_cells, names, checked_axes, cell_params, chains, order, sampler, chunk,
                           seed, executor, workers, progress)


def _run_locked(path, fmt, spec, grid_cells, names, checked_axes, cell_params, chains, order, sampler, chunk, seed,
                executor, workers, progress) -> SweepResult:
    from .numeric.executors import as_seed_sequence, process_pool

    cols = columns(spec)
    existing = _existing_rows(path, fmt, cols)
    if seed is None:
        seed = int(existing[0]["seed"]) if existing else as_seed_sequence(None).entropy
    seed = check_integer("seed", seed, minimum=0)
    run = {"model": spec.name, "sampler": sampler, "series_order": order, "seed": str(seed), "chains": chains,
           "chunk_size": chunk}
    fixed = {c.index: {p.name: value_text(cell_params[c.index][p.name]) for p in spec.parameters if p.name not in names}
             for c in grid_cells}
    quantities = spec.quantity_keys
    done = _resumable(existing, run, grid_cells, names, quantities, path, fixed)

    journal = _journal(path, fmt)
    journal.parent.mkdir(parents=True, exist_ok=True)
    kept = [r for c in grid_cells if c.index in done for r in done[c.index]]
    _write_csv(journal, cols, kept)  # drops torn lines and incomplete cells before appending
    todo = [c for c in grid_cells if c.index not in done]
    total = chains * len(todo)
    versions = _versions()
    computed = []
    if progress is not None:
        progress(f"{len(done)} of {len(grid_cells)} cells already in {path.name}", 0, total)
    pool_context = contextlib.nullcontext(executor) if executor is not None else process_pool(workers)
    with pool_context as pool:
        for n, cell in enumerate(todo):
            stage = f"cell {cell.index + 1}/{len(grid_cells)} ({cell.label})"
            offset = n * chains

            def tick(d: int, _t: int, stage: str = stage, offset: int = offset) -> None:
                if progress is not None:
                    progress(stage, offset + d, total)

            rows = _cell_rows(
                cell, spec, cell_params[cell.index], run, order=order, sampler=sampler, executor=pool,
                workers=workers, progress=tick, versions=versions,
            )
            rows = [{k: r[k] for k in cols} for r in rows]
            _append_csv(journal, cols, rows)
            done[cell.index] = rows
            computed.append(cell.index)
    table = tuple(r for c in grid_cells for r in done[c.index])
    if fmt == "parquet":
        _write_parquet(path, cols, table)
        journal.unlink()
    else:
        _write_csv(path, cols, table)
    if progress is not None:
        progress("done", total, total)
    return SweepResult(
        path=path,
        format=fmt,
        seed=seed,
        rows=table,
        computed=tuple(computed),
        resumed=tuple(c.index for c in grid_cells if c.index not in computed),
        cells=grid_cells,
        axes=tuple(checked_axes),
    )


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    """Hold ``FILE.lock`` (created exclusively, holding our pid) while a sweep writes ``FILE``: a second
    writer gets an "in use" error instead of silently overwriting.  A lock left by a process that no longer
    runs (killed) is taken over."""
    lock = path.with_name(path.name + ".lock")
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="ascii").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid):
                raise ParameterError(
                    f"out {str(path)!r} is in use by another sweep (process {pid}; lock file {str(lock)!r}): wait for it, "
                    "or write to another file"
                ) from None
            with contextlib.suppress(OSError):
                lock.unlink()  # stale: its writer is gone
            continue
        except OSError as exc:
            raise ParameterError(f"out {str(path)!r} cannot be written ({exc.strerror or exc})") from None
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
        break
    else:  # pragma: no cover - a race lost twice
        raise ParameterError(f"out {str(path)!r} is in use by another sweep (lock file {str(lock)!r})")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def same_table(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> bool:
    """Whether two sweep tables hold the same results (ignoring the time columns; nan equals nan).

    >>> row = {k: 0 for k in columns("gaussian1d")}
    >>> same_table([row | {"z": float("nan"), "elapsed_s": 1.0}], [row | {"z": float("nan")}])
    True
    """
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if set(ra) != set(rb):
            return False
        for k in ra:
            if k in _VOLATILE:
                continue
            x, y = ra[k], rb[k]
            if x != y and not (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)):
                return False
    return True
