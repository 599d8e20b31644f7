"""Protocol: figures of a quantity without an exact form compare the series with the Monte Carlo estimate, and a
paths figure of a simulation-only mean draws the Monte Carlo mean (no empty 'exact' curve)."""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.export import plot
from modelcollapse.models import Figure, get_model


def _data(exact_value: float) -> plot.FigureData:
    g = np.arange(1, 5)
    q = "var_x"
    nan = np.full(4, exact_value)
    return plot.FigureData(
        model="gaussian1d", params={"sizes": (10,) * 4, "estimator": "unbiased", "sigma": 1.0}, order=2, chains=100,
        seed=1, generations=g, exact={q: nan, "mean_sigma": nan}, series={q: 1 + g / 10.0, "mean_sigma": nan},
        estimate={q: 1 + g / 10.0 + 0.001, "mean_sigma": np.full(4, 0.9)}, stderr={q: np.full(4, 0.01),
        "mean_sigma": np.full(4, 0.01)}, paths={"sigma": np.ones((3, 5))}, bands={"sigma": np.ones((2, 5))},
        trajectory_chains=3,
    )


def test_values_figure_without_exact_form_compares_series_with_monte_carlo():
    plt = plot._pyplot() if pytest.importorskip("matplotlib") else None
    spec = get_model("gaussian1d")
    fig = plot._values(plt, spec, _data(np.nan), Figure("f", "title", ("var_x",)), 6.75, None, plot._Notes())
    top, bottom = fig.axes[0], fig.axes[1]
    assert "exact" not in [t.get_text() for t in top.get_legend().get_texts()]
    assert "(series $-$ MC)/MC" in [t.get_text() for t in bottom.get_legend().get_texts()]
    plt.close(fig)
    fig = plot._values(plt, spec, _data(1.0), Figure("f", "title", ("var_x",)), 6.75, None, plot._Notes())
    assert "(series $-$ exact)/exact" in [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    plt.close(fig)


def test_paths_figure_of_a_simulation_only_mean_draws_the_monte_carlo_mean():
    plt = plot._pyplot() if pytest.importorskip("matplotlib") else None
    fig = plot._paths(plt, get_model("gaussian1d"), _data(np.nan), Figure("p", "t", ("sigma", "mean_sigma"), kind="paths"),
                      6.75, None, plot._Notes())
    fig.axes[0].legend()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(lab.startswith("Monte Carlo $E\\,\\sigma_g$") for lab in labels) and not any("exact" in x for x in labels)
    plt.close(fig)


def test_compare_figure_has_one_legend_entry_per_setting_and_one_for_the_bands():
    plt = plot._pyplot() if pytest.importorskip("matplotlib") else None
    data = {(10,) * 4: _data(1.2), (20,) * 4: _data(np.nan)}  # the second setting has no exact form
    fig = plot._compare(plt, get_model("gaussian1d"), data, Figure("c", "t", ("var_x",), kind="compare",
                        vary=("sizes", tuple(data))), 6.75, None, plot._Notes())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["sizes 10x4", "sizes 20x4", "Monte Carlo $\\pm 2$ s.e."], labels
    plt.close(fig)
