r"""Figures: theory curves over generations with Monte Carlo bands (matplotlib, the ``plot`` extra).

:func:`plot_model` draws the figures a model declares (:class:`~modelcollapse.models.Figure`) for one
parameter setting:

* ``values`` figures: per quantity, the exact form (mpmath), the order-``order`` series and the Monte
  Carlo estimate :math:`\pm 2` standard errors over generations; the panel below shows the series' relative
  error against the exact form beside the Monte Carlo resolution, so the reader sees from which generation
  on the series stops being valid;
* ``spread`` figures: the exact mean :math:`\pm 1` exact standard deviation of a quantity, with the Monte
  Carlo mean and spread;
* ``paths`` figures: individual chains of a path statistic, their 5--95 % band and the exact mean;
* ``profile`` figures: a ranked profile at the last generation (log-log over rank): a few chains, their
  Monte Carlo mean and the reference profile the model gives.

The theory of every generation comes from one call of the model's theory (``record="all"``), the Monte
Carlo from one run that records every generation.  Figures are sized for papers (:data:`WIDTHS`), carry no
title unless asked (the caption text is written beside each file, ``<name>.txt``), label values as
dimensionless ratios to their unit (:math:`\operatorname{Var} X^g/\sigma^2`), use a log axis where a
quantity spans decades, and take their value range from the exact curve and the Monte Carlo band: a series
that leaves it is clipped and the caption says from which generation on.  :func:`figure` returns a
matplotlib ``Figure`` and draws into a given ``ax``.  Matplotlib is imported only here, with the Agg backend.
Nothing here names a model or a quantity: everything is read from the declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import DEFAULT_SEED, ParameterError, check_choice, check_integer
from ..models import Figure, Model, get_model

__all__ = ["FORMATS", "WIDTHS", "FigureData", "caption", "figure", "figure_data", "plot_model"]

FORMATS = ("png", "pdf", "svg")
"""Output formats: raster ``png`` (300 dpi) or vector ``pdf``/``svg`` (fonts embedded as TrueType)."""

WIDTHS = {"column": 3.25, "text": 6.75, "neurips": 5.5}
"""Figure widths in inches: one column of a two-column page, the full text width of a two-column page, and a
NeurIPS-like one-column text width.  Fonts are sized for the figure printed at 100 %."""

RC = {
    "pdf.fonttype": 42,  # TrueType, not Type 3 (which many venues reject)
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "modelcollapse",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 6.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.1,
    "axes.linewidth": 0.6,
    "grid.linewidth": 0.4,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
}
"""Matplotlib settings of every figure (in a ``rc_context``: the caller's settings are left alone)."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "modelcollapse plot requires matplotlib. Run: python -m pip install 'modelcollapse[plot]'"
        ) from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@dataclass(frozen=True)
class FigureData:
    """Everything the figures show, as arrays over generations ``1..g`` (quantities' units)."""

    model: str
    params: dict[str, Any]
    order: int
    chains: int
    seed: int
    generations: np.ndarray
    exact: dict[str, np.ndarray]
    series: dict[str, np.ndarray]
    estimate: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    paths: dict[str, np.ndarray]
    """Per path statistic, the plotted chains, shape ``(chains shown, g + 1)``."""
    bands: dict[str, np.ndarray]
    """Per path statistic, its 5 % and 95 % quantiles over the trajectory chains, shape ``(2, g + 1)``."""
    trajectory_chains: int


def _array(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values])


