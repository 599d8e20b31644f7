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
Carlo from one run that records every generation.  Matplotlib is imported only here, with the Agg backend.
Nothing here names a model or a quantity: everything is read from the declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import DEFAULT_SEED, ParameterError, check_choice, check_integer
from ..models import Figure, Model, get_model

__all__ = ["FORMATS", "FigureData", "figure_data", "plot_model"]

FORMATS = ("png", "pdf", "svg")
"""Output formats: raster ``png`` (150 dpi) or vector ``pdf``/``svg``."""


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
    q = spec.quantity(key)
    unit = f" (units of ${q.unit_latex}$)" if q.unit_latex else ""
    return f"${q.latex}${unit}"


def _values(plt: Any, spec: Model, data: FigureData, fig_spec: Figure) -> Any:
    quantities = fig_spec.quantities
    fig, axes = plt.subplots(2, len(quantities), figsize=(max(6.6, 5.2 * len(quantities)), 5.6), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.4]}, squeeze=False)
    x = data.generations
    for col, q in enumerate(quantities):
        top, bottom = axes[0][col], axes[1][col]
        est, se = data.estimate[q], data.stderr[q]
        top.fill_between(x, est - 2 * se, est + 2 * se, color="tab:blue", alpha=0.25, linewidth=0,
                         label=f"Monte Carlo $\\pm 2$ s.e. ({data.chains:,} chains)")
        top.plot(x, data.exact[q], color="black", linewidth=1.4, label="exact")
        has_series = np.isfinite(data.series[q]).any()
        if has_series:
            top.plot(x, data.series[q], color="tab:red", linestyle="--", linewidth=1.2,
                     label=f"series, order {data.order}")
        top.set_ylabel(_label(spec, q))
        if fig_spec.log:
            top.set_yscale("log")
        top.legend(loc="best", fontsize=8, frameon=False)
        top.grid(alpha=0.3)
        exact = data.exact[q]
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(exact != 0, (data.series[q] - exact) / np.abs(exact), np.nan)
            mc = np.where(exact != 0, 2 * se / np.abs(exact), np.nan)
        bottom.fill_between(x, -mc, mc, color="tab:blue", alpha=0.25, linewidth=0, label="MC resolution ($\\pm 2$ s.e.)")
        if has_series:
            bottom.plot(x, rel, color="tab:red", linestyle="--", linewidth=1.2, label="(series - exact) / exact")
        bottom.axhline(0, color="black", linewidth=0.8)
        bottom.set_xlabel("generation $g$ (number of refits)")
        bottom.set_ylabel("relative error")
        bottom.legend(loc="best", fontsize=7, frameon=False)
        bottom.grid(alpha=0.3)
    fig.suptitle(f"{fig_spec.title}\n({_caption_tail(spec, data)})", fontsize=10)
    fig.tight_layout()
    return fig


