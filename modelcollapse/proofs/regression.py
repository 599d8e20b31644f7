r"""Claims about linear regression trained on its own labels, and the model's declaration.

Derived claims (exact forms; every one with Monte Carlo evidence from the exact sampler):

* test error, replace, random designs: :math:`G\sigma^2 d/(T - d - 1)` (random-once and fresh);
* test error, accumulate, one design reused: :math:`\sigma^2\frac{d}{T-d-1}\sum_{k \le G} k^{-2}`; with a
  fresh design per block: :math:`\sigma^2 d\sum_{k \le G} 1/(k(kT-d-1))` (exchangeability of the blocks);
* the trace forms of a fixed design, :math:`G\sigma^2\operatorname{tr}(X^\top X)^{-1}` and
  :math:`\sigma^2\operatorname{tr}(X^\top X)^{-1}\sum_k k^{-2}`;
* in-sample errors, the variances of the test error (inverse-Wishart second moments), ridge with a fixed
  design (replace: the shrinkage bias compounds; accumulate: it does not), and accumulate with shrunk
  synthetic designs (the counterexample to the pi^2/6 bound).

Published claims, with computed verdicts:

* Dohmatob et al.'s linear growth :math:`\sigma^2 d n/(T-d-1)`: for which counting of :math:`n`;
* Gerstgrasser et al.'s accumulate formula (one design reused) and its use for fresh designs;
* Gerstgrasser et al.'s bound: accumulate stays below :math:`\pi^2/6` times one fit -- for which designs.

The derivation steps are checked as :mod:`modelcollapse.proofs.verify` checks every step: SymPy where
exact, and mpmath at random points through an independent route (a QR least-squares solve for the
reduction, quadrature against the chi-square and beta densities for the Wishart moments).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import sympy as sp

from ..models import Figure, Model, Parameter, Quantity
from ..numeric import regression as N
from ..symbolic import regression as R
from . import quadrature as Q
from .claim import Claim, DerivationStep, PublishedForm

NAME = "regression"
PI2_6 = sp.pi**2 / 6

_E = sp.Function("E")
_d, _T, _G, _sigma, _k = R.d, R.T, R.G, R.sigma, R.k
_nu = sp.Symbol("nu", positive=True, integer=True)  # T - d in the Wishart steps
_Dn = sp.Symbol("D", positive=True, integer=True)  # dimension of a random instance
_Rn = sp.Symbol("R", nonnegative=True, integer=True)  # rows beyond the dimension
_Kn = sp.Symbol("K", positive=True, integer=True)  # number of blocks
_seed = sp.Symbol("seed", positive=True, integer=True)
_mu, _om, _q = sp.Symbol("mu", positive=True), sp.Symbol("omega", real=True), sp.Symbol("q", positive=True)
_s1 = sp.Symbol("s", positive=True)


# ---------------------------------------------------------------------------------------------------------
# the two layers meet here: the fixed design from the numeric layer, the theory from the symbolic layer


def design_rows(params: Mapping[str, Any]) -> tuple[tuple[float, ...], ...] | None:
    """The fixed design's rows (plain floats) for the symbolic layer; ``None`` for random designs."""
    if params["design"] != "fixed":
        return None
    if params.get("design_file") is None:
        return _drawn_rows(params["samples"], params["dim"], params["design_seed"], params["ridge"] > 0)
    X = N.design_matrix(samples=params["samples"], dim=params["dim"], design_file=params["design_file"],
                        ridge=params["ridge"])
    return tuple(tuple(float(x) for x in row) for row in X)


@functools.lru_cache(maxsize=64)
def _drawn_rows(samples: int, dim: int, seed: int, ridge: bool) -> tuple[tuple[float, ...], ...]:
    X = N.design_matrix(samples=samples, dim=dim, design_seed=seed, ridge=1.0 if ridge else 0.0)
    return tuple(tuple(float(x) for x in row) for row in X)


def theory(*, order: int = 2, digits: int = 17, record: str = "final", **params: Any) -> Any:
    """The model's theory (``MODEL.theory``): the fixed design is read or drawn, then the exact forms."""
    return R.theory(**params, design_rows=design_rows(params), order=order, digits=digits, record=record)


def exact(quantity: str, params: Mapping[str, Any], dps: int = 17) -> mpmath.mpf:
    """The exact value of ``quantity`` at ``params`` (a resolved parameter mapping); raises where it has none."""
    value = R.evaluate(R.Setting.from_params(params, design_rows(params)), dps)[-1]
    if value.exact[quantity] is None:
        raise ValueError(f"{quantity} has no exact value at these parameters: {value.no_exact[quantity]}")
    return value.exact[quantity]


def _exact_fn(quantity: str) -> Callable[[Mapping[str, Any], int], mpmath.mpf]:
    return lambda params, dps=17: exact(quantity, params, dps)


def resolve(**changes: Any) -> dict[str, Any]:
    """The model's parameters with some set (checked and completed by ``MODEL.resolve``)."""
    return MODEL.resolve(changes)


# ---------------------------------------------------------------------------------------------------------
# derivation steps


def _chi2_moment_quad(nu: Any, r: int) -> Any:
    r""":math:`E[(\chi^2_\nu)^r]` by quadrature against the density (:mod:`~modelcollapse.proofs.quadrature`)."""
    return Q.moment(Q.scaled_chi_square(int(nu), 1), r)


def _chi2_moment(nu: sp.Expr, r: int) -> sp.Expr:
    r""":math:`E[(\chi^2_\nu)^r] = 2^r\Gamma(\nu/2 + r)/\Gamma(\nu/2)` (SymPy)."""
    return sp.Integer(2) ** r * sp.gamma(nu / 2 + r) / sp.gamma(nu / 2)


def _int(lo: int, hi: int) -> Callable[[random.Random], int]:
    return lambda rng: rng.randint(lo, hi)


def _real(lo: float, hi: float) -> Callable[[random.Random], Any]:
    """A random real as an exact rational (so that SymPy evaluates both sides of a step without rounding)."""
    return lambda rng: sp.Rational(rng.uniform(lo, hi))


def _mpf(x: Any) -> Any:
    """A domain value (SymPy rational or integer) as an mpmath number."""
    x = sp.Rational(x)
    return mpmath.mpf(int(x.p)) / int(x.q)