def figure_data(
    model: str | Model,
    params: Mapping[str, Any],
    *,
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    order: int = 2,
    trajectory_chains: int = 2_000,
    shown_chains: int = 40,
) -> FigureData:
    """Theory (exact and series at every generation, one pass) and Monte Carlo over generations.

    The Monte Carlo run records every generation; a second, smaller run with child seed ``[seed, 1]`` keeps
    the paths of ``trajectory_chains`` chains when the model declares a ``paths`` figure.
    """
    spec = model if isinstance(model, Model) else get_model(model)
    params = spec.resolve(params)
    chains = check_integer("chains", chains, minimum=2)
    seed = check_integer("seed", seed, minimum=0)
    order = check_integer("order", order, minimum=1)
    g = spec.generations(params)
    if not isinstance(g, int):
        raise ParameterError(f"plot needs a finite number of generations (got {g}); give the schedule as xG")
    gens = np.arange(1, g + 1)
    theory = spec.run_theory(params, order=order, digits=17, record="all")
    keys = spec.quantity_keys
    exact = {q: _array([t.exact.get(q) for t in theory]) for q in keys}
    series = {q: _array([t.series.get(q) for t in theory]) for q in keys}
    res = spec.run_simulation(params, chains, seed=seed, record="all")
    estimate = {q: np.full(g, np.nan) for q in keys}
    stderr = {q: np.full(g, np.nan) for q in keys}
    for k in gens:
        est = res.estimates(generation=int(k))
        for q in keys:
            if q in est:
                estimate[q][k - 1] = est[q].value
                stderr[q][k - 1] = est[q].stderr
    paths: dict[str, np.ndarray] = {}
    bands: dict[str, np.ndarray] = {}
    n_paths = min(check_integer("trajectory_chains", trajectory_chains, minimum=2), chains)
    if any(f.kind == "paths" for f in spec.figures):
        traced = spec.run_simulation(params, n_paths, seed=np.random.SeedSequence([seed, 1]), trajectories=True)
        shown = min(check_integer("shown_chains", shown_chains, minimum=1), n_paths)
        for name, path in traced.paths().items():
            paths[name] = path[:shown].copy()
            bands[name] = np.quantile(path, [0.05, 0.95], axis=0)
    return FigureData(spec.name, dict(params), order, chains, seed, gens, exact, series, estimate, stderr, paths,
                      bands, n_paths)


# ---------------------------------------------------------------------------------------------------------
# drawing


def _label(spec: Model, key: str) -> str:
    """The quantity as a dimensionless ratio to its unit: ``$\\operatorname{Var} X^g/\\sigma^{2}$``."""
    q = spec.quantity(key)
    return f"${q.latex}/{q.unit_latex}$" if q.unit_latex else f"${q.latex}$"


def _finite(*arrays: np.ndarray) -> np.ndarray:
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    return values[np.isfinite(values)]


def _use_log(fig_spec: Figure, exact: np.ndarray) -> bool:
    if fig_spec.log is not None:
        return bool(fig_spec.log)
    values = _finite(exact)
    return bool(values.size and np.all(values > 0) and values.max() / values.min() > 30)


def _limits(values: np.ndarray, log: bool) -> tuple[float, float] | None:
    """A value range holding ``values`` with a margin (multiplicative on a log axis)."""
    values = values[np.isfinite(values)]
    if log:
        values = values[values > 0]
    if not values.size:
        return None
    lo, hi = float(values.min()), float(values.max())
    if log:
        return lo / 1.3, hi * 1.3
    pad = 0.06 * (hi - lo) or 0.06 * max(abs(hi), 1e-12)
    return lo - pad, hi + pad


def _clipped_from(x: np.ndarray, y: np.ndarray, limits: tuple[float, float] | None, log: bool) -> int | None:
    """The first generation where ``y`` leaves ``limits`` (or, on a log axis, is not positive), else ``None``."""
    if limits is None:
        return None
    lo, hi = limits
    with np.errstate(invalid="ignore"):
        outside = np.isfinite(y) & ((y < lo) | (y > hi) | ((y <= 0) if log else False))
    return int(x[np.argmax(outside)]) if outside.any() else None


