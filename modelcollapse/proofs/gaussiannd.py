r"""Claims about the N-dimensional Gaussian model, and the model's declaration.

Exact claims (one per quantity with a closed form and estimator) have three checked derivation steps:

1. *one refit through an independent route*: the one-step factor the exact form is built from (derived with
   the engine from Bartlett's decomposition) against the Wishart **eigenvalue density** at :math:`d = 2`,
   :math:`\Sigma_i = I` (:math:`u = l_1 + l_2 \sim \chi^2_{2n}` and :math:`1 - w^2 \sim \mathrm{Beta}((n-1)/2,
   1)` with :math:`w = (l_1 - l_2)/u`), by mpmath quadrature at random sizes;
2. *rotation invariance*: the same one-step transition for a general, non-diagonal :math:`\Sigma = LL^{\mathsf T}`
   (exactly, SymPy): one refit depends on :math:`\Sigma` through its eigenvalues only;
3. *solution of the recursion*: the symbolic-:math:`g` form at :math:`g = 2` equals the recursion applied twice.

``mean_w2sq`` has no closed form for :math:`d \ge 2`: its claims are series (``Claim.exact = False``) whose
coefficients are checked by the reduction to the 1D model at :math:`d = 1` (exactly), by the exact moments of
the normalized chain at :math:`d = 2`, :math:`g = 2` through the engine, by the exact one-refit value at
:math:`d = 2` (eigenvalue density, a :math:`{}_2F_1`) for the remainder order, and by the Daleckii--Krein
expansion at random matrices; their Monte Carlo check is made at sizes where the omitted terms are small.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp

from .._validation import ESTIMATORS, ParameterError, check_sizes
from ..models import Figure, Model, Parameter, Quantity
from ..symbolic import gaussian1d as G1
from ..symbolic import gaussiannd as S
from ..symbolic.expectation import StandardNormal, expectation
from . import quadrature as Q
from .claim import Claim, DerivationStep

NAME = "gaussiannd"
MC_DIM = 3
MC_EIGENVALUES = (1.0, 2.0, 3.0)
MC_SIZES = (6, 8, 5)
"""The Monte Carlo checks of the exact claims: small sizes make the next-order terms large, so a few hundred
thousand chains resolve them; three distinct eigenvalues exercise the rotation-invariance argument."""
W2_SIZES = (80, 120, 100)
"""The Monte Carlo checks of the ``mean_w2sq`` series: large enough that the omitted O(M^-3) terms are far below
the standard error, small enough that the order-2 terms are resolved."""
D1_SIZES = (5, 8, 4)
DET_SIZES = (10, 12, 9)
"""The check of E det: det Sigma_g is a product of d chi-squares per generation, heavy-tailed at the smallest
sizes (the largest chain carried over 10 % of the squared deviations at MC_SIZES): these sizes keep it resolved."""

_E = sp.Function("E")
_n = S.M - 1

ASSUMPTIONS = (
    r"$X^0 \sim \mathcal{N}(\mu, \Sigma_0)$ in $d$ dimensions; generation $i$ draws $M_i$ i.i.d. points from "
    r"$\mathcal{N}(\mu_i, \Sigma_i)$ and refits $\mu_{i+1}$ (sample mean) and $\Sigma_{i+1}$ (sample covariance)",
    "data are replaced each generation (fully synthetic loop)",
    r"by rotation invariance the results depend on $\Sigma_0$ through its eigenvalues $\lambda_1, \dots, \lambda_d$ only",
)
_ESTIMATOR_TEXT = {
    "unbiased": r"$\Sigma_{i+1}$ divides the scatter matrix by $D_i = M_i - 1$ (unbiased estimator), $M_i \ge 2$",
    "mle": r"$\Sigma_{i+1}$ divides the scatter matrix by $D_i = M_i$ (maximum-likelihood estimator), $M_i \ge 1$",
}
_SHOWN = (r"the series shown and the Monte Carlo check are for $d = 3$, $\Sigma_0 = \mathrm{diag}(1, 2, 3)$, "
          r"$\mu = 0$")


def _size(rng: random.Random) -> int:
    return rng.randint(5, 40)


def _pos(rng: random.Random) -> mpmath.mpf:
    return mpmath.mpf(rng.uniform(0.25, 2))


def _real(rng: random.Random) -> mpmath.mpf:
    return mpmath.mpf(rng.uniform(-1.5, 1.5))


def claim_id(quantity: str, estimator: str = "unbiased") -> str:
    """``gaussiannd-<quantity>`` (unbiased) or ``gaussiannd-<quantity>-mle``."""
    base = f"{NAME}-{quantity.replace('_', '-')}"
    return base if estimator == "unbiased" else f"{base}-mle"


# ---------------------------------------------------------------------------------------------------------
# (1) one refit through the eigenvalue density of W_2(n, I)


def _eigen_moments(n: int) -> dict[str, mpmath.mpf]:
    """Moments of u ~ chi^2_{2n} and v ~ Beta((n-1)/2, 1) by quadrature of their densities (n >= 2)."""
    nn = mpmath.mpf(n)
    a = (nn - 1) / 2
    log_norm = nn * mpmath.log(2) + mpmath.loggamma(nn)
    fu = lambda u: mpmath.exp((nn - 1) * mpmath.log(u) - u / 2 - log_norm)  # noqa: E731
    fv = lambda v: a * v ** (a - 1)  # noqa: E731
    iu = [0, nn, 2 * nn, mpmath.inf]
    out = {
        "u": mpmath.quad(lambda u: u * fu(u), iu),
        "u2": mpmath.quad(lambda u: u**2 * fu(u), iu),
        "logu": mpmath.quad(lambda u: mpmath.log(u) * fu(u), iu),
        "logu2": mpmath.quad(lambda u: mpmath.log(u) ** 2 * fu(u), iu),
        "v": mpmath.quad(lambda v: v * fv(v), [0, 1]),
        "logv": mpmath.quad(lambda v: mpmath.log(v) * fv(v), [0, 1]),
        "logv2": mpmath.quad(lambda v: mpmath.log(v) ** 2 * fv(v), [0, 1]),
    }
    return out


def _eigen_value(quantity: str, size: int, estimator: str) -> mpmath.mpf:
    """One refit's factor at d = 2, Sigma_i = I, through the eigenvalue density (l_1, l_2 = u(1 +- w)/2)."""
    n = size - 1
    D = mpmath.mpf(n if estimator == "unbiased" else size)
    m = _eigen_moments(n)
    if quantity == "mean_trace":
        return m["u"] / D
    if quantity == "mean_trace_sq":  # tr W^2 = u^2 (1 + w^2)/2, w^2 = 1 - v
        return m["u2"] * (2 - m["v"]) / 2 / D**2
    if quantity == "mean_sq_trace":
        return m["u2"] / D**2
    if quantity == "mean_det_ratio":  # det W = u^2 v / 4
        return m["u2"] * m["v"] / 4 / D**2
    if quantity == "mean_logdet":
        return 2 * m["logu"] + m["logv"] - mpmath.log(4) - 2 * mpmath.log(D)
    if quantity == "var_logdet":
        return 4 * (m["logu2"] - m["logu"] ** 2) + m["logv2"] - m["logv"] ** 2
    raise ParameterError(f"no eigenvalue-density step for {quantity}")


