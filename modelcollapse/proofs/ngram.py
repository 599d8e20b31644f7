r"""The n-gram language model trained on its own text: theory, claims, declaration.

The theory uses the **fixed-context-position** reading (``mode="contexts"``, Seddik et al.'s setting):
every generation gives each context :math:`c` exactly :math:`N_c` next tokens, i.i.d. from the current
:math:`P_i(\cdot \mid c)`, so every context's next-token law is the ``categorical`` model
(:mod:`modelcollapse.proofs.categorical`) with :math:`p = P_0(\cdot \mid c)`, :math:`M_i = N_c` and
:math:`R_c` real tokens, and different contexts evolve independently.  Hence, exactly (from the
categorical marginal chains):

* the support quantities -- ``distinct_1``, ``distinct_2``, ``bigram_types_present`` -- through
  :math:`P(\text{absent}) = \prod_c P(X_{c,w} = 0)` over the contexts that could produce a token or a
  bigram type;
* ``conditional_entropy`` :math:`= \sum_c (N_c/N) E\,H(P_g(\cdot \mid c))` (the context weights are fixed);
* ``collapsed_contexts``, through :math:`P(P_g(\cdot \mid c) = \delta_w) = P(X_{c,w} = N_c)`;
* ``mean_sq_dist`` :math:`= \sum_c (N_c/N) E\|P_g(\cdot \mid c) - P_0(\cdot \mid c)\|^2` in closed form
  (:mod:`modelcollapse.symbolic.ngram`).

``unigram_entropy`` (the entropy of :math:`\sum_c X_{c,w}/N`, a non-linear function of a sum over
contexts) has no exact form here: simulation.  In the free-running reading (``mode="free"``, a text
written token by token) a context's visits depend on the successors drawn, its next tokens are not a
multinomial sample of fixed size and nothing exact is claimed; :func:`departure` measures by simulation
how far it is from the fixed-context theory.

**Seddik et al.'s statement, exactly.**  With fixed context positions and fresh real tokens, context
:math:`c` collapses (its law is absorbed at a point mass) with probability one iff :math:`R_c = 0`,
whatever the amount of synthetic data; with :math:`R_c \ge 1` its count chains have no absorbing state and
:math:`E\|P_\infty - P_0\|^2 = H_c N_c / (N_c^2 - S_c(S_c - 1))`, :math:`S_c = N_c - R_c`.  A maximal
amount of synthetic data exists only against a tolerance (:func:`max_synthetic_tokens`): at a fixed total
it is :math:`S_c \le S^*(\varepsilon)`; at a fixed number of real tokens more synthetic tokens *lower* the
stationary distance (:math:`H_c/R_c \to H_c/(2R_c + 1)`), so there is no maximum in that reading.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .._validation import DEFAULT_SEED, ParameterError, check_integer
from ..models import Figure, Model, Parameter, Quantity, TheoryResult
from ..numeric import categorical as NC
from ..numeric import ngram as N
from ..symbolic import categorical as SC
from ..symbolic import ngram as S
from . import categorical as C
from .claim import Claim, DerivationStep

NAME = "ngram"

QUANTITIES = ("distinct_1", "distinct_2", "unigram_entropy", "conditional_entropy", "bigram_types_present",
              "collapsed_contexts", "mean_sq_dist")
_EXACT = ("distinct_1", "distinct_2", "conditional_entropy", "bigram_types_present", "collapsed_contexts",
          "mean_sq_dist")

_LATEX = {
    "distinct_1": r"{E\,\#\{w : \sum_c X_{c,w} > 0\} / N}",
    "distinct_2": r"{E\,\#\{\text{bigram types at } g\} / N}",
    "unigram_entropy": r"{E\,H(\sum_c X_{c,\cdot} / N)}",
    "conditional_entropy": r"E \sum_c \frac{N_c}{N} {H(P_g(\cdot \mid c))}",
    "bigram_types_present": r"{E\,\#\{\text{corpus bigrams at } g\} / B}",
    "collapsed_contexts": r"{E\,\#\{c \in C_2 : P_g(\cdot \mid c) = \delta\} / |C_2|}",
    "mean_sq_dist": r"E \sum_c \frac{N_c}{N} {\|P_g(\cdot \mid c) - P_0(\cdot \mid c)\|^2}",
}
"""LaTeX of the quantities (also matplotlib mathtext): atoms in braces, so that a fragment breaks only
between factors and terms."""
_TEXT = {
    "distinct_1": "distinct-1: distinct tokens among the N next tokens of generation g, over N",
    "distinct_2": "distinct-2: distinct bigram types (consecutive tokens) of generation g, over N",
    "unigram_entropy": "entropy (nats) of the next-token frequencies of generation g (simulation only)",
    "conditional_entropy": "conditional entropy (nats) of the next token given the context, fitted model",
    "bigram_types_present": "fraction of the corpus's bigram types still present in generation g",
    "collapsed_contexts": "fraction of the contexts with >= 2 successor types in the corpus whose law is a point mass",
    "mean_sq_dist": "context-weighted squared distance of the next-token laws to the corpus's (contexts mode)",
}

READING = ("fixed context positions: every generation gives context c exactly N_c next tokens, i.i.d. from "
           "P_i(.|c) (Seddik et al.'s setting); each context is the categorical model with p = P_0(.|c), M = N_c; "
           "under mix the first R positions get a real token drawn fresh from P_0(.|c_t)")
_NO_FREE = ("no exact form in mode free: a context's number of visits in a free-running text depends on the "
            "successors drawn before, so its next tokens are not a multinomial sample of fixed size; simulated "
            "(extra.fixed_context_reading holds the contexts-mode values for comparison)")
_NO_UNIGRAM = ("no exact form: the entropy of sum_c X_{c,w} / N is a non-linear function of a sum over "
               "independent contexts; simulated")
_NO_SERIES = {
    "mean_sq_dist": "not needed: the exact closed form is given",
    "unigram_entropy": "none: simulated",
    "": "no 1/N series: the support probabilities are exponentially small in N_c p; exact values from the marginal chains",
}


# ---------------------------------------------------------------------------------------------------------
# theory


def _corpus(params: Mapping[str, Any]) -> N.Corpus:
    return N.load_corpus(params["corpus"], params["tokens"], params["ngram"])


def _validate(params: dict[str, Any]) -> dict[str, Any]:
    c = _corpus(params)
    N.check_run(c, params["mode"], params["scheme"], params["real"])
    return params


def context_groups(c: N.Corpus, real: int) -> list[tuple[int, int, float]]:
    r"""The contexts with two or more successor types, grouped by :math:`(N_c, R_c)` with the weight
    :math:`\sum (N_c / N) H_c`, :math:`H_c = 1 - \sum_w P_0(w \mid c)^2` (the input of
    :func:`~modelcollapse.symbolic.ngram.weighted_distance`)."""
    rc = c.real_counts(real)
    p0 = c.p0
    out: dict[tuple[int, int], float] = {}
    for ctx in c.multi:
        a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
        h = 1.0 - float(np.dot(p0[a:b], p0[a:b]))
        key = (int(c.ctx_count[ctx]), int(rc[ctx]))
        out[key] = out.get(key, 0.0) + float(c.ctx_count[ctx]) / c.N * h
    return [(m, r, w) for (m, r), w in sorted(out.items())]


def exact_values(params: Mapping[str, Any], generations: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Every quantity with an exact form at the given generations (default: the last), contexts mode.

    One dict per generation: the quantities (floats; ``mean_sq_dist`` an mpmath number; ``unigram_entropy``
    ``None``), ``_error`` (the marginal laws' bound on each probability) and ``_marginals``.
    """
    c = _corpus(params)
    real = int(params["real"])
    gens = tuple(generations) if generations is not None else (int(params["generations"]),)
    dist = S.weighted_distance(context_groups(c, real), max(gens))
    out = []
    for j in gens:
        m = N.pair_marginals(c, j, real)
        out.append({**N.exact_statistics(c, m), "unigram_entropy": None, "mean_sq_dist": dist[j - 1],
                    "_error": m.error, "_marginals": m})
    return out