@dataclass
class _Notes:
    """What the caption must say about the drawing (clipped curves, log axes)."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


def _values_axes(ax: Any, err_ax: Any | None, spec: Model, data: FigureData, fig_spec: Figure, q: str,
                 notes: _Notes, legend: bool, last: bool = True) -> None:
    x = data.generations
    est, se = data.estimate[q], data.stderr[q]
    exact, series = data.exact[q], data.series[q]
    has_exact = bool(np.isfinite(exact).any())
    log = _use_log(fig_spec, exact if has_exact else est)
    lower, upper = est - 2 * se, est + 2 * se
    limits = _limits(_finite(exact, np.where(lower > 0, lower, np.nan) if log else lower, upper), log)
    if log:
        ax.set_yscale("log")
        if limits is not None:  # a band reaching zero or below runs to the bottom of the axis
            lower = np.where(lower > 0, lower, limits[0])
    ax.fill_between(x, lower, upper, color="tab:blue", alpha=0.25, linewidth=0,
                    label=f"Monte Carlo $\\pm 2$ s.e. ({data.chains:,} chains)")
    if has_exact:
        ax.plot(x, exact, color="black", label="exact")
    has_series = bool(np.isfinite(series).any())
    if has_series:
        ax.plot(x, series, color="tab:red", linestyle="--", label=f"series, order {data.order}")
        start = _clipped_from(x, series, limits, log)
        if start is not None:
            notes.add(f"the order-{data.order} series of ${spec.quantity(q).latex}$ leaves the plotted range from "
                      f"generation {start} on and is clipped there")
    if limits is not None:
        ax.set_ylim(*limits)
    if log:
        notes.add(f"${spec.quantity(q).latex}$ on a logarithmic axis")
    ax.set_ylabel(_label(spec, q))
    ax.grid(alpha=0.3, which="both" if log else "major")
    if legend:
        ax.legend(loc="best", frameon=False)
    if err_ax is None:
        if last:
            ax.set_xlabel("generation $g$")
        return
    # without an exact form the series is compared with the Monte Carlo estimate instead
    ref, ref_name = (exact, "exact") if has_exact else (est, "MC")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ref != 0, (series - ref) / np.abs(ref), np.nan)
        mc = np.where(ref != 0, 2 * se / np.abs(ref), np.nan)
    err_ax.fill_between(x, -mc, mc, color="tab:blue", alpha=0.25, linewidth=0, label="MC resolution ($\\pm 2$ s.e.)")
    if has_series:
        err_ax.plot(x, rel, color="tab:red", linestyle="--", label=f"(series $-$ {ref_name})/{ref_name}")
    err_ax.axhline(0, color="black", linewidth=0.6)
    # the range: the Monte Carlo resolution, and the series' error up to 100 % (beyond that it is clipped)
    resolution = _finite(mc)
    errors = np.abs(_finite(rel)) if has_series else np.array([])
    bound = 1.1 * max(1.5 * resolution.max() if resolution.size else 0.0, min(errors.max(), 1.0) if errors.size else 0.0)
    bound = bound or 1.0
    err_ax.set_ylim(-bound, bound)
    if errors.size and errors.max() > bound:
        start = _clipped_from(x, rel, (-bound, bound), False)
        notes.add(f"the relative error of the series of ${spec.quantity(q).latex}$ exceeds {bound:.2g} from "
                  f"generation {start} on and is clipped")
    if last:
        err_ax.set_xlabel("generation $g$")
    err_ax.set_ylabel("relative error")
    err_ax.grid(alpha=0.3)
    if legend:
        err_ax.legend(loc="upper left", frameon=False)


def _values(plt: Any, spec: Model, data: FigureData, fig_spec: Figure, width: float, ax: Any, notes: _Notes) -> Any:
    quantities = fig_spec.quantities
    if ax is not None:
        axes = list(np.ravel([ax])) if not isinstance(ax, (list, tuple)) else list(ax)
        if len(axes) < len(quantities):
            raise ParameterError(f"ax must hold one axes per quantity of figure {fig_spec.name} "
                                 f"({len(quantities)}; got {len(axes)})")
        for a, q in zip(axes, quantities, strict=False):
            _values_axes(a, None, spec, data, fig_spec, q, notes, legend=a is axes[0])
        return axes[0].figure
    columns = len(quantities) if width >= 5 else 1
    rows = -(-len(quantities) // columns)
    # the error panel shows the series against the exact form: only where a quantity has a series
    panels = 2 if _has_series(data, fig_spec) else 1
    height = rows * ((2.3 if columns == 1 else 2.5) if panels == 2 else 1.7) + 0.2
    fig, grid = plt.subplots(panels * rows, columns, figsize=(width, height), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [2.2, 1][:panels] * rows})
    for n, q in enumerate(quantities):
        r, c = divmod(n, columns)
        err = grid[panels * r + 1][c] if panels == 2 else None
        _values_axes(grid[panels * r][c], err, spec, data, fig_spec, q, notes, legend=n == 0, last=r == rows - 1)
    for n in range(len(quantities), rows * columns):  # pragma: no cover - an odd number in two columns
        r, c = divmod(n, columns)
        for k in range(panels):
            grid[panels * r + k][c].set_visible(False)
    return fig


def _has_series(data: FigureData, fig_spec: Figure) -> bool:
    return any(np.isfinite(data.series[q]).any() for q in fig_spec.quantities if q in data.series)


def _spread(plt: Any, spec: Model, data: FigureData, fig_spec: Figure, width: float, ax: Any, notes: _Notes) -> Any:
    mean_q, var_q = fig_spec.quantities
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(width, 0.62 * width if width < 5 else 2.8))
    x = np.concatenate([[0], data.generations])
    mean = np.concatenate([[0.0], data.exact[mean_q]])
    sd = np.sqrt(np.concatenate([[0.0], data.exact[var_q]]))
    if np.isfinite(data.exact[mean_q]).any():  # a parameter setting without a closed form shows Monte Carlo only
        ax.fill_between(x, mean - sd, mean + sd, color="tab:orange", alpha=0.25, linewidth=0,
                        label="exact mean $\\pm$ 1 s.d.")
        ax.plot(x, mean, color="black", label="exact mean")
    else:
        notes.add("no closed form for these parameters: Monte Carlo only")
    est, se = data.estimate[mean_q], data.stderr[mean_q]
    every = max(1, len(est) // 25)
    ax.errorbar(data.generations[::every], est[::every], yerr=2 * se[::every], fmt="o", markersize=2,
                color="tab:blue", elinewidth=0.6, label=f"Monte Carlo mean $\\pm 2$ s.e. ({data.chains:,} chains)")
    mc_sd = np.sqrt(np.maximum(data.estimate[var_q], 0))
    for sign in (-1, 1):
        ax.plot(data.generations, est + sign * mc_sd, color="tab:blue", linestyle=":", linewidth=0.9,
                label="Monte Carlo mean $\\pm$ 1 s.d." if sign > 0 else None)
    _finish(ax, _limits(_finite(mean - sd, mean + sd, est + mc_sd, est - mc_sd), False),
            fig_spec.ylabel or _label(spec, mean_q))
    return fig


def _value_text(value: Any) -> str:
    from ..sweep import value_text

    return value_text(value)


def _finish(ax: Any, limits: tuple[float, float] | None, ylabel: str, which: str = "major") -> None:
    """The value range, the axis labels, the legend and the grid of a one-panel figure."""
    if limits is not None:
        ax.set_ylim(*limits)
    ax.set_xlabel("generation $g$")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.3, which=which)


def _paths(plt: Any, spec: Model, data: FigureData, fig_spec: Figure, width: float, ax: Any, notes: _Notes) -> Any:
    statistic, mean_q = fig_spec.quantities
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(width, 0.62 * width if width < 5 else 2.8))
    paths, band = data.paths[statistic], data.bands[statistic]
    x = np.arange(paths.shape[1])
    exact = bool(np.isfinite(data.exact[mean_q]).any())  # a simulation-only mean: draw the Monte Carlo one
    mean = np.concatenate([[paths[0, 0]], data.exact[mean_q] if exact else data.estimate[mean_q]])
    log = _use_log(fig_spec, np.concatenate([_finite(mean), _finite(band)]))
    if log:
        ax.set_yscale("log")
        notes.add("a logarithmic value axis")
    lower = np.where(band[0] > 0, band[0], np.nan) if log else band[0]
    ax.fill_between(x, lower, band[1], color="tab:green", alpha=0.2, linewidth=0,
                    label=f"5--95 % of {data.trajectory_chains:,} chains")
    for n, path in enumerate(paths):
        ax.plot(x, np.where(path > 0, path, np.nan) if log else path, linewidth=0.5, alpha=0.6, color="tab:gray",
                label="individual chains" if n == 0 else None)
    if exact:
        ax.plot(x, mean, color="black", label=f"exact ${spec.quantity(mean_q).latex}$")
    else:
        ax.plot(x, mean, color="black", linestyle=":",
                label=f"Monte Carlo ${spec.quantity(mean_q).latex}$ ({data.chains:,} chains)")
    _finish(ax, None, fig_spec.ylabel or statistic, which="both")
    return fig


def _profile(plt: Any, spec: Model, data: FigureData, fig_spec: Figure, width: float, ax: Any, notes: _Notes) -> Any:
    """``quantities = (profile, reference)``: ``profiles()[profile]`` of the model's traced run (chains x K,
    each chain's profile sorted decreasingly) against ``profiles()[reference]`` (1 x K), log-log over rank.
    The traced run is the one ``paths`` figures use (``trajectory_chains`` chains, child seed ``[seed, 1]``)."""
    profile, reference = fig_spec.quantities
    traced = spec.run_simulation(data.params, data.trajectory_chains, seed=np.random.SeedSequence([data.seed, 1]),
                                 trajectories=True).profiles()
    rows, ref = np.asarray(traced[profile], dtype=float), np.asarray(traced[reference], dtype=float).ravel()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(width, 0.62 * width if width < 5 else 2.8))
    rank = np.arange(1, rows.shape[1] + 1)
    for n, row in enumerate(rows[:8]):
        ax.plot(rank[row > 0], row[row > 0], linewidth=0.5, alpha=0.6, color="tab:gray",
                label="individual chains" if n == 0 else None)
    mean = rows.mean(axis=0)
    ax.plot(rank[mean > 0], mean[mean > 0], color="tab:blue", label=f"Monte Carlo mean ({rows.shape[0]:,} chains)")
    r_rank = np.arange(1, ref.size + 1)
    ax.plot(r_rank[ref > 0], ref[ref > 0], color="black", linestyle="--", label=f"reference {reference}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    notes.add(f"profiles of generation {int(data.generations[-1])} from {rows.shape[0]:,} traced chains, "
              "logarithmic axes (zeros not drawn)")
    ax.set_xlabel("rank")
    ax.set_ylabel(fig_spec.ylabel or profile)
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.3, which="both")
    return fig


def _compare(plt: Any, spec: Model, data: dict[Any, FigureData], fig_spec: Figure, width: float, ax: Any,
             notes: _Notes) -> Any:
    (q,) = fig_spec.quantities
    name = fig_spec.vary[0]
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(width, 0.62 * width if width < 5 else 2.8))
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")
    exact_all = np.concatenate([d.exact[q] for d in data.values()])
    log = _use_log(fig_spec, exact_all)
    if log:
        ax.set_yscale("log")
        notes.add("a logarithmic value axis")
    bands = []
    for n, (value, d) in enumerate(data.items()):
        color = colors[n % len(colors)]
        x, est, se = d.generations, d.estimate[q], d.stderr[q]
        lower, upper = est - 2 * se, est + 2 * se
        bands += [np.where(lower > 0, lower, np.nan) if log else lower, upper]
        shown = _value_text(value)
        ax.fill_between(x, np.where(lower > 0, lower, np.nan) if log else lower, upper, color=color, alpha=0.25,
                        linewidth=0)
        exact = bool(np.isfinite(d.exact[q]).any())
        if exact:
            ax.plot(x, d.exact[q], color=color, label=f"{name} {shown}")
        else:  # no exact curve: the band alone carries the setting's entry
            ax.fill_between([], [], [], color=color, alpha=0.25, linewidth=0, label=f"{name} {shown}")
    # one entry per setting (its exact curve); one entry for what the bands are
    ax.fill_between([], [], [], color="0.6", alpha=0.4, linewidth=0, label="Monte Carlo $\\pm 2$ s.e.")
    _finish(ax, _limits(_finite(exact_all, *bands), log), fig_spec.ylabel or _label(spec, q))
    return fig


_WHAT = {
    "values": ("Exact form (black), order-{order} series in the $1/M_i$ (red, dashed) and Monte Carlo estimate "
               "$\\pm 2$ standard errors (blue band) over generations; below each panel the series' relative "
               "error beside the Monte Carlo resolution."),
    "values-exact": "Exact form (black) and Monte Carlo estimate $\\pm 2$ standard errors (blue band) over generations.",
    "values-mc": ("Monte Carlo estimate $\\pm 2$ standard errors (blue band) over generations; these parameters give "
                  "no closed form (the reason is in the theory's no_exact)."),
    "spread": "Exact mean $\\pm$ one exact standard deviation (orange), Monte Carlo mean $\\pm 2$ s.e. and $\\pm$ one s.d.",
    "paths": "Individual chains (grey), their 5--95 % band (green) and the exact mean (black).",
    "compare": "Exact form (lines) and Monte Carlo estimate $\\pm 2$ standard errors (bands) for each value of {vary}.",
    "density": "Exact densities (lines) and normalised histograms of Monte Carlo draws.",
    "profile": ("Ranked profiles at the last generation over rank: a few chains (grey), the Monte Carlo mean of the "
                "sorted profiles (blue) and the reference profile (black, dashed)."),
}


_DRAW = {"values": _values, "spread": _spread, "paths": _paths, "compare": _compare, "profile": _profile}


def _params_text(spec: Model, data: FigureData, skip: tuple[str, ...] = ()) -> str:
    from ..sweep import value_text

    return "; ".join(f"{p.name} {value_text(data.params[p.name])}" for p in spec.parameters
                     if data.params.get(p.name) is not None and p.name not in skip)


def caption(spec: Model, data: Any, fig_spec: Figure, notes: Sequence[str] = ()) -> str:
    """The caption of a figure: its declared title, what is drawn, the parameters and seed, and what the
    drawing does to the data (clipping, log axes).  ``data``: a :class:`FigureData`, or for a ``compare``
    figure ``{value: FigureData}``."""
    title = fig_spec.title.rstrip(".")
    skip: tuple[str, ...] = ()
    vary = ""
    if isinstance(data, Mapping) and fig_spec.kind == "compare":
        name = fig_spec.vary[0]
        skip, vary = (name,), f"{name} ({', '.join(map(_value_text, data))})"
        data = next(iter(data.values()))
    kind = "values-exact" if fig_spec.kind == "values" and not _has_series(data, fig_spec) else fig_spec.kind
    if kind == "values-exact" and not any(np.isfinite(data.exact[q]).any() for q in fig_spec.quantities):
        kind = "values-mc"
    text = f"{title}. {_WHAT[kind].format(order=data.order, vary=vary)} Parameters: {_params_text(spec, data, skip)}; "
    text += f"{data.chains:,} chains, seed {data.seed}."
    if notes:
        text += " " + "; ".join(notes)[0].upper() + "; ".join(notes)[1:] + "."
    return text


def _width(width: str | float) -> float:
    if isinstance(width, str):
        if width in WIDTHS:
            return WIDTHS[width]
        try:
            width = float(width)
        except ValueError:
            raise ParameterError(f"width must be one of {', '.join(WIDTHS)} or a width in inches (got {width!r})") from None
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not (1.0 <= float(width) <= 20.0):
        raise ParameterError(f"width must be one of {', '.join(WIDTHS)} or a width in inches between 1 and 20 (got {width!r})")
    return float(width)


def figure(
    model: str | Model,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    data: FigureData | Mapping[Any, FigureData] | None = None,
    ax: Any = None,
    width: str | float = "column",
    title: bool = False,
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    order: int = 2,
) -> Any:
    """One declared figure as a matplotlib ``Figure`` (the caller saves or shows it).

    ``data`` reuses a :func:`figure_data` (otherwise computed from ``params``, ``chains``, ``seed``, ``order``;
    a ``compare`` figure computes one per value of its varied parameter);
    ``ax`` draws into existing axes (a ``values`` figure needs one per quantity, without the error panel);
    ``width`` is ``"column"`` (3.25 in), ``"text"`` (6.75 in), ``"neurips"`` (5.5 in) or inches; ``title``
    draws the declared title (by default it is only in the caption, :func:`caption`).  The caption is in
    ``fig.modelcollapse_caption``.
    """
    spec = model if isinstance(model, Model) else get_model(model)
    fig_spec = next((f for f in spec.figures if f.name == name), None)
    if fig_spec is None:
        raise ParameterError(f"figure must be one of {', '.join(f.name for f in spec.figures)} for model "
                             f"{spec.name} (got {name!r})")
    inches = _width(width)
    if data is None:
        data = figure_data(spec, params or {}, chains=chains, seed=seed, order=order)
    if fig_spec.kind == "compare" and not isinstance(data, Mapping):
        data = _variants(spec, fig_spec, data)
    plt = _pyplot()
    notes = _Notes()
    with plt.rc_context(RC):
        fig = _DRAW[fig_spec.kind](plt, spec, data, fig_spec, inches, ax, notes)
        if title:
            fig.suptitle(fig_spec.title, fontsize=8)
        if ax is None:
            fig.tight_layout(pad=0.3)
    fig.modelcollapse_caption = caption(spec, data, fig_spec, notes.items)
    return fig


def _figure_params(fig_spec: Figure, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of one figure: the given ones, with the figure's own ``params`` where those are unset."""
    return {**params, **{k: v for k, v in fig_spec.params.items() if params.get(k) is None}}


