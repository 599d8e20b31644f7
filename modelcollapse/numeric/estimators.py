"""Monte Carlo estimators with standard errors, and mergeable streaming moment summaries.

Everything here is deterministic arithmetic on arrays that were already drawn: no randomness, no I/O.
A simulation summarises each chunk of chains with :meth:`MomentSummary.from_array` and merges the chunk
summaries in chunk order with :meth:`MomentSummary.merge` (exact pairwise update of Chan et al. and
Pébay), so the final summary does not depend on how many workers computed the chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from modelcollapse._numbers import Scaled, is_normal, number
from modelcollapse._validation import ParameterError, check_integer

__all__ = [
    "RELATIVE_MOMENT_FACTOR",
    "STATISTICS",
    "TOP_SHARE_LIMIT",
    "ChunkSummaries",
    "Estimate",
    "judge",
    "MomentSummary",
    "chain_statistics",
    "covariance",
    "recorded",
    "seed_json",
    "summarize",
]

STATISTICS = ("x", "mu2", "sigma", "sigma2", "sigma4", "log_sigma2", "w2sq")
"""Names of the per-chain statistics returned by :func:`chain_statistics`, in a fixed order."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A Monte Carlo estimate, its standard error, and whether that standard error can be trusted.

    Parameters
    ----------
    value : float
        The point estimate (``0.0`` or ``inf`` where it lies beyond the float64 range: see ``scaled``).
    stderr : float
        Its estimated standard error (``nan`` where undefined).
    reliable : bool or None
        ``False`` when the statistic's tail makes the standard error untrustworthy at this number of
        chains (``reason`` says why); ``None`` when no diagnostic was available.
    reason : str
        Why it is (un)reliable, or why a value is undefined.
    scaled : tuple of (float, float, int), optional
        ``(value mantissa, stderr mantissa, e)`` with value = mantissa * 2**e, exactly, where the value or
        its standard error is not a normal float64 (far horizons: sigma_g^2 ~ 1e-900).

    Examples
    --------
    >>> Estimate(1.5, 0.25).to_dict()
    {'value': 1.5, 'stderr': 0.25}
    >>> Estimate(0.0, 0.0, True, "", (1.5, 0.5, -4000)).to_dict()
    {'value': '1.1379118055201068e-1204', 'stderr': '3.7930393517336893e-1205', 'reliable': True, 'reason': ''}
    """

    value: float
    stderr: float
    reliable: bool | None = None
    reason: str = ""
    scaled: tuple[float, float, int] | None = None

    def to_dict(self) -> dict[str, object]:
        """``{"value", "stderr"}`` as JSON carries numbers (:func:`modelcollapse._numbers.number`: a float
        when a normal float64, else a decimal string with exponent; never nan/inf), plus ``reliable`` and
        ``reason`` once judged."""
        if self.scaled is not None:
            mv, ms, e = self.scaled
            out: dict[str, object] = {"value": number(Scaled(mv, e)), "stderr": number(Scaled(ms, e))}
        else:
            out = {"value": number(float(self.value)), "stderr": number(float(self.stderr))}
        if self.reliable is not None:
            out["reliable"] = bool(self.reliable)
            out["reason"] = self.reason
        return out

    def log_value(self) -> float:
        """Natural log of ``|value|`` (exact where the value lies beyond the float64 range)."""
        if self.scaled is not None:
            return Scaled(self.scaled[0], self.scaled[2]).log()
        return math.log(abs(self.value)) if self.value != 0 else -math.inf

    def z(self, theory: float, log_theory: float | None = None) -> float:
        """``(value - theory) / stderr``, computed on the common power-of-two scale when the estimate lies
        beyond the float64 range (``log_theory``: natural log of a positive theory value that is too)."""
        if self.scaled is None:
            if not (self.stderr > 0 and math.isfinite(self.stderr)):
                return math.nan
            return (self.value - theory) / self.stderr
        mv, ms, e = self.scaled
        if not ms > 0:
            return math.nan
        if log_theory is None:
            log_theory = math.log(abs(theory)) if theory else -math.inf
            sign = 1.0 if theory >= 0 else -1.0
        else:
            sign = 1.0
        t = sign * math.exp(log_theory - e * math.log(2.0)) if math.isfinite(log_theory) else 0.0
        return (mv - t) / ms

    def judged(self, reliable: bool, reason: str) -> Estimate:
        """The same estimate with a reliability verdict."""
        return Estimate(self.value, self.stderr, bool(reliable), reason, self.scaled)


def _finish(value: float, stderr: float, scale: int) -> Estimate:
    """An estimate from values in units of ``2**scale``: plain floats when they are normal float64, else
    with the exact ``scaled`` form beside them."""
    if scale == 0:
        return Estimate(value, stderr)
    try:
        v, se = math.ldexp(value, scale), math.ldexp(stderr, scale)
    except OverflowError:
        v, se = math.copysign(math.inf, value), math.inf

    def faithful(out: float, raw: float) -> bool:
        return not math.isfinite(raw) or raw == 0 or (out != 0 and is_normal(out))

    if faithful(v, value) and faithful(se, stderr):
        return Estimate(v, se)
    return Estimate(v, se, scaled=(value, stderr, scale))


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
    lo: float = math.inf
    """Smallest value (``inf``: not tracked), in units of ``2**scale``."""
    hi: float = -math.inf
    """Largest value (``-inf``: not tracked), in units of ``2**scale``."""
    scale: int = 0
    """Every field is in units of ``2**scale`` (its k-th power for ``m_k``): summaries of values far beyond
    the float64 range (``sigma_g^2 ~ 1e-900`` after many generations) stay exact instead of under- or
    overflowing; merges align the scales."""

    @classmethod
    def empty(cls) -> MomentSummary:
        """The summary of an empty sample: the identity of :meth:`merge`."""
        return cls(0, 0.0, 0.0, 0.0, 0.0)

    @classmethod
    def from_array(cls, x: ArrayLike, *, scale: int = 0) -> MomentSummary:
        """Summarise a 1-D sample in a few vectorized passes.

        The mean is computed with numpy's pairwise summation and refined by one correction pass
        (``mean += sum(x - mean) / n``), then the central sums are taken around it.  Values whose largest
        magnitude lies outside :math:`[2^{-400}, 2^{400}]` are first rescaled by a power of two (exact),
        so the fourth powers neither underflow nor overflow.

        Parameters
        ----------
        x : array_like, shape (n,)
            The sample (converted to float64).
        scale : int
            The sample is in units of ``2**scale`` (see :meth:`from_log`).

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
            lo, hi = float(np.min(arr)), float(np.max(arr))
            big = max(abs(lo), abs(hi))
            if math.isfinite(big) and big > 0 and not (2.0**-400 < big < 2.0**400):
                shift = math.frexp(big)[1]
                arr = np.ldexp(arr, -shift)
                lo, hi = math.ldexp(lo, -shift), math.ldexp(hi, -shift)
                scale += shift
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
        return cls(n, center, m2, m3, m4, lo, hi, scale)

    @classmethod
    def from_log(cls, t: ArrayLike) -> MomentSummary:
        r"""Summarise the sample :math:`y_j = e^{t_j}` given its logarithms, exactly at any magnitude.

        With :math:`k` the binary exponent of :math:`\max_j t_j / \log 2`, the values
        :math:`e^{t_j - k\log 2} \le 2` are summarised in units of :math:`2^k`: no :math:`y_j` is ever
        formed in float64, so :math:`E\,\sigma_g^2` after thousands of generations (``t ~ -2000``) keeps
        its value and a nonzero standard error.  Values below :math:`2^{-1074}` times the largest are zero
        in these units (they change no digit of the sums).

        Examples
        --------
        >>> import numpy as np
        >>> s = MomentSummary.from_log(np.array([-2000.0, -2001.0, -2002.0]))
        >>> e = s.mean()
        >>> bool(abs(e.log_value() + 2000 - np.log((1 + np.exp(-1) + np.exp(-2)) / 3)) < 1e-12), e.scaled[1] > 0
        (True, True)
        """
        arr = _as_1d("t", t)
        if arr.shape[0] == 0:
            return cls.empty()
        finite = arr[np.isfinite(arr)]
        top = float(np.max(finite)) if finite.size else 0.0
        k = int(math.floor(top / math.log(2.0)))
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            y = np.exp(arr - k * math.log(2.0))
        return cls.from_array(y, scale=k)

    def rescaled(self, scale: int) -> MomentSummary:
        """The same summary in units of ``2**scale`` (``scale >= self.scale``: exact up to underflow of
        contributions far below the other summary's)."""
        d = self.scale - scale
        if d == 0:
            return self
        f = lambda v, k=1: math.ldexp(v, k * d) if math.isfinite(v) else v  # noqa: E731
        return MomentSummary(self.count, f(self.center), f(self.m2, 2), f(self.m3, 3), f(self.m4, 4),
                             f(self.lo), f(self.hi), scale)

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
        a, b = self, other
        if a.scale != b.scale:
            common = max(a.scale, b.scale)
            a, b = a.rescaled(common), b.rescaled(common)
        n = na + nb
        fa, fb, fn = float(na), float(nb), float(n)
        delta = b.center - a.center
        delta_n = delta / fn
        center = a.center + delta_n * fb
        term1 = delta * delta_n * fa * fb  # delta^2 na nb / n
        m2 = a.m2 + b.m2 + term1
        m3 = a.m3 + b.m3 + term1 * delta_n * (fa - fb) + 3.0 * delta_n * (fa * b.m2 - fb * a.m2)
        m4 = (
            a.m4
            + b.m4
            + term1 * delta_n * delta_n * (fa * fa - fa * fb + fb * fb)
            + 6.0 * delta_n * delta_n * (fa * fa * b.m2 + fb * fb * a.m2)
            + 4.0 * delta_n * (fa * b.m3 - fb * a.m3)
        )
        return MomentSummary(n, center, m2, m3, m4, min(a.lo, b.lo), max(a.hi, b.hi), a.scale)

    def is_finite(self) -> bool:
        """Whether the mean and every central sum are finite (a nan/inf anywhere in the data shows here)."""
        return all(math.isfinite(v) for v in (self.center, self.m2, self.m3, self.m4))

    def _require(self, minimum: int, what: str) -> None:
        if self.count < minimum:
            raise ParameterError(
                f"{what} needs a summary of at least {minimum} values (got count={self.count})"
            )

    def top_share(self, power: int = 2) -> float | None:
        r"""Share of :math:`\sum_j (x_j - \bar x)^{power}` carried by the most extreme value (``None``
        when the extremes were not tracked or the sum is zero): near 1 when one chain decides the sum."""
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            return None
        total = self.m2 if power == 2 else self.m4
        if not (total > 0 and math.isfinite(total)):
            return None
        dev = max(self.hi - self.center, self.center - self.lo)
        return min(1.0, dev**power / total)

    def _tail_verdict(self, power: int, what: str) -> tuple[bool | None, str]:
        share = self.top_share(power)
        if share is None:
            if math.isfinite(self.lo) and self.lo == self.hi:
                return True, "every chain has the same value"
            return None, ""
        n = self.count
        # what an exponential tail's largest value carries: (log n)^p / (c_p n), c_2 = 1, c_4 = 9
        limit = max(TOP_SHARE_LIMIT, math.log(n) ** power / ((1.0 if power == 2 else 9.0) * n))
        if share > limit:
            return False, (
                f"the most extreme of the {n:,} chains carries {share:.0%} of the sum of "
                f"{'squared' if power == 2 else 'fourth-power'} deviations behind the {what}: a heavy tail "
                "that these chains do not resolve, so the standard error is not trustworthy (more chains, "
                "larger samples or a shorter horizon)"
            )
        return True, (f"the most extreme chain carries {share:.1%} of the sum of "
                      f"{'squared' if power == 2 else 'fourth-power'} deviations (limit {limit:.0%})")

    def _floor(self, se: float) -> float:
        """A nondegenerate sample (lo < hi) never reports a zero standard error: sum of squared deviations
        >= (hi - lo)^2 / 2 bounds it below where the sums lost it."""
        if se == 0.0 and math.isfinite(self.lo) and self.hi > self.lo:
            n = self.count
            return (self.hi - self.lo) / math.sqrt(2.0 * n * (n - 1))
        return se

    def mean(self) -> Estimate:
        r"""The sample mean, with standard error :math:`\sqrt{s^2 / n}` and an empirical reliability verdict.

        The verdict (:meth:`top_share`): unreliable when the most extreme chain carries more than
        :data:`TOP_SHARE_LIMIT` of the sum of squared deviations (and more than :math:`(\log n)^2/n`, what
        the largest of n exponential-tailed values carries), i.e. the standard error rests on a handful of
        chains.

        Returns
        -------
        Estimate
        """
        self._require(2, "mean() with a standard error")
        n = self.count
        se = self._floor(math.sqrt(max(self.m2, 0.0) / (n - 1) / n))
        ok, why = self._tail_verdict(2, "mean")
        out = _finish(self.center, se, self.scale)
        return out if ok is None else out.judged(ok, why)

    def var(self) -> Estimate:
        r"""The unbiased sample variance :math:`s^2 = m_2 / (n - 1)`, with its standard error.

        The standard error is the plug-in value of the exact variance of :math:`s^2`,

        .. math::

            \operatorname{Var}(s^2) = \frac{1}{n}\Big(\mu_4 - \frac{n-3}{n-1}\,\mu_2^2\Big),

        with :math:`\mu_k` replaced by the sample central moments :math:`m_k / n` (clipped at 0).  The
        reliability verdict looks at the fourth-power deviations (the standard error's own ingredient).

        Returns
        -------
        Estimate

        Examples
        --------
        For normal data :math:`\operatorname{Var}(s^2) \approx 2\sigma^4/(n-1)`:

        >>> import numpy as np
        >>> rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1)))
        >>> s = MomentSummary.from_array(rng.standard_normal(100_000))
        >>> bool(abs(s.var().stderr / np.sqrt(2 / (s.count - 1)) - 1) < 0.05), s.var().reliable
        (True, True)
        """
        self._require(2, "var()")
        n = self.count
        s2 = self.m2 / (n - 1)
        mu2 = self.m2 / n
        mu4 = self.m4 / n
        v = (mu4 - (n - 3) / (n - 1) * mu2 * mu2) / n
        se = math.sqrt(max(v, 0.0))
        if se == 0.0 and s2 > 0:
            se = math.nan if not math.isfinite(s2) else s2 * math.sqrt(2.0 / (n - 1))  # Gaussian floor
        ok, why = self._tail_verdict(4, "variance")
        out = _finish(s2, se, 2 * self.scale)
        return out if ok is None else out.judged(ok, why)


