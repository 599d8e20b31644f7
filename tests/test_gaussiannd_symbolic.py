"""N-D Gaussian theory: exact identities (SymPy, exactly), d = 1 as the 1D model, rotation invariance, the
remainder order of every series at high precision, and the E W2^2 series checked by independent routes."""

from __future__ import annotations

import itertools

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse._validation import ParameterError
from modelcollapse.symbolic import gaussian1d as G1
from modelcollapse.symbolic import gaussiannd as S
from modelcollapse.symbolic.expectation import expectation

ESTIMATORS = ("unbiased", "mle")
EXACT = tuple(q for q in S.QUANTITIES if q != "mean_w2sq")


def _zero(expr: sp.Expr) -> bool:
    expr = sp.expand(sp.expand_log(sp.expand_func(expr.doit()), force=True))
    return sp.simplify(sp.gammasimp(expr)) == 0


# ---------------------------------------------------------------------------------------------------------
# exact identities


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_d1_is_the_1d_model_for_symbolic_sizes(estimator):
    """Every exact quantity at d = 1, Sigma_0 = sigma^2, equals the 1D model's, for symbolic M_0, M_1, M_2."""
    sizes = list(G1.size_symbols(3))
    sig = G1.sigma
    sub = {S.d: 1, S.T1: sig**2, S.T2: sig**4, S.T11: sig**4}
    pairs = {
        "mean_trace": G1.exact("mean_sigma2", sizes, estimator),
        "mean_trace_sq": G1.exact("mean_sigma4", sizes, estimator),
        "mean_sq_trace": G1.exact("mean_sigma4", sizes, estimator),
        "mean_logdet": G1.exact("mean_log_sigma2", sizes, estimator),
        "var_logdet": G1.exact("var_log_sigma2", sizes, estimator),
        "mean_det_ratio": G1.exact("mean_sigma2", sizes, estimator) / sig**2,
        "mean_sq_mu": G1.exact("var_x", sizes, estimator) - G1.exact("mean_sigma2", sizes, estimator),
    }
    for q, theirs in pairs.items():
        assert _zero(S.exact(q, sizes, estimator).subs(sub) - theirs), q
    # and the exact W2 at d = 1 is the 1D model's (values through the registry's dimension argument)
    assert _zero(S.exact("mean_w2sq", sizes, estimator, dim=1) - G1.exact("mean_w2sq", sizes, estimator).subs(sig, 1))


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_rotation_invariance_of_one_refit(estimator):
    """A general (non-diagonal) Sigma = L L^T: the transitions depend on its eigenvalues only (exactly)."""
    assert all(v == 0 for v in S.rotation_check(2, estimator).values())


def test_second_moment_transition_is_dimension_free_and_known():
    """The engine's 2x2 transition is the same derived at d = 2 and d = 3, and is the Wishart identity
    E tr W^2 = n(n+1) tr S^2 + n (tr S)^2, E (tr W)^2 = 2n tr S^2 + n^2 (tr S)^2 (divided by D^2)."""
    n = S.M - 1
    for estimator in ESTIMATORS:
        D = S.divisor(S.M, estimator)
        a3 = S.second_moment_transition(estimator, 3)
        a2 = S.second_moment_transition.__wrapped__(estimator, 2)
        assert a2 == a3
        assert sp.simplify(a3["trace_sq"]["trace_sq"] - n * (n + 1) / D**2) == 0
        assert sp.simplify(a3["trace_sq"]["sq_trace"] - n / D**2) == 0
        assert sp.simplify(a3["sq_trace"]["trace_sq"] - 2 * n / D**2) == 0
        assert sp.simplify(a3["sq_trace"]["sq_trace"] - n**2 / D**2) == 0


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", ["mean_trace_sq", "mean_sq_trace", "mean_sq_mu", "mean_trace"])
def test_closed_form_equals_the_recursion_three_generations(quantity, estimator):
    """The closed form (commuting 2x2 matrices, eigen-decomposition) equals the recursion applied explicitly."""
    sizes = list(G1.size_symbols(3))
    T = S.second_moment_transition(estimator)
    keys = ("trace_sq", "sq_trace")
    state = sp.Matrix([S.T2, S.T11])
    sq, tr = sp.Integer(0), S.T1
    for m in sizes:
        state = sp.Matrix([[T[r][c].subs(S.M, m) for c in keys] for r in keys]) * state
        sq, tr = sq + tr / m, S.step_moment("trace", estimator).subs(S.M, m) * tr
    direct = {"mean_trace_sq": state[0], "mean_sq_trace": state[1], "mean_sq_mu": sq, "mean_trace": tr}[quantity]
    assert sp.simplify(S.exact(quantity, sizes, estimator) - direct) == 0


