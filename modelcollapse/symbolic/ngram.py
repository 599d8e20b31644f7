r"""The n-gram model with fixed context positions: per-context distance recursion, its fixed point, and the
exact condition behind Seddik et al.'s "maximal amount of synthetic data".

With fixed context positions every context :math:`c` is the categorical model of
:mod:`modelcollapse.symbolic.categorical` with :math:`p = P_0(\cdot \mid c)`, :math:`M_i = N_c` and
:math:`R = R_c` real tokens (:math:`S_c = N_c - R_c` synthetic).  Summing that module's one-refit identity
:math:`E[(p' - p)^2 \mid q] = \alpha^2 (q - p)^2 + (R p(1-p) + (M - R) q(1-q))/M^2` over the successors
(:math:`\sum_w (q_w - p_w)^2 = D`, :math:`\sum_w p_w(1 - p_w) = H`, and :math:`E \sum_w q_w(1 - q_w) = H - D`
because :math:`E q = p`) gives the affine recursion :math:`D' = a D + e H` of :func:`distance_coefficients`,
whose fixed point is

.. math::

    D_\infty = \frac{H M}{M^2 - S (S - 1)}, \qquad S = M - R,

(:func:`stationary_distance`).  It is :math:`H` at :math:`S = M` (no real token: the law is absorbed
at a point mass, :math:`E\|\delta_W - p\|^2 = H`), :math:`H/M` at :math:`S = 0` (a fresh sample), and
increasing in :math:`S` at a fixed total :math:`M`; at a fixed number :math:`R` of real tokens it
*decreases* in :math:`S`, from :math:`H/R` to :math:`H/(2R + 1)` (:func:`fixed_real_distance`).  The
recursion itself is run by the moment runner (:mod:`modelcollapse.symbolic.recursion`,
:func:`distance_recursion`).

SymPy and mpmath only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mpmath
import sympy as sp

from . import categorical as SC
from .recursion import LinearRecursion, MpmathAlgebra, Step, run

__all__ = [
    "distance_coefficients",
    "distance_recursion",
    "fixed_real_distance",
    "max_synthetic",
    "max_synthetic_root",
    "stationary_distance",
    "weighted_distance",
    "weighted_stationary_distance",
]

M, R = SC.M, SC.R
H = SC.H0
S = sp.Symbol("S", nonnegative=True, integer=True)
eps = sp.Symbol("varepsilon", positive=True)
D = sp.Symbol("D", nonnegative=True)


@functools.lru_cache(maxsize=None)
def distance_coefficients() -> tuple[sp.Expr, sp.Expr]:
    r"""``(a, e)`` with :math:`E\|p' - p\|^2 = a\,E\|q - p\|^2 + e H` for one context, derived from the
    categorical one-refit identity by matching it to :math:`A (q - p)^2 + B p(1 - p) + C q(1 - q)` and
    summing over the successors.

    >>> a, e = distance_coefficients()
    >>> sp.factor(a), e
    ((M - R)*(M - R - 1)/M**2, 1/M)
    """
    q, p = SC.q, SC.p
    A, B, C = sp.symbols("A B C")
    form = sp.expand(SC.one_refit()["sq_dev"])
    ansatz = sp.expand(A * (q - p) ** 2 + B * p * (1 - p) + C * q * (1 - q))
    coeffs = sp.Poly(form - ansatz, q, p).coeffs()
    sol = sp.solve(coeffs, [A, B, C], dict=True)[0]
    # sum over w: (q-p)^2 -> D, p(1-p) -> H, q(1-q) -> H - D (in expectation)
    summed = sp.expand(sol[A] * D + sol[B] * H + sol[C] * (H - D))
    return sp.simplify(summed.coeff(D)), sp.simplify(summed.coeff(H))


@functools.lru_cache(maxsize=None)
def stationary_distance() -> sp.Expr:
    r""":math:`D_\infty` in :math:`(M, S = M - R, H)`: the fixed point of :func:`distance_coefficients`.

    >>> stationary_distance()
    H_0*M/(M**2 - S**2 + S)
    """
    a, e = distance_coefficients()
    sol = sp.solve(sp.Eq(D, a * D + e * H), D)[0]
    return sp.factor(sol.subs(R, M - S))


@functools.lru_cache(maxsize=None)
def fixed_real_distance() -> dict[str, sp.Expr]:
    r""":math:`D_\infty` at a fixed number :math:`R` of real tokens and :math:`S` synthetic ones
    (:math:`M = R + S`), its derivative in :math:`S` and its values at :math:`S = 0` and :math:`S \to \infty`.

    >>> f = fixed_real_distance()
    >>> f["at_zero"], f["limit"], f["derivative"]
    (H_0/R, H_0/(2*R + 1), -H_0*R*(R + 1)/(R**2 + 2*R*S + S)**2)
    """
    form = sp.factor(stationary_distance().subs(M, R + S))
    return {
        "form": form,
        "derivative": sp.factor(sp.diff(form, S)),
        "at_zero": sp.simplify(form.subs(S, 0)),
        "limit": sp.limit(form, S, sp.oo),
    }


@functools.lru_cache(maxsize=None)
def max_synthetic_root() -> sp.Expr:
    r"""The positive root :math:`S^*` of :math:`D_\infty(S) = \varepsilon` at a fixed total :math:`M` (solved
    by SymPy): the synthetic tokens of :math:`M` that keep :math:`D_\infty \le \varepsilon` are
    :math:`0 \le S \le S^*` (:math:`D_\infty` increases in :math:`S` there).

    >>> max_synthetic_root()
    1/2 + sqrt(-4*H_0*M + 4*M**2*varepsilon + varepsilon)/(2*sqrt(varepsilon))
    """
    roots = sp.solve(sp.Eq(stationary_distance(), eps), S)
    big = [r for r in roots if r.subs({M: 10, H: sp.Rational(1, 2), eps: sp.Rational(1, 10)}) > 1]
    return big[0]


def max_synthetic(size: int, h: object, epsilon: object, *, dps: int = 30) -> int:
    r"""The largest number :math:`S` of synthetic tokens among ``size`` for which the stationary distance
    :math:`D_\infty` of a context of heterozygosity ``h`` is at most ``epsilon``; ``-1`` if even
    :math:`S = 0` (a fresh real sample every generation, :math:`D_\infty = h/M`) exceeds it, ``size`` if
    even collapse (:math:`D_\infty = h`) is within it.

    >>> max_synthetic(10, 0.5, 0.1), max_synthetic(10, 0.5, 0.01), max_synthetic(10, 0.5, 0.6)
    (7, -1, 10)
    """
    with mpmath.workdps(dps):
        h, e, m = mpmath.mpf(h), mpmath.mpf(epsilon), int(size)
        # the defining inequality, with a relative slack of 10^(10 - dps): a tolerance met with equality is met
        slack = 1 + mpmath.mpf(10) ** (10 - dps)
        within = lambda k: h * m / (m * m - k * (k - 1)) <= e * slack  # noqa: E731
        if within(m):  # D_inf(M) = h: even collapse is within the tolerance
            return m
        if not within(0):
            return -1
        s = int(mpmath.floor(sp.lambdify((M, H, eps), max_synthetic_root(), "mpmath")(m, h, e)))
        s = max(0, min(s, m))
        while s > 0 and not within(s):  # the floor of a root can be off by one in rounding
            s -= 1
        while s < m and within(s + 1):
            s += 1
        return s


@functools.lru_cache(maxsize=None)
def distance_recursion(drift: bool = True) -> LinearRecursion:
    r"""One context's distance recursion on the moment runner: labels ``1`` and ``D`` (in units of :math:`H`),
    :math:`D' = a D + 1/M` with the coefficients of :func:`distance_coefficients`, step symbols :math:`(M, R)`.
    Generation 0 draws every token from :math:`P_0` (the step :math:`R = M`, where :math:`a = 0`).
    ``drift=False`` drops the :math:`-\alpha/M` term, :math:`a = \alpha^2` (treating the fit as fixed: the
    plausible wrong recursion the Monte Carlo checks are powered against).

    >>> steps = [Step({M: 4, R: 4}), Step({M: 4, R: 0})]
    >>> [mpmath.nstr(v["D"], 8) for v in run(distance_recursion(), steps, MpmathAlgebra(20), record="all")[1:]]
    ['0.25', '0.4375']
    """
    a, e = distance_coefficients()
    if not drift:
        a = ((M - R) / M) ** 2
    return LinearRecursion(labels=("1", "D"), initial={"1": 1},
                           tables={"generic": {"1": {"1": 1}, "D": {"D": a, "1": e}}},
                           outputs={"D": {"D": 1}}, symbols=(M, R))


def weighted_distance(groups: Sequence[tuple[int, int, object]], generations: int, *, dps: int = 17,
                      drift: bool = True) -> list[mpmath.mpf]:
    r""":math:`\sum_c (N_c/N) E\|P_j(\cdot \mid c) - P_0(\cdot \mid c)\|^2` for :math:`j = 1..g`, the contexts
    grouped as ``(N_c, R_c, sum of (N_c/N) H_c)``: each group's :func:`distance_recursion` run by the moment
    runner at constant size :math:`N_c` (the distance is linear in :math:`H`).

    >>> [mpmath.nstr(v, 8) for v in weighted_distance([(4, 0, 1)], 2)]
    ['0.25', '0.4375']
    """
    recursion = distance_recursion(drift)
    out = [mpmath.mpf(0)] * generations
    with mpmath.workdps(dps + 10):
        for size, real, weight in groups:
            steps = [Step({M: size, R: size})] + [Step({M: size, R: real})] * (generations - 1)
            d = [v["D"] for v in run(recursion, steps, MpmathAlgebra(dps + 10), record="all")[1:]]
            w = mpmath.mpf(weight)
            out = [o + w * x for o, x in zip(out, d, strict=True)]
        return [+o for o in out]


def weighted_stationary_distance(groups: Sequence[tuple[int, int, object]], *, dps: int = 17) -> mpmath.mpf:
    r""":math:`\sum_c (N_c/N) D_{\infty,c}` with :math:`D_{\infty,c} = H_c N_c / (N_c^2 - S_c(S_c - 1))`
    (:func:`~modelcollapse.symbolic.categorical.stationary_sq_dist`; :math:`H_c` for :math:`R_c = 0`).

    >>> weighted_stationary_distance([(10, 10, 1), (10, 0, 1)])
    mpf('1.1000000000000001')
    """
    with mpmath.workdps(dps + 10):
        total = mpmath.fsum(mpmath.mpf(w) * SC.stationary_sq_dist(size, real, 1, dps=dps + 5) for size, real, w in groups)
    return +total
