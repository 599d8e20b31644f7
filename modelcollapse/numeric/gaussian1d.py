r"""Monte Carlo simulation of model collapse for the one-dimensional Gaussian.

The model: :math:`X^0 \sim N(\mu, \sigma^2)`.  Generation :math:`i` draws :math:`M_i` points from the
current fit :math:`N(\mu_i, \sigma_i^2)` and refits the mean and the variance (divisor :math:`M_i - 1`,
``"unbiased"``, or :math:`M_i`, ``"mle"``).  After :math:`g` fits the model is
:math:`N(\mu_g, \sigma_g^2)`.  By Cochran's theorem one refit is exactly

.. math::

    \mu_{i+1} = \mu_i + \frac{\sigma_i}{\sqrt{M_i}} Z_i, \qquad
    \sigma_{i+1}^2 = \sigma_i^2 \, \frac{\chi^2_{M_i - 1}}{D_i},

with :math:`Z_i \sim N(0, 1)` independent of the chi-square and :math:`D_i = M_i - 1` or :math:`M_i`.
The ``"exact"`` sampler draws one normal and one gamma variate per chain and generation; the
``"brute"`` sampler literally draws the :math:`M_i` points and refits them, to check the reduction.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from modelcollapse._validation import (
    SCHEMES,
    ParameterError,
    check_choice,
    check_estimator,
    check_detector,
    check_regime,
    check_integer,
    check_positive,
    check_sizes,
)
from modelcollapse.numeric.estimators import (
    Estimate,
    MomentSummary,
    chain_statistics,
    recorded,
    seed_json,
    summarize,
)
from modelcollapse.numeric.executors import as_seed_sequence, check_memory, check_workers, run_chunks

__all__ = [
    "COLLAPSE_KEYS",
    "DEFAULT_CHUNK_SIZE",
    "ESTIMATE_KEYS",
    "MOMENT_KEYS",
    "SAMPLERS",
    "SimulationResult",
    "Trajectories",
    "sample_x",
    "simulate",
]

SAMPLERS = ("exact", "brute")
RECORDS = ("final", "all")

DEFAULT_CHUNK_SIZE = 1 << 15
"""Chains per chunk when ``chunk_size`` is not given: the working arrays of the exact sampler
(five float64 arrays, 1.25 MiB) stay cache-resident while numpy's per-call overhead is negligible."""

TRAJECTORY_LIMIT = 1 << 24
"""Largest ``chains * (g + 1)`` for which ``trajectories=True`` is accepted (128 MiB per array)."""

_BRUTE_BLOCK = 1 << 20  # points drawn at once by the brute sampler (8 MiB of float64)
_SCALE_LO, _SCALE_HI = 2.0**-40, 2.0**40  # fold the exact sampler's lazy scale before it drifts far


@dataclass(frozen=True, slots=True)
class Trajectories:
    """Per-chain paths of the fitted parameters, generations ``0..g`` (column 0 is :math:`(\\mu, \\sigma)`).

    Parameters
    ----------
    mu : numpy.ndarray, shape (chains, g + 1)
        :math:`\\mu_0, \\dots, \\mu_g` per chain.
    sigma : numpy.ndarray, shape (chains, g + 1)
        :math:`\\sigma_0, \\dots, \\sigma_g` per chain.
    """

    mu: np.ndarray
    sigma: np.ndarray


@dataclass(frozen=True, slots=True)
class _Params:
    """What a chunk job needs; picklable, shared by every chunk."""

    sizes: tuple[int, ...]
    sampler: str
    estimator: str
    sigma: float
    mu: float
    record_all: bool
    trajectories: bool
    scheme: str = "replace"
    real: int = 0
    recall: float = 0.0
    fpr: float = 0.0
    eps: float | None = None
    r"""Collapse threshold (units of sigma): track :math:`T_\varepsilon = \min\{g : \sigma_g < \varepsilon\sigma\}`."""

    @property
    def detector(self) -> bool:
        """Whether a detector filters each sample (``mix`` only)."""
        return self.recall > 0 or self.fpr > 0

    @property
    def collapse_generation(self) -> int | None:
        """First generation with :math:`\\sigma = 0` exactly (an mle fit of one point), if any."""
        if self.scheme == "replace" and self.estimator == "mle" and 1 in self.sizes:
            return self.sizes.index(1) + 1
        return None

    def divisor(self, n: int) -> int:
        """The variance divisor of a fit on ``n`` points."""
        return n - 1 if self.estimator == "unbiased" else n


@dataclass(frozen=True, slots=True)
class _Partial:
    """The result of some consecutive chunks: summaries per recorded generation, trajectory pieces."""

    chains: int
    summaries: tuple[dict[str, MomentSummary], ...]
    paths: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

    def merge(self, other: _Partial) -> _Partial:
        return _Partial(
            self.chains + other.chains,
            tuple({k: a[k].merge(b[k]) for k in a} for a, b in zip(self.summaries, other.summaries)),
            self.paths + other.paths,
        )


_SAFE_LO, _SAFE_HI = 2.0**-250, 2.0**250
"""Fitted variances (units of sigma) inside this range are summarised directly; beyond it, from their logarithms."""
_RENORM_LO, _RENORM_HI = 2.0**-300, 2.0**300
"""A chain's variance leaving this range moves into its binary exponent (the exact sampler's log space)."""


