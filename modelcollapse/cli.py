"""Command-line interface: thin I/O over the library, driven by the models' declarations.

``modelcollapse theory MODEL [model options] [--order 2] [--digits 17] [--json] [--latex]``
``modelcollapse simulate MODEL [model options] --chains N [--seed S] [--sampler exact|brute] [--json]``
``modelcollapse sweep MODEL [model options] [--grid NAME=V1;V2 ...] --chains N --out FILE``
``modelcollapse plot MODEL [model options] --out DIR``
``modelcollapse verify [CLAIM ...]``, ``modelcollapse latex --out DIR``, ``modelcollapse models [--json]``

The model options (``--sizes``, ``--estimator``, ...) are those the model declares; ``modelcollapse
theory MODEL --help`` lists them.  Errors in the input print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from . import __version__
from ._validation import DEFAULT_SEED, MAX_CHAINS, MAX_DIGITS, MAX_ORDER, ParameterError, check_choice, check_integer, check_positive
from .models import Model, get_model, model_names

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
    """An mpmath/float value as JSON carries it (:func:`modelcollapse._numbers.number`): a number when it is a
    normal float64 (<= 17 digits), else a decimal string with exponent (or more digits); ``"inf"``/``"-inf"``
    for a true infinity; null where undefined."""
    from ._numbers import number

    return number(value, digits)


def _dump(obj: Any) -> str:
    """Strict JSON (a NaN or Infinity token is a bug: :func:`json_number` never makes one), ASCII only."""
    return json.dumps(obj, indent=2, allow_nan=False)


def _stamp(obj: dict[str, Any], chunk_size: int | None = None) -> dict[str, Any]:
    """``schema_version`` first and ``provenance`` last (see ``modelcollapse/schema/output.schema.json``)."""
    from .export.schema import SCHEMA_VERSION, provenance

    return {"schema_version": SCHEMA_VERSION, **obj, "provenance": provenance(chunk_size)}


def _is_finite(value: Any) -> bool:
    import mpmath

    return bool(mpmath.isfinite(mpmath.mpf(value)))


def _plain(obj: Any, digits: int) -> Any:
    """Model-specific JSON additions made JSON-safe: every non-integer number (mpmath or float) through
    :func:`json_number`; mappings and sequences recursively; everything else as it is."""
    if isinstance(obj, dict):
        return {str(k): _plain(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, digits) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    try:
        return json_number(obj, digits)
    except (TypeError, ValueError):
        return str(obj)


def _fmt(value: Any, digits: int) -> str:
    import mpmath

    if value is None:
        return "n/a"
    with mpmath.workdps(digits + 5):
        return mpmath.nstr(mpmath.mpf(value), digits)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


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


def _show(value: Any) -> str:
    """A parameter value for a one-line header: schedules as ``20x50`` when constant, named ones by name."""
    if getattr(value, "schedule", None) is not None or hasattr(value, "infinite"):
        return str(value)  # a named schedule (power:10,2x50, geometric:2,1.5xinf)
    if isinstance(value, tuple):
        if len(value) > 3 and len(set(value)) == 1:
            return f"{value[0]}x{len(value)}"
        shown = ",".join(map(str, value[:8]))
        return shown + (f",... ({len(value)} entries)" if len(value) > 8 else "")
    return str(value)


def _header(model: Model, params: Mapping[str, Any]) -> str:
    g = model.generations(params)
    shown = ", ".join(f"{p.name} {_show(params[p.name])}" for p in model.parameters)
    return f"{model.name}: {g} generation{'s' if g != 1 else ''}, {shown}"


# ---------------------------------------------------------------------------------------------------------
# model commands: stage 1 picks the model, stage 2 parses the options it declares


def _model_parser(command: str, model: Model, *, optional: bool = False) -> _Parser:
    """A parser for ``modelcollapse COMMAND MODEL``: the model's parameters as options (strings, validated
    by their declarations), plus the command's own options."""
    parser = _Parser(prog=f"modelcollapse {command} {model.name}", description=model.description)
    group = parser.add_argument_group(f"{model.name} parameters")
    for p in model.parameters:
        help_text = p.help + ("" if p.required else f" (default {_show(p.default)})")
        if p.kind == "flag":
            group.add_argument(p.option, dest=p.name, action="store_true", default=None, help=help_text)
        else:
            group.add_argument(p.option, dest=p.name, default=None, required=p.required and not optional,
                               help=help_text, metavar=p.kind.upper())
    _COMMAND_OPTIONS[command](parser, model)
    return parser


def _params(model: Model, args: argparse.Namespace, *, skip: Sequence[str] = ()) -> dict[str, Any]:
    given = {p.name: getattr(args, p.name) for p in model.parameters if p.name not in skip}
    return model.resolve({k: v for k, v in given.items() if v is not None}, parse=True)


