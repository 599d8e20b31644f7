r"""Categorical resampling (Wright-Fisher): the distribution, the exact marginal chain, the samplers.

The model: a distribution :math:`p` over :math:`K` categories.  Generation :math:`i` draws :math:`M_i`
tokens and refits by counting, :math:`p_{i+1} = c_i / M_i` with

.. math::

    c_i \sim \text{Multinomial}(M_i, p_i) \quad\text{(replace)}, \qquad
    c_i \sim \text{Multinomial}(R, p) + \text{Multinomial}(M_i - R, p_i) \quad\text{(mix, } R \text{ real tokens)}.

The marginal of one category is a Markov chain on the counts :math:`X_i = M_{i-1} p_i[k]`:
:math:`X_1 \sim \text{Bin}(M_0, p_k)`, then :math:`X_{i+1} \sim \text{Bin}(R, p_k) + \text{Bin}(M_i - R,
X_i / M_{i-1})` (:math:`R = 0` under replace).  Every quantity of the model is a sum over categories of
:math:`E\,\varphi_k(p_g[k])` (support: :math:`\varphi = [x > 0]`, missing mass :math:`p_k [x = 0]`,
entropy :math:`-x \log x`, ...), so the exact laws of the marginal chains give them all.

Exact marginal laws, in float64 with a stated error bound
---------------------------------------------------------
* **replace** (:func:`marginal_expectations` with ``real=0``): one *backward* pass shared by every
  category.  :math:`u_g(x) = \varphi(x / M_{g-1})`, :math:`u_i(x) = \sum_y \text{Bin}(y; M_i, x/M_{i-1})\,
  u_{i+1}(y)`, then :math:`E\,\varphi(p_g[k]) = \sum_c \text{Bin}(c; M_0, p_k)\, u_1(c)`.  The transition is
  stored as a band (row :math:`x` keeps :math:`y` between the ``tol`` and ``1 - tol`` quantiles of its
  binomial), so a generation costs :math:`O(M^{3/2})` instead of the dense :math:`O(M^2)`, independent of
  :math:`K`.
* **mix** (and replace, as a second route): one *forward* pass per category, the law of :math:`X_i`
  kept on the window where it exceeds ``tol``; the band of the synthetic part is shared, the real part is
  a convolution.

Both are sums of non-negative terms: a small probability is never obtained as a difference (survival
and :math:`P(p_g[k] = 0)` are propagated separately).  Every discarded piece of probability is counted:
the result carries ``error``, a bound on the absolute error of every expectation of a function with
values in :math:`[0, 1]` (rounding adds a relative :math:`O(10^{-13})`).

Imports numpy, scipy and the standard library only.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from modelcollapse._validation import ParameterError, check_choice, check_integer
from modelcollapse.numeric.estimators import Estimate, MomentSummary, recorded, seed_json
from modelcollapse.numeric.executors import as_seed_sequence, check_workers, run_chunks

__all__ = [
    "Distribution",
    "MarginalResult",
    "SimulationResult",
    "chain_statistics",
    "composition_moments",
    "dense_zero_probabilities",
    "galton_watson_zero",
    "marginal_expectations",
    "parse_distribution",
    "real_tokens_for_support",
    "stationary_expectations",
    "simulate",
]

SCHEMES = ("replace", "mix")
SAMPLERS = ("exact", "brute")
RECORDS = ("final", "all")
LANG_EXTRA = "lang"
TOL = 1e-30
"""Probability discarded per row of a band or per window edge: the error bound grows by it."""

DEFAULT_CHUNK_SIZE = 1 << 12
_BRUTE_BLOCK = 1 << 22  # tokens drawn at once by the brute sampler (32 MiB of float64)


# ---------------------------------------------------------------------------------------------------------
# the distribution


@dataclass(frozen=True, eq=False)
class Distribution:
    """A distribution over categories, ranked by probability (rank 1 = most probable).

    Attributes
    ----------
    spec : str
        What was given (``zipf:1.1,1000``, ``wordfreq:en,5000``, ``file:PATH``).
    p : numpy.ndarray
        Probabilities in non-increasing order (float64, sum 1).
    labels : tuple of str
        One label per category (the word, the file's label, or the rank).
    source : str
        Where the numbers come from, in words.
    """

    spec: str
    p: np.ndarray
    labels: tuple[str, ...]
    source: str

    @property
    def K(self) -> int:
        return int(self.p.shape[0])

    @property
    def homozygosity(self) -> float:
        r""":math:`\sum_k p_k^2`."""
        return float(np.dot(self.p, self.p))


def _dist_error(spec: str, what: str) -> ParameterError:
    return ParameterError(f"dist {what} (got {spec!r})")


def parse_distribution(spec: object) -> Distribution:
    """Parse ``zipf:S,K``, ``wordfreq:LANG,K``, ``list:V1,V2,...`` or ``file:PATH`` (cached per spec).

    ``list`` and ``file`` entries are probabilities or counts (normalised; zero entries dropped); a file
    holds one number per line, optionally after a label (``word 123``), ``#`` starts a comment.

    Examples
    --------
    >>> d = parse_distribution("zipf:1,3")
    >>> [round(float(x), 6) for x in d.p], d.labels
    ([0.545455, 0.272727, 0.181818], ('1', '2', '3'))
    >>> parse_distribution("zipf:0,10")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: dist zipf:S,K needs an exponent S > 0 (got 'zipf:0,10')
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"dist must be zipf:S,K, wordfreq:LANG,K, list:V1,V2,... or file:PATH (got {spec!r})")
    spec = spec.strip()
    if spec.startswith("file:"):
        path = spec[5:]
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError as exc:
            raise _dist_error(spec, f"file:PATH must name a readable file ({exc.strerror})") from None
        return _parse_file(spec, path, stamp)
    return _parse_cached(spec)