def max_synthetic_tokens(params: Mapping[str, Any], epsilon: float) -> dict[str, Any]:
    r"""The most synthetic tokens :math:`N - R` per generation (real tokens at the first :math:`R`
    positions, contexts mode, mix) for which the stationary ``mean_sq_dist`` is at most ``epsilon``
    (bisection: it decreases in :math:`R`, since every :math:`R_c` does), with the value reached;
    ``None`` when even :math:`R = N` exceeds it.

    >>> p = MODEL.resolve({"corpus": "text:a b a c a b b a", "tokens": 8, "scheme": "mix", "real": 1})
    >>> max_synthetic_tokens(p, 0.2)["synthetic"]
    6
    """
    c = _corpus(params)
    eps = float(epsilon)
    if not (math.isfinite(eps) and eps > 0):
        raise ParameterError(f"epsilon must be a finite number > 0 (got {epsilon!r})")

    def d_inf(r: int) -> float:
        return float(S.weighted_stationary_distance(context_groups(c, r)))

    if d_inf(c.N) > eps:
        return {"synthetic": None, "real": None, "stationary_mean_sq_dist": d_inf(c.N), "epsilon": eps}
    lo, hi = 0, c.N
    while lo < hi:
        mid = (lo + hi) // 2
        if d_inf(mid) <= eps:
            hi = mid
        else:
            lo = mid + 1
    return {"synthetic": c.N - lo, "real": lo, "stationary_mean_sq_dist": d_inf(lo), "epsilon": eps}


VERDICT = (
    "Seddik et al. (2404.05090, as read from the abstract): mixing real and synthetic data, there is a maximal "
    "amount of synthetic data below which model collapse can eventually be avoided. Exactly, for this model "
    "(fixed context positions, fresh real tokens): a context collapses with probability 1 iff it receives no real "
    "token (R_c = 0), whatever the amount of synthetic data; with R_c >= 1 it never collapses (no absorbing state) "
    "and E||P_inf - P_0||^2 = H_c N_c / (N_c^2 - S_c (S_c - 1)), S_c = N_c - R_c. So per context the maximal "
    "synthetic amount is S_c = N_c - 1 (one real token suffices); against a distance tolerance eps it is the "
    "largest S with S (S - 1) <= N_c^2 - H_c N_c / eps; at a fixed number of real tokens, more synthetic tokens "
    "lower the stationary distance (H_c/R_c down to H_c/(2 R_c + 1)): no maximal amount in that reading."
)