def _variants(spec: Model, fig_spec: Figure, data: FigureData) -> dict[Any, FigureData]:
    """A ``compare`` figure's data: one :func:`figure_data` per value of its varied parameter."""
    name, values = fig_spec.vary
    base = _figure_params(fig_spec, data.params)
    return {v: figure_data(spec, {**base, name: v}, chains=data.chains, seed=data.seed, order=data.order)
            for v in values}


def _density(plt: Any, spec: Model, data: Any, fig_spec: Figure, width: float, ax: Any, notes: _Notes) -> Any:
    """A law against its Monte Carlo draws: the source's curves as lines, its samples as histograms."""
    from ..models import _load

    panel = data if isinstance(data, Mapping) and "x" in data else _load(fig_spec.source)(
        _figure_params(fig_spec, data.params), chains=data.chains, seed=data.seed)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(width, 0.62 * width if width < 5 else 2.8))
    x = np.asarray(panel["x"], dtype=float)
    colors = ("black", "tab:red", "tab:blue", "tab:green", "tab:purple")
    styles = ("-", "--", ":", "-.", "-")
    for n, (label, draws) in enumerate((panel.get("samples") or {}).items()):
        ax.hist(np.asarray(draws, dtype=float), bins=np.linspace(x.min(), x.max(), 81), density=True, histtype="step",
                color=("tab:gray", "tab:orange", "tab:cyan")[n % 3], linewidth=0.8, label=label)
    for n, (label, y) in enumerate(panel["curves"].items()):
        ax.plot(x, np.asarray(y, dtype=float), color=colors[n % len(colors)], linestyle=styles[n % len(styles)],
                label=label)
    log = fig_spec.log is not False
    if log:
        ax.set_yscale("log")
        notes.add("a logarithmic density axis, to show the tails")
        curves = np.concatenate([np.asarray(y, dtype=float) for y in panel["curves"].values()])
        positive = curves[np.isfinite(curves) & (curves > 0)]
        if positive.size:  # five decades below the peak: the tails, not the far tails of the reference curves
            ax.set_ylim(max(positive.min() / 2, positive.max() * 1e-5), positive.max() * 2)
    ax.set_xlim(x.min(), x.max())
    ax.set_xlabel(panel.get("xlabel", "x"))
    ax.set_ylabel(fig_spec.ylabel or panel.get("ylabel", "density"))
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.3, which="both" if log else "major")
    return fig


