r"""Numbers as JSON and CSV carry them: faithful beyond the float64 range, never ``Infinity`` or ``NaN``.

Pure Python (``math``, ``decimal``; mpmath is imported only when an mpmath number is given), so every layer
may use it.  The rule, documented in the package's JSON schema (``modelcollapse/schema/output.schema.json``):

* a value that is a **normal float64** (or exactly zero) is written as a JSON number;
* any other finite value -- beyond :math:`1.8\times 10^{308}`, below :math:`2.2\times 10^{-308}` (where a
  float would be ``0.0``, subnormal or ``inf``), or with more than 17 digits asked for -- is a **decimal string
  with an exponent**, ``"2.5123e-981"``;
* a true infinity (e.g. :math:`E\log\sigma_g^2` after an exact collapse) is the string ``"inf"`` or ``"-inf"``;
* an undefined value is ``null``, and the output says why next to it.

A Monte Carlo estimate beyond the float64 range is carried as a float ``mantissa`` and a power of two
(:class:`Scaled`); :func:`number` turns it into the same decimal string exactly (``decimal`` arithmetic).

Examples
--------
>>> number(1.5), number(0.0), number(5e-320), number(float("inf")), number(float("nan"))
(1.5, 0.0, '5e-320', 'inf', None)
>>> number(Scaled(1.25, -4000))
'9.4825983793342232e-1205'
>>> import mpmath
>>> with mpmath.workdps(30):
...     tiny, third = mpmath.mpf("2.5e-981"), mpmath.mpf(2) / 3
>>> number(tiny), number(third, 5), number(third, 20)
('2.5e-981', 0.66667, '0.66666666666666666667')
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["FLOAT_MIN_NORMAL", "Scaled", "is_normal", "number", "parse_number", "to_float"]

FLOAT_MIN_NORMAL = 2.2250738585072014e-308
FLOAT_MAX = 1.7976931348623157e308


@dataclass(frozen=True, slots=True)
class Scaled:
    """``mantissa * 2**exponent``: a finite real beyond the float64 range, exactly."""

    mantissa: float
    exponent: int

    def decimal(self, digits: int = 17) -> decimal.Decimal:
        """The value as a :class:`decimal.Decimal` rounded to ``digits`` significant digits."""
        with decimal.localcontext() as ctx:
            ctx.prec = max(digits, 1)
            ctx.Emax, ctx.Emin = decimal.MAX_EMAX, decimal.MIN_EMIN
            return +(decimal.Decimal(self.mantissa) * decimal.Decimal(2) ** self.exponent)

    def log(self) -> float:
        """Natural logarithm of the absolute value (``-inf`` for zero)."""
        if self.mantissa == 0:
            return -math.inf
        return math.log(abs(self.mantissa)) + self.exponent * math.log(2.0)


def is_normal(x: float) -> bool:
    """Whether the float ``x`` is zero or a normal, finite float64.

    >>> is_normal(1e-300), is_normal(1e-310), is_normal(0.0), is_normal(float("inf"))
    (True, False, True, False)
    """
    return x == 0.0 or FLOAT_MIN_NORMAL <= abs(x) <= FLOAT_MAX


def _exponent_text(text: str) -> str:
    """``'1.2500E-1205'`` -> ``'1.25e-1205'``: strip trailing zeros of the mantissa, lower-case exponent."""
    mant, _, exp = text.upper().partition("E")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp or 0)}"


def _decimal_text(value: decimal.Decimal, digits: int) -> str:
    return _exponent_text(f"{value:.{max(digits - 1, 0)}E}")


def number(value: Any, digits: int = 17) -> float | int | str | None:
    """A value as JSON carries it (module docstring): float, exponent string, ``"inf"``/``"-inf"`` or None.

    ``value``: None, a bool (returned as is), an int, a float, an mpmath number or :class:`Scaled`.
    ``digits`` (>= 1): significant digits; above 17 every finite nonzero value is a string.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Scaled):
        if not math.isfinite(value.mantissa):
            return None if math.isnan(value.mantissa) else ("inf" if value.mantissa > 0 else "-inf")
        try:
            as_float = math.ldexp(value.mantissa, value.exponent)
        except OverflowError:
            as_float = math.inf
        if as_float != 0.0 and is_normal(as_float) and digits <= 17:
            return float(f"{as_float:.{digits}g}")
        if value.mantissa == 0.0:
            return 0.0
        return _decimal_text(value.decimal(digits), digits)
    if type(value).__module__.startswith("mpmath"):
        return _mpmath_number(value, digits)
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        return _mpmath_number(value, digits)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if is_normal(x) and digits <= 17:
        return float(f"{x:.{digits}g}")
    if x == 0.0:
        return 0.0
    if digits >= 17:
        return _exponent_text(f"{x!r}" if "e" in repr(x) else f"{x:.16e}")
    return _exponent_text(f"{x:.{digits - 1}e}")


def _mpmath_number(value: Any, digits: int) -> float | str | None:
    import mpmath

    with mpmath.workdps(max(digits, 17) + 5):
        v = mpmath.mpf(value) if not isinstance(value, mpmath.mpf) else value
        if mpmath.isnan(v):
            return None
        if mpmath.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return 0.0
        if digits > 17:
            a = abs(v)
            if mpmath.mpf(10) ** -4 <= a < mpmath.mpf(10) ** digits:
                return mpmath.nstr(v, digits, strip_zeros=False, min_fixed=-4, max_fixed=digits)
            return _exponent_text(mpmath.nstr(v, digits, strip_zeros=False, min_fixed=0, max_fixed=0))
        if FLOAT_MIN_NORMAL <= abs(v) <= FLOAT_MAX:
            out = float(v) if digits == 17 else float(mpmath.nstr(v, digits, strip_zeros=False))
            if is_normal(out) and out != 0.0:
                return out
        return _exponent_text(mpmath.nstr(v, digits, strip_zeros=False, min_fixed=0, max_fixed=0))


def parse_number(text: str) -> float | str | None:
    """A number read back from a table cell: a float where it is a normal float64, else the text itself.

    >>> parse_number("1.5"), parse_number("2.5e-981"), parse_number(""), parse_number("inf")
    (1.5, '2.5e-981', None, inf)
    """
    text = text.strip()
    if not text:
        return None
    x = float(text)
    if math.isnan(x):
        return x
    if math.isinf(x):
        return x if text.lower().lstrip("+-") in ("inf", "infinity") else text
    if is_normal(x) and (x != 0.0 or _is_zero_text(text)):
        return x
    return text


def _is_zero_text(text: str) -> bool:
    mant = text.lower().partition("e")[0].lstrip("+-").replace(".", "")
    return set(mant) <= {"0"}


def to_float(value: Any) -> float:
    """A JSON/CSV number as a float, for arithmetic that tolerates rounding (strings beyond the float64 range
    become 0.0 or +-inf, ``None`` nan)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return float(value)