def _summarize_generation(
    p: _Params, gen: int, m: np.ndarray, v: np.ndarray, ex: np.ndarray | None = None,
    first_below: np.ndarray | None = None,
) -> dict[str, MomentSummary]:
    """Summaries of the per-chain statistics at generation ``gen`` (``m``, ``v`` in units of sigma; the
    variance is ``v * 2**ex`` per chain when the sampler keeps binary exponents ``ex``).

    Where every variance is a moderate float the statistics are summarised directly; otherwise (thousands of
    generations: sigma_g^2 ~ 1e-900 in float64 would be 0) ``sigma``, ``sigma2``, ``sigma4`` and ``x`` are
    summarised from their logarithms (:meth:`MomentSummary.from_log`), exactly at any magnitude.  With a collapse
    threshold, ``first_below`` holds :math:`T_\varepsilon` per chain (0 where not yet collapsed).
    """
    collapse = p.collapse_generation
    with np.errstate(all="ignore"):
        moderate = ex is None and v.size and _SAFE_LO < float(np.min(v)) and float(np.max(v)) < _SAFE_HI
    if moderate or (collapse is not None and gen >= collapse):
        stats = chain_statistics(m, v if ex is None else np.ldexp(v, ex))
        if collapse is not None and gen >= collapse:
            del stats["log_sigma2"]  # log 0 = -inf for every chain: reported by estimates(), not summarised
        out = summarize(stats)
    else:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            log_v = np.log(v)
            if ex is not None:
                log_v += ex * math.log(2.0)
            m2 = m * m
            sd = np.exp(0.5 * log_v)
            w2 = np.square(sd - 1.0) + m2
            log_x = np.logaddexp(np.log(m2), log_v)
        out = {
            "x": MomentSummary.from_log(log_x),
            "mu2": MomentSummary.from_array(m2),
            "sigma": MomentSummary.from_log(0.5 * log_v),
            "sigma2": MomentSummary.from_log(log_v),
            "sigma4": MomentSummary.from_log(2.0 * log_v),
            "log_sigma2": MomentSummary.from_array(log_v),
            "w2sq": MomentSummary.from_array(w2),
        }
    for name, s in out.items():
        if not s.is_finite():
            raise FloatingPointError(
                f"the {p.sampler} gaussian1d simulation produced non-finite values of the statistic "
                f"{name!r} at generation {gen} of {len(p.sizes)} (mu_g left the float64 range); shorten the "
                "schedule or use larger sample sizes"
            )
    out.update(_law_summaries(p, m, v, ex, first_below))
    return out


def _law_summaries(p: _Params, m: np.ndarray, v: np.ndarray, ex: np.ndarray | None,
                   first_below: np.ndarray | None) -> dict[str, MomentSummary]:
    r"""Summaries behind the law estimates: the Rao-Blackwellized conditional moments of :math:`(X^g-\mu)/\sigma`
    given the fit, :math:`c_2 = m^2 + v`, :math:`c_4 = m^4 + 6m^2v + 3v^2`, :math:`c_6 = m^6 + 15m^4v + 45m^2v^2 +
    15v^3`, and their pairwise sums (for the covariances of the delta method); with ``eps``, the indicators of
    :math:`\sigma_g < \varepsilon\sigma` and :math:`T_\varepsilon \le g`, and :math:`T_\varepsilon` over the collapsed
    chains.  Heavy-tailed: non-finite summaries give ``nan`` estimates instead of an error.  ``v * 2**ex`` is the
    variance where the sampler keeps binary exponents."""
    with np.errstate(all="ignore"):
        if ex is not None:
            below_eps = np.log2(v) + ex < 2.0 * math.log2(p.eps) if p.eps is not None else None
            v = np.ldexp(v, ex)
        else:
            below_eps = v < p.eps * p.eps if p.eps is not None else None
        m2 = m * m
        c2 = m2 + v
        c4 = m2 * m2 + 6.0 * m2 * v + 3.0 * v * v
        c6 = m2 * m2 * m2 + 15.0 * m2 * m2 * v + 45.0 * m2 * v * v + 15.0 * v * v * v
        out = summarize({"c2": c2, "c4": c4, "c6": c6, "c2+c4": c2 + c4, "c2+c6": c2 + c6, "c4+c6": c4 + c6})
        if p.eps is not None and first_below is not None:
            below = below_eps.astype(np.float64)
            collapsed = first_below > 0
            out["below"] = MomentSummary.from_array(below)
            out["collapsed"] = MomentSummary.from_array(collapsed.astype(np.float64))
            out["time"] = MomentSummary.from_array(first_below[collapsed].astype(np.float64))
    return out