def _bartlett_step_d2(quantity: str, estimator: str) -> sp.Expr:
    """The engine's one-refit factor at d = 2, Sigma_i = I (the right side the density route must match)."""
    if quantity == "mean_trace":
        return 2 * S.step_moment("trace", estimator)
    if quantity in ("mean_trace_sq", "mean_sq_trace"):
        key = "trace_sq" if quantity == "mean_trace_sq" else "sq_trace"
        T = S.second_moment_transition(estimator)[key]
        return sp.factor(T["trace_sq"] * 2 + T["sq_trace"] * 4)
    name = {"mean_logdet": "log", "var_logdet": "logvar", "mean_det_ratio": "det"}[quantity]
    per = S.step_moment(name, estimator)
    terms = [per.subs(S.kk, k) for k in (1, 2)]
    return sp.factor(sp.Mul(*terms)) if name == "det" else sp.Add(*terms)


_STEP_LHS = {
    "mean_trace": r"E\,\operatorname{tr}\Sigma_{i+1}",
    "mean_trace_sq": r"E\,\operatorname{tr}(\Sigma_{i+1}^2)",
    "mean_sq_trace": r"E\,(\operatorname{tr}\Sigma_{i+1})^2",
    "mean_det_ratio": r"E\,\det\Sigma_{i+1}",
    "mean_logdet": r"E\log\det\Sigma_{i+1}",
    "var_logdet": r"\operatorname{Var}\log\det\Sigma_{i+1}",
}


def _eigen_step(quantity: str, estimator: str) -> DerivationStep:
    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        return _eigen_value(quantity, int(point[S.M]), estimator)

    return DerivationStep(
        description=(
            r"one refit at $d = 2$, $\Sigma_i = I$, through the Wishart eigenvalue density ($l_1 + l_2 \sim "
            r"\chi^2_{2n}$, $1 - w^2 \sim \mathrm{Beta}(\frac{n-1}{2}, 1)$ for $w = \frac{l_1 - l_2}{l_1 + l_2}$, "
            r"$n = M - 1$) against Bartlett's decomposition; checked by quadrature"
        ),
        lhs=sp.Symbol(_STEP_LHS[quantity]),
        rhs=_bartlett_step_d2(quantity, estimator),
        exact=False,
        domain={S.M: _size},
        numeric_lhs=numeric_lhs,
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )


# ---------------------------------------------------------------------------------------------------------
# (2) rotation invariance: a general Sigma = L L^T


def _general_factor(dim: int = 2) -> tuple[sp.Matrix, dict]:
    L = sp.zeros(dim, dim)
    domain: dict = {}
    for a in range(dim):
        for b in range(a + 1):
            L[a, b] = sp.Symbol(f"l_{a + 1}{b + 1}", positive=(a == b), real=True)
            domain[L[a, b]] = _pos if a == b else _real
    return L, domain


@functools.lru_cache(maxsize=None)
def _rotation_step(quantity: str, estimator: str) -> DerivationStep:
    L, domain = _general_factor(2)
    domain[S.M] = _size
    S0 = L * L.T
    D = S.divisor(S.M, estimator)
    inner: tuple[sp.Expr, dict] | None = None  # the expectation the engine took: its integrand and laws
    if quantity == "mean_sq_mu":
        Z = sp.Matrix(sp.symbols("z1:3", real=True))
        step = L * Z / sp.sqrt(S.M)
        inner = (sp.expand((step.T * step)[0, 0]), {z: StandardNormal() for z in Z})
        lhs = expectation(*inner)
        rhs = S.step_moment("mu", estimator) * S0.trace()
        text = r"$E\|\mu_{i+1} - \mu_i\|^2 = \operatorname{tr}\Sigma_i/M$"
    elif quantity == "mean_trace":
        A, law = S.bartlett(2)
        inner = (sp.expand((L * A * A.T * L.T).trace() / D), law)
        lhs = expectation(*inner)
        rhs = S.step_moment("trace", estimator) * S0.trace()
        text = r"$E\operatorname{tr}\Sigma_{i+1} = c(M)\operatorname{tr}\Sigma_i$"
    elif quantity in ("mean_trace_sq", "mean_sq_trace"):
        A, law = S.bartlett(2)
        Sn = L * A * A.T * L.T / D
        expr = (Sn * Sn).trace() if quantity == "mean_trace_sq" else Sn.trace() ** 2
        inner = (sp.expand(expr), law)
        lhs = sp.factor(expectation(*inner))
        T = S.second_moment_transition(estimator)["trace_sq" if quantity == "mean_trace_sq" else "sq_trace"]
        rhs = sp.factor(T["trace_sq"] * (S0 * S0).trace() + T["sq_trace"] * S0.trace() ** 2)
        text = (r"the transition of $(\operatorname{tr}\Sigma^2, (\operatorname{tr}\Sigma)^2)$ derived for a diagonal "
                r"$\Sigma_i$")
    else:  # determinants: det(L A A^T L^T) = det(L L^T) prod_k A_kk^2
        A, _ = S.bartlett(2)
        lhs = sp.expand((L * A * A.T * L.T).det())
        rhs = sp.expand(S0.det() * A[0, 0] ** 2 * A[1, 1] ** 2)
        text = r"$\det(LAA^{\mathsf T}L^{\mathsf T}) = \det(LL^{\mathsf T})\prod_k A_{kk}^2$"
        for sym in lhs.free_symbols - set(domain):
            domain[sym] = _pos if str(sym).startswith("V") else _real
    lhs, rhs = sp.factor(sp.cancel(lhs)), sp.factor(sp.cancel(rhs))
    numeric_lhs = None
    if inner is not None:
        integrand, laws = inner

        def numeric_lhs(point: Mapping[Any, Any]) -> mpmath.mpf:
            values = {k: v for k, v in point.items() if isinstance(k, sp.Symbol)}
            values[S.M] = int(point[S.M])
            densities = {sym: Q.density_of(law, {S.M: values[S.M]}) for sym, law in laws.items()}
            return Q.expectation(integrand, densities, values)

    return DerivationStep(
        description=(
            r"rotation invariance: for a general $\Sigma_i = LL^{\mathsf T}$ ($L$ lower triangular, $d = 2$) the "
            f"engine gives {text}, a function of the eigenvalues of $\\Sigma_i$ only"
            + ("; the expectation checked by quadrature over the densities of the Bartlett variables"
               if inner is not None else "")
        ),
        lhs=lhs,
        rhs=rhs,
        domain=domain,
        numeric_lhs=numeric_lhs,
        points=1,
        tolerance_digits=14 if inner is not None else 20,
        route="quadrature" if inner is not None else "points",
    )


