"""Command-line interface: thin I/O over the library.

``modelcollapse theory gaussian1d --sizes 10,30,7 [--sigma 1] [--estimator unbiased|mle] [--order 2]
[--digits 17] [--json] [--latex]``

Errors in the input print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import __version__
from ._validation import (
    DEFAULT_SEED,
    ESTIMATORS,
    MAX_DIGITS,
    MAX_ORDER,
    ParameterError,
    check_estimator,
    check_integer,
    check_positive,
    check_sizes,
    parse_sizes,
)
from .models import get_model

EXIT_USAGE = 2
DEFAULT_VERIFY_SEED = DEFAULT_SEED
DEFAULT_EVIDENCE = ".modelcollapse/last-verification.json"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------------------------------------------------
# formatting helpers


def json_number(value: Any, digits: int) -> Any:
    """An mpmath/float value as JSON: a number (<= 17 digits), a string (more digits), or null if not finite."""
    import mpmath

    with mpmath.workdps(max(digits, 17) + 5):
        v = mpmath.mpf(value)
        if not mpmath.isfinite(v):
            return None
        if digits > 17:
            return mpmath.nstr(v, digits, strip_zeros=False, min_fixed=-4, max_fixed=digits)
        return float(mpmath.nstr(v, digits, strip_zeros=False))


def _fmt(value: Any, digits: int) -> str:
    import mpmath

    with mpmath.workdps(digits + 5):
        return mpmath.nstr(mpmath.mpf(value), digits)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


# ---------------------------------------------------------------------------------------------------------
# theory


def _cmd_theory(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    estimator = check_estimator(args.estimator)
    sizes = check_sizes(parse_sizes(args.sizes), estimator)
    sigma = float_arg("sigma", args.sigma)
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    digits = int_arg("digits", args.digits, minimum=1, maximum=MAX_DIGITS)
    theory = model.theory()
    result = theory.summary(sizes, estimator, order, dps=digits)
    if args.json:
        obj = {
            "model": model.name,
            "estimator": estimator,
            "sizes": list(sizes),
            "generation": len(sizes),
            "sigma": sigma,
            "exact": {q: json_number(v, digits) for q, v in result["exact"].items()},
            "series": {"order": order, **{q: json_number(v, digits) for q, v in result["series"].items()}},
            "units": {q: _unit(theory.sigma_power(q)) for q in theory.QUANTITIES},
            "absolute": {
                q: json_number(v * sigma ** theory.sigma_power(q), digits) for q, v in result["exact"].items()
            },
        }
        print(json.dumps(obj, indent=2))
    else:
        shown = _show_sizes(sizes)
        print(f"{model.name}: {len(sizes)} generations, sizes {shown}, {estimator} estimator")
        print(f"values in units of sigma (sigma = {sigma:g}); series keeps terms of total degree <= {order} in 1/M_i")
        rows = []
        for q in theory.QUANTITIES:
            ex, se = result["exact"][q], result["series"][q]
            rel = abs(se - ex) / abs(ex) if ex != 0 and math.isfinite(float(ex)) else float("nan")
            rows.append([q, _unit(theory.sigma_power(q)), _fmt(ex, digits), _fmt(se, digits), f"{float(rel):.2e}"])
        print(_table(["quantity", "unit", "exact", f"series (order {order})", "rel. diff"], rows))
        p1 = sum(1 / m for m in sizes)
        if p1 >= 0.5:
            print(f"note: sum 1/M_i = {p1:.3g}; the 1/M series expands in sum 1/M_i << 1 and is not a good "
                  "approximation here (use the exact values)")
    if args.latex:
        print(_theory_latex(theory, estimator, order))
    return 0


def int_arg(name: str, text: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Parse a command-line integer; errors name the option, the constraint and the text received."""
    try:
        value = int(str(text).strip())
    except ValueError:
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ParameterError(f"{name} must be an integer{bound} (got {text!r})") from None
    return check_integer(name, value, minimum=minimum, maximum=maximum)