def _reduction_residual(scheme: str, ridge: bool) -> Callable[[Mapping[sp.Symbol, Any]], Any]:
    r"""Relative difference between the fits of a random instance, solved by QR least squares on the stacked
    (and, with ridge, penalty-augmented) data, and the reduction formula for :math:`\delta_K`."""

    def residual(point: Mapping[sp.Symbol, Any]) -> Any:
        D, K = int(point[_Dn]), int(point[_Kn])
        T = D + int(point[_Rn]) + (0 if ridge else 1)
        lam = _mpf(point[R.lam]) if ridge else mpmath.mpf(0)
        cc = _mpf(point[R.c])
        rng = random.Random(int(point[_seed]))
        gauss = lambda *shape: mpmath.matrix([[rng.gauss(0, 1) for _ in range(shape[1])] for _ in range(shape[0])])  # noqa: E731
        w_star = gauss(D, 1)
        blocks: list[tuple[Any, Any]] = []
        w = w_star
        delta = mpmath.matrix(D, 1)
        pooled = mpmath.matrix(D, D)
        eye = mpmath.eye(D)
        for k in range(1, K + 1):
            X = gauss(T, D) * (1 if k == 1 else cc)
            e = gauss(T, 1)
            y = X * w + e
            blocks.append((X, y))
            used = blocks if scheme == "accumulate" else blocks[-1:]
            rows = [[X_[r, j] for j in range(D)] for X_, _ in used for r in range(T)]
            rows += [[mpmath.sqrt(lam) * eye[a, j] for j in range(D)] for a in range(D)]
            A = mpmath.matrix(rows)
            b = mpmath.matrix([y_[r, 0] for _, y_ in used for r in range(T)] + [0] * D)
            Q, Rm = mpmath.qr(A)
            qb = Q.T * b
            w = mpmath.lu_solve(Rm[:D, :D], qb[:D, 0])
            # the reduction
            S = X.T * X
            pooled += S
            if scheme == "replace" or k == 1:
                delta = mpmath.lu_solve(S + lam * eye, S * delta - lam * w_star + X.T * e)
            else:
                delta = delta + mpmath.lu_solve(pooled + lam * eye, X.T * e)
        err = w - w_star
        return mpmath.norm(err - delta) / mpmath.norm(err)

    return residual


@functools.lru_cache(maxsize=None)
def reduction_step(scheme: str, ridge: bool) -> DerivationStep:
    """The one-fit reduction, checked on random instances against a QR least-squares solve."""
    if scheme == "replace":
        formula = (r"\delta_k = (S_k + \lambda I)^{-1}(S_k \delta_{k-1} - \lambda w^* + X_k^\top e_k)" if ridge
                   else r"\delta_k = \delta_{k-1} + S_k^{-1} X_k^\top e_k")
    else:
        formula = (r"\delta_k = \delta_{k-1} + (P_k + \lambda I)^{-1} X_k^\top e_k" if ridge
                   else r"\delta_k = \delta_{k-1} + P_k^{-1} X_k^\top e_k")
    lhs = sp.Symbol(r"\rho_K")
    domain = {_Dn: _int(1, 4), _Rn: _int(0, 4), _Kn: _int(1, 4), _seed: _int(1, 10**9), R.c: _real(0.3, 2.0)}
    if ridge:
        domain[R.lam] = _real(0.1, 3.0)
    return DerivationStep(
        description=(
            f"one fit ({scheme}{', ridge' if ridge else ''}): the least-squares fit on labels "
            rf"$y_k = X_k w_{{k-1}} + e_k$ satisfies ${formula}$ with $S_k = X_k^\top X_k$, $P_k = S_1 + \dots + S_k$"
            "; checked on random instances (dimension, rows, blocks $K$, scales) against a QR solve of the "
            + ("stacked " if scheme == "accumulate" else "")
            + ("penalty-augmented " if ridge else "")
            + r"least-squares problem, $\hat w_K$: the relative difference $\rho_K = \|\hat w_K - w^* - \delta_K\| / "
            r"\|\hat w_K - w^*\|$ vanishes"
        ),
        lhs=lhs,
        rhs=sp.Integer(0),
        exact=False,
        domain=domain,
        numeric_lhs=_reduction_residual(scheme, ridge),
        points=2,
        tolerance_digits=12,
        route="instances",
    )


def _covariance_ratios(point: Mapping[sp.Symbol, Any]) -> Any:
    r""":math:`\operatorname{tr}(AA^\top)/\operatorname{tr}S^{-1} + \operatorname{tr}(XAA^\top X^\top)/d` for a random
    design, :math:`A = S^{-1}X^\top` (each ratio is 1)."""
    D = int(point[_Dn])
    T = D + int(point[_Rn]) + 1
    rng = random.Random(int(point[_seed]))
    X = mpmath.matrix([[rng.gauss(0, 1) for _ in range(D)] for _ in range(T)])
    S_inv = mpmath.inverse(X.T * X)
    A = S_inv * X.T
    AA = A * A.T
    tr = lambda M: mpmath.fsum(M[a, a] for a in range(M.rows))  # noqa: E731
    return tr(AA) / tr(S_inv) + tr(X * AA * X.T) / D


@functools.lru_cache(maxsize=None)
def covariance_step() -> DerivationStep:
    """Given the design, the second moments of one increment (trace identities, checked on random designs)."""
    return DerivationStep(
        description=(
            r"given the design, the increment $A e_k$, $A = S^{-1} X^\top$, $e_k \sim N(0, \sigma^2 I_T)$, has "
            r"$E\|A e_k\|^2 = \sigma^2 \operatorname{tr}(A A^\top) = \sigma^2 \operatorname{tr}(S^{-1})$ and "
            r"$E\|X A e_k\|^2 = \sigma^2 \operatorname{tr}(X A A^\top X^\top) = \sigma^2 d$; the increments of "
            r"different fits are independent; checked on random designs (the two ratios are 1 each)"
        ),
        lhs=sp.Symbol(r"\operatorname{tr}(A A^\top)/\operatorname{tr}(S^{-1}) + \operatorname{tr}(X A A^\top X^\top)/d"),
        rhs=sp.Integer(2),
        exact=False,
        domain={_Dn: _int(1, 6), _Rn: _int(0, 6), _seed: _int(1, 10**9)},
        numeric_lhs=_covariance_ratios,
        points=2,
        tolerance_digits=12,
        route="instances",
    )