# ---------------------------------------------------------------------------------------------------------
# (3) solution of the recursion at g = 2


def _recursion_g2(quantity: str, estimator: str) -> sp.Expr:
    """The moment recursion run for two steps, symbolic sizes M_0, M_1 (d and the invariants symbolic)."""
    return S.exact(quantity, list(G1.size_symbols(2)), estimator)


def _unrolled(expr: sp.Expr) -> sp.Expr:
    """Sums and products over limits with numeric bounds written out (SymPy leaves a multiple ``Sum`` whose other
    limit is symbolic, e.g. over the generations and the Bartlett index k <= d, unevaluated)."""

    def unroll(e: sp.Expr) -> sp.Expr:
        fixed = [lim for lim in e.limits if lim[1].is_number and lim[2].is_number]
        if not fixed:
            return e
        rest = [lim for lim in e.limits if lim not in fixed]
        body = type(e)(e.function, *rest) if rest else e.function
        combine = sp.Add if isinstance(e, sp.Sum) else sp.Mul
        for var, lo, hi in fixed:
            body = combine(*(body.subs(var, v) for v in range(int(lo), int(hi) + 1)))
        return body

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), unroll)


def _solution_step(quantity: str, estimator: str) -> DerivationStep:
    M0, M1 = G1.size_symbols(2)
    form = _unrolled(S.exact_symbolic_g(quantity, estimator).subs(S.g, 2)).doit()
    form = _unrolled(form).doit().subs({S.Mi[0]: M0, S.Mi[1]: M1})
    domain = {M0: _size, M1: _size, S.d: lambda r: r.randint(1, 4), S.T1: _pos, S.T2: _pos, S.T11: _pos}
    return DerivationStep(
        description="cross-check: the closed form at $g = 2$ against the recursion run for two steps (symbolic sizes)",
        lhs=form,
        rhs=_recursion_g2(quantity, estimator),
        domain=domain,
        route="points",
    )


def _symbolic_domain() -> dict:
    """Random points for forms in a symbolic number of generations: g in 0..4, sizes M[0], M[1], ... > d."""
    return {S.g: lambda r: r.randint(0, 4), S.Mi: lambda r: [r.randint(6, 40) for _ in range(6)],
            S.d: lambda r: r.randint(1, 4), S.T1: _pos, S.T2: _pos, S.T11: _pos}


_INITIAL_TEX = {"mean_sq_mu": "0", "mean_trace": r"\operatorname{tr}\Sigma_0", "mean_trace_sq": r"\operatorname{tr}(\Sigma_0^2)",
                "mean_sq_trace": r"(\operatorname{tr}\Sigma_0)^2", "mean_logdet": "0", "var_logdet": "0",
                "mean_det_ratio": "1"}


def _induction_steps(quantity: str, estimator: str) -> list[DerivationStep]:
    """Base case (no refit) and induction step of the closed form: at step g it satisfies the recursion the
    runner iterates (its table at M = M_g, applied to the closed forms of the labels at g), for every g."""
    g = S.g
    group = S._GROUPS[quantity]  # noqa: SLF001 - the same model, other layer
    rec = S.moment_recursion(group, estimator)
    forms = {label: S.exact_symbolic_g(q, estimator) for q, ws in rec.outputs.items() for label in ws}
    forms["1"] = sp.Integer(1)
    target = next(iter(rec.outputs[quantity]))
    row = rec.table("generic")[target]
    rhs = sp.Add(*(c.subs(S.M, S.Mi[g]) * forms[source] for source, c in row.items()))
    form = forms[target]
    name = S.latex_name(quantity)
    later = name.replace(r"\Sigma_g", r"\Sigma_{g+1}").replace(r"\mu_g", r"\mu_{g+1}")
    return [
        DerivationStep(
            description=f"base case: ${name.replace(chr(92) + 'Sigma_g', chr(92) + 'Sigma_0').replace(chr(92) + 'mu_g', chr(92) + 'mu_0')} = "
                        f"{_INITIAL_TEX[quantity]}$ before any refit",
            lhs=form.subs(g, 0),
            rhs=rec.initial.get(target, sp.Integer(0)),
            kind="base",
            index=g,
            domain={S.T1: _pos, S.T2: _pos, S.T11: _pos, S.d: lambda r: r.randint(1, 4)},
            points=1,
            route="points",
        ),
        DerivationStep(
            description=(f"induction step: the closed form at $g + 1$ is the one-refit recursion (the table the "
                         f"runner iterates, at $M = M_g$) applied to the closed forms at $g$, for every $g$"),
            lhs=form.subs(g, g + 1),
            rhs=rhs,
            kind="recurrence",
            index=g,
            domain=_symbolic_domain(),
            points=1,
            display=((name, form), (later, rhs)),
            route="points",
        ),
    ]


def _exact_steps(quantity: str, estimator: str) -> tuple[DerivationStep, ...]:
    steps = []
    if quantity != "mean_sq_mu":
        steps.append(_eigen_step(quantity, estimator))
    steps.append(_rotation_step(quantity, estimator))
    steps += _induction_steps(quantity, estimator)
    steps.append(_solution_step(quantity, estimator))
    return tuple(steps)


# ---------------------------------------------------------------------------------------------------------
# exact claims


_TITLES = {
    "mean_sq_mu": "Drift of the fitted mean",
    "mean_trace": "Expected trace of the fitted covariance",
    "mean_trace_sq": r"Second moment of the covariance: $E\operatorname{tr}\Sigma_g^2$",
    "mean_sq_trace": r"Second moment of the covariance: $E(\operatorname{tr}\Sigma_g)^2$",
    "mean_logdet": r"Exact collapse: the drift of $\log\det\Sigma_g$",
    "var_logdet": r"Spread of $\log\det\Sigma_g$",
    "mean_det_ratio": r"$E\det\Sigma_g \to 0$",
}
_UNBIASED_TITLES = {
    "mean_trace": r"The fitted covariance keeps its expectation, $E\Sigma_g = \Sigma_0$",
    "mean_det_ratio": r"$E\det\Sigma_g \to 0$ although $E\Sigma_g = \Sigma_0$",
}