def float_arg(name: str, text: Any) -> float:
    """Parse a positive finite command-line number."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ParameterError(f"{name} must be a finite number > 0 (got {text!r})") from None
    return check_positive(name, value)


def _unit(power: int) -> str:
    return "1" if power == 0 else ("sigma" if power == 1 else f"sigma^{power}")


def _show_sizes(sizes: Sequence[int]) -> str:
    if len(set(sizes)) == 1 and len(sizes) > 3:
        return f"{sizes[0]}x{len(sizes)}"
    return ",".join(map(str, sizes))


def _theory_latex(theory: Any, estimator: str, order: int) -> str:
    from .export.latex import theory_align

    return theory_align(theory, estimator, order)


# ---------------------------------------------------------------------------------------------------------
# simulate


def _cmd_simulate(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    estimator = check_estimator(args.estimator)
    sizes = check_sizes(parse_sizes(args.sizes), estimator)
    chains = int_arg("chains", args.chains, minimum=2)
    seed = int_arg("seed", args.seed, minimum=0) if args.seed is not None else None
    workers = _workers_arg(args.workers)
    scheduler = _scheduler_arg(args.scheduler)
    sigma = float_arg("sigma", args.sigma)
    from ._validation import check_choice

    sampler = check_choice("sampler", args.sampler, ("exact", "brute"))
    bar = _ProgressBar("simulate") if not args.quiet else None
    with _executor(scheduler, workers) as (executor, workers):
        result = model.simulation().simulate(
            sizes, chains, seed=seed, sampler=sampler, estimator=estimator, sigma=sigma, workers=workers,
            executor=executor, progress=(lambda done, total: bar.update("chains", done, total)) if bar else None,
        )
    if bar:
        bar.close()
    obj = result.to_dict()
    obj["estimates"] = {
        k: {"value": _finite(v["value"]), "stderr": _finite(v["stderr"])} for k, v in obj["estimates"].items()
    }
    obj["sigma"] = sigma
    if args.json:
        print(json.dumps(obj, indent=2))
        return 0
    print(f"{model.name}: {len(sizes)} generations, sizes {_show_sizes(sizes)}, {estimator} estimator, "
          f"{sampler} sampler, {chains:,} chains, seed {obj['seed']}")
    rows = [[k, _num(v["value"]), _num(v["stderr"])] for k, v in obj["estimates"].items()]
    print(_table(["statistic", "estimate (units of sigma)", "stderr"], rows))
    return 0


def _finite(x: Any) -> Any:
    return x if isinstance(x, (int, float)) and math.isfinite(x) else None


def _num(x: Any) -> str:
    return "n/a" if x is None else f"{x:.10g}"


class _ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, one line per stage otherwise)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.tty = sys.stderr.isatty()
        self.last = ""

    def update(self, stage: str, done: int, total: int) -> None:
        width = 30
        frac = 0 if total <= 0 else min(done / total, 1)
        fill = int(width * frac)
        line = f"{self.title} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} {stage}"
        if self.tty:
            sys.stderr.write("\r" + line[:160].ljust(len(self.last)))
            sys.stderr.flush()
            self.last = line[:160]
        elif stage != self.last:
            print(line, file=sys.stderr)
            self.last = stage

    def close(self) -> None:
        if self.tty and self.last:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------
# verify


def _cmd_verify(args: argparse.Namespace) -> int:
    from ._validation import check_choice
    from .proofs.registry import registry
    from .proofs.verify import SCALES, verify

    scale = check_choice("scale", args.scale, tuple(SCALES))
    seed = int_arg("seed", args.seed, minimum=0)
    workers = int_arg("workers", args.workers, minimum=1)
    scheduler = _scheduler_arg(args.scheduler)
    registry(args.claims)  # unknown ids fail before any work
    alpha = float_arg("alpha", args.alpha)
    bar = None if args.quiet else _ProgressBar("verify")
    with _executor(scheduler, workers) as (executor, workers):
        report = verify(
            args.claims, scale=scale, seed=seed, workers=workers, alpha=alpha, executor=executor,
            progress=bar.update if bar else None,
        )
    if bar:
        bar.close()
    data = report.to_dict()
    from .export.evidence import save_report

    save_report(data, args.save)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(_verify_table(data))
    return 0 if report.ok else 1


def _verify_table(data: dict[str, Any]) -> str:
    rows = []
    for c in data["claims"]:
        mc = c["mc"]
        power = f"{mc['detectable']:.1e} / {mc['target']:.1e}"
        rows.append([
            c["claim_id"], f"{mc['theory']:.8g}", f"{mc['estimate']:.8g}", f"{mc['z']:+.2f}", f"{mc['threshold']:.2f}",
            power, f"{mc['chains']:,}", c["status"] + ("" if c["ok"] else "  <-- FAILED"),
        ])
    head = ["claim", "exact", "estimate", "z", "threshold", "detectable / next term", "chains", "verdict"]
    lines = [_table(head, rows), ""]
    for c in data["claims"]:
        pub = c.get("published")
        if pub:
            z = "n/a" if pub["z_published"] is None else f"{pub['z_published']:+.1f}"
            ze = "n/a" if pub["z_exact"] is None else f"{pub['z_exact']:+.2f}"
            sizes = ",".join(map(str, pub["evidence_sizes"]))
            lines.append(f"{c['claim_id']}: {pub['verdict']}. Published terms {pub['published_terms']}, derived "
                         f"{pub['derived_terms']}. At sizes {sizes}: exact {pub['exact_value']:.6g}, published "
                         f"{pub['published_value']:.6g} (z = {z}), exact form z = {ze}.")
    n_ok = sum(c["ok"] for c in data["claims"])
    lines.append(f"{n_ok}/{len(data['claims'])} claims verified at scale {data['scale']} (seed {data['seed']}, "
                 f"family-wise alpha {data['alpha']:g} over {data['checks']} Monte Carlo checks)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# sweep, and where the simulations run (--workers, --scheduler)

_SCHEDULER_HELP = (
    "run the simulations on Dask: 'local' (a LocalCluster of --workers processes on 127.0.0.1) or "
    "tcp://HOST:PORT (a running scheduler); needs the 'dist' extra"
)


def _workers_arg(text: Any) -> int:
    """``--workers``: an integer >= 1; not given means one per available core."""
    from .numeric.executors import check_workers

    return check_workers(None) if text is None else int_arg("workers", text, minimum=1)


def _scheduler_arg(text: Any) -> str | None:
    from .numeric.dask import check_scheduler

    return None if text is None else check_scheduler(text)


def _executor(scheduler: str | None, workers: int) -> Any:
    """A context yielding ``(executor, workers)``: ``(None, workers)`` for local processes, or a Dask
    cluster's executor and its worker threads (closed on exit)."""
    import contextlib

    @contextlib.contextmanager
    def opened() -> Any:
        if scheduler is None:
            yield None, workers
            return
        from .numeric.dask import dask_executor

        stack = contextlib.ExitStack()
        try:
            dask = stack.enter_context(dask_executor(scheduler, workers=workers))
        except ImportError as exc:  # the 'dist' extra is missing: one line, with the install hint
            raise ParameterError(str(exc)) from exc
        with stack:
            yield dask.executor, dask.workers

    return opened()