@functools.lru_cache(maxsize=None)
def wishart_steps() -> tuple[DerivationStep, ...]:
    r"""The inverse-Wishart moments the random designs need, by two routes each.

    Schur complement: :math:`1/(W^{-1})_{11} \sim \chi^2_{T-d+1}`; Bartlett at :math:`d = 2`:
    :math:`(W^{-1})_{11} = (1 + z^2/l_2^2)/l_1^2` with :math:`l_1^2 \sim \chi^2_T`, :math:`l_2^2 \sim \chi^2_{T-1}`.
    """
    nu = _nu  # nu = T - d
    schur1 = DerivationStep(
        description=(
            r"one fit, random design: $E[(W^{-1})_{11}]$ for $W \sim \mathrm{Wishart}_d(T, I)$ from "
            r"$1/(W^{-1})_{11} \sim \chi^2_{T-d+1}$ (Schur complement), $\nu = T - d$; checked by quadrature "
            "against the chi-square density"
        ),
        lhs=_chi2_moment(nu + 1, -1),
        rhs=1 / (nu - 1),
        domain={nu: _int(2, 40)},
        numeric_lhs=lambda p: _chi2_moment_quad(p[nu] + 1, -1),
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )
    bart1 = DerivationStep(
        description=(
            r"the same at $d = 2$ by Bartlett's decomposition, $(W^{-1})_{11} = (1 + z^2/l_2^2)/l_1^2$, "
            r"$l_1^2 \sim \chi^2_T$, $l_2^2 \sim \chi^2_{T-1}$, $z \sim N(0,1)$ independent: an independent route "
            r"to $1/(T - d - 1)$ (quadrature)"
        ),
        lhs=_chi2_moment(_T, -1) * (1 + _chi2_moment(_T - 1, -1)),
        rhs=1 / (_T - 3),
        domain={_T: _int(4, 40)},
        numeric_lhs=lambda p: _chi2_moment_quad(p[_T], -1) * (1 + _chi2_moment_quad(p[_T] - 1, -1)),
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )
    schur2 = DerivationStep(
        description=(
            r"second moment: $E[(W^{-1})_{11}^2] = E[(\chi^2_{T-d+1})^{-2}]$ (Schur complement), finite for "
            r"$T \ge d + 4$; quadrature"
        ),
        lhs=_chi2_moment(nu + 1, -2),
        rhs=1 / ((nu - 1) * (nu - 3)),
        domain={nu: _int(4, 40)},
        numeric_lhs=lambda p: _chi2_moment_quad(p[nu] + 1, -2),
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )
    bart2 = DerivationStep(
        description=(
            r"the same at $d = 2$ by Bartlett's decomposition: $E[l_1^{-4}]\,(1 + 2E[l_2^{-2}] + 3E[l_2^{-4}])$ "
            "(quadrature)"
        ),
        lhs=_chi2_moment(_T, -2) * (1 + 2 * _chi2_moment(_T - 1, -1) + 3 * _chi2_moment(_T - 1, -2)),
        rhs=1 / ((_T - 3) * (_T - 5)),
        domain={_T: _int(6, 40)},
        numeric_lhs=lambda p: _chi2_moment_quad(p[_T], -2) * (
            1 + 2 * _chi2_moment_quad(p[_T] - 1, -1) + 3 * _chi2_moment_quad(p[_T] - 1, -2)),
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )
    return schur1, bart1, schur2, bart2


@functools.lru_cache(maxsize=None)
def rotation_step() -> DerivationStep:
    r""":math:`E\|\delta\|^4 = \sigma^4 h^2 E\|z\|^4 E[(W^{-1})_{11}^2]` for :math:`\delta \mid W \sim N(0, \sigma^2 h W^{-1})`."""
    return DerivationStep(
        description=(
            r"rotation invariance: for $\delta \mid W \sim N(0, \sigma^2 h W^{-1})$, $\|\delta\|^2 = \sigma^2 h\,\|z\|^2"
            r"\, u^\top W^{-1} u$ with $u = z/\|z\|$ independent of $\|z\|$ and $u^\top W^{-1} u \sim (W^{-1})_{11}$, so "
            r"$E\|\delta\|^4/(\sigma^4 h^2) = E[(\chi^2_d)^2]\, E[(W^{-1})_{11}^2]$"
        ),
        lhs=_chi2_moment(_d, 2) * _chi2_moment(_nu + 1, -2),
        rhs=_d * (_d + 2) / ((_nu - 1) * (_nu - 3)),
        domain={_d: _int(1, 12), _nu: _int(4, 40)},
        numeric_lhs=lambda p: _chi2_moment_quad(p[_d], 2) * _chi2_moment_quad(p[_nu] + 1, -2),
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )


def _beta_gamma_route(p: Mapping[sp.Symbol, Any]) -> Any:
    r""":math:`E[s_1/P^2]` at :math:`d = 1` (:math:`s_1 \sim \chi^2_T`, :math:`P = s_1 + \chi^2_{(k-1)T}`) as
    :math:`E[B]\,E[1/P]`, :math:`B = s_1/P \sim \mathrm{Beta}(T/2, (k-1)T/2)` independent of
    :math:`P \sim \chi^2_{kT}` (Lukacs), both by quadrature."""
    Tn, kn = p[_T], p[_k]
    a, b = mpmath.mpf(Tn) / 2, mpmath.mpf((kn - 1) * Tn) / 2
    if kn == 1:
        mean_b = mpmath.mpf(1)
    else:
        mean_b = mpmath.quad(lambda x: x * x ** (a - 1) * (1 - x) ** (b - 1) / mpmath.beta(a, b), [0, 0.5, 1])
    return mean_b * _chi2_moment_quad(kn * Tn, -1)


@functools.lru_cache(maxsize=None)
def exchangeability_step() -> DerivationStep:
    r""":math:`E\operatorname{tr}(P_k^{-2} S_k) = E\operatorname{tr}(P_k^{-1})/k = d/(k(kT - d - 1))`."""
    return DerivationStep(
        description=(
            r"accumulate, fresh designs: the blocks of $P_k = S_1 + \dots + S_k \sim \mathrm{Wishart}_d(kT, I)$ "
            r"are exchangeable, so $E \operatorname{tr}(P_k^{-2} S_k) = \tfrac1k E\operatorname{tr}(P_k^{-1})$; "
            r"shown at $d = 1$, checked by an independent route: $s_k/P_k \sim \mathrm{Beta}(T/2, (k-1)T/2)$ "
            r"independent of $P_k \sim \chi^2_{kT}$ (quadrature)"
        ),
        lhs=_E(_s1 / sp.Symbol("P_k") ** 2),
        rhs=1 / (_k * (_k * _T - 2)),
        exact=False,
        domain={_T: _int(3, 30), _k: _int(1, 5)},
        numeric_lhs=_beta_gamma_route,
        points=2,
        tolerance_digits=14,
        route="quadrature",
    )