@functools.lru_cache(maxsize=32)
def _parse_cached(spec: str) -> Distribution:
    kind, sep, rest = spec.partition(":")
    if kind == "zipf" and sep:
        parts = [t.strip() for t in rest.split(",")]
        if len(parts) != 2:
            raise _dist_error(spec, "zipf:S,K needs an exponent and a number of categories")
        try:
            s = float(parts[0])
        except ValueError:
            raise _dist_error(spec, "zipf:S,K needs a number S") from None
        if not (math.isfinite(s) and s > 0):
            raise _dist_error(spec, "zipf:S,K needs an exponent S > 0")
        k = _count(spec, parts[1], "zipf:S,K")
        w = np.arange(1, k + 1, dtype=np.float64) ** -s
        return Distribution(spec, w / w.sum(), tuple(str(i) for i in range(1, k + 1)), f"Zipf law k^-{parts[0]}, K = {k}")
    if kind == "list" and sep:
        try:
            w = np.array([float(t) for t in rest.split(",")], dtype=np.float64)
        except ValueError:
            raise _dist_error(spec, "list:V1,V2,... needs comma-separated numbers") from None
        return _from_weights(spec, w, [str(i) for i in range(1, w.size + 1)], "list:V1,V2,...", "inline list")
    if kind == "wordfreq" and sep:
        parts = [t.strip() for t in rest.split(",")]
        if len(parts) != 2 or not parts[0]:
            raise _dist_error(spec, "wordfreq:LANG,K needs a language code and a number of words")
        return _wordfreq(spec, parts[0], _count(spec, parts[1], "wordfreq:LANG,K"))
    raise ParameterError(f"dist must be zipf:S,K, wordfreq:LANG,K, list:V1,V2,... or file:PATH (got {spec!r})")