def _cmd_sweep(args: argparse.Namespace) -> int:
    from ._validation import check_choice, min_size
    from .sweep import parse_grid, run_sweep

    model = get_model(args.model)
    estimator = check_estimator(args.estimator)
    sizes_grid = parse_grid("sizes-grid", args.sizes_grid, minimum=min_size(estimator))
    generations = parse_grid("generations", args.generations, minimum=1)
    chains = int_arg("chains", args.chains, minimum=2)
    seed = int_arg("seed", args.seed, minimum=0) if args.seed is not None else None
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    chunk_size = int_arg("chunk-size", args.chunk_size, minimum=1) if args.chunk_size is not None else None
    sampler = check_choice("sampler", args.sampler, ("exact", "brute"))
    workers = _workers_arg(args.workers)
    scheduler = _scheduler_arg(args.scheduler)
    bar = None if args.quiet else _ProgressBar("sweep")
    try:
        with _executor(scheduler, workers) as (executor, workers):
            res = run_sweep(
                args.out, model=model.name, sizes_grid=sizes_grid, generations=generations, chains=chains,
                seed=seed, estimator=estimator, sampler=sampler, order=order, chunk_size=chunk_size,
                executor=executor, workers=workers, progress=bar.update if bar else None,
            )
    except ModuleNotFoundError as exc:  # parquet without pyarrow
        raise ParameterError(str(exc)) from exc
    except KeyboardInterrupt:
        if bar:
            bar.close()
        print(f"modelcollapse sweep: interrupted; finished cells are kept in {args.out}: "
              "run the same command again to resume", file=sys.stderr)
        return 130
    if bar:
        bar.close()
    n_cells = len(sizes_grid) * len(generations)
    print(f"{model.name} sweep: {n_cells} cells (M in {','.join(map(str, sizes_grid))} x g in "
          f"{','.join(map(str, generations))}), {estimator} estimator, {sampler} sampler, {chains:,} chains per "
          f"cell, seed {res.seed}")
    print(f"computed {len(res.computed)} cells, resumed {len(res.resumed)}; {len(res.rows)} rows -> {res.path} "
          f"({res.format})")
    by_cell: dict[int, list[dict[str, Any]]] = {}
    for r in res.rows:
        by_cell.setdefault(r["cell"], []).append(r)
    rows = []
    for cell in by_cell.values():
        finite = [r for r in cell if math.isfinite(r["z"])]
        worst = max(finite, key=lambda r: abs(r["z"]), default=None)
        rows.append([str(cell[0]["M"]), str(cell[0]["g"]), f"{cell[0]['elapsed_s']:.2f}",
                     "n/a" if worst is None else f"{worst['z']:+.2f}", "" if worst is None else worst["quantity"]])
    print(_table(["M", "g", "seconds", "largest z", "quantity"], rows))
    from .numeric.stats import z_threshold

    n_tests = sum(1 for r in res.rows if math.isfinite(r["z"]))
    if n_tests:
        print(f"|z| above {float(z_threshold(1e-3 / n_tests)):.2f} would be a disagreement at family-wise alpha 1e-3 "
              f"over the {n_tests} z-scores of the table (Bonferroni); smaller |z| are expected by chance")
    return 0


