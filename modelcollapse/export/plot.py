r"""Figures: theory curves over generations with Monte Carlo bands (matplotlib, the ``plot`` extra).

:func:`plot_gaussian1d` writes four figures for a schedule of sample sizes:

* ``var_x``: :math:`\operatorname{Var} X^g/\sigma^2`;
* ``w2``: :math:`E\,W_2^2/\sigma^2` and :math:`\operatorname{Var} W_2^2/\sigma^4`;
* ``log_sigma2``: the drift of :math:`\log(\sigma_g^2/\sigma^2)`, its exact mean and :math:`\pm 1` exact
  standard deviation, with a few chains;
* ``trajectories``: individual chains :math:`\sigma_g/\sigma` collapsing, with the exact
  :math:`E\,\sigma_g/\sigma` and the 5--95 % band over chains.

Every value panel shows the exact form (mpmath), the order-``order`` series in :math:`1/M_i` and the
Monte Carlo estimate :math:`\pm 2` standard errors; the panel below it shows the series' relative error
against the exact form beside the Monte Carlo resolution, so the reader sees from which generation on the
series stops being valid.  Matplotlib is imported only here, with the Agg backend (no display).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import DEFAULT_SEED, ParameterError, check_choice, check_estimator, check_integer, check_sizes

__all__ = ["FORMATS", "FigureData", "gaussian1d_data", "plot_gaussian1d"]

FORMATS = ("png", "pdf", "svg")
"""Output formats: raster ``png`` (150 dpi) or vector ``pdf``/``svg``."""

_QUANTITIES = ("var_x", "mean_w2sq", "var_w2sq", "mean_log_sigma2", "var_log_sigma2", "mean_sigma")

_LABELS = {
    "var_x": r"$\mathrm{Var}\,X^g/\sigma^2$",
    "mean_w2sq": r"$E\,W_2^2/\sigma^2$",
    "var_w2sq": r"$\mathrm{Var}\,W_2^2/\sigma^4$",
    "mean_log_sigma2": r"$E\,\log(\sigma_g^2/\sigma^2)$",
    "mean_sigma": r"$E\,\sigma_g/\sigma$",
}


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
    """Everything the figures show, as arrays over generations ``1..g`` (units of sigma)."""

    sizes: tuple[int, ...]
    estimator: str
    order: int
    chains: int
    seed: int
    generations: np.ndarray
    exact: dict[str, np.ndarray]
    series: dict[str, np.ndarray]
    estimate: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    sigma_paths: np.ndarray
    """``sigma_g/sigma`` of the plotted chains, shape ``(chains shown, g + 1)``."""
    sigma_band: np.ndarray
    """5 % and 95 % quantiles of ``sigma_g/sigma`` over the trajectory chains, shape ``(2, g + 1)``."""
    trajectory_chains: int


def gaussian1d_data(
    sizes: Sequence[int],
    *,
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    estimator: str = "unbiased",
    order: int = 2,
    trajectory_chains: int = 2_000,
    shown_chains: int = 40,
) -> FigureData:
    """Theory (exact and series at every prefix ``sizes[:k]``) and Monte Carlo over generations.

    The Monte Carlo run records every generation (``record="all"``); a second, smaller run with child seed
    ``[seed, 1]`` keeps the paths of ``trajectory_chains`` chains for the trajectory figure.
    """
    from ..numeric.gaussian1d import simulate
    from ..symbolic import gaussian1d as G

    estimator = check_estimator(estimator)
    sizes_t = check_sizes(sizes, estimator)
    chains = check_integer("chains", chains, minimum=2)
    seed = check_integer("seed", seed, minimum=0)
    order = check_integer("order", order, minimum=1)
    g = len(sizes_t)
    gens = np.arange(1, g + 1)
    exact = {q: np.array([float(G.evaluate(q, sizes_t[:k], estimator, dps=17)) for k in gens]) for q in _QUANTITIES}
    series = {}
    for q in _QUANTITIES:
        s = G.series(q, order, estimator)
        series[q] = np.array([float(s.evaluate(sizes_t[:k], 17)) for k in gens])
    res = simulate(sizes_t, chains, seed=seed, estimator=estimator, record="all")
    estimate = {q: np.empty(g) for q in _QUANTITIES}
    stderr = {q: np.empty(g) for q in _QUANTITIES}
    for k in gens:
        est = res.estimates(generation=int(k))
        for q in _QUANTITIES:
            estimate[q][k - 1] = est[q].value
            stderr[q][k - 1] = est[q].stderr
    n_paths = min(check_integer("trajectory_chains", trajectory_chains, minimum=2), chains)
    paths = simulate(
        sizes_t, n_paths, seed=np.random.SeedSequence([seed, 1]), estimator=estimator, trajectories=True
    ).trajectories
    assert paths is not None
    sigma = paths.sigma
    band = np.quantile(sigma, [0.05, 0.95], axis=0)
    shown = min(check_integer("shown_chains", shown_chains, minimum=1), n_paths)
    return FigureData(
        sizes_t, estimator, order, chains, seed, gens, exact, series, estimate, stderr, sigma[:shown].copy(), band,
        n_paths,
    )


def _schedule(sizes: Sequence[int]) -> str:
    if len(set(sizes)) == 1:
        return f"$M_i = {sizes[0]}$, $g \\leq {len(sizes)}$"
    shown = ", ".join(map(str, sizes[:6])) + (", ..." if len(sizes) > 6 else "")
    return f"$M_i$ = {shown}"


def _value_panels(plt: Any, data: FigureData, quantities: Sequence[str], title: str) -> Any:
    fig, axes = plt.subplots(2, len(quantities), figsize=(max(6.6, 5.2 * len(quantities)), 5.6), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.4]}, squeeze=False)
    x = data.generations
    for col, q in enumerate(quantities):
        top, bottom = axes[0][col], axes[1][col]
        est, se = data.estimate[q], data.stderr[q]
        top.fill_between(x, est - 2 * se, est + 2 * se, color="tab:blue", alpha=0.25, linewidth=0,
                         label=f"Monte Carlo $\\pm 2$ s.e. ({data.chains:,} chains)")
        top.plot(x, data.exact[q], color="black", linewidth=1.4, label="exact")
        top.plot(x, data.series[q], color="tab:red", linestyle="--", linewidth=1.2,
                 label=f"series, order {data.order} in $1/M_i$")
        top.set_ylabel(_LABELS[q] + " (units of $\\sigma^{%d}$)" % (4 if q == "var_w2sq" else 2))
        top.legend(loc="best", fontsize=8, frameon=False)
        top.grid(alpha=0.3)
        exact = data.exact[q]
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(exact != 0, (data.series[q] - exact) / np.abs(exact), np.nan)
            mc = np.where(exact != 0, 2 * se / np.abs(exact), np.nan)
        bottom.fill_between(x, -mc, mc, color="tab:blue", alpha=0.25, linewidth=0, label="MC resolution ($\\pm 2$ s.e.)")
        bottom.plot(x, rel, color="tab:red", linestyle="--", linewidth=1.2, label="(series - exact) / exact")
        bottom.axhline(0, color="black", linewidth=0.8)
        bottom.set_xlabel("generation $g$ (number of refits)")
        bottom.set_ylabel("relative error")
        bottom.legend(loc="best", fontsize=7, frameon=False)
        bottom.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _caption_tail(data: FigureData) -> str:
    return f"{_schedule(data.sizes)}, {data.estimator} estimator, seed {data.seed}"


def _log_sigma2(plt: Any, data: FigureData) -> Any:
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    x = np.concatenate([[0], data.generations])
    mean = np.concatenate([[0.0], data.exact["mean_log_sigma2"]])
    sd = np.sqrt(np.concatenate([[0.0], data.exact["var_log_sigma2"]]))
    ax.fill_between(x, mean - sd, mean + sd, color="tab:orange", alpha=0.25, linewidth=0,
                    label="exact mean $\\pm$ 1 s.d.")
    with np.errstate(divide="ignore"):
        logs = 2 * np.log(data.sigma_paths[:10])
    for n, path in enumerate(logs):
        ax.plot(x, path, color="tab:gray", linewidth=0.6, alpha=0.7, label="individual chains" if n == 0 else None)
    ax.plot(x, mean, color="black", linewidth=1.4, label="exact mean")
    est = data.estimate["mean_log_sigma2"]
    se = data.stderr["mean_log_sigma2"]
    every = max(1, len(est) // 25)
    ax.errorbar(data.generations[::every], est[::every], yerr=2 * se[::every], fmt="o", markersize=2.5,
                color="tab:blue", elinewidth=0.8, label=f"Monte Carlo mean $\\pm 2$ s.e. ({data.chains:,} chains)")
    mc_sd = np.sqrt(np.maximum(data.estimate["var_log_sigma2"], 0))
    for sign in (-1, 1):
        ax.plot(data.generations, est + sign * mc_sd, color="tab:blue", linestyle=":", linewidth=1.0,
                label="Monte Carlo mean $\\pm$ 1 s.d." if sign > 0 else None)
    ax.set_xlabel("generation $g$ (number of refits)")
    ax.set_ylabel(r"$\log(\sigma_g^2/\sigma^2)$ (dimensionless)")
    ax.set_title(f"Drift of the log-variance: exact mean and spread, Monte Carlo, chains\n({_caption_tail(data)})",
                 fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _trajectories(plt: Any, data: FigureData) -> Any:
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    x = np.arange(data.sigma_paths.shape[1])
    ax.fill_between(x, data.sigma_band[0], data.sigma_band[1], color="tab:green", alpha=0.2, linewidth=0,
                    label=f"5-95 % of {data.trajectory_chains:,} chains")
    for n, path in enumerate(data.sigma_paths):
        ax.plot(x, path, linewidth=0.6, alpha=0.6, color="tab:gray", label="individual chains" if n == 0 else None)
    ax.plot(x, np.concatenate([[1.0], data.exact["mean_sigma"]]), color="black", linewidth=1.4,
            label=r"exact $E\,\sigma_g/\sigma$")
    ax.set_yscale("log")
    ax.set_xlabel("generation $g$ (number of refits)")
    ax.set_ylabel(r"$\sigma_g/\sigma$ (fitted standard deviation, units of $\sigma$)")
    ax.set_title(f"Individual chains collapsing: fitted standard deviation per generation\n({_caption_tail(data)})",
                 fontsize=9)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def plot_gaussian1d(
    sizes: Sequence[int],
    out: str | os.PathLike[str],
    *,
    fmt: str = "png",
    chains: int = 20_000,
    seed: int = DEFAULT_SEED,
    estimator: str = "unbiased",
    order: int = 2,
) -> tuple[Path, ...]:
    """Write ``var_x``, ``w2``, ``log_sigma2`` and ``trajectories`` figures under ``out``; return the paths.

    Output is deterministic for the same arguments (fixed seed, no timestamps in the files).
    """
    fmt = check_choice("format", fmt, FORMATS)
    if Path(out).exists() and not Path(out).is_dir():
        raise ParameterError(f"out must be a directory (got the file {str(out)!r})")
    data = gaussian1d_data(sizes, chains=chains, seed=seed, estimator=estimator, order=order)
    plt = _pyplot()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    tail = _caption_tail(data)
    figures = {
        "var_x": _value_panels(
            plt, data, ["var_x"], f"Variance of a sample from generation $g$: exact, series and Monte Carlo\n({tail})"
        ),
        "w2": _value_panels(
            plt, data, ["mean_w2sq", "var_w2sq"],
            f"Squared Wasserstein-2 distance to the original: mean and variance ({tail})",
        ),
        "log_sigma2": _log_sigma2(plt, data),
        "trajectories": _trajectories(plt, data),
    }
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
                "svg": {"Date": None}}[fmt]
    paths = []
    with plt.rc_context({"svg.hashsalt": "modelcollapse"}):
        for name, fig in figures.items():
            path = root / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, dpi=150, metadata=metadata)
            plt.close(fig)
            paths.append(path)
    return tuple(paths)
