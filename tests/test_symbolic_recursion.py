"""The moment-recursion runner: its algebras agree with each other, the pruned (one monomial per composition)
series equals the full polynomial series, the quasi-shuffle product equals explicit multiplication, and the
step-coefficient expansion matches mpmath."""

from __future__ import annotations

import itertools
import random

import mpmath
import pytest
import sympy as sp

from modelcollapse._validation import ParameterError
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.symbolic.recursion import (
    ExactAlgebra,
    LinearRecursion,
    MpmathAlgebra,
    PolynomialSeriesAlgebra,
    QuasiSymmetricAlgebra,
    Step,
    closed_form,
    run,
)
from modelcollapse.symbolic.series import EPS, QuasiSymmetricSeries, eps_ring, expansion, quasi_shuffle, truncate

ESTIMATORS = ("unbiased", "mle")
CASES = [(q, est) for q in G.QUANTITIES for est in ESTIMATORS]


def _steps(sizes):
    return [Step({G.M: m}, "degenerate" if m == 1 else "generic") for m in sizes]


# ---------------------------------------------------------------------------------------------------------
# the algebras agree


@pytest.mark.parametrize(("quantity", "estimator"), CASES)
def test_exact_mpmath_and_series_algebras_agree(quantity, estimator):
    """Every output of the recursion: SymPy (exact, then 60 digits) = mpmath at 50 digits; the order-k series
    at large unequal sizes is within O(M^-(k+1)) of the mpmath value."""
    rec = G.recursion(quantity, estimator)
    sizes = [10, 30, 7, 2, 13] if estimator == "unbiased" else [10, 30, 1, 2, 13]
    exact = run(rec, _steps(sizes), ExactAlgebra({G.sigma: 1}))
    numeric = run(rec, _steps(sizes), MpmathAlgebra(50, {G.sigma: 1}))
    assert exact.keys() == numeric.keys() == rec.outputs.keys()
    with mpmath.workdps(50):
        for name, value in exact.items():
            if value in (sp.nan, -sp.oo):  # mle, a refit of one point: V = 0
                assert str(numeric[name]) == str(mpmath.mpf(float(value)))
                continue
            reference = mpmath.mpf(str(sp.N(value, 60)))
            assert mpmath.almosteq(reference, numeric[name], rel_eps=mpmath.mpf(10) ** -48, abs_eps=mpmath.mpf(10) ** -48)
    order, big = 3, [10**6 * p for p in (1, 2, 5, 3)]
    series = run(rec, [Step({G.M: 1 / EPS})] * order, QuasiSymmetricAlgebra(order, {G.sigma: 1}))
    numeric = run(rec, _steps(big), MpmathAlgebra(40, {G.sigma: 1}))
    with mpmath.workdps(40):
        for name, value in series.items():
            assert abs(value.evaluate(big, 40) - numeric[name]) < 100 * mpmath.mpf(10) ** (-6 * (order + 1))


@pytest.mark.parametrize(("quantity", "estimator"), CASES)
def test_pruned_series_equals_full_polynomial_series(quantity, estimator):
    """One monomial per composition (order steps) against every monomial in order + 2 variables, per output."""
    rec = G.recursion(quantity, estimator)
    order, nvars = 4, 6
    pruned = run(rec, [Step({G.M: 1 / EPS})] * order, QuasiSymmetricAlgebra(order, {G.sigma: 1}))
    full = run(rec, [Step({G.M: 1 / EPS})] * nvars, PolynomialSeriesAlgebra(order, nvars, {G.sigma: 1}))
    for name in rec.outputs:
        assert QuasiSymmetricSeries.from_polynomial(full[name], order).coefficients == pruned[name].coefficients


def test_series_polynomial_equals_expanded_series_beyond_order():
    """series_polynomial (full algebra, nvars > order) is the quasi-symmetric series written out."""
    for quantity, estimator in [("var_w2sq", "unbiased"), ("mean_sigma", "mle"), ("var_log_sigma2", "mle")]:
        order, nvars = 4, 7
        R, gens = eps_ring(nvars)
        expected = _ring_polynomial(G.series(quantity, order, estimator), R, gens)
        assert G.series_polynomial(quantity, order, estimator, nvars) == expected


def test_record_all_returns_every_generation():
    rec = G.recursion("var_x")
    history = run(rec, _steps([4, 8, 2]), ExactAlgebra({G.sigma: 1}), record="all")
    assert [h["second"] - h["first"] ** 2 for h in history] == [1, sp.Rational(5, 4), sp.Rational(11, 8), sp.Rational(15, 8)]


# ---------------------------------------------------------------------------------------------------------
# the quasi-shuffle product


def _ring_polynomial(s: QuasiSymmetricSeries, R, gens):
    out = R.zero
    for alpha, c in s.coefficients.items():
        for idx in itertools.combinations(range(len(gens)), len(alpha)):
            term = R.domain.convert(c)
            for i, a in zip(idx, alpha, strict=True):
                term *= gens[i] ** a
            out += term
    return out