# ---------------------------------------------------------------------------------------------------------
# latex, plot


def _cmd_latex(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ._validation import check_choice
    from .export.appendix import write_paper
    from .export.evidence import load_report
    from .proofs.registry import registry
    from .proofs.verify import SCALES

    scale = check_choice("scale", args.scale, tuple(SCALES))
    seed = int_arg("seed", args.seed, minimum=0)
    claims = registry(args.claims)  # unknown ids fail before any work
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {args.out!r})")
    report = None
    if args.evidence:
        try:
            report = load_report(args.evidence)
        except (OSError, ValueError) as exc:
            raise ParameterError(f"evidence must be a JSON report saved by `modelcollapse verify` "
                                 f"(cannot read {args.evidence!r}: {exc})") from None
        if report is not None and not (isinstance(report, dict) and isinstance(report.get("claims"), list)):
            raise ParameterError(f"evidence must be a report saved by `modelcollapse verify` (got {args.evidence!r})")
    covered = {c.get("claim_id") for c in report["claims"]} if report else set()
    missing = [c.id for c in claims if c.id not in covered]
    if missing and not args.quiet:
        where = f"no saved verification at {args.evidence}" if not report else f"{args.evidence} lacks {len(missing)} claim(s)"
        print(f"modelcollapse latex: {where}; verifying {len(missing)} claim(s) at scale {scale} (seed {seed})",
              file=sys.stderr)
    files = write_paper(args.out, [c.id for c in claims], report=report, scale=scale, seed=seed)
    out = Path(args.out)
    print(f"{out / 'claims'}: {len(files.fragments)} fragments (\\label{{eq:<claim-id>}})")
    for path in (files.appendix, files.aux, files.bibliography):
        print(path)
    print(f"compile with: cd {out} && pdflatex appendix.tex")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from ._validation import check_choice

    model = get_model(args.model)
    estimator = check_estimator(args.estimator)
    sizes = check_sizes(parse_sizes(args.sizes), estimator)
    from .export.plot import FORMATS, plot_gaussian1d

    plotters = {"gaussian1d": plot_gaussian1d}
    plot = plotters.get(model.name)
    if plot is None:  # pragma: no cover - every registered model has figures today
        raise ParameterError(f"model must be one of {', '.join(plotters)} for plot (got {args.model!r})")
    fmt = check_choice("format", args.format, FORMATS)
    chains = int_arg("chains", args.chains, minimum=2)
    seed = int_arg("seed", args.seed, minimum=0)
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    try:
        paths = plot(sizes, args.out, fmt=fmt, chains=chains, seed=seed, estimator=estimator, order=order)
    except ImportError as exc:
        raise ParameterError(str(exc)) from None
    for path in paths:
        print(path)
    return 0