def _count(spec: str, text: str, form: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise _dist_error(spec, f"{form} needs an integer number of categories K >= 2") from None
    if k < 2:
        raise _dist_error(spec, f"{form} needs K >= 2 categories")
    if k > 10**7:
        raise _dist_error(spec, f"{form} needs K <= 10000000 categories")
    return k


def _wordfreq(spec: str, lang: str, k: int) -> Distribution:
    try:
        import wordfreq
    except ImportError:
        raise ParameterError(
            f"dist wordfreq:LANG,K needs the optional package wordfreq: pip install 'modelcollapse[{LANG_EXTRA}]' "
            f"(got {spec!r})"
        ) from None
    langs = sorted(wordfreq.available_languages())
    if lang not in langs:
        raise _dist_error(spec, f"wordfreq:LANG,K needs a language wordfreq knows ({', '.join(langs)})")
    words = wordfreq.top_n_list(lang, k)
    if len(words) < k:
        raise _dist_error(spec, f"wordfreq:LANG,K needs K <= {len(words)} for language {lang}")
    f = np.array([wordfreq.word_frequency(w, lang) for w in words], dtype=np.float64)
    if not (f > 0).all():
        raise _dist_error(spec, "wordfreq:LANG,K: wordfreq returned a zero frequency among the top K")
    order = np.argsort(-f, kind="stable")
    return Distribution(
        spec, f[order] / f.sum(), tuple(words[i] for i in order),
        f"wordfreq {_version('wordfreq')}: top {k} words of '{lang}', frequencies renormalised",
    )


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover
        return "(version unknown)"


@functools.lru_cache(maxsize=8)
def _parse_file(spec: str, path: str, _stamp: int) -> Distribution:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _dist_error(spec, f"file:PATH must be a readable UTF-8 text file ({exc})") from None
    values, labels = [], []
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        *label, number = text.split()
        try:
            v = float(number)
        except ValueError:
            raise _dist_error(spec, f"file:PATH needs one number per line (line {n}: {line.strip()!r} is not a number)") from None
        if not math.isfinite(v) or v < 0:
            raise _dist_error(spec, f"file:PATH needs finite non-negative entries (line {n}: {v!r})")
        values.append(v)
        labels.append(" ".join(label) or f"line {n}")
    return _from_weights(spec, np.array(values, dtype=np.float64), labels, "file:PATH", f"file {path}")


def _from_weights(spec: str, w: np.ndarray, labels: Sequence[str], form: str, where: str) -> Distribution:
    """Probabilities or counts -> a ranked distribution; zero entries are dropped (they never appear)."""
    if not np.isfinite(w).all() or (w < 0).any():
        raise _dist_error(spec, f"{form} needs finite non-negative entries")
    if w.size == 0 or not (w > 0).any():
        raise _dist_error(spec, f"{form} needs at least one positive entry (all entries are zero or there are none)")
    keep = w > 0
    if keep.sum() < 2:
        raise _dist_error(spec, f"{form} needs at least K >= 2 positive entries")
    w, kept = w[keep], [lab for lab, k in zip(labels, keep, strict=True) if k]
    order = np.argsort(-w, kind="stable")
    return Distribution(spec, w[order] / w.sum(), tuple(kept[i] for i in order),
                        f"{where}: {int(keep.sum())} positive entries, normalised")


# ---------------------------------------------------------------------------------------------------------
# the exact marginal chain


@dataclass(frozen=True)
class _Band:
    """Rows ``x = 0..n_rows-1`` of a binomial transition ``Bin(trials, x / prev)``, each kept between its
    lower and upper ``TOL``-quantiles (the upper one as ``trials`` minus the lower quantile of
    ``Bin(trials, 1 - q)``: ``binom.isf`` is inaccurate that far out), stored flat (row ``x`` is ``data[starts[x]:starts[x+1]]`` at
    columns ``lo[x], lo[x] + 1, ...``)."""

    lo: np.ndarray
    starts: np.ndarray
    cols: np.ndarray
    rows: np.ndarray
    data: np.ndarray
    width: int
    """Number of columns, ``trials + 1``."""

    def backward(self, u: np.ndarray) -> np.ndarray:
        """``out[x] = sum_y T(x, y) u(y)``."""
        prod = self.data * u[self.cols]
        return np.add.reduceat(prod, self.starts[:-1]) if prod.size else np.zeros(self.lo.shape[0])

    def forward(self, pi: np.ndarray, a: int) -> tuple[np.ndarray, int]:
        """The law ``sum_x pi(x) T(x, .)`` for ``pi`` on rows ``a..a+len(pi)-1``: (values, first column)."""
        b = a + pi.shape[0]
        s, e = self.starts[a], self.starts[b]
        cols = self.cols[s:e]
        c0 = int(self.lo[a])
        c1 = int(self.lo[a:b].max() + (self.starts[a + 1 : b + 1] - self.starts[a:b]).max())
        w = self.data[s:e] * pi[self.rows[s:e] - a]
        return np.bincount(cols - c0, weights=w, minlength=c1 - c0), c0


@functools.lru_cache(maxsize=8)
def _band(prev: int, trials: int) -> _Band:
    """The band of ``Bin(trials, x / prev)`` for ``x = 0..prev``."""
    x = np.arange(prev + 1)
    q = x / prev
    lo = np.zeros(prev + 1, dtype=np.int64)
    hi = np.zeros(prev + 1, dtype=np.int64)
    inner = (x > 0) & (x < prev)
    lo[inner] = np.maximum(sps.binom.ppf(TOL, trials, q[inner]) - 1, 0).astype(np.int64)
    hi[inner] = np.minimum(trials - sps.binom.ppf(TOL, trials, 1 - q[inner]) + 1, trials).astype(np.int64)
    lo[-1] = hi[-1] = trials  # x = prev: every token is this category
    lens = hi - lo + 1
    starts = np.concatenate([[0], np.cumsum(lens)])
    rows = np.repeat(x, lens)
    cols = (np.arange(starts[-1]) - np.repeat(starts[:-1], lens) + np.repeat(lo, lens)).astype(np.int64)
    data = sps.binom.pmf(cols, trials, q[rows])
    return _Band(lo, starts, cols, rows, data, trials + 1)


def _first_law(m0: int, pk: float) -> tuple[np.ndarray, int]:
    """``Bin(m0, pk)`` on its window (values, first count)."""
    lo = int(max(sps.binom.ppf(TOL, m0, pk) - 1, 0)) if pk < 1 else m0
    hi = int(min(m0 - sps.binom.ppf(TOL, m0, 1 - pk) + 1, m0)) if pk < 1 else m0
    c = np.arange(lo, hi + 1)
    return sps.binom.pmf(c, m0, pk), lo


@dataclass(frozen=True)
class MarginalResult:
    """Per-category expectations ``E phi(p_g[k])`` of the functions asked for, and the error bound.

    Attributes
    ----------
    values : dict of str to numpy.ndarray
        ``values[name][k]`` for category ``k`` (rank order).
    error : float
        Bound on the absolute error of every value of a function with values in ``[0, 1]`` (probability
        discarded by the bands and windows; float64 rounding comes on top, relative ``~1e-13``).
    method : str
        ``backward-band`` (replace, one pass shared by the categories) or ``forward-window``.
    """

    values: dict[str, np.ndarray]
    error: float
    method: str


PHIS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "zero": lambda f: (f == 0).astype(np.float64),
    "alive": lambda f: (f > 0).astype(np.float64),
    "entropy": lambda f: -f * np.log(np.where(f > 0, f, 1.0)),
}
"""Functions of one category's frequency whose expectations the model needs."""


def _check_schedule(sizes: Sequence[int], real: int) -> tuple[int, ...]:
    out = tuple(check_integer(f"sizes[{i}]", m, minimum=1) for i, m in enumerate(sizes))
    if not out:
        raise ParameterError("sizes must hold at least one sample size (got an empty schedule)")
    for i, m in enumerate(out):
        if real > m:
            raise ParameterError(f"real must be an integer <= every sample size M_i (got real={real} > sizes[{i}]={m})")
    return out


