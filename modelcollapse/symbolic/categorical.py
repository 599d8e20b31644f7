r"""Categorical resampling (Wright-Fisher): one refit from the binomial pgf, closed forms, small exact chains.

A category's count after a refit on :math:`M` tokens drawn from :math:`q` is :math:`\text{Bin}(M, q_k)`
(the multinomial pgf :math:`(\sum_j q_j s_j)^M` at :math:`s_j = 1` for :math:`j \ne k`).  Its factorial
moments come from the pgf :math:`G(s) = (1 - q + q s)^M`: :math:`E X = G'(1)`, :math:`E X(X-1) = G''(1)`.
With :math:`R` real tokens from :math:`p` and :math:`M - R` synthetic ones from :math:`q`
(:math:`\alpha = (M - R)/M`), :math:`p' = (A + B)/M` and

.. math::

    E[p' \mid q] = p + \alpha (q - p), \qquad
    E[(p' - p)^2 \mid q] = \alpha^2 (q - p)^2 + \frac{R\,p(1-p) + (M - R)\,q(1-q)}{M^2}.

Summed over categories (:math:`E \sum_k p_k (q_k - p_k) = 0` because the mean is conserved) the squared
distance :math:`D_i = E\|p_i - p\|^2` obeys the affine recursion

.. math::

    D_{i+1} = \Bigl(\alpha_i^2 - \frac{\alpha_i}{M_i}\Bigr) D_i + \frac{H_0}{M_i}, \qquad D_0 = 0,
    \qquad H_0 = 1 - \sum_k p_k^2,

with :math:`\alpha_0 = 0` (generation 0 trains on real data only).  Replace (:math:`R = 0`) gives the
heterozygosity identity :math:`E[1 - \sum_k p_g[k]^2] = H_0 \prod_i (1 - 1/M_i)`.

SymPy and mpmath only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mpmath
import sympy as sp

__all__ = [
    "H0",
    "Mi",
    "g",
    "heterozygosity_ratio",
    "mix_sq_dist",
    "one_refit",
    "sq_dist_recursion",
    "stationary_sq_dist",
    "zero_probability_dense",
]

M, R = sp.symbols("M R", positive=True, integer=True)
q, p, s = sp.symbols("q p s", positive=True)
H0 = sp.Symbol("H_0", positive=True)
"""Heterozygosity (Gini-Simpson index) of the original distribution, :math:`1 - \\sum_k p_k^2`."""
Mi = sp.IndexedBase("M", positive=True, integer=True)
g = sp.Symbol("g", integer=True, nonnegative=True)
_i, _j = sp.symbols("i j", integer=True, nonnegative=True)


def binomial_pgf(n: sp.Expr, prob: sp.Expr, var: sp.Expr = s) -> sp.Expr:
    """:math:`(1 - prob + prob\\,var)^n`, the pgf of :math:`\\text{Bin}(n, prob)`."""
    return (1 - prob + prob * var) ** n


def factorial_moments(n: sp.Expr, prob: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """:math:`(E X, E X^2)` of :math:`\\text{Bin}(n, prob)` from the pgf (derivatives at 1).

    >>> factorial_moments(M, q)
    (M*q, M**2*q**2 - M*q**2 + M*q)
    """
    G = binomial_pgf(n, prob)
    m1 = sp.simplify(sp.diff(G, s).subs(s, 1))
    m2 = sp.expand(sp.simplify(sp.diff(G, s, 2).subs(s, 1)) + m1)
    return m1, m2


@functools.lru_cache(maxsize=None)
def one_refit() -> dict[str, sp.Expr]:
    r"""One refit of one category with ``R`` real tokens from ``p`` and ``M - R`` from ``q``, from the pgfs.

    Keys: ``mean`` (:math:`E p'`), ``second`` (:math:`E p'^2`), ``sq_dev`` (:math:`E(p' - p)^2`),
    ``het`` (:math:`E p'(1 - p')`); ``R = 0`` gives replace.

    >>> sp.simplify(one_refit()["het"].subs(R, 0) - (1 - 1 / M) * q * (1 - q))
    0
    """
    a1, a2 = factorial_moments(R, p)
    b1, b2 = factorial_moments(M - R, q)
    mean = sp.expand((a1 + b1) / M)
    second = sp.expand((a2 + 2 * a1 * b1 + b2) / M**2)  # A, B independent
    return {
        "mean": mean,
        "second": second,
        "sq_dev": sp.expand(second - 2 * p * mean + p**2),
        "het": sp.expand(mean - second),
    }


def sq_dev_recursion_form() -> sp.Expr:
    r"""The right side :math:`\alpha^2 (q-p)^2 + (R p(1-p) + (M-R) q(1-q))/M^2` (to compare with
    :func:`one_refit`)."""
    alpha = (M - R) / M
    return alpha**2 * (q - p) ** 2 + (R * p * (1 - p) + (M - R) * q * (1 - q)) / M**2


def heterozygosity_statement() -> sp.Expr:
    r""":math:`\prod_{i=0}^{g-1} (1 - 1/M_i)` (replace): :math:`E[1 - \sum_k p_g[k]^2] / H_0`."""
    return sp.Product(1 - 1 / Mi[_i], (_i, 0, g - 1))


def sq_dist_statement() -> sp.Expr:
    r""":math:`H_0 (1 - \prod_i (1 - 1/M_i))` (replace): :math:`E\|p_g - p\|^2`."""
    return H0 * (1 - heterozygosity_statement())


def mix_statement() -> sp.Expr:
    r"""The solved mix recursion, :math:`E\|p_g - p\|^2 = H_0 \sum_{i<g} M_i^{-1} \prod_{i<j<g} a_j` with
    :math:`a_j = \alpha_j^2 - \alpha_j/M_j`, :math:`\alpha_j = (M_j - R)/M_j` (and :math:`\alpha_0 = 0`)."""
    a = lambda j: ((Mi[j] - R) / Mi[j]) ** 2 - (Mi[j] - R) / Mi[j] ** 2  # noqa: E731
    return H0 * sp.Sum(1 / Mi[_i] * sp.Product(a(_j), (_j, _i + 1, g - 1)), (_i, 0, g - 1))


def heterozygosity_ratio(sizes: Sequence[int], *, dps: int = 17) -> mpmath.mpf:
    """:math:`\\prod_i (1 - 1/M_i)` in mpmath.

    >>> heterozygosity_ratio([2, 4])
    mpf('0.375')
    """
    with mpmath.workdps(dps + 10):
        return +mpmath.fprod(1 - mpmath.mpf(1) / m for m in sizes)


def mix_sq_dist(sizes: Sequence[int], real: int, h0: object, *, dps: int = 17) -> list[mpmath.mpf]:
    r""":math:`D_1, \dots, D_g` of the affine recursion (``real = 0``: replace), in mpmath.

    >>> [mpmath.nstr(v, 8) for v in mix_sq_dist([4, 4], 0, 1)]
    ['0.25', '0.4375']
    """
    with mpmath.workdps(dps + 10):
        coefficients = []
        for n, m in enumerate(sizes):
            m = mpmath.mpf(m)
            alpha = (m - real) / m if n > 0 else mpmath.mpf(0)
            coefficients.append((alpha**2 - alpha / m, 1 / m))
        return sq_dist_recursion(coefficients, h0, dps=dps)


def sq_dist_recursion(coefficients: Sequence[tuple[object, object]], h0: object, *, dps: int = 17) -> list[mpmath.mpf]:
    r""":math:`D_{i+1} = c_i D_i + e_i H_0`, :math:`D_0 = 0`: the squared-distance recursion averaged over a
    random kept composition :math:`(a, b)` of :math:`n = a + b` tokens (:math:`a` real, :math:`b` synthetic).

    Given the composition, a refit is the mix refit with :math:`R = a`, :math:`M = n`, so
    :math:`E[D_{i+1} \mid a, b] = (\alpha^2 - \alpha/n) D_i + H_0/n` with :math:`\alpha = b/n`, and
    :math:`D_{i+1} = D_i` when :math:`n = 0` (no refit).  The composition is independent of the past, so
    :math:`c_i = E[b(b-1)/n^2; n > 0] + P(n = 0)` and :math:`e_i = E[1/n; n > 0]`.  Without a detector
    :math:`c_i = \alpha_i^2 - \alpha_i/M_i`, :math:`e_i = 1/M_i` (:func:`mix_sq_dist`).

    >>> [mpmath.nstr(v, 8) for v in sq_dist_recursion([(0, mpmath.mpf(1) / 4), (mpmath.mpf(3) / 4, mpmath.mpf(1) / 4)], 1)]
    ['0.25', '0.4375']
    """
    out = []
    with mpmath.workdps(dps + 10):
        d = mpmath.mpf(0)
        h = mpmath.mpf(h0)
        for c, e in coefficients:
            d = mpmath.mpf(c) * d + mpmath.mpf(e) * h
            out.append(+d)
    return out


def stationary_sq_dist(size: int, real: int, h0: object, *, dps: int = 17) -> mpmath.mpf:
    r"""The fixed point :math:`D_\infty = H_0 / (M (1 - a))`, :math:`a = \alpha^2 - \alpha/M`, of the mix
    recursion at constant :math:`M` (:math:`R \ge 1`), i.e. :math:`H_0 M / (M^2 - (M-R)(M-R-1))`.

    >>> stationary_sq_dist(10, 10, 1)  # all real: a fresh sample of 10
    mpf('0.1')
    """
    with mpmath.workdps(dps + 10):
        m = mpmath.mpf(size)
        return +(mpmath.mpf(h0) * m / (m**2 - (m - real) * (m - real - 1)))


def zero_probability_dense(pk: object, sizes: Sequence[int], real: int = 0, *, dps: int = 30) -> list[mpmath.mpf]:
    r""":math:`P(p_i[k] = 0)` for :math:`i = 1..g` by propagating the exact law of the count with dense
    mpmath transition matrices (:math:`O(g M^2)` at ``dps`` digits): the independent route the float64
    engine is checked against at small sizes.

    >>> [mpmath.nstr(v, 10) for v in zero_probability_dense(mpmath.mpf(1) / 4, [2, 2])]
    ['0.5625', '0.65625']
    """
    out = []
    with mpmath.workdps(dps + 10):
        pk = mpmath.mpf(pk)
        law = [mpmath.binomial(sizes[0], c) * pk**c * (1 - pk) ** (sizes[0] - c) for c in range(sizes[0] + 1)]
        out.append(+law[0])
        real_law = [mpmath.binomial(real, a) * pk**a * (1 - pk) ** (real - a) for a in range(real + 1)]
        for n in range(1, len(sizes)):
            prev, m = sizes[n - 1], sizes[n]
            syn = m - real
            new = [mpmath.mpf(0)] * (m + 1)
            for x, w in enumerate(law):
                if w == 0:
                    continue
                qx = mpmath.mpf(x) / prev
                for b in range(syn + 1):
                    tb = w * mpmath.binomial(syn, b) * qx**b * (1 - qx) ** (syn - b)
                    for a, ta in enumerate(real_law):
                        new[a + b] += tb * ta
            law = new
            out.append(+law[0])
    return out