def _solution_step(description: str, iterated: sp.Expr, name: str, generations: int = 3,
                   domain: Mapping[sp.Symbol, Any] | None = None) -> DerivationStep:
    """The closed form ``name`` at ``G = generations`` equals the per-fit recursion iterated (exactly)."""
    form = R.statement(name).subs(_G, generations)
    base = {_d: _int(1, 8), _T: _int(14, 40), _sigma: _real(0.5, 2.0), R.tau: _real(0.1, 3.0), R.c: _real(0.3, 2.0)}
    free = form.doit().free_symbols | iterated.free_symbols
    return DerivationStep(
        description=description,
        lhs=form,
        rhs=iterated,
        domain={**{s_: f for s_, f in base.items() if s_ in free}, **(domain or {})},
        points=2,
        route="points",
    )


def _weights(scheme: str, generations: int, c: sp.Expr = sp.Integer(1)) -> tuple[sp.Expr, sp.Expr]:
    r"""The weights :math:`h_G = \sum_k \operatorname{Cov}` factors of the reduction, fit by fit (SymPy)."""
    h = h2 = pooled = sp.Integer(0)
    for kk in range(1, generations + 1):
        c2 = sp.Integer(1) if kk == 1 else c**2
        pooled += c2
        if scheme == "replace":
            h += 1 / c2
            h2 += 1 / c2**2
        else:
            h += c2 / pooled**2
    return h, h2


# ---------------------------------------------------------------------------------------------------------
# claims

ASSUMPTIONS = (
    r"features $x \in \mathbb{R}^d$, true weights $w^*$, labels $y = x^\top w + e$ with $e \sim N(0, \sigma^2)$; "
    r"fit 1 is least squares on $T$ real labels $y_1 = X_1 w^* + e_1$, fit $k+1$ on labels of fit $k$, "
    r"$y_{k+1} = X_{k+1} w_k + e_{k+1}$, with fresh noise",
    r"the test error $\|w_G - w^*\|^2$ is the excess risk on an isotropic test point $x \sim N(0, I)$ (label noise "
    "not included)",
)
_SCHEME_TEXT = {
    "replace": "replace: fit $k$ uses the newest block only",
    "accumulate": r"accumulate: fit $k$ uses the blocks $1..k$ stacked, $P_k = X_1^\top X_1 + \dots + X_k^\top X_k$",
}
_DESIGN_TEXT = {
    "fixed": r"fixed design: one $T \times d$ matrix $X$ of full column rank reused by every fit, "
             r"$\tau = \operatorname{tr}((X^\top X)^{-1})$",
    "random-once": r"random-once design: one Gaussian design $X$ with i.i.d. $N(0, 1)$ entries per chain, reused by every fit",
    "fresh": r"fresh designs: a new Gaussian design with i.i.d. $N(0, 1)$ entries for every fit",
    "random": r"random designs (random-once or fresh): Gaussian designs with i.i.d. $N(0, 1)$ entries",
}
_SCOPE_RANDOM = r"for every number of fits $G \ge 1$, dimension $d \ge 1$ and $T \ge d + 2$ rows per block"
_SCOPE_RANDOM4 = r"for every number of fits $G \ge 1$, dimension $d \ge 1$ and $T \ge d + 4$ rows per block"
_SCOPE_FIXED = r"for every number of fits $G \ge 1$ and every full-rank design"
_REFS = ("dohmatob2024regression", "gerstgrasser2024")

_BASE = {"dim": 3, "samples": 14, "noise": 1.0, "generations": 5, "ridge": 0.0}
"""Monte Carlo parameters: few dimensions and rows make the inverse-Wishart effects large (d/(T-d-1) is
30% of a fit against d/T = 21%), so a few thousand chains resolve an off-by-one in T - d - 1; T >= d + 8
keeps the fourth moment of the test error finite, so the standard errors are reliable."""


def _relative(quantity: str, fraction: float) -> Callable[[Mapping[str, Any]], float]:
    return lambda p: fraction * abs(float(exact(quantity, p)))


def _off_by_one(p: Mapping[str, Any], weight: float) -> float:
    """The error of the wrong inverse-Wishart mean d/(T - d) instead of d/(T - d - 1), for one weight h."""
    D, Tn, s2 = p["dim"], p["samples"], p["noise"] ** 2
    return s2 * weight * D * (1 / (Tn - D - 1) - 1 / (Tn - D))


def _h(p: Mapping[str, Any]) -> float:
    return float(_weights(p["scheme"], p["generations"], sp.nsimplify(p["synthetic_scale"]))[0])


def _claim(cid: str, *, title: str, quantity: str, statement: sp.Expr, assumptions: tuple[str, ...],
           steps: tuple[DerivationStep, ...], params: dict[str, Any], target: Callable[[Mapping[str, Any]], float],
           scope: str, unit: sp.Expr, notes: str = "") -> Claim:
    return Claim(
        id=cid,
        title=title,
        model=NAME,
        quantity=quantity,
        lhs_latex=R.latex_name(quantity),
        statement=statement,
        assumptions=(*ASSUMPTIONS, *assumptions),
        steps=steps,
        series_order=None,
        exact_value=_exact_fn(quantity),
        params=params,
        mc_target=target,
        references=_REFS,
        unit=unit,
        unit_text={1: "1", 2: "sigma^2", 4: "sigma^4"}[int(sp.degree(unit, _sigma)) if unit != 1 else 1],
        scope=scope,
        notes=notes,
    )


def _mc(**changes: Any) -> dict[str, Any]:
    return resolve(**{**_BASE, **changes})