def marginal_expectations(
    p: Sequence[float] | np.ndarray,
    sizes: Sequence[int],
    *,
    real: int = 0,
    functions: Sequence[str] = ("zero", "alive"),
    method: str | None = None,
) -> MarginalResult:
    r"""Exact :math:`E\,\varphi(p_g[k])` for every category, from the marginal chains (see the module notes).

    Parameters
    ----------
    p : array_like
        The distribution (any order; results follow it).
    sizes : sequence of int
        :math:`M_0, \dots, M_{g-1}`.
    real : int
        :math:`R`, fresh real tokens per generation (0: replace).
    functions : sequence of str
        Keys of :data:`PHIS`: ``zero`` (:math:`P(p_g[k] = 0)`), ``alive`` (:math:`P(p_g[k] > 0)`, computed
        directly), ``entropy`` (:math:`E[-p_g[k] \log p_g[k]]`).
    method : {None, "backward", "forward"}
        Default: backward for replace, forward for mix.

    Examples
    --------
    One generation: :math:`P(p_1[k] = 0) = (1 - p_k)^{M_0}`.

    >>> r = marginal_expectations([0.5, 0.3, 0.2], [4])
    >>> [round(float(v), 6) for v in r.values["zero"]]
    [0.0625, 0.2401, 0.4096]
    >>> r2 = marginal_expectations([0.5, 0.3, 0.2], [4, 6, 3], method="forward")
    >>> r3 = marginal_expectations([0.5, 0.3, 0.2], [4, 6, 3], method="backward")
    >>> bool(np.allclose(r2.values["zero"], r3.values["zero"], rtol=1e-12, atol=0))
    True
    """
    pk = np.asarray(p, dtype=np.float64)
    real = check_integer("real", real, minimum=0)
    sizes_t = _check_schedule(sizes, real)
    for f in functions:
        check_choice("function", f, tuple(PHIS))
    method = method or ("backward" if real == 0 else "forward")
    check_choice("method", method, ("backward", "forward"))
    if method == "backward":
        if real:
            raise ParameterError("method backward needs real = 0 (the mix transition depends on the category)")
        return _backward(pk, sizes_t, tuple(functions))
    return _forward(pk, sizes_t, real, tuple(functions))


def _backward(p: np.ndarray, sizes: tuple[int, ...], functions: tuple[str, ...]) -> MarginalResult:
    g = len(sizes)
    last = sizes[-1]
    u = {f: PHIS[f](np.arange(last + 1) / last) for f in functions}
    error = 0.0
    for i in range(g - 1, 0, -1):  # u_i over counts of generation i (0..M_{i-1}), transition to i+1
        band = _band(sizes[i - 1], sizes[i])
        u = {f: np.minimum(band.backward(v), 1.0 if f != "entropy" else np.inf) for f, v in u.items()}
        error += 2 * TOL
    out = {f: np.empty(p.shape[0]) for f in functions}
    for k, pk in enumerate(p):
        law, lo = _first_law(sizes[0], float(pk))
        for f in functions:
            out[f][k] = float(np.dot(law, u[f][lo : lo + law.shape[0]]))
    return MarginalResult(out, error + 2 * TOL, "backward-band")


def _forward(p: np.ndarray, sizes: tuple[int, ...], real: int, functions: tuple[str, ...]) -> MarginalResult:
    out = {f: np.empty(p.shape[0]) for f in functions}
    worst = 0.0
    for k, pk in enumerate(p):
        law, lo = _first_law(sizes[0], float(pk))
        lost = 2 * TOL
        real_law, real_lo = _first_law(real, float(pk)) if real else (np.ones(1), 0)
        for i in range(1, len(sizes)):
            band = _band(sizes[i - 1], sizes[i] - real)
            law, lo = band.forward(law, lo)
            lost += 2 * TOL
            if real:
                law = np.convolve(law, real_law)
                lo += real_lo
                lost += 2 * TOL
            law, lo, cut = _trim(law, lo)
            lost += cut
        x = np.arange(lo, lo + law.shape[0]) / sizes[-1]
        for f in functions:
            out[f][k] = float(np.dot(law, PHIS[f](x)))
        worst = max(worst, lost)
    return MarginalResult(out, worst, "forward-window")