def _renormalize(s2: np.ndarray, ex: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Move extreme magnitudes of ``s2`` into the even binary exponents ``ex`` (``s2 * 2**ex`` unchanged)."""
    with np.errstate(invalid="ignore"):
        if not (float(np.min(s2)) < _RENORM_LO or float(np.max(s2)) > _RENORM_HI):
            return s2, ex
    mant, e = np.frexp(s2)
    odd = e & 1
    mant = np.ldexp(mant, odd)
    e -= odd
    return mant, e if ex is None else ex + e


def _exact_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    """Exact (Cochran) sampler for ``n`` chains: one normal and one gamma draw per chain and generation.

    Works in units of sigma.  The variance is kept as ``s2 * scale`` with a lazy scalar ``scale``
    (the chi-square divisor ``2 / D_i`` of each generation), folded into the array only when a
    generation is recorded or the scalar drifts far from 1: one array pass saved per generation.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    g = len(p.sizes)
    m = np.zeros(n)  # (mu_i - mu) / sigma
    s2 = np.ones(n)  # sigma_i^2 / sigma^2 == s2 * scale * 2**ex
    ex: np.ndarray | None = None  # per-chain even binary exponents, once some variance leaves 2^+-300
    z = np.empty(n)
    gam = np.empty(n)
    t = np.empty(n)
    scale = 1.0
    summaries = []
    first = np.zeros(n, dtype=np.int64) if p.eps is not None else None  # T_eps, 0 = not yet
    if p.trajectories:
        path_m = np.zeros((n, g + 1))
        path_v = np.ones((n, g + 1))
    with np.errstate(all="ignore"):  # non-finite results are detected in the summaries
        for i, M in enumerate(p.sizes):
            gen = i + 1
            divisor = M - 1 if p.estimator == "unbiased" else M
            rng.standard_normal(out=z)
            np.sqrt(s2, out=t)
            t *= z
            t *= math.sqrt(scale / M)
            if ex is not None:
                np.ldexp(t, ex // 2, out=t)
            m += t  # mu_{i+1} = mu_i + sigma_i Z / sqrt(M_i)
            rng.standard_gamma(0.5 * (M - 1), out=gam)  # chi2_{M-1} / 2
            s2 *= gam
            scale *= 2.0 / divisor
            recorded = gen == g or p.record_all
            if recorded or p.trajectories or gen % 16 == 0 or not (_SCALE_LO < scale < _SCALE_HI):
                s2 *= scale
                scale = 1.0
                if p.collapse_generation is None:
                    s2, ex = _renormalize(s2, ex)
            if first is not None:  # sigma_gen < eps sigma <=> s2 * scale * 2**ex < eps^2
                threshold = p.eps * p.eps / scale
                below = s2 < threshold if ex is None else np.log2(s2) + ex < math.log2(threshold)
                first[(first == 0) & below] = gen
            if p.trajectories:
                path_m[:, gen] = m
                path_v[:, gen] = s2 if ex is None else np.ldexp(s2, ex)
            if recorded:
                summaries.append(_summarize_generation(p, gen, m, s2, ex, first))
    paths = ()
    if p.trajectories:
        paths = ((p.mu + p.sigma * path_m, p.sigma * np.sqrt(path_v)),)
    return _Partial(n, tuple(summaries), paths)


class _Recorder:
    """Collects the summaries (and trajectory columns) of the recorded generations of one chunk."""

    def __init__(self, p: _Params, n: int) -> None:
        self.p = p
        self.summaries: list[dict[str, MomentSummary]] = []
        self.first = np.zeros(n, dtype=np.int64) if p.eps is not None else None
        g = len(p.sizes)
        self.path_m = np.zeros((n, g + 1)) if p.trajectories else None
        self.path_v = np.ones((n, g + 1)) if p.trajectories else None

    def record(self, gen: int, m: np.ndarray, v: np.ndarray) -> None:
        """``m``, ``v``: fitted mean and variance after fit ``gen``, in units of sigma."""
        if self.path_m is not None:
            self.path_m[:, gen] = m
            self.path_v[:, gen] = v
        if self.first is not None:
            self.first[(self.first == 0) & (v < self.p.eps * self.p.eps)] = gen
        if gen == len(self.p.sizes) or self.p.record_all:
            self.summaries.append(_summarize_generation(self.p, gen, m, v, first_below=self.first))

    def partial(self, n: int) -> _Partial:
        paths = ()
        if self.path_m is not None:
            p = self.p
            paths = ((p.mu + p.sigma * self.path_m, p.sigma * np.sqrt(self.path_v)),)
        return _Partial(n, tuple(self.summaries), paths)


def _first_fit(p: _Params, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fit 1 of every scheme: the M_0 real points (Cochran), units of sigma."""
    M = p.sizes[0]
    m = rng.standard_normal(n) / math.sqrt(M)
    v = 2.0 * rng.standard_gamma(0.5 * (M - 1), size=n) / p.divisor(M)
    return m, v


def _accumulate_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    r"""Exact sampler of ``accumulate``: the pool's mean and sum of squares are sufficient.

    Fit :math:`i+1` uses all :math:`N_i = M_0 + \dots + M_i` points.  Adding :math:`M_i` points drawn from
    :math:`N(\mu_i, \sigma_i^2)` to the :math:`N_{i-1}` points behind fit :math:`i` (whose mean is
    :math:`\mu_i` and sum of squares :math:`D(N_{i-1})\sigma_i^2`) gives, with one normal :math:`Z` (the
    new batch's mean) and one chi-square (its sum of squares),

    .. math::  \mu_{i+1} = \mu_i + \frac{\sqrt{M_i}}{N_i}\sigma_i Z, \qquad
               \sigma_{i+1}^2 = \sigma_i^2\,\frac{D(N_{i-1}) + \chi^2_{M_i-1} + (N_{i-1}/N_i) Z^2}{D(N_i)}.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    rec = _Recorder(p, n)
    with np.errstate(all="ignore"):
        m, v = _first_fit(p, rng, n)
        rec.record(1, m, v)
        pooled = p.sizes[0]
        z = np.empty(n)
        gam = np.empty(n)
        for i, M in enumerate(p.sizes[1:], 1):
            total = pooled + M
            rng.standard_normal(out=z)
            rng.standard_gamma(0.5 * (M - 1), out=gam)
            scale = np.sqrt(v) * (math.sqrt(M) / total)
            m = m + scale * z
            z *= z
            v = v * (p.divisor(pooled) + 2.0 * gam + (pooled / total) * z) / p.divisor(total)
            pooled = total
            rec.record(i + 1, m, v)
    return rec.partial(n)


def _mix_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    r"""Exact sampler of ``mix``: sample :math:`i \ge 1` has :math:`R` fresh real points and :math:`M_i - R`
    from fit :math:`i`.  With the two groups' means and sums of squares (independent),

    .. math::  \mu_{i+1} = \frac{R\,\bar r + (M_i - R)\,\bar s}{M_i}, \qquad
               D_i\,\sigma_{i+1}^2 = \chi^2_{R-1} + \sigma_i^2\chi^2_{M_i-R-1}
               + \frac{R (M_i - R)}{M_i} (\bar r - \bar s)^2,

    :math:`\bar r \sim N(\mu, \sigma^2/R)`, :math:`\bar s \sim N(\mu_i, \sigma_i^2/(M_i - R))`: two normals and two
    chi-squares per chain and generation.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    rec = _Recorder(p, n)
    R = p.real
    with np.errstate(all="ignore"):
        m, v = _first_fit(p, rng, n)
        rec.record(1, m, v)
        for i, M in enumerate(p.sizes[1:], 1):
            S = M - R  # synthetic points
            ss = np.zeros(n)
            mean = np.zeros(n)
            r_bar = s_bar = 0.0
            if R:
                r_bar = rng.standard_normal(n) / math.sqrt(R)
                if R > 1:
                    ss += 2.0 * rng.standard_gamma(0.5 * (R - 1), size=n)
                mean += R * r_bar
            if S:
                s_bar = m + np.sqrt(v / S) * rng.standard_normal(n)
                if S > 1:
                    ss += v * (2.0 * rng.standard_gamma(0.5 * (S - 1), size=n))
                mean += S * s_bar
            if R and S:
                ss += (R * S / M) * (r_bar - s_bar) ** 2
            m, v = mean / M, ss / p.divisor(M)
            rec.record(i + 1, m, v)
    return rec.partial(n)


def _detector_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    r"""Exact sampler of ``mix`` behind a detector: each real point is kept with probability ``1 - fpr``, each
    synthetic one with ``1 - recall``, independently; the fit uses the kept points.

    Per chain the kept composition :math:`a \sim \mathrm{Bin}(R, 1 - \mathrm{fpr})` real and
    :math:`b \sim \mathrm{Bin}(M_i - R, 1 - \mathrm{recall})` synthetic points is drawn first; given it, the
    refit is the ``mix`` refit with :math:`R \to a`, :math:`M \to a + b` (two normals and two chi-squares with
    per-chain degrees of freedom).  Fewer than two kept points: no refit, the fit stays.  Sample 0 keeps
    :math:`\mathrm{Bin}(M_0, 1 - \mathrm{fpr})` real points.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    rec = _Recorder(p, n)
    with np.errstate(all="ignore"):
        m, v = np.zeros(n), np.ones(n)  # X^0 = N(mu, sigma^2) in units of sigma
        for i, M in enumerate(p.sizes):
            R = M if i == 0 else p.real
            a = rng.binomial(R, 1.0 - p.fpr, size=n)
            b = rng.binomial(M - R, 1.0 - p.recall, size=n)
            kept = a + b
            safe_a, safe_b, safe_n = np.maximum(a, 1), np.maximum(b, 1), np.maximum(kept, 1)
            r_bar = np.where(a > 0, rng.standard_normal(n) / np.sqrt(safe_a), 0.0)
            s_bar = np.where(b > 0, m + np.sqrt(v / safe_b) * rng.standard_normal(n), 0.0)
            ss = 2.0 * rng.standard_gamma(0.5 * np.maximum(a - 1, 0)) + v * 2.0 * rng.standard_gamma(0.5 * np.maximum(b - 1, 0))
            ss += (a * b / safe_n) * (r_bar - s_bar) ** 2
            refit = kept >= 2
            divisor = safe_n - 1 if p.estimator == "unbiased" else safe_n
            m = np.where(refit, (a * r_bar + b * s_bar) / safe_n, m)
            v = np.where(refit, ss / np.maximum(divisor, 1), v)
            rec.record(i + 1, m, v)
    return rec.partial(n)


def _detector_pool_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    """Point-keeping sampler of ``mix`` behind a detector: draws every point, keeps each with its probability
    (a uniform per point), refits on the kept ones (masked mean and variance); fewer than two: no refit."""
    rng = np.random.Generator(np.random.PCG64(seed))
    ddof = 1 if p.estimator == "unbiased" else 0
    rec = _Recorder(p, n)
    with np.errstate(all="ignore"):
        m, v = np.zeros(n), np.ones(n)
        for i, M in enumerate(p.sizes):
            R = M if i == 0 else p.real
            points = np.empty((n, M))
            points[:, : M - R] = m[:, None] + np.sqrt(v)[:, None] * rng.standard_normal((n, M - R))
            points[:, M - R :] = rng.standard_normal((n, R))
            keep_prob = np.concatenate([np.full(M - R, 1.0 - p.recall), np.full(R, 1.0 - p.fpr)])
            mask = rng.random((n, M)) < keep_prob
            kept = mask.sum(axis=1)
            safe = np.maximum(kept, 1)
            mean = np.where(mask, points, 0.0).sum(axis=1) / safe
            dev = np.where(mask, points - mean[:, None], 0.0)
            var = (dev * dev).sum(axis=1) / np.maximum(safe - ddof, 1)
            refit = kept >= 2
            m, v = np.where(refit, mean, m), np.where(refit, var, v)
            rec.record(i + 1, m, v)
    return rec.partial(n)


_POOL_FLOATS = 1 << 22
"""Pool entries (float64) one block of chains of a point-keeping sampler holds at once (32 MiB)."""


def _pool_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    r"""Point-keeping sampler: every chain keeps its pool of points and refits on the training set.

    ``accumulate``: fit :math:`i+1` uses the whole pool (:math:`N_i` points); ``accumulate-subsample``: a
    uniform subsample of :math:`M_i` of them without replacement (random keys, ``argpartition``);
    ``replace``/``mix``: the newest sample only.  For ``accumulate-subsample`` this is also the exact
    sampler: subsamples of one pool overlap across generations, so no fixed set of summaries of the pool is
    sufficient and the points themselves are the state (:math:`O(N_i)` work per chain and generation).
    Chains run in blocks so that a block's pool stays below :data:`_POOL_FLOATS` entries.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    sizes = p.sizes
    total = sum(sizes)
    block = max(1, min(n, _POOL_FLOATS // total))
    ddof = 1 if p.estimator == "unbiased" else 0
    parts = []
    for start in range(0, n, block):
        b = min(block, n - start)
        rec = _Recorder(p, b)
        pool = np.empty((b, total))
        pool[:, : sizes[0]] = rng.standard_normal((b, sizes[0]))  # the real points, units of sigma
        filled = sizes[0]
        train = pool[:, :filled]
        m, v = train.mean(axis=1), train.var(axis=1, ddof=ddof)
        rec.record(1, m, v)
        for i, M in enumerate(sizes[1:], 1):
            R = p.real if p.scheme == "mix" else 0
            new = pool[:, filled : filled + M]
            new[:, : M - R] = m[:, None] + np.sqrt(v)[:, None] * rng.standard_normal((b, M - R))
            new[:, M - R :] = rng.standard_normal((b, R))
            filled += M
            if p.scheme == "accumulate":
                train = pool[:, :filled]
            elif p.scheme == "accumulate-subsample":
                keys = rng.random((b, filled))
                pick = np.argpartition(keys, M - 1, axis=1)[:, :M] if M < filled else np.argsort(keys, axis=1)
                train = np.take_along_axis(pool[:, :filled], pick, axis=1)
            else:
                train = new
            m, v = train.mean(axis=1), train.var(axis=1, ddof=ddof)
            rec.record(i + 1, m, v)
        parts.append(rec.partial(b))
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part)
    return out


def _brute_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    """Brute-force sampler: draw the ``M_i`` points of every chain from ``N(mu_i, sigma_i^2)`` and refit.

    Works in units of sigma (the points are ``(x - mu) / sigma``; a refit commutes with that affine map), so
    any ``sigma`` in the float64 range is simulated alike (``1e-160`` and ``1e200`` included); trajectories are
    reported in the original units.  Points are drawn in blocks of at most ``2**20`` per generation.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    g = len(p.sizes)
    ddof = 1 if p.estimator == "unbiased" else 0
    mu_i = np.zeros(n)
    sd_i = np.ones(n)
    summaries = []
    first = np.zeros(n, dtype=np.int64) if p.eps is not None else None
    if p.trajectories:
        path_mu = np.empty((n, g + 1))
        path_sd = np.empty((n, g + 1))
        path_mu[:, 0] = p.mu
        path_sd[:, 0] = p.sigma
    with np.errstate(all="ignore"):
        for i, M in enumerate(p.sizes):
            gen = i + 1
            block = max(1, min(n, _BRUTE_BLOCK // M))
            buf = np.empty(block * M)
            new_mu = np.empty(n)
            new_var = np.empty(n)
            for start in range(0, n, block):
                stop = min(n, start + block)
                x = buf[: (stop - start) * M].reshape(stop - start, M)
                rng.standard_normal(out=x)
                x *= sd_i[start:stop, None]
                x += mu_i[start:stop, None]  # M_i points from N(mu_i, sigma_i^2), per chain (units of sigma)
                np.mean(x, axis=1, out=new_mu[start:stop])
                new_var[start:stop] = np.var(x, axis=1, ddof=ddof)
            mu_i = new_mu
            sd_i = np.sqrt(new_var)
            if p.trajectories:
                path_mu[:, gen] = p.mu + p.sigma * mu_i
                path_sd[:, gen] = p.sigma * sd_i
            if first is not None:
                first[(first == 0) & (new_var < p.eps * p.eps)] = gen
            if gen == g or p.record_all:
                summaries.append(_summarize_generation(p, gen, mu_i, new_var, first_below=first))
    paths = ((path_mu, path_sd),) if p.trajectories else ()
    return _Partial(n, tuple(summaries), paths)


_JOBS = {
    ("exact", "replace"): _exact_chunk,
    ("brute", "replace"): _brute_chunk,
    ("exact", "accumulate"): _accumulate_chunk,
    ("brute", "accumulate"): _pool_chunk,
    ("exact", "accumulate-subsample"): _pool_chunk,
    ("brute", "accumulate-subsample"): _pool_chunk,
    ("exact", "mix"): _mix_chunk,
    ("brute", "mix"): _pool_chunk,
}
"""The chunk job of each (sampler, scheme)."""


@dataclass(frozen=True, slots=True)
class SimulationResult:
    r"""Summaries of a :func:`simulate` run and the provenance needed to reproduce it.

    Attributes
    ----------
    sizes : tuple of int
        The schedule :math:`M_0, \dots, M_{g-1}`.
    chains : int
        Number of independent chains.
    seed : int or tuple of int
        ``SeedSequence.entropy`` of the run.
    spawn_key : tuple of int
        ``SeedSequence.spawn_key`` of the run (``()`` unless a spawned child was passed as ``seed``).
    chunk_size : int
        Chains per chunk; with ``seed`` and ``chains`` it determines every random number.
    sampler, estimator, record : str
    sigma, mu : float
        Parameters of :math:`X^0`.
    summaries : dict of int to dict of str to MomentSummary
        ``summaries[k][stat]`` summarises statistic ``stat`` (see
        :func:`~modelcollapse.numeric.estimators.chain_statistics`, in units of sigma) over the chains
        at each recorded generation ``k``.  ``"log_sigma2"`` is absent from generations where every
        chain has :math:`\sigma_k = 0` (mle fit of one point).
    trajectories : Trajectories or None
        Per-chain paths of :math:`\mu_k, \sigma_k` when requested.
    """

    sizes: tuple[int, ...]
    chains: int
    seed: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    chunk_size: int
    sampler: str
    estimator: str
    record: str
    sigma: float
    mu: float
    summaries: dict[int, dict[str, MomentSummary]] = field(repr=False)
    trajectories: Trajectories | None = field(default=None, repr=False)

    model = "gaussian1d"

    @property
    def generations(self) -> tuple[int, ...]:
        """The recorded generations (``(g,)`` for ``record="final"``, ``(1, ..., g)`` for ``"all"``)."""
        return tuple(self.summaries)

    def estimates(self, generation: int | None = None) -> dict[str, Estimate]:
        r"""Estimates with standard errors at a recorded generation (default: the last, :math:`g`).

        All in units of sigma:

        ===================  ==========================================================
        key                  estimates
        ===================  ==========================================================
        ``var_x``            :math:`\operatorname{Var} X^g / \sigma^2` (Rao-Blackwellized, unbiased)
        ``mean_sigma``       :math:`E\,\sigma_g / \sigma`
        ``mean_sigma2``      :math:`E\,\sigma_g^2 / \sigma^2`
        ``mean_sigma4``      :math:`E\,\sigma_g^4 / \sigma^4`
        ``mean_log_sigma2``  :math:`E \log(\sigma_g^2 / \sigma^2)`
        ``var_log_sigma2``   :math:`\operatorname{Var} \log \sigma_g^2`
        ``mean_w2sq``        :math:`E\,W_2^2 / \sigma^2`
        ``var_w2sq``         :math:`\operatorname{Var} W_2^2 / \sigma^4`
        ``kurtosis_x``       excess kurtosis of :math:`X^g` (delta method)
        ``vg_ratio_x``       :math:`\kappa_6\kappa_2/\kappa_4^2` of :math:`X^g` (delta method)
        ===================  ==========================================================

        With ``eps`` (:data:`COLLAPSE_KEYS`): ``prob_sigma_below`` :math:`P(\sigma_g < \varepsilon\sigma)`,
        ``prob_collapsed_by`` :math:`P(T_\varepsilon \le g)`, ``mean_collapse_time`` (the mean of
        :math:`T_\varepsilon` over the chains collapsed by :math:`g`, ``nan`` if fewer than 2), and
        ``censored_fraction`` (the chains not yet collapsed).

        Where every chain has :math:`\sigma_g = 0` exactly (``estimator="mle"`` with some
        :math:`M_i = 1`, :math:`i < g`), ``mean_log_sigma2`` is ``-inf`` and ``var_log_sigma2`` is
        ``nan`` (``-inf - (-inf)``), both with ``nan`` standard errors.

        Parameters
        ----------
        generation : int, optional
            A recorded generation, see :attr:`generations`.

        Returns
        -------
        dict of str to Estimate
            Keys :data:`ESTIMATE_KEYS`.

        Raises
        ------
        ParameterError
            If ``generation`` was not recorded.
        """
        s = recorded(self.summaries, generation, len(self.sizes))
        out = {key: estimate(s) for key, estimate in _ESTIMATES.items()}
        if "below" in s:
            out.update({key: estimate(s) for key, estimate in _COLLAPSE_ESTIMATES.items()})
        return out

    def paths(self) -> dict[str, np.ndarray]:
        """Per-chain paths of the plotted statistics (``trajectories=True``): ``{"sigma": sigma_k / sigma}``,
        shape ``(chains, g + 1)``."""
        if self.trajectories is None:
            raise ParameterError("paths() needs a run with trajectories=True")
        return {"sigma": self.trajectories.sigma / self.sigma}

    def to_dict(self) -> dict[str, object]:
        """Plain-data record of the run and its final-generation estimates (JSON-ready apart from nan/inf).

        Returns
        -------
        dict
            Keys ``model``, ``sizes``, ``chains``, ``seed`` (the entropy), ``sampler``, ``estimator``,
            ``estimates`` (``{key: {"value", "stderr"}}``).
        """
        seed = seed_json(self.seed)
        return {
            "model": self.model,
            "sizes": list(self.sizes),
            "chains": self.chains,
            "seed": seed,
            "sampler": self.sampler,
            "estimator": self.estimator,
            "estimates": {k: e.to_dict() for k, e in self.estimates().items()},
        }


def _log_moments(s: dict[str, MomentSummary]) -> tuple[Estimate, Estimate]:
    if "log_sigma2" in s:
        return s["log_sigma2"].mean(), s["log_sigma2"].var()
    return Estimate(-math.inf, math.nan), Estimate(math.nan, math.nan)  # every chain has sigma_g = 0


def _covariances(s: dict[str, MomentSummary], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """Means and the per-chain covariance matrix of the statistics ``names`` (from the summaries of each and of
    their pairwise sums: Var(a + b) = Var a + Var b + 2 Cov(a, b))."""
    n = s[names[0]].count
    means = np.array([s[k].mean().value for k in names])
    var = {k: s[k].var().value for k in names}
    cov = np.empty((len(names), len(names)))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j:
                cov[i, j] = var[a]
            else:
                key = f"{a}+{b}" if f"{a}+{b}" in s else f"{b}+{a}"
                cov[i, j] = 0.5 * (s[key].var().value - var[a] - var[b])
    return means, cov, n


def _delta(value: float, grad: np.ndarray, cov: np.ndarray, n: int, s: dict[str, MomentSummary] | None = None,
           names: tuple[str, ...] = ()) -> Estimate:
    """A smooth function of sample means with its delta-method standard error sqrt(grad' cov grad / n), judged
    unreliable when any of the means it is made of is (their empirical tail verdicts)."""
    if not (np.all(np.isfinite(cov)) and np.all(np.isfinite(grad)) and math.isfinite(value)):
        return Estimate(math.nan, math.nan, False, "the moments behind this ratio are not finite in float64 here")
    out = Estimate(float(value), math.sqrt(max(float(grad @ cov @ grad), 0.0) / n))
    verdicts = [s[k].mean() for k in names] if s is not None else []
    bad = [e for e in verdicts if e.reliable is False]
    if bad:
        return out.judged(False, "a moment behind this ratio is heavy-tailed at these chains: " + bad[0].reason)
    if verdicts and all(e.reliable for e in verdicts):
        return out.judged(True, "the moments behind this ratio pass their tail checks (delta method)")
    return out


def _kurtosis(s: dict[str, MomentSummary]) -> Estimate:
    r"""Excess kurtosis of :math:`X^g`, :math:`K = m_4/m_2^2 - 3` from the Rao-Blackwellized :math:`c_2, c_4`."""
    (m2, m4), cov, n = _covariances(s, ("c2", "c4"))
    grad = np.array([-2.0 * m4 / m2**3, 1.0 / m2**2])
    return _delta(m4 / m2**2 - 3.0, grad, cov, n, s, ("c2", "c4"))


def _vg_ratio(s: dict[str, MomentSummary]) -> Estimate:
    r""":math:`\kappa_6\kappa_2/\kappa_4^2` of :math:`X^g` (symmetric: :math:`\kappa_4 = m_4 - 3m_2^2`,
    :math:`\kappa_6 = m_6 - 15m_4m_2 + 30m_2^3`), delta method over :math:`(c_2, c_4, c_6)`."""
    (m2, m4, m6), cov, n = _covariances(s, ("c2", "c4", "c6"))
    k4 = m4 - 3.0 * m2 * m2
    k6 = m6 - 15.0 * m4 * m2 + 30.0 * m2**3
    if k4 == 0:
        return Estimate(math.nan, math.nan, False, "kappa_4 = 0: X^g is normal and the ratio is undefined")
    grad = np.array([
        ((-15.0 * m4 + 90.0 * m2 * m2) * m2 + k6) / k4**2 + 12.0 * k6 * m2 * m2 / k4**3,
        -15.0 * m2 * m2 / k4**2 - 2.0 * k6 * m2 / k4**3,
        m2 / k4**2,
    ])
    return _delta(k6 * m2 / k4**2, grad, cov, n, s, ("c2", "c4", "c6"))


def _mean_or_nan(s: MomentSummary) -> Estimate:
    return s.mean() if s.count >= 2 else Estimate(math.nan, math.nan)


_COLLAPSE_ESTIMATES: dict[str, Callable[[dict[str, MomentSummary]], Estimate]] = {
    "prob_sigma_below": lambda s: s["below"].mean(),
    "prob_collapsed_by": lambda s: s["collapsed"].mean(),
    "mean_collapse_time": lambda s: _mean_or_nan(s["time"]),
    "censored_fraction": lambda s: Estimate(1.0 - s["collapsed"].center, s["collapsed"].mean().stderr),
}
r"""With ``eps``: :math:`P(\sigma_g < \varepsilon\sigma)`, :math:`P(T_\varepsilon \le g)`, the mean of
:math:`T_\varepsilon` over the chains collapsed by :math:`g`, and the fraction not yet collapsed (censored)."""

COLLAPSE_KEYS = tuple(_COLLAPSE_ESTIMATES)
"""Keys :meth:`SimulationResult.estimates` adds for a run with ``eps``."""

_ESTIMATES: dict[str, Callable[[dict[str, MomentSummary]], Estimate]] = {
    "var_x": lambda s: s["x"].mean(),
    "var_mu": lambda s: s["mu2"].mean(),
    "mean_sigma": lambda s: s["sigma"].mean(),
    "mean_sigma2": lambda s: s["sigma2"].mean(),
    "mean_sigma4": lambda s: s["sigma4"].mean(),
    "mean_log_sigma2": lambda s: _log_moments(s)[0],
    "var_log_sigma2": lambda s: _log_moments(s)[1],
    "mean_w2sq": lambda s: s["w2sq"].mean(),
    "var_w2sq": lambda s: s["w2sq"].var(),
    "kurtosis_x": _kurtosis,
    "vg_ratio_x": _vg_ratio,
}
"""Each estimate key and how it is read off the summaries of the per-chain statistics."""

ESTIMATE_KEYS = tuple(_ESTIMATES)
"""Keys of :meth:`SimulationResult.estimates`, in order (and :data:`COLLAPSE_KEYS` for a run with ``eps``)."""

MOMENT_KEYS = ESTIMATE_KEYS[:9]
"""The moment estimates (every key but the law of :math:`X^g`)."""


def simulate(
    sizes: object,
    chains: object,
    *,
    seed: object = None,
    sampler: str = "exact",
    estimator: str = "unbiased",
    sigma: float = 1.0,
    scheme: str = "replace",
    real: int = 0,
    detector_recall: float = 0.0,
    detector_fpr: float = 0.0,
    eps: float | None = None,
    mu: float = 0.0,
    chunk_size: int | None = None,
    record: str = "final",
    trajectories: bool = False,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
) -> SimulationResult:
    r"""Simulate ``chains`` independent chains of Gaussian model collapse along the schedule ``sizes``.

    .. math::

        \mu_{i+1} = \mu_i + \frac{\sigma_i}{\sqrt{M_i}} Z_i, \qquad
        \sigma_{i+1}^2 = \sigma_i^2\, \frac{\chi^2_{M_i-1}}{D_i}, \qquad
        D_i = \begin{cases} M_i - 1 & \text{unbiased} \\ M_i & \text{mle} \end{cases}

    Chains are simulated in chunks of ``chunk_size``; chunk ``k`` uses child ``k`` of the run's
    SeedSequence, and chunk summaries are merged in chunk order, so the result depends only on
    ``(seed, chains, chunk_size)`` -- not on ``workers`` or ``executor``.  Memory is bounded by the chunk
    size (no ``chains x generations`` array unless ``trajectories=True``).

    Parameters
    ----------
    sizes : sequence of int
        Sample sizes :math:`M_0, \dots, M_{g-1}`: ``>= 2`` for ``"unbiased"``, ``>= 1`` for ``"mle"``.
    chains : int
        Number of independent chains, ``>= 2``.
    seed : None, int or numpy.random.SeedSequence
        Root of all randomness; ``None`` draws fresh entropy (recorded in the result).
    sampler : {"exact", "brute"}
        ``"exact"``: one normal and one gamma draw per chain and generation (Cochran).  ``"brute"``:
        draws the :math:`M_i` points and refits them with ``mean`` and ``var(ddof=1 or 0)``.
    estimator : {"unbiased", "mle"}
        Variance divisor :math:`M_i - 1` or :math:`M_i`.
    sigma : float
        Standard deviation of :math:`X^0`, ``> 0``.  Estimates are reported in units of sigma.
    eps : float, optional
        Collapse threshold :math:`\varepsilon > 0` (units of sigma): adds the estimates of
        :data:`COLLAPSE_KEYS` (:math:`T_\varepsilon = \min\{g : \sigma_g < \varepsilon\sigma\}` per chain).
    mu : float
        Mean of :math:`X^0`, finite.
    chunk_size : int, optional
        Chains per chunk, ``>= 1``; default :data:`DEFAULT_CHUNK_SIZE`.
    record : {"final", "all"}
        Summarise generation :math:`g` only, or every generation :math:`1, \dots, g`.
    trajectories : bool
        Also return every chain's :math:`\mu_k, \sigma_k` for :math:`k = 0..g` (small runs only:
        ``chains * (g + 1) <= 2**24``).
    executor : concurrent.futures.Executor, optional
        Runs the chunk jobs (used, never shut down): a ``ProcessPoolExecutor`` reused over many runs
        (see :func:`~modelcollapse.numeric.executors.process_pool`), a Dask cluster's
        ``Client.get_executor()`` (see :func:`~modelcollapse.numeric.dask.dask_executor`), an
        ``mpi4py.futures.MPIPoolExecutor``, ...
    workers : int or None
        Without an executor: 1 (the default) runs in this process, ``N > 1`` uses a ProcessPoolExecutor
        of ``N`` processes created and shut down by this call, ``None`` one process per available core
        (what the command line does by default).  With an executor: how many of its workers to keep
        busy.  The default stays 1 so that a library call never starts processes unasked; the result is
        the same for every value.
    progress : callable, optional
        ``progress(done_chains, total_chains)`` after each merged chunk.  The library never prints.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ParameterError
        For an invalid argument (the message names it, the constraint and the value).
    FloatingPointError
        If the simulation produced a non-finite statistic (the message names the generation and the
        statistic) -- except the legitimate :math:`\log 0 = -\infty` after an mle fit of one point.

    Examples
    --------
    :math:`\operatorname{Var} X^g = \sigma^2 (1 + \sum_i 1/M_i)` for the unbiased estimator:

    >>> res = simulate([10, 30, 7], 20_000, seed=np.random.SeedSequence(2024))
    >>> est = res.estimates()
    >>> theory = 1 + 1 / 10 + 1 / 30 + 1 / 7
    >>> bool(abs(est["var_x"].value - theory) < 5 * est["var_x"].stderr)
    True
    >>> sorted(est) == sorted(ESTIMATE_KEYS)
    True

    The result does not depend on the number of workers:

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as ex:
    ...     par = simulate([10, 30, 7], 20_000, seed=np.random.SeedSequence(2024), executor=ex)
    >>> par.estimates() == est
    True
    """
    estimator = check_estimator(estimator)
    sizes_t = check_sizes(sizes, estimator)  # an infinite schedule (xinf) is refused here: theory only
    scheme, real = check_regime(sizes_t, estimator, scheme, real)
    recall, fpr = check_detector(scheme, detector_recall, detector_fpr)
    eps_f = None if eps is None else _check_eps(eps)
    chains_i = check_integer("chains", chains, minimum=2)
    sampler = check_choice("sampler", sampler, SAMPLERS)
    record = check_choice("record", record, RECORDS)
    sigma_f = check_positive("sigma", sigma)
    mu_f = _check_finite("mu", mu)
    chunk = DEFAULT_CHUNK_SIZE if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    if not isinstance(trajectories, (bool, np.bool_)):
        raise ParameterError(f"trajectories must be True or False (got {trajectories!r})")
    if trajectories and chains_i * (len(sizes_t) + 1) > TRAJECTORY_LIMIT:
        raise ParameterError(
            f"trajectories=True needs chains * (generations + 1) <= {TRAJECTORY_LIMIT} "
            f"(got {chains_i} * {len(sizes_t) + 1} = {chains_i * (len(sizes_t) + 1)})"
        )
    job = _JOBS[sampler, scheme] if not (recall or fpr) else (_detector_chunk if sampler == "exact" else _detector_pool_chunk)
    if job is _brute_chunk:  # memory before any allocation: one block of points, and numpy's temporaries
        big = max(sizes_t)
        check_memory(3 * 8.0 * max(big, min(_BRUTE_BLOCK, chunk * big)),
                     f"the brute sampler's sample of {big:,} points", workers=min(workers, -(-chains_i // chunk)))
    elif job is _pool_chunk:
        total = sum(sizes_t)
        check_memory(3 * 8.0 * max(total, min(_POOL_FLOATS, chunk * total)),
                     f"the point-keeping sampler's pool of {total:,} points per chain",
                     workers=min(workers, -(-chains_i // chunk)))
    root = as_seed_sequence(seed)
    params = _Params(tuple(sizes_t), sampler, estimator, sigma_f, mu_f, record == "all", bool(trajectories), scheme,
                     real, recall, fpr, eps_f)
    part: _Partial = run_chunks(
        job, params, chains_i, chunk, root, executor=executor, workers=workers, progress=progress
    )
    gens = range(1, len(sizes_t) + 1) if record == "all" else (len(sizes_t),)
    paths = None
    if trajectories:
        paths = Trajectories(
            np.concatenate([a for a, _ in part.paths]), np.concatenate([b for _, b in part.paths])
        )
    entropy = root.entropy
    return SimulationResult(
        sizes=sizes_t,
        chains=chains_i,
        seed=entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy),  # type: ignore[union-attr]
        spawn_key=tuple(root.spawn_key),
        chunk_size=chunk,
        sampler=sampler,
        estimator=estimator,
        record=record,
        sigma=sigma_f,
        mu=mu_f,
        summaries=dict(zip(gens, part.summaries)),
        trajectories=paths,
    )


def _check_eps(value: object) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"eps must be a finite number > 0, not a boolean (got {value!r})")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"eps must be a finite number > 0 (got {value!r})") from None
    if not (math.isfinite(out) and out > 0):
        raise ParameterError(f"eps must be a finite number > 0 (got {value!r})")
    return out


def sample_x(sizes: object, count: object, *, seed: object = None, estimator: str = "unbiased") -> np.ndarray:
    r"""``count`` independent draws of :math:`(X^g - \mu)/\sigma`, :math:`g` = ``len(sizes)``: one chain each
    (Cochran's exact sampler), then :math:`X^g = \mu_g + \sigma_g Z'`.

    >>> x = sample_x((5,), 10_000, seed=1)
    >>> x.shape, bool(abs(x.var() - 1.2) < 0.1)
    ((10000,), True)
    """
    estimator = check_estimator(estimator)
    sizes_t = check_sizes(sizes, estimator)
    n = check_integer("count", count, minimum=1)
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    m = np.zeros(n)
    v = np.ones(n)
    for M in sizes_t:
        m += np.sqrt(v / M) * rng.standard_normal(n)
        v = v * 2.0 * rng.standard_gamma(0.5 * (M - 1), size=n) / (M - 1 if estimator == "unbiased" else M)
    return m + np.sqrt(v) * rng.standard_normal(n)


def _check_finite(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a finite number, not a boolean (got {value!r})")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a finite number (got {value!r} of type {type(value).__name__})"
        ) from None
    if not math.isfinite(out):
        raise ParameterError(f"{name} must be a finite number (got {value!r})")
    return out
