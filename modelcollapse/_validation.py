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


def check_sizes(sizes: object, estimator: str = "unbiased", *, infinite: bool = False) -> tuple[int, ...]:
    """Validate a schedule of sample sizes ``M_0, ..., M_{g-1}`` and return it as a tuple of ints.

    A :class:`Sizes` (a named finite schedule) is returned as a :class:`Sizes`.  An infinite
    :class:`Schedule` (``xinf``) is accepted only with ``infinite=True`` (theory of the limit
    g -> infinity), and returned as it is once its first size passes the estimator's minimum.

    >>> check_sizes([10, 30, 7])
    (10, 30, 7)
    >>> check_sizes([10, 1])
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sizes[1] must be an integer >= 2 for the unbiased estimator (got 1)
    """
    estimator = check_estimator(estimator)
    if isinstance(sizes, Schedule):
        if not sizes.infinite:
            sizes = Sizes(sizes.sizes(), sizes)
        elif not infinite:
            raise ParameterError(f"sizes must be a finite schedule here (got {sizes.text}: xinf, the limit g -> "
                                 f"infinity, is for theory only; give a number of generations, e.g. "
                                 f"{sizes.text[:-4]}x100)")
        else:
            lo = min_size(estimator)
            if sizes.size(0) < lo:
                raise ParameterError(f"sizes[0] must be an integer >= {lo} for the {estimator} estimator "
                                     f"(got {sizes.size(0)} from {sizes.text})")
            return sizes  # type: ignore[return-value]
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
    if isinstance(sizes, Sizes):
        return Sizes(out, sizes.schedule)
    return tuple(out)