def _random_series(rng: random.Random, order: int) -> QuasiSymmetricSeries:
    coefficients = {}
    for n in range(order + 1):
        for alpha in _compositions(n):
            if rng.random() < 0.7:
                coefficients[alpha] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 5))
    return QuasiSymmetricSeries(coefficients, order)


def _compositions(n):
    if n == 0:
        return [()]
    return [(k, *rest) for k in range(1, n + 1) for rest in _compositions(n - k)]


@pytest.mark.parametrize("seed", range(3))
def test_quasi_shuffle_product_equals_explicit_multiplication(seed):
    """(a*b) written out in 6 variables = truncation of (a written out) * (b written out), for order 5."""
    rng = random.Random(seed)
    order, nvars = 5, 6
    a, b = _random_series(rng, order), _random_series(rng, order - 1)
    R, gens = eps_ring(nvars)
    product = truncate(_ring_polynomial(a, R, gens) * _ring_polynomial(b, R, gens), order - 1)
    assert (a * b).order == order - 1
    assert _ring_polynomial(a * b, R, gens) == product
    assert _ring_polynomial(a - b, R, gens) == truncate(_ring_polynomial(a, R, gens) - _ring_polynomial(b, R, gens), order - 1)


def test_quasi_shuffle_counts():
    """The number of quasi-shuffles of lengths p and q is the Delannoy number D(p, q)."""
    delannoy = {(1, 1): 3, (2, 1): 5, (2, 2): 13, (3, 2): 25, (3, 3): 63}
    for (p, q), d in delannoy.items():
        assert sum(quasi_shuffle((1,) * p, (2,) * q).values()) == d


# ---------------------------------------------------------------------------------------------------------
# the step-coefficient expansion


@pytest.mark.parametrize(
    "expr",
    [
        sp.sqrt(2) * sp.gamma(1 / (2 * EPS)) / (sp.sqrt(1 / EPS - 1) * sp.gamma(1 / (2 * EPS) - sp.Rational(1, 2))),
        sp.gamma(1 / EPS + 3) / ((1 / EPS) ** 3 * sp.gamma(1 / EPS)) * (1 + EPS) ** sp.Rational(-5, 3),
        sp.polygamma(1, 1 / (3 * EPS) + sp.Rational(1, 4)) / (3 * EPS),
        sp.polygamma(2, 1 / EPS) / EPS**2,
        sp.polygamma(1, 1 / EPS) / EPS**5 - 1 / EPS**4 - 1 / (2 * EPS**3) - 1 / (6 * EPS**2) + sp.Rational(1, 30),
        sp.polygamma(0, 1 / EPS - sp.Rational(1, 2)) - sp.log(1 / EPS + 2),
        (sp.polygamma(0, 1 / (2 * EPS)) + sp.log(2 * EPS)) ** 2 / EPS**2,
    ],
)
def test_expansion_matches_mpmath(expr):
    """The order-8 expansion leaves an O(eps^9) remainder: the scaled error settles as eps shrinks."""
    order = 8
    coefficients = expansion(expr, order)
    f = sp.lambdify(EPS, expr, modules="mpmath")
    with mpmath.workdps(80):
        scaled = []
        for eps in (mpmath.mpf(10) ** -3, mpmath.mpf(10) ** -4):
            approx = sum(mpmath.mpf(c.p) / c.q * eps**n for n, c in enumerate(coefficients))
            scaled.append(abs(f(eps) - approx) / eps ** (order + 1))
        assert scaled[1] < 10 * (scaled[0] + 1) and scaled[1] < 10**6


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (sp.gamma(2 / EPS) / sp.gamma(1 / EPS) ** 2, "no power series"),  # grows like 4^M
        (sp.sqrt(EPS), "no power series"),
        (sp.gamma(1 / (2 * EPS)) / (sp.sqrt(1 / EPS) * sp.gamma(1 / (2 * EPS) - sp.Rational(1, 2))), "is not rational"),
        (sp.gamma(1 / EPS**2), "must be a/EPS"),
        (sp.sin(1 / EPS), "cannot expand"),
        (sp.log(1 / EPS) ** -1, "positive integer power"),
    ],
)
def test_expansion_refuses_what_has_no_power_series(expr, message):
    with pytest.raises(ArithmeticError, match=message):
        expansion(expr, 3)


# ---------------------------------------------------------------------------------------------------------
# the description, growing label sets, symbolic g and errors


def _counter(g: int) -> LinearRecursion:
    """Label k counts the steps after the k-th: the label set grows, one new label per step (table k)."""
    n = sp.Symbol("n")
    tables = {f"step{k}": {**{j: {j: 1, "1": n} for j in range(k)}, k: {"1": n}, "1": {"1": 1}} for k in range(g)}
    return LinearRecursion(
        labels=("1", *range(g)), initial={"1": 1}, tables=tables, outputs={"total": dict.fromkeys(range(g), 1)}, symbols=(n,)
    )


def test_labels_may_grow_with_the_steps():
    rec = _counter(4)
    steps = [Step({sp.Symbol("n"): 1}, f"step{k}") for k in range(4)]
    history = run(rec, steps, ExactAlgebra(), record="all")
    assert [h["total"] for h in history] == [0, 1, 3, 6, 10]  # sum_k (i - k) over the labels reached


