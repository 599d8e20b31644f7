r"""Infinite schedules of sample sizes: convergence of :math:`\sum 1/M_i`, and rigorous brackets of tail power sums.

A named schedule (:class:`~modelcollapse._validation.Schedule`) has sizes :math:`M_i = \lceil x_i\rceil` of a smooth
:math:`x_i` (``power``: :math:`A(i+1)^P`; ``geometric``: :math:`AR^i`; ``powerlog``: :math:`A(i+1)^P\log(i+2)^Q`;
``linear``: :math:`A + Bi`).  For :math:`g \to \infty` what is needed are tails
:math:`\sum_{i \ge N} (M_i - s)^{-j}` (shift :math:`s = 0` or :math:`1`), bracketed analytically from

.. math::  x_i - s \le M_i - s < x_i + 1 - s, \qquad Z_j(N) = \sum_{i\ge N} x_i^{-j}
           = A^{-j}\zeta(jP, N+1)\ (\text{power}), \quad \frac{(AR^N)^{-j}}{1 - R^{-j}}\ (\text{geometric}),

with the Hurwitz zeta function; so :math:`(M_i - 1)^{-j} \in (x_i^{-j}, x_i^{-j}(1 + j (1 - 1/x_N)^{-j-1}/x_i)]`
and :math:`M_i^{-j} \in [x_i^{-j}(1 - j/x_i), x_i^{-j}]`.  The bracket width is of the order of
:math:`Z_{j+1}(N)`: the sizes below :math:`N` are summed exactly (:func:`power_sums`).

Pure mpmath and Python integers; generic over models (nothing here names one).

>>> from modelcollapse._validation import parse_sizes
>>> s = parse_sizes("power:10,2xinf")
>>> converges(s), converges(parse_sizes("power:10,1xinf"))
(True, False)
>>> lo, hi = tail_bracket(s, 1000, 1, shift=0)
>>> bool(lo < hi), mpmath.nstr(hi - lo, 3)
(True, '3.33e-12')
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from .._validation import ParameterError, Schedule

__all__ = ["converges", "power_sums", "smooth_sum", "tail_bracket"]


def converges(schedule: Schedule, power: int = 1) -> bool:
    r"""Whether :math:`\sum_i M_i^{-j} < \infty` (``j = power``) for the schedule continued for ever (integral test).

    ``power``: :math:`jP > 1`; ``geometric``: :math:`R > 1`; ``powerlog``: :math:`jP > 1`, or :math:`jP = 1` and
    :math:`jQ > 1` (Bertrand); ``linear``: for :math:`j \ge 2` with :math:`B > 0` (constant or harmonic otherwise).
    """
    name, args = schedule.name, schedule.args
    j = power
    if name == "power":
        return j * args[1] > 1
    if name == "geometric":
        return args[1] > 1
    if name == "powerlog":
        return j * args[1] > 1 or (j * args[1] == 1 and j * args[2] > 1)
    return j >= 2 and args[1] > 0


def _mp(f) -> mpmath.mpf:
    return mpmath.mpf(f.numerator) / f.denominator


def smooth(schedule: Schedule, i: int) -> mpmath.mpf:
    """:math:`x_i`, the smooth size before the ceiling."""
    A = _mp(schedule.args[0])
    if schedule.name == "power":
        return A * mpmath.mpf(i + 1) ** _mp(schedule.args[1])
    if schedule.name == "geometric":
        return A * _mp(schedule.args[1]) ** i
    if schedule.name == "powerlog":
        return A * mpmath.mpf(i + 1) ** _mp(schedule.args[1]) * mpmath.log(i + 2) ** _mp(schedule.args[2])
    return A + _mp(schedule.args[1]) * i


def smooth_sum(schedule: Schedule, start: int, j: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    r"""A bracket ``(lo, hi)`` of :math:`Z_j(N) = \sum_{i \ge N} x_i^{-j}` (``N = start``), exact for ``power`` and
    ``geometric`` (then ``lo == hi``), from integral bounds for ``powerlog``."""
    if not converges(schedule, j):
        raise ParameterError(f"sizes: the tail sum of 1/M_i^{j} of {schedule.text} diverges")
    A = _mp(schedule.args[0])
    if schedule.name == "power":
        P = _mp(schedule.args[1])
        value = mpmath.zeta(j * P, start + 1) / A**j
        return value, value
    if schedule.name == "geometric":
        R = _mp(schedule.args[1])
        value = (A * R**start) ** (-j) / (1 - R ** (-j))
        return value, value
    if schedule.name == "linear":  # sum_{i>=N} (A + B i)^-j = B^-j zeta(j, N + A/B)
        B = _mp(schedule.args[1])
        value = mpmath.zeta(j, start + A / B) / B**j
        return value, value
    # powerlog, f(t) = (A (t+1)^P log(t+2)^Q)^-j decreasing: int_N^inf f <= sum_{i>=N} f(i) <= f(N) + int_N^inf f,
    # with log(t+1) <= log(t+2) for the upper integral and log(t+2) <= log(t+3) ... bounded by log of the argument
    P, Q = _mp(schedule.args[1]), _mp(schedule.args[2])
    first = smooth(schedule, start) ** (-j)
    # upper: f(t) <= (A (t+1)^P log(t+1)^Q)^-j; with u = log(t+1): int = A^-j int u^{-jQ} e^{-(jP-1)u} du
    lo_u = mpmath.log(start + 1)
    if lo_u <= 0:
        lo_u = mpmath.log(2)
        first += smooth(schedule, 0) ** (-j)
    if j * P > 1:
        upper = mpmath.quad(lambda u: u ** (-j * Q) * mpmath.exp(-(j * P - 1) * u), [lo_u, mpmath.inf]) / A**j
    else:  # jP = 1: int u^{-jQ} du = lo_u^{1 - jQ}/(jQ - 1)
        upper = lo_u ** (1 - j * Q) / (j * Q - 1) / A**j
    # lower: f(t) >= (A (t+1)^P log(t+2)^Q)^-j >= (A (t+2)^P log(t+2)^Q)^-j
    lo_v = mpmath.log(start + 2)
    if j * P > 1:
        lower = mpmath.quad(lambda v: v ** (-j * Q) * mpmath.exp(-(j * P - 1) * v), [lo_v, mpmath.inf]) / A**j
    else:
        lower = lo_v ** (1 - j * Q) / (j * Q - 1) / A**j
    # quadrature of a smooth positive integrand to the working precision: widen by a relative 10^-(dps-5)
    slack = mpmath.mpf(10) ** (-mpmath.mp.dps + 5)
    return lower * (1 - slack), (upper + first) * (1 + slack)


def tail_bracket(schedule: Schedule, start: int, j: int, shift: int = 1) -> tuple[mpmath.mpf, mpmath.mpf]:
    r"""A bracket of :math:`\sum_{i \ge N} (M_i - s)^{-j}` for ``N = start``, ``s = shift`` (0 or 1); the schedule
    must be nondecreasing with :math:`x_N > 1`."""
    if shift not in (0, 1):
        raise ParameterError(f"shift must be 0 or 1 (got {shift})")
    x_n = smooth(schedule, start)
    if x_n <= 1 + shift:
        raise ParameterError(f"sizes: the tail of {schedule.text} from M_{start} is too small to bracket (x = {x_n})")
    zlo, zhi = smooth_sum(schedule, start, j)
    z1lo, z1hi = smooth_sum(schedule, start, j + 1)
    if shift == 1:
        return zlo, zhi + j * (1 - 1 / x_n) ** (-j - 1) * z1hi
    return zlo - j * z1hi, zhi


def power_sums(sizes: Sequence[int], jmax: int, shift: int = 1, scale: int = 1) -> list[tuple[mpmath.mpf, mpmath.mpf]]:
    r"""Brackets of :math:`\sum_i (\text{scale}/(M_i - s))^j`, ``j = 1..jmax``, over explicit sizes, in fixed-point
    integer arithmetic at the working precision (every truncation is one unit of the radius)."""
    bits = mpmath.mp.prec + 20
    sums = [0] * jmax
    count = 0
    for m in sizes:
        d = m - shift
        if d <= 0:
            raise ParameterError(f"sizes must exceed {shift} here (got {m})")
        q = (scale << bits) // d
        x = 1 << bits
        for j in range(jmax):
            x = (x * q) >> bits
            sums[j] += x
        count += 1
    out = []
    for j in range(jmax):
        mid = mpmath.ldexp(sums[j], -bits)
        rad = mpmath.ldexp(count * (j + 2), -bits)
        out.append((mid - rad, mid + rad))
    return out