_NOTES = {
    "mean_logdet": (
        r"Every generation adds the independent $\sum_{k=1}^d \log(\chi^2_{M_i-k}/D_i)$, whose mean is below "
        r"$\log((M_i - k)/D_i) \le 0$ (Jensen, strictly): for constant sizes $\log\det\Sigma_g/g$ tends almost "
        r"surely to that negative drift (strong law of large numbers), so $\det\Sigma_g \to 0$ almost surely, "
        r"at the exact rate given here, for both estimators and every $d \ge 1$."
    ),
    "mean_det_ratio": (
        r"For the unbiased estimator $E\Sigma_g = \Sigma_0$ for every $g$, yet for $d \ge 2$ each generation "
        r"multiplies $E\det\Sigma_g$ by $\prod_{k=2}^{d}(1 - (k-1)/(M_i - 1)) < 1$: the expected determinant "
        r"collapses geometrically."
    ),
}


def _mc_params(estimator: str, sizes: Sequence[int] = MC_SIZES, dim: int = MC_DIM,
               eig: Sequence[float] | None = MC_EIGENVALUES) -> dict[str, Any]:
    return MODEL.resolve({"sizes": tuple(sizes), "dim": dim, "cov_eigenvalues": None if eig is None else tuple(eig),
                          "estimator": estimator})


def _exact_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target of an exact claim: the first term its series omits, or a relative error |value| sum M_i^-2
    where that is smaller (at the small sizes of the check the series of a product of refit factors diverges,
    and its next term would be a lax target); |value| sum M_i^-3 where the series is exact (no next term)."""

    def target(params: Mapping[str, Any]) -> float:
        sizes = list(params["sizes"])
        args = (params["dim"], params["cov_eigenvalues"], params["estimator"])
        with mpmath.workdps(30):
            nxt = abs(S.series(quantity, 3, *args).evaluate(sizes, 30) - S.series(quantity, 2, *args).evaluate(sizes, 30))
            value = abs(S.evaluate(quantity, sizes, *args, dps=30))
            if nxt < mpmath.mpf(10) ** -25:
                return float(value * mpmath.fsum(mpmath.mpf(m) ** -3 for m in sizes))
            return float(min(nxt, value * mpmath.fsum(mpmath.mpf(m) ** -2 for m in sizes)))

    return target


def _exact_value(quantity: str) -> Callable[[Mapping[str, Any], int], mpmath.mpf]:
    return lambda params, dps=17: S.evaluate(quantity, params["sizes"], params["dim"], params["cov_eigenvalues"],
                                             params["estimator"], dps=dps)


def display(expr: sp.Expr) -> tuple[sp.Expr, list]:
    r"""LaTeX abbreviations: :math:`\psi` and :math:`\psi_1` for the digamma and trigamma functions."""
    psi, psi1 = sp.Function("psi"), sp.Function("psi_1")
    return expr.replace(lambda e: isinstance(e, sp.polygamma),
                        lambda e: (psi if e.args[0] == 0 else psi1)(e.args[1])), []


@functools.lru_cache(maxsize=None)
def derived_claim(quantity: str, estimator: str = "unbiased") -> Claim:
    """The exact claim for one quantity and estimator."""
    return Claim(
        id=claim_id(quantity, estimator),
        title=f"{(_UNBIASED_TITLES if estimator == 'unbiased' else {}).get(quantity, _TITLES[quantity])} "
              f"({estimator} estimator)",
        model=NAME,
        quantity=quantity,
        estimator=estimator,
        lhs_latex=S.latex_name(quantity),
        statement=S.exact_symbolic_g(quantity, estimator),
        assumptions=(*ASSUMPTIONS, _ESTIMATOR_TEXT[estimator], _SHOWN),
        steps=_exact_steps(quantity, estimator),
        series_order=2,
        exact_value=_exact_value(quantity),
        series_of_order=lambda order: S.series(quantity, order, MC_DIM, MC_EIGENVALUES, estimator),
        params=_mc_params(estimator, DET_SIZES if quantity == "mean_det_ratio" else MC_SIZES),
        mc_target=_exact_target(quantity),
        references=("alemohammad2023", "shumailov2024curse"),
        unit=sp.Integer(1),
        unit_text=("1" if S.scale_power(quantity) == 0 else
                   r"the units of $\Sigma_0$'s entries" + ("" if S.scale_power(quantity) == 1 else " squared")),
        series_symbols=(S.Mi, S.g),
        display=display,
        notes=_NOTES.get(quantity, ""),
    )


# ---------------------------------------------------------------------------------------------------------
# E W2^2: series claims


def _w2_statement(estimator: str, general: bool) -> sp.Expr:
    """The order-2 series in power sums p_r = sum_i M_i^-r, each coefficient factored."""
    i = sp.Symbol("i", integer=True, nonnegative=True)
    p = {r: sp.Sum(S.Mi[i] ** (-r), (i, 0, S.g - 1)) for r in (1, 2)}
    if general:
        forms = S.w2_linear_forms(estimator)
        p1, a2, b2, k3, q, pi4 = S._INV  # noqa: SLF001 - the same model, other layer
        s_sym, k_sym, pi_sym = sp.symbols(r"S_\Sigma \kappa_3 \pi_4")
        _invariant_relations()  # a_2, b_2 and q in terms of S_Sigma and k_3, checked
        sub = {p1: S.T1, a2: -S.T1 / 4, b2: -S.T1 / 4 - s_sym / 2, q: 3 * k_sym, k3: k_sym, pi4: pi_sym}
        coeffs = {a: sp.expand(f.subs(sub)) for a, f in forms.items()}
        scale = sp.Integer(1)
    else:
        coeffs = S.w2_series_identity(estimator)
        scale = _w2_sigma2
    # sum_{i<j} 1/(M_i M_j) = (p_1^2 - p_2)/2
    c1, c2, c11 = coeffs[(1,)], sp.expand(coeffs[(2,)] - coeffs[(1, 1)] / 2), sp.expand(coeffs[(1, 1)] / 2)
    tidy = sp.factor if not general else (lambda e: e)
    return sp.Add(*(tidy(scale * c) * term for c, term in ((c1, p[1]), (c2, p[2]), (c11, p[1] ** 2))), evaluate=False)


_w2_sigma2 = sp.Symbol("sigma", positive=True) ** 2


def _w2_value(order: int = 2) -> Callable[[Mapping[str, Any], int], mpmath.mpf]:
    def value(params: Mapping[str, Any], dps: int = 17) -> mpmath.mpf:
        ser = S.w2_series(order, params["dim"], params["cov_eigenvalues"], params["estimator"])
        return ser.evaluate(list(params["sizes"]), dps)

    return value


def _w2_target(params: Mapping[str, Any]) -> float:
    """The order-2 terms at the check's sizes: a wrong order-2 coefficient of this size must be detected."""
    sizes = list(params["sizes"])
    two = S.w2_series(2, params["dim"], params["cov_eigenvalues"], params["estimator"])
    terms = [(a, c) for a, c in two.coefficients.items() if sum(a) == 2]
    with mpmath.workdps(30):
        # the smallest order-2 piece (each composition separately) keeps cancellations from hiding an error
        return float(min(abs(type(two)({a: c}, 2).evaluate(sizes, 30)) for a, c in terms))


