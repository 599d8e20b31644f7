"""1D Gaussian theory: exact identities (SymPy, exactly), two independent derivations, mpmath reference values,
remainder orders of every series, and properties over sizes (hypothesis)."""

from __future__ import annotations

import itertools

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from modelcollapse._validation import ParameterError
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.symbolic.series import EPS, QuasiSymmetricSeries

ESTIMATORS = ("unbiased", "mle")
Q = G.QUANTITIES
sigma = G.sigma


def _is_zero(expr: sp.Expr) -> bool:
    expr = sp.expand(sp.expand_log(sp.expand_func(expr), force=True, factor=True))
    return sp.simplify(sp.gammasimp(expr)) == 0


# ---------------------------------------------------------------------------------------------------------
# (a) exact identities, compared exactly


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
def test_recursion_equals_direct_expansion_symbolic_sizes(quantity, estimator):
    """The moment recursion and brute-force expansion over the decomposition agree for symbolic M_0, M_1."""
    g = 2
    assert _is_zero(G.exact(quantity, g, estimator) - G.exact_direct(quantity, g, estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
@pytest.mark.parametrize("sizes", [(5,), (5, 7, 4), (5, 7, 4, 9), (2, 3, 2, 2)])
def test_recursion_equals_direct_expansion_numbers(quantity, estimator, sizes):
    """Same check with numeric sizes up to g = 4: exact algebraic numbers (sqrt(pi), digamma values)."""
    assert _is_zero(G.exact(quantity, sizes, estimator) - G.exact_direct(quantity, sizes, estimator))


@pytest.mark.parametrize("quantity", ["var_x", "mean_sigma", "mean_sigma4", "mean_w2sq", "mean_log_sigma2"])
def test_recursion_equals_direct_expansion_three_symbolic_sizes(quantity):
    assert _is_zero(G.exact(quantity, 3) - G.exact_direct(quantity, 3))


def test_closed_forms_known_by_hand():
    """Identities a reader can check with Cochran's theorem alone."""
    M0, M1, M2 = G.size_symbols(3)
    assert sp.simplify(G.exact("var_x", 3) - sigma**2 * (1 + 1 / M0 + 1 / M1 + 1 / M2)) == 0
    assert G.exact("mean_sigma2", 3) == sigma**2
    assert sp.simplify(G.exact("mean_sigma2", 3, "mle") - sigma**2 * (M0 - 1) * (M1 - 1) * (M2 - 1) / (M0 * M1 * M2)) == 0
    # MLE keeps the variance of a fresh sample exactly: E sigma^2 shrinks by (1 - 1/M), Var mu grows by sigma^2/M.
    assert G.exact("var_x", 3, "mle") == sigma**2
    assert sp.simplify(G.exact("mean_sigma4", 1) - sigma**4 * (M0 + 1) / (M0 - 1)) == 0
    # E X^g = mu: the mean random-walks without drift (derived two ways, both estimators)
    for est in ESTIMATORS:
        assert G.exact("mean_x", 3, est) == 0 == G.exact_direct("mean_x", 3, est)
        assert G.evaluate("mean_x", [5, 2, 9], est) == 0


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", ["var_x", "mean_sigma", "mean_sigma4", "mean_w2sq", "var_w2sq", "var_log_sigma2"])
def test_symbolic_g_form_matches_explicit_recursion(quantity, estimator):
    """The nested Sum/Product form, evaluated at g = 3, equals the explicit three-size form."""
    form = G.exact_symbolic_g(quantity, estimator)
    sizes = (5, 8, 3)
    at = form.subs(G.g, len(sizes)).doit()
    at = at.subs({G.Mi[i]: m for i, m in enumerate(sizes)}).doit()
    assert _is_zero(at - G.exact(quantity, list(sizes), estimator))


def test_decomposition_has_the_article_structure():
    dec = G.decomposition(3)
    Z1, Z2, Z3 = sp.symbols("Z_1 Z_2 Z_3", real=True)
    V1, V2, V3 = sp.symbols("V_1 V_2 V_3", positive=True)
    M0, M1, M2 = G.size_symbols(3)
    Zp = sp.Symbol("Z'", real=True)
    expected = G.mu + sigma * (
        Z1 / sp.sqrt(M0) + sp.sqrt(V1) * Z2 / sp.sqrt(M1) + sp.sqrt(V1 * V2) * Z3 / sp.sqrt(M2) + sp.sqrt(V1 * V2 * V3) * Zp
    )
    assert sp.expand(dec.x - expected) == 0
    law = dec.law[V2]
    assert law.dof == M1 - 1 and law.divisor == M1 - 1
    assert G.decomposition(3, "mle").law[V2].divisor == M1


# ---------------------------------------------------------------------------------------------------------
# (b) mpmath reference values two ways


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
def test_mpmath_evaluation_matches_sympy_exact_at_50_digits(quantity, estimator):
    sizes = [10, 30, 7, 2, 13]
    exact = G.exact(quantity, sizes, estimator).subs(sigma, 1)
    with mpmath.workdps(60):
        reference = sp.N(exact, 60)
        value = G.evaluate(quantity, sizes, estimator, dps=50)
        assert mpmath.almosteq(mpmath.mpf(str(reference)), value, rel_eps=mpmath.mpf(10) ** -48, abs_eps=mpmath.mpf(10) ** -48)


def test_evaluate_long_schedule_is_consistent():
    """A thousand sizes (timed in benchmarks/bench_theory.py, not here)."""
    sizes = [20 + (i % 7) for i in range(1000)]
    values = {q: G.evaluate(q, sizes) for q in Q}
    assert values["var_x"] == pytest.approx(1 + sum(1 / m for m in sizes), rel=1e-15)
    assert values["var_log_sigma2"] == pytest.approx(float(sum(mpmath.psi(1, (m - 1) / 2) for m in sizes)), rel=1e-14)


def test_mle_single_point_refit_collapses_exactly():
    assert G.evaluate("mean_sigma", [1, 5], "mle") == 0
    assert G.evaluate("mean_log_sigma2", [1, 5], "mle") == -mpmath.inf
    assert G.evaluate("mean_w2sq", [1, 5], "mle") == 2  # sigma_g = 0, mu_1 = one N(0,1) draw


# ---------------------------------------------------------------------------------------------------------
# (e) series: coefficients, quasi-symmetry, remainder order


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
def test_series_coefficients_hold_for_more_generations(quantity, estimator):
    """Coefficients read off `order` generations reproduce the direct series with order + 2 generations."""
    order = 3
    s = G.series(quantity, order, estimator)
    nvars = order + 2
    direct = G.series_polynomial(quantity, order, estimator, nvars)
    rebuilt = QuasiSymmetricSeries.from_polynomial(direct, order)
    assert rebuilt.coefficients == s.coefficients


def _constant_size_error(quantity, estimator, order, g, M):
    exact = G.evaluate(quantity, [M] * g, estimator, dps=70)
    approx = G.series(quantity, order, estimator).evaluate([M] * g, 70)
    return exact - approx


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_series_remainder_order_constant_size(quantity, estimator, order):
    """(exact - series_k) * M^(k+1) tends to the next coefficient as M runs from 10^3 to 10^8."""
    g = 3
    nxt = G.series(quantity, order + 1, estimator).truncated(order + 1)
    with mpmath.workdps(70):
        c_next = sum(
            mpmath.mpf(c.p) / c.q * mpmath.binomial(g, len(a)) for a, c in nxt.coefficients.items() if sum(a) == order + 1
        )
        scaled = [_constant_size_error(quantity, estimator, order, g, 10**e) * mpmath.mpf(10) ** (e * (order + 1)) for e in range(3, 9)]
        for e, value in zip(range(3, 9), scaled):
            # the next-next term makes the scaled error differ from c_next by O(1/M)
            assert abs(value - c_next) <= 50 * (abs(c_next) + 1) * mpmath.mpf(10) ** -e, (e, value, c_next)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
def test_series_remainder_order_general_sizes(quantity, estimator):
    """Same for a non-constant schedule (M, 2M, 5M): the error is O(M^-(k+1)) with the predicted constant."""
    order = 2
    pattern = (1, 2, 5)
    nxt = G.series(quantity, order + 1, estimator)
    next_terms = QuasiSymmetricSeries({a: c for a, c in nxt.coefficients.items() if sum(a) == order + 1}, order + 1)
    with mpmath.workdps(70):
        for e in (4, 6, 8):
            M = 10**e
            sizes = [p * M for p in pattern]
            err = G.evaluate(quantity, sizes, estimator, dps=70) - G.series(quantity, order, estimator).evaluate(sizes, 70)
            predicted = next_terms.evaluate(sizes, 70)  # the degree-(k+1) terms alone
            assert abs(err - predicted) <= 100 * mpmath.mpf(10) ** -e * (abs(predicted) + mpmath.mpf(10) ** (-e * (order + 1)))


REMAINDER_PATTERN = (1, 2, 1, 3, 2, 1, 3, 1, 2)
REMAINDER_DPS = 120


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", Q)
def test_series_remainder_orders_1_to_8_unequal_sizes(quantity, estimator):
    """exact - series_k equals the degree-(k+1) terms of series_{k+1} up to a relative O(1/M), for k = 1..8, at
    g = 9 unequal sizes M*(1, 2, 1, 3, 2, 1, 3, 1, 2), M = 10^4, 10^6, 10^8 (mpmath, 120 digits).

    A composition with l parts enters only at g >= l.  For every l = 4..8 that the series has, the terms with l
    parts must exceed the tolerance somewhere, so that a wrong coefficient with that many parts fails the test.
    """
    sensitive: set[int] = set()
    with mpmath.workdps(REMAINDER_DPS):
        for e in (4, 6, 8):
            M = 10**e
            sizes = [p * M for p in REMAINDER_PATTERN]
            exact = G.evaluate(quantity, sizes, estimator, dps=REMAINDER_DPS)
            for k in range(1, 9):
                degree = {a: c for a, c in G._series(quantity, k + 1, estimator).coefficients.items() if sum(a) == k + 1}
                predicted = QuasiSymmetricSeries(degree, k + 1).evaluate(sizes, REMAINDER_DPS)
                err = exact - G.series(quantity, k, estimator).evaluate(sizes, REMAINDER_DPS)
                tolerance = 100 * (abs(predicted) + mpmath.mpf(M) ** -(k + 1)) / M
                assert abs(err - predicted) <= tolerance, (e, k, err, predicted)
                for parts in range(4, k + 2):
                    share = QuasiSymmetricSeries({a: c for a, c in degree.items() if len(a) == parts}, k + 1)
                    if abs(share.evaluate(sizes, REMAINDER_DPS)) > tolerance:
                        sensitive.add(parts)
    lengths = {len(a) for a in G._series(quantity, 9, estimator).coefficients}
    assert {n for n in lengths if 4 <= n <= 8} <= sensitive


def test_four_part_compositions_are_present():
    """The remainder test above has four-part coefficients to check for most quantities."""
    with_four_parts = {
        (q, est) for q in Q for est in ESTIMATORS if any(len(a) >= 4 for a in G.series(q, 5, est).coefficients)
    }
    assert {("mean_w2sq", "unbiased"), ("var_w2sq", "unbiased"), ("var_w2sq", "mle"), ("mean_sigma2", "mle")} <= with_four_parts
    assert ("var_x", "unbiased") not in with_four_parts  # 1 + sum 1/M_i exactly


def test_series_known_terms():
    p = lambda r: sp.Sum(G.Mi[sp.Symbol("i", integer=True, nonnegative=True)] ** (-r), (sp.Symbol("i", integer=True, nonnegative=True), 0, G.g - 1))  # noqa: E731
    # E W2^2 = (3/2) sum 1/M_i + O(M^-2), the leading term of the article's statement (b)
    assert G.series("mean_w2sq", 1).power_sum_coefficients() == {(1,): sp.Rational(3, 2)}
    # Var W2^2 = (5/2) (sum 1/M_i)^2 + O(M^-3) for both estimators
    for est in ESTIMATORS:
        assert G.series("var_w2sq", 2, est).power_sum_coefficients() == {(1, 1): sp.Rational(5, 2)}
    # E sigma_g = 1 - p1/4 + ... (unbiased); the power-sum form is symbolic in g
    assert sp.simplify(G.series("mean_sigma", 1).symbolic(G.Mi, G.g) - (1 - p(1) / 4)) == 0
    # constant size: E log sigma_g^2 = -g/M - 4g/(3M^2) + O(M^-3)
    M = sp.Symbol("M", positive=True)
    assert sp.expand(G.series("mean_log_sigma2", 2).constant_size(M, G.g) - (-G.g / M - sp.Rational(4, 3) * G.g / M**2)) == 0


def test_var_w2sq_third_order_is_not_symmetric():
    """At third order Var W2^2 depends on the order of the sizes; the package says so (nested sums)."""
    s = G.series("var_w2sq", 3)
    assert s.power_sum_coefficients() is None
    assert s.coefficients[(1, 2)] != s.coefficients[(2, 1)]
    a = G.evaluate("var_w2sq", [100, 1000, 1000], dps=30)
    b = G.evaluate("var_w2sq", [1000, 1000, 100], dps=30)
    assert a != b


def test_moment_series_matches_gamma_ratio():
    from modelcollapse.symbolic.expectation import ChiSquare
    from modelcollapse.symbolic.series import moment_series

    Msym = sp.Symbol("M", positive=True)
    law = ChiSquare(Msym - 1, Msym - 1)
    ser = moment_series(law, Msym, sp.Rational(1, 2), 4)
    with mpmath.workdps(50):
        for M in (10**3, 10**5):
            k = mpmath.mpf(M - 1)
            exact = mpmath.sqrt(2 / k) * mpmath.gamma(k / 2 + mpmath.mpf(1) / 2) / mpmath.gamma(k / 2)
            approx = mpmath.mpf(str(sp.N(ser.subs(EPS, sp.Rational(1, M)), 50)))
            assert abs(exact - approx) * mpmath.mpf(M) ** 5 < 10


# ---------------------------------------------------------------------------------------------------------
# (c) properties over sizes

sizes_strategy = st.lists(st.integers(min_value=2, max_value=200), min_size=1, max_size=12)


@given(sizes=sizes_strategy)
@example(sizes=[2])
@example(sizes=[2, 2, 2, 2, 2, 2])
@example(sizes=[10**6, 3])
def test_properties_unbiased(sizes):
    v = {q: G.evaluate(q, sizes) for q in Q}
    assert v["var_x"] == pytest.approx(1 + sum(1 / m for m in sizes), rel=1e-14)
    assert v["mean_sigma2"] == pytest.approx(1, rel=1e-14)
    assert 0 < v["mean_sigma"] < 1  # Jensen: E sigma < sqrt(E sigma^2) = 1
    assert v["mean_sigma4"] >= v["mean_sigma2"] ** 2
    assert v["mean_w2sq"] > 0 and v["var_w2sq"] > 0 and v["var_log_sigma2"] > 0
    assert v["mean_log_sigma2"] < 0  # Jensen: E log sigma^2 < log E sigma^2 = 0


@given(sizes=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=12))
@example(sizes=[1])
def test_properties_mle(sizes):
    v = {q: G.evaluate(q, sizes, "mle") for q in Q}
    expected = 1.0
    for m in sizes:
        expected *= (m - 1) / m
    assert v["var_x"] == pytest.approx(1, rel=1e-14)
    assert v["mean_sigma2"] == pytest.approx(expected, rel=1e-13, abs=1e-300)
    assert v["mean_w2sq"] > 0


@given(sizes=st.lists(st.integers(min_value=10**4, max_value=10**6), min_size=1, max_size=5), order=st.integers(1, 3))
def test_series_close_to_exact_for_large_sizes(sizes, order):
    """|exact - series_k| <= C * (max 1/M)^(k+1) * g^(k+1) with a modest constant."""
    eps = len(sizes) / min(sizes)
    for q in Q:
        diff = abs(G.evaluate(q, sizes, dps=30) - G.evaluate_series(q, sizes, order, dps=30))
        assert diff <= 40 * eps ** (order + 1)


# ---------------------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: G.evaluate("var_x", [10, 1]), r"sizes\[1\] must be an integer >= 2 for the unbiased estimator \(got 1\)"),
        (lambda: G.evaluate("var_x", [0], "mle"), r"sizes\[0\] must be an integer >= 1 for the mle estimator \(got 0\)"),
        (lambda: G.evaluate("var_x", []), r"sizes must hold at least one sample size"),
        (lambda: G.evaluate("var_x", [2.5]), r"sizes\[0\] must be an integer \(got 2.5"),
        (lambda: G.evaluate("var_y", [3]), r"quantity must be one of .* \(got 'var_y'\)"),
        (lambda: G.evaluate("var_x", [3], "ols"), r"estimator must be one of unbiased, mle \(got 'ols'\)"),
        (lambda: G.series("var_x", 0), r"order must be an integer >= 1 \(got 0\)"),
        (lambda: G.exact("var_x", [3, 1]), r"sizes\[1\] must be an integer >= 2"),
    ],
)
def test_errors_name_parameter_constraint_and_value(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_one_quantity_table():
    """Every quantity once, with its LaTeX name and unit; the listed keys are the model's declared quantities
    and estimate keys of the numeric layer."""
    from modelcollapse.models import get_model
    from modelcollapse.numeric.gaussian1d import ESTIMATE_KEYS

    from modelcollapse.numeric.gaussian1d import COLLAPSE_KEYS, MOMENT_KEYS

    assert G.QUANTITIES == MOMENT_KEYS and ESTIMATE_KEYS == G.QUANTITIES + ("kurtosis_x", "vg_ratio_x")
    declared = get_model("gaussian1d").quantity_keys
    assert declared == G.QUANTITIES + G.LAW_QUANTITIES + COLLAPSE_KEYS[1:]  # prob_sigma_below is a law quantity
    assert G.EXTRA_QUANTITIES == ("mean_x",)
    assert G.latex_name("var_w2sq") == r"\operatorname{Var} W_2^2"
    assert [G.sigma_power(q) for q in G.QUANTITIES] == [2, 2, 1, 2, 4, 0, 0, 2, 4]


def test_compositions_and_partitions_are_complete():
    from modelcollapse.symbolic.series import compositions, partitions

    assert len(compositions(5)) == 2**4
    assert [len(partitions(n)) for n in range(1, 8)] == [1, 2, 3, 5, 7, 11, 15]
    assert all(sum(c) == 5 for c in compositions(5))
    assert set(itertools.chain.from_iterable(compositions(3))) == {1, 2, 3}
