r"""Linear regression trained on its own labels: exact test and in-sample errors (SymPy forms, mpmath values).

Fit 1 is least squares (ridge penalty :math:`\lambda \ge 0` on the Gram matrix of the fit's training data)
on :math:`T` real labels :math:`y_1 = X_1 w^* + e_1`; fit :math:`k+1` is trained on labels of fit
:math:`k`, :math:`y_{k+1} = X_{k+1} w_k + e_{k+1}`, :math:`e_k \sim N(0, \sigma^2 I_T)` fresh.
``replace`` fits the newest block, ``accumulate`` every block so far, stacked.  The synthetic blocks
(fits :math:`2..G`) have designs :math:`c_k X` with :math:`c_1 = 1`, :math:`c_k = c` (``synthetic_scale``).

**The reduction.**  With :math:`S_k = X_k^\top X_k`, :math:`P_k = S_1 + \dots + S_k` and
:math:`\delta_k = w_k - w^*` (:math:`\delta_0 = 0`), the normal equations give exactly

.. math::

    \text{replace: } \delta_k = (S_k + \lambda I)^{-1}(S_k\delta_{k-1} - \lambda w^* + X_k^\top e_k), \qquad
    \text{accumulate: } \delta_k = \delta_{k-1} + (P_k + \lambda I)^{-1} X_k^\top e_k \quad (k \ge 2).

For :math:`\lambda = 0` both are sums of independent Gaussian increments given the designs, with
covariances :math:`\sigma^2 S_k^{-1}` (replace) and :math:`\sigma^2 P_k^{-1} S_k P_k^{-1}` (accumulate).
One design :math:`S` reused (``fixed``, ``random-once``): :math:`\delta_G \mid X \sim N(0, \sigma^2 h_G S^{-1})`
with :math:`h_G = \sum_k c_k^{-2}` (replace) or :math:`h_G = \sum_k c_k^2/p_k^2`,
:math:`p_k = \sum_{j \le k} c_j^2` (accumulate; :math:`\sum_k 1/k^2` for :math:`c = 1`), so

* test error :math:`E\|\delta_G\|^2 = \sigma^2 h_G \operatorname{tr} S^{-1}` (fixed; the trace form) and
  :math:`\sigma^2 h_G\, d/(T - d - 1)` (random-once, :math:`T \ge d + 2`: :math:`1/(W^{-1})_{11} \sim
  \chi^2_{T-d+1}` for :math:`W \sim \text{Wishart}_d(T, I)`);
* in-sample error :math:`\frac1T E\|X\delta_G\|^2 = \sigma^2 h_G d / T` for every design
  (:math:`S^{1/2}\delta_G \sim N(0, \sigma^2 h_G I)`), variance :math:`2 d \sigma^4 h_G^2 / T^2`;
* :math:`\operatorname{Var}\|\delta_G\|^2 = 2\sigma^4 h_G^2 \operatorname{tr} S^{-2}` (fixed) and
  :math:`\sigma^4 h_G^2 [d(d+2)/((T-d-1)(T-d-3)) - d^2/(T-d-1)^2]` (random-once, :math:`T \ge d + 4`), by
  rotation invariance :math:`E\|\delta\|^4 = \sigma^4 h^2 E\|z\|^4 E[(W^{-1})_{11}^2]`.

Fresh designs: replace gives :math:`\sigma^2 h_G d/(T-d-1)` again; accumulate (:math:`c = 1`) gives,
by exchangeability of the blocks in :math:`P_k \sim \text{Wishart}_d(kT, I)`,
:math:`E \operatorname{tr}(P_k^{-2} S_k) = E\operatorname{tr}(P_k^{-1})/k`, hence

.. math::  E\|\delta_G\|^2 = \sigma^2 d \sum_{k=1}^{G} \frac{1}{k (kT - d - 1)},

below the same-design value :math:`\sigma^2 \frac{d}{T-d-1}\sum_k k^{-2}` for every :math:`G \ge 2`.

Ridge with a fixed design: everything is diagonal in the eigenbasis of :math:`S`; the mean and variance
of each coordinate follow linear recursions, solved in closed form.  Ridge with random designs, and
accumulate with fresh designs of two scales, have no closed form here (``None`` with the reason).

Values are absolute (in the units of the given :math:`\sigma` and :math:`w^*`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from .._validation import MAX_DIGITS, MAX_GENERATIONS, ParameterError, check_choice, check_integer
from ..models import TheoryResult

__all__ = [
    "QUANTITIES",
    "REASONS",
    "Setting",
    "evaluate",
    "gram",
    "latex_name",
    "statement",
    "theory",
]

QUANTITIES = ("test_error", "in_sample_error", "var_test_error", "var_in_sample_error")
SCHEMES = ("replace", "accumulate")
DESIGNS = ("fixed", "random-once", "fresh")

# symbols of the closed forms
d = sp.Symbol("d", positive=True, integer=True)
T = sp.Symbol("T", positive=True, integer=True)
G = sp.Symbol("G", positive=True, integer=True)
k = sp.Symbol("k", positive=True, integer=True)
i = sp.Symbol("i", positive=True, integer=True)
sigma = sp.Symbol("sigma", nonnegative=True)
lam = sp.Symbol("lambda", positive=True)
c = sp.Symbol("c", positive=True)
tau = sp.Symbol(r"\tau", positive=True)
r""":math:`\tau = \operatorname{tr}((X^\top X)^{-1})` of a fixed design."""
tau2 = sp.Symbol(r"\tau_2", positive=True)
r""":math:`\tau_2 = \operatorname{tr}((X^\top X)^{-2})` of a fixed design."""
s = sp.IndexedBase("s", positive=True)
r""":math:`s_i`: the eigenvalues of :math:`X^\top X`."""
omega = sp.IndexedBase(r"\omega", real=True)
r""":math:`\omega_i = q_i^\top w^*`: the true weights in the eigenbasis of :math:`X^\top X`."""

_LATEX = {
    "test_error": r"E\,\|w_G - w^*\|^2",
    "in_sample_error": r"E\,\frac{1}{T} \|X_1 (w_G - w^*)\|^2",
    "var_test_error": r"\operatorname{Var}\,\|w_G - w^*\|^2",
    "var_in_sample_error": r"\operatorname{Var}\,\frac{1}{T} \|X_1 (w_G - w^*)\|^2",
}

REASONS = {
    "t2": (
        "infinite for samples < dim + 2: E tr((X^T X)^{-1}) diverges (1/[(X^T X)^{-1}]_11 ~ chi^2_(T-d+1), whose "
        "reciprocal has no mean for T - d + 1 <= 2); a simulation average does not converge"
    ),
    "t4": (
        "infinite for samples < dim + 4: E[tr((X^T X)^{-1})^2] diverges (E[1/chi^2_(T-d+1)^2] = inf for "
        "T - d + 1 <= 4); a simulation variance does not converge"
    ),
    "ridge-random": (
        "no closed form: with ridge > 0 the error is a rational function of the random Gram matrix through "
        "(X^T X + lambda I)^{-1}, whose expectation over Wishart designs is not elementary; simulate"
    ),
    "fresh-scales": (
        "no closed form: accumulate with fresh designs of two scales (synthetic_scale != 1) pools Wishart matrices "
        "of different scales, and E tr((S_1 + c^2 S_2 + ...)^{-1}) is not elementary; simulate"
    ),
    "fresh-pooled": (
        "no closed form: accumulate with fresh designs gives the test error by exchangeability, "
        "E tr(P_k^{-2} S_k) = E tr(P_k^{-1})/k, but this moment needs the joint law of a single block's Gram "
        "matrix and the pooled one beyond that identity; simulate"
    ),
}
"""Why a quantity has no finite closed form in some regimes (the ``no_exact`` texts)."""


def latex_name(quantity: str) -> str:
    """LaTeX of a quantity (``E\\,\\|w_G - w^*\\|^2``)."""
    return _LATEX[check_choice("quantity", quantity, QUANTITIES)]


# ---------------------------------------------------------------------------------------------------------
# closed forms (SymPy, symbolic number of fits G)


def _nu() -> sp.Expr:
    return T - d - 1


def statement(name: str) -> sp.Expr:
    r"""The closed form of one regime, symbolic in :math:`G` (the claims' statements).

    ``replace-random``: :math:`G\sigma^2 d/(T-d-1)` (random-once and fresh); ``accumulate-same``:
    :math:`\sigma^2 \frac{d}{T-d-1}\sum_{k=1}^G k^{-2}` (random-once); ``accumulate-fresh``:
    :math:`\sigma^2 d \sum_k 1/(k(kT-d-1))`; ``fixed-replace``: :math:`G\sigma^2\tau`;
    ``fixed-accumulate``: :math:`\sigma^2\tau\sum_k k^{-2}`; ``in-sample-same``: :math:`G\sigma^2 d/T`;
    ``var-random-once``, ``var-fresh``, ``in-sample-fresh``, ``var-in-sample-same``; ``ridge-replace``,
    ``ridge-accumulate`` (fixed design, eigen-coordinates :math:`s_i, \omega_i`); ``shrunk-accumulate``
    (fixed design, synthetic blocks :math:`cX`).

    >>> statement("accumulate-fresh")
    d*sigma**2*Sum(1/(k*(T*k - d - 1)), (k, 1, G))
    """
    nu = _nu()
    alpha = 1 / (nu * (nu - 2))
    beta = 1 / nu**2
    forms = {
        "replace-random": G * sigma**2 * d / nu,
        "accumulate-same": sigma**2 * d / nu * sp.Sum(1 / k**2, (k, 1, G)),
        "accumulate-fresh": sigma**2 * d * sp.Sum(1 / (k * (k * T - d - 1)), (k, 1, G)),
        "fixed-replace": G * sigma**2 * tau,
        "fixed-accumulate": sigma**2 * tau * sp.Sum(1 / k**2, (k, 1, G)),
        "in-sample-same": G * sigma**2 * d / T,
        "var-in-sample-same": 2 * d * sigma**4 * G**2 / T**2,
        "var-random-once": sigma**4 * G**2 * (d * (d + 2) * alpha - d**2 * beta),
        "var-fresh": sigma**4 * (d * (d + 2) * (G * alpha + G * (G - 1) * beta) - G**2 * d**2 * beta),
        "in-sample-fresh": sigma**2 * ((G - 1) * d / nu + d / T),
        "shrunk-accumulate": sigma**2 * tau * (1 + sp.Sum(c**2 / (1 + (k - 1) * c**2) ** 2, (k, 2, G))),
    }
    mu = s[i] / (s[i] + lam)
    forms["ridge-replace"] = sp.Sum(
        omega[i] ** 2 * (1 - mu**G) ** 2 + sigma**2 * s[i] * (1 - mu ** (2 * G)) / ((s[i] + lam) ** 2 * (1 - mu**2)),
        (i, 1, d),
    )
    forms["ridge-accumulate"] = sp.Sum(
        lam**2 * omega[i] ** 2 / (s[i] + lam) ** 2 + sigma**2 * sp.Sum(s[i] / (k * s[i] + lam) ** 2, (k, 1, G)),
        (i, 1, d),
    )
    if name not in forms:
        raise ParameterError(f"statement must be one of {', '.join(forms)} (got {name!r})")
    return forms[name]


# ---------------------------------------------------------------------------------------------------------
# numeric evaluation (mpmath)


@dataclass(frozen=True)
class Setting:
    """The model parameters as the theory reads them (validated by the model; see ``MODEL.resolve``)."""

    dim: int
    samples: int
    noise: float
    generations: int
    scheme: str
    design: str
    ridge: float = 0.0
    synthetic_scale: float = 1.0
    w_star: tuple[float, ...] | None = None
    design_rows: tuple[tuple[float, ...], ...] | None = field(default=None, repr=False)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], design_rows: Any = None) -> Setting:
        dim = check_integer("dim", params["dim"], minimum=1)
        samples = check_integer("samples", params["samples"], minimum=1)
        gens = check_integer("generations", params["generations"], minimum=1, maximum=MAX_GENERATIONS)
        scheme = check_choice("scheme", params["scheme"], SCHEMES)
        design = check_choice("design", params["design"], DESIGNS)
        ridge = float(params.get("ridge", 0.0))
        if ridge == 0 and samples < dim:
            raise ParameterError(
                f"samples must be an integer >= dim = {dim} when ridge = 0 (the least-squares fit is not unique) "
                f"(got {samples})"
            )
        w = params.get("w_star")
        w = tuple(float(v) for v in w) if w is not None else (1 / math.sqrt(dim),) * dim
        if len(w) != dim:
            raise ParameterError(f"w_star must hold dim = {dim} entries (got {len(w)})")
        rows = None
        if design == "fixed":
            if design_rows is None:
                raise ParameterError("the fixed design's rows are needed for its theory (design_rows)")
            rows = tuple(tuple(float(x) for x in row) for row in design_rows)
            if len(rows) != samples or any(len(r) != dim for r in rows):
                raise ParameterError(f"design_rows must form a samples x dim = {samples} x {dim} matrix")
        return cls(dim, samples, float(params["noise"]), gens, scheme, design, ridge,
                   float(params.get("synthetic_scale", 1.0)), w, rows)

    def scale(self, fit: int) -> mpmath.mpf:
        """:math:`c_k`: 1 for the real data (fit 1), ``synthetic_scale`` after."""
        return mpmath.mpf(1) if fit == 1 else mpmath.mpf(self.synthetic_scale)


def gram(rows: Sequence[Sequence[float]]) -> mpmath.matrix:
    r""":math:`X^\top X` of float64 rows, exactly (integer arithmetic), rounded once to the working precision.

    >>> S = gram([(1.0, 0.5), (0.0, 2.0)])
    >>> [[float(S[a, b]) for b in range(2)] for a in range(2)]
    [[1.0, 0.5], [0.5, 4.25]]
    """
    ratios = [[float(x).as_integer_ratio() for x in row] for row in rows]
    den = max(q for row in ratios for _, q in row)  # a power of two: every denominator divides it
    ints = [[p * (den // q) for p, q in row] for row in ratios]
    dim = len(rows[0])
    out = mpmath.matrix(dim, dim)
    for a in range(dim):
        for b in range(a, dim):
            value = mpmath.mpf(sum(r[a] * r[b] for r in ints)) / (mpmath.mpf(den) ** 2)
            out[a, b] = out[b, a] = value
    return out


@dataclass
class _Values:
    exact: dict[str, Any]
    no_exact: dict[str, str]
    extra: dict[str, Any]


def _inverse_moments(dim: int, samples: int) -> tuple[Any, Any, Any]:
    r""":math:`E\operatorname{tr}W^{-1} = d\,a_1`, and :math:`a_1 = 1/(T-d-1)`, :math:`a_2 = 1/((T-d-1)(T-d-3))`
    (:math:`E (W^{-1})_{11}`, :math:`E (W^{-1})_{11}^2`), ``None`` where infinite."""
    nu = samples - dim - 1
    a1 = mpmath.mpf(1) / nu if nu >= 1 else None
    a2 = mpmath.mpf(1) / (nu * (nu - 2)) if nu >= 3 else None
    return a1, a2, (None if a1 is None else a1 * a1)


def evaluate(setting: Setting, dps: int = 17, record: str = "final") -> list[_Values]:
    """Exact values of every quantity after each fit (``record="all"``: fits ``1..G``; else fit ``G``).

    One pass over the fits; values are mpmath numbers at ``dps`` digits, ``None`` with a reason where a
    regime has no finite closed form.
    """
    dps = check_integer("dps", dps, minimum=1, maximum=MAX_DIGITS)
    with mpmath.workdps(dps + 15):
        if setting.ridge > 0:
            if setting.design == "fixed":
                out = _ridge_fixed(setting, record)
            else:
                out = [_null(setting, "ridge-random", gen) for gen in _gens(setting, record)]
        else:
            out = _ols(setting, record)
        for v in out:
            v.exact = {q: (None if x is None else +x) for q, x in v.exact.items()}
    with mpmath.workdps(dps):
        for v in out:
            v.exact = {q: (None if x is None else +x) for q, x in v.exact.items()}
    return out


def _gens(setting: Setting, record: str) -> list[int]:
    check_choice("record", record, ("final", "all"))
    return list(range(1, setting.generations + 1)) if record == "all" else [setting.generations]


def _null(setting: Setting, reason: str, gen: int) -> _Values:
    return _Values({q: None for q in QUANTITIES}, {q: REASONS[reason] for q in QUANTITIES}, {"generation": gen})


def _ols(st: Setting, record: str) -> list[_Values]:
    """Least squares: running weights h_k (and sum h_k^2) over the fits, closed forms per design."""
    wanted = set(_gens(st, record))
    sigma2 = mpmath.mpf(st.noise) ** 2
    D, Tn = st.dim, st.samples
    a1, a2, b = _inverse_moments(D, Tn)
    tau1 = tau_sq = None
    if st.design == "fixed":
        inv = mpmath.inverse(gram(st.design_rows))
        tau1 = sum(inv[a, a] for a in range(D))
        tau_sq = sum(inv[a, b_] ** 2 for a in range(D) for b_ in range(D))
    h = h2 = pooled = mpmath.mpf(0)
    fresh_sum = mpmath.mpf(0)
    one_fit = None
    out = []
    for gen in range(1, st.generations + 1):
        c2 = st.scale(gen) ** 2
        pooled += c2
        if st.scheme == "replace":
            h += 1 / c2
            h2 += 1 / c2**2
        else:
            h += c2 / pooled**2
            h2 = h * h
        if a1 is not None and Tn * gen - D - 1 > 0:
            fresh_sum += mpmath.mpf(1) / (gen * (Tn * gen - D - 1))
        if gen == 1:
            one_fit = (sigma2 * tau1) if st.design == "fixed" else (sigma2 * D * a1 if a1 is not None else None)
        if gen not in wanted:
            continue
        exact: dict[str, Any] = {}
        why: dict[str, str] = {}
        extra: dict[str, Any] = {"generation": gen}
        fresh_acc = st.design == "fresh" and st.scheme == "accumulate" and gen > 1
        if st.design == "fixed":
            exact["test_error"] = sigma2 * h * tau1
            exact["var_test_error"] = 2 * sigma2**2 * h**2 * tau_sq
            extra["fixed_design"] = {
                "trace_inv_gram": float(tau1),
                "trace_inv_gram_sq": float(tau_sq),
                "random_design_trace": None if a1 is None else float(D * a1),
                "weight": float(h),
            }
        elif fresh_acc:
            if st.synthetic_scale != 1:
                exact["test_error"] = None
                why["test_error"] = REASONS["fresh-scales"]
            elif a1 is None:
                exact["test_error"] = None
                why["test_error"] = REASONS["t2"]
            else:
                exact["test_error"] = sigma2 * D * fresh_sum
                same = sigma2 * D * a1 * h
                extra["same_design_formula"] = float(same)
                extra["same_design_relative_excess"] = float(same / exact["test_error"] - 1)
            for q in ("in_sample_error", "var_test_error", "var_in_sample_error"):
                exact[q] = None
                why[q] = REASONS["fresh-scales" if st.synthetic_scale != 1 else "fresh-pooled"]
        else:
            exact["test_error"] = None if a1 is None else sigma2 * h * D * a1
            if a1 is None:
                why["test_error"] = REASONS["t2"]
            if st.design == "random-once" or gen == 1:
                exact["var_test_error"] = None if a2 is None else sigma2**2 * h**2 * (D * (D + 2) * a2 - D * D * b)
            else:
                exact["var_test_error"] = (
                    None if a2 is None
                    else sigma2**2 * (D * (D + 2) * (h2 * a2 + (h * h - h2) * b) - h * h * D * D * b)
                )
            if exact["var_test_error"] is None:
                why["var_test_error"] = REASONS["t4"]
        if not fresh_acc:
            if st.design != "fresh" or gen == 1:
                exact["in_sample_error"] = sigma2 * h * D / Tn
                exact["var_in_sample_error"] = 2 * D * sigma2**2 * h**2 / Tn**2
            else:
                exact["in_sample_error"], exact["var_in_sample_error"], reasons = _fresh_in_sample(st, h, h2)
                why.update(reasons)
        test = exact.get("test_error")
        if test is not None and one_fit is not None and one_fit != 0:
            extra["one_fit_test_error"] = float(one_fit)
            extra["ratio_to_one_fit"] = float(test / one_fit)
        out.append(_Values(exact, why, extra))
    return out


def _fresh_in_sample(st: Setting, h: Any, h2: Any) -> tuple[Any, Any, dict[str, str]]:
    r"""In-sample error on the real design :math:`X_1` under replace with fresh designs.

    :math:`\delta_G = u_1 + r` with :math:`S_1^{1/2} u_1 \sim N(0, \sigma^2 I)` independent of :math:`S_1` and
    of :math:`r = u_2 + \dots + u_G` (rotation invariant, :math:`\rho_2 = E\|r\|^2`,
    :math:`\rho_4 = E\|r\|^4`), and :math:`r^\top S_1 r \mid r \sim \|r\|^2 \chi^2_T`:
    :math:`E = \rho_2 + d\sigma^2/T`, :math:`E(\cdot)^2 = [T(T+2)\rho_4 + 4\sigma^2 T\rho_2 + \sigma^4 d(d+2)
    + 2\sigma^2 d T \rho_2]/T^2`.
    """
    sigma2 = mpmath.mpf(st.noise) ** 2
    D, Tn = st.dim, st.samples
    a1, a2, b = _inverse_moments(D, Tn)
    why = {}
    if a1 is None:
        why = {"in_sample_error": REASONS["t2"], "var_in_sample_error": REASONS["t2"]}
        return None, None, why
    hr, hr2 = h - 1, h2 - 1  # the synthetic fits 2..G
    rho2 = sigma2 * hr * D * a1
    mean = rho2 + D * sigma2 / Tn
    if a2 is None:
        return mean, None, {"var_in_sample_error": REASONS["t4"]}
    rho4 = sigma2**2 * D * (D + 2) * (hr2 * a2 + (hr * hr - hr2) * b)
    second = (Tn * (Tn + 2) * rho4 + 4 * sigma2 * Tn * rho2 + sigma2**2 * D * (D + 2) + 2 * sigma2 * D * Tn * rho2) / Tn**2
    return mean, second - mean * mean, why


def _ridge_fixed(st: Setting, record: str) -> list[_Values]:
    r"""Ridge, fixed design: per eigen-coordinate :math:`(s_i, \omega_i)` the mean :math:`m` and variance
    :math:`C` of :math:`\delta` follow

    .. math::  m \leftarrow \mu_k m - (1 - \mu_k)\omega, \quad C \leftarrow \mu_k^2 C + q_k
               \quad\text{(replace)}, \qquad
               C \leftarrow C + \sigma^2 c_k^2 s/(p_k s + \lambda)^2 \quad\text{(accumulate, } k \ge 2),

    :math:`\mu_k = c_k^2 s/(c_k^2 s + \lambda)`, :math:`q_k = \sigma^2 c_k^2 s/(c_k^2 s + \lambda)^2`; the
    coordinates are independent Gaussians, so :math:`\operatorname{Var}\|\delta\|^2 = \sum 2C^2 + 4m^2C`.
    """
    wanted = set(_gens(st, record))
    S = gram(st.design_rows)
    eig, Q = mpmath.eigsy(S)
    D, Tn = st.dim, st.samples
    sv = [max(eig[a], mpmath.mpf(0)) for a in range(D)]
    w = [mpmath.mpf(x) for x in st.w_star]
    om = [mpmath.fsum(Q[r, a] * w[r] for r in range(D)) for a in range(D)]
    lam_ = mpmath.mpf(st.ridge)
    sigma2 = mpmath.mpf(st.noise) ** 2
    m = [mpmath.mpf(0)] * D
    C = [mpmath.mpf(0)] * D
    pooled = mpmath.mpf(0)
    out = []
    one_fit = None
    for gen in range(1, st.generations + 1):
        c2 = st.scale(gen) ** 2
        pooled += c2
        for a in range(D):
            if st.scheme == "replace" or gen == 1:
                mu = c2 * sv[a] / (c2 * sv[a] + lam_)
                m[a] = mu * m[a] - (1 - mu) * om[a]
                C[a] = mu * mu * C[a] + sigma2 * c2 * sv[a] / (c2 * sv[a] + lam_) ** 2
            else:
                C[a] = C[a] + sigma2 * c2 * sv[a] / (pooled * sv[a] + lam_) ** 2
        bias = mpmath.fsum(x * x for x in m)
        var = mpmath.fsum(C)
        if gen == 1:
            one_fit = bias + var
        if gen not in wanted:
            continue
        exact = {
            "test_error": bias + var,
            "in_sample_error": mpmath.fsum(sv[a] * (m[a] ** 2 + C[a]) for a in range(D)) / Tn,
            "var_test_error": mpmath.fsum(2 * C[a] ** 2 + 4 * m[a] ** 2 * C[a] for a in range(D)),
            "var_in_sample_error": mpmath.fsum(sv[a] ** 2 * (2 * C[a] ** 2 + 4 * m[a] ** 2 * C[a]) for a in range(D))
            / Tn**2,
        }
        extra = {"generation": gen, "decomposition": {"bias_sq": float(bias), "variance": float(var)}}
        if one_fit != 0:
            extra["one_fit_test_error"] = float(one_fit)
            extra["ratio_to_one_fit"] = float((bias + var) / one_fit)
        out.append(_Values(exact, {}, extra))
    return out


# ---------------------------------------------------------------------------------------------------------
# the model's theory entry (called by the proofs layer with the fixed design's rows)


def theory(
    *,
    dim: int,
    samples: int,
    noise: float = 1.0,
    generations: int = 1,
    scheme: str = "replace",
    design: str = "fixed",
    ridge: float = 0.0,
    synthetic_scale: float = 1.0,
    w_star: Sequence[float] | None = None,
    design_rows: Sequence[Sequence[float]] | None = None,
    order: int = 2,
    digits: int = 17,
    record: str = "final",
    **_: Any,
) -> TheoryResult | list[TheoryResult]:
    r"""Exact values of every quantity (this model has no series: ``series`` is empty).

    ``design_rows`` is the fixed design (``samples x dim``); ``**_`` takes the parameters that only say
    where that design comes from (``design_file``, ``design_seed``).

    >>> r = theory(dim=5, samples=20, generations=10, scheme="accumulate", design="random-once")
    >>> mpmath.nstr(r.exact["test_error"], 10), r.extra["ratio_to_one_fit"] < math.pi**2 / 6
    ('0.5534884754', True)
    """
    setting = Setting.from_params(
        {"dim": dim, "samples": samples, "noise": noise, "generations": generations, "scheme": scheme,
         "design": design, "ridge": ridge, "synthetic_scale": synthetic_scale, "w_star": w_star},
        design_rows,
    )
    digits = check_integer("digits", digits, minimum=1, maximum=MAX_DIGITS)
    values = evaluate(setting, digits, record)
    out = []
    for v in values:
        ordered = {q: v.exact.get(q) for q in QUANTITIES}
        out.append(TheoryResult(generation=v.extra.pop("generation"), exact=ordered, series={}, order=None,
                                no_exact={q: v.no_exact[q] for q in QUANTITIES if q in v.no_exact},
                                absolute=dict(ordered), extra=v.extra))
    return out if record == "all" else out[-1]
