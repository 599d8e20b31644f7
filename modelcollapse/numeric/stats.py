r"""Statistical decisions for theory-vs-simulation checks: z-scores, p-values, multiplicity, power.

A check compares a Monte Carlo :class:`~modelcollapse.numeric.estimators.Estimate` with a theoretical
value through :math:`z = (\hat\theta - \theta)/\widehat{\mathrm{se}}`.  A family of checks shares one
false-failure budget :math:`\alpha` (Bonferroni: :math:`\alpha/k` per check, or Holm's step-down
procedure), and the number of chains is chosen so that a deviation worth catching is caught with the
wanted power.

Every function accepts scalars (and returns Python floats / ints / bools) or array_likes (and returns
arrays), except :func:`holm`, which takes a sequence of p-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from modelcollapse._validation import ParameterError, check_integer

__all__ = [
    "ZTest",
    "bonferroni_alpha",
    "chains_for_power",
    "detectable_deviation",
    "holm",
    "power_against",
    "two_sided_p",
    "z_score",
    "z_test",
    "z_threshold",
]


def _out(x: np.ndarray) -> Any:
    return x.item() if x.ndim == 0 else x


def _check_open_unit(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all((arr > 0) & (arr < 1)):
        raise ParameterError(f"{name} must be a probability in the open interval (0, 1) (got {value!r})")
    return arr


def _check_nonnegative(name: str, value: ArrayLike, *, strict: bool = False) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    ok = np.isfinite(arr) & ((arr > 0) if strict else (arr >= 0))
    if not np.all(ok):
        bound = "> 0" if strict else ">= 0"
        raise ParameterError(f"{name} must be a finite number {bound} (got {value!r})")
    return arr


def z_score(estimate: Any, theory: ArrayLike) -> Any:
    r"""Standardised deviation :math:`z = (\hat\theta - \theta) / \widehat{\mathrm{se}}`.

    Parameters
    ----------
    estimate : Estimate
        Anything with ``value`` and ``stderr`` attributes (floats or arrays).
    theory : float or array_like
        The theoretical value :math:`\theta`.

    Returns
    -------
    float or numpy.ndarray
        ``0`` where the estimate equals the theory exactly (even with a zero standard error), ``+-inf``
        where it differs with a zero standard error.

    Examples
    --------
    >>> from modelcollapse.numeric.estimators import Estimate
    >>> z_score(Estimate(1.2, 0.1), 1.0)
    1.9999999999999996
    >>> z_score(Estimate(1.0, 0.0), 1.0)
    0.0
    """
    value = np.asarray(estimate.value, dtype=np.float64)
    stderr = np.asarray(estimate.stderr, dtype=np.float64)
    diff = value - np.asarray(theory, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(diff == 0, 0.0, diff / stderr)
    return _out(np.asarray(z, dtype=np.float64))


def two_sided_p(z: ArrayLike) -> Any:
    r"""Two-sided normal p-value :math:`2\,\Phi(-|z|)`, accurate far into the tails.

    Examples
    --------
    >>> round(two_sided_p(1.959963984540054), 12)
    0.05
    >>> 0 < two_sided_p(20.0) < 1e-80
    True
    """
    return _out(2.0 * ndtr(-np.abs(np.asarray(z, dtype=np.float64))))


def bonferroni_alpha(alpha: ArrayLike, k: int) -> Any:
    """Per-check level :math:`\\alpha / k` that keeps the family-wise error of ``k`` checks below ``alpha``.

    Examples
    --------
    >>> bonferroni_alpha(1e-4, 24)
    4.166666666666667e-06
    >>> bonferroni_alpha(1e-4, 0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: k must be an integer >= 1 (got 0)
    """
    a = _check_open_unit("alpha", alpha)
    k = check_integer("k", k, minimum=1)
    return _out(a / k)


def holm(pvalues: Sequence[float] | ArrayLike, alpha: float) -> list[bool]:
    r"""Holm's step-down procedure: which hypotheses to reject at family-wise level ``alpha``.

    Sort the :math:`k` p-values, reject :math:`p_{(j)}` while :math:`p_{(j)} \le \alpha/(k - j)`
    (:math:`j = 0, 1, \dots`) and stop at the first that is not; uniformly more powerful than
    Bonferroni with the same guarantee.

    Parameters
    ----------
    pvalues : sequence of float
        P-values in ``[0, 1]``.
    alpha : float
        Family-wise level in ``(0, 1)``.

    Returns
    -------
    list of bool
        ``True`` where the hypothesis is rejected, in the order of ``pvalues``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.2], 0.05)
    [True, False, False, False]
    >>> holm([0.001, 0.013, 0.04], 0.05)
    [True, True, True]
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    a = float(_check_open_unit("alpha", alpha))
    if not np.all((p >= 0) & (p <= 1)):
        raise ParameterError(f"pvalues must all lie in [0, 1] (got {pvalues!r})")
    k = p.size
    reject = [False] * k
    for j, idx in enumerate(np.argsort(p, kind="stable")):
        if p[idx] > a / (k - j):
            break
        reject[int(idx)] = True
    return reject