def seddik_condition(params: Mapping[str, Any]) -> dict[str, Any]:
    """The exact collapse condition under mix at these parameters (contexts mode): how many contexts get no
    real token (they collapse with probability 1), the fewest real tokens (a corpus prefix) that reach every
    context with two or more successor types, and the stationary ``mean_sq_dist``.

    >>> p = MODEL.resolve({"corpus": "text:a b a c a b b a", "tokens": 8, "scheme": "mix", "real": 1})
    >>> s = seddik_condition(p); s["contexts_without_real_tokens"], s["real_tokens_for_no_collapse"]
    (1, 2)
    """
    c = _corpus(params)
    real = int(params["real"])
    rc = c.real_counts(real)
    multi = c.multi
    first = np.full(c.C, c.N, dtype=np.int64)
    np.minimum.at(first, c.ctx_id, np.arange(c.N))
    need = int(first[multi].max()) + 1 if multi.size else 0
    return {
        "contexts_with_two_or_more_successors": int(multi.size),
        "contexts_without_real_tokens": int((rc[multi] == 0).sum()),
        "real_tokens_for_no_collapse": need,
        "max_synthetic_tokens_without_collapse": c.N - need,
        "stationary_mean_sq_dist": float(S.weighted_stationary_distance(context_groups(c, real))),
        "verdict": VERDICT,
    }


def theory(*, corpus: str, tokens: int, ngram: int = 2, generations: int = 10, mode: str = "contexts",
           scheme: str = "replace", real: int = 0, order: int = 2, digits: int = 17, record: str = "final") -> Any:
    r"""Exact values of the fixed-context quantities (``mode="contexts"``); ``None`` with reasons in ``free``
    mode (``extra.fixed_context_reading`` then holds the contexts-mode values).

    >>> t = theory(corpus="text:a b a c", tokens=4, generations=1)
    >>> float(t.exact["distinct_1"]), t.exact["unigram_entropy"]
    (0.625, None)
    """
    params = _validate({"corpus": corpus, "tokens": tokens, "ngram": ngram, "generations": generations,
                        "mode": mode, "scheme": scheme, "real": real})
    c = _corpus(params)
    g = int(generations)
    gens = range(1, g + 1) if record == "all" else (g,)
    base = {**params, "mode": "contexts"}
    values = exact_values(base, gens) if mode == "contexts" else [None] * len(gens)
    reference = exact_values(base)[0] if mode == "free" else None
    results = []
    with mpmath.workdps(digits + 5):
        for j, v in zip(gens, values, strict=True):
            if v is None:
                exact = {q: None for q in QUANTITIES}
                no_exact = {q: _NO_FREE for q in QUANTITIES}
                error = 0.0
            else:
                exact = {q: None if v[q] is None else mpmath.mpf(v[q]) for q in QUANTITIES}
                no_exact = {"unigram_entropy": _NO_UNIGRAM}
                error = v["_error"]
            extra: dict[str, Any] = {
                **c.describe(), "reading": READING,
                "accuracy": {"method": "categorical marginal chains per context (float64), products over contexts in "
                                       "logarithms; mean_sq_dist in closed form (mpmath)",
                             "absolute_error_bound_per_probability": error},
            }
            if reference is not None:
                extra["fixed_context_reading"] = {q: None if reference[q] is None else float(reference[q])
                                                  for q in QUANTITIES}
            if scheme == "mix" and j == g:
                extra["seddik"] = seddik_condition(params)
            results.append(TheoryResult(generation=j, exact=exact, series={}, order=order, absolute=dict(exact),
                                        no_exact=no_exact, no_series={q: _NO_SERIES.get(q, _NO_SERIES[""]) for q in QUANTITIES}, extra=extra))
    return results if record == "all" else results[0]


def departure(params: Mapping[str, Any], chains: int = 2000, *, seed: object = DEFAULT_SEED,
              record: str = "all") -> dict[str, Any]:
    """Simulation (labelled so): how far the free-running text model is from the fixed-context theory.

    Per generation and quantity: the fixed-context value (exact where it has one, else Monte Carlo), the
    free-running Monte Carlo estimate and standard error, and their z-score and relative difference.
    """
    params = MODEL.resolve({**params, "mode": "contexts"})
    g = int(params["generations"])
    gens = list(range(1, g + 1)) if record == "all" else [g]
    exact = dict(zip(gens, exact_values(params, gens), strict=True))
    root = np.random.SeedSequence(seed) if not isinstance(seed, np.random.SeedSequence) else seed
    s_free, s_ctx = root.spawn(2)
    sim = {k: v for k, v in params.items() if k != "mode"}
    free = N.simulate(**sim, chains=chains, mode="free", seed=s_free, record=record)
    ctx = N.simulate(**sim, chains=chains, mode="contexts", seed=s_ctx, record=record)
    rows = []
    for j in gens:
        ef, ec = free.estimates(j), ctx.estimates(j)
        for q in ef:
            theory_value = exact[j][q]
            ref, ref_se = (float(theory_value), 0.0) if theory_value is not None else (ec[q].value, ec[q].stderr)
            se = math.hypot(ef[q].stderr, ref_se)
            rows.append({"generation": j, "quantity": q, "fixed_context": ref, "fixed_context_stderr": ref_se,
                         "fixed_context_source": "exact" if theory_value is not None else "simulation",
                         "free": ef[q].value, "free_stderr": ef[q].stderr,
                         "z": (ef[q].value - ref) / se if se > 0 else math.nan,
                         "relative_difference": (ef[q].value - ref) / abs(ref) if ref else math.nan})
    return {"label": "simulation: free-running text (mode free) against the fixed-context reading",
            "params": dict(params), "chains": chains, "rows": rows}


