"""z-scores, p-values, multiplicity corrections and power calculations (deterministic)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from modelcollapse._validation import ParameterError
from modelcollapse.numeric import (
    Estimate,
    bonferroni_alpha,
    chains_for_power,
    detectable_deviation,
    holm,
    two_sided_p,
    z_score,
    z_threshold,
)


def test_z_score_scalar_and_array() -> None:
    assert z_score(Estimate(1.3, 0.1), 1.0) == pytest.approx(3.0)
    assert z_score(Estimate(2.0, 0.0), 2.0) == 0.0
    assert z_score(Estimate(2.5, 0.0), 2.0) == math.inf
    z = z_score(Estimate(np.array([1.0, 2.0]), np.array([0.5, 0.25])), np.array([0.0, 3.0]))  # type: ignore[arg-type]
    np.testing.assert_allclose(z, [2.0, -4.0])


def test_two_sided_p_matches_scipy_and_tails() -> None:
    zs = np.array([0.0, 0.5, 1.0, 1.959963984540054, 3.0, -4.0])
    np.testing.assert_allclose(two_sided_p(zs), 2 * sps.norm.sf(np.abs(zs)), rtol=1e-12)
    assert two_sided_p(0.0) == 1.0
    assert two_sided_p(30.0) == pytest.approx(2 * sps.norm.sf(30.0), rel=1e-10)  # no cancellation


def test_thresholds() -> None:
    assert z_threshold(0.05) == pytest.approx(1.959963984540054, rel=1e-12)
    for a in (0.1, 1e-3, 1e-6, 1e-10):
        assert two_sided_p(z_threshold(a)) == pytest.approx(a, rel=1e-9)
    assert bonferroni_alpha(1e-4, 24) == pytest.approx(1e-4 / 24)
    np.testing.assert_allclose(z_threshold(np.array([0.05, 0.01])), [1.959964, 2.575829], rtol=1e-6)


def holm_reference(p: list[float], alpha: float) -> list[bool]:
    """Holm by definition: reject H_i iff every sorted p-value up to p_i passes its step."""
    order = sorted(range(len(p)), key=lambda i: (p[i], i))
    out = [False] * len(p)
    for j, i in enumerate(order):
        if all(p[order[t]] <= alpha / (len(p) - t) for t in range(j + 1)):
            out[i] = True
    return out


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=12),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_holm_matches_definition_and_dominates_bonferroni(p: list[float], alpha: float) -> None:
    got = holm(p, alpha)
    assert got == holm_reference(p, alpha)
    bonf = [pi <= alpha / len(p) for pi in p]
    assert all(g or not b for g, b in zip(got, bonf))


def test_holm_examples() -> None:
    assert holm([0.01, 0.04, 0.03, 0.2], 0.05) == [True, False, False, False]
    assert holm([0.001, 0.013, 0.04], 0.05) == [True, True, True]
    assert holm([], 0.05) == []


def test_power_and_chain_count_are_inverse() -> None:
    for a, power, sd, delta in itertools.product((0.05, 1e-5), (0.5, 0.8, 0.99), (0.3, 2.0), (0.01, 0.1)):
        n = chains_for_power(sd, delta, a, power)
        assert isinstance(n, int)
        assert detectable_deviation(sd / math.sqrt(n), a, power) <= delta * (1 + 1e-12)
        if n > 1:
            assert detectable_deviation(sd / math.sqrt(n - 1), a, power) > delta
    # power 0.5: z_beta = 0, the detectable deviation is the threshold itself
    assert detectable_deviation(1.0, 0.05, 0.5) == pytest.approx(z_threshold(0.05))
    np.testing.assert_array_equal(chains_for_power(np.array([1.0, 2.0]), 0.1, 0.05), [785, 3140])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: bonferroni_alpha(1.5, 3),
            r"alpha must be a probability in the open interval \(0, 1\) \(got 1.5\)",
        ),
        (lambda: bonferroni_alpha(0.05, 0), r"k must be an integer >= 1 \(got 0\)"),
        (
            lambda: z_threshold(0.0),
            r"alpha_per_check must be a probability in the open interval \(0, 1\) \(got 0.0\)",
        ),
        (lambda: holm([0.1, 1.2], 0.05), r"pvalues must all lie in \[0, 1\]"),
        (lambda: holm([0.1], 1.0), r"alpha must be a probability"),
        (lambda: detectable_deviation(-1.0, 0.05), r"stderr must be a finite number >= 0 \(got -1.0\)"),
        (lambda: detectable_deviation(1.0, 0.05, power=1.0), r"power must be a probability"),
        (lambda: chains_for_power(1.0, 0.0, 0.05), r"delta must be a finite number > 0 \(got 0.0\)"),
        (lambda: chains_for_power(math.nan, 0.1, 0.05), r"sd_per_chain must be a finite number >= 0"),
    ],
)
def test_validation_messages(call, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()