_DRAW["density"] = _density



def plot_model(
    model: str | Model,
    params: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    fmt: str = "png",
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    order: int = 2,
    width: str | float = "column",
    title: bool = False,
) -> tuple[Path, ...]:
    """Write the model's declared figures under ``out``, each with its caption in ``<name>.txt``; return the
    figure paths.

    Output is deterministic for the same arguments (fixed seed, no timestamps in the files).
    """
    spec = model if isinstance(model, Model) else get_model(model)
    fmt = check_choice("format", fmt, FORMATS)
    _width(width)
    if Path(out).exists() and not Path(out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {str(out)!r})")
    if not spec.figures:
        raise ParameterError(f"model {spec.name} declares no figures")
    data = figure_data(spec, params, chains=chains, seed=seed, order=order)
    variants = {f.name: _variants(spec, f, data) for f in spec.figures if f.kind == "compare"}
    plt = _pyplot()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
                "svg": {"Date": None}}[fmt]
    paths = []
    for fig_spec in spec.figures:
        fig = figure(spec, fig_spec.name, data=variants.get(fig_spec.name, data), width=width, title=title)
        path = root / f"{fig_spec.name}.{fmt}"
        with plt.rc_context(RC):
            fig.savefig(path, format=fmt, dpi=300, metadata=metadata)
        (root / f"{fig_spec.name}.txt").write_text(fig.modelcollapse_caption + "\n", encoding="utf-8")
        plt.close(fig)
        paths.append(path)
    return tuple(paths)