def parse_sizes(text: str) -> tuple[int, ...] | Schedule:
    """Parse the command-line schedule syntax: ``10,30,7`` or ``20x50`` (fifty fits of size 20), mixed freely;
    or a named schedule (:func:`parse_schedule`), ``power:10,2x50`` or ``geometric:10,1.5xinf``.

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
    if ":" in text:
        return parse_schedule(text)
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


# ---------------------------------------------------------------------------------------------------------
# Named schedules: power:A,P  linear:A,B  geometric:A,R  powerlog:A,P,Q, followed by xG or xinf

MAX_SIZE = 2**53
"""Largest sample size a finite schedule may hold: every size is then exact in float64 (numeric layer)."""

SCHEDULES = {
    "power": (("A", "P"), "M_i = ceil(A (i+1)^P)"),
    "linear": (("A", "B"), "M_i = A + B i"),
    "geometric": (("A", "R"), "M_i = ceil(A R^i)"),
    "powerlog": (("A", "P", "Q"), "M_i = ceil(A (i+1)^P log(i+2)^Q)"),
}
r"""The named schedules: their arguments and sizes, :math:`i = 0, 1, \dots`."""

_SCHEDULE_SYNTAX = "power:A,P | linear:A,B | geometric:A,R | powerlog:A,P,Q followed by xG or xinf (e.g. power:10,2x50)"


class Schedule:
    r"""A named schedule of sample sizes, finite (``xG``: :math:`M_0..M_{G-1}`) or infinite (``xinf``).

    Arguments are exact rationals (read from their decimal text); sizes are exact integers computed with
    exact or 60-digit decimal arithmetic, so ``ceil`` is never off by one from float rounding.

    >>> s = parse_schedule("power:10,2x4").schedule
    >>> s, s.size(3), s.infinite
    (Schedule('power:10,2x4'), 160, False)
    >>> parse_schedule("geometric:2,1.5xinf").sizes(5)
    (2, 3, 5, 7, 11)
    """

    __slots__ = ("name", "args", "generations", "_tokens")

    def __init__(self, name: str, args: Sequence[object], generations: int | None, tokens: Sequence[str] | None = None):
        from fractions import Fraction

        self.name = name
        self.args = tuple(Fraction(str(a)) for a in args)
        self.generations = generations
        self._tokens = tuple(tokens) if tokens is not None else tuple(_fraction_text(a) for a in self.args)

    # -- identity --------------------------------------------------------------------------------------------
    @property
    def infinite(self) -> bool:
        r"""Whether the schedule runs for ever (``xinf``: theory takes the limit :math:`g \to \infty`)."""
        return self.generations is None

    @property
    def text(self) -> str:
        """The schedule as the command line writes it: ``power:10,2x50``."""
        count = "inf" if self.generations is None else str(self.generations)
        return f"{self.name}:{','.join(self._tokens)}x{count}"

    def __repr__(self) -> str:
        return f"Schedule({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and (self.name, self.args, self.generations) == (
            other.name, other.args, other.generations)

    def __hash__(self) -> int:
        return hash((self.name, self.args, self.generations))

    def __reduce__(self):
        return (Schedule, (self.name, tuple(str(a) for a in self.args), self.generations, self._tokens))

    def extended(self) -> Schedule:
        """The same schedule for ever (``xinf``)."""
        return Schedule(self.name, self.args, None, self._tokens)

    def to_json(self) -> dict[str, object]:
        """``{"name", "args": {A: ..}, "generations": G or "inf", "text"}``."""
        names = SCHEDULES[self.name][0]
        args = {n: (int(a) if a.denominator == 1 else float(a)) for n, a in zip(names, self.args, strict=True)}
        return {"name": self.name, "args": args, "generations": "inf" if self.infinite else self.generations,
                "text": self.text}

    # -- sizes -----------------------------------------------------------------------------------------------
    @property
    def increasing(self) -> bool:
        """Whether the sizes never decrease (every schedule but ``linear`` with B < 0 and ``geometric`` with R < 1)."""
        if self.name == "linear":
            return self.args[1] >= 0
        if self.name == "geometric":
            return self.args[1] >= 1
        return True

    def size(self, i: int) -> int:
        """:math:`M_i` (exact integer; any ``i >= 0``, beyond :attr:`generations` for the extension)."""
        import decimal
        import math

        A = self.args[0]
        if self.name == "linear":
            return int(A + self.args[1] * i)
        if self.name == "power" and self.args[1].denominator == 1:
            return math.ceil(A * (i + 1) ** int(self.args[1]))
        if self.name == "geometric" and self.args[1].denominator == 1:
            return math.ceil(A * int(self.args[1]) ** i)
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            dec = lambda f: decimal.Decimal(f.numerator) / decimal.Decimal(f.denominator)  # noqa: E731
            if self.name == "power":
                value = dec(A) * decimal.Decimal(i + 1) ** dec(self.args[1])
            elif self.name == "geometric":
                value = dec(A) * dec(self.args[1]) ** i
            else:  # powerlog
                value = dec(A) * decimal.Decimal(i + 1) ** dec(self.args[1]) * decimal.Decimal(i + 2).ln() ** dec(self.args[2])
            return int(value.to_integral_value(rounding=decimal.ROUND_CEILING))

    def sizes(self, count: int | None = None, start: int = 0) -> tuple[int, ...]:
        """The sizes ``M_start .. M_{count-1}`` (default: all :attr:`generations` of a finite schedule); exact
        integer arithmetic where the arguments allow it (fast), 60-digit decimals otherwise."""
        if count is None:
            if self.generations is None:
                raise ParameterError(f"sizes: the schedule {self.text} is infinite; give its first sizes a count")
            count = self.generations
        A = self.args[0]
        p, q = A.numerator, A.denominator
        if self.name == "power" and self.args[1].denominator == 1:
            e = int(self.args[1])
            return tuple(-((-p * (i + 1) ** e) // q) for i in range(start, count))
        if self.name == "linear":
            return tuple(int(A + self.args[1] * i) for i in range(start, count))
        return tuple(self._fast_size(i) for i in range(start, count))

    def _fast_size(self, i: int) -> int:
        """:meth:`size` through floats where the float's error bound cannot move the ceiling, else exactly."""
        import math

        if self.name in ("power", "geometric"):
            b = float(self.args[1])
            try:
                x = float(self.args[0]) * ((i + 1) ** b if self.name == "power" else b**i)
            except OverflowError:
                x = math.inf
            if x < 2.0**50:
                grow = b * math.log(i + 1) if self.name == "power" else i + 1.0
                tol = 64 * 2.0**-52 * x * (1 + grow)
                lo = math.floor(x)
                if x - lo > tol and lo + 1 - x > tol:
                    return lo + 1
        return self.size(i)


def _fraction_text(f: object) -> str:
    from fractions import Fraction

    f = Fraction(str(f))
    return str(f.numerator) if f.denominator == 1 else repr(float(f))


class Sizes(tuple):
    """A finite schedule's sizes (a tuple of ints) that remembers the named schedule it came from.

    >>> s = parse_sizes("linear:10,5x3")
    >>> s, str(s), s.schedule.text
    ((10, 15, 20), 'linear:10,5x3', 'linear:10,5x3')
    """

    schedule: Schedule

    def __new__(cls, values: Iterable[int], schedule: Schedule) -> Sizes:
        out = super().__new__(cls, values)
        out.schedule = schedule
        return out

    def __getnewargs__(self) -> tuple[tuple[int, ...], Schedule]:  # type: ignore[override]
        return tuple(self), self.schedule

    def __str__(self) -> str:
        return self.schedule.text