def stationary_expectations(
    p: Sequence[float] | np.ndarray,
    size: int,
    real: int,
    *,
    functions: Sequence[str] = ("zero", "alive"),
    tol: float = 1e-13,
    max_generations: int = 200_000,
) -> MarginalResult:
    r"""Stationary :math:`E\,arphi(p_\infty[k])` of the mix chain at constant size (``1 <= real <= size``).

    With :math:`R \ge 1` fresh real tokens the count chain of a category with :math:`0 < p_k < 1` is
    irreducible and aperiodic on :math:`\{0, \dots, M\}` (every count is reachable in one step from every
    count), so it has one stationary law :math:`\pi_k` and no absorbing state: no category goes extinct for
    good, yet :math:`\pi_k(0) > 0` -- a category is absent from a given generation with that probability.
    The law is iterated from :math:`	ext{Bin}(M, p_k)` until one generation moves it by less than ``tol``
    in total variation (``error`` adds the discarded mass); ``method`` records the generations used.

    >>> r = stationary_expectations([0.5, 0.5], 4, 4)  # all real: a fresh Bin(4, 1/2) every generation
    >>> [round(float(v), 12) for v in r.values["zero"]]
    [0.0625, 0.0625]
    """
    pk = np.asarray(p, dtype=np.float64)
    size = check_integer("size", size, minimum=1)
    real = check_integer("real", real, minimum=1, maximum=size)
    band = _band(size, size - real)
    out = {f: np.empty(pk.shape[0]) for f in functions}
    worst, most = 0.0, 0
    for k, prob in enumerate(pk):
        law, lo = _first_law(size, float(prob))
        real_law, real_lo = _first_law(real, float(prob))
        lost = 2 * TOL
        for n in range(1, max_generations + 1):
            new, nlo = band.forward(law, lo)
            new = np.convolve(new, real_law)
            nlo += real_lo
            new, nlo, cut = _trim(new, nlo)
            lost += cut + 4 * TOL
            a, b = min(lo, nlo), max(lo + law.shape[0], nlo + new.shape[0])
            old_full, new_full = np.zeros(b - a), np.zeros(b - a)
            old_full[lo - a : lo - a + law.shape[0]] = law
            new_full[nlo - a : nlo - a + new.shape[0]] = new
            law, lo = new, nlo
            if 0.5 * np.abs(new_full - old_full).sum() < tol:
                break
        else:
            raise ParameterError(f"max_generations must allow the mix chain to converge (got {max_generations})")
        most = max(most, n)
        x = np.arange(lo, lo + law.shape[0]) / size
        for f in functions:
            out[f][k] = float(np.dot(law, PHIS[f](x)))
        worst = max(worst, lost)
    return MarginalResult(out, worst, f"forward-window to stationarity ({most} generations at most, TV step < {tol:g})")