def test_collapse_identities_by_hand():
    """E Sigma_g = Sigma_0 (unbiased) while E det decays; E log det per step at d = 2 is 2 psi(n) - 2/(n-1)."""
    M0, M1 = G1.size_symbols(2)
    assert S.exact("mean_trace", [M0, M1]) == S.T1
    det = S.exact("mean_det_ratio", [M0, M1], dim=3)
    assert sp.simplify(det - ((M0 - 2) * (M0 - 3) * (M1 - 2) * (M1 - 3)) / ((M0 - 1) ** 2 * (M1 - 1) ** 2)) == 0
    for n in (3, 17, 40):  # the eigenvalue-density value 2 psi(n) - 2/(n-1) (Legendre's duplication formula)
        with mpmath.workdps(40):
            value = S.evaluate("mean_logdet", [n + 1], 2, dps=40) + 2 * mpmath.log(n)  # D = n: log det W - 2 log n
            assert abs(value - (2 * mpmath.psi(0, n) - mpmath.mpf(2) / (n - 1))) < mpmath.mpf(10) ** -35


def test_exact_values_at_known_points():
    assert S.evaluate("mean_det_ratio", [10, 20], 3) == pytest.approx((8 * 7 / 81) * (18 * 17 / 361), rel=1e-15)
    v = S.evaluate("mean_trace_sq", [5], 2, (1, 3))
    # one refit of diag(1, 3) with n = 4: (n(n+1) tr S^2 + n (tr S)^2)/n^2 = (20 * 10 + 4 * 16)/16
    assert v == pytest.approx((20 * 10 + 4 * 16) / 16, rel=1e-15)
    with mpmath.workdps(50):
        x = S.evaluate("mean_logdet", [7, 9], 2, dps=50)
        ref = sum(mpmath.psi(0, mpmath.mpf(m - k) / 2) + mpmath.log(mpmath.mpf(2) / (m - 1)) for m in (7, 9) for k in (1, 2))
        assert abs(x - ref) < mpmath.mpf(10) ** -45