def parse_schedule(text: str) -> Sizes | Schedule:
    """A named schedule ``NAME:ARGSxG`` (its sizes, a :class:`Sizes`) or ``NAME:ARGSxinf`` (a :class:`Schedule`).

    Constraints: ``A >= 2`` (so that ``M_0 >= 2``), ``P > 0``, ``R > 0``, ``Q > 0``; ``linear`` takes integers;
    every size of a finite schedule must lie in ``1..2^53``; ``xinf`` needs a nondecreasing schedule.

    >>> parse_schedule("power:2,1.5x4")
    (2, 6, 11, 16)
    >>> parse_schedule("geometric:2,10x400")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sizes must be at most 2^53 = 9007199254740992 (exact in float64) (got M_16 = 20000000000000000 from geometric:2,10x400)
    >>> parse_schedule("power:10,0x5")
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: sizes: P of power:A,P must be a number > 0 (got 0 in 'power:10,0x5')
    """
    from fractions import Fraction

    raw = str(text).strip()
    name, _, rest = raw.partition(":")
    name = name.strip()
    if name not in SCHEDULES:
        raise ParameterError(f"sizes must be a list of sizes, SIZExCOUNT, or a schedule {_SCHEDULE_SYNTAX} "
                             f"(got the unknown schedule {name!r} in {raw!r})")
    body, sep, count = rest.rpartition("x")
    names, _formula = SCHEDULES[name]
    tokens = [t.strip() for t in body.split(",")] if sep else []
    if not sep or len(tokens) != len(names):
        raise ParameterError(f"sizes: schedule {name} must be written {name}:{','.join(names)} followed by xG or "
                             f"xinf (got {raw!r})")
    values = []
    for arg, token in zip(names, tokens, strict=True):
        try:
            value = Fraction(token)
        except (ValueError, ZeroDivisionError):
            raise ParameterError(f"sizes: {arg} of {name}:{','.join(names)} must be a number (got {token!r} in {raw!r})") from None
        values.append(value)
    A = values[0]
    bounds = {"P": "a number > 0", "R": "a number > 0", "Q": "a number > 0"}
    if name == "linear":
        for arg, value, token in zip(names, values, tokens, strict=True):
            if value.denominator != 1:
                raise ParameterError(f"sizes: {arg} of linear:A,B must be an integer (got {token!r} in {raw!r})")
    if A < 2:
        raise ParameterError(f"sizes: A of {name}:{','.join(names)} must be a number >= 2 (got {tokens[0]} in {raw!r})")
    for arg, value, token in zip(names[1:], values[1:], tokens[1:], strict=True):
        if arg in bounds and value <= 0:
            raise ParameterError(f"sizes: {arg} of {name}:{','.join(names)} must be {bounds[arg]} (got {token} in {raw!r})")
    count = count.strip()
    if count == "inf":
        schedule = Schedule(name, values, None, tokens)
        if not schedule.increasing:
            raise ParameterError(f"sizes: xinf needs a nondecreasing schedule (got {raw!r}, whose sizes fall to 1; "
                                 "give a number of generations xG)")
        return schedule
    try:
        generations = int(count)
    except ValueError:
        raise ParameterError(f"sizes: a schedule ends in xG (G generations) or xinf (got 'x{count}' in {raw!r})") from None
    if not 1 <= generations <= MAX_GENERATIONS:
        raise ParameterError(f"sizes: the generations G of {raw!r} must be an integer between 1 and {MAX_GENERATIONS} "
                             f"(got {generations})")
    schedule = Schedule(name, values, generations, tokens)
    out = []
    for i in range(generations):
        m = schedule.size(i)
        if m > MAX_SIZE:
            raise ParameterError(f"sizes must be at most 2^53 = {MAX_SIZE} (exact in float64) (got M_{i} = {m} from {raw})")
        if m < 1:
            raise ParameterError(f"sizes must be integers >= 1 (got M_{i} = {m} from {raw})")
        out.append(m)
    return Sizes(out, schedule)
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


def check_detector(scheme: str, recall: object, fpr: object) -> tuple[float, float]:
    """Validate a detector: ``recall`` (share of synthetic points removed) and ``fpr`` (share of real points
    removed), each in [0, 1]; a detector filters ``mix`` samples only.

    >>> check_detector("mix", 0.9, 0.05)
    (0.9, 0.05)
    >>> check_detector("replace", 0.5, 0.0)
    Traceback (most recent call last):
    ...
    modelcollapse._validation.ParameterError: detector_recall and detector_fpr need scheme mix (use --real 0 for samples with no real points) (got recall 0.5, fpr 0.0 with scheme replace)
    """
    out = []
    for name, value in (("detector_recall", recall), ("detector_fpr", fpr)):
        if isinstance(value, bool):
            raise ParameterError(f"{name} must be a number in [0, 1], not a boolean (got {value!r})")
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be a number in [0, 1] (got {value!r})") from None
        if not (0.0 <= x <= 1.0):
            raise ParameterError(f"{name} must be a number in [0, 1] (got {value!r})")
        out.append(x)
    if (out[0] or out[1]) and scheme != "mix":
        raise ParameterError(
            "detector_recall and detector_fpr need scheme mix (use --real 0 for samples with no real points) "
            f"(got recall {out[0]}, fpr {out[1]} with scheme {scheme})"
        )
    return out[0], out[1]