# ---------------------------------------------------------------------------------------------------------
# an independent route: exact enumeration of the joint law of every context (tiny corpora)


def _compositions(n: int, k: int) -> list[tuple[int, ...]]:
    if k == 1:
        return [(n,)]
    return [(a, *rest) for a in range(n + 1) for rest in _compositions(n - a, k - 1)]


def _multinomial_law(n: int, q: Sequence[Fraction]) -> dict[tuple[int, ...], Fraction]:
    out = {}
    for comp in _compositions(n, len(q)):
        pr = Fraction(math.factorial(n))
        for kk, qq in zip(comp, q, strict=True):
            pr = pr / math.factorial(kk) * qq**kk
        if pr:
            out[comp] = pr
    return out


def enumerate_expectations(c: N.Corpus, generations: int, real: int = 0) -> dict[str, mpmath.mpf]:
    """Every exact quantity by brute force: the joint law of all contexts' count vectors, propagated with
    exact rational multinomials, and each statistic evaluated on every joint outcome from its definition.
    Independent of the marginal chains and of the product formula; for corpora of a few tokens only.

    >>> c = N.load_corpus("text:a b a c", 4)
    >>> float(enumerate_expectations(c, 1)["distinct_1"])
    0.625
    """
    rc = c.real_counts(real)
    laws = []
    for ctx in c.multi:
        a, b = int(c.ctx_ptr[ctx]), int(c.ctx_ptr[ctx + 1])
        size, r = int(c.ctx_count[ctx]), int(rc[ctx])
        p0 = [Fraction(int(x), size) for x in c.pair_count[a:b]]
        real_law = _multinomial_law(r, p0)
        law = {tuple(int(x) for x in c.pair_count[a:b]): Fraction(1)}
        for _ in range(generations):
            new: dict[tuple[int, ...], Fraction] = {}
            for x, w in law.items():
                syn = _multinomial_law(size - r, [Fraction(v, size) for v in x])
                for y, py in syn.items():
                    for z, pz in real_law.items():
                        key = tuple(u + v for u, v in zip(y, z, strict=True))
                        new[key] = new.get(key, Fraction(0)) + w * py * pz
            law = new
        laws.append((a, b, list(law.items())))
    n_tok, V = c.N, c.V
    last = [int(c.ctx_codes[int(k)]) % V for k in c.pair_ctx]
    sizes = [int(c.ctx_count[int(k)]) for k in c.pair_ctx]
    corpus_bigrams = {int(b) for b in c.bigram_codes}
    totals = {q: mpmath.mpf(0) for q in _EXACT}
    with mpmath.workdps(40):
        for combo in itertools.product(*(law for _, _, law in laws)):
            X = [int(x) for x in c.pair_count]
            prob = Fraction(1)
            for (a, b, _), (x, w) in zip(laws, combo, strict=True):
                X[a:b] = list(x)
                prob *= w
            types = {int(c.pair_succ[j]) for j in range(c.T) if X[j] > 0}
            bigrams = {last[j] * V + int(c.pair_succ[j]) for j in range(c.T) if X[j] > 0}
            cond = mpmath.fsum(-mpmath.mpf(X[j]) / n_tok * mpmath.log(mpmath.mpf(X[j]) / sizes[j])
                               for j in range(c.T) if X[j] > 0)
            collapsed = sum(1 for a, b, _ in laws if max(X[a:b]) == sum(X[a:b]))  # one successor has all N_c
            dist = sum(Fraction(sizes[j], n_tok) * (Fraction(X[j], sizes[j]) - Fraction(int(c.pair_count[j]), sizes[j])) ** 2
                       for j in range(c.T))
            values = {
                "distinct_1": mpmath.mpf(len(types)) / n_tok,
                "distinct_2": mpmath.mpf(len(bigrams)) / n_tok,
                "bigram_types_present": mpmath.mpf(len(bigrams & corpus_bigrams)) / c.B,
                "conditional_entropy": cond,
                "collapsed_contexts": mpmath.mpf(collapsed) / len(laws) if laws else mpmath.mpf(1),
                "mean_sq_dist": mpmath.mpf(dist.numerator) / dist.denominator,
            }
            pm = mpmath.mpf(prob.numerator) / prob.denominator
            for q in _EXACT:
                totals[q] += pm * values[q]
    return totals


TINY = ("a b a c a b b a", "b a c c a b a b c", "a a b a b c b a c a")
"""Corpora of a few tokens for the enumeration step (every one has several multi-successor contexts)."""
TINY_TRIGRAM = ("a b a b b a b a a", "a b c a b b a b c")


class _Engine(sp.Function):
    """The engine's value on tiny corpus ``k`` (evaluated by the step's ``numeric_lhs``)."""

    def _latex(self, printer: Any) -> str:
        return rf"E_{{\mathrm{{chains}}}}(\mathcal{{C}}_{{{printer._print(self.args[0])}}})"