def real_tokens_for_support(p: Sequence[float] | np.ndarray, size: int, fraction: float) -> int:
    r"""The fewest real tokens :math:`R` per generation of :math:`M` for which the stationary expected
    support is at least ``fraction`` of :math:`K` (bisection; the stationary support increases with
    :math:`R`, which the tests check on a grid).  ``size`` itself if even :math:`R = M` falls short:
    a fresh sample of :math:`M` tokens misses category :math:`k` with probability :math:`(1 - p_k)^M`.

    >>> real_tokens_for_support([0.5, 0.5], 10, 0.5)
    1
    """
    pk = np.asarray(p, dtype=np.float64)
    frac = float(fraction)
    if not (0.0 < frac <= 1.0):
        raise ParameterError(f"fraction must be a number in (0, 1] (got {fraction!r})")
    target = frac * pk.shape[0]

    def support(r: int) -> float:
        return float(stationary_expectations(pk, size, r, functions=("alive",)).values["alive"].sum())

    lo, hi = 1, size
    if support(hi) < target:
        return size
    while lo < hi:
        mid = (lo + hi) // 2
        if support(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _trim(law: np.ndarray, lo: int) -> tuple[np.ndarray, int, float]:
    """Drop the edges of a law where it is below ``TOL``; return the discarded mass."""
    big = np.flatnonzero(law > TOL)
    if big.size == 0:  # pragma: no cover - a law always has mass above TOL
        return law, lo, 0.0
    a, b = int(big[0]), int(big[-1]) + 1
    cut = float(law[:a].sum() + law[b:].sum())
    return law[a:b], lo + a, cut


@functools.lru_cache(maxsize=64)
def composition_moments(real: int, synthetic: int, recall: float, fpr: float) -> tuple[float, float, float, float]:
    r"""Moments of the kept composition of one generation under a detector.

    Of :math:`R` real and :math:`S` synthetic tokens the detector keeps :math:`a \sim 	ext{Bin}(R, 1 - f)`
    and :math:`b \sim 	ext{Bin}(S, 1 - 
ho)` (independent; :math:`f` the false-positive rate, :math:`
ho`
    the recall); :math:`n = a + b`.  Returns :math:`(P(n = 0),\ E[b(b-1)/n^2; n > 0],\ E[1/n; n > 0],    E[b/n; n > 0])` -- the coefficients of the squared-distance recursion averaged over the composition.
    Sums over the windows where the binomials exceed :data:`TOL` (error below ``4 * TOL``).

    >>> composition_moments(0, 10, 0.0, 0.0)  # no detector, replace: (0, (1 - 1/M), 1/M, 1)
    (0.0, 0.9, 0.1, 1.0)
    """
    pa, a0 = _first_law(real, 1.0 - fpr) if real else (np.ones(1), 0)
    pb, b0 = _first_law(synthetic, 1.0 - recall) if synthetic else (np.ones(1), 0)
    a = np.arange(a0, a0 + pa.shape[0])[:, None]
    b = np.arange(b0, b0 + pb.shape[0])[None, :]
    w = pa[:, None] * pb[None, :]
    n = a + b
    pos = n > 0
    nn = np.where(pos, n, 1).astype(np.float64)
    bb = np.broadcast_to(b, n.shape).astype(np.float64)
    return (
        float(w[~pos].sum()),
        float((w * np.where(pos, bb * (bb - 1) / nn**2, 0.0)).sum()),
        float((w * np.where(pos, 1.0 / nn, 0.0)).sum()),
        float((w * np.where(pos, bb / nn, 0.0)).sum()),
    )


def galton_watson_zero(p: Sequence[float] | np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    r"""Under replace, the upper bound :math:`P(p_g[k] = 0) \le (1 - p_k (1 - Q_1))^{M_0}` from a
    Galton-Watson process with Poisson(:math:`M_i / M_{i-1}`) offspring.

    The binomial pgf is below the Poisson one, :math:`(1 - q(1-s))^{M} \le e^{-qM(1-s)}`, so
    :math:`E[s^{X_{i+1}} \mid X_i = x] \le f_i(s)^x` with :math:`f_i(s) = e^{(M_i/M_{i-1})(s - 1)}`;
    by induction :math:`P(X_g = 0 \mid X_i = x) \le Q_i^x` with :math:`Q_g = 0`,
    :math:`Q_i = f_i(Q_{i+1})`.  It is also the "branching approximation" of the literature, which the
    exact values are tested against.

    >>> bool((galton_watson_zero([0.3, 0.7], [5, 5, 5]) >= marginal_expectations([0.3, 0.7], [5, 5, 5]).values["zero"]).all())
    True
    """
    pk = np.asarray(p, dtype=np.float64)
    sizes_t = _check_schedule(sizes, 0)
    Q = 0.0
    for i in range(len(sizes_t) - 1, 0, -1):
        Q = math.exp(sizes_t[i] / sizes_t[i - 1] * (Q - 1.0))
    return (1.0 - pk * (1.0 - Q)) ** sizes_t[0]


def dense_zero_probabilities(p: Sequence[float] | np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    r"""Baseline: :math:`P(p_g[k] = 0)` under replace with the dense :math:`(M+1) \times (M+1)` transition
    matrices (backward pass shared by the categories, no truncation).  Memory :math:`O(M^2)`: for the
    benchmark and for tests at small sizes.

    >>> bool(np.allclose(dense_zero_probabilities([0.5, 0.5], [3, 3]),
    ...                  marginal_expectations([0.5, 0.5], [3, 3]).values["zero"], rtol=1e-13))
    True
    """
    pk = np.asarray(p, dtype=np.float64)
    sizes_t = _check_schedule(sizes, 0)
    last = sizes_t[-1]
    h = (np.arange(last + 1) == 0).astype(np.float64)
    for i in range(len(sizes_t) - 1, 0, -1):
        prev, m = sizes_t[i - 1], sizes_t[i]
        T = sps.binom.pmf(np.arange(m + 1)[None, :], m, (np.arange(prev + 1) / prev)[:, None])
        h = T @ h
    first = sps.binom.pmf(np.arange(sizes_t[0] + 1)[None, :], sizes_t[0], pk[:, None])
    return first @ h


# ---------------------------------------------------------------------------------------------------------
# samplers


_STATS = ("mean_sq_dist", "heterozygosity", "expected_support", "missing_mass", "tail_mass_present",
          "tail_support", "mean_tail_mass", "mean_entropy")
"""Per-chain statistics; the estimates of :meth:`SimulationResult.estimates` are their chain means."""


def chain_statistics(freq: np.ndarray, p: np.ndarray, tail_rank: int) -> dict[str, np.ndarray]:
    r"""Per-chain statistics of fitted distributions ``freq`` (chains x K) against the original ``p``.

    ============================  ==============================================================
    ``mean_sq_dist``              :math:`\|p_g - p\|^2`
    ``heterozygosity``            :math:`(1 - \sum_k p_g[k]^2) / (1 - \sum_k p_k^2)`
    ``expected_support``          :math:`\#\{k : p_g[k] > 0\}`
    ``missing_mass``              :math:`\sum_k p_k [p_g[k] = 0]`
    ``tail_mass_present``         :math:`\sum_{k > r} p_k [p_g[k] > 0]` (ranks above ``tail_rank``)
    ``tail_support``              :math:`\#\{k > r : p_g[k] > 0\}`
    ``mean_tail_mass``            :math:`\sum_{k > r} p_g[k]`
    ``mean_entropy``              :math:`-\sum_k p_g[k] \log p_g[k]` (nats)
    ============================  ==============================================================

    >>> s = chain_statistics(np.array([[0.5, 0.5, 0.0]]), np.array([0.5, 0.25, 0.25]), 1)
    >>> {k: float(v[0]) for k, v in s.items() if k in ("expected_support", "missing_mass", "tail_support")}
    {'expected_support': 2.0, 'missing_mass': 0.25, 'tail_support': 1.0}
    """
    alive = freq > 0
    d = freq - p
    tail = slice(tail_rank, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(alive, np.log(np.where(alive, freq, 1.0)), 0.0)
    return {
        "mean_sq_dist": np.einsum("ck,ck->c", d, d),
        "heterozygosity": (1.0 - np.einsum("ck,ck->c", freq, freq)) / (1.0 - float(np.dot(p, p))),
        "expected_support": alive.sum(axis=1).astype(np.float64),
        "missing_mass": (~alive) @ p,
        "tail_mass_present": alive[:, tail] @ p[tail],
        "tail_support": alive[:, tail].sum(axis=1).astype(np.float64),
        "mean_tail_mass": freq[:, tail].sum(axis=1),
        "mean_entropy": -np.einsum("ck,ck->c", freq, logs),
    }


@dataclass(frozen=True)
class _Params:
    p: np.ndarray
    sizes: tuple[int, ...]
    real: int
    recall: float
    fpr: float
    tail_rank: int
    sampler: str
    record_all: bool
    trajectories: bool


@dataclass(frozen=True)
class _Partial:
    chains: int
    summaries: tuple[dict[str, MomentSummary], ...]
    paths: tuple[dict[str, np.ndarray], ...] = ()

    def merge(self, other: _Partial) -> _Partial:
        return _Partial(
            self.chains + other.chains,
            tuple({k: a[k].merge(b[k]) for k in a} for a, b in zip(self.summaries, other.summaries, strict=True)),
            self.paths + other.paths,
        )


def _kept(rng: np.random.Generator, counts: np.ndarray, keep: float) -> np.ndarray:
    """Each token kept independently with probability ``keep`` (a binomial thinning of the counts)."""
    if keep >= 1.0:
        return counts
    if keep <= 0.0:
        return np.zeros_like(counts)
    return rng.binomial(counts, keep)


def _draw_exact(rng: np.random.Generator, n: int, prob: np.ndarray) -> np.ndarray:
    """Counts of ``n`` tokens from each row of ``prob`` (chains x K), one multinomial per chain."""
    if n == 0:
        return np.zeros(prob.shape, dtype=np.int64)
    return rng.multinomial(n, prob)


def _draw_brute(rng: np.random.Generator, n: int, prob: np.ndarray) -> np.ndarray:
    """Draw every one of the ``n`` tokens of every chain (inverse CDF) and count them with bincount."""
    chains, K = prob.shape
    out = np.zeros((chains, K), dtype=np.int64)
    if n == 0:
        return out
    cum = np.cumsum(prob, axis=1)
    cum[:, -1] = 1.0 + 1e-12  # guard the last edge against rounding
    block = max(1, _BRUTE_BLOCK // n)
    for a in range(0, chains, block):
        b = min(chains, a + block)
        offset = np.arange(b - a)[:, None]
        u = rng.random((b - a, n)) + offset
        flat = (cum[a:b] + offset).ravel()
        idx = np.searchsorted(flat, u.ravel(), side="right")
        out[a:b] = np.bincount(idx, minlength=(b - a) * K).reshape(b - a, K)
    return out


def _chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    rng = np.random.Generator(np.random.PCG64(seed))
    draw = _draw_exact if p.sampler == "exact" else _draw_brute
    K = p.p.shape[0]
    freq = np.broadcast_to(p.p, (n, K))
    base = np.broadcast_to(p.p, (n, K))
    g = len(p.sizes)
    summaries = []
    paths: dict[str, list[np.ndarray]] = {"support": [np.full(n, float(K))], "missing_mass": [np.zeros(n)]}
    for i, m in enumerate(p.sizes):
        real = p.real if i > 0 else 0  # generation 0 draws every token from p itself
        synth = m - real
        if i == 0:
            counts = draw(rng, m, base)
            real_c, synth_c = counts, np.zeros_like(counts)
            kept = _kept(rng, counts, 1.0 - p.fpr) if p.recall or p.fpr else counts
        else:
            real_c = draw(rng, real, base)
            synth_c = draw(rng, synth, freq)
            if p.recall or p.fpr:
                kept = _kept(rng, real_c, 1.0 - p.fpr) + _kept(rng, synth_c, 1.0 - p.recall)
            else:
                kept = real_c + synth_c
        total = kept.sum(axis=1)
        empty = total == 0
        if empty.any():  # the detector removed every token: the model is not refit (kept as it was)
            new = np.array(freq, dtype=np.float64)
            ok = ~empty
            new[ok] = kept[ok] / total[ok, None]
        else:
            new = kept / total[:, None]
        freq = new
        gen = i + 1
        if p.trajectories:
            paths["support"].append((freq > 0).sum(axis=1).astype(np.float64))
            paths["missing_mass"].append((freq == 0) @ p.p)
        if gen == g or p.record_all:
            stats = chain_statistics(freq, p.p, p.tail_rank)
            summaries.append({k: MomentSummary.from_array(v) for k, v in stats.items()})
    out_paths: tuple[dict[str, np.ndarray], ...] = ()
    if p.trajectories:
        ranked = -np.sort(-freq, axis=1)
        out_paths = ({**{k: np.stack(v, axis=1) for k, v in paths.items()}, "rank_frequency": ranked},)
    return _Partial(n, tuple(summaries), out_paths)


@dataclass(frozen=True)
class SimulationResult:
    """Summaries of a :func:`simulate` run (chain means of :func:`chain_statistics`) and its provenance."""

    dist: str
    K: int
    sizes: tuple[int, ...]
    real: int
    chains: int
    seed: int | tuple[int, ...]
    sampler: str
    record: str
    summaries: dict[int, dict[str, MomentSummary]] = field(repr=False)
    traced: dict[str, np.ndarray] | None = field(default=None, repr=False)
    p: np.ndarray | None = field(default=None, repr=False)

    model = "categorical"

    @property
    def generations(self) -> tuple[int, ...]:
        return tuple(self.summaries)

    def estimates(self, generation: int | None = None) -> dict[str, Estimate]:
        """Chain means with standard errors at a recorded generation (default: the last)."""
        return {k: s.mean() for k, s in recorded(self.summaries, generation, len(self.sizes)).items()}

    def paths(self) -> dict[str, np.ndarray]:
        """Per-chain paths over generations ``0..g`` (``trajectories=True``): ``support``, ``missing_mass``."""
        if self.traced is None:
            raise ParameterError("paths() needs a run with trajectories=True")
        return {k: v for k, v in self.traced.items() if k != "rank_frequency"}

    def profiles(self) -> dict[str, np.ndarray]:
        """Per-chain profiles at generation ``g`` (``trajectories=True``): ``rank_frequency`` (each chain's
        ``p_g`` sorted decreasingly, chains x K) and ``p`` (the original, 1 x K)."""
        if self.traced is None or self.p is None:
            raise ParameterError("profiles() needs a run with trajectories=True")
        return {"rank_frequency": self.traced["rank_frequency"], "p": self.p[None, :]}

    def to_dict(self) -> dict[str, object]:
        seed = seed_json(self.seed)
        return {
            "model": self.model,
            "chains": self.chains,
            "seed": seed,
            "sampler": self.sampler,
            "estimates": {k: e.to_dict() for k, e in self.estimates().items()},
        }


def simulate(
    dist: str | Distribution,
    sizes: Sequence[int],
    chains: int,
    *,
    scheme: str = "replace",
    real: int = 0,
    tail_rank: int = 0,
    detector_recall: float = 0.0,
    detector_fpr: float = 0.0,
    per_category: bool = False,
    seed: object = None,
    sampler: str = "exact",
    record: str = "final",
    trajectories: bool = False,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
) -> SimulationResult:
    r"""Simulate ``chains`` independent chains of categorical resampling.

    ``sampler="exact"`` draws each generation's counts as one multinomial per chain
    (:meth:`numpy.random.Generator.multinomial`, vectorised over chains); ``"brute"`` draws every token
    and counts them (:func:`numpy.bincount`).  Under a detector (``detector_recall``, ``detector_fpr``)
    each synthetic token is kept with probability ``1 - recall`` and each real token with probability
    ``1 - fpr``; the model is refit on the kept tokens (kept as it was if none is kept).  Generation 0
    trains on ``sizes[0]`` real tokens.  ``per_category`` is a theory option and is ignored here.

    Examples
    --------
    >>> res = simulate("zipf:1,5", [10, 10], 4000, seed=1)
    >>> est = res.estimates()
    >>> abs(est["mean_tail_mass"].value - 1.0) < 1e-12  # tail_rank 0: the whole mass, conserved pathwise
    True
    """
    d = dist if isinstance(dist, Distribution) else parse_distribution(dist)
    scheme = check_choice("scheme", scheme, SCHEMES)
    real = check_integer("real", real, minimum=0)
    if scheme == "replace" and real:
        raise ParameterError(f"real must be 0 for scheme replace (got {real}); use --scheme mix")
    sizes_t = _check_schedule(sizes, real)
    chains = check_integer("chains", chains, minimum=2)
    tail_rank = check_integer("tail_rank", tail_rank, minimum=0, maximum=d.K - 1)
    recall, fpr = _check_rate("detector_recall", detector_recall), _check_rate("detector_fpr", detector_fpr)
    sampler = check_choice("sampler", sampler, SAMPLERS)
    record = check_choice("record", record, RECORDS)
    chunk = DEFAULT_CHUNK_SIZE if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    params = _Params(d.p, sizes_t, real, recall, fpr, tail_rank, sampler, record == "all", bool(trajectories))
    root = as_seed_sequence(seed)
    part: _Partial = run_chunks(_chunk, params, chains, chunk, root, executor=executor, workers=workers,
                                progress=progress)
    gens = range(1, len(sizes_t) + 1) if record == "all" else (len(sizes_t),)
    traced = None
    if trajectories:
        traced = {k: np.concatenate([pp[k] for pp in part.paths]) for k in part.paths[0]}
    ent = root.entropy
    return SimulationResult(
        dist=d.spec, K=d.K, sizes=sizes_t, real=real, chains=chains,
        seed=ent if isinstance(ent, int) else tuple(int(e) for e in ent),  # type: ignore[union-attr]
        sampler=sampler, record=record, summaries=dict(zip(gens, part.summaries, strict=True)),
        traced=traced, p=d.p,
    )


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number between 0 and 1 (got {value!r})")
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number between 0 and 1 (got {value!r})") from None
    if not (0.0 <= v <= 1.0):
        raise ParameterError(f"{name} must be a number between 0 and 1 (got {value!r})")
    return v