def _d1_series_step(estimator: str) -> DerivationStep:
    eps = sp.symbols("e_0:3", positive=True)
    ours = S.w2_series(2, dim=1, estimator=estimator).polynomial(eps)
    theirs = G1.series("mean_w2sq", 2, estimator).polynomial(eps)
    return DerivationStep(
        description=(r"$d = 1$: the series equals the 1D model's $E\,W_2^2$ series (derived there from its exact "
                     r"form, with a checked remainder) in $e_i = 1/M_i$, three generations (which fixes every "
                     r"coefficient of order $\le 2$ for all $g$)"),
        lhs=ours,
        rhs=theirs,
        domain={e: lambda r: mpmath.mpf(r.uniform(0.001, 0.2)) for e in eps},
        points=1,
        route="alternative",
    )


def _remainder_step(estimator: str) -> DerivationStep:
    """d = 2, one refit, Sigma_0 = I: (exact - series) M^3 at M = 10^5 against M = 10^6 (a bounded limit)."""

    def scaled(M: int) -> mpmath.mpf:
        with mpmath.workdps(60):
            ex = S._w2_one_generation_d2(M, estimator, mpmath.mp)  # noqa: SLF001
            ser = S.w2_series(2, dim=2, estimator=estimator).evaluate([M], 60)
            return (ex - ser) * mpmath.mpf(M) ** 3

    limit = scaled(10**6)
    return DerivationStep(
        description=(
            r"remainder order at $d = 2$, $\Sigma_0 = I$, $g = 1$, against the exact one-refit value "
            r"($E\operatorname{tr}W^{1/2} = \sqrt2\,\Gamma(n+\frac12)/\Gamma(n)\;{}_2F_1(-\frac12, n-1; n; -1)$ for "
            r"$W \sim \mathcal{W}_2(n, I)$, from the eigenvalue density): $(\text{exact} - \text{series})\,M^3$ at "
            r"$M = 10^5$ equals its value at $M = 10^6$ to four digits, so the remainder is $O(M^{-3})$"
        ),
        lhs=sp.Symbol(r"(\text{exact} - \text{series})\,M^3|_{M = 10^5}"),
        rhs=sp.Float(mpmath.nstr(limit, 12), 12),
        exact=False,
        numeric_lhs=lambda point: scaled(10**5),
        points=1,
        tolerance_digits=4,
        route="alternative",
    )


@functools.lru_cache(maxsize=None)
def _normalized_moments_d2() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    r"""``{name: (engine value, prediction)}`` of :math:`E\operatorname{tr}Y^k` (k = 2, 3, 4) at :math:`d = 2`,
    :math:`g = 2`, to order 2 in :math:`e_l = 1/M_l`, for the normalized chain :math:`Y = \Gamma_2/c - I`."""
    M0, M1 = G1.size_symbols(2)
    A0, law0 = S.bartlett(2, M0, "a")
    A1, law1 = S.bartlett(2, M1, "b")
    x, y, z = sp.symbols("x y z", real=True)
    Lsym = sp.Matrix([[x, 0], [y, z]])
    Y = Lsym * A1 * A1.T * Lsym.T / ((M0 - 1) * (M1 - 1)) - sp.eye(2)

    def moment(expr: sp.Expr) -> sp.Expr:  # condition on the first refit, then average over it
        inner = sp.expand(expectation(sp.expand(expr), law1).subs({x: A0[0, 0], y: A0[1, 0], z: A0[1, 1]}))
        return expectation(inner, law0)

    e = sp.symbols("e_0 e_1", positive=True)
    n0, n1, u0, u1 = sp.symbols("n_0 n_1 u_0 u_1", positive=True)

    def order2(expr: sp.Expr) -> sp.Expr:  # E tr Y^k is a polynomial in 1/n_l; 1/n = e + e^2 + ...
        ex = sp.expand(sp.expand(expr.subs({M0: n0 + 1, M1: n1 + 1})).subs({n0: 1 / u0, n1: 1 / u1}))
        low = sum(c * u0**a * u1**b for (a, b), c in sp.Poly(ex, u0, u1).terms() if a + b <= 2)
        low = sp.expand(low.subs({u0: e[0] + e[0] ** 2, u1: e[1] + e[1] ** 2}))
        return sum(c * e[0] ** a * e[1] ** b for (a, b), c in sp.Poly(low, *e).terms() if a + b <= 2)

    def counts(name: str) -> int:
        return sum(n * 2 ** (free + max(lab) + 1) for lab, free, n in S._signatures(name))  # noqa: SLF001

    Y2 = Y * Y
    inv_n = [x_ / (1 - x_) for x_ in e]
    alpha, beta = S._normalized_second_moments(inv_n)  # noqa: SLF001
    second = sp.expand((alpha - 1) * counts("a2") + beta * counts("b2"))
    t = sp.Symbol("t", positive=True)
    second = sp.expand(sp.Add(*(c * t**r for r, c in enumerate(S._taylor(second.subs({e[0]: t * e[0], e[1]: t * e[1]}),  # noqa: SLF001
                                                                           t, 2)))).subs(t, 1))
    return {
        "tr2": (order2(moment(Y2.trace())), second),
        "tr3": (order2(moment((Y2 * Y).trace())),
                sp.expand((e[0] ** 2 + e[1] ** 2) * counts("k3") + e[0] * e[1] * counts("q"))),
        "tr4": (order2(moment((Y2 * Y2).trace())), sp.expand((e[0] + e[1]) ** 2 * counts("pi4"))),
    }


def _moments_step() -> DerivationStep:
    values = _normalized_moments_d2()
    w = sp.symbols("w_2:5")
    return DerivationStep(
        description=(
            r"the moments of the normalized chain $Y = \Gamma_g/c - I$ (the chain from $I$): at $d = 2$, $g = 2$ the "
            r"engine's exact $E\operatorname{tr}Y^k$ ($k = 2, 3, 4$; Bartlett factors of both refits) truncated at "
            r"order 2 in $e_l = 1/M_l$, weighted by $w_k$, against the moment tensors the series is built from"
        ),
        lhs=sp.Add(*(wk * values[f"tr{k}"][0] for wk, k in zip(w, (2, 3, 4), strict=True))),
        rhs=sp.Add(*(wk * values[f"tr{k}"][1] for wk, k in zip(w, (2, 3, 4), strict=True))),
        domain={**{wk: _real for wk in w}, **{x: _pos for x in sp.symbols("e_0 e_1", positive=True)}},
        points=1,
        route="alternative",
    )