@functools.lru_cache(maxsize=None)
def derived_claims() -> dict[str, Claim]:
    """Every derived claim of the model, by id."""
    red = {(s_, r_): reduction_step(s_, r_) for s_ in R.SCHEMES for r_ in (False, True)}
    w1, wb1, w2, wb2 = wishart_steps()
    s2 = _sigma**2
    out: list[Claim] = []

    out.append(_claim(
        "regression-test-error-replace",
        title="Test error grows linearly: replace, random designs",
        quantity="test_error", statement=R.statement("replace-random"),
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["random"], "ordinary least squares (no ridge)"),
        steps=(red[("replace", False)], covariance_step(), w1, wb1),
        params=_mc(scheme="replace", design="random-once"),
        target=lambda p: _off_by_one(p, p["generations"]),
        scope=_SCOPE_RANDOM, unit=s2,
        notes="random-once and fresh designs have the same expectation; the in-sample error and the variance differ",
    ))
    h_acc, _ = _weights("accumulate", 3)
    out.append(_claim(
        "regression-test-error-accumulate",
        title="Test error stays bounded: accumulate, one random design reused",
        quantity="test_error", statement=R.statement("accumulate-same"),
        assumptions=(_SCHEME_TEXT["accumulate"], _DESIGN_TEXT["random-once"], "ordinary least squares (no ridge)"),
        steps=(red[("accumulate", False)], w1, _solution_step(
            r"with one design, $P_k = kS$ and the increments $S^{-1}X^\top e_k/k$ have weights $1/k^2$; at $G = 3$",
            h_acc * s2 * _d / (_T - _d - 1), "accumulate-same")),
        params=_mc(scheme="accumulate", design="random-once"),
        target=lambda p: _off_by_one(p, _h(p)),
        scope=_SCOPE_RANDOM, unit=s2,
    ))
    fresh3 = sum(s2 * _d / (kk * (kk * _T - _d - 1)) for kk in range(1, 4))
    out.append(_claim(
        "regression-test-error-accumulate-fresh",
        title="Test error under accumulation with a fresh design per block",
        quantity="test_error", statement=R.statement("accumulate-fresh"),
        assumptions=(_SCHEME_TEXT["accumulate"], _DESIGN_TEXT["fresh"], "ordinary least squares (no ridge)"),
        steps=(red[("accumulate", False)], w1, exchangeability_step(), _solution_step(
            r"sum of the increments $\sigma^2 E\operatorname{tr}(P_k^{-2} S_k) = \sigma^2 d/(k(kT-d-1))$; at $G = 3$",
            fresh3, "accumulate-fresh")),
        params=_mc(scheme="accumulate", design="fresh", samples=12),
        target=lambda p: abs(float(exact("test_error", p)) - _same_design(p)),
        scope=_SCOPE_RANDOM, unit=s2,
        notes="below the same-design value sigma^2 d/(T-d-1) sum 1/k^2 for every G >= 2: the target is that difference",
    ))
    out.append(_claim(
        "regression-test-error-fixed",
        title="Test error of a fixed design: the trace form (replace)",
        quantity="test_error", statement=R.statement("fixed-replace"),
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["fixed"], "ordinary least squares (no ridge)"),
        steps=(red[("replace", False)], covariance_step()),
        params=_mc(scheme="replace", design="fixed", samples=8),
        target=lambda p: max(0.01 * float(exact("test_error", p)), min(
            float(exact("test_error", p)) / p["generations"],
            abs(float(exact("test_error", p)) - p["generations"] * p["dim"] / (p["samples"] - p["dim"] - 1)))),
        scope=_SCOPE_FIXED, unit=s2,
        notes="the random-design value G sigma^2 d/(T-d-1) is the expectation of this over Gaussian designs",
    ))
    out.append(_claim(
        "regression-test-error-fixed-accumulate",
        title="Test error of a fixed design under accumulation: the trace form",
        quantity="test_error", statement=R.statement("fixed-accumulate"),
        assumptions=(_SCHEME_TEXT["accumulate"], _DESIGN_TEXT["fixed"], "ordinary least squares (no ridge)"),
        steps=(red[("accumulate", False)], _solution_step(
            r"with $P_k = kS$ the increments have covariance $\sigma^2 S^{-1}/k^2$; at $G = 3$",
            h_acc * s2 * R.tau, "fixed-accumulate")),
        params=_mc(scheme="accumulate", design="fixed", samples=8),
        target=_relative("test_error", 0.02),
        scope=_SCOPE_FIXED, unit=s2,
    ))
    out.append(_claim(
        "regression-in-sample-error",
        title="In-sample error of a design reused by every fit",
        quantity="in_sample_error", statement=R.statement("in-sample-same"),
        assumptions=(_SCHEME_TEXT["replace"], r"fixed or random-once design (one design $X$ reused by every fit)",
                     "ordinary least squares (no ridge)"),
        steps=(red[("replace", False)], covariance_step()),
        params=_mc(scheme="replace", design="random-once"),
        target=lambda p: float(exact("in_sample_error", p)) / p["generations"],
        scope=r"for every number of fits $G \ge 1$, $d \ge 1$, $T \ge d$ and every full-rank design", unit=s2,
        notes="the same for every design: the in-sample error cannot tell a fixed from a random design",
    ))
    var_ro = R.statement("var-random-once")
    out.append(_claim(
        "regression-var-test-error-random-once",
        title="Variance of the test error: one random design reused",
        quantity="var_test_error", statement=var_ro,
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["random-once"], "ordinary least squares (no ridge)"),
        steps=(red[("replace", False)], w1, w2, wb2, rotation_step()),
        params=_mc(scheme="replace", design="random-once", dim=2, samples=20, generations=4),
        target=lambda p: _var_gap(p),
        scope=_SCOPE_RANDOM4, unit=_sigma**4,
        notes="the target is the difference to the fresh-design variance",
    ))
    out.append(_claim(
        "regression-var-test-error-fresh",
        title="Variance of the test error: a fresh design per fit",
        quantity="var_test_error", statement=R.statement("var-fresh"),
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["fresh"], "ordinary least squares (no ridge)"),
        steps=(red[("replace", False)], w1, w2, rotation_step()),
        params=_mc(scheme="replace", design="fresh", dim=2, samples=20, generations=4),
        target=lambda p: _var_gap(p),
        scope=_SCOPE_RANDOM4, unit=_sigma**4,
        notes="the target is the difference to the random-once variance",
    ))
    out.append(_claim(
        "regression-in-sample-error-fresh",
        title="In-sample error on the real design, a fresh design per fit",
        quantity="in_sample_error", statement=R.statement("in-sample-fresh"),
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["fresh"], "ordinary least squares (no ridge)",
                     r"in-sample error on the design $X_1$ of the real data"),
        steps=(red[("replace", False)], w1),
        params=_mc(scheme="replace", design="fresh"),
        target=lambda p: _off_by_one(p, p["generations"] - 1),
        scope=_SCOPE_RANDOM, unit=s2,
    ))
    ridge_params = _mc(design="fixed", samples=6, ridge=2.0)
    mu_ = _s1 / (_s1 + R.lam)
    m = C = sp.Integer(0)
    for _ in range(3):
        m, C = mu_ * m - (1 - mu_) * _om, mu_**2 * C + _sigma**2 * _s1 / (_s1 + R.lam) ** 2
    ridge_rep = R.statement("ridge-replace")
    coord = ridge_rep.function.subs(_G, 3).subs({R.s[R.i]: _s1, R.omega[R.i]: _om})
    out.append(_claim(
        "regression-ridge-replace",
        title="Ridge with a fixed design, replace: the shrinkage bias compounds",
        quantity="test_error", statement=ridge_rep,
        assumptions=(_SCHEME_TEXT["replace"], _DESIGN_TEXT["fixed"],
                     r"ridge: $w = (X^\top X + \lambda I)^{-1} X^\top y$, $\lambda > 0$; $X^\top X = \sum_i s_i q_i q_i^\top$, "
                     r"$\omega_i = q_i^\top w^*$"),
        steps=(red[("replace", True)], DerivationStep(
            description=(
                r"per eigen-coordinate the mean $m$ and variance $C$ of $\delta$ follow $m \leftarrow \mu m - (1-\mu)\omega$, "
                r"$C \leftarrow \mu^2 C + \sigma^2 s/(s+\lambda)^2$, $\mu = s/(s+\lambda)$: their closed form at $G = 3$ "
                r"against three steps of the recursion ($E\delta^2 = m^2 + C$)"),
            lhs=coord, rhs=m**2 + C,
            domain={_s1: _real(0.1, 5.0), _om: _real(-2, 2), R.lam: _real(0.1, 3.0), _sigma: _real(0.5, 2.0)},
            route="points")),
        params={**ridge_params, "scheme": "replace"},
        target=_relative("test_error", 0.03),
        scope=r"for every number of fits $G \ge 1$, every design and every $\lambda > 0$", unit=sp.Integer(1),
        notes="E w_G = M^G w*: the mean shrinks geometrically to 0, so the bias term tends to |w*|^2",
    ))
    C = sp.Integer(0)
    for kk in range(1, 4):
        C = C + _sigma**2 * _s1 / (kk * _s1 + R.lam) ** 2
    ridge_acc = R.statement("ridge-accumulate")
    coord = ridge_acc.function.subs(_G, 3).doit().subs({R.s[R.i]: _s1, R.omega[R.i]: _om})
    out.append(_claim(
        "regression-ridge-accumulate",
        title="Ridge with a fixed design, accumulate: the bias stays that of one fit",
        quantity="test_error", statement=ridge_acc,
        assumptions=(_SCHEME_TEXT["accumulate"], _DESIGN_TEXT["fixed"],
                     r"ridge on the stacked data: $w_k = (P_k + \lambda I)^{-1} \sum_{j \le k} X_j^\top y_j$, $\lambda > 0$"),
        steps=(red[("accumulate", True)], DerivationStep(
            description=(
                r"per eigen-coordinate $E\delta = -\lambda\omega/(s+\lambda)$ after every fit and the variance grows by "
                r"$\sigma^2 s/(ks+\lambda)^2$ at fit $k$: the closed form at $G = 3$ against the recursion"),
            lhs=coord, rhs=(R.lam * _om / (_s1 + R.lam)) ** 2 + C,
            domain={_s1: _real(0.1, 5.0), _om: _real(-2, 2), R.lam: _real(0.1, 3.0), _sigma: _real(0.5, 2.0)},
            route="points")),
        params={**ridge_params, "scheme": "accumulate"},
        target=_relative("test_error", 0.03),
        scope=r"for every number of fits $G \ge 1$, every design and every $\lambda > 0$", unit=sp.Integer(1),
    ))
    h_shr, _ = _weights("accumulate", 3, R.c)
    out.append(_claim(
        "regression-accumulate-shrunk",
        title="Accumulate with shrunk synthetic designs (fixed design)",
        quantity="test_error", statement=R.statement("shrunk-accumulate"),
        assumptions=(_SCHEME_TEXT["accumulate"], _DESIGN_TEXT["fixed"],
                     r"the synthetic blocks (fits $2..G$) have the design $cX$, $c > 0$ (their inputs shrunk by $c$)",
                     "ordinary least squares (no ridge)"),
        steps=(red[("accumulate", False)], _solution_step(
            r"$P_k = (1 + (k-1)c^2) S$ and fit $k \ge 2$ adds covariance $\sigma^2 c^2 S^{-1}/(1 + (k-1)c^2)^2$; at $G = 3$",
            h_shr * s2 * R.tau, "shrunk-accumulate")),
        params=shrunk(),
        target=lambda p: float(exact("test_error", p)) - float(PI2_6) * float(exact("test_error", {**p, "generations": 1})),
        scope=_SCOPE_FIXED + r" and every $c > 0$", unit=s2,
        notes="tends to twice one fit as c -> 0 and G c^2 -> infinity: above the pi^2/6 bound (the target is the margin)",
    ))
    return {c_.id: c_ for c_ in out}


