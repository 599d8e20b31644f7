r"""The exact law of a sum of independent log-gamma variables, with bounded numerical error (mpmath).

.. math::  S = \sum_i n_i\,\text{copies of}\,(c_i + \log G_i), \qquad G_i \sim \mathrm{Gamma}(a_i, 1)\ \text{independent},

has the characteristic function and moment generating function

.. math::  \varphi(t) = E e^{itS} = \prod_i \Bigl(e^{itc_i}\frac{\Gamma(a_i + it)}{\Gamma(a_i)}\Bigr)^{n_i}, \qquad
           E e^{sS} = \prod_i \Bigl(e^{sc_i}\frac{\Gamma(a_i + s)}{\Gamma(a_i)}\Bigr)^{n_i} \quad (s > -\min a_i),

and cumulants :math:`\kappa_1 = \sum n_i(c_i + \psi(a_i))`, :math:`\kappa_n = \sum n_i\psi^{(n-1)}(a_i)`.  (The log
of a scaled chi-square, :math:`\log(\chi^2_k/D) = \log(2/D) + \log G` with :math:`a = k/2`, is one term.)

:class:`LogGammaSum` evaluates all of these for *exact* terms (mpmath's ``loggamma``/``psi``) and for a
*block* of terms with large :math:`a` -- many explicit terms, or an infinite tail of a schedule -- summarised
by power sums :math:`P_j = \sum a_i^{-j}` (intervals) and :math:`L = \sum (c_i + \log a_i)`.  A block enters
through its cumulants, from the asymptotic series of :math:`\psi^{(m)}` (enveloping for real :math:`a > 0`:
the error is at most the first omitted term), with the Taylor remainder of :math:`\log\Gamma(a + z) -
\log\Gamma(a)` in :math:`z` bounded by :math:`|z|^{J+1}\,|\psi^{(J)}(a)|/(J+1)!` (for imaginary :math:`z`,
:math:`|\psi^{(J)}(a + iy)| \le |\psi^{(J)}(a)|`), and :math:`|\psi^{(J)}(x)| \le (J-1)!/x^J + J!/x^{J+1}`.

:meth:`LogGammaSum.cdf` inverts :math:`\varphi` by the midpoint rule of Gil-Pelaez's formula (Davies, 1973):

.. math::  F(x) \approx \frac12 - \frac1\pi\sum_{k=0}^{K} \frac{\operatorname{Im}\bigl[\varphi(t_k) e^{-it_kx}\bigr]}{k+\frac12},
           \qquad t_k = (k + \tfrac12)\Delta,

whose three errors are each bounded: *discretisation* (the sum is :math:`\frac12 - \frac12 E\,\mathrm{sq}(\Delta(S-x)/2)`,
a square wave equal to :math:`\operatorname{sign}(S - x)` for :math:`|S - x| < 2\pi/\Delta`, so the error is at most
:math:`P(|S - x| \ge 2\pi/\Delta)`, bounded by Chernoff from the exact MGF); *truncation* (each factor of
:math:`|\varphi|` decreases in :math:`|t|` and :math:`|\Gamma(a+it)/\Gamma(a+iT)|^2 \le (a^2+T^2)/(a^2+t^2)`, so the
omitted terms sum to at most :math:`|\varphi(t_K)|\,c/(2\pi)`); and the *block approximation* of
:math:`\varphi` (the remainders above).  Working precision is raised so that rounding stays far below them.

Pure mpmath: this module is generic (no model), and the 1D Gaussian's :math:`\log\sigma_g^2` is one use.

Examples
--------
One chi-square with 3 degrees of freedom: :math:`P(\chi^2_3 < 2) = P(\log G < \log 1)`, :math:`a = 3/2`.

>>> law = LogGammaSum([(mpmath.mpf(3) / 2, 0, 1)])
>>> p, err = law.cdf(0, digits=20)
>>> with mpmath.workdps(30):
...     exact = mpmath.gammainc(1.5, 0, 1, regularized=True)
>>> mpmath.nstr(p, 18), mpmath.nstr(exact, 18), err < 1e-21
('0.427593295529120166', '0.427593295529120166', True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import mpmath

from .._validation import ParameterError

__all__ = ["POWERS", "Block", "Interval", "LogGammaSum", "psi_asymptotic"]


@dataclass(frozen=True, slots=True)
class Interval:
    """A real number known to lie in ``[mid - rad, mid + rad]`` (``rad >= 0``)."""

    mid: mpmath.mpf
    rad: mpmath.mpf = mpmath.mpf(0)

    @classmethod
    def between(cls, lo, hi) -> Interval:
        lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
        if hi < lo:
            lo, hi = hi, lo
        return cls((lo + hi) / 2, (hi - lo) / 2)

    @property
    def lo(self) -> mpmath.mpf:
        return self.mid - self.rad

    @property
    def hi(self) -> mpmath.mpf:
        return self.mid + self.rad

    def __add__(self, other: Interval | float) -> Interval:
        if isinstance(other, Interval):
            return Interval(self.mid + other.mid, self.rad + other.rad)
        return Interval(self.mid + other, self.rad)

    __radd__ = __add__

    def scale(self, c) -> Interval:
        c = mpmath.mpf(c)
        return Interval(self.mid * c, self.rad * abs(c))

    def widen(self, r) -> Interval:
        return Interval(self.mid, self.rad + abs(mpmath.mpf(r)))

    def exp(self) -> Interval:
        """:math:`e^x` on the interval (exactly enclosing: exp is increasing)."""
        return Interval.between(mpmath.exp(self.lo), mpmath.exp(self.hi))


@dataclass(frozen=True)
class Block:
    r"""Terms with large :math:`a`, summarised: ``power[j-1]`` :math:`\ni \sum n_i a_i^{-j}` (``j = 1..len(power)``),
    ``log_part`` :math:`\ni \sum n_i (c_i + \log a_i)`, ``count`` :math:`\sum n_i` (``None`` for infinitely many),
    ``a_min`` the smallest :math:`a_i` (every :math:`a_i \ge a_{\min}`)."""

    power: tuple[Interval, ...]
    log_part: Interval
    a_min: mpmath.mpf
    count: int | None = None

    @classmethod
    def explicit(cls, terms: Sequence[tuple], jmax: int) -> Block:
        """The block of explicit terms ``(a, c, n)`` (every ``a >= 1``): power sums in fixed-point integer
        arithmetic at the working precision (each truncation adds one unit to the radius), logs in mpmath."""
        terms = [(mpmath.mpf(a), c, n) for a, c, n in terms]
        if not terms:
            return cls(tuple(Interval(mpmath.mpf(0)) for _ in range(jmax)), Interval(mpmath.mpf(0)), mpmath.inf, 0)
        a_min = min(a for a, _, _ in terms)
        if a_min < 1:
            raise ParameterError(f"a block holds terms with a >= 1 (got a = {a_min})")
        # sum_i n_i (a_min/a_i)^j in fixed point: every ratio <= 1 and the sum >= 1, so the relative error stays
        # at (number of terms) * j units of 2^-bits whatever the power
        bits = mpmath.mp.prec + 20
        one = 1 << bits
        sums = [0] * jmax
        units = [0] * jmax
        log_part = mpmath.mpf(0)
        count = 0
        for a, c, n in terms:
            q = int(mpmath.floor(mpmath.ldexp(a_min, bits) / a))  # within one unit of 2^bits a_min / a
            x = one
            for j in range(jmax):
                x = (x * q) >> bits
                sums[j] += n * x
                units[j] += n * (j + 2)
            log_part += n * (mpmath.mpf(c) + mpmath.log(a))
            count += n
        eps = mpmath.mpf(10) ** (-mpmath.mp.dps + 3)
        power = tuple(Interval(mpmath.ldexp(sums[j], -bits) / a_min ** (j + 1), mpmath.ldexp(units[j], -bits) / a_min ** (j + 1))
                      for j in range(jmax))
        return cls(power, Interval(log_part, (abs(log_part) + count) * eps), a_min, count)

    def __add__(self, other: Block) -> Block:
        j = min(len(self.power), len(other.power))
        count = None if self.count is None or other.count is None else self.count + other.count
        return Block(tuple(self.power[i] + other.power[i] for i in range(j)), self.log_part + other.log_part,
                     min(self.a_min, other.a_min), count)

    @property
    def empty(self) -> bool:
        return self.count == 0


# ---------------------------------------------------------------------------------------------------------
# asymptotic series of the polygamma functions


@functools.lru_cache(maxsize=None)
def _bernoulli(n: int) -> mpmath.mpf:
    return mpmath.bernoulli(n)


@functools.lru_cache(maxsize=None)
def _psi_series(m: int, most: int = 60) -> tuple[tuple[tuple[int, mpmath.mpf], ...], tuple[tuple[int, mpmath.mpf], ...]]:
    r"""The asymptotic series of :math:`\psi^{(m)}(a) - [m = 0]\log a` as ``((j, c_j), ...)`` in increasing
    :math:`j` (``c_j a^{-j}``), and for ``K = 0, 1, ...`` Bernoulli terms kept, the first omitted one
    ``(j, |c_j|)``: the error is at most :math:`|c_j| a^{-j}` (enveloping series, real :math:`a > 0`)."""
    with mpmath.workdps(80):
        if m == 0:
            head = [(1, mpmath.mpf(-1) / 2)]
            bern = [(2 * k, -_bernoulli(2 * k) / (2 * k)) for k in range(1, most + 2)]
        else:
            sign = 1 if m % 2 == 1 else -1  # (-1)^(m+1)
            head = [(m, sign * mpmath.factorial(m - 1)), (m + 1, sign * mpmath.factorial(m) / 2)]
            bern = [(2 * k + m, sign * _bernoulli(2 * k) * mpmath.factorial(2 * k + m - 1) / mpmath.factorial(2 * k))
                    for k in range(1, most + 2)]
    return tuple(head + bern[:most]), tuple((j, abs(c)) for j, c in bern)


def psi_asymptotic(m: int, terms: int) -> tuple[dict[int, mpmath.mpf], tuple[int, mpmath.mpf]]:
    r"""Coefficients of :math:`\psi^{(m)}(a) - [m = 0]\log a = \sum_j c_j a^{-j}` (``terms`` Bernoulli terms)
    and the first omitted term ``(j, |c_j|)``: the error at real :math:`a > 0` is at most :math:`|c_j| a^{-j}`.

    >>> coeffs, (j, bound) = psi_asymptotic(0, 2)
    >>> {k: mpmath.nstr(v, 6) for k, v in coeffs.items()}, j, mpmath.nstr(bound, 6)
    ({1: '-0.5', 2: '-0.0833333', 4: '0.00833333'}, 6, '0.00396825')
    """
    series, omitted = _psi_series(m)
    keep = series[: (2 if m else 1) + terms]
    return dict(keep), omitted[terms]


def _psi_bound(order: int, power: Sequence[Interval], scale: mpmath.mpf = mpmath.mpf(1)) -> mpmath.mpf:
    r"""An upper bound of :math:`\sum |\psi^{(J)}(a_i/\text{scale})|`, ``J = order >= 1``, from
    :math:`|\psi^{(J)}(x)| \le (J-1)!/x^J + J!/x^{J+1}`."""
    J = order
    return (mpmath.factorial(J - 1) * power[J - 1].hi * scale**J + mpmath.factorial(J) * power[J].hi * scale ** (J + 1))


# ---------------------------------------------------------------------------------------------------------


@dataclass
class LogGammaSum:
    r"""The law of :math:`S = \sum_i n_i (c_i + \log G_i)` (module docstring): exact terms ``(a, c, n)`` and an
    optional :class:`Block` of terms with large :math:`a`.

    ``order`` is the number :math:`J` of cumulants through which the block enters the characteristic function.
    """

    terms: Sequence[tuple]
    block: Block | None = None
    order: int = 16
    dps: int = 0
    """Working precision of every evaluation (default: the precision in force when the object is made)."""
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.dps = self.dps or mpmath.mp.dps
        grouped: dict[tuple, int] = {}
        for a, c, n in self.terms:
            if n:
                key = (mpmath.mpf(a), mpmath.mpf(c))
                if key[0] <= 0:
                    raise ParameterError(f"a log-gamma term needs a shape a > 0 (got a = {a})")
                grouped[key] = grouped.get(key, 0) + int(n)
        self.terms = tuple((a, c, n) for (a, c), n in sorted(grouped.items()))
        if self.block is not None and self.block.empty:
            self.block = None
        if self.block is not None and len(self.block.power) < self.order + 2:
            raise ParameterError(f"a block needs power sums up to order {self.order + 2} (got {len(self.block.power)})")
        if not self.terms and self.block is None:
            raise ParameterError("a sum of log-gamma variables needs at least one term")

    @classmethod
    def from_terms(cls, terms: Iterable[tuple], digits: int = 17, *, order: int = 0, tail: Block | None = None,
                   reach: float | None = None) -> LogGammaSum:
        r"""Split ``terms`` ``(a, c, n)`` into exact ones and a block of large :math:`a`, so that the block's
        remainder at the frequencies an inversion to ``digits`` digits reaches stays below :math:`10^{-digits-5}`.

        ``tail`` is a further block (an infinite schedule's tail); ``reach`` overrides the largest frequency;
        ``order`` fixes the number of cumulants :math:`J` of the block (default: the cheapest of a few).
        """
        dps = digits + 20
        with mpmath.workdps(dps):
            terms = [(mpmath.mpf(a), mpmath.mpf(c), int(n)) for a, c, n in terms if n]
            var = mpmath.fsum(n * (mpmath.psi(1, a) if a < 64 else (1 + 1 / a) / a) for a, _, n in terms)
            if tail is not None:
                var += tail.power[0].lo
            t_max = (mpmath.mpf(reach) if reach is not None
                     else 2 * mpmath.sqrt(2 * (digits + 5) * mpmath.log(10) / var) + 1)
            goal = mpmath.mpf(10) ** (-digits - 5)
            big = sorted(terms, key=lambda t: t[0])
            best = None
            for J in ((order,) if order else (12, 16, 24, 32, 40)):
                weight = t_max ** (J + 1) / mpmath.factorial(J + 1)
                split, acc = len(big), mpmath.mpf(0)
                while split > 0 and big[split - 1][0] >= 8:
                    a, _, n = big[split - 1]
                    acc += n * (mpmath.factorial(J - 1) / a**J + mpmath.factorial(J) / a ** (J + 1))
                    if acc * weight >= goal:
                        break
                    split -= 1
                cost = split + J / 8
                if best is None or cost < best[0]:
                    best = (cost, J, split)
            _, J, split = best
            exact, large = big[:split], big[split:]
            block = Block.explicit(large, _powers_needed(large, J, goal)) if large else None
            if tail is not None:
                block = tail if block is None else block + tail
            return cls(exact, block, J, dps)

    # -- the pieces ----------------------------------------------------------------------------------------
    @property
    def a_min(self) -> mpmath.mpf:
        """The smallest shape :math:`a`: the moment generating function exists for :math:`s > -a_{\\min}`."""
        values = [a for a, _, _ in self.terms] + ([self.block.a_min] if self.block is not None else [])
        return min(values)

    def _block_kappa(self, n: int) -> Interval:
        r"""The block's cumulant :math:`\kappa_n` from the asymptotic series (power sums as intervals)."""
        key = ("kappa", n)
        if key in self._cache:
            return self._cache[key]
        block = self.block
        assert block is not None
        m = n - 1
        jmax = len(block.power)
        with mpmath.workdps(self.dps):
            series, omitted = _psi_series(m)
            best = None
            for terms, (j_omit, bound) in enumerate(omitted):  # the number of Bernoulli terms with the least error
                if j_omit > jmax:
                    break
                rest = bound * block.power[j_omit - 1].hi
                if best is None or rest < best[1]:
                    best = (terms, rest)
            if best is None:
                raise ParameterError(f"a block needs power sums up to order {m + 4} for cumulant {n} (got {jmax})")
            terms, rest = best
            out = block.log_part if m == 0 else Interval(mpmath.mpf(0))
            for j, c in series[: 2 + terms] if m else series[: 1 + terms]:
                out = out + block.power[j - 1].scale(c)
            out = out.widen(rest)
        self._cache[key] = out
        return out

    def kappa(self, n: int) -> Interval:
        r""":math:`\kappa_n` of :math:`S` (``n >= 1``) as an interval."""
        with mpmath.workdps(self.dps):
            return self._kappa(int(n))

    def _kappa(self, n: int) -> Interval:
        exact = mpmath.fsum(k * (c + mpmath.psi(0, a)) if n == 1 else k * mpmath.psi(n - 1, a) for a, c, k in self.terms)
        out = Interval(exact, abs(exact) * mpmath.mpf(10) ** (-mpmath.mp.dps + 3))
        if self.block is not None:
            out = out + self._block_kappa(n)
        return out

    def log_mgf(self, s) -> Interval:
        r""":math:`\log E e^{sS}` as an interval, for :math:`-a_{\min} < s` and :math:`|s| \le a_{\text{block}}/2`."""
        with mpmath.workdps(self.dps):
            return self._log_mgf(mpmath.mpf(s))

    def _log_mgf(self, s) -> Interval:
        if s <= -self.a_min:
            raise ParameterError(f"the moment generating function needs s > -{mpmath.nstr(self.a_min, 6)} (got {s})")
        exact = mpmath.fsum(k * (s * c + mpmath.loggamma(a + s) - mpmath.loggamma(a)) for a, c, k in self.terms)
        out = Interval(exact, (abs(exact) + 1) * mpmath.mpf(10) ** (-mpmath.mp.dps + 3))
        if self.block is not None:
            if abs(s) > self.block.a_min / 2:
                raise ParameterError(f"log_mgf needs |s| <= a_block/2 = {mpmath.nstr(self.block.a_min / 2, 6)} (got {s})")
            J = self.order
            total = Interval(mpmath.mpf(0))
            for n in range(1, J + 1):
                total = total + self._block_kappa(n).scale(s**n / mpmath.factorial(n))
            # remainder at a + theta s, theta in (0, 1): a + theta s >= a/2 when s < 0
            scale = mpmath.mpf(2) if s < 0 else mpmath.mpf(1)
            total = total.widen(abs(s) ** (J + 1) * _psi_bound(J, self.block.power, scale) / mpmath.factorial(J + 1))
            out = out + total
        return out

    def moment(self, s) -> Interval:
        r""":math:`E e^{sS}` as an interval (e.g. :math:`E\,\sigma_g^{2s}/\sigma^{2s}` for :math:`S = \log(\sigma_g^2/\sigma^2)`)."""
        with mpmath.workdps(self.dps):
            return self._log_mgf(mpmath.mpf(s)).exp()

    def log_cf(self, t) -> tuple[mpmath.mpc, mpmath.mpf]:
        r""":math:`\log\varphi(t)` (a complex number) and a bound on its error (the block's remainders)."""
        with mpmath.workdps(self.dps):
            return self._log_cf(mpmath.mpf(t))

    def _log_cf(self, t, parts: bool = False):
        it = mpmath.mpc(0, t)
        value = mpmath.mpc(0)
        for a, c, k in self.terms:
            value += k * (it * c + mpmath.loggamma(a + it) - mpmath.loggamma(a))
        exact_re = value.real
        err = abs(value) * mpmath.mpf(10) ** (-mpmath.mp.dps + 3)
        if self.block is not None:
            J = self.order
            term = mpmath.mpc(1)
            for n in range(1, J + 1):
                term *= it / n
                kappa = self._block_kappa(n)
                value += kappa.mid * term
                err += kappa.rad * abs(term)
            err += abs(t) ** (J + 1) * _psi_bound(J, self.block.power) / mpmath.factorial(J + 1)
        return (value, err, exact_re) if parts else (value, err)

    # -- tails: Chernoff bounds ----------------------------------------------------------------------------
    def _s_range(self) -> tuple[mpmath.mpf, mpmath.mpf]:
        """Largest |s| usable on the left (s < 0) and on the right (s > 0) of the moment generating function."""
        left = self.a_min * mpmath.mpf("0.999")
        right = mpmath.mpf(50)
        if self.block is not None:
            left = min(left, self.block.a_min / 2)
            right = min(right, self.block.a_min / 2)
        return left, right

    def upper_tail_bound(self, y) -> mpmath.mpf:
        r"""An upper bound of :math:`P(S \ge y)`: :math:`\inf_{s>0} E e^{sS} e^{-sy}` (Chernoff), searched numerically
        (every :math:`s` gives a valid bound)."""
        return self._chernoff(mpmath.mpf(y), +1)

    def lower_tail_bound(self, y) -> mpmath.mpf:
        r"""An upper bound of :math:`P(S \le y)`: :math:`\inf_{s>0} E e^{-sS} e^{sy}`."""
        return self._chernoff(mpmath.mpf(y), -1)

    def _chernoff(self, y, side: int) -> mpmath.mpf:
        """``min_s exp(K(side s) - side s y)`` over a fixed grid of ``s`` (every ``s`` gives a valid bound)."""
        grid = self._cache.get(("grid", side))
        if grid is None:
            left, right = self._s_range()
            smax = right if side > 0 else left
            with mpmath.workdps(20):
                points = [smax * mpmath.mpf(10) ** (-k / 8) for k in range(0, 41)]
                grid = [(s, self._log_mgf(side * s).hi) for s in points]
            self._cache[("grid", side)] = grid
        with mpmath.workdps(20):
            best = min(k - side * s * y for s, k in grid)
            return min(mpmath.mpf(1), mpmath.exp(best) * (1 + mpmath.mpf(10) ** -15))

    # -- the distribution function ---------------------------------------------------------------------------
    def cdf(self, x, digits: int = 17, *, relative: bool = True) -> tuple[mpmath.mpf, mpmath.mpf]:
        r""":math:`P(S < x)` and a bound on its error: relative ``10^-digits`` (absolute if not ``relative``).

        The point ``x`` may be a number or a sequence (then lists are returned, one inversion for all).
        """
        many = isinstance(x, (list, tuple))
        xs = [mpmath.mpf(v) for v in (x if many else [x])]
        tol = mpmath.mpf(10) ** (-digits - 1)
        values, errors = self._invert(xs, tol)
        for _ in range(6):
            small = min(min(v, 1 - v) for v in values)
            need = mpmath.mpf(10) ** (-digits - 1) * small
            if not relative or errors[0] <= need:
                break
            tol = max(need, errors[0] * mpmath.mpf(10) ** -40) / 2
            again, again_err = self._invert(xs, tol)
            if again_err[0] >= errors[0] / 2:  # no progress: the terms' own precision is the floor
                values, errors = (again, again_err) if again_err[0] < errors[0] else (values, errors)
                break
            values, errors = again, again_err
        return (values, errors) if many else (values[0], errors[0])

    def _invert(self, xs: Sequence[mpmath.mpf], tol: mpmath.mpf) -> tuple[list, list]:
        """Gil-Pelaez midpoint sum with total error <= tol at every point of ``xs``."""
        grid = self._grid(min(xs), max(xs), tol)
        with mpmath.workdps(grid["dps"]):
            return [self._at(grid, x) for x in xs], [grid["error"]] * len(xs)

    def _at(self, grid: dict, x) -> mpmath.mpf:
        """The midpoint sum of a frequency grid at ``x`` (inside the grid's range)."""
        total = mpmath.fsum((phi * mpmath.expj(-t * x)).imag * w for t, phi, w in grid["points"])
        return min(max(mpmath.mpf(1) / 2 - total, mpmath.mpf(0)), mpmath.mpf(1))

    def _grid(self, lo, hi, tol) -> dict:
        """The frequencies, characteristic function values and weights of the inversion on ``[lo, hi]`` to ``tol``
        (cached: a quantile search evaluates many points of one grid)."""
        key = ("grid", lo, hi, tol)
        if key in self._cache:
            return self._cache[key]
        extra = int(-mpmath.log10(tol)) + 10 if tol > 0 else 30
        dps = max(self.dps, extra) + 5
        with mpmath.workdps(dps):
            part = tol / 3
            mean, var = self._kappa(1).mid, max(self._kappa(2).mid, mpmath.mpf(10) ** -30)
            sd = mpmath.sqrt(var)
            # discretisation: P(S >= lo + L) + P(S <= hi - L) <= part
            L = 2 * sd * mpmath.sqrt(-mpmath.log(part)) + (hi - lo) + abs(mean - (lo + hi) / 2)
            while self.upper_tail_bound(lo + L) + self.lower_tail_bound(hi - L) > part:
                L *= mpmath.mpf("1.25")
                if L > mpmath.mpf(10) ** 8:
                    raise ParameterError("the distribution of the log-variance is too heavy-tailed to invert here")
            disc = self.upper_tail_bound(lo + L) + self.lower_tail_bound(hi - L)
            delta = 2 * mpmath.pi / L
            two_smallest = sorted([a for a, _, k in self.terms for _ in range(min(k, 2))])[:2]
            if len(two_smallest) < 2 and self.block is not None:
                two_smallest = (two_smallest + [self.block.a_min, self.block.a_min])[:2]
            points = []
            cf_err = mpmath.mpf(0)
            k = 0
            while True:
                t = (k + mpmath.mpf(1) / 2) * delta
                logphi, err, exact_re = self._log_cf(t, parts=True)
                phi = mpmath.exp(logphi)
                weight = 1 / (mpmath.pi * (k + mpmath.mpf(1) / 2))
                points.append((t, phi, weight))
                cf_err += abs(phi) * (mpmath.exp(err) - 1) * weight
                # |phi| of the exact terms alone bounds |phi| too (the block's factor is a CF, <= 1)
                bound = min(abs(phi) * mpmath.exp(err), mpmath.exp(exact_re))
                c = mpmath.fprod(mpmath.sqrt(1 + a * a / (t * t)) for a in two_smallest)
                trunc = bound * c / (2 * mpmath.pi) if len(two_smallest) == 2 else bound * c / mpmath.pi
                if trunc < part:
                    break
                k += 1
                if k > 200_000:
                    raise ParameterError("the characteristic function decays too slowly to invert here")
            grid = {"points": points, "error": disc + trunc + cf_err, "dps": dps}
        self._cache[key] = grid
        return grid

    def quantile(self, q, digits: int = 17) -> tuple[mpmath.mpf, mpmath.mpf]:
        r"""The ``q``-quantile :math:`x_q` of :math:`S` and a bound on its error, by bisection on the inverted
        distribution function with its error bound (so the returned bracket is guaranteed), on one frequency grid.

        >>> law = LogGammaSum([(mpmath.mpf(1), 0, 1)])  # log of an exponential: P(S < x) = 1 - exp(-e^x)
        >>> x, err = law.quantile(0.5, 15)
        >>> mpmath.nstr(x, 12), mpmath.nstr(mpmath.log(mpmath.log(2)), 12), bool(err < 1e-14)
        ('-0.366512920582', '-0.366512920582', True)
        """
        q = mpmath.mpf(q)
        if not 0 < q < 1:
            raise ParameterError(f"q must be a probability strictly between 0 and 1 (got {q})")
        with mpmath.workdps(self.dps):
            mean, sd = self._kappa(1).mid, mpmath.sqrt(self._kappa(2).mid)
            lo, hi = mean - 8 * sd - 1, mean + 8 * sd + 1
            tol = mpmath.mpf(10) ** (-digits - 2) * min(q, 1 - q)
            for _ in range(20):
                grid = self._grid(lo, hi, tol)
                with mpmath.workdps(grid["dps"]):
                    e = grid["error"]
                    if self._at(grid, lo) + e >= q:
                        lo -= 8 * sd + 1
                        continue
                    if self._at(grid, hi) - e <= q:
                        hi += 8 * sd + 1
                        continue
                    break
            width = mpmath.mpf(10) ** (-digits - 1) * (1 + abs(mean))
            a, b = lo, hi
            with mpmath.workdps(grid["dps"]):
                for _ in range(400):
                    if b - a <= width:
                        break
                    mid = (a + b) / 2
                    v = self._at(grid, mid)
                    if v + e < q:
                        a = mid
                    elif v - e > q:
                        b = mid
                    else:  # within the error band: shrink from both sides while the bracket stays guaranteed
                        a2, b2 = (a + mid) / 2, (mid + b) / 2
                        moved = False
                        if self._at(grid, a2) + e < q:
                            a, moved = a2, True
                        if self._at(grid, b2) - e > q:
                            b, moved = b2, True
                        if not moved:
                            break
            return (a + b) / 2, (b - a) / 2


POWERS = 100
"""Most power sums a block carries (``j = 1..POWERS``)."""


def _powers_needed(terms: Sequence[tuple], order: int, goal) -> int:
    r"""How many power sums :math:`P_j` the asymptotic series of the cumulants up to ``order + 1`` need over
    ``terms`` for an error below ``goal`` (a few more than the first Bernoulli term that is small enough)."""
    a_min = min(a for a, _, _ in terms)
    count = sum(n for _, _, n in terms)
    m = order
    for K in range(1, 40):
        est = count * abs(_bernoulli(2 * K)) * mpmath.factorial(2 * K + m - 1) / mpmath.factorial(2 * K) / a_min ** (2 * K + m)
        if est < goal * mpmath.mpf(10) ** -3:
            return min(POWERS, max(order + 4, 2 * K + m + 2))
    return POWERS