def _taylor_step() -> DerivationStep:
    r"""Daleckii--Krein: Taylor coefficients of :math:`t \mapsto \operatorname{tr}(B + tH)^{1/2}` at a random pair."""
    rng = random.Random(7)
    lam = [mpmath.mpf(rng.uniform(0.5, 2.5)) for _ in range(3)]
    H = mpmath.matrix(3, 3)
    for a in range(3):
        for b in range(a + 1):
            H[a, b] = H[b, a] = mpmath.mpf(rng.uniform(-1, 1))

    def numeric(_point: Mapping) -> mpmath.mpf:
        with mpmath.workdps(40):
            B = mpmath.diag([v**2 for v in lam])
            coeffs = mpmath.taylor(lambda t: mpmath.fsum(mpmath.sqrt(e) for e in mpmath.eigsy(B + t * H)[0]), 0, 4)
            return coeffs[3] + 10 * coeffs[4]

    with mpmath.workdps(40):
        rhs = S.bures_taylor_term(3, lam, H) + 10 * S.bures_taylor_term(4, lam, H)
    return DerivationStep(
        description=(
            r"the expansion $\operatorname{tr}(B + H)^{1/2} = \sum_k \frac1k \sum_{i_1..i_k} f'^{[k-1]}(b_{i_1}, \dots, "
            r"b_{i_k}) H_{i_1 i_2}\cdots H_{i_k i_1}$ (Daleckii--Krein) at a random $3\times3$ pair $B$ (diagonal), $H$: "
            r"the third plus ten times the fourth Taylor coefficient of $t \mapsto \operatorname{tr}(B + tH)^{1/2}$, "
            r"by numerical differentiation at 40 digits"
        ),
        lhs=sp.Symbol(r"[t^3 + 10\,t^4]\operatorname{tr}(B + tH)^{1/2}"),
        rhs=sp.Float(mpmath.nstr(rhs, 20), 20),
        exact=False,
        numeric_lhs=numeric,
        points=1,
        tolerance_digits=12,
        route="alternative",
    )


@functools.lru_cache(maxsize=None)
def _invariant_relations() -> dict[str, sp.Expr]:
    r"""The invariants in a few named sums, derived from the patterns and checked: ``a_2 = -p_1/4``,
    ``b_2 = -p_1/4 - S_Sigma/2`` and ``q = 3 k_3`` (``S_Sigma = sum_{i,j} l_i l_j/(l_i + l_j)``)."""
    sig = {name: S._signatures(name) for name in ("k3", "q")}  # noqa: SLF001 - the same model
    if [(lab, free, 3 * n) for lab, free, n in sig["k3"]] != list(sig["q"]):
        raise ArithmeticError("q is not 3 k_3")
    for lam in ((1, 2, 3), (sp.Rational(1, 2), 1, 5, 7)):
        inv = S.w2_invariants(lam)
        p1 = sum(sp.Rational(v) for v in lam)
        s_sum = sum(sp.Rational(a) * b / (a + b) for a in lam for b in lam)
        if inv["a2"] != -p1 / 4 or inv["b2"] != -p1 / 4 - s_sum / 2 or inv["q"] != 3 * inv["k3"]:
            raise ArithmeticError(f"the invariant relations fail at eigenvalues {lam}")
    ident = S._w2_invariants_identity()  # noqa: SLF001
    return {"S": sp.factor(-2 * ident["b2"] - ident["p1"] / 2), "k3": sp.factor(ident["k3"]),
            "pi4": sp.factor(ident["pi4"])}


_W2_ASSUMPTION = (
    r"$W_2^2 = \|\mu_g - \mu\|^2 + \operatorname{tr}\Sigma_g + \operatorname{tr}\Sigma_0 - 2\operatorname{tr}"
    r"(\Sigma_0^{1/2}\Sigma_g\Sigma_0^{1/2})^{1/2}$ is the squared Wasserstein-2 distance between "
    r"$\mathcal{N}(\mu_g, \Sigma_g)$ and $\mathcal{N}(\mu, \Sigma_0)$"
)
_W2_GENERAL = (
    r"with $\Sigma_0 = \mathrm{diag}(\lambda_1, \dots, \lambda_d)$: $S_\Sigma = \sum_{i,j}\lambda_i\lambda_j/"
    r"(\lambda_i + \lambda_j)$, $\kappa_3 = \sum_{i,j,k}\phi_3(\lambda_i, \lambda_j, \lambda_k)\,K_3(ij, jk, ki)$ and "
    r"$\pi_4 = \sum_{i,j,k,l}\phi_4(\lambda_i, \dots, \lambda_l)\,P(ij, jk, kl, li)$, where $\phi_k(l_1, \dots, l_k) = "
    r"f'^{[k-1]}(l_1^2, \dots, l_k^2)\prod_r l_r^2$ for $f(x) = \sqrt x$, $K_3$ is the sum of the 8 cyclic pairings "
    r"of three index pairs and $P$ the sum of the 3 products of pairings $G(ab, cd) = \delta_{ac}\delta_{bd} + "
    r"\delta_{ad}\delta_{bc}$"
)


def _w2_general_text() -> str:
    rel = _invariant_relations()
    return (_W2_GENERAL + rf"; for $\Sigma_0 = I_d$: $S_\Sigma = {sp.latex(rel['S'])}$, "
            rf"$\kappa_3 = {sp.latex(rel['k3'])}$, $\pi_4 = {sp.latex(rel['pi4'])}$ (the first-order coefficient, "
            r"$\frac54\operatorname{tr}\Sigma_0 + \frac12 S_\Sigma$, is the same for both estimators)")