def shrunk() -> dict[str, Any]:
    """The counterexample to the pi^2/6 bound: a fixed design, synthetic blocks shrunk by c = 1/2, 50 fits."""
    return _mc(scheme="accumulate", design="fixed", samples=8, generations=50, synthetic_scale=0.5)


def _same_design(p: Mapping[str, Any]) -> float:
    """The same-design value sigma^2 d/(T-d-1) h_G (what one reused Gaussian design gives)."""
    return p["noise"] ** 2 * p["dim"] / (p["samples"] - p["dim"] - 1) * _h(p)


def _var_gap(p: Mapping[str, Any]) -> float:
    """|Var of the test error, random-once - fresh|: what a confusion of the two designs would be."""
    other = {**p, "design": "fresh" if p["design"] == "random-once" else "random-once"}
    return abs(float(exact("var_test_error", p)) - float(exact("var_test_error", other)))


# ---------------------------------------------------------------------------------------------------------
# published statements


def _one_fit(params: Mapping[str, Any], dps: int) -> Any:
    return exact("test_error", {**params, "generations": 1, "synthetic_scale": 1.0}, dps)


@functools.lru_cache(maxsize=None)
def published_claims() -> dict[str, Claim]:
    """Dohmatob et al.'s linear growth; Gerstgrasser et al.'s accumulate formula and bound."""
    from ..export.latex import render

    base = derived_claims()
    n_sym = sp.Symbol("n", positive=True, integer=True)

    def linear(offset: int) -> Callable[[Mapping[str, Any], int], Any]:
        def value(p: Mapping[str, Any], dps: int = 17) -> Any:
            with mpmath.workdps(dps + 5):
                n = p["generations"] - offset
                return mpmath.mpf(p["noise"]) ** 2 * p["dim"] * n / mpmath.mpf(p["samples"] - p["dim"] - 1)
        return value

    dohmatob = PublishedForm(
        source="Dohmatob, Feng and Kempe (2024), ridgeless regression with Gaussian designs; seed article, linear regression",
        text=(r"the test error after $n$ generations grows linearly, $E\|w_n - w^*\|^2 = \sigma^2 d\, n/(T - d - 1)$ "
              r"(replace, Gaussian designs, $T \ge d + 2$)"),
        reading=r"$n = G$, the number of fits (fit 1 on the real labels, fits $2..G$ on synthetic ones)",
        value=linear(0),
        latex=render(_sigma**2 * _d * n_sym / (_T - _d - 1)),
        alternatives={r"n = G - 1, the synthetic generations only": linear(1)},
        probes=({}, {"generations": 1}, {"generations": 40}, {"design": "random-once"},
                {"dim": 10, "samples": 25, "generations": 20}, {"dim": 1, "samples": 3, "generations": 7}),
        beyond=({"design": "fixed", "samples": 8}, {"scheme": "accumulate"}, {"synthetic_scale": 0.5}),
    )
    gerst_formula = PublishedForm(
        source="Gerstgrasser et al. (2024), linear regression with accumulating data",
        text=(r"accumulating the data of every generation, $E\|w_n - w^*\|^2 = \sigma^2 \operatorname{tr}((X^\top X)^{-1})"
              r"\sum_{j=1}^{n} 1/j^2$ (one design $X$ reused by every block; $\sigma^2 d/(T-d-1) \sum_j 1/j^2$ "
              "in expectation over a Gaussian design)"),
        reading=r"$n = G$ fits; applied to a fresh Gaussian design per block it is the same-design formula",
        value=lambda p, dps=17: _one_fit(p, dps) * mpmath.fsum(mpmath.mpf(1) / j**2 for j in range(1, p["generations"] + 1)),
        latex=render(_sigma**2 * R.tau * sp.Sum(1 / sp.Symbol("j") ** 2, (sp.Symbol("j"), 1, n_sym))),
        probes=({}, {"generations": 200}, {"design": "random-once", "samples": 14},
                {"design_seed": 7, "dim": 5, "samples": 12}, {"noise": 0.5}),
        beyond=({"design": "fresh", "samples": 12}, {"design": "fresh", "samples": 12, "generations": 100},
                {"design": "fresh", "samples": 60, "dim": 10, "generations": 10}),
    )
    gerst_bound = PublishedForm(
        source="Gerstgrasser et al. (2024), linear regression with accumulating data",
        text=(r"with accumulating data the test error stays bounded by $\pi^2/6$ times that of the first fit: "
              r"$E\|w_n - w^*\|^2 \le \tfrac{\pi^2}{6}\, E\|w_1 - w^*\|^2$ for every $n$"),
        reading="the first fit is the fit on the real data; the bound is checked as stated, design by design",
        value=lambda p, dps=17: +mpmath.pi ** 2 / 6 * _one_fit(p, dps),
        latex=render(PI2_6 * sp.Symbol(r"E\,\|w_1 - w^*\|^2")),
        relation="<=",
        probes=({}, {"generations": 1000}, {"design": "fixed", "samples": 8}, {"design": "fixed", "generations": 500},
                {"dim": 10, "samples": 30, "generations": 100}),
        beyond=({"design": "fresh"}, {"design": "fresh", "generations": 300}, {"synthetic_scale": 2.0},
                {"design": "fixed", "samples": 8, "synthetic_scale": 0.5, "generations": 50},
                {"design": "random-once", "synthetic_scale": 0.3, "generations": 100}),
    )
    dohm = dataclasses.replace(
        base["regression-test-error-replace"],
        id="dohmatob2024-linear-growth",
        title=r"Published: linear growth of the test error, $\sigma^2 d n/(T-d-1)$",
        kind="published",
        published=dohmatob,
        params=_mc(scheme="replace", design="fresh"),
        evidence_params=_mc(scheme="replace", design="fresh", generations=2),
        references=("dohmatob2024regression",),
        scope=(r"for Gaussian designs (random-once or fresh), replace and ordinary least squares, every number of "
               r"fits $G \ge 1$, $d \ge 1$ and $T \ge d + 2$"),
    )
    formula = dataclasses.replace(
        base["regression-test-error-fixed-accumulate"],
        id="gerstgrasser2024-accumulate-formula",
        title=r"Published: the accumulate test error $\sigma^2\operatorname{tr}((X^\top X)^{-1})\sum_j j^{-2}$",
        kind="published",
        published=gerst_formula,
        evidence_params=_mc(scheme="accumulate", design="fresh", samples=12),
        references=("gerstgrasser2024",),
        scope=r"for one design reused by every block (fixed or random-once), every $G \ge 1$ and every full-rank design",
    )
    bound = dataclasses.replace(
        base["regression-test-error-accumulate"],
        id="gerstgrasser2024-accumulate-bound",
        title=r"Published: accumulation keeps the test error below $\pi^2/6$ times one fit",
        kind="published",
        published=gerst_bound,
        evidence_params=shrunk(),
        references=("gerstgrasser2024",),
        scope=r"for one Gaussian design reused by every block (random-once), every $G \ge 1$, $d \ge 1$ and $T \ge d + 2$",
    )
    return {c_.id: c_ for c_ in (dohm, formula, bound)}


