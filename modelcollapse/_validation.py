"""Input validation shared by every layer.

Pure Python on purpose: ``symbolic`` (SymPy) and ``numeric`` (numpy) both call it, and neither may pull
in the other.  Every error names the parameter, the constraint and the value received (see STYLE.md, R8).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence

ESTIMATORS = ("unbiased", "mle")

DEFAULT_SEED = 20241125
"""Master seed used when none is given (verification, tests, figures): runs are reproducible by default."""

MAX_GENERATIONS = 100_000
"""Longest schedule accepted (exact theory is O(g) in mpmath; simulation O(g) per chain)."""
MAX_ORDER = 6
"""Highest series order the CLI accepts (the library's ``series`` goes to ``MAX_ORDER + 2``; order 8 of
Var W2^2 takes under a second, carrying one coefficient per composition)."""
MAX_DIGITS = 1000
"""Most significant digits accepted for mpmath evaluation."""
MAX_CHAINS = 10**10
"""Most chains one run accepts (ten billion: hours of work even for one generation; the scale ``paper``
of ``verify`` stops at 2e9)."""
MAX_SIZES_FILE = 64 * 2**20
"""Largest ``--sizes @FILE`` read (bytes)."""
"""Variance estimators: ``unbiased`` divides by ``M - 1``, ``mle`` (maximum likelihood) by ``M``."""


class ParameterError(ValueError):
    """A parameter outside its domain.  Subclass of :class:`ValueError`; the message says it all."""


def _describe(value: object) -> str:
    return f"{value!r} of type {type(value).__name__}"


def check_integer(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int``; raise :class:`ParameterError` naming ``name`` otherwise.

    Accepts Python and numpy integers (anything with ``__index__``) and integral floats such as ``10.0``;
    rejects booleans, fractional numbers and strings.

    >>> check_integer("chains", 10, minimum=2)
    10
    >>> check_integer("chains", 1, minimum=2)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: chains must be an integer >= 2 (got 1)
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be an integer, not a boolean (got {value!r})")
    try:
        out = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            out = int(value)
        else:
            raise ParameterError(f"{name} must be an integer (got {_describe(value)})") from None
    if minimum is not None and out < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum} (got {out})")
    if maximum is not None and out > maximum:
        bound = f"between {minimum} and {maximum}" if minimum is not None else f"<= {maximum}"
        raise ParameterError(f"{name} must be an integer {bound} (got {out})")
    return out


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a positive finite float, or raise :class:`ParameterError`.

    >>> check_positive("sigma", 2)
    2.0
    >>> check_positive("sigma", -1.0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sigma must be a finite number > 0 (got -1.0)
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number, not a boolean (got {value!r})")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a finite number > 0 (got {_describe(value)})") from None
    if not (math.isfinite(out) and out > 0):
        raise ParameterError(f"{name} must be a finite number > 0 (got {value!r})")
    return out


def check_estimator(estimator: object) -> str:
    """Return the estimator name, or raise :class:`ParameterError` listing the choices.

    >>> check_estimator("mle")
    'mle'
    """
    if estimator not in ESTIMATORS:
        raise ParameterError(f"estimator must be one of {', '.join(ESTIMATORS)} (got {estimator!r})")
    return str(estimator)


def min_size(estimator: str) -> int:
    """Smallest allowed sample size: 2 for ``unbiased`` (divisor M - 1 > 0), 1 for ``mle``."""
    return 2 if check_estimator(estimator) == "unbiased" else 1


def check_sizes(sizes: object, estimator: str = "unbiased") -> tuple[int, ...]:
    """Validate a schedule of sample sizes ``M_0, ..., M_{g-1}`` and return it as a tuple of ints.

    >>> check_sizes([10, 30, 7])
    (10, 30, 7)
    >>> check_sizes([10, 1])
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sizes[1] must be an integer >= 2 for the unbiased estimator (got 1)
    """
    estimator = check_estimator(estimator)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ParameterError(f"sizes must be a sequence of integers (got {_describe(sizes)})")
    out = []
    lo = min_size(estimator)
    for i, m in enumerate(sizes):
        if isinstance(m, bool):
            raise ParameterError(f"sizes[{i}] must be an integer, not a boolean (got {m!r})")
        try:
            mi = check_integer(f"sizes[{i}]", m)
        except ParameterError:
            raise ParameterError(f"sizes[{i}] must be an integer (got {_describe(m)})") from None
        if mi < lo:
            raise ParameterError(
                f"sizes[{i}] must be an integer >= {lo} for the {estimator} estimator (got {mi})"
            )
        out.append(mi)
        if len(out) > MAX_GENERATIONS:
            raise ParameterError(f"sizes must hold at most {MAX_GENERATIONS} generations (got more)")
    if not out:
        raise ParameterError("sizes must hold at least one sample size (got an empty schedule)")
    return tuple(out)


def parse_sizes(text: str) -> tuple[int, ...]:
    """Parse the command-line schedule syntax: ``10,30,7`` or ``20x50`` (fifty fits of size 20), mixed freely.

    Only the syntax is checked here; the domain (``M >= 2``) is checked by :func:`check_sizes`.

    >>> parse_sizes("10,30,7")
    (10, 30, 7)
    >>> parse_sizes("20x3,5")
    (20, 20, 20, 5)
    >>> parse_sizes("10,abc")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sizes must be integers separated by commas, or SIZExCOUNT (got 'abc' in '10,abc')
    """
    text = str(text)
    if text.startswith("@"):
        return read_sizes_file(text[1:])
    items = [t.strip() for t in text.split(",")]
    if not any(items):
        raise ParameterError(f"sizes must hold at least one sample size (got {text!r})")
    out: list[int] = []
    for item in items:
        size, sep, count = item.partition("x")
        try:
            m = ascii_int(size)
            n = ascii_int(count) if sep else 1
        except ValueError:
            raise ParameterError(
                f"sizes must be integers separated by commas, or SIZExCOUNT (got {item!r} in {text!r})"
            ) from None
        if n < 1:
            raise ParameterError(f"the repeat count in {item!r} must be an integer >= 1 (got {n})")
        if len(out) + n > MAX_GENERATIONS:
            raise ParameterError(
                f"sizes must hold at most {MAX_GENERATIONS} generations (got {len(out) + n} from {text!r})"
            )
        out.extend([m] * n)
    return tuple(out)


def ascii_int(text: str) -> int:
    """``int(text)`` for plain ASCII decimal digits with an optional sign only: Python's ``int`` also takes
    ``1_0`` and non-ASCII digits (``'\u0661\u0660'``), which no size or count on a command line means.

    >>> ascii_int(" 12 "), ascii_int("-3")
    (12, -3)
    >>> ascii_int("1_0")
    Traceback (most recent call last):
    ...
    ValueError: not a plain decimal integer: '1_0'
    """
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f"not a plain decimal integer: {text!r}")
    return int(t)


_FLOAT = __import__("re").compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def ascii_float(text: str) -> float:
    """``float(text)`` for the plain decimal syntax only (no ``1_0``, no non-ASCII digits, no ``inf``/``nan``,
    which every parameter's finiteness check would reject anyway, with a less precise message).

    >>> ascii_float("1e-3"), ascii_float("-.5")
    (0.001, -0.5)
    """
    t = text.strip()
    if not _FLOAT.match(t):
        raise ValueError(f"not a plain decimal number: {text!r}")
    return float(t)


def read_sizes_file(path: str) -> tuple[int, ...]:
    r"""Sizes from a file (``--sizes @FILE``): the schedule syntax of :func:`parse_sizes`, with commas, blanks or
    newlines between entries and ``#`` comments; for schedules too long for a command line.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "sizes.txt"
    >>> _ = f.write_text("# a schedule\n10 20\n5x3,7\n")
    >>> read_sizes_file(str(f))
    (10, 20, 5, 5, 5, 7)
    """
    import os

    if not path:
        raise ParameterError("sizes must name a file after @ (got '@')")
    try:
        size = os.path.getsize(path)
        if size > MAX_SIZES_FILE:
            raise ParameterError(f"sizes file must be at most {MAX_SIZES_FILE} bytes (got {size} bytes in {path!r})")
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except ParameterError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"sizes file {path!r} cannot be read ({type(exc).__name__}: {exc})") from None
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        entries += [t for t in line.replace(",", " ").split() if t]
    if not entries:
        raise ParameterError(f"sizes file {path!r} must hold at least one sample size (got none)")
    try:
        return parse_sizes(",".join(entries))
    except ParameterError as exc:
        raise ParameterError(f"{exc} (in the file {path!r})") from None


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise :class:`ParameterError`."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)} (got {value!r})")
    return str(value)


SCHEMES = ("replace", "accumulate", "accumulate-subsample", "mix")
"""Data regimes of the 1D Gaussian: replace the data each generation; accumulate every sample; accumulate and
fit on a subsample of ``M_i`` points of the pool; mix ``real`` fresh real points into each sample."""


def check_regime(sizes: Sequence[int], estimator: str, scheme: object, real: object) -> tuple[str, int]:
    """Validate a data regime against a schedule: ``(scheme, real)``.

    ``real`` (the fresh real points per sample) belongs to ``scheme="mix"``: ``0 <= real <= M_i`` for every
    sample ``i >= 1`` (sample 0 is all real).  Every scheme but ``replace`` needs ``M_i >= 2``.

    >>> check_regime((10, 20), "unbiased", "mix", 5)
    ('mix', 5)
    >>> check_regime((10, 4), "unbiased", "mix", 5)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: real must be an integer between 0 and every sample size M_i, i >= 1 (got real=5 > sizes[1]=4)
    >>> check_regime((10,), "unbiased", "replace", 3)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: real must be 0 unless scheme is mix (got real=3 with scheme replace)
    """
    scheme = check_choice("scheme", scheme, SCHEMES)
    real = check_integer("real", real, minimum=0)
    if scheme != "mix" and real != 0:
        raise ParameterError(f"real must be 0 unless scheme is mix (got real={real} with scheme {scheme})")
    if scheme != "replace":
        for i, m in enumerate(sizes):
            if m < 2:
                raise ParameterError(f"sizes[{i}] must be an integer >= 2 for scheme {scheme} (got {m})")
    for i, m in enumerate(sizes[1:], 1):
        if real > m:
            raise ParameterError(
                f"real must be an integer between 0 and every sample size M_i, i >= 1 (got real={real} > sizes[{i}]={m})"
            )
    return scheme, real