@functools.lru_cache(maxsize=None)
def w2_claim(estimator: str = "unbiased", general: bool = False) -> Claim:
    """The series claim of ``mean_w2sq``: for Sigma_0 = sigma^2 I_d as polynomials in d, or for any Sigma_0."""
    suffix = "-general" if general else ""
    title = ("Expected squared W2 distance to the original, any $\\Sigma_0$" if general else
             "Expected squared W2 distance to the original as a function of $d$")
    params = _mc_params(estimator, W2_SIZES, MC_DIM, MC_EIGENVALUES if general else None)
    shown = (r"the Monte Carlo check is for $d = 3$, $\Sigma_0 = \mathrm{diag}(1, 2, 3)$" if general else
             r"$\Sigma_0 = \sigma^2 I_d$; the Monte Carlo check is for $d = 3$, $\sigma = 1$")
    return Claim(
        id=claim_id("mean_w2sq", estimator).replace("mean-w2sq", "mean-w2sq" + suffix),
        title=f"{title} ({estimator} estimator)",
        model=NAME,
        quantity="mean_w2sq",
        estimator=estimator,
        lhs_latex=S.latex_name("mean_w2sq"),
        statement=_w2_statement(estimator, general),
        assumptions=(*ASSUMPTIONS, _ESTIMATOR_TEXT[estimator], _W2_ASSUMPTION,
                     *((_w2_general_text(),) if general else ()), shown),
        steps=(_d1_series_step(estimator), _remainder_step(estimator), _moments_step(), _taylor_step()),
        series_order=2,
        exact_value=_w2_value(2),
        series_of_order=lambda order: S.w2_series(order, params["dim"], params["cov_eigenvalues"], estimator),
        params=params,
        mc_target=_w2_target,
        references=("alemohammad2023", "shumailov2024curse"),
        unit=sp.Integer(1),
        unit_text=r"the units of $\Sigma_0$'s entries",
        series_symbols=(S.Mi, S.g),
        exact=False,
    )


# ---------------------------------------------------------------------------------------------------------
# d = 1 is the 1D model


_D1_MAP = {
    # ours -> (the 1D model's quantity, how to read it: ours = f(theirs, sigma))
    "mean_trace": ("mean_sigma2", lambda x, s: x),
    "mean_trace_sq": ("mean_sigma4", lambda x, s: x),
    "mean_sq_trace": ("mean_sigma4", lambda x, s: x),
    "mean_logdet": ("mean_log_sigma2", lambda x, s: x),
    "var_logdet": ("var_log_sigma2", lambda x, s: x),
    "mean_det_ratio": ("mean_sigma2", lambda x, s: x / s**2),
}


@functools.lru_cache(maxsize=None)
def _d1_steps(estimator: str) -> tuple[DerivationStep, ...]:
    sizes = G1.size_symbols(3)
    sig = G1.sigma
    sub = {S.d: 1, S.T1: sig**2, S.T2: sig**4, S.T11: sig**4}
    steps = []
    for ours, (theirs, read) in _D1_MAP.items():
        lhs = S.exact(ours, list(sizes), estimator).subs(sub).doit()
        steps.append(DerivationStep(
            description=f"$d = 1$: ${S.latex_name(ours)} = {G1.latex_name(theirs)}$"
                        + ("$/\\sigma^2$" if ours == "mean_det_ratio" else "") + " for symbolic $M_0, M_1, M_2$",
            lhs=sp.expand(lhs),
            rhs=sp.expand(read(G1.exact(theirs, list(sizes), estimator), sig)),
            domain={**{m: _size for m in sizes}, sig: _pos},
            points=1,
            route="alternative",
        ))
    lhs = S.exact("mean_sq_mu", list(sizes), estimator).subs(sub)
    rhs = G1.exact("var_x", list(sizes), estimator) - G1.exact("mean_sigma2", list(sizes), estimator)
    steps.append(DerivationStep(
        description=r"$d = 1$: $E\|\mu_g - \mu\|^2 = \operatorname{Var}X^g - E\sigma_g^2$ for symbolic $M_0, M_1, M_2$",
        lhs=sp.expand(lhs), rhs=sp.expand(rhs), domain={**{m: _size for m in sizes}, sig: _pos}, points=1,
        route="alternative",
    ))
    steps.append(_d1_series_step(estimator))
    return tuple(steps)


@functools.lru_cache(maxsize=None)
def d1_claim(estimator: str = "unbiased") -> Claim:
    """At d = 1 every quantity is the 1D model's (identities in SymPy with symbolic sizes)."""
    return Claim(
        id=f"{NAME}-d1-is-gaussian1d" + ("" if estimator == "unbiased" else "-mle"),
        title=f"At $d = 1$ the model is the 1D Gaussian model ({estimator} estimator)",
        model=NAME,
        quantity="mean_w2sq",
        estimator=estimator,
        lhs_latex=r"\left.E\,W_2^2\right|_{d = 1}",
        statement=G1.exact_symbolic_g("mean_w2sq", estimator).subs(G1.Mi, S.Mi),
        assumptions=(*ASSUMPTIONS[:2], _ESTIMATOR_TEXT[estimator], r"$d = 1$, $\Sigma_0 = \sigma^2$"),
        steps=_d1_steps(estimator),
        series_order=2,
        exact_value=lambda params, dps=17: S.evaluate("mean_w2sq", params["sizes"], 1, params["cov_eigenvalues"],
                                                      params["estimator"], dps=dps),
        series_of_order=lambda order: G1.series("mean_w2sq", order, estimator),
        params=_mc_params(estimator, D1_SIZES, 1, None),
        references=("shumailov2024curse", "shumailov2024nature"),
        unit=G1.sigma**2,
        unit_text="sigma^2",
        series_symbols=(S.Mi, S.g),
        display=functools.partial(_abbreviate_1d, estimator=estimator),
        notes=r"The Monte Carlo check runs this model's Bartlett sampler at $d = 1$ against the 1D model's exact form.",
    )


def _abbreviate_1d(expr: sp.Expr, *, estimator: str) -> tuple[sp.Expr, list]:
    from ..export.latex import abbreviate

    return abbreviate(expr, moment=functools.partial(G1.refit_moment, estimator=estimator))


# ---------------------------------------------------------------------------------------------------------
# the registry of claims


_EXACT = ("mean_sq_mu", "mean_trace", "mean_trace_sq", "mean_sq_trace", "mean_logdet", "var_logdet", "mean_det_ratio")


def claim_factories() -> dict[str, Callable[[], Claim]]:
    """``{claim id: factory}`` for every claim of the model."""
    out: dict[str, Callable[[], Claim]] = {}
    for est in ESTIMATORS:
        for q in _EXACT:
            out[claim_id(q, est)] = functools.partial(derived_claim, q, est)
    for est in ESTIMATORS:
        out[claim_id("mean_w2sq", est)] = functools.partial(w2_claim, est, False)
    out[claim_id("mean_w2sq", "unbiased").replace("w2sq", "w2sq-general")] = functools.partial(w2_claim, "unbiased", True)
    out[f"{NAME}-d1-is-gaussian1d"] = functools.partial(d1_claim, "unbiased")
    return out


def theory_latex(*, sizes: Sequence[int], dim: int = 2, cov_eigenvalues: Sequence | None = None,
                 estimator: str = "unbiased", eps: float = 0.1, order: int = 2) -> str:
    """Closed forms (symbolic g, d and invariants of Sigma_0) and, for mean_w2sq, the series for Sigma_0 = sigma^2 I."""
    from ..export.latex import aligned

    blocks = []
    for q in S.QUANTITIES:
        name = S.latex_name(q)
        blocks.append(f"% {q} ({estimator} estimator)")
        if q == "mean_w2sq":
            blocks.append(aligned(name, _w2_statement(estimator, False)))
        else:
            blocks.append(aligned(name, display(S.exact_symbolic_g(q, estimator))[0]))
    return "\n".join(blocks)