PUBLISHED_IDS = ("dohmatob2024-linear-growth", "gerstgrasser2024-accumulate-formula", "gerstgrasser2024-accumulate-bound")
DERIVED_IDS = (
    "regression-test-error-replace", "regression-test-error-accumulate", "regression-test-error-accumulate-fresh",
    "regression-test-error-fixed", "regression-test-error-fixed-accumulate", "regression-in-sample-error",
    "regression-var-test-error-random-once", "regression-var-test-error-fresh", "regression-in-sample-error-fresh",
    "regression-ridge-replace", "regression-ridge-accumulate", "regression-accumulate-shrunk",
)


def claim_factories() -> dict[str, Callable[[], Claim]]:
    """``{claim id: factory}``: building a claim derives and caches every claim of the model."""
    out: dict[str, Callable[[], Claim]] = {}
    for cid in DERIVED_IDS:
        out[cid] = functools.partial(lambda cid: derived_claims()[cid], cid)
    for cid in PUBLISHED_IDS:
        out[cid] = functools.partial(lambda cid: published_claims()[cid], cid)
    return out


# ---------------------------------------------------------------------------------------------------------
# LaTeX of the closed forms of one regime (``theory --latex``)


def theory_latex(*, order: int = 2, **params: Any) -> str:
    """The closed forms that hold at these parameters, as LaTeX (symbolic number of fits ``G``)."""
    from ..export.latex import aligned

    scheme, design = params["scheme"], params["design"]
    same_scale = params.get("synthetic_scale", 1.0) == 1.0
    rows: list[tuple[str, sp.Expr]] = []
    if params.get("ridge", 0.0) > 0:
        if design == "fixed" and same_scale:
            rows.append(("test_error", R.statement(f"ridge-{scheme}")))
    elif design == "fixed":
        if not same_scale and scheme == "accumulate":
            rows.append(("test_error", R.statement("shrunk-accumulate")))
        elif same_scale:
            rows.append(("test_error", R.statement(f"fixed-{scheme}")))
    elif same_scale:
        if scheme == "replace":
            rows.append(("test_error", R.statement("replace-random")))
            rows.append(("var_test_error", R.statement("var-random-once" if design == "random-once" else "var-fresh")))
            if design == "fresh":
                rows.append(("in_sample_error", R.statement("in-sample-fresh")))
        else:
            rows.append(("test_error", R.statement("accumulate-same" if design == "random-once" else "accumulate-fresh")))
    if same_scale and params.get("ridge", 0.0) == 0 and design != "fresh":
        weight = _G if scheme == "replace" else sp.Sum(1 / _k**2, (_k, 1, _G))
        rows.append(("in_sample_error", _sigma**2 * weight * _d / _T))
    if not rows:
        return "% no closed form is stated for this regime (see no_exact in the JSON output)"
    blocks = []
    for q, expr in rows:
        blocks.append(f"% {q} ({scheme}, {design})")
        blocks.append(aligned(R.latex_name(q), expr))
    return "\n".join(blocks)


