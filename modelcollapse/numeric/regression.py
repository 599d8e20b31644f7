r"""Monte Carlo simulation of model collapse in linear regression (replace and accumulate; three designs).

The model: features :math:`x \in \mathbb{R}^d`, true weights :math:`w^*`, labels with Gaussian noise
:math:`\sigma`.  Fit 1 is least squares (ridge penalty :math:`\lambda \ge 0`) on :math:`T` real labels
:math:`y_1 = X_1 w^* + e_1`; fit :math:`k+1` is trained on labels made by fit :math:`k`,
:math:`y_{k+1} = X_{k+1} w_k + e_{k+1}`, with fresh noise :math:`e \sim N(0, \sigma^2 I_T)`.  ``replace``
fits the newest block only, ``accumulate`` all blocks so far, stacked.  The designs: ``fixed`` (one
:math:`T \times d` matrix reused by every fit), ``random-once`` (one Gaussian :math:`N(0, I)` design per
chain, reused), ``fresh`` (a new Gaussian design for every fit); the synthetic blocks (fits
:math:`2..G`) use :math:`c X` (``synthetic_scale`` :math:`c`; 1 by default).

With :math:`S_k = X_k^\top X_k` and :math:`P_k = S_1 + \dots + S_k`, the error :math:`\delta_k = w_k - w^*`
of one fit is exactly

.. math::

    \text{replace:}\quad \delta_k = (S_k + \lambda I)^{-1}\bigl(S_k \delta_{k-1} - \lambda w^* + X_k^\top e_k\bigr),
    \qquad
    \text{accumulate:}\quad \delta_k = \delta_{k-1} + (P_k + \lambda I)^{-1} X_k^\top e_k \ (k \ge 2),

(accumulate's first fit is replace's), and :math:`X_k^\top e_k \mid X_k \sim N(0, \sigma^2 S_k)`.  The
``"exact"`` sampler draws these increments directly: in the eigenbasis of :math:`S` (fixed design, one
factorization; random-once, one Wishart draw per chain by Bartlett's decomposition) every step is
:math:`O(d)` per chain; fresh designs draw :math:`S_k \sim \text{Wishart}_d(T, c_k^2 I)` by Bartlett and
:math:`X_k^\top e_k = \sigma c_k L_k z` (:math:`L_k L_k^\top = S_k / c_k^2`), :math:`O(d^3)` per
generation whatever :math:`T`.  The ``"brute"`` sampler draws every design row and label and solves
the least-squares normal equations, to check the reduction.

Statistics per chain: the test error :math:`\|\delta_G\|^2` (excess risk on an isotropic test point
:math:`x \sim N(0, I)`, label noise not included) and the in-sample error
:math:`\frac1T \|X_1 \delta_G\|^2` on the design of the real data (the training design of every fit
under ``fixed`` and ``random-once`` with :math:`c = 1`).
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcollapse._validation import MAX_GENERATIONS, ParameterError, check_choice, check_integer
from modelcollapse.numeric.estimators import Estimate, MomentSummary, recorded, seed_json
from modelcollapse.numeric.executors import as_seed_sequence, check_workers, run_chunks

__all__ = [
    "DESIGNS",
    "ESTIMATE_KEYS",
    "SAMPLERS",
    "SCHEMES",
    "RegressionResult",
    "design_matrix",
    "simulate",
    "validate",
]

SCHEMES = ("replace", "accumulate")
DESIGNS = ("fixed", "random-once", "fresh")
SAMPLERS = ("exact", "brute")
RECORDS = ("final", "all")
MAX_DIM = 100
"""Largest dimension accepted (the exact theory of a fixed design works at mpmath precision, O(d^3))."""

DEFAULT_CHUNK_SIZE = 1 << 14
"""Chains per chunk: the exact sampler's largest arrays (fresh designs, (chunk, d, d) float64) stay a few MiB."""

TRAJECTORY_LIMIT = 1 << 24
_BRUTE_BLOCK = 1 << 21
"""Design entries drawn at once by the brute sampler (16 MiB of float64)."""


# ---------------------------------------------------------------------------------------------------------
# parameters and designs


