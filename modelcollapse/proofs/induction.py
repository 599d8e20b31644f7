r"""Proofs for every number of generations: induction over a symbolic upper limit of sums and products.

A closed form :math:`F(g)` written with nested ``Sum`` and ``Product`` up to :math:`g - 1` satisfies a
one-step recursion :math:`F(g+1) = R(F(g), M_g)` for *every* :math:`g` when, after shifting
:math:`g \to g + 1`, splitting off the last term of each sum and the last factor of each product whose
upper limit is :math:`g`,

.. math::  \sum_{i=a}^{g} f(i) = \sum_{i=a}^{g-1} f(i) + f(g), \qquad
           \prod_{j=a}^{g} f(j) = \Bigl(\prod_{j=a}^{g-1} f(j)\Bigr)\, f(g)

(identities of SymPy's summation convention for every integer :math:`g`, Karr's convention), and taking
the factors that do not depend on a summation index out of the sum, both sides are the same expression.
With the base case :math:`F(0)` (every sum empty, every product 1), this proves the closed form for all
:math:`g \ge 0` without evaluating it at any point.

The functions return ``True`` when they prove an identity and ``None`` when they cannot decide (never
``False``: a failed rewriting proves nothing).

>>> i, g = sp.symbols("i g", integer=True, nonnegative=True)
>>> x = sp.IndexedBase("x")
>>> F = sp.Sum(x[i], (i, 0, g - 1))
>>> prove_recurrence(F.subs(g, g + 1), F + x[g], g)
True
"""

from __future__ import annotations

import random

import sympy as sp
from sympy.core.traversal import bottom_up

__all__ = ["canonical", "peel", "prove_recurrence", "prove_zero_by_structure", "telescope"]


def _binder(e: sp.Basic) -> bool:
    return isinstance(e, (sp.Sum, sp.Product))


def peel(expr: sp.Expr, n: sp.Symbol) -> sp.Expr:
    r"""Split off the term (factor) at ``n`` of every sum (product) whose upper limit is exactly ``n``,
    then write out sums and products whose limits differ by a constant (empty ones are 0 and 1).

    >>> j, k, d, g = sp.symbols("j k d g", integer=True)
    >>> peel(sp.Product(sp.IndexedBase("x")[j], (j, 0, g)), g)
    x[g]*Product(x[j], (j, 0, g - 1))
    >>> peel(sp.Sum(k * sp.IndexedBase("x")[j], (k, 1, d), (j, 0, g)), g)  # a double sum, outer limit at g
    Sum(k*x[g], (k, 1, d)) + Sum(k*x[j], (k, 1, d), (j, 0, g - 1))
    """

    def split(node: sp.Basic) -> sp.Basic:
        if not _binder(node):
            return node
        *inner, (var, lo, hi) = node.limits  # the last limit is the outermost
        if hi != n or any(b.has(var) for lim in inner for b in lim[1:]):
            return node
        # a multiple sum (product) whose outer limit ends at n: the inner limits do not depend on its variable
        rest = node.func(node.function, *inner, (var, lo, n - 1))
        body = node.function.xreplace({var: n})
        last = node.func(body, *inner) if inner else body
        return rest + last if isinstance(node, sp.Sum) else rest * last

    return _explicit(bottom_up(sp.sympify(expr), split))


def _explicit(expr: sp.Expr) -> sp.Expr:
    """Sums and products with ``upper - lower`` a small integer written out, in Karr's convention (the one of
    SymPy): an upper limit below the lower one by one is empty, by ``k + 1`` the inverse of ``k`` terms."""

    def rule(node: sp.Basic) -> sp.Basic:
        if not _binder(node) or len(node.limits) != 1:
            return node
        var, lo, hi = node.limits[0]
        width = sp.expand(hi - lo)
        if not width.is_Integer or abs(width) > 8:
            return node
        width = int(width)
        if width >= 0:
            terms = [node.function.xreplace({var: lo + k}) for k in range(width + 1)]
            return sp.Add(*terms) if isinstance(node, sp.Sum) else sp.Mul(*terms)
        # Karr: sum_{a}^{b} = -sum_{b+1}^{a-1}, prod_{a}^{b} = 1/prod_{b+1}^{a-1} for b < a
        terms = [node.function.xreplace({var: hi + 1 + k}) for k in range(-width - 1)]
        return -sp.Add(*terms) if isinstance(node, sp.Sum) else 1 / sp.Mul(*terms)

    return bottom_up(sp.sympify(expr), rule)


def _pull(expr: sp.Expr) -> sp.Expr:
    """Factors independent of the index out of sums; sums of sums split (linearity)."""

    def rule(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Sum) and len(node.limits) == 1:
            var = node.limits[0][0]
            body = sp.expand(node.function)
            if isinstance(body, sp.Add):
                return sp.Add(*(rule(sp.Sum(t, *node.limits)) for t in body.args))
            indep, dep = body.as_independent(var, as_Add=False)
            if indep != 1:
                return indep * sp.Sum(dep, *node.limits)
            return sp.Sum(body, *node.limits)
        if isinstance(node, sp.Product) and len(node.limits) == 1:
            var = node.limits[0][0]
            body = node.function
            if isinstance(body, sp.Mul):
                return sp.Mul(*(sp.Product(f, *node.limits) if f.has(var) else f ** (node.limits[0][2] - node.limits[0][1] + 1)
                                for f in body.args))
        return node

    return bottom_up(sp.sympify(expr), rule)


