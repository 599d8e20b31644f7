r"""Monte Carlo simulation of model collapse for the d-dimensional Gaussian.

The model: :math:`X^0 \sim N(\mu, \Sigma_0)` with :math:`\mu = 0` and :math:`\Sigma_0 = \mathrm{diag}(\lambda_1,
\dots, \lambda_d)` (no loss of generality: the chain is rotation invariant, so every reported statistic
depends on :math:`\Sigma_0` through its eigenvalues only).  Generation :math:`i` draws :math:`M_i` points from
:math:`N(\mu_i, \Sigma_i)` and refits the sample mean and the sample covariance (divisor :math:`M_i - 1`,
``"unbiased"``, or :math:`M_i`, ``"mle"``).

The ``"exact"`` sampler uses Bartlett's decomposition: with :math:`\Sigma_i = L_i L_i^{\mathsf T}`,

.. math::  \mu_{i+1} = \mu_i + L_i Z/\sqrt{M_i}, \qquad L_{i+1} = L_i A / \sqrt{D_i},

where :math:`A` is lower triangular with :math:`A_{kk}^2 \sim \chi^2_{M_i - k}` and standard normals below the
diagonal, all independent: :math:`d(d+1)/2 + d` variates and a triangular product per chain and generation,
batched over chains (chains on the last axis).  For :math:`M_i \le d` the refit is singular (rank
:math:`M_i - 1`): the factor keeps its first :math:`M_i - 1` columns (the singular Bartlett factor), and
:math:`\log\det\Sigma_g = -\infty`.  The ``"brute"`` sampler draws the :math:`M_i` points of every chain and
computes their sample covariance, to check the reduction.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcollapse._validation import (
    ParameterError,
    check_choice,
    check_estimator,
    check_integer,
    check_positive,
    check_sizes,
)
from modelcollapse.numeric.estimators import ChunkSummaries, Estimate, MomentSummary, recorded, seed_json
from modelcollapse.numeric.executors import as_seed_sequence, check_workers, run_chunks

__all__ = ["ESTIMATE_KEYS", "SAMPLERS", "STATISTICS", "SimulationResult", "chain_statistics", "simulate"]

SAMPLERS = ("exact", "brute")
RECORDS = ("final", "all")
STATISTICS = ("sq_mu", "trace", "trace_sq", "sq_trace", "logdet", "det_ratio", "w2sq", "lambda_min", "below")
"""Per-chain statistics summarised at each recorded generation (see :func:`chain_statistics`)."""

TRAJECTORY_LIMIT = 1 << 24
"""Largest ``chains * (g + 1)`` accepted with ``trajectories=True``."""

_BRUTE_BLOCK = 1 << 20  # points (times d) drawn at once by the brute sampler


def default_chunk_size(dim: int) -> int:
    """Chains per chunk: the exact sampler's ``d x d x chunk`` factor stays near 1 MiB (1024 to 32768 chains)."""
    return int(min(1 << 15, max(1 << 10, (1 << 17) // (dim * dim))))


@dataclass(frozen=True, slots=True)
class _Params:
    sizes: tuple[int, ...]
    dim: int
    eig: tuple[float, ...]
    estimator: str
    eps: float
    sampler: str
    record_all: bool
    trajectories: bool
    rotation: tuple[tuple[float, ...], ...] | None = None

    @property
    def singular_generation(self) -> int | None:
        """First generation whose refit is singular (``M_i <= d``): ``log det = -inf`` from there on."""
        for i, m in enumerate(self.sizes):
            if m <= self.dim:
                return i + 1
        return None


# ---------------------------------------------------------------------------------------------------------
# symmetric eigenvalues, batched (closed forms for d <= 3)


def eigvalsh_batched(S: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of symmetric matrices ``S`` of shape ``(n, d, d)``; shape ``(n, d)``.

    Closed forms for ``d <= 3`` (vectorized: the 2x2 formula; the trigonometric solution of the 3x3
    characteristic polynomial), LAPACK (``numpy.linalg.eigvalsh``) above.

    >>> S = np.array([[[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]])
    >>> np.round(eigvalsh_batched(S), 12).tolist()
    [[1.0, 3.0, 5.0]]
    """
    n, dim, _ = S.shape
    if dim == 1:
        return S[:, :, 0].copy()
    if dim == 2:
        a, b, c = S[:, 0, 0], S[:, 0, 1], S[:, 1, 1]
        mid = 0.5 * (a + c)
        rad = np.hypot(0.5 * (a - c), b)
        return np.stack([mid - rad, mid + rad], axis=1)
    if dim == 3:
        return _eig3(S)
    return np.linalg.eigvalsh(S)


def _eig3(S: np.ndarray) -> np.ndarray:
    a00, a11, a22 = S[:, 0, 0], S[:, 1, 1], S[:, 2, 2]
    a01, a02, a12 = S[:, 0, 1], S[:, 0, 2], S[:, 1, 2]
    q = (a00 + a11 + a22) / 3.0
    b00, b11, b22 = a00 - q, a11 - q, a22 - q
    p2 = b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * (a01 * a01 + a02 * a02 + a12 * a12)
    p = np.sqrt(p2 / 6.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(p > 0, 1.0 / p, 0.0)
    c00, c11, c22, c01, c02, c12 = b00 * inv, b11 * inv, b22 * inv, a01 * inv, a02 * inv, a12 * inv
    det = c00 * (c11 * c22 - c12 * c12) - c01 * (c01 * c22 - c12 * c02) + c02 * (c01 * c12 - c11 * c02)
    phi = np.arccos(np.clip(det / 2.0, -1.0, 1.0)) / 3.0
    e_hi = q + 2.0 * p * np.cos(phi)
    e_lo = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    e_mid = 3.0 * q - e_hi - e_lo
    return np.sort(np.stack([e_lo, e_mid, e_hi], axis=1), axis=1)


# ---------------------------------------------------------------------------------------------------------
# statistics of the fitted Gaussians


def chain_statistics(mu: np.ndarray, sigma: np.ndarray, logdet: np.ndarray, root0: np.ndarray, eps: float
                     ) -> dict[str, np.ndarray]:
    r"""Per-chain statistics of :math:`N(\mu_g, \Sigma_g)` against :math:`N(0, \Sigma_0)`.

    ``mu`` has shape ``(n, d)``, ``sigma`` ``(n, d, d)``, ``logdet`` ``(n,)`` (:math:`\log\det\Sigma_g -
    \log\det\Sigma_0`), ``root0`` is :math:`\Sigma_0^{1/2}` (``(d, d)``).  Keys :data:`STATISTICS`:
    :math:`\|\mu_g\|^2`, :math:`\mathrm{tr}\,\Sigma_g`, :math:`\mathrm{tr}\,\Sigma_g^2`,
    :math:`(\mathrm{tr}\,\Sigma_g)^2`, the log-determinant ratio and the ratio, the squared Bures--Wasserstein
    distance :math:`\|\mu_g\|^2 + \mathrm{tr}\,\Sigma_g + \mathrm{tr}\,\Sigma_0 - 2\,\mathrm{tr}(\Sigma_0^{1/2}
    \Sigma_g\Sigma_0^{1/2})^{1/2}`, :math:`\lambda_{\min}(\Sigma_g)` (clipped at 0: rounding makes a singular
    covariance's smallest eigenvalue :math:`\pm 10^{-16}`) and the indicator :math:`\lambda_{\min} < \epsilon`.

    >>> s = chain_statistics(np.zeros((1, 2)), np.eye(2)[None] * 4.0, np.log([16.0]), np.eye(2), 0.5)
    >>> round(float(s["w2sq"][0]), 12), round(float(s["det_ratio"][0]), 12), float(s["lambda_min"][0])
    (2.0, 16.0, 4.0)
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        trace = np.trace(sigma, axis1=1, axis2=2)
        sq_mu = np.einsum("ni,ni->n", mu, mu)
        tr0 = float(np.trace(root0 @ root0))
        eig_sigma = eigvalsh_batched(sigma)
        if np.allclose(root0, root0[0, 0] * np.eye(len(root0)), rtol=0.0, atol=0.0):  # Sigma_0 = s I: one spectrum
            eig_bures = eig_sigma * root0[0, 0] ** 2
        else:
            eig_bures = eigvalsh_batched(root0[None] @ sigma @ root0[None])
        root_eig = np.sqrt(np.clip(eig_bures, 0.0, None)).sum(axis=1)
        lam_min = np.clip(eig_sigma[:, 0], 0.0, None)
        return {
            "sq_mu": sq_mu,
            "trace": trace,
            "trace_sq": np.einsum("nij,nij->n", sigma, sigma),
            "sq_trace": trace * trace,
            "logdet": logdet,
            "det_ratio": np.exp(logdet),
            "w2sq": sq_mu + trace + tr0 - 2.0 * root_eig,
            "lambda_min": lam_min,
            "below": (lam_min < eps).astype(np.float64),
        }


def _summarize(p: _Params, gen: int, stats: dict[str, np.ndarray]) -> dict[str, MomentSummary]:
    singular = p.singular_generation
    if singular is not None and gen >= singular:
        stats = {k: v for k, v in stats.items() if k != "logdet"}  # -inf for every chain: see estimates()
    out = {k: MomentSummary.from_array(v) for k, v in stats.items()}
    for name, s in out.items():
        if not s.is_finite():
            raise FloatingPointError(
                f"the {p.sampler} gaussiannd simulation produced non-finite values of the statistic {name!r} at "
                f"generation {gen} of {len(p.sizes)} (Sigma_g left the float64 range after many generations); "
                "shorten the schedule or use larger sample sizes"
            )
    return out


def _paths_record(paths: dict[str, np.ndarray], gen: int, stats: dict[str, np.ndarray]) -> None:
    for key in ("logdet", "lambda_min", "trace"):
        paths[key][:, gen] = stats[key]


def _new_paths(p: _Params, n: int) -> dict[str, np.ndarray]:
    g = len(p.sizes)
    return {
        "logdet": np.zeros((n, g + 1)),
        "lambda_min": np.full((n, g + 1), min(p.eig)),
        "trace": np.full((n, g + 1), sum(p.eig)),
    }


# ---------------------------------------------------------------------------------------------------------
# the samplers


def _exact_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> ChunkSummaries:
    """Bartlett sampler for ``n`` chains; the factor ``L`` is kept chains-last, shape ``(d, d, n)``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    d = p.dim
    L = np.zeros((d, d, n))
    for k in range(d):
        L[k, k] = math.sqrt(p.eig[k])
    mu = np.zeros((d, n))
    logdet = np.zeros(n)
    # one draw per generation: d normals for the mean, then the d(d-1)/2 below-diagonal Bartlett normals row by
    # row (row k holds A_k0 .. A_k,k-1, contiguous)
    z = np.empty((d + d * (d - 1) // 2, n))
    zmu, zoff = z[:d], z[d:]
    start = [k * (k - 1) // 2 for k in range(d)]
    chi = np.empty((d, n))
    gam_buf = np.empty((d, n))
    buf = np.empty((d, d, n))
    root0 = np.diag(np.sqrt(p.eig))
    summaries = []
    paths = _new_paths(p, n) if p.trajectories else None
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        for i, m in enumerate(p.sizes):
            gen = i + 1
            dof_n = m - 1
            divisor = m - 1 if p.estimator == "unbiased" else m
            rng.standard_normal(out=z)
            # mean: mu += L z / sqrt(M)
            zmu *= 1.0 / math.sqrt(m)
            mu += np.einsum("ikn,kn->in", L, zmu)
            # Bartlett factor: chi_{M-k} on the diagonal (k = 1..d), normals below; columns >= M - 1 vanish
            rank = min(d, dof_n)
            chi[rank:] = 0.0
            if rank > 0:
                gam = gam_buf[:rank]
                for k in range(rank):  # chi^2_{M-1-k}/2 (a scalar shape per row is the fastest numpy path)
                    rng.standard_gamma(0.5 * (m - 1.0 - k), out=gam[k])
                gam *= 2.0 / divisor
                logdet += np.log(gam).sum(axis=0)
                np.sqrt(gam, out=chi[:rank])
            if rank < d:
                logdet[:] = -np.inf
                zoff_rows = [min(k, dof_n) for k in range(d)]  # A_kl = 0 for l >= M - 1
            zoff *= 1.0 / math.sqrt(divisor)
            # L <- L A in place: for k ascending, old column k feeds columns < k, then column k is scaled by A_kk
            for k in range(d):
                width = k if rank == d else zoff_rows[k]
                if width:
                    t = buf[: d - k, :width]
                    np.multiply(L[k:, k][:, None, :], zoff[start[k]: start[k] + width][None, :, :], out=t)
                    L[k:, :width] += t
                L[k:, k] *= chi[k]
            if gen == len(p.sizes) or p.record_all or p.trajectories:
                Lc = np.ascontiguousarray(L.transpose(2, 0, 1))
                sigma = Lc @ Lc.transpose(0, 2, 1)
                stats = chain_statistics(np.ascontiguousarray(mu.T), sigma, logdet.copy(), root0, p.eps)
                if paths is not None:
                    _paths_record(paths, gen, stats)
                if gen == len(p.sizes) or p.record_all:
                    summaries.append(_summarize(p, gen, stats))
    return ChunkSummaries(n, tuple(summaries), (paths,) if paths is not None else ())


def _brute_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> ChunkSummaries:
    """Brute-force sampler: draw the ``M_i`` points of every chain and refit mean and sample covariance."""
    rng = np.random.Generator(np.random.PCG64(seed))
    d = p.dim
    lam = np.asarray(p.eig)
    R = np.eye(d) if p.rotation is None else np.asarray(p.rotation)
    root0 = (R * np.sqrt(lam)) @ R.T  # Sigma_0^{1/2} = R Lambda^{1/2} R^T
    factor = np.broadcast_to(R * np.sqrt(lam), (n, d, d)).copy()  # any L with L L^T = Sigma_i
    sigma = np.broadcast_to(root0 @ root0, (n, d, d)).copy()
    mu = np.zeros((n, d))
    logdet0 = float(np.log(lam).sum())
    ddof = 1 if p.estimator == "unbiased" else 0
    summaries = []
    paths = _new_paths(p, n) if p.trajectories else None
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        for i, m in enumerate(p.sizes):
            gen = i + 1
            block = max(1, min(n, _BRUTE_BLOCK // (m * d)))
            new_mu = np.empty((n, d))
            new_sigma = np.empty((n, d, d))
            for start in range(0, n, block):
                stop = min(n, start + block)
                z = rng.standard_normal((stop - start, m, d))
                x = z @ factor[start:stop].transpose(0, 2, 1) + mu[start:stop, None, :]  # M points per chain
                center = x.mean(axis=1)
                xc = x - center[:, None, :]
                new_mu[start:stop] = center
                new_sigma[start:stop] = (xc.transpose(0, 2, 1) @ xc) / (m - ddof)
            mu, sigma = new_mu, new_sigma
            if p.singular_generation is None or gen < p.singular_generation:
                factor = np.linalg.cholesky(sigma)
            else:  # singular from here on (rank <= M_i - 1 < d): factor from the eigen-decomposition
                w, v = np.linalg.eigh(sigma)
                factor = v * np.sqrt(np.clip(w, 0.0, None))[:, None, :]
            if gen == len(p.sizes) or p.record_all or p.trajectories:
                sign, logabs = np.linalg.slogdet(sigma)
                logdet = np.where(sign > 0, logabs - logdet0, -np.inf)
                if p.singular_generation is not None and gen >= p.singular_generation:
                    logdet = np.full(n, -np.inf)  # exactly singular (rank <= M_i - 1 < d), whatever the rounding
                stats = chain_statistics(mu, sigma, logdet, root0, p.eps)
                if paths is not None:
                    _paths_record(paths, gen, stats)
                if gen == len(p.sizes) or p.record_all:
                    summaries.append(_summarize(p, gen, stats))
    return ChunkSummaries(n, tuple(summaries), (paths,) if paths is not None else ())


_JOBS = {"exact": _exact_chunk, "brute": _brute_chunk}


# ---------------------------------------------------------------------------------------------------------
# results


def _log_moments(s: dict[str, MomentSummary]) -> tuple[Estimate, Estimate]:
    if "logdet" in s:
        return s["logdet"].mean(), s["logdet"].var()
    return Estimate(-math.inf, math.nan), Estimate(math.nan, math.nan)  # a singular refit: log det = -inf


_ESTIMATES: dict[str, Callable[[dict[str, MomentSummary]], Estimate]] = {
    "mean_sq_mu": lambda s: s["sq_mu"].mean(),
    "mean_trace": lambda s: s["trace"].mean(),
    "mean_trace_sq": lambda s: s["trace_sq"].mean(),
    "mean_sq_trace": lambda s: s["sq_trace"].mean(),
    "mean_logdet": lambda s: _log_moments(s)[0],
    "var_logdet": lambda s: _log_moments(s)[1],
    "mean_det_ratio": lambda s: s["det_ratio"].mean(),
    "mean_w2sq": lambda s: s["w2sq"].mean(),
    "mean_lambda_min": lambda s: s["lambda_min"].mean(),
    "prob_lambda_min_below": lambda s: s["below"].mean(),
}

ESTIMATE_KEYS = tuple(_ESTIMATES)
"""Keys of :meth:`SimulationResult.estimates`: the model's quantities."""


@dataclass(frozen=True, slots=True)
class SimulationResult:
    r"""Summaries of a :func:`simulate` run and what reproduces it.

    ``summaries[k][stat]`` summarises the per-chain statistic ``stat`` (:data:`STATISTICS`) at each recorded
    generation ``k``; values are absolute (for :math:`\Sigma_0 = \mathrm{diag}(\text{cov\_eigenvalues})`,
    :math:`\mu = 0`).  ``"logdet"`` is absent from generations after a singular refit (every chain has
    :math:`\log\det = -\infty` there).
    """

    sizes: tuple[int, ...]
    dim: int
    cov_eigenvalues: tuple[float, ...]
    chains: int
    seed: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    chunk_size: int
    sampler: str
    estimator: str
    eps: float
    record: str
    summaries: dict[int, dict[str, MomentSummary]] = field(repr=False)
    trajectories: dict[str, np.ndarray] | None = field(default=None, repr=False)

    model = "gaussiannd"

    @property
    def generations(self) -> tuple[int, ...]:
        """The recorded generations."""
        return tuple(self.summaries)

    def estimates(self, generation: int | None = None) -> dict[str, Estimate]:
        r"""Estimates with standard errors at a recorded generation (default: the last), keys :data:`ESTIMATE_KEYS`.

        After a singular refit (:math:`M_i \le d`) ``mean_logdet`` is ``-inf`` and ``var_logdet`` ``nan`` (both with
        ``nan`` standard errors): the covariance is singular for every chain.
        """
        s = recorded(self.summaries, generation, len(self.sizes))
        return {key: f(s) for key, f in _ESTIMATES.items()}

    def paths(self) -> dict[str, np.ndarray]:
        r"""Per-chain paths (``trajectories=True``), shape ``(chains, g + 1)``: ``logdet`` (:math:`\log\det\Sigma_k
        /\det\Sigma_0`), ``lambda_min`` (:math:`\lambda_{\min}(\Sigma_k)`) and ``trace``."""
        if self.trajectories is None:
            raise ParameterError("paths() needs a run with trajectories=True")
        return dict(self.trajectories)

    def to_dict(self) -> dict[str, object]:
        """Plain-data record of the run and its final-generation estimates."""
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


# ---------------------------------------------------------------------------------------------------------


def _check_eigenvalues(dim: int, values: Any) -> tuple[float, ...]:
    if values is None:
        return (1.0,) * dim
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(f"cov_eigenvalues must be a sequence of numbers > 0 (got {values!r})")
    if len(values) != dim:
        shown = ", ".join(str(v) for v in values)
        raise ParameterError(f"cov_eigenvalues must hold dim = {dim} values (got {len(values)}: {shown})")
    return tuple(check_positive(f"cov_eigenvalues[{i}]", v) for i, v in enumerate(values))


def _check_rotation(dim: int, rotation: Any) -> tuple[tuple[float, ...], ...] | None:
    if rotation is None:
        return None
    R = np.asarray(rotation, dtype=np.float64)
    if R.shape != (dim, dim) or not np.allclose(R @ R.T, np.eye(dim), atol=1e-12):
        raise ParameterError(f"rotation must be an orthogonal {dim}x{dim} matrix (got shape {R.shape})")
    return tuple(tuple(float(x) for x in row) for row in R)


def simulate(
    sizes: object,
    chains: object,
    *,
    dim: int = 2,
    cov_eigenvalues: Sequence[float] | None = None,
    estimator: str = "unbiased",
    eps: float = 0.1,
    seed: object = None,
    sampler: str = "exact",
    chunk_size: int | None = None,
    record: str = "final",
    trajectories: bool = False,
    rotation: Any = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
) -> SimulationResult:
    r"""Simulate ``chains`` independent chains of d-dimensional Gaussian collapse along ``sizes``.

    Chunk ``k`` of ``chunk_size`` chains uses child ``k`` of the run's SeedSequence; summaries merge in chunk
    order, so the result depends on ``(seed, chains, chunk_size)`` only, not on ``workers`` or ``executor``.

    Parameters
    ----------
    sizes : sequence of int
        :math:`M_0, \dots, M_{g-1}`: ``>= 2`` (unbiased) or ``>= 1`` (mle); :math:`M_i \le d` is allowed (a
        singular refit: ``mean_logdet`` is ``-inf`` from there on).
    chains : int
        Number of chains, ``>= 2``.
    dim : int
        Dimension :math:`d \ge 1`.
    cov_eigenvalues : sequence of float, optional
        Eigenvalues of :math:`\Sigma_0` (``dim`` numbers ``> 0``); the identity by default.
    estimator : {"unbiased", "mle"}
    eps : float
        Threshold of ``prob_lambda_min_below``, ``> 0``.
    seed : None, int or numpy.random.SeedSequence
    sampler : {"exact", "brute"}
    chunk_size : int, optional
        Default :func:`default_chunk_size`.
    record : {"final", "all"}
    trajectories : bool
        Keep every chain's ``logdet``, ``lambda_min`` and ``trace`` paths (small runs).
    rotation : array_like, optional
        Brute sampler only: start from :math:`\Sigma_0 = R\,\mathrm{diag}(\lambda)R^{\mathsf T}` (an orthogonal
        ``R``) to check rotation invariance.
    executor, workers, progress
        As in :func:`modelcollapse.numeric.gaussian1d.simulate`.

    Returns
    -------
    SimulationResult

    Examples
    --------
    :math:`E\,\mathrm{tr}\,\Sigma_g = \mathrm{tr}\,\Sigma_0` for the unbiased estimator:

    >>> res = simulate([10, 20], 20_000, dim=3, cov_eigenvalues=[1, 2, 3], seed=np.random.SeedSequence(7))
    >>> est = res.estimates()["mean_trace"]
    >>> bool(abs(est.value - 6.0) < 5 * est.stderr)
    True
    """
    estimator = check_estimator(estimator)
    sizes_t = check_sizes(sizes, estimator)
    chains_i = check_integer("chains", chains, minimum=2)
    dim_i = check_integer("dim", dim, minimum=1)
    eig = _check_eigenvalues(dim_i, cov_eigenvalues)
    eps_f = check_positive("eps", eps)
    sampler = check_choice("sampler", sampler, SAMPLERS)
    record = check_choice("record", record, RECORDS)
    chunk = default_chunk_size(dim_i) if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    rot = _check_rotation(dim_i, rotation)
    if rot is not None and sampler != "brute":
        raise ParameterError(f"rotation is supported by the brute sampler only (got sampler {sampler!r})")
    if not isinstance(trajectories, (bool, np.bool_)):
        raise ParameterError(f"trajectories must be True or False (got {trajectories!r})")
    if trajectories and chains_i * (len(sizes_t) + 1) > TRAJECTORY_LIMIT:
        raise ParameterError(
            f"trajectories=True needs chains * (generations + 1) <= {TRAJECTORY_LIMIT} "
            f"(got {chains_i} * {len(sizes_t) + 1})"
        )
    root = as_seed_sequence(seed)
    params = _Params(sizes_t, dim_i, eig, estimator, eps_f, sampler, record == "all", bool(trajectories), rot)
    part: ChunkSummaries = run_chunks(
        _JOBS[sampler], params, chains_i, chunk, root, executor=executor, workers=workers, progress=progress
    )
    gens = range(1, len(sizes_t) + 1) if record == "all" else (len(sizes_t),)
    paths = None
    if trajectories:
        paths = {k: np.concatenate([piece[k] for piece in part.pieces]) for k in part.pieces[0]}
    entropy = root.entropy
    return SimulationResult(
        sizes=sizes_t,
        dim=dim_i,
        cov_eigenvalues=eig,
        chains=chains_i,
        seed=entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy),  # type: ignore[union-attr]
        spawn_key=tuple(root.spawn_key),
        chunk_size=chunk,
        sampler=sampler,
        estimator=estimator,
        eps=eps_f,
        record=record,
        summaries=dict(zip(gens, part.summaries, strict=True)),
        trajectories=paths,
    )