def _enumeration_step(quantity: str, real: int, ngram: int = 2) -> DerivationStep:
    """The engine (marginal chains, products over contexts, closed-form distance) against
    :func:`enumerate_expectations` at ``g = 2`` on the tiny corpora."""
    texts = TINY if ngram == 2 else TINY_TRIGRAM
    k = sp.Symbol("k", integer=True, nonnegative=True)

    def corpus(i: int) -> N.Corpus:
        words = texts[i].split()
        return N.load_corpus("text:" + texts[i], len(words), ngram)

    class E_enum(sp.Function):  # noqa: N801 - printed name
        def _latex(self, printer: Any) -> str:
            return rf"E_{{\mathrm{{enumerated}}}}(\mathcal{{C}}_{{{printer._print(self.args[0])}}})"

        @classmethod
        def eval(cls, i: sp.Expr) -> sp.Expr | None:  # noqa: D102 - evaluated at numbers only
            if i.is_Number:
                v = enumerate_expectations(corpus(int(i)), 2, real)[quantity]
                return sp.Float(mpmath.nstr(v, 30), 30)
            return None

    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        c = corpus(int(point[k]))
        params = {"corpus": "text:" + texts[int(point[k])], "tokens": c.N, "ngram": ngram, "generations": 2,
                  "mode": "contexts", "scheme": "mix" if real else "replace", "real": real}
        return mpmath.mpf(exact_values(params)[0][quantity])

    mix = f", mix with $R = {real}$" if real else ""
    return DerivationStep(
        description=(rf"independent route: the exact joint law of every context's counts (rational multinomials) "
                     rf"enumerated, {quantity.replace('_', ' ')} evaluated on each joint outcome, $g = 2$, "
                     rf"{'bigram' if ngram == 2 else 'trigram'} model of the tiny corpora $\mathcal{{C}}_k$: "
                     + ", ".join(f"``{t}''" for t in texts) + mix),
        lhs=_Engine(k), rhs=E_enum(k), exact=False,
        domain={k: lambda r: r.randint(0, len(texts) - 1)}, numeric_lhs=numeric_lhs, points=2, tolerance_digits=12,
        route="exact sum",
    )


# ---------------------------------------------------------------------------------------------------------
# claims

_M, _R, _H, _S = S.M, S.R, S.H, S.S
SCOPE = r"for every corpus and every $g \ge 1$"
ASSUMPTIONS = (
    r"a corpus of $N$ tokens read as a cycle; context $c$ (the $n - 1$ tokens before a position) occurs "
    r"$N_c$ times; $P_0(w \mid c) = N_{c,w} / N_c$ is the maximum-likelihood $n$-gram model",
    r"fixed context positions: generation $i$ draws, for every context $c$, $N_c$ next tokens i.i.d. from "
    r"$P_i(\cdot \mid c)$ and refits by counting, $P_{i+1}(w \mid c) = X_{c,w} / N_c$",
)
_REPLACE = r"replace: every next token is drawn from the model"
_MIX = (r"mix: the next tokens of the first $R$ positions are real, drawn fresh from $P_0(\cdot \mid c_t)$; "
        r"context $c$ gets $R_c$ real and $S_c = N_c - R_c$ synthetic tokens")
KJV_OPENING = ("in the beginning god created the heavens and the earth and the earth was without form and void "
               "and darkness was upon the face of the deep and the spirit of god moved upon the face of the waters and")
"""The first 40 tokens of corpus ``kjv`` (Genesis 1:1-3, public domain): the corpus of the claims, inline so that
verification needs no optional package (a test checks it against the installed corpus)."""


def _params(**changes: Any) -> dict[str, Any]:
    base = {"corpus": "text:" + KJV_OPENING, "tokens": 40, "ngram": 2, "generations": 4}
    return MODEL.resolve({**base, **changes})


def _exact(quantity: str) -> Callable[[Mapping[str, Any], int], mpmath.mpf]:
    def value(params: Mapping[str, Any], dps: int = 17) -> mpmath.mpf:
        with mpmath.workdps(dps):
            return mpmath.mpf(exact_values(params)[0][quantity])

    return value


def _gw_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target: the gap to the Galton-Watson (branching) approximation of every pair's extinction."""

    def target(params: Mapping[str, Any]) -> float:
        c = _corpus(params)
        g = int(params["generations"])
        exact = exact_values(params)[0]
        m = exact["_marginals"]
        zero = m.zero.copy()
        for ctx in c.multi:
            a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
            zero[a:b] = NC.galton_watson_zero(c.p0[a:b], (int(c.ctx_count[ctx]),) * g)
        approx = N.exact_statistics(c, N.PairMarginals(g, 0, zero, 1 - zero, m.entropy, m.point, 0.0))[quantity]
        return abs(float(approx) - float(exact[quantity]))

    return target


