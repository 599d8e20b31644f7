"""The 1D Gaussian's data regimes in the numeric layer: the sufficient-statistic samplers of `accumulate`
and `mix` against the point-keeping samplers that literally pool, mix and refit every point; validation."""

from __future__ import annotations

import math

import pytest

from modelcollapse._validation import ParameterError
from modelcollapse.numeric import Estimate, simulate
from modelcollapse.testing import order_target

SIZES = (6, 8, 5, 7)
KEYS = ("var_x", "var_mu", "mean_sigma", "mean_sigma2", "mean_sigma4", "mean_log_sigma2", "mean_w2sq", "var_w2sq")
CASES = [("accumulate", 0), ("mix", 1), ("mix", 3), ("mix", 5), ("accumulate-subsample", 0)]


@pytest.mark.mc(checks=len(CASES) * 2 * len(KEYS))
def test_reduced_and_point_keeping_samplers_agree(mc_check, mc_seed, mc_chains) -> None:
    """z = (exact - brute) / sqrt(se_a^2 + se_b^2) on every estimate, both estimators, at the last generation.

    The power target is a wrong O(1) coefficient at second order (``order_target``); ``accumulate-subsample``
    has no reduction, so its two samplers differ only in how they draw (a consistency check of the pool code).
    """
    s_exact, s_brute = mc_seed.spawn(2)
    for scheme, real in CASES:
        for estimator in ("unbiased", "mle"):
            common = {"scheme": scheme, "real": real, "estimator": estimator}
            a = simulate(SIZES, mc_chains(2_000_000), seed=s_exact, **common).estimates()
            b = simulate(SIZES, mc_chains(1_000_000), seed=s_brute, sampler="brute", **common).estimates()
            for key in KEYS:
                diff = Estimate(a[key].value - b[key].value, math.hypot(a[key].stderr, b[key].stderr))
                mc_check(f"{scheme} R={real} {estimator} {key}: exact - brute", diff, 0.0,
                         target=order_target(a[key].value, SIZES))


def test_every_scheme_records_every_generation_and_trajectories() -> None:
    for scheme, real in CASES:
        res = simulate(SIZES, 500, seed=1, scheme=scheme, real=real, record="all", trajectories=True)
        assert res.generations == (1, 2, 3, 4)
        assert res.paths()["sigma"].shape == (500, 5)
        assert set(res.estimates(2)) == set(KEYS) | {"var_log_sigma2", "kurtosis_x", "vg_ratio_x"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "hoard"}, "scheme must be one of replace, accumulate, accumulate-subsample, mix (got 'hoard')"),
        ({"scheme": "replace", "real": 2}, "real must be 0 unless scheme is mix (got real=2 with scheme replace)"),
        ({"scheme": "mix", "real": -1}, "real must be an integer >= 0 (got -1)"),
        ({"scheme": "mix", "real": 2.5}, "real must be an integer (got 2.5 of type float)"),
        ({"scheme": "mix", "real": 6}, "real must be an integer between 0 and every sample size M_i, i >= 1 (got real=6 > sizes[2]=5)"),
        ({"scheme": "accumulate", "sizes": (6, 1), "estimator": "mle"}, "sizes[1] must be an integer >= 2 for scheme accumulate (got 1)"),
    ],
)
def test_regime_validation(kwargs, message) -> None:
    args = {"sizes": SIZES, **kwargs}
    with pytest.raises(ParameterError) as info:
        simulate(args.pop("sizes"), 10, seed=1, **args)
    assert str(info.value) == message