def default_w_star(dim: int) -> tuple[float, ...]:
    r"""The default true weights, :math:`w^* = (1, \dots, 1)/\sqrt d` (unit norm).

    >>> default_w_star(4)
    (0.5, 0.5, 0.5, 0.5)
    """
    return (1.0 / math.sqrt(dim),) * dim


def _read_design(path: str) -> np.ndarray:
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npy", ".csv"):
        raise ParameterError(f"design_file must be a .npy or .csv file (got {path!r})")
    try:
        if ext == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError(f"design_file must be a readable {ext} file of numbers (cannot read {path!r}: {reason})") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ParameterError(f"design_file must hold real numbers (got dtype {arr.dtype} in {path!r})")
    return np.asarray(arr, dtype=np.float64)


def check_design(X: Any, samples: int, dim: int, ridge: float, *, source: str = "design") -> np.ndarray:
    r"""Validate a fixed design: shape ``(samples, dim)``, finite entries, full column rank unless ``ridge > 0``.

    Returns the design as a C-contiguous float64 array.  The messages name ``design_file``.

    >>> check_design(np.eye(3)[:, :2], 3, 2, 0.0).shape
    (3, 2)
    >>> check_design(np.ones((3, 2)), 3, 2, 0.0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: design_file must have full column rank 2 when ridge = 0 (the least-squares fit is not unique) (got rank 1 in design)
    """
    arr = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    if arr.shape != (samples, dim):
        raise ParameterError(
            f"design_file must hold a samples x dim = {samples} x {dim} matrix (got shape {arr.shape} in {source})"
        )
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise ParameterError(
            f"design_file must hold finite numbers (got {float(arr[i, j])!r} at row {i + 1}, column {j + 1} of {source})"
        )
    if ridge == 0:
        rank = int(np.linalg.matrix_rank(arr))
        if rank < dim:
            raise ParameterError(
                f"design_file must have full column rank {dim} when ridge = 0 (the least-squares fit is not "
                f"unique) (got rank {rank} in {source})"
            )
    return arr


def design_matrix(
    *, samples: int, dim: int, design_file: str | None = None, design_seed: int = 0, ridge: float = 0.0
) -> np.ndarray:
    r"""The fixed design: read from ``design_file`` (``.npy`` or ``.csv``, ``samples x dim``), or drawn once
    from :math:`N(0, I)` with ``design_seed`` (``numpy.random.default_rng(SeedSequence(design_seed))``).

    >>> X = design_matrix(samples=6, dim=2, design_seed=3)
    >>> X.shape, bool((X == design_matrix(samples=6, dim=2, design_seed=3)).all())
    ((6, 2), True)
    """
    if design_file is not None:
        return check_design(_read_design(design_file), samples, dim, ridge, source=repr(design_file))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(design_seed))))
    return check_design(rng.standard_normal((samples, dim)), samples, dim, ridge,
                        source=f"the design of design_seed {design_seed}")


def validate(params: dict[str, Any]) -> dict[str, Any]:
    r"""Cross-parameter checks of the regression model (the model's ``validate``); returns ``params``.

    ``samples >= dim`` unless ``ridge > 0`` (the least-squares fit is not unique otherwise);
    ``design_file`` only with ``design = "fixed"``, of shape ``samples x dim``, finite, of full column rank
    unless ``ridge > 0``; ``w_star`` of length ``dim`` (default :func:`default_w_star`).  Conditions that
    only some exact forms need (``samples >= dim + 2`` for random designs) are not errors: the theory
    reports ``null`` with the reason and the simulation still runs.

    >>> p = validate({"dim": 3, "samples": 2, "ridge": 0.0, "design": "fresh", "design_file": None,
    ...               "design_seed": 0, "w_star": None})
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: samples must be an integer >= dim = 3 when ridge = 0 (the least-squares fit is not unique) (got 2)
    """
    d, T, ridge = params["dim"], params["samples"], params["ridge"]
    if ridge == 0 and T < d:
        raise ParameterError(
            f"samples must be an integer >= dim = {d} when ridge = 0 (the least-squares fit is not unique) (got {T})"
        )
    if params.get("design_file") is not None:
        if params["design"] != "fixed":
            raise ParameterError(f"design_file needs design = fixed (got design {params['design']!r})")
        _read_and_check(params)
    elif params["design"] == "fixed":
        design_matrix(samples=T, dim=d, design_seed=params["design_seed"], ridge=ridge)
    w = params.get("w_star")
    if w is not None and len(w) != d:
        raise ParameterError(f"w_star must hold dim = {d} entries (got {len(w)})")
    return params


