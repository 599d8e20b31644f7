"""MomentSummary, covariance and chain statistics: exact algebra, merge properties, stderr formulas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from modelcollapse._validation import ParameterError
from modelcollapse.numeric import (
    STATISTICS,
    Estimate,
    MomentSummary,
    chain_statistics,
    covariance,
    summarize,
)


def rng_for(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([20241125, *key])))


def naive(x: np.ndarray) -> tuple[int, float, float, float, float]:
    """Two-pass reference in extended precision."""
    xl = np.asarray(x, dtype=np.longdouble)
    if len(xl) == 0:
        return 0, 0.0, 0.0, 0.0, 0.0
    c = xl.mean()
    d = xl - c
    return len(x), float(c), float((d**2).sum()), float((d**3).sum()), float((d**4).sum())


def assert_summary_close(s: MomentSummary, x: np.ndarray, rtol: float = 1e-9) -> None:
    n, c, m2, m3, m4 = naive(x)
    assert s.count == n
    s = s.rescaled(0)  # fields are in units of 2**scale (extreme magnitudes are rescaled exactly)
    spread = float(np.max(np.abs(x - c))) if n else 0.0
    scale = max(spread, 1e-300)
    assert s.center == pytest.approx(c, rel=rtol, abs=rtol * max(scale, abs(c)))
    for got, want, k in ((s.m2, m2, 2), (s.m3, m3, 3), (s.m4, m4, 4)):
        assert got == pytest.approx(want, rel=rtol, abs=rtol * n * scale**k)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    data=st.lists(finite, min_size=0, max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=4),
)
@example(data=[1e6 + 1.0, 1e6 + 2.0, 1e6 + 3.0], cuts=[1])
@example(data=[5.0], cuts=[0])
@example(data=[], cuts=[])
def test_merge_equals_one_shot_summary(data: list[float], cuts: list[int]) -> None:
    x = np.array(data, dtype=np.float64)
    bounds = sorted({min(c, len(x)) for c in cuts} | {0, len(x)})
    merged = MomentSummary.empty()
    for a, b in itertools.pairwise(bounds):
        merged = merged.merge(MomentSummary.from_array(x[a:b]))
    assert_summary_close(merged, x)
    assert_summary_close(MomentSummary.from_array(x), x)


def test_merge_is_deterministic_and_has_empty_identity() -> None:
    x = rng_for(1).standard_normal(1001) * 3 + 7
    parts = [MomentSummary.from_array(p) for p in np.array_split(x, 5)]
    first = parts[0]
    for p in parts[1:]:
        first = first.merge(p)
    second = parts[0]
    for p in parts[1:]:
        second = second.merge(p)
    assert first == second  # bit-identical for a fixed order
    assert first.merge(MomentSummary.empty()) is first
    assert MomentSummary.empty().merge(first) is first


def test_large_offset_is_robust() -> None:
    """Central sums around a shift of 1e9: naive power sums would lose every digit of m2."""
    x = 1e9 + rng_for(2).standard_normal(10_000)
    s = MomentSummary.from_array(x[:4000]).merge(MomentSummary.from_array(x[4000:]))
    assert s.var().value == pytest.approx(np.var(x - 1e9, ddof=1), rel=1e-6)


def test_mean_and_var_stderr_formulas_exact_algebra() -> None:
    x = np.array([0.5, 1.0, 4.0, -2.0, 3.5, 10.0, 0.0])
    s = MomentSummary.from_array(x)
    n = len(x)
    assert s.mean().value == pytest.approx(x.mean(), rel=1e-15)
    assert s.mean().stderr == pytest.approx(math.sqrt(x.var(ddof=1) / n), rel=1e-14)
    m2 = np.mean((x - x.mean()) ** 2)
    m4 = np.mean((x - x.mean()) ** 4)
    assert s.var().value == pytest.approx(x.var(ddof=1), rel=1e-14)
    assert s.var().stderr == pytest.approx(math.sqrt((m4 - (n - 3) / (n - 1) * m2**2) / n), rel=1e-13)


@pytest.mark.parametrize(
    ("draw", "sigma2", "n_var_s2"),
    [
        # normal, sd 2: mu4 = 3 sigma^4, so n Var(s^2) -> 2 sigma^4 = 32
        (lambda r, n: 2.0 * r.standard_normal(n), 4.0, 32.0),
        # exponential(1): mu4 = 9, sigma^4 = 1, so n Var(s^2) -> 8
        (lambda r, n: r.standard_exponential(n), 1.0, 8.0),
    ],
    ids=["normal", "exponential"],
)
def test_stderr_matches_known_distributions(draw, sigma2: float, n_var_s2: float) -> None:
    """Plug-in standard errors against their population values.

    Tolerance 5%: the plug-in stderr of Var(s^2) has a relative sampling sd of about 0.4% (normal) and
    0.8% (exponential) at n = 1e6 (from the 8th moment), so 5% is more than 6 sd.
    """
    n = 1_000_000
    s = MomentSummary.from_array(draw(rng_for(3), n))
    assert s.mean().stderr * math.sqrt(n) == pytest.approx(math.sqrt(sigma2), rel=0.05)
    assert s.var().stderr * math.sqrt(n) == pytest.approx(math.sqrt(n_var_s2), rel=0.05)


def test_summary_input_validation() -> None:
    with pytest.raises(ParameterError, match=r"x must be a 1-D array \(got an array of shape \(2, 2\)\)"):
        MomentSummary.from_array(np.ones((2, 2)))
    with pytest.raises(ParameterError, match=r"var\(\) needs a summary of at least 2 values \(got count=1\)"):
        MomentSummary.from_array([1.0]).var()
    with pytest.raises(ParameterError, match="other must be a MomentSummary"):
        MomentSummary.empty().merge(3.0)  # type: ignore[arg-type]


def test_is_finite_flags_nan_and_inf() -> None:
    assert MomentSummary.from_array([1.0, 2.0]).is_finite()
    assert not MomentSummary.from_array([1.0, np.inf]).is_finite()
    assert not MomentSummary.from_array([1.0, np.nan]).is_finite()


def test_covariance() -> None:
    r = rng_for(4)
    x = r.standard_normal(200_000)
    y = r.standard_normal(200_000)
    c = covariance(x, y)
    # independent unit normals: Var(c_hat) = 1/n exactly in the limit; plug-in within 5%
    assert c.stderr * math.sqrt(len(x)) == pytest.approx(1.0, rel=0.05)
    v = MomentSummary.from_array(x).var()
    cx = covariance(x, x)
    assert cx.value == pytest.approx(v.value, rel=1e-12)
    assert cx.stderr == pytest.approx(v.stderr, rel=1e-9)
    with pytest.raises(ParameterError, match=r"x and y must have the same length \(got 3 and 2\)"):
        covariance([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ParameterError, match=r"at least 2 values \(got 1\)"):
        covariance([1.0], [1.0])


def test_chain_statistics_values_and_units() -> None:
    mu, sigma = 3.0, 2.0
    mu_g = np.array([3.0, 5.0, 1.0])
    sigma2_g = np.array([4.0, 1.0, 0.0])
    s = chain_statistics(mu_g, sigma2_g, mu=mu, sigma=sigma)
    assert tuple(s) == STATISTICS
    m = (mu_g - mu) / sigma
    v = sigma2_g / sigma**2
    np.testing.assert_allclose(s["x"], m**2 + v)
    np.testing.assert_allclose(s["sigma"], np.sqrt(v))
    np.testing.assert_allclose(s["sigma2"], v)
    np.testing.assert_allclose(s["sigma4"], v**2)
    np.testing.assert_allclose(s["log_sigma2"][:2], np.log(v[:2]))
    assert s["log_sigma2"][2] == -np.inf
    # W2^2 between N(mu_g, sigma_g^2) and N(mu, sigma^2), in units of sigma^2
    w2 = ((mu_g - mu) ** 2 + (np.sqrt(sigma2_g) - sigma) ** 2) / sigma**2
    np.testing.assert_allclose(s["w2sq"], w2)
    # never aliases the caller's array
    s1 = chain_statistics(mu_g, sigma2_g)
    s1["sigma2"][0] = -1.0
    assert sigma2_g[0] == 4.0


def test_summarize_and_estimate() -> None:
    s = summarize({"a": [1.0, 2.0, 3.0, 4.0]})
    e = s["a"].mean()
    assert (e.value, e.stderr) == (2.5, math.sqrt(np.var([1, 2, 3, 4], ddof=1) / 4))
    assert Estimate(1.0, 0.5).to_dict() == {"value": 1.0, "stderr": 0.5}