def z_threshold(alpha_per_check: ArrayLike) -> Any:
    r"""Two-sided critical value :math:`z_{1-\alpha/2}`: reject when :math:`|z|` exceeds it.

    Examples
    --------
    >>> round(z_threshold(0.05), 6)
    1.959964
    >>> round(z_threshold(1e-4 / 24), 2)
    4.6
    """
    a = _check_open_unit("alpha_per_check", alpha_per_check)
    return _out(-ndtri(a / 2.0))


def detectable_deviation(stderr: ArrayLike, alpha_per_check: ArrayLike, power: ArrayLike = 0.8) -> Any:
    r"""Smallest deviation from the theory detected with probability ``power``:
    :math:`(z_{1-\alpha/2} + z_{\text{power}})\,\mathrm{se}`.

    Examples
    --------
    >>> round(detectable_deviation(0.01, 0.05, 0.8), 6)
    0.028016
    """
    se = _check_nonnegative("stderr", stderr)
    za = -ndtri(_check_open_unit("alpha_per_check", alpha_per_check) / 2.0)
    zb = ndtri(_check_open_unit("power", power))
    return _out((za + zb) * se)


def power_against(delta: ArrayLike, stderr: ArrayLike, alpha_per_check: ArrayLike) -> Any:
    r"""Probability that the two-sided test at level ``alpha_per_check`` rejects when the true deviation from
    the theory is ``delta`` and the estimate has standard error ``stderr``:
    :math:`\Phi(\delta/\mathrm{se} - z_{1-\alpha/2}) + \Phi(-\delta/\mathrm{se} - z_{1-\alpha/2})`.

    The power a check reached when it could not run the chains it needed (at least ``alpha_per_check``,
    for ``delta = 0``; 1 for a zero standard error and ``delta > 0``).

    Examples
    --------
    >>> round(power_against(0.028016, 0.01, 0.05), 3)  # the detectable deviation of detectable_deviation()
    0.8
    >>> round(power_against(0.01, 0.01, 0.05), 3)
    0.17
    """
    d = np.abs(np.asarray(delta, dtype=np.float64))
    se = _check_nonnegative("stderr", stderr)
    za = -ndtri(_check_open_unit("alpha_per_check", alpha_per_check) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(se > 0, d / np.where(se > 0, se, 1.0), np.where(d > 0, np.inf, 0.0))
    return _out(np.asarray(ndtr(ratio - za) + ndtr(-ratio - za), dtype=np.float64))


def chains_for_power(
    sd_per_chain: ArrayLike, delta: ArrayLike, alpha_per_check: ArrayLike, power: ArrayLike = 0.8
) -> Any:
    r"""Chains needed to detect a deviation ``delta`` of a chain mean with probability ``power``.

    .. math::

        R = \Big\lceil \Big( \frac{(z_{1-\alpha/2} + z_{\text{power}})\, s}{\delta} \Big)^2 \Big\rceil,

    with :math:`s` the standard deviation of the per-chain statistic (so that the standard error of
    the mean of :math:`R` chains is :math:`s/\sqrt R`).  Inverse of :func:`detectable_deviation`.

    Returns
    -------
    int or numpy.ndarray of int
        At least 1.

    Examples
    --------
    >>> n = chains_for_power(1.0, 0.01, 0.05, 0.8)
    >>> n
    78489
    >>> bool(detectable_deviation(1.0 / n**0.5, 0.05, 0.8) <= 0.01)
    True
    """
    s = _check_nonnegative("sd_per_chain", sd_per_chain)
    d = _check_nonnegative("delta", delta, strict=True)
    za = -ndtri(_check_open_unit("alpha_per_check", alpha_per_check) / 2.0)
    zb = ndtri(_check_open_unit("power", power))
    r = np.maximum(np.ceil(((za + zb) * s / d) ** 2), 1.0)
    if r.ndim == 0:
        return int(r)
    return r.astype(np.int64)


@dataclass(frozen=True, slots=True)
class ZTest:
    """A two-sided z-test of a Monte Carlo estimate against theory, with its power."""

    z: float
    threshold: float
    """Reject when ``|z|`` exceeds it: :math:`z_{1-\\alpha/2}`."""
    alpha: float
    detectable: float
    """Smallest deviation detected with probability ``power``: :func:`detectable_deviation`."""
    agrees: bool
    """``|z| <= threshold`` (and ``z`` finite)."""
    powered: bool | None
    """``detectable <= |target|``; ``None`` when no target was given."""


def z_test(
    value: float, stderr: float, theory: float, alpha: float, *, power: float = 0.8, target: float | None = None
) -> ZTest:
    """z-test of ``value`` (standard error ``stderr``) against ``theory`` at two-sided level ``alpha``.

    With ``target``, also says whether a deviation of that size would be detected with probability
    ``power`` (a check that cannot see the error it is meant to catch proves nothing).

    Examples
    --------
    >>> t = z_test(1.003, 0.001, 1.0, 1e-3, target=0.01)
    >>> round(t.z, 6), round(t.threshold, 3), t.agrees, t.powered
    (3.0, 3.291, True, True)
    """
    z = float(z_score(_Pair(value, stderr), theory))
    threshold = float(z_threshold(alpha))
    detectable = float(detectable_deviation(stderr, alpha, power))
    powered = None if target is None else bool(detectable <= abs(target))
    return ZTest(z, threshold, float(alpha), detectable, bool(math.isfinite(z) and abs(z) <= threshold), powered)


@dataclass(frozen=True, slots=True)
class _Pair:
    value: float
    stderr: float