def _read_and_check(params: Mapping[str, Any]) -> np.ndarray:
    return design_matrix(samples=params["samples"], dim=params["dim"], design_file=params["design_file"],
                         ridge=params["ridge"])


# ---------------------------------------------------------------------------------------------------------
# the samplers


@dataclass(frozen=True, slots=True)
class _Params:
    """What a chunk job needs; picklable, shared by every chunk."""

    dim: int
    samples: int
    noise: float
    generations: int
    scheme: str
    design: str
    ridge: float
    scale: float
    w_star: tuple[float, ...]
    X: np.ndarray | None
    sampler: str
    record_all: bool
    trajectories: bool

    def c(self, k: int) -> float:
        """Design scale of fit ``k`` (1-based): 1 for the real data, ``synthetic_scale`` after."""
        return 1.0 if k == 1 else self.scale

    def recorded(self, k: int) -> bool:
        return self.record_all or k == self.generations


@dataclass(frozen=True, slots=True)
class _Partial:
    chains: int
    summaries: tuple[tuple[MomentSummary, MomentSummary], ...]
    paths: tuple[np.ndarray, ...] = ()

    def merge(self, other: _Partial) -> _Partial:
        return _Partial(
            self.chains + other.chains,
            tuple((a[0].merge(b[0]), a[1].merge(b[1])) for a, b in zip(self.summaries, other.summaries)),
            self.paths + other.paths,
        )


class _Recorder:
    """Collects the per-chain statistics at the recorded generations (and the test-error paths)."""

    def __init__(self, p: _Params, n: int) -> None:
        self.p = p
        self.summaries: list[tuple[MomentSummary, MomentSummary]] = []
        self.path = np.zeros((n, p.generations + 1)) if p.trajectories else None

    def __call__(self, k: int, test: Callable[[], np.ndarray], in_sample: Callable[[], np.ndarray]) -> None:
        if not (self.p.recorded(k) or self.p.trajectories):
            return
        t = test()
        if self.path is not None:
            self.path[:, k] = t
        if self.p.recorded(k):
            i = in_sample()
            for name, values in (("test error", t), ("in-sample error", i)):
                if not np.isfinite(values).all():
                    raise FloatingPointError(
                        f"the {self.p.sampler} regression simulation produced a non-finite {name} at generation "
                        f"{k} of {self.p.generations} (a design too close to singular for float64; raise "
                        "samples or ridge)"
                    )
            self.summaries.append((MomentSummary.from_array(t), MomentSummary.from_array(i)))

    def partial(self, n: int) -> _Partial:
        return _Partial(n, tuple(self.summaries), () if self.path is None else (self.path,))


def _bartlett(rng: np.random.Generator, n: int, d: int, T: int) -> np.ndarray:
    r"""``n`` lower-triangular Bartlett factors :math:`L` with :math:`L L^\top \sim \text{Wishart}_d(T, I)`:
    :math:`L_{ii}^2 \sim \chi^2_{T - i}` (:math:`i = 0..d-1`), :math:`L_{ij} \sim N(0, 1)` below the diagonal."""
    rows, cols = np.tril_indices(d, -1)
    L = np.zeros((n, d * d))
    L[:, rows * d + cols] = rng.standard_normal((n, rows.size))
    for i in range(d):
        L[:, i * (d + 1)] = np.sqrt(rng.chisquare(T - i, n))
    return L.reshape(n, d, d)


def _solve_upper(L: np.ndarray, z: np.ndarray) -> np.ndarray:
    r""":math:`x` with :math:`L^\top x = z` for lower-triangular ``L`` (``(n, d, d)``), by back substitution
    vectorized over the chains: :math:`O(d^2)` per chain."""
    d = z.shape[1]
    x = np.empty_like(z)
    for i in range(d - 1, -1, -1):
        x[:, i] = (z[:, i] - np.einsum("nj,nj->n", L[:, i + 1:, i], x[:, i + 1:])) / L[:, i, i]
    return x