def _theory_options(p: _Parser, model: Model) -> None:
    p.add_argument("--order", default=2, help="series order: keep terms of total degree <= ORDER in the small parameters")
    p.add_argument("--digits", default=17, help="significant digits (strings in JSON above 17)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--latex", action="store_true", help="the closed forms as LaTeX (a 'latex' key with --json)")
    p.add_argument("--quantity", action="append", default=[], metavar="KEY",
                   help="only this quantity (repeatable); an error if these parameters give it no exact form")


def _run_options(p: _Parser, model: Model) -> None:
    p.add_argument("--chains", required=True, help="number of independent chains (>= 2)")
    p.add_argument("--seed", default=None, help="seed (non-negative integer); default: fresh entropy, printed")
    p.add_argument("--sampler", default=model.samplers[0], help=" | ".join(model.samplers) + f" (default {model.samplers[0]})")
    p.add_argument("--workers", default=None, help="local worker processes, or Dask workers with --scheduler "
                   "local (default: one per core; the result does not depend on it)")
    p.add_argument("--scheduler", default=None, help=_SCHEDULER_HELP)
    p.add_argument("--timeout", default=None, help=_TIMEOUT_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _simulate_options(p: _Parser, model: Model) -> None:
    _run_options(p, model)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _sweep_options(p: _Parser, model: Model) -> None:
    _run_options(p, model)
    p.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="a grid axis: a parameter and its values, separated by ';' (or ',' for single "
                   "numbers and names): --grid 'sizes=10x5;20x5' --grid estimator=unbiased,mle; repeat for "
                   "more axes (the first is outermost)")
    if any(p_.kind == "sizes" for p_ in model.parameters):
        p.add_argument("--sizes-grid", default=None, help="constant sample sizes M, one axis value each: 10,20,50 "
                       "(with --generations: the schedules M x g)")
        p.add_argument("--generations", default=None, help="numbers of fits g for --sizes-grid: 1,5,20")
    p.add_argument("--out", required=True, help="FILE.csv, or FILE.parquet (needs the 'io' extra); resumes a "
                   "partial FILE of the same sweep")
    p.add_argument("--order", default=2, help="order of the series column (default 2)")
    p.add_argument("--chunk-size", default=None, help="chains per chunk (default: the model's)")