TOP_SHARE_LIMIT = 0.1
"""Largest share of a sum of (squared or fourth-power) deviations one chain may carry before the standard
error of a chain mean (variance) is called unreliable: beyond it fewer than ten chains' worth decide it."""

RELATIVE_MOMENT_FACTOR = 10.0
r"""A chain mean of a statistic :math:`Y` with relative second moment :math:`\rho = E Y^2/(E Y)^2` is
reliable only with at least ``RELATIVE_MOMENT_FACTOR`` :math:`(\rho - 1)` chains: fewer chains miss the rare
chains that carry the mean, and the sample variance then underestimates the true one."""


def judge(estimate: Estimate, chains: int, log_rho: float | None = None) -> Estimate:
    r"""The estimate's reliability verdict, from the model's exact relative second moment when it has one.

    Parameters
    ----------
    estimate : Estimate
        Usually with the empirical verdict of :meth:`MomentSummary.mean` already in it.
    chains : int
        Chains behind the estimate.
    log_rho : float, optional
        :math:`\log \rho`, :math:`\rho = E Y^2 / (E Y)^2` of the per-chain statistic :math:`Y` whose
        mean is the estimate (exact, from the model's theory).  With it the estimate is unreliable when
        ``chains < RELATIVE_MOMENT_FACTOR * (rho - 1)``, whatever the sample shows.

    Returns
    -------
    Estimate
        With ``reliable`` a bool: ``False`` if either diagnostic says so.

    Examples
    --------
    :math:`\sigma_g^2` after 2000 refits of 5 points has :math:`\rho = 1.5^{2000}`:

    >>> import math
    >>> e = judge(Estimate(3e-178, 3e-178, True, ""), 20_000, 2000 * math.log(1.5))
    >>> e.reliable, e.reason[:42]
    (False, 'E Y^2/(E Y)^2 = 1.5e352 for this statistic')
    """
    reliable, reasons = estimate.reliable, [estimate.reason] if estimate.reason else []
    if log_rho is not None and math.isfinite(log_rho):
        excess = math.expm1(log_rho) if log_rho < 700 else math.inf
        need = RELATIVE_MOMENT_FACTOR * excess
        shown = _exp_text(log_rho)
        if chains < need:
            reliable = False
            need_text = f"{need:,.0f}" if need < 1e15 else "about " + _exp_text(log_rho + math.log(RELATIVE_MOMENT_FACTOR))
            reasons.insert(0, f"E Y^2/(E Y)^2 = {shown} for this statistic (exact): a chain mean over {chains:,} "
                              f"chains is carried by rare chains it does not see; reliable from {need_text} chains")
        else:
            reliable = reliable if reliable is not None else True
            reasons.insert(0, f"E Y^2/(E Y)^2 = {shown} (exact) is resolved by {chains:,} chains")
    if reliable is None:
        return estimate.judged(True, "no tail diagnostic is available for this estimate")
    if reliable is False:
        reasons = [r for r in reasons if "carries" in r or "rare chains" in r] or reasons
    return estimate.judged(bool(reliable), "; ".join(reasons))


def _exp_text(log_value: float) -> str:
    """``exp(log_value)`` as text, at any magnitude (``1.3e352``)."""
    if log_value < 700:
        return f"{math.exp(log_value):.2g}".replace("e+", "e")
    e10 = log_value / math.log(10.0)
    k = math.floor(e10)
    return f"{10 ** (e10 - k):.2g}e{k}"


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


def recorded(summaries: Mapping[int, Any], generation: object, last: int) -> Any:
    """What a simulation result recorded at ``generation`` (``None``: ``last``, the final one), for every
    model's ``estimates(generation)``; an unrecorded generation raises, naming the recorded ones."""
    generation = last if generation is None else check_integer("generation", generation)
    if generation not in summaries:
        gens = tuple(summaries)
        shown = str(gens) if len(gens) <= 6 else f"({gens[0]}, ..., {gens[-1]})"
        raise ParameterError(f"generation must be one of the recorded generations {shown} (got {generation}); "
                             "pass record='all' to simulate() to record every generation")
    return summaries[generation]


def seed_json(seed: int | Sequence[int]) -> int | list[int]:
    """A run's seed as its JSON record holds it (an int, or the entropy's list of ints)."""
    return seed if isinstance(seed, int) else list(seed)