def canonical(expr: sp.Expr) -> sp.Expr:
    """Bound variables renamed by nesting depth (and their assumptions dropped), so that two expressions that
    differ only in the names of bound variables become identical."""
    cache: dict[int, sp.Symbol] = {}

    def name(depth: int) -> sp.Symbol:
        if depth not in cache:
            cache[depth] = sp.Symbol(f"_b{depth}", integer=True)
        return cache[depth]

    def walk(e: sp.Basic, depth: int) -> sp.Basic:
        if _binder(e):
            body = e.function
            limits = [list(lim) for lim in e.limits]
            n = len(limits)
            for k in reversed(range(n)):  # the last limit is the outermost: in scope in the inner bounds
                var, new = limits[k][0], name(depth + n - 1 - k)
                limits[k][1:] = [walk(b, depth + n - 1 - k) for b in limits[k][1:]]
                limits[k][0] = new
                body = body.xreplace({var: new})
                for inner in limits[:k]:
                    inner[1:] = [b.xreplace({var: new}) for b in inner[1:]]
            return e.func(walk(body, depth + n), *(tuple(lim) for lim in limits))
        if not e.args:
            return e
        return e.func(*(walk(a, depth) for a in e.args))

    return walk(sp.sympify(expr), 0)


def prove_zero_by_structure(expr: sp.Expr) -> bool | None:
    """``True`` if ``expr`` is 0 after linearity of sums, factors out of sums, canonical bound variables and
    expansion (and, last, over a common denominator); ``None`` otherwise.

    >>> j, g = sp.symbols("j g", integer=True, nonnegative=True)
    >>> x = sp.IndexedBase("x", positive=True)
    >>> P = sp.Product(x[j], (j, 0, g - 1))
    >>> prove_zero_by_structure(P * (x[g] + 1) / (x[g] - 1) - P - 2 * P / (x[g] - 1))
    True
    """
    out = sp.expand(canonical(_pull(sp.expand(expr))))
    if out == 0:
        return True
    # a second pass: products split by the first may have exposed more factors to pull out
    out = sp.expand(canonical(_pull(out)))
    if out == 0:
        return True
    # rational coefficients over different denominators (sums and products taken as atoms)
    return True if sp.cancel(sp.together(out)) == 0 else None


def prove_recurrence(lhs_next: sp.Expr, rhs: sp.Expr, n: sp.Symbol) -> bool | None:
    r"""``True`` if ``lhs_next`` (a closed form at :math:`n + 1`, i.e. with upper limits :math:`n`) equals
    ``rhs`` (the recursion applied to the closed forms at :math:`n`) for every integer ``n``.

    Both sides are compared after :func:`peel` of ``lhs_next`` at ``n``, by :func:`prove_zero_by_structure`.
    """
    lhs = peel(sp.expand(lhs_next), n)
    return prove_zero_by_structure(lhs - rhs)


def telescope(form: sp.Expr, n: sp.Symbol) -> sp.Expr | None:
    r"""A simpler expression equal to ``form`` for every ``n >= 0``, proved, or ``None``.

    The candidate is the value of ``form`` at :math:`n = 0` when the values at :math:`n = 1, 2, 3` agree with it
    at a random point (a cheap test; e.g. :math:`\sigma^2`); it is accepted only when
    :math:`D(n) = \text{form} - \text{candidate}` vanishes at :math:`n = 0` and :math:`D(n + 1) - D(n)` is
    proved zero for symbolic :math:`n` (:func:`prove_recurrence`): a telescoping proof.

    >>> j, g = sp.symbols("j g", integer=True, nonnegative=True)
    >>> x = sp.IndexedBase("x", positive=True)
    >>> P = lambda k: sp.Product(1 - x[j], (j, 0, k - 1))
    >>> F = P(g) + sp.Sum(x[j] * P(j), (j, 0, g - 1))   # the mass left plus the mass taken
    >>> telescope(F, g)
    1
    """
    first = sp.simplify(form.subs(n, 0).doit())
    if first.has(sp.Sum, sp.Product, n):
        return None
    rng = random.Random(0)
    for k in (1, 2, 3):
        # a cheap numeric test first: most forms are not constant in n
        value = form.subs(n, k).doit() - first
        labels = {b.label for b in value.atoms(sp.IndexedBase)}
        free = {s for s in value.free_symbols if isinstance(s, sp.Symbol) and s not in labels}
        point: dict[sp.Basic, sp.Expr] = {s: sp.Rational(rng.randint(3, 40), rng.randint(1, 3)) for s in free}
        point.update({ix: rng.randint(3, 40) for ix in value.atoms(sp.Indexed)})
        if abs(sp.N(value.xreplace(point), 30)) > sp.Float(10) ** -20:
            return None
    difference = form - first
    if sp.simplify(difference.subs(n, 0).doit()) != 0:
        return None  # pragma: no cover - the candidate is the value at 0
    if prove_recurrence(difference.subs(n, n + 1), difference, n) is not True:
        return None
    return first