def _spread(plt: Any, spec: Model, data: FigureData, fig_spec: Figure) -> Any:
    mean_q, var_q = fig_spec.quantities
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    x = np.concatenate([[0], data.generations])
    mean = np.concatenate([[0.0], data.exact[mean_q]])
    sd = np.sqrt(np.concatenate([[0.0], data.exact[var_q]]))
    ax.fill_between(x, mean - sd, mean + sd, color="tab:orange", alpha=0.25, linewidth=0,
                    label="exact mean $\\pm$ 1 s.d.")
    ax.plot(x, mean, color="black", linewidth=1.4, label="exact mean")
    est = data.estimate[mean_q]
    se = data.stderr[mean_q]
    every = max(1, len(est) // 25)
    ax.errorbar(data.generations[::every], est[::every], yerr=2 * se[::every], fmt="o", markersize=2.5,
                color="tab:blue", elinewidth=0.8, label=f"Monte Carlo mean $\\pm 2$ s.e. ({data.chains:,} chains)")
    mc_sd = np.sqrt(np.maximum(data.estimate[var_q], 0))
    for sign in (-1, 1):
        ax.plot(data.generations, est + sign * mc_sd, color="tab:blue", linestyle=":", linewidth=1.0,
                label="Monte Carlo mean $\\pm$ 1 s.d." if sign > 0 else None)
    ax.set_xlabel("generation $g$ (number of refits)")
    ax.set_ylabel(fig_spec.ylabel or _label(spec, mean_q))
    ax.set_title(f"{fig_spec.title}\n({_caption_tail(spec, data)})", fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _paths(plt: Any, spec: Model, data: FigureData, fig_spec: Figure) -> Any:
    statistic, mean_q = fig_spec.quantities
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    paths, band = data.paths[statistic], data.bands[statistic]
    x = np.arange(paths.shape[1])
    ax.fill_between(x, band[0], band[1], color="tab:green", alpha=0.2, linewidth=0,
                    label=f"5-95 % of {data.trajectory_chains:,} chains")
    for n, path in enumerate(paths):
        ax.plot(x, path, linewidth=0.6, alpha=0.6, color="tab:gray", label="individual chains" if n == 0 else None)
    ax.plot(x, np.concatenate([[paths[0, 0]], data.exact[mean_q]]), color="black", linewidth=1.4,
            label=f"exact ${spec.quantity(mean_q).latex}$")
    if fig_spec.log:
        ax.set_yscale("log")
    ax.set_xlabel("generation $g$ (number of refits)")
    ax.set_ylabel(fig_spec.ylabel or statistic)
    ax.set_title(f"{fig_spec.title}\n({_caption_tail(spec, data)})", fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def _profile(plt: Any, spec: Model, data: FigureData, fig_spec: Figure) -> Any:
    """``quantities = (profile, reference)``: ``profiles()[profile]`` of the model's traced run (chains x K,
    each chain's profile sorted decreasingly) against ``profiles()[reference]`` (1 x K), log-log over rank.
    The traced run is the one ``paths`` figures use (``trajectory_chains`` chains, child seed ``[seed, 1]``)."""
    profile, reference = fig_spec.quantities
    traced = spec.run_simulation(data.params, data.trajectory_chains, seed=np.random.SeedSequence([data.seed, 1]),
                                 trajectories=True).profiles()
    rows, ref = np.asarray(traced[profile], dtype=float), np.asarray(traced[reference], dtype=float).ravel()
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    rank = np.arange(1, rows.shape[1] + 1)
    for n, row in enumerate(rows[:8]):
        ax.plot(rank[row > 0], row[row > 0], linewidth=0.6, alpha=0.6, color="tab:gray",
                label="individual chains" if n == 0 else None)
    mean = rows.mean(axis=0)
    ax.plot(rank[mean > 0], mean[mean > 0], color="tab:blue", linewidth=1.4,
            label=f"Monte Carlo mean of the sorted profiles ({rows.shape[0]:,} chains)")
    r_rank = np.arange(1, ref.size + 1)
    ax.plot(r_rank[ref > 0], ref[ref > 0], color="black", linewidth=1.4, linestyle="--", label=f"reference: {reference}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank")
    ax.set_ylabel(fig_spec.ylabel or profile)
    ax.set_title(f"{fig_spec.title}, generation {int(data.generations[-1])}\n({_caption_tail(spec, data)})", fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def _compare(plt: Any, spec: Model, data: dict[Any, FigureData], fig_spec: Figure) -> Any:
    (q,) = fig_spec.quantities
    name = fig_spec.vary[0]
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")
    for n, (value, d) in enumerate(data.items()):
        color = colors[n % len(colors)]
        x, est, se = d.generations, d.estimate[q], d.stderr[q]
        ax.fill_between(x, est - 2 * se, est + 2 * se, color=color, alpha=0.25, linewidth=0,
                        label=f"{name} {value}: Monte Carlo $\\pm 2$ s.e. ({d.chains:,} chains)")
        if np.isfinite(d.exact[q]).any():
            ax.plot(x, d.exact[q], color=color, linewidth=1.4, label=f"{name} {value}: exact")
    if fig_spec.log:
        ax.set_yscale("log")
    first = next(iter(data.values()))
    ax.set_xlabel("generation $g$ (number of refits)")
    ax.set_ylabel(fig_spec.ylabel or _label(spec, q))
    ax.set_title(f"{fig_spec.title}\n({_caption_tail(spec, first, skip=(name,))})", fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


_DRAW = {"values": _values, "spread": _spread, "paths": _paths, "compare": _compare, "profile": _profile}


def _caption_tail(spec: Model, data: FigureData, skip: tuple[str, ...] = ()) -> str:
    """The parameters of a figure (those set, ``skip`` left out) and its seed, wrapped to the figure's width."""
    import textwrap

    from ..sweep import value_text

    shown = ", ".join(f"{p.name} {value_text(data.params[p.name])}" for p in spec.parameters
                      if data.params.get(p.name) is not None and p.name not in skip)
    return "\n".join(textwrap.wrap(f"{shown}, seed {data.seed}", 90))


def plot_model(
    model: str | Model,
    params: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    fmt: str = "png",
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    order: int = 2,
) -> tuple[Path, ...]:
    """Write the model's declared figures under ``out``; return the paths.

    Output is deterministic for the same arguments (fixed seed, no timestamps in the files).
    """
    spec = model if isinstance(model, Model) else get_model(model)
    fmt = check_choice("format", fmt, FORMATS)
    if Path(out).exists() and not Path(out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {str(out)!r})")
    if not spec.figures:
        raise ParameterError(f"model {spec.name} declares no figures")
    data = figure_data(spec, params, chains=chains, seed=seed, order=order)
    variants: dict[str, dict[Any, FigureData]] = {}
    for fig_spec in spec.figures:
        if fig_spec.kind == "compare":
            name, values = fig_spec.vary
            variants[fig_spec.name] = {
                v: figure_data(spec, {**data.params, name: v}, chains=chains, seed=seed, order=order) for v in values
            }
    plt = _pyplot()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
                "svg": {"Date": None}}[fmt]
    paths = []
    with plt.rc_context({"svg.hashsalt": "modelcollapse"}):
        for fig_spec in spec.figures:
            fig = _DRAW[fig_spec.kind](plt, spec, variants.get(fig_spec.name, data), fig_spec)
            path = root / f"{fig_spec.name}.{fmt}"
            fig.savefig(path, format=fmt, dpi=150, metadata=metadata)
            plt.close(fig)
            paths.append(path)
    return tuple(paths)