# ---------------------------------------------------------------------------------------------------------
# entry point


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="modelcollapse", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"modelcollapse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("theory", help="exact closed forms and 1/M series of a model")
    p.add_argument("model", help="model name, e.g. gaussian1d")
    p.add_argument("--sizes", required=True, help="M_0,...,M_{g-1}; SIZExCOUNT repeats (20x50)")
    p.add_argument("--sigma", default=1.0, help="standard deviation of the original data (default 1)")
    p.add_argument("--estimator", default="unbiased", help=f"variance estimator: {' | '.join(ESTIMATORS)}")
    p.add_argument("--order", default=2, help="series order: keep terms of total degree <= ORDER in 1/M_i")
    p.add_argument("--digits", default=17, help="significant digits (strings in JSON above 17)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--latex", action="store_true", help="print the closed forms as LaTeX")
    p.set_defaults(func=_cmd_theory)

    p = sub.add_parser("simulate", help="Monte Carlo simulation of a model")
    p.add_argument("model", help="model name, e.g. gaussian1d")
    p.add_argument("--sizes", required=True, help="M_0,...,M_{g-1}; SIZExCOUNT repeats (20x50)")
    p.add_argument("--chains", required=True, help="number of independent chains (>= 2)")
    p.add_argument("--seed", default=None, help="seed (non-negative integer); default: fresh entropy, printed")
    p.add_argument("--sampler", default="exact", help="exact (Cochran, O(1) per generation) | brute (draws M_i points)")
    p.add_argument("--estimator", default="unbiased", help=f"variance estimator: {' | '.join(ESTIMATORS)}")
    p.add_argument("--sigma", default=1.0, help="standard deviation of the original data (default 1)")
    p.add_argument("--workers", default=None, help="local worker processes, or Dask workers with --scheduler "
                   "local (default: one per core; the result does not depend on it)")
    p.add_argument("--scheduler", default=None, help=_SCHEDULER_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("verify", help="check every claim: derivation, series order, Monte Carlo")
    p.add_argument("claims", nargs="*", help="claim ids (default: all)")
    p.add_argument("--scale", default="ci", help="smoke (seconds) | ci (minutes) | paper (long)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"master seed (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--alpha", default=1e-3, help="family-wise false-alarm budget over all checks (default 1e-3)")
    p.add_argument("--workers", default=1, help="local worker processes for the simulations (default 1)")
    p.add_argument("--scheduler", default=None, help=_SCHEDULER_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object with a 'claims' list")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--save", default=DEFAULT_EVIDENCE, help=f"where to keep the report for `latex` (default {DEFAULT_EVIDENCE}; '' to skip)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("sweep", help="theory and simulation over a grid of sizes and generations, as a table")
    p.add_argument("model", help="model name, e.g. gaussian1d")
    p.add_argument("--sizes-grid", required=True, help="constant sample sizes M, one cell each: 10,20,50")
    p.add_argument("--generations", required=True, help="numbers of fits g, one cell each: 1,5,20")
    p.add_argument("--chains", required=True, help="chains per cell (>= 2)")
    p.add_argument("--out", required=True, help="FILE.csv, or FILE.parquet (needs the 'io' extra); resumes a "
                   "partial FILE of the same sweep")
    p.add_argument("--seed", default=None, help="master seed; default: the seed in --out when resuming, else "
                   "fresh entropy (printed)")
    p.add_argument("--estimator", default="unbiased", help=f"variance estimator: {' | '.join(ESTIMATORS)}")
    p.add_argument("--sampler", default="exact", help="exact | brute")
    p.add_argument("--order", default=2, help="order of the 1/M series column (default 2)")
    p.add_argument("--chunk-size", default=None, help="chains per chunk (default: the model's)")
    p.add_argument("--workers", default=None, help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, help=_SCHEDULER_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("latex", help="LaTeX for papers: claim fragments, a compilable appendix, references.bib")
    p.add_argument("claims", nargs="*", help="claim ids (default: all)")
    p.add_argument("--out", required=True, help="directory: claims/<id>.tex, appendix.tex, appendix.aux, references.bib")
    p.add_argument("--evidence", default=DEFAULT_EVIDENCE, help=f"verification report for the evidence tables "
                   f"(default {DEFAULT_EVIDENCE}); claims it lacks are verified now at --scale")
    p.add_argument("--scale", default="smoke", help="scale of the verification run for claims without evidence (default smoke)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"master seed of that run (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--quiet", action="store_true", help="no note on stderr when claims are verified now")
    p.set_defaults(func=_cmd_latex)

    p = sub.add_parser("plot", help="figures: theory curves with Monte Carlo bands over generations (matplotlib)")
    p.add_argument("model", help="model name, e.g. gaussian1d")
    p.add_argument("--sizes", required=True, help="M_0,...,M_{g-1}; SIZExCOUNT repeats (100x200)")
    p.add_argument("--out", required=True, help="directory for var_x, w2, log_sigma2 and trajectories figures")
    p.add_argument("--format", default="png", help="png (default) | pdf | svg")
    p.add_argument("--chains", default=20_000, help="Monte Carlo chains (default 20000)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"seed (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--estimator", default="unbiased", help=f"variance estimator: {' | '.join(ESTIMATORS)}")
    p.add_argument("--order", default=2, help="order of the series curves in 1/M_i (default 2)")
    p.set_defaults(func=_cmd_plot)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ParameterError as exc:
        print(f"modelcollapse {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