def _gram_and_score(rng: np.random.Generator, p: _Params, n: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    r"""A fresh design's sufficient statistics for ``n`` chains: :math:`S = c^2 Z^\top Z` and
    :math:`X^\top e = \sigma c\, L z` (Bartlett, :math:`T \ge d`); for :math:`T < d` (ridge only) the
    :math:`T \times d` Gaussian :math:`Z` itself, which then costs at most :math:`d^3`."""
    d, T = p.dim, p.samples
    if T >= d:
        L = _bartlett(rng, n, d, T)
        S = L @ L.transpose(0, 2, 1)
        score = (L @ rng.standard_normal((n, d, 1)))[..., 0]
    else:
        Z = rng.standard_normal((n, T, d))
        S = Z.transpose(0, 2, 1) @ Z
        score = (Z.transpose(0, 2, 1) @ rng.standard_normal((n, T, 1)))[..., 0]
    return (c * c) * S, (p.noise * c) * score


def _eigen_chunk(p: _Params, rng: np.random.Generator, n: int, lam: np.ndarray, omega: np.ndarray) -> _Partial:
    r"""Exact sampler in the eigenbasis of :math:`S = X^\top X` (eigenvalues ``lam``, shape ``(n, d)`` or
    ``(d,)``; ``omega`` the true weights in that basis): fixed designs, and ridge with random-once designs.

    Fit :math:`k` uses :math:`c_k^2 S`; per eigen-coordinate, replace is
    :math:`\delta \leftarrow \mu_k \delta - (1 - \mu_k)\omega + \sqrt{q_k} z` with
    :math:`\mu_k = c_k^2 s/(c_k^2 s + \lambda)`, :math:`q_k = \sigma^2 c_k^2 s / (c_k^2 s + \lambda)^2`;
    accumulate adds :math:`\sqrt{\sigma^2 c_k^2 s}\, z / (p_k s + \lambda)`, :math:`p_k = \sum_{j \le k} c_j^2`.
    """
    lam = np.broadcast_to(lam, (n, p.dim))
    delta = np.zeros((n, p.dim))
    rec = _Recorder(p, n)
    ridge, s2 = p.ridge, p.noise * p.noise
    pooled = 0.0
    z = np.empty((n, p.dim))
    if ridge == 0:
        # least squares: delta_k = sigma S^{-1/2} zeta_k with zeta_k = sum_j a_j z_j, a_j = 1/c_j (replace) or
        # c_j/p_j (accumulate); the map is applied only where a generation is recorded
        inv_sqrt = p.noise / np.sqrt(lam)
        zeta = np.zeros((n, p.dim))
        for k in range(1, p.generations + 1):
            c = p.c(k)
            pooled += c * c
            rng.standard_normal(out=z)
            zeta += (1 / c if p.scheme == "replace" or k == 1 else c / pooled) * z
            if p.recorded(k) or p.trajectories:
                delta = zeta * inv_sqrt
                rec(k, lambda: np.einsum("ni,ni->n", delta, delta),
                    lambda: np.einsum("ni,ni,ni->n", lam, delta, delta) / p.samples)
        return rec.partial(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(1, p.generations + 1):
            c2 = p.c(k) ** 2
            pooled += c2
            rng.standard_normal(out=z)
            if p.scheme == "replace" or k == 1:
                a = c2 * lam + ridge
                mu = c2 * lam / a
                delta = mu * delta - (1 - mu) * omega + z * np.sqrt(s2 * c2 * lam) / a
            else:
                delta += z * np.sqrt(s2 * c2 * lam) / (pooled * lam + ridge)
            rec(k, lambda: np.einsum("ni,ni->n", delta, delta),
                lambda: np.einsum("ni,ni,ni->n", lam, delta, delta) / p.samples)
    return rec.partial(n)


def _once_chunk(p: _Params, rng: np.random.Generator, n: int) -> _Partial:
    r"""Least squares, one Gaussian design per chain: one Bartlett factor :math:`L` (:math:`S = LL^\top`),
    then fit :math:`k` adds the increment :math:`\sigma a_k L^{-\top} z_k` (:math:`X^\top e_k = \sigma c_k L z_k`
    and :math:`S_k = c_k^2 S`), :math:`a_k = 1/c_k` (replace) or :math:`c_k/p_k` (accumulate).  The increments
    share the linear map :math:`L^{-\top}`, so :math:`\zeta_k = \sum_{j \le k} a_j z_j` is kept (:math:`O(d)` per
    fit) and :math:`\delta_k = \sigma L^{-\top}\zeta_k` is formed only where a generation is recorded."""
    L = _bartlett(rng, n, p.dim, p.samples)
    zeta = np.zeros((n, p.dim))
    z = np.empty((n, p.dim))
    rec = _Recorder(p, n)
    pooled = 0.0
    for k in range(1, p.generations + 1):
        c = p.c(k)
        pooled += c * c
        rng.standard_normal(out=z)
        zeta += (1 / c if p.scheme == "replace" else c / pooled) * z
        if p.recorded(k) or p.trajectories:
            delta = p.noise * _solve_upper(L, zeta)
            rec(k, lambda: np.einsum("ni,ni->n", delta, delta), lambda: _norm2(L, delta) / p.samples)
    return rec.partial(n)


def _norm2(L: np.ndarray, x: np.ndarray) -> np.ndarray:
    r""":math:`x^\top L L^\top x = \|L^\top x\|^2` per chain."""
    y = (x[:, None, :] @ L)[:, 0, :]
    return np.einsum("ni,ni->n", y, y)


def _exact_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    rng = np.random.Generator(np.random.PCG64(seed))
    d = p.dim
    w = np.asarray(p.w_star)
    if p.design == "fixed":
        lam, Q = np.linalg.eigh(p.X.T @ p.X)
        return _eigen_chunk(p, rng, n, np.maximum(lam, 0.0), Q.T @ w)
    if p.design == "random-once":
        if p.ridge == 0:
            return _once_chunk(p, rng, n)
        S, _ = _gram_and_score(rng, p, n, 1.0)
        lam = np.maximum(np.linalg.eigvalsh(S), 0.0)
        # Wishart eigenvectors are Haar and independent of the eigenvalues: w* in that basis is uniform on
        # the sphere of radius |w*| (only the ridge bias needs it)
        u = rng.standard_normal((n, d))
        omega = u * (np.linalg.norm(w) / np.linalg.norm(u, axis=1))[:, None]
        return _eigen_chunk(p, rng, n, lam, omega)
    if p.ridge == 0 and p.scheme == "replace":
        return _fresh_replace_chunk(p, rng, n)
    return _fresh_chunk(p, rng, n, w)


def _fresh_replace_chunk(p: _Params, rng: np.random.Generator, n: int) -> _Partial:
    r"""Least squares, replace, a fresh design per fit.  Fit 1: Bartlett :math:`L_1` (kept for the in-sample
    error) and :math:`\sigma L_1^{-\top} z`.  Fits :math:`k \ge 2`: the increment
    :math:`S_k^{-1} X_k^\top e_k \mid S_k \sim N(0, \sigma^2 S_k^{-1})` is rotation invariant with
    :math:`\|u\|^2 = \sigma^2 \|z\|^2\, \theta^\top S_k^{-1} \theta` and
    :math:`1/(\theta^\top W^{-1}\theta) \sim \chi^2_{T-d+1}` independent of :math:`z` (Schur complement), so
    :math:`u = (\sigma/c_k)\, z / \sqrt{\chi^2_{T-d+1}}`, a multivariate :math:`t`: :math:`O(d)` per fit."""
    L1 = _bartlett(rng, n, p.dim, p.samples)
    delta = p.noise * _solve_upper(L1, rng.standard_normal((n, p.dim)))
    rec = _Recorder(p, n)
    rec(1, lambda: np.einsum("ni,ni->n", delta, delta), lambda: _norm2(L1, delta) / p.samples)
    z = np.empty((n, p.dim))
    for k in range(2, p.generations + 1):
        rng.standard_normal(out=z)
        scale = p.noise / (p.c(k) * np.sqrt(rng.chisquare(p.samples - p.dim + 1, n)))
        delta += z * scale[:, None]
        rec(k, lambda: np.einsum("ni,ni->n", delta, delta), lambda: _norm2(L1, delta) / p.samples)
    return rec.partial(n)


def _fresh_chunk(p: _Params, rng: np.random.Generator, n: int, w: np.ndarray) -> _Partial:
    """Exact sampler for fresh designs (accumulate, or ridge): Bartlett sufficient statistics of every fit's
    design and one ``d x d`` solve per chain and fit."""
    d = p.dim
    eye = p.ridge * np.eye(d)
    delta = np.zeros((n, d))
    pooled = np.zeros((n, d, d))
    rec = _Recorder(p, n)
    S1 = None
    for k in range(1, p.generations + 1):
        S, score = _gram_and_score(rng, p, n, p.c(k))
        if S1 is None:
            S1 = S
        if p.scheme == "replace" or k == 1:
            rhs = (S @ delta[..., None])[..., 0] - p.ridge * w + score
            delta = np.linalg.solve(S + eye, rhs[..., None])[..., 0]
            if p.scheme == "accumulate":
                pooled += S
        else:
            pooled += S
            delta = delta + np.linalg.solve(pooled + eye, score[..., None])[..., 0]
        rec(k, lambda: np.einsum("ni,ni->n", delta, delta),
            lambda: np.einsum("ni,nij,nj->n", delta, S1, delta) / p.samples)
    return rec.partial(n)


def _brute_chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    r"""Brute force: draw every design row and label, :math:`y_k = X_k w_{k-1} + e_k`, and solve the
    least-squares normal equations :math:`(X^\top X + \lambda I) w = X^\top y` of the newest block
    (replace) or of all blocks stacked (accumulate: the sums of their :math:`X^\top X` and :math:`X^\top y`).
    Chains are processed in blocks of at most ``2**21`` design entries."""
    rng = np.random.Generator(np.random.PCG64(seed))
    d, T = p.dim, p.samples
    block = max(1, min(n, _BRUTE_BLOCK // (T * d)))
    parts = []
    for start in range(0, n, block):
        parts.append(_brute_block(p, rng, min(block, n - start)))
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part)
    return out


def _brute_block(p: _Params, rng: np.random.Generator, n: int) -> _Partial:
    d, T = p.dim, p.samples
    w_star = np.asarray(p.w_star)
    eye = p.ridge * np.eye(d)
    w = np.broadcast_to(w_star, (n, d)).copy()
    gram_sum = np.zeros((n, d, d))
    score_sum = np.zeros((n, d))
    base = p.X if p.design == "fixed" else None
    if p.design == "random-once":
        base = rng.standard_normal((n, T, d))
    rec = _Recorder(p, n)
    X1 = None
    for k in range(1, p.generations + 1):
        if p.design == "fresh":
            X = rng.standard_normal((n, T, d))
        else:
            X = base
        if k > 1 and p.scale != 1.0:
            X = p.scale * X
        if X1 is None:
            X1 = X
        batched = X.ndim == 3
        fitted = (X @ w[..., None])[..., 0] if batched else w @ X.T
        y = fitted + p.noise * rng.standard_normal((n, T))
        gram = X.transpose(0, 2, 1) @ X if batched else np.broadcast_to(X.T @ X, (n, d, d))
        score = (X.transpose(0, 2, 1) @ y[..., None])[..., 0] if batched else y @ X
        if p.scheme == "replace":
            gram_sum, score_sum = gram, score
        else:
            gram_sum = gram_sum + gram
            score_sum = score_sum + score
        w = np.linalg.solve(gram_sum + eye, score_sum[..., None])[..., 0]
        delta = w - w_star
        rec(k, lambda: np.einsum("ni,ni->n", delta, delta),
            lambda: _in_sample(X1, delta, T))
    return rec.partial(n)


def _in_sample(X1: np.ndarray, delta: np.ndarray, T: int) -> np.ndarray:
    fit = (X1 @ delta[..., None])[..., 0] if X1.ndim == 3 else delta @ X1.T
    return np.einsum("nt,nt->n", fit, fit) / T


_JOBS = {"exact": _exact_chunk, "brute": _brute_chunk}


# ---------------------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True, slots=True)
class RegressionResult:
    r"""Summaries of a :func:`simulate` run and what is needed to reproduce it.

    Attributes
    ----------
    params : dict
        The model parameters simulated (``w_star`` filled in).
    chains, chunk_size : int
    seed : int or tuple of int
        ``SeedSequence.entropy`` of the run; ``spawn_key`` its spawn key.
    sampler, record : str
    summaries : dict of int to (MomentSummary, MomentSummary)
        Per recorded generation :math:`k`, the summaries of :math:`\|\delta_k\|^2` and
        :math:`\frac1T\|X_1\delta_k\|^2` over the chains.
    path : numpy.ndarray or None
        ``trajectories=True``: every chain's test error at generations ``0..G``, shape ``(chains, G + 1)``.
    """

    params: dict[str, Any]
    chains: int
    seed: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    chunk_size: int
    sampler: str
    record: str
    summaries: dict[int, tuple[MomentSummary, MomentSummary]] = field(repr=False)
    path: np.ndarray | None = field(default=None, repr=False)

    model = "regression"

    @property
    def generations(self) -> tuple[int, ...]:
        """The recorded generations (``(G,)`` for ``record="final"``, ``(1, ..., G)`` for ``"all"``)."""
        return tuple(self.summaries)

    def estimates(self, generation: int | None = None) -> dict[str, Estimate]:
        r"""Estimates with standard errors at a recorded generation (default the last, :math:`G`).

        ``test_error`` :math:`E\|w_G - w^*\|^2`, ``in_sample_error`` :math:`E\frac1T\|X_1(w_G - w^*)\|^2`,
        ``var_test_error`` and ``var_in_sample_error`` their variances over chains (unbiased sample
        variances, with the plug-in standard error of :meth:`MomentSummary.var`).
        """
        test, ins = recorded(self.summaries, generation, self.params["generations"])
        return {
            "test_error": test.mean(),
            "in_sample_error": ins.mean(),
            "var_test_error": test.var(),
            "var_in_sample_error": ins.var(),
        }

    def paths(self) -> dict[str, np.ndarray]:
        """``{"test": every chain's test error at generations 0..G}`` (``trajectories=True``)."""
        if self.path is None:
            raise ParameterError("paths() needs a run with trajectories=True")
        return {"test": self.path}

    def to_dict(self) -> dict[str, object]:
        """Plain data: ``chains``, ``seed``, ``sampler``, ``estimates`` at the last generation."""
        seed = seed_json(self.seed)
        return {
            "model": self.model,
            "chains": self.chains,
            "seed": seed,
            "sampler": self.sampler,
            "estimates": {k: e.to_dict() for k, e in self.estimates().items()},
        }


ESTIMATE_KEYS = ("test_error", "in_sample_error", "var_test_error", "var_in_sample_error")


def _check_real(name: str, value: object, *, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number, not a boolean (got {value!r})")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a finite number {'>' if strict else '>='} {minimum:g} (got {value!r})") from None
    if not math.isfinite(out) or (out <= minimum if strict else out < minimum):
        raise ParameterError(f"{name} must be a finite number {'>' if strict else '>='} {minimum:g} (got {value!r})")
    return out


def simulate(
    *,
    dim: int,
    samples: int,
    noise: float = 1.0,
    generations: int = 1,
    scheme: str = "replace",
    design: str = "fixed",
    design_file: str | None = None,
    design_seed: int = 0,
    ridge: float = 0.0,
    synthetic_scale: float = 1.0,
    w_star: Sequence[float] | None = None,
    chains: int,
    seed: object = None,
    sampler: str = "exact",
    record: str = "final",
    trajectories: bool = False,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
) -> RegressionResult:
    r"""Simulate ``chains`` independent chains of ``generations`` least-squares fits on synthetic labels.

    Parameters
    ----------
    dim, samples : int
        :math:`d \ge 1` features, :math:`T` rows per block (``>= dim`` unless ``ridge > 0``).
    noise : float
        Label noise :math:`\sigma \ge 0`.
    generations : int
        Number of fits :math:`G \ge 1` (``1`` is the clean model).
    scheme : {"replace", "accumulate"}
    design : {"fixed", "random-once", "fresh"}
    design_file : str, optional
        ``.npy`` or ``.csv`` file with the fixed design (``samples x dim``); otherwise drawn from ``design_seed``.
    ridge : float
        Penalty :math:`\lambda \ge 0` added to the Gram matrix of each fit's training data.
    synthetic_scale : float
        :math:`c > 0`: the synthetic blocks' designs are :math:`c` times the real one (fixed, random-once)
        or :math:`N(0, c^2 I)` (fresh).
    w_star : sequence of float, optional
        True weights (length ``dim``; default :func:`default_w_star`).  Only ridge fits depend on them.
    chains : int
        Independent chains, ``>= 2``.
    seed : None, int or numpy.random.SeedSequence
    sampler : {"exact", "brute"}
    record : {"final", "all"}
    trajectories : bool
        Keep every chain's test error per generation (``result.paths()``).
    chunk_size, executor, workers, progress
        As for :func:`modelcollapse.numeric.gaussian1d.simulate`: the result depends only on
        ``(seed, chains, chunk_size)``.

    Returns
    -------
    RegressionResult

    Examples
    --------
    Replace with fresh Gaussian designs: :math:`E\|w_G - w^*\|^2 = G \sigma^2 d / (T - d - 1)`.

    >>> res = simulate(dim=3, samples=12, generations=4, design="fresh", chains=20_000, seed=1)
    >>> est = res.estimates()["test_error"]
    >>> bool(abs(est.value - 4 * 3 / 8) < 5 * est.stderr)
    True
    """
    d = check_integer("dim", dim, minimum=1, maximum=MAX_DIM)
    T = check_integer("samples", samples, minimum=1)
    G = check_integer("generations", generations, minimum=1, maximum=MAX_GENERATIONS)
    sigma = _check_real("noise", noise, minimum=0.0)
    scheme = check_choice("scheme", scheme, SCHEMES)
    design = check_choice("design", design, DESIGNS)
    ridge = _check_real("ridge", ridge, minimum=0.0)
    scale = _check_real("synthetic_scale", synthetic_scale, minimum=0.0, strict=True)
    design_seed = check_integer("design_seed", design_seed, minimum=0)
    n = check_integer("chains", chains, minimum=2)
    sampler = check_choice("sampler", sampler, SAMPLERS)
    record = check_choice("record", record, RECORDS)
    chunk = DEFAULT_CHUNK_SIZE if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    if not isinstance(trajectories, (bool, np.bool_)):
        raise ParameterError(f"trajectories must be True or False (got {trajectories!r})")
    if trajectories and n * (G + 1) > TRAJECTORY_LIMIT:
        raise ParameterError(f"trajectories=True needs chains * (generations + 1) <= {TRAJECTORY_LIMIT} "
                             f"(got {n} * {G + 1} = {n * (G + 1)})")
    if w_star is not None:
        if isinstance(w_star, (str, bytes)) or not isinstance(w_star, Sequence):
            raise ParameterError(f"w_star must be a sequence of dim = {d} numbers (got {w_star!r})")
        w_star = tuple(_check_real(f"w_star[{i}]", v, minimum=-math.inf) for i, v in enumerate(w_star))
    params = validate({"dim": d, "samples": T, "noise": sigma, "generations": G, "scheme": scheme,
                       "design": design, "design_file": design_file, "design_seed": design_seed, "ridge": ridge,
                       "synthetic_scale": scale, "w_star": w_star})
    w = params["w_star"] if params["w_star"] is not None else default_w_star(d)
    X = None
    if design == "fixed":
        X = design_matrix(samples=T, dim=d, design_file=design_file, design_seed=design_seed, ridge=ridge)
    job_params = _Params(d, T, sigma, G, scheme, design, ridge, scale, tuple(w), X, sampler, record == "all",
                         bool(trajectories))
    root = as_seed_sequence(seed)
    part: _Partial = run_chunks(_JOBS[sampler], job_params, n, chunk, root, executor=executor, workers=workers,
                                progress=progress)
    gens = range(1, G + 1) if record == "all" else (G,)
    entropy = root.entropy
    return RegressionResult(
        params={**params, "w_star": tuple(w)},
        chains=n,
        seed=entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy),  # type: ignore[union-attr]
        spawn_key=tuple(root.spawn_key),
        chunk_size=chunk,
        sampler=sampler,
        record=record,
        summaries=dict(zip(gens, part.summaries)),
        path=np.concatenate(part.paths) if trajectories else None,
    )