def test_singular_refits_give_minus_infinity_never_nan():
    assert S.evaluate("mean_logdet", [3, 20], 3) == mpmath.mpf("-inf")
    assert S.evaluate("mean_det_ratio", [3, 20], 3) == 0
    with pytest.raises(ParameterError, match=r"sizes\[0\] must be an integer > dim = 3 for var_logdet: .* \(got 3\)"):
        S.evaluate("var_logdet", [3, 20], 3)
    r = S.theory(sizes=(3, 20), dim=3)
    assert r.exact["mean_logdet"] == mpmath.mpf("-inf") and r.exact["var_logdet"] is None
    assert "-inf" in r.no_exact["mean_logdet"] and "singular" in r.no_exact["var_logdet"]
    assert r.series["mean_logdet"] is None and "singular" in r.no_series["mean_logdet"]
    for q, v in r.exact.items():
        assert v is None or not mpmath.isnan(v), q


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: S.check_model(0), r"dim must be an integer >= 1 \(got 0\)"),
        (lambda: S.check_model(2, (1,)), r"cov_eigenvalues must hold dim = 2 values \(got 1: 1\)"),
        (lambda: S.check_model(2, (1, -1)), r"cov_eigenvalues\[1\] must be a finite number > 0 \(got -1\)"),
        (lambda: S.check_model(2, (1, float("nan"))), r"cov_eigenvalues\[1\] must be a finite number > 0 \(got nan\)"),
        (lambda: S.evaluate("mean_w2sq", [10, 10], 3), "mean_w2sq has no exact form at dim = 3"),
        (lambda: S.series("mean_w2sq", 3, 2), r"order must be <= 2 for the mean_w2sq series \(got 3\)"),
        (lambda: S.evaluate("mean_lambda_min", [10], 2), "quantity must be one of"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


@settings(max_examples=25)
@given(
    st.integers(1, 5).flatmap(lambda d: st.tuples(
        st.just(d), st.lists(st.integers(1, 9), min_size=d, max_size=d),
        st.lists(st.integers(d + 1, 30), min_size=1, max_size=4), st.sampled_from(ESTIMATORS)))
)
def test_inequalities_every_law_must_satisfy(args):
    """Cauchy-Schwarz, Jensen and E det < 1 (unbiased, d >= 2) at random settings."""
    d, eig, sizes, est = args
    with mpmath.workdps(30):
        v = {q: S.evaluate(q, sizes, d, eig, est, dps=30) for q in EXACT}
        assert v["mean_sq_trace"] / d <= v["mean_trace_sq"] * (1 + mpmath.mpf(10) ** -25) <= v["mean_sq_trace"] * (1 + mpmath.mpf(10) ** -25)
        assert v["mean_logdet"] < mpmath.log(v["mean_det_ratio"])  # Jensen, strict
        assert v["var_logdet"] > 0 and v["mean_sq_mu"] > 0
        if est == "unbiased" and d >= 2:
            assert v["mean_det_ratio"] < 1 and abs(v["mean_trace"] - sum(eig)) < mpmath.mpf(10) ** -25


# ---------------------------------------------------------------------------------------------------------
# series: remainder order against the exact forms at high precision


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("quantity", EXACT)
def test_series_remainder_order(quantity, estimator):
    """(exact - series_k) equals the degree-(k+1) terms up to O(M^-(k+2)), k = 1, 2, 3, at unequal sizes."""
    args = (3, (1, 2, 3), estimator)
    for k in (1, 2, 3):
        low, high = S.series(quantity, k, *args), S.series(quantity, k + 1, *args)
        ratios = []
        for e in (4, 6):
            sizes = [10**e, 2 * 10**e, 5 * 10**e]
            with mpmath.workdps(70):
                err = S.evaluate(quantity, sizes, *args, dps=70) - low.evaluate(sizes, 70)
                nxt = high.evaluate(sizes, 70) - low.evaluate(sizes, 70)
                if nxt == 0:
                    assert abs(err) < mpmath.mpf(10) ** (-e * (k + 2) + 2)
                    continue
                ratios.append(err / nxt)
        for e, r in zip((4, 6), ratios):
            assert abs(r - 1) < 20 * mpmath.mpf(10) ** -e


def test_series_of_one_refit_factors_by_hand():
    assert S.series("mean_det_ratio", 2, dim=3).coefficients == {(): 1, (1,): -3, (1, 1): 9, (2,): -1}
    assert S.series("mean_sq_mu", 2, dim=2, estimator="mle").coefficients == {(1,): 2, (1, 1): -2}


# ---------------------------------------------------------------------------------------------------------
# E W2^2


def test_w2_series_at_d1_is_the_1d_models_series():
    for estimator in ESTIMATORS:
        for order in (1, 2):
            assert S.w2_series(order, dim=1, estimator=estimator).coefficients == \
                G1.series("mean_w2sq", order, estimator).coefficients


def test_w2_leading_term_as_a_function_of_d():
    ident = S.w2_series_identity()
    assert sp.factor(ident[(1,)] - S.d * (S.d + 5) / 4) == 0
    assert ident == {(1,): S.d * (S.d + 5) / 4, (2,): S.d * (2 * S.d**2 + 17 * S.d + 9) / 64,
                     (1, 1): -S.d * (2 * S.d**2 + 3 * S.d - 1) / 32}
    assert S.w2_series_identity("mle")[(1,)] == ident[(1,)]
    for dim in (2, 3, 5):  # the identity polynomials against the general contraction at Sigma_0 = I
        ser = S.w2_series(2, dim=dim).coefficients
        assert ser == {a: c.subs(S.d, dim) for a, c in ident.items()}
    # general Sigma_0: (5/4 tr Sigma_0 + 1/2 sum_ij l_i l_j/(l_i + l_j)) sum 1/M_i
    lam = (sp.Rational(1, 2), sp.Integer(2), sp.Integer(3))
    lead = sp.Rational(5, 4) * sum(lam) + sp.Rational(1, 2) * sum(a * b / (a + b) for a in lam for b in lam)
    assert S.w2_series(1, dim=3, eigenvalues=lam).coefficients == {(1,): lead}


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_w2_remainder_against_the_exact_one_refit_at_d2(estimator):
    """d = 2, Sigma_0 = I, g = 1: (exact - series_2) M^3 converges (remainder O(M^-3)); with the order-2 terms
    dropped it grows like M (so the check sees a wrong order-2 coefficient)."""
    vals, without = [], []
    for M in (10**3, 10**4, 10**5, 10**6):
        with mpmath.workdps(60):
            ex = S._w2_one_generation_d2(M, estimator, mpmath.mp)
            vals.append((ex - S.w2_series(2, dim=2, estimator=estimator).evaluate([M], 60)) * mpmath.mpf(M) ** 3)
            without.append((ex - S.w2_series(1, dim=2, estimator=estimator).evaluate([M], 60)) * mpmath.mpf(M) ** 3)
    for a, b, M in zip(vals, vals[1:], (10**3, 10**4, 10**5)):
        assert abs(a - b) < 20 * abs(b) / M
    assert abs(without[-1] / vals[-1]) > 1e5


def test_one_refit_d2_exact_against_the_eigenvalue_density():
    """E tr W^{1/2}, W ~ W_2(n, I), by 2D quadrature (scipy) of the ordered eigenvalue density (n = 6, 11)."""
    import math

    from scipy.integrate import dblquad

    for n in (6, 11):
        dens = lambda l2, l1: (l1 - l2) * (l1 * l2) ** ((n - 3) / 2) * math.exp(-(l1 + l2) / 2 + n)  # noqa: E731
        Z = dblquad(dens, 0, math.inf, 0, lambda l1: l1, epsabs=0, epsrel=1e-12)[0]
        N_ = dblquad(lambda l2, l1: dens(l2, l1) * (math.sqrt(l1) + math.sqrt(l2)), 0, math.inf, 0, lambda l1: l1,
                     epsabs=0, epsrel=1e-12)[0]
        via_quad = 2 / (n + 1) + 4 - 2 * (N_ / Z) / math.sqrt(n)  # E W2^2 after one refit of M = n + 1 (unbiased)
        assert abs(float(S._w2_one_generation_d2(n + 1, "unbiased", mpmath.mp)) - via_quad) < 1e-9


def _two_stage_moments(entries):
    """Exact E[prod Y_ab] of the normalized chain at d = 2, g = 2 (Bartlett factors of both refits), to order 2."""
    M0, M1 = G1.size_symbols(2)
    A0, law0 = S.bartlett(2, M0, "a")
    A1, law1 = S.bartlett(2, M1, "b")
    x, y, z = sp.symbols("x y z", real=True)
    L = sp.Matrix([[x, 0], [y, z]])
    Y = (L * A1 * A1.T * L.T / ((M0 - 1) * (M1 - 1)) - sp.eye(2)).applyfunc(sp.expand)
    e = sp.symbols("e_0 e_1", positive=True)
    n0, n1, u0, u1 = sp.symbols("n_0 n_1 u_0 u_1", positive=True)
    out = {}
    for idx in entries:
        prod = sp.Mul(*(Y[idx[r], idx[(r + 1) % len(idx)]] for r in range(len(idx))))
        inner = sp.expand(expectation(sp.expand(prod), law1).subs({x: A0[0, 0], y: A0[1, 0], z: A0[1, 1]}))
        value = expectation(inner, law0)
        ex = sp.expand(sp.expand(value.subs({M0: n0 + 1, M1: n1 + 1})).subs({n0: 1 / u0, n1: 1 / u1}))
        low = sp.Add(*(c * u0**a * u1**b for (a, b), c in sp.Poly(ex, u0, u1).terms() if a + b <= 2))
        low = sp.expand(low.subs({u0: e[0] + e[0] ** 2, u1: e[1] + e[1] ** 2}))
        out[idx] = sp.Add(*(c * e[0] ** a * e[1] ** b for (a, b), c in sp.Poly(low, *e).terms() if a + b == 2))
    return out, e


def _pattern_count(name, idx):
    """The moment pattern of ``name`` at explicit index values (d = 2; internal indices summed)."""
    k, pattern = S.MOMENT_PATTERNS[name]
    names, slots = S._cycle(k)
    total = 0
    for term in pattern(slots):
        internal = sorted({v for pair in term for v in pair} - set(names))
        for vals in itertools.product(range(2), repeat=len(internal)):
            value = dict(zip(names, idx)) | dict(zip(internal, vals))
            total += all(value[a] == value[b] for a, b in term)
    return total


def test_normalized_chain_moments_entrywise_at_d2():
    """Every entry class of E[Y_ij Y_jk Y_ki] and E[Y_ij Y_jk Y_kl Y_li] at order 2 equals the moment tensors
    the series is built from: (sum e_l^2) K3 + e_0 e_1 Q and (e_0 + e_1)^2 (GG + GG + GG)."""
    third = [(0, 0, 0), (0, 0, 1), (0, 1, 1)]
    fourth = [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 1, 0, 1)]
    values, e = _two_stage_moments(third + fourth)
    for idx in third:
        predicted = (e[0] ** 2 + e[1] ** 2) * _pattern_count("k3", idx) + e[0] * e[1] * _pattern_count("q", idx)
        assert sp.expand(values[idx] - predicted) == 0, idx
    for idx in fourth:
        assert sp.expand(values[idx] - (e[0] + e[1]) ** 2 * _pattern_count("pi4", idx)) == 0, idx