# ---------------------------------------------------------------------------------------------------------
# the model's declaration

_QUANTITY_TEXT = {
    "test_error": "E|w_G - w*|^2: excess test risk on an isotropic test point (label noise excluded)",
    "in_sample_error": "E (1/T)|X_1 (w_G - w*)|^2 on the design of the real data (every fit's design if reused)",
    "var_test_error": "variance of |w_G - w*|^2 over chains (designs and noise)",
    "var_in_sample_error": "variance of (1/T)|X_1 (w_G - w*)|^2",
}
_UNITS = {"test_error": "1", "in_sample_error": "1", "var_test_error": "1", "var_in_sample_error": "1"}

MODEL = Model(
    name=NAME,
    description="linear regression refit on its own labels: replace or accumulate, fixed or random designs "
                "(Dohmatob et al.; Gerstgrasser et al.)",
    parameters=(
        Parameter("dim", "int", "number of features d", default=5, minimum=1, maximum=N.MAX_DIM, symbol="d"),
        Parameter("samples", "int", "rows T per block (>= dim unless ridge > 0)", default=20, minimum=1, symbol="T"),
        Parameter("noise", "float", "label noise sigma", default=1.0, minimum=0.0, symbol=r"\sigma"),
        Parameter("generations", "int", "number of fits G (1 = the clean model)", default=10, minimum=1,
                  maximum=100_000, symbol="G"),
        Parameter("scheme", "choice", "replace: fit the newest block | accumulate: all blocks so far, stacked",
                  default="replace", choices=R.SCHEMES),
        Parameter("design", "choice", "fixed: one design reused | random-once: one Gaussian design per chain, "
                  "reused | fresh: a new Gaussian design per fit", default="fixed", choices=R.DESIGNS),
        Parameter("design_file", "path", "the fixed design, a samples x dim .npy or .csv file (default: drawn "
                  "from design-seed)", default=None, grid=False),
        Parameter("design_seed", "int", "seed of the fixed design drawn from N(0, I) when no file is given",
                  default=0, minimum=0),
        Parameter("ridge", "float", "ridge penalty lambda >= 0 on each fit's Gram matrix", default=0.0, minimum=0.0,
                  symbol=r"\lambda"),
        Parameter("synthetic_scale", "float", "c > 0: the synthetic blocks (fits 2..G) have design c X "
                  "(fixed, random-once) or N(0, c^2 I) (fresh)", default=1.0, minimum=0.0, strict=True, symbol="c"),
        Parameter("w_star", "floats", "true weights w* (dim entries; default (1,...,1)/sqrt(dim)); only ridge "
                  "fits depend on them", default=None, symbol="w^*", grid=False),
    ),
    quantities=tuple(
        Quantity(q, R.latex_name(q), unit=_UNITS[q], series=False, description=_QUANTITY_TEXT[q]) for q in R.QUANTITIES
    ),
    theory="modelcollapse.proofs.regression:theory",
    simulate="modelcollapse.numeric.regression:simulate",
    claims="modelcollapse.proofs.regression:claim_factories",
    faults="modelcollapse.proofs.regression_faults:faults",
    validate=N.validate,
    generations=lambda params: params["generations"],
    figures=(
        Figure("test_error", "Test and in-sample error over the fits: exact and Monte Carlo",
               ("test_error", "in_sample_error")),
        Figure("schemes", "Replace against accumulate: test error over the fits", ("test_error",), kind="compare",
               vary=("scheme", R.SCHEMES)),
        Figure("designs", "Fixed, random-once and fresh designs: test error over the fits", ("test_error",),
               kind="compare", vary=("design", R.DESIGNS)),
        Figure("variance", "Spread of the test error over chains: exact variance and Monte Carlo",
               ("var_test_error", "var_in_sample_error")),
        Figure("trajectories", "Individual chains: test error per fit", ("test", "test_error"), kind="paths",
               ylabel=r"$\|w_g - w^*\|^2$"),
    ),
    notation=(
        (r"d", r"number of features; $x \in \mathbb{R}^d$"),
        (r"T", r"rows per block: the design $X_k$ of fit $k$ is $T \times d$"),
        (r"G", r"number of fits ($G = 1$: the clean model trained on real labels only)"),
        (r"\sigma", r"label noise: $e_k \sim N(0, \sigma^2 I_T)$, fresh for every block"),
        (r"w^*, w_G", r"the true weights and the fit after $G$ fits; $\delta_G = w_G - w^*$"),
        (r"S_k, P_k", r"$X_k^\top X_k$ and $S_1 + \dots + S_k$ (the stacked Gram matrix under accumulate)"),
        (r"\tau", r"$\operatorname{tr}((X^\top X)^{-1})$ of a fixed design"),
        (r"s_i, \omega_i", r"eigenvalues $s_i$ of $X^\top X$ (eigenvectors $q_i$) and $\omega_i = q_i^\top w^*$"),
        (r"\lambda", r"ridge penalty added to the Gram matrix of each fit's training data"),
        (r"c", r"scale of the synthetic blocks' designs (fits $2..G$): $c X$, or $N(0, c^2 I)$ entries"),
        (r"W", r"a Wishart matrix, $W \sim \mathrm{Wishart}_d(T, I)$: $X^\top X$ of a Gaussian design"),
    ),
    references=("dohmatob2024regression", "gerstgrasser2024"),
    latex="modelcollapse.proofs.regression:theory_latex",
)
"""The linear regression model, as the registry sees it."""