def _previous_generation_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target: the gap to the value one generation earlier (an off-by-one in the number of refits)."""

    def target(params: Mapping[str, Any]) -> float:
        g = int(params["generations"])
        a, b = exact_values(params, (g - 1, g))
        return abs(float(a[quantity]) - float(b[quantity]))

    return target


def _replace_target(quantity: str) -> Callable[[Mapping[str, Any]], float]:
    """Power target under mix: the gap to the replace value (forgetting the real tokens)."""

    def target(params: Mapping[str, Any]) -> float:
        rep = exact_values({**params, "scheme": "replace", "real": 0})[0][quantity]
        return abs(float(rep) - float(exact_values(params)[0][quantity]))

    return target


def _no_drift_target(params: Mapping[str, Any]) -> float:
    """Power target: the weighted recursion without the :math:`-\\alpha/M` drift term (the fit treated as fixed)."""
    groups = context_groups(_corpus(params), int(params["real"]))
    wrong = S.weighted_distance(groups, int(params["generations"]), drift=False)[-1]
    return abs(float(wrong) - float(exact_values(params)[0]["mean_sq_dist"]))


_SUPPORT = {
    "distinct_1": ("Distinct tokens of the model's own text (distinct-1)",
                   r"\frac{1}{N} \sum_w \left(1 - \prod_{c} {P(X^{(g)}_{c,w} = 0)}\right)"),
    "bigram_types_present": ("Corpus bigram types still generated",
                             r"\frac{1}{B} \sum_{(a, w)} \left(1 - \prod_{c : \text{last}(c) = a} {P(X^{(g)}_{c,w} = 0)}\right)"),
    "distinct_2": ("Distinct bigram types of a trigram model's own text (distinct-2)",
                   r"\frac{1}{N} \sum_{(a, w)} \left(1 - \prod_{c : \text{last}(c) = a} {P(X^{(g)}_{c,w} = 0)}\right)"),
    "collapsed_contexts": ("Contexts collapsed to a single next token",
                           r"\frac{1}{|C_2|} \sum_{c \in C_2} \sum_w {P(X^{(g)}_{c,w} = N_c)}"),
    "conditional_entropy": ("Conditional entropy of the next token",
                            r"\sum_c \frac{N_c}{N} \sum_w {E\left[-f_{c,w} \log f_{c,w}\right]}"),
}
_CHAIN = (r"$f_{c,w} = X^{(g)}_{c,w} / N_c$; $P(X^{(g)}_{c,w} = 0)$ and $P(X^{(g)}_{c,w} = N_c)$ from the exact law of the count chain "
          r"$X_{i+1} \sim \text{Bin}(R_c, p) + \text{Bin}(N_c - R_c, X_i / N_c)$, $p = P_0(w \mid c)$ "
          r"(for $X = N_c$: the chain of the merged category $\ne w$, of probability $1 - p$); contexts are independent")


def _support_claim(quantity: str, *, ngram: int = 2, real: int = 0) -> Claim:
    title, rhs = _SUPPORT[quantity]
    mix = bool(real)
    params = _params(ngram=ngram, **({"scheme": "mix", "real": real, "generations": 10} if mix else {}))
    if mix:
        target = _replace_target(quantity)
    elif quantity in ("distinct_1", "bigram_types_present", "distinct_2"):
        target = _gw_target(quantity)
    else:
        target = _previous_generation_target(quantity)
    steps = [C._step_marginal(), C._zero_engine_step(2 if mix else 0), _enumeration_step(quantity, 3 if mix else 0, ngram)]
    return Claim(
        id=f"{NAME}-{'trigram-' if ngram == 3 else ''}{'mix-' if mix else ''}{quantity.replace('_', '-')}",
        title=title + (" (mix)" if mix else " (replace)"), model=NAME, quantity=quantity, lhs_latex=_LATEX[quantity],
        statement=sp.Symbol(rhs), assumptions=(*ASSUMPTIONS, _MIX if mix else _REPLACE, _CHAIN),
        steps=tuple(steps), exact_value=_exact(quantity), params=params, series_order=None, mc_target=target,
        references=("seddik2024", "guo2023", "shumailov2024nature"), scope=SCOPE,
    )


def _distance_steps() -> tuple[DerivationStep, ...]:
    """Summed refit identity, closed-form solution of the recursion, fixed point, monotonicity."""
    a, e = S.distance_coefficients()
    a = sp.factor(a.subs(_R, _M - _S))  # in the synthetic count S = M - R
    g = sp.Symbol("g", integer=True, positive=True)
    d_inf = S.stationary_distance()
    a_form = _S * (_S - 1) / _M**2
    closed = d_inf - (d_inf - _H / _M) * a_form ** (g - 1)
    dom = {_M: lambda r: r.randint(6, 40), _S: lambda r: r.randint(0, 5), _H: C._prob, g: lambda r: r.randint(1, 9)}
    return (
        C._step_refit("sq_dev", SC.sq_dev_recursion_form(),
                      r"one refit of one successor (categorical): $E[(p' - p)^2 \mid q] = \alpha^2 (q - p)^2 + "
                      r"(R p(1-p) + (M - R) q(1-q))/M^2$", True),
        DerivationStep(description=r"summed over the successors ($\sum_w (q_w - p_w)^2 = D$, $E \sum_w q_w(1 - q_w) = H - D$): "
                                   r"$D' = a D + H/M$ with $a = S (S - 1)/M^2$, $S = M - R$ synthetic tokens",
                       lhs=a, rhs=a_form, domain={_M: lambda r: r.randint(6, 40), _S: lambda r: r.randint(0, 5)},
                       route="points"),
        DerivationStep(description=r"the closed form solves the recursion, $D_{g+1} = a D_g + H/M$, $D_1 = H/M$",
                       lhs=a_form * closed + e * _H, rhs=closed.subs(g, g + 1), domain=dom, route="points"),
        DerivationStep(description=r"its limit is the fixed point $D_\infty = a D_\infty + H/M$",
                       lhs=a_form * d_inf + e * _H, rhs=d_inf, domain={k: v for k, v in dom.items() if k is not g},
                       route="points"),
    )


def _threshold_step() -> DerivationStep:
    r""":math:`S^*(\varepsilon)`: :math:`D_\infty(S) \le \varepsilon` exactly for :math:`S \le \lfloor S^* \rfloor`."""
    m, h, e = sp.Symbol("M", positive=True), sp.Symbol("H_0", positive=True), sp.Symbol("varepsilon", positive=True)
    form = S.stationary_distance()

    def numeric_lhs(point: Mapping[sp.Symbol, Any]) -> mpmath.mpf:
        size, hh = int(point[m]), mpmath.mpf(point[h])
        d = lambda s: hh * size / (size**2 - s * (s - 1))  # noqa: E731
        eps = d(int(point[e] * size))  # a tolerance reached exactly at some S: the hardest case for the floor
        smax = S.max_synthetic(size, hh, eps)
        ok = d(smax) <= eps * (1 + mpmath.mpf(10) ** -25) and (smax == size or d(smax + 1) > eps)
        return mpmath.mpf(1 if ok else 0)

    del form
    return DerivationStep(
        description=(r"the largest synthetic share within a tolerance: $S^* = \tfrac12 + \sqrt{4M^2 \varepsilon - 4 H M + "
                     r"\varepsilon} / (2\sqrt{\varepsilon})$ (SymPy's root of $D_\infty(S) = \varepsilon$); "
                     r"$D_\infty(\lfloor S^* \rfloor) \le \varepsilon < D_\infty(\lfloor S^* \rfloor + 1)$"),
        lhs=sp.Function("I")(m, h, e), rhs=sp.Integer(1), exact=False,
        domain={m: lambda r: r.randint(3, 60), h: C._prob, e: lambda r: mpmath.mpf(r.uniform(0.05, 0.95))},
        numeric_lhs=numeric_lhs, points=3, tolerance_digits=12, route="points",
    )


def _absorption_step() -> DerivationStep:
    r"""Without real tokens a point mass is absorbing; with :math:`R \ge 1` every count can reach 0 and
    :math:`M` in one step (the pgf of :math:`\text{Bin}(R, p) + \text{Bin}(M - R, x/M)` at 0)."""
    x = sp.Symbol("x", positive=True, integer=True)
    lhs = (SC.binomial_pgf(_R, SC.p) * SC.binomial_pgf(_M - _R, x / _M)).subs(SC.s, 0)
    return DerivationStep(
        description=(r"no absorbing state with real tokens: $P(X' = 0 \mid X = x) = (1 - p)^R (1 - x/M)^{M - R} > 0$ "
                     r"for $x < M$ (and so for $X' = M$ by symmetry), while $R = 0$ keeps $X = 0$ and $X = M$ fixed"),
        lhs=lhs, rhs=(1 - SC.p) ** _R * (1 - x / _M) ** (_M - _R),
        domain={_M: lambda r: r.randint(6, 40), _R: lambda r: r.randint(1, 5), SC.p: C._prob, x: lambda r: r.randint(0, 5)},
        route="points",
    )


@functools.lru_cache(maxsize=None)
def _claims_built() -> dict[str, Claim]:
    out: dict[str, Claim] = {}
    for q in ("distinct_1", "bigram_types_present", "conditional_entropy", "collapsed_contexts"):
        c = _support_claim(q)
        out[c.id] = c
    c = _support_claim("distinct_2", ngram=3)
    out[c.id] = c
    closed = r"\sum_{c} \frac{N_c}{N} \left(D_{\infty,c} - {\left(D_{\infty,c} - H_c/N_c\right)} {a_c^{\,g-1}}\right)"
    mix_params = _params(scheme="mix", real=20, generations=10)
    out[f"{NAME}-mix-mean-sq-dist"] = Claim(
        id=f"{NAME}-mix-mean-sq-dist", title="Squared distance of the next-token laws under mix, and its limit",
        model=NAME, quantity="mean_sq_dist", lhs_latex=_LATEX["mean_sq_dist"], statement=sp.Symbol(closed),
        assumptions=(*ASSUMPTIONS, _MIX, r"notation: $H_c = 1 - \sum_w P_0(w \mid c)^2$, $a_c = S_c (S_c - 1)/N_c^2$ and "
                     r"$D_{\infty,c} = H_c N_c / (N_c^2 - S_c (S_c - 1))$, the limit as $g \to \infty$ ($= H_c$ when "
                     r"$R_c = 0$: collapse)"),
        steps=(*_distance_steps(), _enumeration_step("mean_sq_dist", 3)), exact_value=_exact("mean_sq_dist"),
        params=mix_params, series_order=None, mc_target=_no_drift_target, references=("seddik2024",), scope=SCOPE,
    )
    sed = _support_claim("collapsed_contexts", real=20)
    out[f"{NAME}-seddik-condition"] = Claim(
        id=f"{NAME}-seddik-condition",
        title="Collapse under mix happens exactly in the contexts without real tokens (Seddik et al.'s threshold, exactly)",
        model=NAME, quantity="collapsed_contexts", lhs_latex=_LATEX["collapsed_contexts"],
        statement=sp.Symbol(_SUPPORT["collapsed_contexts"][1]),
        assumptions=(*ASSUMPTIONS, _MIX, _CHAIN),
        scope=(r"for every corpus and every $g \ge 1$, the summand of context $c$ tending, as $g \to \infty$, to $1$ "
               r"iff $R_c = 0$ (absorption) and otherwise to the stationary probability $\pi_c(\delta) < 1$ of a point "
               r"mass (no absorbing state), whatever the synthetic share $S_c \le N_c - 1$"),
        steps=(C._step_marginal(), _absorption_step(), C._zero_engine_step(2), _enumeration_step("collapsed_contexts", 3),
               _threshold_step()),
        exact_value=_exact("collapsed_contexts"), params=sed.params, series_order=None, mc_target=sed.mc_target,
        references=("seddik2024",),
    )
    return out


_IDS = (f"{NAME}-distinct-1", f"{NAME}-bigram-types-present", f"{NAME}-conditional-entropy",
        f"{NAME}-collapsed-contexts", f"{NAME}-trigram-distinct-2", f"{NAME}-mix-mean-sq-dist", f"{NAME}-seddik-condition")


def claim_factories() -> dict[str, Callable[[], Claim]]:
    return {cid: functools.partial(lambda cid: _claims_built()[cid], cid) for cid in _IDS}


# ---------------------------------------------------------------------------------------------------------
# the declaration

MODEL = Model(
    name=NAME,
    description="n-gram language model retrained on its own text (King James Bible); fixed contexts (exact) or free-running",
    parameters=(
        Parameter("corpus", "str", f"kjv (King James Bible, the '{N.CORPUS_EXTRA}' extra) | file:PATH (UTF-8 text) | "
                  "text:WORDS", default="kjv", symbol=r"\mathcal{C}"),
        Parameter("tokens", "int", "N: the first N tokens of the corpus, read as a cycle", default=2000, minimum=2,
                  symbol="N"),
        Parameter("ngram", "int", "n: 2 (bigram) or 3 (trigram)", default=2, minimum=N.MIN_NGRAM, maximum=N.MAX_NGRAM,
                  symbol="n"),
        Parameter("generations", "int", "g: number of refits on the model's own text", default=10, minimum=1,
                  maximum=100_000, symbol="g"),
        Parameter("mode", "choice", "contexts (fixed context positions: exact theory) | free (free-running text: "
                  "simulation)", default="contexts", choices=N.MODES),
        Parameter("scheme", "choice", "replace | mix (R real next tokens per generation)", default="replace",
                  choices=N.SCHEMES),
        Parameter("real", "int", "R: real tokens per generation under mix (the first R positions)", default=0,
                  minimum=0, symbol="R"),
    ),
    quantities=tuple(Quantity(q, _LATEX[q], unit="nats" if q.endswith("entropy") else "1", series=False,
                              exact=q in _EXACT, description=_TEXT[q]) for q in QUANTITIES),
    theory="modelcollapse.proofs.ngram:theory",
    simulate="modelcollapse.numeric.ngram:simulate",
    claims="modelcollapse.proofs.ngram:claim_factories",
    faults="modelcollapse.proofs.ngram_faults:faults",
    validate=_validate,
    generations=lambda params: int(params["generations"]),
    samplers=N.SAMPLERS,
    figures=(
        Figure("diversity", "Lexical diversity of the model's own text", ("distinct_1", "distinct_2")),
        Figure("coverage", "Corpus bigram types still generated; contexts collapsed to one next token",
               ("bigram_types_present", "collapsed_contexts")),
        Figure("entropy", "Unigram entropy (simulation) and conditional entropy", ("unigram_entropy", "conditional_entropy")),
        Figure("bigram_paths", "Individual chains losing bigram types", ("bigram_types_present", "bigram_types_present"),
               kind="paths", ylabel="fraction of the corpus's bigram types present"),
        Figure("rank_frequency", "Rank-frequency of the next tokens after g refits against the corpus's",
               ("rank_frequency", "p"), kind="profile", ylabel="token frequency"),
    ),
    notation=(
        (r"N", r"tokens of the corpus prefix, read as a cycle"),
        (r"N_c", r"occurrences of context $c$; $N_{c,w}$ of $c$ followed by $w$"),
        (r"P_g(\cdot \mid c)", r"the fitted next-token law of context $c$ after $g$ refits"),
        (r"X^{(g)}_{c,w}", r"the count of $w$ after $c$ in generation $g$ ($P_g(w \mid c) = X_{c,w}/N_c$)"),
        (r"R_c, S_c", r"real and synthetic next tokens of context $c$ per generation"),
        (r"H_c", r"$1 - \sum_w P_0(w \mid c)^2$"),
        (r"B", r"the corpus's bigram types (consecutive token pairs of the cycle)"),
        (r"C_2", r"the contexts with two or more successor types in the corpus"),
    ),
    references=("seddik2024", "guo2023", "shumailov2024nature"),
)
"""The n-gram model, as the registry sees it."""