def test_daleckii_krein_expansion_at_random_matrices():
    """tr (B + tH)^{1/2}: the Taylor coefficients 2, 3, 4 in t equal the divided-difference formula (d = 4)."""
    import random

    rng = random.Random(3)
    d = 4
    with mpmath.workdps(40):
        lam = [mpmath.mpf(rng.uniform(0.3, 3)) for _ in range(d)]
        lam[2] = lam[1]  # a repeated eigenvalue: the confluent divided differences
        H = mpmath.matrix(d, d)
        for a in range(d):
            for b in range(a + 1):
                H[a, b] = H[b, a] = mpmath.mpf(rng.uniform(-1, 1))
        B = mpmath.diag([v**2 for v in lam])
        taylor = mpmath.taylor(lambda t: mpmath.fsum(mpmath.sqrt(x) for x in mpmath.eigsy(B + t * H)[0]), 0, 4)
        for k in (2, 3, 4):
            term = S.bures_taylor_term(k, lam, H)
            assert abs(taylor[k] - term) < mpmath.mpf(10) ** -15 * max(1, abs(taylor[k])), k


def test_w2_invariants_relations_and_symmetry():
    lam = (1, 2, 3)
    inv = S.w2_invariants(lam)
    assert inv["q"] == 3 * inv["k3"] and inv["a2"] == -sp.Rational(6, 4)
    assert S.w2_invariants((3, 1, 2)) == inv  # a function of the eigenvalues as a set
    assert S.w2_invariants((0.1, 0.2)) == S.w2_invariants((sp.Rational(1, 10), sp.Rational(1, 5)))


def test_theory_records_every_generation_in_one_pass():
    res = S.theory(sizes=(8, 12, 9), dim=2, cov_eigenvalues=(1, 4), record="all")
    assert [r.generation for r in res] == [1, 2, 3]
    for r in res:
        prefix = (8, 12, 9)[: r.generation]
        assert r.exact["mean_trace_sq"] == pytest.approx(S.evaluate("mean_trace_sq", prefix, 2, (1, 4)), rel=1e-15)
        assert r.series["mean_w2sq"] == pytest.approx(S.w2_series(2, 2, (1, 4)).evaluate(list(prefix), 30), rel=1e-15)
    # W2 is exact at d = 2 with equal eigenvalues after one refit only
    iso = S.theory(sizes=(8, 12), dim=2, cov_eigenvalues=(2, 2), record="all")
    assert iso[0].exact["mean_w2sq"] is not None and iso[1].exact["mean_w2sq"] is None
    assert iso[0].exact["mean_w2sq"] == pytest.approx(2 * float(S._w2_one_generation_d2(8, "unbiased", mpmath.mp)))