def _plot_options(p: _Parser, model: Model) -> None:
    p.add_argument("--out", required=True, help="directory for the figures: " + ", ".join(f.name for f in model.figures))
    p.add_argument("--format", default="png", help="png (default) | pdf | svg")
    p.add_argument("--chains", default=20_000, help="Monte Carlo chains (default 20000)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"seed (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--order", default=2, help="order of the series curves (default 2)")
    p.add_argument("--width", default="column", help="column (3.25 in, default) | text (6.75 in) | neurips (5.5 in) "
                   "| a width in inches")
    p.add_argument("--title", action="store_true", help="draw the title on the figure (it is always in <name>.txt)")


_COMMAND_OPTIONS: dict[str, Callable[[_Parser, Model], None]] = {
    "theory": _theory_options,
    "simulate": _simulate_options,
    "sweep": _sweep_options,
    "plot": _plot_options,
}


# ---------------------------------------------------------------------------------------------------------
# theory


def _cmd_theory(model: Model, args: argparse.Namespace) -> int:
    params = _params(model, args)
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    digits = int_arg("digits", args.digits, minimum=1, maximum=MAX_DIGITS)
    wanted = [model.quantity(key).key for key in args.quantity]
    result = model.run_theory(params, order=order, digits=digits)
    for key in wanted:
        if result.exact.get(key) is None:
            why = result.no_exact.get(key, "these parameters give it no exact form")
            raise ParameterError(f"quantity {key} has no exact form for these parameters ({why}); simulate it")
    if wanted:
        result = _restricted(result, wanted)
    latex = _theory_latex(model, params, order) if args.latex else None
    if args.json:
        obj = {
            "model": model.name,
            **model.params_json(params),
            "generation": result.generation,
            "exact": {q: json_number(v, digits) for q, v in result.exact.items()},
            "series": {"order": result.order, **{q: json_number(v, digits) for q, v in result.series.items()}},
            "units": {q.key: q.unit for q in model.quantities if q.key in result.exact},
            "absolute": {q: json_number(v, digits) for q, v in result.absolute.items()},
            "no_exact": dict(result.no_exact),
            **({"no_series": dict(result.no_series)} if result.no_series else {}),
            **_plain(result.extra, digits),
        }
        if latex is not None:
            obj["latex"] = latex
        print(_dump(_stamp(obj)))
        return 0
    print(_header(model, params))
    units = {q.key: q.unit for q in model.quantities}
    has_series = result.order is not None or bool(result.series)
    print("values in the units shown" + (f"; series keeps terms of total degree <= {result.order} in the small "
                                          "parameters" if has_series else ""))
    rows = []
    for q, ex in result.exact.items():
        se = result.series.get(q)
        rel = "n/a"
        if ex is not None and se is not None and ex != 0 and _is_finite(ex):
            rel = _fmt(abs(se - ex) / abs(ex), 3)
        rows.append([q, units.get(q, "1"), _fmt(ex, digits)] + ([_fmt(se, digits), rel] if has_series else []))
    head = ["quantity", "unit", "exact"] + ([f"series (order {result.order})", "rel. diff"] if has_series else [])
    print(_table(head, rows))
    for q, why in {**result.no_exact}.items():
        print(f"no exact form for {q}: {why}")
    has_series = any(v is not None for v in result.series.values())
    for p in model.parameters:
        if p.kind == "sizes" and has_series:
            p1 = sum(1 / m for m in params[p.name])
            if p1 >= 0.5:
                print(f"note: sum 1/M_i = {p1:.3g}; the 1/M series expands in sum 1/M_i << 1 and is not a good "
                      "approximation here (use the exact values)")
    if latex is not None:
        print(latex)
    return 0


def _restricted(result: Any, keys: Sequence[str]) -> Any:
    """The theory result with only the quantities ``keys``."""
    import dataclasses

    keep = lambda d: {k: v for k, v in d.items() if k in keys}  # noqa: E731
    return dataclasses.replace(result, exact=keep(result.exact), series=keep(result.series),
                               absolute=keep(result.absolute), no_exact=keep(result.no_exact),
                               no_series=keep(result.no_series))


def _theory_latex(model: Model, params: Mapping[str, Any], order: int) -> str:
    from .models import _load

    hook = getattr(model, "latex", None)
    if hook is None:
        raise ParameterError(f"latex is not available for model {model.name} (it declares no LaTeX form)")
    return _load(hook)(**params, order=order)


# ---------------------------------------------------------------------------------------------------------
# simulate


def _cmd_simulate(model: Model, args: argparse.Namespace) -> int:
    params = _params(model, args)
    chains = _chains_arg(args.chains)
    seed = int_arg("seed", args.seed, minimum=0) if args.seed is not None else None
    workers = _workers_arg(args.workers)
    scheduler = _scheduler_arg(args.scheduler)
    timeout = _timeout_arg(args.timeout)
    sampler = check_choice("sampler", args.sampler, model.samplers)
    bar = _ProgressBar("simulate") if not args.quiet else None
    try:
        with _executor(scheduler, workers, timeout) as (executor, workers):
            result = model.run_simulation(
                params, chains, seed=seed, sampler=sampler, workers=workers, executor=executor,
                progress=(lambda done, total: bar.update("chains", done, total)) if bar else None,
            )
    finally:
        if bar:
            bar.close()
    obj = {"model": model.name, **model.params_json(params), **result.to_dict()}
    obj["seed_text"] = _seed_text(obj.get("seed"))
    estimates = model.estimates(params, result)
    obj["estimates"] = {k: _estimate_json(e) for k, e in estimates.items()}
    if args.json:
        print(_dump(_stamp(obj, _chunk_size(result))))
        return 0
    print(f"{_header(model, params)}; {sampler} sampler, {chains:,} chains, seed {obj['seed_text']}")
    units = {q.key: q.unit for q in model.quantities}
    rows = [[k, units.get(k, "1"), _num(v["value"]), _num(v["stderr"]), "yes" if v["reliable"] else "NO"]
            for k, v in obj["estimates"].items()]
    print(_table(["statistic", "unit", "estimate", "stderr", "reliable"], rows))
    for k, v in obj["estimates"].items():
        if not v["reliable"]:
            print(f"{k}: unreliable: {v['reason']}")
    return 0


def _chunk_size(result: Any) -> int | None:
    """The chunk size a simulation ran with: its result's, else its module's default (what it used)."""
    size = getattr(result, "chunk_size", None)
    if size is None:
        size = getattr(sys.modules.get(type(result).__module__), "DEFAULT_CHUNK_SIZE", None)
    return int(size) if isinstance(size, int) else None


def _estimate_json(e: Any) -> dict[str, Any]:
    """An estimate as JSON: value, stderr (numbers or exponent strings), reliable, reason (why a value is null)."""
    out = e.to_dict()
    out.setdefault("reliable", True)
    out.setdefault("reason", "")
    if out["value"] is None or out["stderr"] is None:
        why = "the statistic is undefined for these parameters (e.g. log 0 after an exact collapse)"
        out["reason"] = "; ".join(r for r in (out["reason"], why) if r)
    return out


def _seed_text(seed: Any) -> str:
    """The seed entropy as a decimal string (a list: comma-separated)."""
    if isinstance(seed, (list, tuple)):
        return ",".join(str(int(s)) for s in seed)
    return "" if seed is None else str(int(seed))


def _num(x: Any) -> str:
    if x is None:
        return "n/a"
    return x if isinstance(x, str) else f"{x:.10g}"


class _ProgressBar:
    """Progress on stderr through tqdm: rate and ETA redrawn in place while stderr is a terminal; when it is
    not (a log, a pipe), nothing until :meth:`close` prints a single final line."""

    def __init__(self, title: str, unit: str = "chains") -> None:
        import time

        self.title = title
        self.unit = unit
        self.tty = sys.stderr.isatty()
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0
        self.total = 0
        self.started = time.perf_counter()
        self.closed = False

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage = stage
            if self.tty:
                self._reopen(stage, total)
        self.done, self.total = done, total
        if self.bar is not None:
            if total and self.bar.total != total:
                self.bar.total = total
            self.bar.update(max(done - self.bar.n, 0))

    def _reopen(self, stage: str, total: int) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency; without it only the final line
            return
        if self.bar is None:
            self.bar = tqdm(total=max(total, 0), unit=self.unit.rstrip("s") or "it", unit_scale=True,
                            file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.set_description_str(f"{self.title}: {stage}"[:70], refresh=False)

    def close(self) -> None:
        import time

        if self.closed:
            return
        self.closed = True
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elapsed = time.perf_counter() - self.started
        if self.stage is None:
            return
        rate = f", {self.done / elapsed:,.0f} {self.unit}/s" if elapsed > 0 and self.done else ""
        print(f"{self.title}: {self.done:,}/{self.total:,} {self.unit} in {elapsed:.1f} s{rate}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------
# verify


def _cmd_verify(args: argparse.Namespace) -> int:
    from .proofs.verify import SCALES

    if args.faults:
        return _cmd_faults(args)
    scale = check_choice("scale", args.scale, tuple(SCALES))
    seed = int_arg("seed", args.seed, minimum=0)
    workers = _workers_arg(args.workers)
    scheduler = _scheduler_arg(args.scheduler)
    timeout = _timeout_arg(args.timeout)
    alpha = _probability_arg("alpha", args.alpha)
    if args.save:
        _check_output_file("save", args.save)
    from .proofs.registry import registry
    from .proofs.verify import verify

    registry(args.claims)  # unknown ids fail before any work
    bar = None if args.quiet else _ProgressBar("verify", unit="steps")
    try:
        with _executor(scheduler, workers, timeout) as (executor, workers):
            report = verify(
                args.claims, scale=scale, seed=seed, workers=workers, alpha=alpha, executor=executor,
                progress=bar.update if bar else None,
            )
    finally:
        if bar:
            bar.close()
    data = _stamp(report.to_dict())
    from .export.evidence import save_report

    save_report(data, args.save)
    if args.json:
        print(_dump(data))
    else:
        print(_verify_table(data))
    return 0 if report.ok else 1


def _cmd_faults(args: argparse.Namespace) -> int:
    """``verify --faults [MODEL|FAULT ...]``: inject every fault of the catalogue, print the faults x checks table."""
    from .models import model_names
    from .proofs.faults import catalogue, run_faults
    from .proofs.verify import SCALES

    scale = check_choice("scale", args.scale, tuple(SCALES))
    seed = int_arg("seed", args.seed, minimum=0)
    workers = 1 if args.workers is None else _workers_arg(args.workers)
    if workers != 1:  # a patched sampler exists only in this process: worker processes would run the clean one
        raise ParameterError(f"workers must be 1 with --faults: the faults are injected in this process's memory "
                             f"(got {workers})")
    alpha = _probability_arg("alpha", args.alpha)
    known = catalogue()
    chosen = []
    for name in args.claims:
        if name in model_names():
            chosen += [f for f in known if f.model == name]
        elif name in {f.id for f in known}:
            chosen += [f for f in known if f.id == name]
        else:
            raise ParameterError(f"faults must be model names or fault ids ({', '.join(f.id for f in known)}) "
                                 f"(got {name!r})")
    bar = None if args.quiet else _ProgressBar("faults")
    report = run_faults(chosen or known, scale=scale, seed=seed, alpha=alpha, workers=workers,
                        progress=bar.update if bar else None)
    if bar:
        bar.close()
    data = _stamp(report.to_dict())
    print(_dump(data) if args.json else _faults_table(data))
    return 0 if report.ok else 1


def _faults_table(data: dict[str, Any]) -> str:
    """The faults x checks table: in each cell the strongest detection (|z| of a Monte Carlo check, the relative
    error of a step), ``-`` where the check ran and did not catch the fault, ``n/a`` where it did not run; ``*``
    marks the checks a fault is expected to be caught by."""
    checks = list(data["checks"])
    rows = []
    for f in data["faults"]:
        cells = [f["fault_id"]]
        for check in checks:
            hits = [d for d in f["detections"] if d["check"] == check]
            mark = "*" if check in f["expect"] else ""
            if check not in f["ran"]:
                cells.append("n/a")
            elif not hits:
                cells.append("-" + mark)
            else:
                size = max((d["size"] for d in hits if d["size"] is not None), default=None)
                if check == "published":
                    text = "changed"
                elif size is None:
                    text = "caught"
                elif check.startswith("mc"):
                    text = f"z {size:.1f}"
                else:
                    text = f"{size:.1e}"
                cells.append(text + mark)
        cells.append("caught" if f["ok"] else ("MISSED " + ",".join(f["missed"]) if f["caught"] else "NOT CAUGHT"))
        rows.append(cells)
    lines = [_table(["fault", *checks, "verdict"], rows), "",
             "cell: |z| of the Monte Carlo check that rejected, the relative error of the step that failed, 'caught' "
             "for a proof that failed, 'changed' for a published verdict that changed; '-' ran and did not catch it; "
             "'*' expected to catch it", ""]
    for f in data["faults"]:
        lines.append(f"{f['fault_id']}: {f['title']} ({f['where']}); claims {', '.join(f['claims'])}.")
        for d in f["detections"]:
            lines.append(f"    {d['check']}: {d['claim_id']} {d['detail']}")
        if f.get("note"):
            lines.append(f"    note: {f['note']}")
    n_ok = sum(f["ok"] for f in data["faults"])
    lines.append(f"{n_ok}/{len(data['faults'])} faults caught by the checks expected to catch them, at scale "
                 f"{data['scale']} (seed {data['seed']}, family-wise alpha {data['alpha']:g} per fault)")
    return "\n".join(lines)


def _g(value: Any, spec: str) -> str:
    """A JSON number (or exponent string, or null) formatted for a table."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return format(value, spec)


def _verify_table(data: dict[str, Any]) -> str:
    rows = []
    for c in data["claims"]:
        mc = c["mc"]
        brute = (c.get("mc_brute") or [None])[0]
        power = f"{_g(mc['detectable'], '.1e')} / {_g(mc['target'], '.1e')}"
        rows.append([
            c["claim_id"], _g(mc["theory"], ".8g"), _g(mc["estimate"], ".8g"), _g(mc["z"], "+.2f"),
            _g(brute["z"], "+.2f") if brute else "n/a", _g(mc["threshold"], ".2f"), power, f"{mc['chains']:,}",
            f"{brute['chains']:,}" if brute else "n/a", c["status"] + ("" if c["ok"] else "  <-- FAILED"),
        ])
    head = ["claim", "exact", "estimate", "z", "z brute", "threshold", "detectable / next term", "chains",
            "brute chains", "verdict"]
    lines = [_table(head, rows), ""]
    for c in data["claims"]:
        for note in c.get("notes") or ():
            lines.append(f"{c['claim_id']}: {note}.")
        bare = [str(n) for n, s in enumerate(c.get("steps") or (), 1) if not s.get("route")]
        if bare:
            lines.append(f"{c['claim_id']}: derivation step{'s' if len(bare) > 1 else ''} S{', S'.join(bare)} "
                         "without an independent route.")
    for c in data["claims"]:
        pub = c.get("published")
        if pub:
            z = "n/a" if pub["z_published"] is None else f"{pub['z_published']:+.1f}"
            ze = "n/a" if pub["z_exact"] is None else f"{pub['z_exact']:+.2f}"
            sizes = ",".join(map(str, pub["evidence_sizes"]))
            where = f"At sizes {sizes}" if sizes else "At " + _params_text((pub.get("evidence") or {}).get("params", {}))
            terms = (f" Published terms {pub['published_terms']}, derived {pub['derived_terms']}."
                     if pub["published_terms"] or pub["derived_terms"] else "")
            failing = [p for p in pub.get("points", []) if not p["holds"]]
            if failing:
                terms += " Fails at " + "; ".join(f"{_params_text(p['params'])} ({p.get('scope', 'stated')}: exact "
                                                   f"{p['exact']:.6g}, published {p['published']:.6g})" for p in failing) + "."
            others = "".join(f"; reading {name}: {pub['alternatives'].get(name, '')}, z = {zr:+.1f}"
                             for name, zr in (pub.get("z_alternatives") or {}).items())
            lines.append(f"{c['claim_id']}: {pub['verdict']}.{terms} {where}: exact {pub['exact_value']:.6g}, "
                         f"published {pub['published_value']:.6g} (z = {z}), exact form z = {ze}{others}.")
    for c in data["claims"]:
        if c["mc"] and not c["mc"].get("reliable", True):
            lines.append(f"{c['claim_id']}: the Monte Carlo check is not evidence: {c['mc'].get('reliability', '')}")
    n_ok = sum(c["ok"] for c in data["claims"])
    lines.append(f"{n_ok}/{len(data['claims'])} claims verified at scale {data['scale']} (seed {data['seed']}, "
                 f"family-wise alpha {data['alpha']:g} over {data['checks']} Monte Carlo checks)")
    return "\n".join(lines)


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {_show(tuple(v) if isinstance(v, list) else v)}" for k, v in params.items()
                     if v is not None) or "the claim's parameters"


# ---------------------------------------------------------------------------------------------------------
# sweep, and where the simulations run (--workers, --scheduler)

_SCHEDULER_HELP = (
    "run the simulations on Dask: 'local' (a LocalCluster of --workers processes on 127.0.0.1) or "
    "tcp://HOST:PORT (a running scheduler); needs the 'dist' extra"
)
_TIMEOUT_HELP = "seconds to wait for the Dask scheduler and its first worker (default 30; an unreachable address fails at once)"


def _workers_arg(text: Any) -> int:
    """``--workers``: an integer between 1 and :func:`~modelcollapse.numeric.executors.max_workers`; not given
    means one per available core."""
    from .numeric.executors import check_workers, max_workers

    if text is None:
        return check_workers(None)
    return int_arg("workers", text, minimum=1, maximum=max_workers())


def _chains_arg(text: Any) -> int:
    """``--chains``: an integer between 2 and :data:`~modelcollapse._validation.MAX_CHAINS`."""
    return int_arg("chains", text, minimum=2, maximum=MAX_CHAINS)


def _timeout_arg(text: Any) -> float:
    if text is None:
        return 30.0
    value = float_arg("timeout", text)
    if value > 3600:
        raise ParameterError(f"timeout must be a number of seconds in (0, 3600] (got {text!r})")
    return value


def _probability_arg(name: str, text: Any) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise ParameterError(f"{name} must be a number in the open interval (0, 1) (got {text!r})")
    return value


def _check_output_file(name: str, path: Any) -> None:
    """Before any work: ``path`` must be a file we can create or replace (its directory creatable)."""
    from pathlib import Path

    out = Path(str(path))
    if out.is_dir():
        raise ParameterError(f"{name} must be a file path, not the directory {str(out)!r}")
    _check_output_dir(name, out.parent, what="the directory of")


def _check_output_dir(name: str, path: Any, *, what: str = "") -> None:
    """Before any work: ``path`` must be a directory we can write in, or creatable in its nearest existing
    ancestor (a probe file is written there and removed), so a bad path fails in milliseconds, not after the work."""
    import os
    import tempfile
    from pathlib import Path

    target = Path(str(path)) if str(path) else Path(".")
    label = f"{name} ({what} {str(path)!r})" if what else name
    probe = target
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ParameterError(f"{label} cannot be created: {str(probe)!r} is a file (got {str(path)!r})")
    try:
        with tempfile.NamedTemporaryFile(dir=probe if probe.exists() else ".", prefix=".modelcollapse-probe-"):
            pass
    except OSError as exc:
        raise ParameterError(f"{label} is not writable: {exc.strerror or exc} (got {str(path)!r})") from None


def _scheduler_arg(text: Any) -> str | None:
    from .numeric.dask import check_scheduler

    return None if text is None else check_scheduler(text)


def _executor(scheduler: str | None, workers: int, timeout: float = 30.0) -> Any:
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
            dask = stack.enter_context(dask_executor(scheduler, workers=workers, timeout=timeout))
        except ImportError as exc:  # the 'dist' extra is missing: one line, with the install hint
            raise ParameterError(str(exc)) from exc
        with stack:
            yield dask.executor, dask.workers

    return opened()


def _cmd_sweep(model: Model, args: argparse.Namespace) -> int:
    from . import sweep

    # --generations is the schedule axis only where the model has a schedule (else it is the model's own option)
    schedule = any(p.kind == "sizes" for p in model.parameters)
    axes = sweep.parse_axes(model, args.grid, getattr(args, "sizes_grid", None),
                            getattr(args, "generations", None) if schedule else None)
    params = {p.name: getattr(args, p.name) for p in model.parameters if getattr(args, p.name) is not None}
    chains = _chains_arg(args.chains)
    seed = int_arg("seed", args.seed, minimum=0) if args.seed is not None else None
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    chunk_size = int_arg("chunk-size", args.chunk_size, minimum=1) if args.chunk_size is not None else None
    sampler = check_choice("sampler", args.sampler, model.samplers)
    workers = _workers_arg(args.workers)
    scheduler = _scheduler_arg(args.scheduler)
    timeout = _timeout_arg(args.timeout)
    _check_output_file("out", args.out)
    bar = None if args.quiet else _ProgressBar("sweep")
    try:
        with _executor(scheduler, workers, timeout) as (executor, workers):
            res = sweep.run_sweep(
                args.out, model=model.name, grid=axes, params=params, parse=True, chains=chains, seed=seed,
                sampler=sampler, order=order, chunk_size=chunk_size, executor=executor, workers=workers,
                progress=bar.update if bar else None,
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
    n_cells = len(res.cells)
    axes_text = " x ".join(f"{name} in {'; '.join(map(sweep.value_text, values))}" for name, values in res.axes)
    print(f"{model.name} sweep: {n_cells} cells ({axes_text}), {sampler} sampler, {chains:,} chains per cell, "
          f"seed {res.seed}")
    print(f"computed {len(res.computed)} cells, resumed {len(res.resumed)}; {len(res.rows)} rows -> {res.path} "
          f"({res.format})")
    by_cell: dict[int, list[dict[str, Any]]] = {}
    for r in res.rows:
        by_cell.setdefault(r["cell"], []).append(r)
    rows = []
    for cell in res.cells:
        cell_rows = by_cell.get(cell.index, [])
        finite = [r for r in cell_rows if math.isfinite(r["z"]) and r.get("reliable") is not False]
        worst = max(finite, key=lambda r: abs(r["z"]), default=None)
        elapsed = cell_rows[0]["elapsed_s"] if cell_rows else float("nan")
        rows.append([cell.label, str(cell_rows[0]["g"]) if cell_rows else "", f"{elapsed:.2f}",
                     "n/a" if worst is None else f"{worst['z']:+.2f}", "" if worst is None else worst["quantity"]])
    print(_table(["cell", "g", "seconds", "largest z", "quantity"], rows))
    from .numeric.stats import z_threshold

    n_tests = sum(1 for r in res.rows if math.isfinite(r["z"]) and r.get("reliable") is not False)
    unreliable = sorted({r["quantity"] for r in res.rows if r.get("reliable") is False})
    if unreliable:
        print(f"unreliable estimates, left out of the largest z (their standard error is not trustworthy; the note "
              f"column says why): {', '.join(unreliable)}")
    if n_tests:
        print(f"|z| above {float(z_threshold(1e-3 / n_tests)):.2f} would be a disagreement at family-wise alpha 1e-3 "
              f"over the {n_tests} z-scores of the table (Bonferroni); smaller |z| are expected by chance")
    return 0


# ---------------------------------------------------------------------------------------------------------
# latex, plot, models


def _cmd_latex(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .export.appendix import BUILD, write_paper
    from .export.evidence import load_report
    from .proofs.registry import registry
    from .proofs.verify import SCALES

    scale = check_choice("scale", args.scale, tuple(SCALES))
    seed = int_arg("seed", args.seed, minimum=0)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {args.out!r})")
    _check_output_dir("out", args.out)
    claims = registry(args.claims)  # unknown ids fail before any work
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
    stale = sorted(set(files.verified) - set(missing))
    if stale and not args.quiet:
        print(f"modelcollapse latex: the saved evidence of {len(stale)} claim(s) no longer matched their parameters, "
              f"exact values or derivation steps; verified again at scale {scale} (seed {seed})", file=sys.stderr)
    out = Path(args.out)
    print(f"{out / 'claims'}: {len(files.fragments)} fragments (\\label{{eq:<claim-id>}}; they need amsmath)")
    for path in (*files.notation, files.appendix, files.bibliography):
        print(path)
    print(f"build with: cd {out} && {' && '.join(BUILD)}")
    return 0


def _cmd_plot(model: Model, args: argparse.Namespace) -> int:
    from pathlib import Path

    from .export.plot import FORMATS, plot_model

    params = _params(model, args)
    fmt = check_choice("format", args.format, FORMATS)
    chains = _chains_arg(args.chains)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {args.out!r})")
    _check_output_dir("out", args.out)
    seed = int_arg("seed", args.seed, minimum=0)
    order = int_arg("order", args.order, minimum=1, maximum=MAX_ORDER)
    try:
        paths = plot_model(model.name, params, args.out, fmt=fmt, chains=chains, seed=seed, order=order,
                           width=args.width, title=args.title)
    except ImportError as exc:
        raise ParameterError(str(exc)) from None
    for path in paths:
        print(path)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    models = [get_model(name) for name in model_names()]
    if args.json:
        print(_dump(_stamp({"models": [m.describe() for m in models]})))
        return 0
    for m in models:
        print(f"{m.name}: {m.description}")
        for p in m.parameters:
            default = "required" if p.required else f"default {_show(p.default)}"
            print(f"  {p.option:<22} {p.constraint()}; {default}. {p.help}")
        keys = ", ".join(q.key + ("" if q.exact else " (series)" if q.series else " (simulation)") for q in m.quantities)
        print(f"  quantities: {keys}")
        print(f"  samplers: {', '.join(m.samplers)}")
    return 0


# ---------------------------------------------------------------------------------------------------------
# entry point

_MODEL_COMMANDS: dict[str, tuple[str, Callable[[Model, argparse.Namespace], int]]] = {
    "theory": ("exact closed forms and series of a model", _cmd_theory),
    "simulate": ("Monte Carlo simulation of a model", _cmd_simulate),
    "sweep": ("theory and simulation over a grid of any declared parameters, as a resumable table", _cmd_sweep),
    "plot": ("figures: theory curves with Monte Carlo bands over generations (matplotlib)", _cmd_plot),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser.  A model command (theory, simulate, sweep, plot) takes the model name, then
    options parsed by :func:`_model_parser` from that model's declaration (see :func:`main`)."""
    names = ", ".join(model_names())
    parser = _Parser(prog="modelcollapse", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"modelcollapse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for command, (help_text, _) in _MODEL_COMMANDS.items():
        # listed here for `modelcollapse --help`; main() parses these commands in two stages
        p = sub.add_parser(command, help=help_text)
        p.add_argument("model", help=f"model name: {names}")

    p = sub.add_parser("verify", help="check every claim: derivation, series order, Monte Carlo")
    p.add_argument("claims", nargs="*", help="claim ids (default: all); with --faults, model names or fault ids")
    p.add_argument("--faults", action="store_true", help="inject the fault catalogue's deliberate errors one by one "
                   "and print which checks catch each (exit 1 if one is missed)")
    p.add_argument("--scale", default="ci", help="smoke (seconds) | ci (minutes) | paper (long)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"master seed (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--alpha", default=1e-3, help="family-wise false-alarm budget over all checks (default 1e-3)")
    p.add_argument("--workers", default=None, help="local worker processes for the simulations (default: one per "
                   "core; the numbers do not depend on it, except where a brute-force time budget binds)")
    p.add_argument("--scheduler", default=None, help=_SCHEDULER_HELP)
    p.add_argument("--timeout", default=None, help=_TIMEOUT_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object with a 'claims' list")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--save", default=DEFAULT_EVIDENCE, help=f"where to keep the report for `latex` (default {DEFAULT_EVIDENCE}; '' to skip)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("latex", help="LaTeX for papers: claim fragments, a compilable appendix, references.bib")
    p.add_argument("claims", nargs="*", help="claim ids (default: all)")
    p.add_argument("--out", required=True, help="directory: claims/<id>.tex, notation/<model>.tex, appendix.tex, references.bib")
    p.add_argument("--evidence", default=DEFAULT_EVIDENCE, help=f"verification report for the evidence tables "
                   f"(default {DEFAULT_EVIDENCE}); claims it lacks are verified now at --scale")
    p.add_argument("--scale", default="smoke", help="scale of the verification run for claims without evidence (default smoke)")
    p.add_argument("--seed", default=str(DEFAULT_VERIFY_SEED), help=f"master seed of that run (default {DEFAULT_VERIFY_SEED})")
    p.add_argument("--quiet", action="store_true", help="no note on stderr when claims are verified now")
    p.set_defaults(func=_cmd_latex)

    p = sub.add_parser("models", help="every model with its parameters, defaults and quantities")
    p.add_argument("--json", action="store_true", help="print one JSON object with a 'models' list")
    p.set_defaults(func=_cmd_models)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _command_help(command: str) -> str:
    help_text = _MODEL_COMMANDS[command][0]
    lines = [f"usage: modelcollapse {command} MODEL [options]", "", help_text + ".", "", "models:"]
    lines += [f"  {name:<14} {get_model(name).description}" for name in model_names()]
    lines += ["", f"`modelcollapse {command} MODEL --help` lists the options a model declares."]
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> tuple[Model | None, argparse.Namespace]:
    """Parse a command line: ``(model, options)`` for a model command (its options parsed from the model's
    declaration), ``(None, options)`` otherwise.  Raises :class:`ParameterError` for an unknown model;
    argparse errors exit with status 2."""
    argv = list(argv)
    parser = build_parser()
    command = argv[0] if argv else None
    if command not in _MODEL_COMMANDS:
        return None, parser.parse_args(argv)
    # stage 1: the model; stage 2: the options it declares
    if len(argv) < 2 or argv[1].startswith("-"):
        if len(argv) >= 2 and argv[1] in ("-h", "--help"):
            print(_command_help(command))
            parser.exit(0)
        parser.exit(EXIT_USAGE, f"modelcollapse {command}: error: the following arguments are required: "
                    f"MODEL (one of {', '.join(model_names())})\n")
    model = get_model(argv[1])
    args = _model_parser(command, model, optional=command == "sweep").parse_args(argv[2:])
    args.command = command
    return model, args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    from .export.schema import command_line

    command_line(argv)
    for stream in (sys.stdout, sys.stderr):  # an ASCII-only terminal gets escapes, never UnicodeEncodeError
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    try:
        model, args = parse_args(argv)
        if model is not None:
            return int(_MODEL_COMMANDS[args.command][1](model, args) or 0)
        return int(args.func(args) or 0)
    except ParameterError as exc:
        print(f"modelcollapse {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        return 0
    except MemoryError as exc:
        print(f"modelcollapse {command}: error: out of memory ({exc or 'an allocation failed'}); use fewer chains, "
              "a smaller --chunk-size or smaller sample sizes", file=sys.stderr)
        return EXIT_USAGE
    except FloatingPointError as exc:
        print(f"modelcollapse {command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
