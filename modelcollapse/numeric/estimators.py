"""Monte Carlo estimators with standard errors, and mergeable streaming moment summaries.

Everything here is deterministic arithmetic on arrays that were already drawn: no randomness, no I/O.
A simulation summarises each chunk of chains with :meth:`MomentSummary.from_array` and merges the chunk
summaries in chunk order with :meth:`MomentSummary.merge` (exact pairwise update of Chan et al. and
Pébay), so the final summary does not depend on how many workers computed the chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from modelcollapse._validation import ParameterError

__all__ = [
    "STATISTICS",
    "ChunkSummaries",
    "Estimate",
    "MomentSummary",
    "chain_statistics",
    "covariance",
    "summarize",
]

STATISTICS = ("x", "mu2", "sigma", "sigma2", "sigma4", "log_sigma2", "w2sq")
"""Names of the per-chain statistics returned by :func:`chain_statistics`, in a fixed order."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A Monte Carlo estimate and its standard error.

    Parameters
    ----------
    value : float
        The point estimate.
    stderr : float
        Its estimated standard error (``nan`` where undefined).

    Examples
    --------
    >>> Estimate(1.5, 0.25).to_dict()
    {'value': 1.5, 'stderr': 0.25}
    """

    value: float
    stderr: float

    def to_dict(self) -> dict[str, float]:
        """Return ``{"value": ..., "stderr": ...}`` (plain floats, JSON-ready apart from nan/inf)."""
        return {"value": float(self.value), "stderr": float(self.stderr)}


def _as_1d(name: str, x: ArrayLike) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D array (got an array of shape {arr.shape})")
    return arr


@dataclass(frozen=True, slots=True)
class MomentSummary:
    r"""Count, mean and central power sums of a 1-D sample; mergeable exactly and deterministically.

    With :math:`\bar x` the sample mean (``center``), the fields hold

    .. math::

        m_k = \sum_{j=1}^{n} (x_j - \bar x)^k, \qquad k = 2, 3, 4.

    Two summaries merge with the exact pairwise update (Chan, Golub and LeVeque for :math:`m_2`; Pébay
    for :math:`m_3, m_4`), which is numerically robust (no sums of raw powers) and, for a fixed merge
    order, bit-for-bit deterministic.

    Parameters
    ----------
    count : int
        Sample size :math:`n` (0 for the empty summary).
    center : float
        Sample mean :math:`\bar x` (0 for the empty summary).
    m2, m3, m4 : float
        Central power sums :math:`m_2, m_3, m_4` as above (not divided by :math:`n`).

    Examples
    --------
    Merging the summaries of two halves gives the summary of the whole:

    >>> import numpy as np
    >>> x = np.arange(10.0) ** 2
    >>> whole = MomentSummary.from_array(x)
    >>> halves = MomentSummary.from_array(x[:3]).merge(MomentSummary.from_array(x[3:]))
    >>> bool(np.allclose([halves.center, halves.m2, halves.m3, halves.m4],
    ...                  [whole.center, whole.m2, whole.m3, whole.m4], rtol=1e-12))
    True
    >>> whole.mean().value == float(x.mean()), bool(np.isclose(whole.var().value, x.var(ddof=1)))
    (True, True)
    """

    count: int
    center: float
    m2: float
    m3: float
    m4: float

    @classmethod
    def empty(cls) -> MomentSummary:
        """The summary of an empty sample: the identity of :meth:`merge`."""
        return cls(0, 0.0, 0.0, 0.0, 0.0)

    @classmethod
    def from_array(cls, x: ArrayLike) -> MomentSummary:
        """Summarise a 1-D sample in a few vectorized passes.

        The mean is computed with numpy's pairwise summation and refined by one correction pass
        (``mean += sum(x - mean) / n``), then the central sums are taken around it.

        Parameters
        ----------
        x : array_like, shape (n,)
            The sample (converted to float64).

        Returns
        -------
        MomentSummary

        Raises
        ------
        ParameterError
            If ``x`` is not one-dimensional.
        """
        arr = _as_1d("x", x)
        n = arr.shape[0]
        if n == 0:
            return cls.empty()
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # nan/inf show in the result
            center = float(np.add.reduce(arr)) / n
            d = arr - center
            correction = float(np.add.reduce(d)) / n
            if correction != 0.0 and math.isfinite(correction):
                center += correction
                d -= correction
            d2 = d * d
            m2 = float(np.add.reduce(d2))
            m3 = float(np.add.reduce(np.multiply(d2, d, out=d)))
            m4 = float(np.add.reduce(np.square(d2, out=d2)))
        return cls(n, center, m2, m3, m4)

    def merge(self, other: MomentSummary) -> MomentSummary:
        """Return the summary of the concatenated samples ``self`` then ``other`` (a new object).

        Parameters
        ----------
        other : MomentSummary

        Returns
        -------
        MomentSummary
        """
        if not isinstance(other, MomentSummary):
            raise ParameterError(f"other must be a MomentSummary (got {type(other).__name__})")
        na, nb = self.count, other.count
        if nb == 0:
            return self
        if na == 0:
            return other
        n = na + nb
        fa, fb, fn = float(na), float(nb), float(n)
        delta = other.center - self.center
        delta_n = delta / fn
        center = self.center + delta_n * fb
        term1 = delta * delta_n * fa * fb  # delta^2 na nb / n
        m2 = self.m2 + other.m2 + term1
        m3 = self.m3 + other.m3 + term1 * delta_n * (fa - fb) + 3.0 * delta_n * (fa * other.m2 - fb * self.m2)
        m4 = (
            self.m4
            + other.m4
            + term1 * delta_n * delta_n * (fa * fa - fa * fb + fb * fb)
            + 6.0 * delta_n * delta_n * (fa * fa * other.m2 + fb * fb * self.m2)
            + 4.0 * delta_n * (fa * other.m3 - fb * self.m3)
        )
        return MomentSummary(n, center, m2, m3, m4)

    def is_finite(self) -> bool:
        """Whether the mean and every central sum are finite (a nan/inf anywhere in the data shows here)."""
        return all(math.isfinite(v) for v in (self.center, self.m2, self.m3, self.m4))

    def _require(self, minimum: int, what: str) -> None:
        if self.count < minimum:
            raise ParameterError(
                f"{what} needs a summary of at least {minimum} values (got count={self.count})"
            )

    def mean(self) -> Estimate:
        r"""The sample mean, with standard error :math:`\sqrt{s^2 / n}`.

        Returns
        -------
        Estimate
        """
        self._require(2, "mean() with a standard error")
        n = self.count
        return Estimate(self.center, math.sqrt(max(self.m2, 0.0) / (n - 1) / n))

    def var(self) -> Estimate:
        r"""The unbiased sample variance :math:`s^2 = m_2 / (n - 1)`, with its standard error.

        The standard error is the plug-in value of the exact variance of :math:`s^2`,

        .. math::

            \operatorname{Var}(s^2) = \frac{1}{n}\Big(\mu_4 - \frac{n-3}{n-1}\,\mu_2^2\Big),

        with :math:`\mu_k` replaced by the sample central moments :math:`m_k / n` (clipped at 0).

        Returns
        -------
        Estimate

        Examples
        --------
        For normal data :math:`\operatorname{Var}(s^2) \approx 2\sigma^4/(n-1)`:

        >>> import numpy as np
        >>> rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1)))
        >>> s = MomentSummary.from_array(rng.standard_normal(100_000))
        >>> bool(abs(s.var().stderr / np.sqrt(2 / (s.count - 1)) - 1) < 0.05)
        True
        """
        self._require(2, "var()")
        n = self.count
        s2 = self.m2 / (n - 1)
        mu2 = self.m2 / n
        mu4 = self.m4 / n
        v = (mu4 - (n - 3) / (n - 1) * mu2 * mu2) / n
        return Estimate(s2, math.sqrt(max(v, 0.0)))


@dataclass(frozen=True, slots=True)
class ChunkSummaries:
    """The result of consecutive chunks of chains: per recorded generation ``{statistic: MomentSummary}``, and
    other pieces (e.g. trajectories) kept in chunk order.  :meth:`merge` is what
    :func:`~modelcollapse.numeric.executors.run_chunks` folds with.

    >>> a = ChunkSummaries(2, ({"x": MomentSummary.from_array([1.0, 2.0])},), ("p",))
    >>> b = ChunkSummaries(1, ({"x": MomentSummary.from_array([3.0])},), ("q",))
    >>> m = a.merge(b)
    >>> m.chains, m.summaries[0]["x"].mean().value, m.pieces
    (3, 2.0, ('p', 'q'))
    """

    chains: int
    summaries: tuple[dict[str, MomentSummary], ...]
    pieces: tuple[Any, ...] = ()

    def merge(self, other: ChunkSummaries) -> ChunkSummaries:
        return ChunkSummaries(
            self.chains + other.chains,
            tuple({k: a[k].merge(b[k]) for k in a} for a, b in zip(self.summaries, other.summaries, strict=True)),
            self.pieces + other.pieces,
        )


def summarize(stats: Mapping[str, ArrayLike]) -> dict[str, MomentSummary]:
    """Summarise several 1-D statistics at once: ``{name: MomentSummary.from_array(values)}``.

    Parameters
    ----------
    stats : mapping of str to array_like
        Per-chain values of each statistic (for instance the output of :func:`chain_statistics`).

    Returns
    -------
    dict of str to MomentSummary
        In the order of ``stats``.

    Examples
    --------
    >>> s = summarize({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 6.0]})
    >>> s["a"].mean().value, s["b"].var().value
    (2.0, 12.0)
    """
    return {name: MomentSummary.from_array(values) for name, values in stats.items()}


def covariance(x: ArrayLike, y: ArrayLike) -> Estimate:
    r"""Unbiased sample covariance of paired samples, with its standard error.

    The standard error is the plug-in value of the exact variance of the unbiased covariance,

    .. math::

        \operatorname{Var}(\hat c) = \frac{1}{n}\Big(\mu_{22} - \frac{n-2}{n-1}\,\mu_{11}^2
        + \frac{\mu_{20}\,\mu_{02}}{n-1}\Big),

    which reduces to the formula of :meth:`MomentSummary.var` when ``x`` is ``y``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired samples, ``n >= 2``.

    Returns
    -------
    Estimate

    Raises
    ------
    ParameterError
        If the inputs are not 1-D arrays of one common length ``>= 2``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 4.0, 7.0])
    >>> c = covariance(x, x)
    >>> v = MomentSummary.from_array(x).var()
    >>> bool(np.isclose(c.value, v.value) and np.isclose(c.stderr, v.stderr))
    True
    """
    xa = _as_1d("x", x)
    ya = _as_1d("y", y)
    if xa.shape != ya.shape:
        raise ParameterError(f"x and y must have the same length (got {xa.shape[0]} and {ya.shape[0]})")
    n = xa.shape[0]
    if n < 2:
        raise ParameterError(f"x and y must hold at least 2 values (got {n})")
    dx = xa - xa.mean()
    dy = ya - ya.mean()
    p = dx * dy
    s11 = float(np.add.reduce(p))
    mu11 = s11 / n
    mu22 = float(np.add.reduce(p * p)) / n
    mu20 = float(np.add.reduce(dx * dx)) / n
    mu02 = float(np.add.reduce(dy * dy)) / n
    v = (mu22 - (n - 2) / (n - 1) * mu11 * mu11 + mu20 * mu02 / (n - 1)) / n
    return Estimate(s11 / (n - 1), math.sqrt(max(v, 0.0)))


def chain_statistics(
    mu_g: ArrayLike, sigma2_g: ArrayLike, *, mu: float = 0.0, sigma: float = 1.0
) -> dict[str, np.ndarray]:
    r"""Per-chain statistics of the fitted Gaussians :math:`N(\mu_g, \sigma_g^2)`, in units of ``sigma``.

    With :math:`m = (\mu_g - \mu)/\sigma` and :math:`v = \sigma_g^2/\sigma^2` per chain:

    ============  ====================================================================
    key           value per chain
    ============  ====================================================================
    ``x``         :math:`m^2 + v = E[(X^g - \mu)^2 \mid \mu_g, \sigma_g] / \sigma^2`
    ``mu2``       :math:`m^2 = (\mu_g - \mu)^2/\sigma^2` (its mean is :math:`\operatorname{Var}\mu_g/\sigma^2`)
    ``sigma``     :math:`\sqrt v = \sigma_g / \sigma`
    ``sigma2``    :math:`v`
    ``sigma4``    :math:`v^2`
    ``log_sigma2`` :math:`\log v` (``-inf`` where :math:`\sigma_g = 0`)
    ``w2sq``      :math:`m^2 + (\sqrt v - 1)^2 = W_2^2(N(\mu_g,\sigma_g^2), N(\mu,\sigma^2))/\sigma^2`
    ============  ====================================================================

    ``x`` is the Rao-Blackwellized version of a fresh draw :math:`X^g = \mu_g + \sigma_g Z'`: instead of
    drawing :math:`Z'` we average :math:`(X^g-\mu)^2` over it exactly.  Its chain mean is an unbiased
    estimate of :math:`\operatorname{Var} X^g / \sigma^2`, because :math:`E[X^g] = E[\mu_g] = \mu`
    exactly (each refit mean is unbiased, so :math:`\mu_i` is a martingale) and hence
    :math:`E[(X^g-\mu)^2] = \operatorname{Var} X^g`.  By the law of total variance it has a smaller
    variance than the fresh-draw estimate, and it uses no extra random numbers.

    Parameters
    ----------
    mu_g, sigma2_g : array_like, shape (n,)
        Fitted means and variances of ``n`` chains.
    mu, sigma : float
        Parameters of the original distribution :math:`X^0 \sim N(\mu, \sigma^2)`.

    Returns
    -------
    dict of str to numpy.ndarray
        Keys :data:`STATISTICS`, each a float64 array of shape ``(n,)``.

    Examples
    --------
    >>> s = chain_statistics([1.0, 0.0], [4.0, 1.0])
    >>> [float(v) for v in s["w2sq"]], [float(v) for v in s["x"]]
    ([2.0, 0.0], [5.0, 1.0])
    """
    m = _as_1d("mu_g", mu_g)
    v = _as_1d("sigma2_g", sigma2_g)
    if m.shape != v.shape:
        raise ParameterError(
            f"mu_g and sigma2_g must have the same length (got {m.shape[0]} and {v.shape[0]})"
        )
    if mu != 0.0 or sigma != 1.0:
        m = (m - mu) / sigma
        v = v / (sigma * sigma)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        m2 = m * m
        sd = np.sqrt(v)
        dev = sd - 1.0
        np.square(dev, out=dev)
        dev += m2
        return {
            "x": m2 + v,
            "mu2": m2,
            "sigma": sd,
            "sigma2": np.array(v),  # a copy: never alias the caller's array
            "sigma4": v * v,
            "log_sigma2": np.log(v),
            "w2sq": dev,
        }