def test_steps_may_assign_several_symbols():
    """Coefficients in more than the sample size: a pooled count N and the generation index i (exact, mpmath),
    and a fixed real-data count R next to the sample size M (series, M = 1/eps)."""
    N, i, M, R = sp.symbols("N i M R", positive=True)
    pooled = LinearRecursion(
        labels=("1", "v"), initial={"1": 1}, tables={"generic": {"1": {"1": 1}, "v": {"v": 1, "1": (i + 1) / N}}},
        outputs={"v": {"v": 1}}, symbols=(N, i),
    )
    steps = [Step({N: n, i: k}) for k, n in enumerate((10, 30, 60))]
    assert run(pooled, steps, ExactAlgebra())["v"] == sp.Rational(1, 10) + sp.Rational(2, 30) + sp.Rational(3, 60)
    with mpmath.workdps(30):
        assert abs(run(pooled, steps, MpmathAlgebra(30))["v"] - mpmath.mpf(13) / 60) < mpmath.mpf(10) ** -29
    mixed = LinearRecursion(
        labels=("1", "v"), initial={"1": 1}, tables={"generic": {"1": {"1": 1}, "v": {"v": 1, "1": 1 / (M + R)}}},
        outputs={"v": {"v": 1}}, symbols=(M, R),
    )
    series = run(mixed, [Step({M: 1 / EPS, R: 3})] * 3, QuasiSymmetricAlgebra(3))["v"]
    assert series.coefficients == {(1,): 1, (2,): -3, (3,): 9}  # sum_i eps_i / (1 + 3 eps_i)


def test_closed_form_matches_the_runner():
    """The symbolic-g solution of a quantity's table equals the runner at explicit sizes."""
    rec = G.recursion("mean_w2sq", "mle")
    forms = closed_form(rec, G.g, lambda i: {G.M: G.Mi[i]})
    sizes = (5, 3, 9)
    explicit = run(rec, _steps(sizes), ExactAlgebra())
    at = forms["value"].subs(G.g, len(sizes)).doit().subs({G.Mi[i]: m for i, m in enumerate(sizes)}).doit()
    assert sp.simplify(at - explicit["value"]) == 0


def test_closed_form_needs_a_triangular_table():
    x = sp.Symbol("x")
    rec = LinearRecursion(labels=("a", "b"), initial={"a": 1}, tables={"generic": {"a": {"b": x}, "b": {"a": x}}}, outputs={"a": {"a": 1}}, symbols=(x,))
    with pytest.raises(ParameterError, match="table 'generic' must be triangular"):
        closed_form(rec, G.g, lambda i: {x: i})


def test_transitions_are_the_identity_at_infinite_size():
    """The premise of the quasi-symmetric algebra: every table is the identity at eps = 0."""
    for quantity, estimator in CASES:
        rec = G.recursion(quantity, estimator)
        for target, row in rec.tables["generic"].items():
            for source, c in row.items():
                assert expansion(c.subs(G.M, 1 / EPS), 0) == ((1 if source == target else 0),)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: LinearRecursion(("a", "a"), {}, {}, {}, ()), r"labels must be distinct"),
        (lambda: LinearRecursion(("a",), {"b": 1}, {}, {}, ()), r"initial names 'b', which must be one of labels"),
        (lambda: LinearRecursion(("a",), {}, {"t": {"a": {"c": 1}}}, {}, ()), r"tables\['t'\]\['a'\] names 'c'"),
        (lambda: run(G.recursion("var_x"), [Step({G.M: 3}, "other")], ExactAlgebra()), r"table must be one of generic \(got 'other'\)"),
        (lambda: run(G.recursion("var_x"), [Step({})], ExactAlgebra()), r"steps\[0\] must assign every step symbol M"),
        (lambda: run(G.recursion("var_x"), [3], ExactAlgebra()), r"steps\[0\] must be a Step \(got 3 of type int\)"),
        (lambda: run(G.recursion("var_x"), [], ExactAlgebra(), record="some"), r"record must be one of final, all \(got 'some'\)"),
        (lambda: run(G.recursion("var_x"), [Step({G.M: G.M})], MpmathAlgebra(20, {G.sigma: 1})), r"needs rational step values \(got M = M\)"),
        (lambda: run(G.recursion("var_x"), [], MpmathAlgebra(20)), r"constants must be numbers once parameters are substituted \(got sigma\*\*2"),
        (lambda: run(G.recursion("var_x"), [], QuasiSymmetricAlgebra(2)), r"constants must be numbers once parameters are substituted \(got sigma\*\*2"),
        (lambda: MpmathAlgebra(0), r"dps must be an integer >= 1 \(got 0\)"),
        (
            lambda: run(G.recursion("var_x"), [Step({G.M: 1 / EPS})] * 3, PolynomialSeriesAlgebra(2, 2, {G.sigma: 1})),
            r"at most nvars=2 steps \(got step 2\)",
        ),
    ],
)
def test_errors_name_parameter_constraint_and_value(call, message):
    with pytest.raises(ParameterError, match=message):
        call()