# ---------------------------------------------------------------------------------------------------------
# The model's declaration


def _validate(params: dict[str, Any]) -> dict[str, Any]:
    """Sizes by estimator; ``dim`` eigenvalues (the identity when none are given)."""
    params["sizes"] = check_sizes(params["sizes"], params["estimator"])
    S.check_model(params["dim"], params["cov_eigenvalues"], None, params["estimator"])
    if params["cov_eigenvalues"] is None:
        params["cov_eigenvalues"] = (1.0,) * params["dim"]
    return params


_QUANTITY_TEXT = {
    "mean_sq_mu": "E ||mu_g - mu||^2",
    "mean_trace": "E tr Sigma_g",
    "mean_trace_sq": "E tr(Sigma_g^2)",
    "mean_sq_trace": "E (tr Sigma_g)^2",
    "mean_logdet": "E log(det Sigma_g / det Sigma_0) (-inf once some M_i <= dim)",
    "var_logdet": "Var log det Sigma_g (undefined once some M_i <= dim)",
    "mean_det_ratio": "E det Sigma_g / det Sigma_0",
    "mean_w2sq": "E of the squared Wasserstein-2 (Bures) distance to N(mu, Sigma_0); exact for d = 1, series else",
    "mean_lambda_min": "E of the smallest eigenvalue of Sigma_g (simulation only)",
    "prob_lambda_min_below": "P(lambda_min(Sigma_g) < eps) (simulation only)",
}
_UNITS = {0: ("1", ""), 1: ("Sigma_0", r"\Sigma_0"), 2: ("Sigma_0^2", r"\Sigma_0^2")}


MODEL = Model(
    name=NAME,
    description="The d-dimensional Gaussian refit on its own samples: exact covariance collapse (Bartlett)",
    parameters=(
        Parameter("sizes", "sizes", "M_0,...,M_{g-1}; SIZExCOUNT repeats (20x50)", symbol="M_i"),
        Parameter("dim", "int", "dimension d of the data", default=2, minimum=1, symbol="d"),
        Parameter("cov_eigenvalues", "floats", "eigenvalues of Sigma_0, dim numbers > 0 (mu = 0; the identity when "
                  "not given)", default=None, minimum=0.0, strict=True, symbol=r"\lambda_k"),
        Parameter("estimator", "choice", "covariance estimator: unbiased (divisor M_i - 1) | mle (divisor M_i)",
                  default="unbiased", choices=ESTIMATORS, symbol="D_i"),
        Parameter("eps", "float", "threshold of prob_lambda_min_below, in the units of Sigma_0", default=0.1,
                  minimum=0.0, strict=True, symbol=r"\epsilon"),
    ),
    quantities=tuple(
        Quantity(q, S.latex_name(q), unit=_UNITS[S.scale_power(q)][0], unit_latex=_UNITS[S.scale_power(q)][1],
                 exact=q not in (*S.SIMULATION_ONLY, "mean_w2sq"), series=q not in S.SIMULATION_ONLY,
                 description=_QUANTITY_TEXT[q])
        for q in (*S.QUANTITIES, *S.SIMULATION_ONLY)
    ),
    theory="modelcollapse.symbolic.gaussiannd:theory",
    simulate="modelcollapse.numeric.gaussiannd:simulate",
    claims="modelcollapse.proofs.gaussiannd:claim_factories",
    faults="modelcollapse.proofs.gaussiannd_faults:faults",
    validate=_validate,
    generations=lambda params: len(params["sizes"]),
    figures=(
        Figure("logdet", r"Exact collapse: $\log(\det\Sigma_g/\det\Sigma_0)$, exact mean $\pm$ 1 s.d. and Monte Carlo",
               ("mean_logdet", "var_logdet"), kind="spread", ylabel=r"$\log(\det\Sigma_g/\det\Sigma_0)$"),
        Figure("det", r"$E\det\Sigma_g/\det\Sigma_0$ collapses geometrically, although $E\Sigma_g = \Sigma_0$ "
               "(unbiased)", ("mean_det_ratio",), log=True),
        Figure("det_by_estimator", r"$E\det\Sigma_g/\det\Sigma_0$ for both estimators", ("mean_det_ratio",),
               kind="compare", vary=("estimator", ESTIMATORS), log=True),
        Figure("second_moments", r"$E\,\mathrm{tr}\,\Sigma_g$ and the second moments of the covariance (exact 2x2 "
               "recursion)", ("mean_trace", "mean_trace_sq", "mean_sq_trace")),
        Figure("w2", r"$E\,W_2^2$: the 1/M series (order $\leq 2$) against Monte Carlo", ("mean_w2sq",)),
        Figure("logdet_paths", r"Individual chains: $\log(\det\Sigma_g/\det\Sigma_0)$ drifts to $-\infty$",
               ("logdet", "mean_logdet"), kind="paths", ylabel=r"$\log(\det\Sigma_g/\det\Sigma_0)$"),
        Figure("lambda_min_paths", r"Individual chains: the smallest eigenvalue $\lambda_{\min}(\Sigma_g)$",
               ("lambda_min", "mean_lambda_min"), kind="paths", log=True, ylabel=r"$\lambda_{\min}(\Sigma_g)$"),
    ),
    notation=(
        (r"d", r"dimension of the data"),
        (r"\Sigma_0", r"covariance of the original data $X^0 \sim \mathcal{N}(\mu, \Sigma_0)$, eigenvalues "
                      r"$\lambda_1, \dots, \lambda_d$"),
        (r"\Sigma_g, \mu_g", r"fitted covariance and mean after $g$ refits"),
        (r"M_i", r"sample size of generation $i = 0, \dots, g-1$"),
        (r"D_i", r"covariance divisor: $M_i - 1$ (unbiased) or $M_i$ (mle)"),
        (r"\mathcal{W}_d(n, \Sigma)", r"Wishart law of $\sum_{t=1}^n x_t x_t^{\mathsf T}$, $x_t \sim \mathcal{N}(0, \Sigma)$"),
        (r"\psi, \psi_1", r"digamma and trigamma functions"),
        (r"W_2^2", r"squared Wasserstein-2 distance between Gaussians (Bures form)"),
    ),
    references=("alemohammad2023", "shumailov2024curse"),
    default_plot={"dim": 3, "sizes": (60,) * 40},
    latex="modelcollapse.proofs.gaussiannd:theory_latex",
)
"""The N-dimensional Gaussian model (replace data), as the registry sees it."""
