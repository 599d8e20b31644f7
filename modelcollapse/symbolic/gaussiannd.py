r"""The N-dimensional Gaussian model of collapse: recursive refitting of :math:`\mathcal{N}(\mu, \Sigma)`.

Generation :math:`i` draws :math:`M_i` points from :math:`\mathcal{N}(\mu_i, \Sigma_i)` in :math:`d` dimensions
and refits the sample mean and the sample covariance (divisor :math:`D_i = M_i - 1`, *unbiased*, or
:math:`D_i = M_i`, *mle*).  One refit is exactly

.. math::  \mu_{i+1} = \mu_i + L_i Z / \sqrt{M_i}, \qquad \Sigma_{i+1} = L_i\, W\, L_i^{\mathsf T} / D_i,
           \qquad W \sim \mathcal{W}_d(M_i - 1, I),

for any factor :math:`L_i L_i^{\mathsf T} = \Sigma_i`, with :math:`Z` and :math:`W` independent of each other
and of the past.  **Bartlett's decomposition** writes :math:`W = A A^{\mathsf T}` with :math:`A` lower
triangular, :math:`A_{kk}^2 \sim \chi^2_{M_i - k}` (:math:`k = 1, \dots, d`) and :math:`A_{kl} \sim
\mathcal{N}(0,1)` below the diagonal, all independent; so :math:`L_{i+1} = L_i A/\sqrt{D_i}` stays
triangular and :math:`\det\Sigma_g/\det\Sigma_0 = \prod_i\prod_k \chi^2_{M_i-k}/D_i` is a product of
independent scaled chi-squares.

**Rotation invariance.**  For an orthogonal :math:`O`, :math:`\mathcal{W}_d(n, O\Sigma O^{\mathsf T}) =
O\,\mathcal{W}_d(n, \Sigma)\,O^{\mathsf T}` in law and :math:`O L Z` has the law of :math:`L Z` rotated, so
the chain started from :math:`(O\mu, O\Sigma_0 O^{\mathsf T})` is the rotated chain.  Every quantity here
(traces, determinants, :math:`\|\mu_g - \mu\|`, eigenvalues, the Bures--Wasserstein distance to the start)
is invariant under that rotation: it depends on :math:`\Sigma_0` through its eigenvalues only.  The
derivation steps check the one-step transitions with a non-diagonal :math:`\Sigma` against the diagonal
ones (:func:`rotation_check`).

Everything below is derived from the one step with the expectation engine
(:mod:`modelcollapse.symbolic.expectation`):

* :func:`step_moment` -- one refit's factors: :math:`E\,\mathrm{tr}\,\Sigma'/\mathrm{tr}\,\Sigma`, the
  chi-square laws of :math:`\log\det`, :math:`E\det`;
* :func:`second_moment_transition` -- :math:`(E\,\mathrm{tr}\,\Sigma'^2, E(\mathrm{tr}\,\Sigma')^2)` as a linear
  map of :math:`(\mathrm{tr}\,\Sigma^2, (\mathrm{tr}\,\Sigma)^2)`: a closed 2x2 recursion whose matrices
  commute for all sizes, solved in closed form by :func:`second_moment_modes`;
* :func:`exact`, :func:`exact_symbolic_g`, :func:`evaluate` (mpmath, any precision) and :func:`series`
  (quasi-symmetric series in :math:`\varepsilon_i = 1/M_i`, any order);
* :func:`w2_series` -- :math:`E\,W_2^2` has no closed form for :math:`d \ge 2`: its 1/M series to order 2,
  from a perturbation of the Bures term around :math:`\Sigma_0` (:func:`w2_invariants`).

Values are absolute, for :math:`\Sigma_0 = \mathrm{diag}(\lambda_1, \dots, \lambda_d)` and :math:`\mu = 0`
(log det and det relative to :math:`\Sigma_0`).
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from .._validation import MAX_DIGITS, MAX_ORDER, ParameterError, check_estimator, check_integer, check_sizes
from ..models import TheoryResult
from . import gaussian1d as G1
from .expectation import ChiSquare, Law, StandardNormal, expectation
from .recursion import ExactAlgebra, LinearRecursion, MpmathAlgebra, QuasiSymmetricAlgebra, Step, closed_form, run
from .series import EPS, QuasiSymmetricSeries

__all__ = [
    "QUANTITIES",
    "SIMULATION_ONLY",
    "W2_MAX_ORDER",
    "bartlett",
    "bures_taylor_term",
    "check_model",
    "evaluate",
    "exact",
    "exact_symbolic_g",
    "second_moment_modes",
    "second_moment_transition",
    "series",
    "step_moment",
    "theory",
    "w2_invariants",
    "w2_linear_forms",
    "w2_series",
    "w2_series_identity",
]

M = sp.Symbol("M", positive=True, integer=True)
Mi = sp.IndexedBase("M", positive=True, integer=True)
g = sp.Symbol("g", nonnegative=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
kk = sp.Symbol("k", positive=True, integer=True)
T1 = sp.Symbol(r"\operatorname{tr}\Sigma_0", positive=True)
T2 = sp.Symbol(r"\operatorname{tr}(\Sigma_0^2)", positive=True)
T11 = sp.Symbol(r"(\operatorname{tr}\Sigma_0)^2", positive=True)

QUANTITIES = (
    "mean_sq_mu",
    "mean_trace",
    "mean_trace_sq",
    "mean_sq_trace",
    "mean_logdet",
    "var_logdet",
    "mean_det_ratio",
    "mean_w2sq",
)
"""Quantities with a theory form (exact, or the 1/M series for ``mean_w2sq``); keys of the JSON output."""

SIMULATION_ONLY = ("mean_lambda_min", "prob_lambda_min_below")
r"""Quantities given by simulation only: :math:`E\,\lambda_{\min}(\Sigma_g)` and
:math:`P(\lambda_{\min}(\Sigma_g) < \varepsilon)`."""

W2_MAX_ORDER = 2
"""Highest order of the derived 1/M series of ``mean_w2sq``."""

_LATEX = {
    "mean_sq_mu": r"E\,\|\mu_g - \mu\|^2",
    "mean_trace": r"E\,\operatorname{tr}\Sigma_g",
    "mean_trace_sq": r"E\,\operatorname{tr}(\Sigma_g^2)",
    "mean_sq_trace": r"E\,(\operatorname{tr}\Sigma_g)^2",
    "mean_logdet": r"E\log\frac{\det\Sigma_g}{\det\Sigma_0}",
    "var_logdet": r"\operatorname{Var}\log\det\Sigma_g",
    "mean_det_ratio": r"E\,\frac{\det\Sigma_g}{\det\Sigma_0}",
    "mean_w2sq": r"E\,W_2^2",
    "mean_lambda_min": r"E\,\lambda_{\min}(\Sigma_g)",
    "prob_lambda_min_below": r"P(\lambda_{\min}(\Sigma_g) < \epsilon)",
}
_POWER = {"mean_sq_mu": 1, "mean_trace": 1, "mean_trace_sq": 2, "mean_sq_trace": 2, "mean_logdet": 0,
          "var_logdet": 0, "mean_det_ratio": 0, "mean_w2sq": 1, "mean_lambda_min": 1, "prob_lambda_min_below": 0}


def latex_name(quantity: str) -> str:
    """LaTeX for a quantity, e.g. ``E\\, W_2^2``."""
    return _LATEX[_check_quantity(quantity, SIMULATION_ONLY)]


def scale_power(quantity: str) -> int:
    """The power of the covariance scale a quantity carries: ``Sigma_0 -> s Sigma_0`` multiplies it by ``s**p``."""
    return _POWER[_check_quantity(quantity, SIMULATION_ONLY)]


def _check_quantity(quantity: str, extra: Sequence[str] = ()) -> str:
    if quantity not in (*QUANTITIES, *extra):
        raise ParameterError(f"quantity must be one of {', '.join((*QUANTITIES, *extra))} (got {quantity!r})")
    return quantity


# ---------------------------------------------------------------------------------------------------------
# parameters


def check_model(dim: Any, eigenvalues: Any = None, sizes: Any = None, estimator: str = "unbiased") -> tuple:
    """Validate ``(dim, eigenvalues, sizes, estimator)``; return them normalized.

    ``eigenvalues`` ``None`` means the identity.  Eigenvalues become exact rationals read from their decimal
    representation (``0.1`` is 1/10).  Errors name the parameter, the constraint and the value.

    >>> check_model(2, (1, 0.5), (10, 20))[1]
    (1, 1/2)
    >>> check_model(2, (1, 2, 3))
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: cov_eigenvalues must hold dim = 2 values (got 3: 1, 2, 3)
    """
    dim = check_integer("dim", dim, minimum=1)
    estimator = check_estimator(estimator)
    if eigenvalues is None:
        eig = (sp.Integer(1),) * dim
    else:
        if isinstance(eigenvalues, (str, bytes)) or not isinstance(eigenvalues, Sequence):
            raise ParameterError(f"cov_eigenvalues must be a sequence of numbers > 0 (got {eigenvalues!r})")
        if len(eigenvalues) != dim:
            shown = ", ".join(str(v) for v in eigenvalues)
            raise ParameterError(f"cov_eigenvalues must hold dim = {dim} values (got {len(eigenvalues)}: {shown})")
        eig = tuple(_exact_positive(f"cov_eigenvalues[{i}]", v) for i, v in enumerate(eigenvalues))
    out_sizes = None if sizes is None else check_sizes(sizes, estimator)
    return dim, eig, out_sizes, estimator


def _exact_positive(name: str, value: Any) -> sp.Rational:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number > 0, not a boolean (got {value!r})")
    if isinstance(value, (sp.Rational, Fraction, int)):
        out = sp.Rational(value)
    else:
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be a finite number > 0 (got {value!r})") from None
        if not mpmath.isfinite(f):
            raise ParameterError(f"{name} must be a finite number > 0 (got {value!r})")
        out = sp.Rational(repr(f))
    if not out > 0:
        raise ParameterError(f"{name} must be a finite number > 0 (got {value!r})")
    return out


def divisor(size: sp.Expr, estimator: str) -> sp.Expr:
    """:math:`D = M - 1` (unbiased) or :math:`M` (mle)."""
    return size - 1 if check_estimator(estimator) == "unbiased" else size


def _power_sums(eig: Sequence[sp.Rational]) -> tuple[sp.Rational, sp.Rational]:
    return sp.Add(*eig), sp.Add(*(v**2 for v in eig))


# ---------------------------------------------------------------------------------------------------------
# One refit, through Bartlett's decomposition and the expectation engine


def bartlett(dim: int, size: sp.Expr = M, tag: str = "") -> tuple[sp.Matrix, dict[sp.Symbol, Law]]:
    r"""Bartlett's factor :math:`A` of :math:`W \sim \mathcal{W}_d(\text{size} - 1, I)` and the law of its symbols.

    :math:`A_{kk} = \sqrt{V_k}` with :math:`V_k \sim \chi^2_{\text{size} - k}` and :math:`A_{kl} = Z_{kl}`
    (:math:`k > l`) standard normal.

    >>> A, law = bartlett(2)
    >>> A
    Matrix([
    [sqrt(V_1),         0],
    [     Z_21, sqrt(V_2)]])
    >>> law[sp.Symbol("V_2", positive=True)]
    ChiSquare(dof=M - 2, divisor=1)
    """
    law: dict[sp.Symbol, Law] = {}
    A = sp.zeros(dim, dim)
    for a in range(dim):
        V = sp.Symbol(f"V{tag}_{a + 1}", positive=True)
        law[V] = ChiSquare(size - 1 - a, 1)
        A[a, a] = sp.sqrt(V)
        for b in range(a):
            Z = sp.Symbol(f"Z{tag}_{a + 1}{b + 1}", real=True)
            law[Z] = StandardNormal()
            A[a, b] = Z
    return A, law


def _diag_sigma(dim: int) -> tuple[tuple[sp.Symbol, ...], sp.Matrix]:
    s = sp.symbols(f"s1:{dim + 1}", positive=True)
    return s, sp.diag(*[sp.sqrt(x) for x in s])


@functools.lru_cache(maxsize=None)
def step_moment(name: str, estimator: str = "unbiased") -> sp.Expr:
    r"""One refit's factors, derived with the engine (``M`` the size, ``k`` the Bartlett index).

    ``"trace"``: :math:`E[\mathrm{tr}\,\Sigma_{i+1} \mid \Sigma_i]/\mathrm{tr}\,\Sigma_i`;
    ``"mu"``: :math:`E[\|\mu_{i+1}\|^2 - \|\mu_i\|^2 \mid \Sigma_i]/\mathrm{tr}\,\Sigma_i`;
    ``"log"``, ``"logvar"``, ``"det"``: :math:`E \log V_k`, :math:`\operatorname{Var}\log V_k`, :math:`E V_k` of
    the :math:`k`-th Bartlett factor :math:`V_k = A_{kk}^2/D \sim \chi^2_{M-k}/D` of
    :math:`\det\Sigma_{i+1}/\det\Sigma_i = \prod_{k=1}^d V_k`.

    >>> step_moment("trace", "mle")
    (M - 1)/M
    >>> step_moment("det")
    (M - k)/(M - 1)
    """
    estimator = check_estimator(estimator)
    D = divisor(M, estimator)
    if name in ("trace", "mu"):
        # a diagonal Sigma_i is no loss of generality (rotation invariance); the result is free of s
        s, L = _diag_sigma(3)
        if name == "trace":
            A, law = bartlett(3)
            value = expectation(sp.expand((L * A * A.T * L).trace() / D), law)
        else:
            Z = sp.Matrix(sp.symbols("z1:4", real=True))
            law = {z: StandardNormal() for z in Z}
            step = L * Z / sp.sqrt(M)
            value = expectation(sp.expand((step.T * step)[0, 0]), law)
        ratio = sp.factor(sp.simplify(value / sp.Add(*s)))
        if ratio.free_symbols & set(s):
            raise ArithmeticError(f"one refit's {name} factor depends on Sigma beyond its trace: {ratio}")
        return ratio
    V = sp.Symbol("V", positive=True)
    law = {V: ChiSquare(M - kk, D)}
    if name == "log":
        return sp.expand(expectation(sp.log(V), law))
    if name == "logvar":
        mean = expectation(sp.log(V), law)
        return sp.simplify(sp.expand(expectation(sp.log(V) ** 2, law) - mean**2))
    if name == "det":
        return sp.cancel(expectation(V, law))
    raise ParameterError(f"step moment must be one of trace, mu, log, logvar, det (got {name!r})")


@functools.lru_cache(maxsize=None)
def second_moment_transition(estimator: str = "unbiased", dim: int = 3) -> dict[str, dict[str, sp.Expr]]:
    r"""One refit of :math:`(E\,\mathrm{tr}\,\Sigma^2, E(\mathrm{tr}\,\Sigma)^2)`, derived with the engine.

    With :math:`\Sigma_i = \mathrm{diag}(s_1, \dots, s_{dim})` (no loss of generality: rotation invariance) the
    engine gives :math:`E[\mathrm{tr}\,\Sigma_{i+1}^2]` and :math:`E[(\mathrm{tr}\,\Sigma_{i+1})^2]` as polynomials
    in the :math:`s_j`; they are linear in :math:`p_2 = \sum s_j^2` and :math:`p_1^2 = (\sum s_j)^2` (checked:
    the match leaves no residual), which closes the recursion.  Returns
    ``{"trace_sq": {"trace_sq": a, "sq_trace": b}, "sq_trace": {...}}`` with coefficients in ``M``.

    >>> second_moment_transition()["trace_sq"]["sq_trace"]
    1/(M - 1)
    """
    estimator = check_estimator(estimator)
    s, L = _diag_sigma(dim)
    A, law = bartlett(dim)
    S = L * A * A.T * L / divisor(M, estimator)
    p1, p2 = sp.Add(*s), sp.Add(*(x**2 for x in s))
    a, b = sp.symbols("a b")
    out = {}
    for key, expr in (("trace_sq", (S * S).trace()), ("sq_trace", S.trace() ** 2)):
        value = sp.expand(expectation(sp.expand(expr), law))
        residual = sp.Poly(sp.expand(value - a * p2 - b * p1**2), *s)
        sol = sp.solve(residual.coeffs(), [a, b], dict=True)
        if len(sol) != 1:
            raise ArithmeticError(f"E {key} after one refit is not linear in tr S^2 and (tr S)^2: {value}")
        out[key] = {"trace_sq": sp.factor(sol[0][a]), "sq_trace": sp.factor(sol[0][b])}
    return out


@functools.lru_cache(maxsize=None)
def second_moment_modes(estimator: str = "unbiased") -> tuple[tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr], ...]:
    r"""The closed-form solution of the 2x2 recursion of :func:`second_moment_transition`.

    The one-step matrix is :math:`T(M) = c(M)^2\,(I + N/n)` with :math:`n = M - 1`, :math:`c = n/D` and a
    constant :math:`N` (checked), so the matrices of all sizes commute and share :math:`N`'s eigenvectors.
    Returns one ``(f_j(M), w_j^{tr S^2}, w_j^{(tr S)^2}, e_j)`` per eigenvalue :math:`e_j` of :math:`N`:
    :math:`E\,\mathrm{tr}\,\Sigma_g^2 = \sum_j w_j^{tr S^2}(\mathrm{tr}\,\Sigma_0^2, (\mathrm{tr}\,\Sigma_0)^2)
    \prod_i f_j(M_i)` with :math:`f_j(M) = n(n + e_j)/D^2`, and the same with the other weights.

    >>> [m[3] for m in second_moment_modes()]
    [-1, 2]
    """
    estimator = check_estimator(estimator)
    T = second_moment_transition(estimator)
    keys = ("trace_sq", "sq_trace")
    Tm = sp.Matrix([[T[r][c] for c in keys] for r in keys])
    n, D = M - 1, divisor(M, estimator)
    c2 = (n / D) ** 2
    N = (Tm / c2 - sp.eye(2)).applyfunc(lambda e: sp.simplify(e * n))
    if any(e.has(M) for e in N):
        raise ArithmeticError(f"the second-moment transitions do not commute: N = {N}")
    P, Dg = N.diagonalize(sort=True)
    w = P.inv() * sp.Matrix([T2, T11])
    modes = []
    for j in range(2):
        e = Dg[j, j]
        modes.append((sp.factor(n * (n + e) / D**2), sp.expand(P[0, j] * w[j]), sp.expand(P[1, j] * w[j]), e))
    return tuple(modes)


def rotation_check(dim: int = 2, estimator: str = "unbiased") -> dict[str, sp.Expr]:
    r"""One refit with a *general* (non-diagonal) :math:`\Sigma = LL^{\mathsf T}`, :math:`L` lower triangular with
    symbolic entries: the engine's :math:`E\,\mathrm{tr}\,\Sigma'^2`, :math:`E(\mathrm{tr}\,\Sigma')^2` minus the
    transition derived with a diagonal :math:`\Sigma` (expressed in the invariants of :math:`LL^{\mathsf T}`), and
    :math:`\det(LAA^{\mathsf T}L^{\mathsf T}) - \det(LL^{\mathsf T})\prod_k A_{kk}^2`.  All are zero: one refit
    depends on :math:`\Sigma` through its eigenvalues only."""
    entries = {}
    L = sp.zeros(dim, dim)
    for a in range(dim):
        for b in range(a + 1):
            L[a, b] = sp.Symbol(f"l_{a + 1}{b + 1}", positive=(a == b), real=True)
            entries[(a, b)] = L[a, b]
    A, law = bartlett(dim)
    S0 = L * L.T
    S = L * A * A.T * L.T / divisor(M, estimator)
    T = second_moment_transition(estimator)
    inv = {"trace_sq": (S0 * S0).trace(), "sq_trace": S0.trace() ** 2}
    out = {}
    for key, expr in (("trace_sq", (S * S).trace()), ("sq_trace", S.trace() ** 2)):
        value = expectation(sp.expand(expr), law)
        predicted = T[key]["trace_sq"] * inv["trace_sq"] + T[key]["sq_trace"] * inv["sq_trace"]
        out[key] = sp.simplify(sp.expand(value - predicted))
    prod_v = sp.Mul(*[A[a, a] ** 2 for a in range(dim)])
    out["det"] = sp.expand((L * A * A.T * L.T).det() - S0.det() * prod_v)
    return out


# ---------------------------------------------------------------------------------------------------------
# The moment recursions (run by symbolic.recursion: exact, mpmath and series algebras)

_GROUPS = {"mean_sq_mu": "first", "mean_trace": "first", "mean_trace_sq": "second", "mean_sq_trace": "second",
           "mean_logdet": "logdet", "var_logdet": "logdet", "mean_det_ratio": "det"}


@functools.lru_cache(maxsize=None)
def moment_recursion(group: str, estimator: str = "unbiased", dim: int | None = None) -> LinearRecursion:
    r"""The model's linear moment recursions, one refit a step (step symbol ``M``), built from the engine's
    one-step factors.

    ``"first"``: :math:`(E\|\mu_i - \mu\|^2, E\,\mathrm{tr}\,\Sigma_i)`, from :math:`\mathrm{tr}\,\Sigma_0`;
    ``"second"``: :math:`(E\,\mathrm{tr}\,\Sigma_i^2, E(\mathrm{tr}\,\Sigma_i)^2)` (:func:`second_moment_transition`);
    ``"logdet"``: the sums of the independent Bartlett log-factors (mean and variance) and the product of their
    means, over :math:`k = 1, \dots, d` (``dim``; ``None`` keeps the symbol ``d``).  Outputs are the quantities.

    >>> r = moment_recursion("first")
    >>> run(r, [Step({M: 10}), Step({M: 20})], ExactAlgebra())["mean_sq_mu"]
    3*\operatorname{tr}\Sigma_0/20
    """
    estimator = check_estimator(estimator)
    if group == "first":
        return LinearRecursion(
            labels=("sq_mu", "trace"),
            initial={"trace": T1},
            tables={"generic": {"sq_mu": {"sq_mu": 1, "trace": step_moment("mu", estimator)},
                                "trace": {"trace": step_moment("trace", estimator)}}},
            outputs={"mean_sq_mu": {"sq_mu": 1}, "mean_trace": {"trace": 1}},
            symbols=(M,),
        )
    if group == "second":
        T = second_moment_transition(estimator)
        return LinearRecursion(
            labels=("trace_sq", "sq_trace"),
            initial={"trace_sq": T2, "sq_trace": T11},
            tables={"generic": {target: dict(row) for target, row in T.items()}},
            outputs={"mean_trace_sq": {"trace_sq": 1}, "mean_sq_trace": {"sq_trace": 1}},
            symbols=(M,),
        )
    if group not in ("logdet", "det"):
        raise ParameterError(f"group must be one of first, second, logdet, det (got {group!r})")
    dimension = d if dim is None else check_integer("dim", dim, minimum=1)

    def over_k(name: str) -> sp.Expr:
        per = step_moment(name, estimator)
        if dim is None:
            return (sp.Product if name == "det" else sp.Sum)(per, (kk, 1, dimension))
        terms = [per.subs(kk, j) for j in range(1, dimension + 1)]
        return sp.Mul(*terms) if name == "det" else sp.Add(*terms)

    if group == "det":  # apart from the logarithms: a singular refit (M <= d) has det 0, log det -inf
        return LinearRecursion(labels=("det",), initial={"det": 1}, tables={"generic": {"det": {"det": over_k("det")}}},
                               outputs={"mean_det_ratio": {"det": 1}}, symbols=(M,))
    return LinearRecursion(
        labels=("1", "log", "logvar"),
        initial={"1": 1},
        tables={"generic": {"1": {"1": 1}, "log": {"log": 1, "1": over_k("log")},
                            "logvar": {"logvar": 1, "1": over_k("logvar")}}},
        outputs={"mean_logdet": {"log": 1}, "var_logdet": {"logvar": 1}},
        symbols=(M,),
    )


# ---------------------------------------------------------------------------------------------------------
# Exact forms


def _as_sizes(sizes: int | Sequence, estimator: str) -> tuple[sp.Expr, ...]:
    if isinstance(sizes, int) and not isinstance(sizes, bool):
        return G1.size_symbols(check_integer("g", sizes, minimum=0, maximum=100))
    return G1._as_sizes(sizes, estimator)  # noqa: SLF001 - the same schedule rules as the 1D model


def _dim_and_invariants(dim: int | None, eigenvalues: Sequence | None) -> tuple[Any, dict[sp.Symbol, Any]]:
    """``(dim or the symbol d, {T1, T2, T11: values})``; symbolic invariants when both are ``None``."""
    if dim is None:
        if eigenvalues is not None:
            raise ParameterError("dim must be given with cov_eigenvalues (got cov_eigenvalues without dim)")
        return d, {}
    dim, eig, _, _ = check_model(dim, eigenvalues)
    p1, p2 = _power_sums(eig)
    return dim, {T1: p1, T2: p2, T11: p1**2}


def exact(
    quantity: str,
    sizes: int | Sequence = 2,
    estimator: str = "unbiased",
    *,
    dim: int | None = None,
    eigenvalues: Sequence | None = None,
) -> sp.Expr:
    r"""Exact closed form after refits of the given sizes (numbers or SymPy symbols; an int ``g`` means symbols).

    Without ``dim`` the form keeps :math:`d` and the invariants :math:`\mathrm{tr}\,\Sigma_0`,
    :math:`\mathrm{tr}(\Sigma_0^2)`, :math:`(\mathrm{tr}\,\Sigma_0)^2` symbolic.  ``mean_w2sq`` has a closed
    form only for ``dim=1`` (the 1D model's).  ``mean_logdet`` of a schedule with some :math:`M_i \le d` is
    :math:`-\infty` (the refit covariance is singular); ``var_logdet`` then raises.

    >>> exact("mean_trace_sq", [5], dim=2)
    7/2
    >>> sp.factor(exact("mean_det_ratio", 1, dim=2))
    (M_0 - 2)/(M_0 - 1)
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    sizes_t = _as_sizes(sizes, estimator)
    dimension, values = _dim_and_invariants(dim, eigenvalues)
    if quantity == "mean_w2sq":
        if dimension != 1:
            raise ParameterError(f"mean_w2sq has an exact form for dim = 1 only (got dim {dimension}); use w2_series")
        scale = values[T1]
        return sp.expand(scale * G1.exact("mean_w2sq", sizes_t, estimator).subs(G1.sigma, 1))
    if quantity in ("mean_logdet", "var_logdet") and isinstance(dimension, int):
        _singular_check(quantity, sizes_t, dimension)
        if any(m.is_number and m <= dimension for m in sizes_t):
            return -sp.oo  # a singular refit: log det = -inf
    group = _GROUPS[quantity]
    rec = moment_recursion(group, estimator, dimension if group in ("logdet", "det") and isinstance(dimension, int) else None)
    out = run(rec, [Step({M: m}) for m in sizes_t], ExactAlgebra())[quantity]
    if group in ("logdet", "det") and not isinstance(dimension, int):
        out = out.subs(d, dimension)
    return sp.expand(out.subs(values)) if values else out


def _singular_check(quantity: str, sizes: Sequence, dim: int) -> None:
    for i, m in enumerate(sizes):
        if m.is_number and m <= dim and quantity == "var_logdet":
            raise ParameterError(
                f"sizes[{i}] must be an integer > dim = {dim} for var_logdet: with M_i <= d the refit covariance "
                f"is singular and log det = -inf (got {m})"
            )


def _singular_generation(sizes: Sequence[int], dim: int) -> int | None:
    """First generation ``i + 1`` whose refit is singular (``M_i <= d``), if any."""
    for i, m in enumerate(sizes):
        if m <= dim:
            return i + 1
    return None


def exact_symbolic_g(quantity: str, estimator: str = "unbiased") -> sp.Expr:
    r"""Exact form for a symbolic number of generations ``g``, sizes ``M[i]``, dimension ``d`` and the invariants
    of :math:`\Sigma_0` (nested ``Sum``/``Product``).

    >>> exact_symbolic_g("mean_trace")
    \operatorname{tr}\Sigma_0
    >>> exact_symbolic_g("mean_det_ratio")
    Product((-k + M[j])/(M[j] - 1), (k, 1, d), (j, 0, g - 1))
    """
    quantity = _check_quantity(quantity)
    estimator = check_estimator(estimator)
    j = sp.Symbol("j", integer=True, nonnegative=True)

    def prod(expr: sp.Expr, var: sp.Symbol, lo: Any, hi: Any) -> sp.Expr:
        expr = sp.simplify(expr)
        return sp.Integer(1) if expr == 1 else sp.Product(expr, (var, lo, hi))

    if quantity == "mean_w2sq":
        raise ParameterError("mean_w2sq has no closed form for d >= 2: see w2_series_identity")
    if quantity in ("mean_trace_sq", "mean_sq_trace"):
        # the 2x2 recursion is not triangular: its commuting steps are solved through N's eigenvectors
        col = 1 if quantity == "mean_trace_sq" else 2
        return sp.Add(*(mode[col] * prod(mode[0].subs(M, Mi[j]), j, 0, g - 1) for mode in second_moment_modes(estimator)))
    group = _GROUPS[quantity]
    form = closed_form(moment_recursion(group, estimator), g, lambda n: {M: Mi[n]}, sum_index="i", product_index="j")
    return form[quantity]


# ---------------------------------------------------------------------------------------------------------
# Exact numeric evaluation (mpmath), every prefix of the schedule in one pass


def _exact_path(quantity: str, sizes: Sequence[int], dim: int, eig: Sequence[sp.Rational], estimator: str,
                ctx: Any) -> list[Any]:
    """Values after generations 1..g (mpmath at the context's precision); ``None`` where undefined."""
    p1, p2 = _power_sums(eig)
    if quantity in _GROUPS:
        group = _GROUPS[quantity]
        rec = moment_recursion(group, estimator, dim if group in ("logdet", "det") else None)
        singular = _singular_generation(sizes, dim) if quantity in ("mean_logdet", "var_logdet") else None
        usable = sizes if singular is None else sizes[: singular - 1]  # log det is -inf from a singular refit on
        algebra = MpmathAlgebra(ctx.dps, parameters={T1: p1, T2: p2, T11: p1**2})
        history = run(rec, [Step({M: m}) for m in usable], algebra, record="all")[1:]
        out = [h[quantity] for h in history]
        if singular is not None:
            out += [ctx.ninf if quantity == "mean_logdet" else None] * (len(sizes) - len(out))
        return out
    out: list[Any] = []
    p1 = ctx.mpf(p1.p) / p1.q
    if quantity == "mean_w2sq":
        isotropic = len(set(eig)) == 1
        for n_gen in range(1, len(sizes) + 1):
            if dim == 1:
                out.append(p1 * G1.evaluate("mean_w2sq", sizes[:n_gen], estimator, dps=ctx.dps))
            elif dim == 2 and isotropic and n_gen == 1:
                out.append(p1 / 2 * _w2_one_generation_d2(sizes[0], estimator, ctx))
            else:
                out.append(None)
        return out
    raise ParameterError(f"no exact form of {quantity}")  # pragma: no cover


def _w2_one_generation_d2(size: int, estimator: str, ctx: Any) -> Any:
    r""":math:`E\,W_2^2` after one refit for :math:`d = 2`, :math:`\Sigma_0 = I`, exactly.

    The ordered eigenvalues of :math:`W \sim \mathcal{W}_2(n, I)` have density proportional to
    :math:`(l_1 - l_2)(l_1 l_2)^{(n-3)/2} e^{-(l_1+l_2)/2}`; in :math:`u = l_1 + l_2`, :math:`w = (l_1 - l_2)/u`
    it factors into :math:`u \sim \chi^2_{2n}` and :math:`1 - w^2 \sim \mathrm{Beta}((n-1)/2, 1)`, and
    :math:`\sqrt{l_1} + \sqrt{l_2} = \sqrt{u}\sqrt{1 + \sqrt{1 - w^2}}`, so
    :math:`E\,\mathrm{tr}\,W^{1/2} = \sqrt 2\,\Gamma(n + \tfrac12)/\Gamma(n)\;{}_2F_1(-\tfrac12, n - 1; n; -1)`.
    """
    n = size - 1
    D = divisor(size, estimator)
    if n == 0:
        return ctx.mpf(2)  # Sigma_1 = 0: W2^2 = ||mu_1||^2 + tr Sigma_0 = 2/M + 2 with M = 1
    nn = ctx.mpf(n)
    tr_sqrt = ctx.sqrt(2) * ctx.gammaprod([nn + ctx.mpf(1) / 2], [nn]) * ctx.hyp2f1(-ctx.mpf(1) / 2, nn - 1, nn, -1)
    return 2 * ctx.mpf(1) / size + 2 * nn / D + 2 - 2 * tr_sqrt / ctx.sqrt(D)


def evaluate(
    quantity: str,
    sizes: Sequence[int],
    dim: int,
    eigenvalues: Sequence | None = None,
    estimator: str = "unbiased",
    *,
    dps: int = 17,
) -> mpmath.mpf | None:
    r"""Exact value for :math:`\Sigma_0 = \mathrm{diag}(\text{eigenvalues})` at ``dps`` digits, in O(g) work.

    ``mean_logdet`` is ``-inf`` once some :math:`M_i \le d`; ``var_logdet`` then raises.  ``mean_w2sq`` has an
    exact value for :math:`d = 1`, and for :math:`d = 2`, :math:`\Sigma_0 \propto I` after one refit; elsewhere
    this raises (use :func:`w2_series`).

    >>> mpmath.nstr(evaluate("mean_det_ratio", [10, 20], dim=3), 12)
    '0.586026469683'
    >>> evaluate("mean_logdet", [3, 20], dim=3)
    mpf('-inf')
    """
    quantity = _check_quantity(quantity)
    dim, eig, sizes_t, estimator = check_model(dim, eigenvalues, sizes, estimator)
    dps = check_integer("dps", dps, minimum=1, maximum=MAX_DIGITS + 100)
    if quantity == "var_logdet":
        _singular_check(quantity, [sp.Integer(m) for m in sizes_t], dim)
    with mpmath.workdps(dps + 10 + 2 * len(str(max(sizes_t)))):
        value = _exact_path(quantity, sizes_t, dim, eig, estimator, mpmath.mp)[-1]
    if value is None:
        raise ParameterError(
            f"mean_w2sq has no exact form at dim = {dim} (closed forms: dim 1; dim 2 with equal eigenvalues after "
            f"one refit); use w2_series (got sizes of length {len(sizes_t)})"
        )
    with mpmath.workdps(dps):
        return +value


# ---------------------------------------------------------------------------------------------------------
# Series in 1/M_i of the exact quantities


def _taylor(expr: sp.Expr, var: sp.Symbol, order: int) -> list[sp.Expr]:
    """Taylor coefficients of ``expr`` at ``var = 0`` up to ``order`` (by differentiation; ``expr`` analytic there)."""
    out, cur = [], sp.sympify(expr)
    for r in range(order + 1):
        out.append(sp.cancel(cur.subs(var, 0)) / sp.factorial(r))
        cur = sp.diff(cur, var)
    return out


def series(
    quantity: str,
    order: int = 2,
    dim: int = 2,
    eigenvalues: Sequence | None = None,
    estimator: str = "unbiased",
) -> QuasiSymmetricSeries:
    r"""The 1/M expansion (terms of total degree :math:`\le` ``order`` in the :math:`1/M_i`), absolute values.

    Exact coefficients for :math:`\Sigma_0 = \mathrm{diag}(\text{eigenvalues})`; holds for any number of
    generations (quasi-symmetry, see :mod:`modelcollapse.symbolic.series`).  ``mean_w2sq`` is
    :func:`w2_series` (order :math:`\le 2`).

    >>> series("mean_det_ratio", 2, dim=3).coefficients
    {(): 1, (1,): -3, (1, 1): 9, (2,): -1}
    """
    quantity = _check_quantity(quantity)
    dim, eig, _, estimator = check_model(dim, eigenvalues, None, estimator)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    return _series(quantity, order, dim, eig, estimator)


@functools.lru_cache(maxsize=256)
def _series(quantity: str, order: int, dim: int, eig: tuple, estimator: str) -> QuasiSymmetricSeries:
    if quantity == "mean_w2sq":
        return _w2_series(order, dim, eig, estimator)
    p1, p2 = _power_sums(eig)
    group = _GROUPS[quantity]
    rec = moment_recursion(group, estimator, dim if group in ("logdet", "det") else None)
    algebra = QuasiSymmetricAlgebra(order, parameters={T1: p1, T2: p2, T11: p1**2})
    return run(rec, [Step({M: 1 / EPS})] * order, algebra)[quantity]


# ---------------------------------------------------------------------------------------------------------
# E W2^2: the 1/M series of the Bures term
#
# With Sigma_0 = Lambda = diag(lambda) and the chain started from I, Gamma_g (Sigma_g = Lambda^{1/2} Gamma_g
# Lambda^{1/2}), Gamma_g = c (I + Y) with c = prod_i n_i/D_i and E Y = 0 exactly.  Then
# tr (Sigma_0^{1/2} Sigma_g Sigma_0^{1/2})^{1/2} = sqrt(c) tr (B + H)^{1/2}, B = Lambda^2, H = Lambda Y Lambda, and
#   tr f(B + H) = sum_k (1/k) sum_{i_1..i_k} f'^{[k-1]}(b_{i_1}, .., b_{i_k}) H_{i_1 i_2} ... H_{i_k i_1}
# (Daleckii-Krein; f'^{[k-1]} the divided differences of f' = 1/(2 sqrt x)).  The law of Y is orthogonally
# invariant; its moments to O(eps^2):
#   E[Y_ab Y_cd]      = A delta_ab delta_cd + B G(ab,cd)        exactly (A, B from the 2x2 recursion),
#   E[Y_ab Y_cd Y_ef] = (sum_l 1/n_l^2) K3 + (sum_{l<m} 1/(n_l n_m)) Q + O(eps^3),
#   E[Y^{x4}]         = (sum_l 1/n_l)^2 (G G + G G + G G) + O(eps^3),
# with G(ab,cd) = d_ac d_bd + d_ad d_bc, K3 the 8 cyclic pairings (third cumulant of x x^T), and Q from the
# second-order term Y2 = sum_{l<m} (X_l X_m + X_m X_l)/2 of Y in the one-step fluctuations X_l = W_l/n_l - I.


def _G(u: tuple[str, str], v: tuple[str, str]) -> list[list[tuple[str, str]]]:
    return [[(u[0], v[0]), (u[1], v[1])], [(u[0], v[1]), (u[1], v[0])]]


def _products(*factors: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    return [[pair for term in combo for pair in term] for combo in itertools.product(*factors)]


def _K3(u, v, w):
    out = []
    for x, y, z in itertools.product(range(2), repeat=3):
        out.append([(u[x], v[y]), (v[1 - y], w[z]), (w[1 - z], u[1 - x])])
    return out


def _Q(u, v, w):
    def R(a, b, c, p):
        e, f = c
        return _products(_G(a, (e, p)), _G(b, (p, f))) + _products(_G(b, (e, p)), _G(a, (p, f)))

    return R(u, v, w, "p1") + R(u, w, v, "p2") + R(v, w, u, "p3")


def _P4(u, v, w, x):
    return _products(_G(u, v), _G(w, x)) + _products(_G(u, w), _G(v, x)) + _products(_G(u, x), _G(v, w))


def _cycle(k: int) -> tuple[list[str], list[tuple[str, str]]]:
    idx = [f"i{r}" for r in range(k)]
    return idx, [(idx[r], idx[(r + 1) % k]) for r in range(k)]


MOMENT_PATTERNS: dict[str, tuple[int, Callable]] = {
    "a2": (2, lambda s: [[(s[0][0], s[0][1]), (s[1][0], s[1][1])]]),
    "b2": (2, lambda s: _G(*s)),
    "k3": (3, lambda s: _K3(*s)),
    "q": (3, lambda s: _Q(*s)),
    "pi4": (4, lambda s: _P4(*s)),
}
"""Each invariant: the order ``k`` of its term and the Kronecker-delta pattern contracted with ``phi_k``."""


@functools.lru_cache(maxsize=None)
def _signatures(name: str) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """The pattern of ``name`` reduced: ``(classes of the k arguments, internal free classes, count)``."""
    k, pattern = MOMENT_PATTERNS[name]
    idx, slots = _cycle(k)
    sig: Counter = Counter()
    for term in pattern(slots):
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in term:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
        roots = [find(i) for i in idx]
        labels: dict[str, int] = {}
        for r in roots:
            labels.setdefault(r, len(labels))
        internal = {find(v) for pair in term for v in pair} - set(roots)
        sig[(tuple(labels[r] for r in roots), len(internal))] += 1
    return tuple((lab, free, n) for (lab, free), n in sorted(sig.items()))


@functools.lru_cache(maxsize=None)
def phi(k: int) -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    r""":math:`\phi_k(l_1..l_k) = f'^{[k-1]}(l_1^2, \dots, l_k^2) \prod_r l_r^2` for :math:`f = \sqrt{\cdot}`.

    Divided differences of :math:`f'(x) = 1/(2\sqrt x)` at :math:`x_r = l_r^2`, simplified to a symmetric
    rational function without :math:`l_r - l_s` in the denominator (so it holds at coincident arguments).

    >>> sp.factor(phi(2)[1])
    -l_1*l_2/(2*(l_1 + l_2))
    """
    ls = sp.symbols(f"l_1:{k + 1}", positive=True)

    def dd(ix: tuple[int, ...]) -> sp.Expr:
        if len(ix) == 1:
            return 1 / (2 * ls[ix[0]])
        return sp.cancel((dd(ix[:-1]) - dd(ix[1:])) / (ls[ix[0]] ** 2 - ls[ix[-1]] ** 2))

    out = sp.cancel(dd(tuple(range(k))) * sp.Mul(*(x**2 for x in ls)))
    den = sp.Poly(sp.denom(out), *ls)
    if not all(c > 0 for c in den.coeffs()):  # a positive polynomial: no pole at coincident arguments
        raise ArithmeticError(f"phi_{k} may be singular at coincident arguments: {out}")
    return ls, out


@functools.lru_cache(maxsize=None)
def _phi_callable(k: int) -> Callable:
    ls, expr = phi(k)
    num, den = sp.fraction(sp.together(expr))
    fnum, fden = sp.lambdify(ls, sp.expand(num), modules=[{}]), sp.lambdify(ls, sp.expand(den), modules=[{}])
    return lambda *v: Fraction(fnum(*v)) / Fraction(fden(*v))


def bures_taylor_term(k: int, lam: Sequence, H: Any) -> mpmath.mpf:
    r"""The order-``k`` term of :math:`\operatorname{tr}(B + H)^{1/2}`, :math:`B = \mathrm{diag}(\lambda)^2`, by the
    Daleckii--Krein formula :math:`\frac1k \sum_{i_1..i_k} f'^{[k-1]}(b_{i_1}, \dots, b_{i_k}) H_{i_1 i_2}\cdots
    H_{i_k i_1}` (mpmath; ``H`` a symmetric ``mpmath.matrix``).  O(d^k) work: for checks at small d.

    >>> H = mpmath.matrix([[0, 1], [1, 0]])
    >>> mpmath.nstr(bures_taylor_term(2, [1, 1], H), 6)  # tr(I + H)^{1/2} = sqrt(2) + 0: -(1/8) tr H^2
    '-0.25'
    """
    fn = sp.lambdify(phi(k)[0], phi(k)[1], modules="mpmath")
    lam = [mpmath.mpf(v) for v in lam]
    total = mpmath.mpf(0)
    for idx in itertools.product(range(len(lam)), repeat=k):
        prod = mpmath.mpf(1)
        for r in range(k):
            a, b = idx[r], idx[(r + 1) % k]
            prod *= H[a, b] / (lam[a] * lam[b])  # phi_k carries prod l^2: H_ab = l_a l_b (H_ab / (l_a l_b))
        total += fn(*(lam[i] for i in idx)) * prod
    return total / k


def w2_invariants(eigenvalues: Sequence) -> dict[str, sp.Rational]:
    r"""The contractions of :math:`\phi_k` with the moment patterns, for :math:`\Sigma_0 = \mathrm{diag}(\lambda)`.

    ``p1`` is :math:`\mathrm{tr}\,\Sigma_0`; ``a2``, ``b2`` (order 2), ``k3``, ``q`` (order 3) and ``pi4``
    (order 4) are :math:`\sum_{i_1..i_k}\phi_k(\lambda_{i_1}, \dots)` times the pattern.  Exact rationals;
    O(d^3) work (eigenvalues that repeat are summed with their multiplicities).

    >>> w2_invariants([1, 1])["b2"]
    -3/2
    """
    exact_values = [_exact_positive(f"cov_eigenvalues[{i}]", x) for i, x in enumerate(eigenvalues)]
    values = [Fraction(int(v.p), int(v.q)) for v in exact_values]
    mult = Counter(values)
    distinct = sorted(mult)
    dim = len(values)
    out = {"p1": sp.Rational(sum(values))}
    for name, (k, _) in MOMENT_PATTERNS.items():
        f = _phi_callable(k)
        total = Fraction(0)
        for labels, free, count in _signatures(name):
            n_cls = max(labels) + 1
            s = Fraction(0)
            for combo in itertools.product(distinct, repeat=n_cls):
                weight = 1
                for v in combo:
                    weight *= mult[v]
                s += weight * f(*(combo[lab] for lab in labels))
            total += count * dim**free * s
        out[name] = sp.Rational(total.numerator, total.denominator)
    return out


def _w2_invariants_identity() -> dict[str, sp.Expr]:
    """The same contractions for :math:`\\Sigma_0 = I_d` as polynomials in the symbol ``d``."""
    out: dict[str, sp.Expr] = {"p1": d}
    for name, (k, _) in MOMENT_PATTERNS.items():
        ls, expr = phi(k)
        at_one = expr.subs({x: 1 for x in ls})
        out[name] = sp.expand(at_one * sp.Add(*(n * d ** (free + max(lab) + 1) for lab, free, n in _signatures(name))))
    return out


_INV = sp.symbols("p_1 a_2 b_2 k_3 q pi_4")
_INV_NAMES = ("p1", "a2", "b2", "k3", "q", "pi4")


@functools.lru_cache(maxsize=None)
def w2_linear_forms(estimator: str = "unbiased") -> dict[tuple[int, ...], sp.Expr]:
    r"""The order-2 coefficients of :math:`E\,W_2^2` (compositions ``(1,)``, ``(2,)``, ``(1, 1)``) as linear forms
    in the invariants of :func:`w2_invariants` (symbols ``p_1, a_2, b_2, k_3, q, pi_4``).

    Assembled from :math:`E\,W_2^2 = E\|\mu_g\|^2 + (c + 1)\,\mathrm{tr}\,\Sigma_0 - 2\sqrt{c}\,(\mathrm{tr}\,\Sigma_0
    + T_2 + T_3 + T_4) + O(\varepsilon^3)` at two generations with symbolic :math:`\varepsilon_0, \varepsilon_1`
    (enough to fix every coefficient, by quasi-symmetry).

    >>> w2_linear_forms()[(1,)]
    -b_2 + p_1
    """
    estimator = check_estimator(estimator)
    p1, a2, b2, k3, q, pi4 = _INV
    t = sp.Symbol("t", positive=True)
    e = sp.symbols("e_0 e_1", positive=True)
    es = [t * x for x in e]
    sizes = [1 / x for x in es]
    inv_n = [x / (1 - x) for x in es]
    c_step = step_moment("trace", estimator)
    c = [sp.cancel(c_step.subs(M, m)) for m in sizes]
    mu = [sp.cancel(step_moment("mu", estimator).subs(M, m)) for m in sizes]
    mean_sq_mu = p1 * (mu[0] + c[0] * mu[1])
    alpha, beta = _normalized_second_moments(inv_n)
    A, B = alpha - 1, beta
    T2_ = sp.Rational(1, 2) * (A * a2 + B * b2)
    T3_ = sp.Rational(1, 3) * ((es[0] ** 2 + es[1] ** 2) * k3 + es[0] * es[1] * q)
    T4_ = sp.Rational(1, 4) * (es[0] + es[1]) ** 2 * pi4
    ctot = c[0] * c[1]
    W = mean_sq_mu + ctot * p1 + p1 - 2 * sp.sqrt(ctot) * (p1 + T2_ + T3_ + T4_)
    ser = sp.expand(sp.Add(*(c * t**r for r, c in enumerate(_taylor(W, t, W2_MAX_ORDER)))).subs(t, 1))
    poly = sp.Poly(ser, *e)
    forms = {
        (): poly.coeff_monomial(1),
        (1,): poly.coeff_monomial(e[0]),
        (2,): poly.coeff_monomial(e[0] ** 2),
        (1, 1): poly.coeff_monomial(e[0] * e[1]),
    }
    if forms[()] != 0 or poly.coeff_monomial(e[1]) != forms[(1,)] or poly.coeff_monomial(e[1] ** 2) != forms[(2,)]:
        raise ArithmeticError("the W2 series is not quasi-symmetric")
    del forms[()]
    return forms


def _normalized_second_moments(inv_n: Sequence[sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
    r""":math:`(\alpha, \beta)` with :math:`E[\tilde\Gamma_{ab}\tilde\Gamma_{cd}] = \alpha\,\delta_{ab}\delta_{cd} +
    \beta\,G(ab, cd)` for the chain from :math:`I` normalized by :math:`c` (:math:`E\tilde\Gamma = I`), after
    steps with the given :math:`1/n_l`; from the 2x2 modes with :math:`\Sigma_0 = I_d` (:math:`d` cancels)."""
    u, v = sp.Integer(0), sp.Integer(0)
    for _, wa, wb, e in second_moment_modes("unbiased"):  # the normalized factor 1 + e/n is estimator-free
        prod = sp.Mul(*(1 + e * x for x in inv_n))
        u += wa.subs({T2: d, T11: d**2}) * prod
        v += wb.subs({T2: d, T11: d**2}) * prod
    al, be = sp.symbols("alpha beta")
    sol = sp.solve([al * d + be * d * (d + 1) - u, al * d**2 + 2 * be * d - v], [al, be], dict=True)[0]
    alpha, beta = sp.simplify(sol[al]), sp.simplify(sol[be])
    if alpha.has(d) or beta.has(d):
        raise ArithmeticError("the isotropic second moments of the normalized chain depend on d")
    return alpha, beta


def _w2_series(order: int, dim: int, eig: tuple, estimator: str) -> QuasiSymmetricSeries:
    if order > W2_MAX_ORDER:
        raise ParameterError(f"order must be <= {W2_MAX_ORDER} for the mean_w2sq series (got {order})")
    inv = w2_invariants(eig)
    values = {sym: inv[name] for sym, name in zip(_INV, _INV_NAMES, strict=True)}
    forms = w2_linear_forms(estimator)
    return QuasiSymmetricSeries({a: f.subs(values) for a, f in forms.items() if sum(a) <= order}, order)


def w2_series(order: int = 2, dim: int = 2, eigenvalues: Sequence | None = None,
              estimator: str = "unbiased") -> QuasiSymmetricSeries:
    r"""The series of :math:`E\,W_2^2` to order ``order`` :math:`\le 2` for :math:`\Sigma_0 = \mathrm{diag}(\lambda)`.

    The leading term is :math:`\bigl(\tfrac54\,\mathrm{tr}\,\Sigma_0 + \tfrac12\sum_{i,j}
    \lambda_i\lambda_j/(\lambda_i + \lambda_j)\bigr)\sum_i 1/M_i` for both estimators.

    >>> w2_series(2, dim=1).coefficients == G1.series("mean_w2sq", 2).coefficients
    True
    >>> w2_series(1, dim=3).coefficients
    {(1,): 6}
    """
    return series("mean_w2sq", order, dim, eigenvalues, estimator)


def w2_series_identity(estimator: str = "unbiased") -> dict[tuple[int, ...], sp.Expr]:
    r"""The order-2 coefficients of :math:`E\,W_2^2/\sigma^2` for :math:`\Sigma_0 = \sigma^2 I_d`, as polynomials in d.

    >>> w2_series_identity()[(1,)]
    d*(d + 5)/4
    """
    inv = _w2_invariants_identity()
    values = {sym: inv[name] for sym, name in zip(_INV, _INV_NAMES, strict=True)}
    return {a: sp.factor(f.subs(values)) for a, f in w2_linear_forms(estimator).items()}


# ---------------------------------------------------------------------------------------------------------
# The model's theory


def _series_path(ser: QuasiSymmetricSeries, sizes: Sequence[int], dps: int) -> list[mpmath.mpf]:
    """The series at every prefix of ``sizes`` in one pass (dynamic programming over compositions)."""
    ctx = mpmath.mp
    with ctx.workdps(dps + 5):
        comps = [(a, ctx.mpf(c.p) / c.q) for a, c in ser.coefficients.items()]
        acc = {a: [ctx.mpf(1)] + [ctx.mpf(0)] * len(a) for a, _ in comps}
        out = []
        for m in sizes:
            e = ctx.mpf(1) / m
            for a, row in acc.items():
                for j in range(len(a), 0, -1):
                    row[j] += row[j - 1] * e ** a[j - 1]
            out.append(ctx.fsum(c * acc[a][-1] for a, c in comps))
    with ctx.workdps(dps):
        return [+v for v in out]


def _no_exact_reasons(sizes: Sequence[int], dim: int, eig: Sequence, generation: int) -> dict[str, str]:
    reasons = {q: ("simulation only: the law of the smallest eigenvalue of a product of Wishart factors has no "
                   "closed form; see simulate") for q in SIMULATION_ONLY}
    singular = _singular_generation(sizes[:generation], dim)
    if singular is not None:
        m = sizes[singular - 1]
        why = (f"M_{singular - 1} = {m} <= dim = {dim}: the covariance refit at generation {singular} is singular "
               f"(rank <= M - 1 < d)")
        reasons["mean_logdet"] = "the exact value is -inf (null in JSON): " + why
        reasons["var_logdet"] = why + ": log det Sigma_g = -inf and its variance is undefined"
    if not (dim == 1 or (dim == 2 and len(set(eig)) == 1 and generation == 1)):
        reasons["mean_w2sq"] = ("no closed form for d >= 2 (the expected nuclear norm of a product of Wishart "
                                "factors); the 1/M series (order <= 2) and simulation are given")
    return reasons


def theory(
    *,
    sizes: Sequence[int],
    dim: int = 2,
    cov_eigenvalues: Sequence | None = None,
    estimator: str = "unbiased",
    eps: float = 0.1,
    order: int = 2,
    digits: int = 17,
    record: str = "final",
) -> TheoryResult | list[TheoryResult]:
    r"""The model's theory as the registry calls it: exact values and the order-``order`` series, absolute.

    Simulation-only quantities are ``None`` with their reason in ``no_exact``; so is ``mean_w2sq`` where it has
    no closed form, and the log-determinant quantities once a refit is singular (:math:`M_i \le d`).
    ``eps`` is the threshold of ``prob_lambda_min_below`` (simulation only).

    >>> r = theory(sizes=(10, 20), dim=2)
    >>> r.exact["mean_trace"], r.exact["mean_w2sq"], mpmath.nstr(r.series["mean_w2sq"], 6)
    (mpf('2.0'), None, '0.540859')
    """
    dim, eig, sizes_t, estimator = check_model(dim, cov_eigenvalues, sizes, estimator)
    order = check_integer("order", order, minimum=1, maximum=MAX_ORDER + 2)
    digits = check_integer("digits", digits, minimum=1, maximum=MAX_DIGITS)
    gens = range(1, len(sizes_t) + 1) if record == "all" else (len(sizes_t),)
    ctx = mpmath.mp
    with ctx.workdps(digits + 10 + 2 * len(str(max(sizes_t)))):
        paths = {q: _exact_path(q, sizes_t, dim, eig, estimator, ctx) for q in QUANTITIES}
    series_paths: dict[str, list] = {}
    no_series: dict[str, str] = {q: "simulation only" for q in SIMULATION_ONLY}
    for q in QUANTITIES:
        if q == "mean_w2sq" and order > W2_MAX_ORDER:
            no_series[q] = f"the series of mean_w2sq is derived to order {W2_MAX_ORDER} (asked for order {order})"
            continue
        series_paths[q] = _series_path(_series(q, order, dim, eig, estimator), sizes_t, digits)
    out = []
    for k in gens:
        reasons = _no_exact_reasons(sizes_t, dim, eig, k)
        exact_k: dict[str, Any] = {}
        with ctx.workdps(digits):
            for q in QUANTITIES:
                v = paths[q][k - 1]
                exact_k[q] = None if v is None or (q == "var_logdet" and q in reasons) else +v
        exact_k.update({q: None for q in SIMULATION_ONLY})
        ser_k: dict[str, Any] = {q: series_paths[q][k - 1] for q in series_paths}
        extra_no_series = dict(no_series)
        if _singular_generation(sizes_t[:k], dim) is not None:
            for q in ("mean_logdet", "var_logdet"):
                ser_k.pop(q, None)
                extra_no_series[q] = "a refit is singular (M_i <= d): log det = -inf"
        ser_k.update({q: None for q in extra_no_series})
        shown = {q: r for q, r in reasons.items()
                 if exact_k.get(q) is None or (q == "mean_logdet" and not mpmath.isfinite(exact_k[q]))}
        out.append(TheoryResult(
            generation=k,
            exact=exact_k,
            series=ser_k,
            order=order,
            no_exact=shown,
            no_series={q: r for q, r in extra_no_series.items() if ser_k.get(q) is None},
            absolute=dict(exact_k),
        ))
    return out if record == "all" else out[0]
