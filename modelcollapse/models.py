r"""The model protocol and the registry of models.

A model declares, once, in a :class:`Model`:

* its name and a one-line description;
* its **parameters** (:class:`Parameter`): name, kind, domain, default, LaTeX symbol and help text, in the
  spirit of the parameter declarations of ``scipy.stats``' new distribution infrastructure.  One
  declaration drives the command-line options, their validation messages, the JSON echo of the
  parameters, the sweep axes and the ``models`` listing;
* its **quantities** (:class:`Quantity`): key, LaTeX, unit, and whether the model gives an exact form, a
  series in the inverse sample sizes, or a simulation estimate only;
* its **theory** (``theory(**params, order=, digits=, record=)``, returning :class:`TheoryResult`), its
  **samplers** (``simulate(**params, chains=, seed=, sampler=, ...)``, returning an object with
  ``estimates(generation)``), its **claims**, its **figures** and its **notation**.

Everything generic -- the command line, :func:`~modelcollapse.proofs.verify.verify`, sweeps, figures and
the appendix -- reads these declarations and never names a model or a quantity.  A new model is a file per
layer (``symbolic/``, ``numeric/``, ``proofs/``) and one registry line at the bottom of this module.

This module is pure Python: both layers import it (for :class:`TheoryResult` and the parameter checks),
and the heavy parts of a model are referenced as ``"module:attribute"`` strings, imported on first use.

Examples
--------
>>> p = Parameter("chains", "int", "number of chains", default=10, minimum=2)
>>> p.parse("20")
20
>>> p.check(1)
Traceback (most recent call last):
...
modelcollapse._validation.ParameterError: chains must be an integer >= 2 (got 1)
>>> p.option
'--chains'
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._validation import ParameterError, Schedule, Sizes, ascii_float, ascii_int, check_choice, check_integer, parse_sizes

__all__ = [
    "REQUIRED",
    "Figure",
    "Model",
    "Parameter",
    "Quantity",
    "TheoryResult",
    "get_model",
    "model_names",
    "register",
    "unregister",
]


class _Required:
    """Sentinel: a parameter without a default must be given."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

KINDS = ("sizes", "int", "float", "choice", "floats", "str", "path", "flag")
"""Parameter kinds: a schedule of sample sizes, an integer, a real number, one of a few names, a list of
reals, free text, a file path, an on/off switch."""


def _load(ref: Any) -> Any:
    """``"package.module:attribute"`` -> the attribute (imported now); anything else is returned as is."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


# ---------------------------------------------------------------------------------------------------------
# parameters


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter of a model.

    Parameters
    ----------
    name : str
        Python and JSON name (``"sizes"``, ``"cov_eigenvalues"``); the option is ``--cov-eigenvalues``.
    kind : str
        One of :data:`KINDS`.
    help : str
        One line for ``--help`` and the ``models`` listing.
    default : object
        The default value, or :data:`REQUIRED`.
    symbol : str
        LaTeX symbol (``r"\\sigma"``).
    choices : tuple of str
        For ``kind="choice"``.
    minimum, maximum : float, optional
        Bounds (inclusive unless ``strict``) for numbers, list entries and sample sizes.
    strict : bool
        ``minimum`` is exclusive (``sigma > 0``).
    grid : bool
        Whether a sweep may use it as an axis.
    infinite : bool
        ``kind="sizes"``: the model's theory takes an infinite schedule (``power:10,2xinf``, a
        :class:`~modelcollapse._validation.Schedule`), the limit g -> infinity; other models refuse it.
    """

    name: str
    kind: str
    help: str
    default: Any = REQUIRED
    symbol: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    strict: bool = False
    grid: bool = True
    infinite: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter kind must be one of {', '.join(KINDS)} (got {self.kind!r})")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs choices")

    @property
    def option(self) -> str:
        """The command-line option, ``--`` + the name with hyphens."""
        return "--" + self.name.replace("_", "-")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def constraint(self) -> str:
        """The domain in words (``an integer >= 2``), as error messages and ``models`` state it."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        noun = {
            "sizes": "a schedule of integer sample sizes",
            "int": "an integer",
            "float": "a finite number",
            "floats": "comma-separated finite numbers",
            "str": "text",
            "path": "a file path",
            "flag": "on or off",
        }[self.kind]
        return noun + self._bounds()

    def _bounds(self) -> str:
        lo, hi = self.minimum, self.maximum
        fmt = (lambda v: str(int(v)) if float(v).is_integer() else repr(v)) if self.kind != "float" else _num_text
        if lo is not None and hi is not None:
            return f" between {fmt(lo)} and {fmt(hi)}" + (" (exclusive of the lower bound)" if self.strict else "")
        if lo is not None:
            return f" {'>' if self.strict else '>='} {fmt(lo)}"
        if hi is not None:
            return f" <= {fmt(hi)}"
        return ""

    # -- command line text -> value ----------------------------------------------------------------------
    def parse(self, text: Any) -> Any:
        """A command-line string to a checked value (errors name :attr:`name`, the constraint, the text)."""
        if self.kind == "flag":
            return self.check(bool(text))
        if not isinstance(text, str):
            return self.check(text)
        raw = text.strip()
        if self.kind == "sizes":
            try:
                return self.check(parse_sizes(raw))
            except ParameterError as exc:
                raise ParameterError(str(exc).replace("sizes", self.name, 1)) from None
        if self.kind == "int":
            try:
                value: Any = ascii_int(raw)
            except ValueError:
                raise ParameterError(f"{self.name} must be {self.constraint()} (got {text!r})") from None
            return self.check(value)
        if self.kind == "float":
            try:
                value = ascii_float(raw)
            except ValueError:
                raise ParameterError(f"{self.name} must be {self.constraint()} (got {text!r})") from None
            return self.check(value)
        if self.kind == "floats":
            items = [t.strip() for t in raw.split(",")]
            try:
                values = tuple(ascii_float(t) for t in items)
            except ValueError:
                raise ParameterError(f"{self.name} must be {self.constraint()} (got {text!r})") from None
            return self.check(values)
        return self.check(raw)

    # -- python value -> checked value ----------------------------------------------------------------------
    def check(self, value: Any) -> Any:
        """Validate a value given from Python (or parsed); return it normalized."""
        name = self.name
        if self.kind == "choice":
            return check_choice(name, value, self.choices)
        if self.kind == "flag":
            if not isinstance(value, bool):
                raise ParameterError(f"{name} must be True or False (got {value!r})")
            return value
        if self.kind in ("str", "path"):
            if not isinstance(value, str) or not value:
                raise ParameterError(f"{name} must be {self.constraint()} (got {value!r})")
            return value
        if self.kind == "int":
            lo = None if self.minimum is None else int(self.minimum) + (1 if self.strict else 0)
            hi = None if self.maximum is None else int(self.maximum)
            return check_integer(name, value, minimum=lo, maximum=hi)
        if self.kind == "float":
            return self._check_real(name, value)
        if self.kind == "floats":
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                raise ParameterError(f"{name} must be {self.constraint()} (got {value!r})")
            return tuple(self._check_real(f"{name}[{i}]", v, entry=True) for i, v in enumerate(value))
        # sizes: integers within the bounds; the model's validate() applies estimator-dependent minima
        if isinstance(value, Schedule):
            if value.infinite and not self.infinite:
                raise ParameterError(f"{name} must be a finite schedule for this model (got {value.text}: xinf, the "
                                     "limit g -> infinity, needs a model whose theory takes it; give xG)")
            if value.infinite:
                return value
            value = Sizes(value.sizes(), value)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ParameterError(f"{name} must be {self.constraint()} (got {value!r})")
        if not value:
            raise ParameterError(f"{name} must hold at least one sample size (got an empty schedule)")
        lo = None if self.minimum is None else int(self.minimum)
        out = tuple(check_integer(f"{name}[{i}]", m, minimum=lo) for i, m in enumerate(value))
        return Sizes(out, value.schedule) if isinstance(value, Sizes) else out

    def _check_real(self, name: str, value: Any, entry: bool = False) -> float:
        if isinstance(value, bool):
            raise ParameterError(f"{name} must be a number, not a boolean (got {value!r})")
        constraint = "a finite number" + self._bounds() if entry else self.constraint()  # one entry of a list
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be {constraint} (got {value!r})") from None
        lo, hi = self.minimum, self.maximum
        bad = not math.isfinite(out)
        bad |= lo is not None and (out <= lo if self.strict else out < lo)
        bad |= hi is not None and out > hi
        if bad:
            raise ParameterError(f"{name} must be {constraint} (got {value!r})")
        return out

    def to_json(self, value: Any) -> Any:
        """The value as it is echoed in JSON output (an infinite schedule: ``None``, see :meth:`Model.params_json`)."""
        if isinstance(value, Schedule):
            return None
        if isinstance(value, tuple):
            return list(value)
        return value

    def describe(self) -> dict[str, Any]:
        """Plain-data description (the ``models --json`` entry)."""
        return {
            "name": self.name,
            "option": self.option,
            "kind": self.kind,
            "constraint": self.constraint(),
            "default": None if self.required else self.to_json(self.default),
            "required": self.required,
            "symbol": self.symbol,
            "help": self.help,
            **({"choices": list(self.choices)} if self.choices else {}),
            "grid": self.grid,
        }


def _num_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


# ---------------------------------------------------------------------------------------------------------
# quantities, figures, theory results


@dataclass(frozen=True, slots=True)
class Quantity:
    """One declared quantity of a model.

    ``exact``/``series``/``simulated`` say what the model can give at best; a theory call returns ``None``
    with a reason where a particular parameter setting has no closed form (``TheoryResult.no_exact``).
    ``unit`` is plain text (``"sigma^2"``, ``"1"``): values are reported in that unit.
    """

    key: str
    latex: str
    unit: str = "1"
    unit_latex: str = ""
    exact: bool = True
    series: bool = True
    simulated: bool = True
    description: str = ""
    needs: tuple[str, ...] = ()
    """Parameters that must be set (not ``None``) for the quantity to exist, e.g. a threshold it counts against."""

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "latex": self.latex,
            "unit": self.unit,
            "exact": self.exact,
            "series": self.series,
            "simulated": self.simulated,
            "description": self.description,
            **({"needs": list(self.needs)} if self.needs else {}),
        }


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure a model declares for ``plot``.

    ``kind``:

    * ``"values"``: one column per quantity: exact curve, series curve, Monte Carlo estimate +- 2 s.e. over
      generations, and below it the series' relative error beside the Monte Carlo resolution;
    * ``"spread"``: ``quantities = (mean, variance)``: exact mean +- one standard deviation, Monte Carlo;
    * ``"paths"``: ``quantities = (path statistic, exact mean quantity)``: individual chains from the
      model's ``simulate(..., trajectories=True)`` (``result.paths()[statistic]``), their 5--95 % band and
      the exact mean;
    * ``"profile"``: ``quantities = (profile, reference)``: ranked profiles at the last generation from the
      model's ``simulate(..., trajectories=True).profiles()`` (``[profile]``: chains x K, each sorted
      decreasingly; ``[reference]``: 1 x K), log-log over rank: a few chains, their mean, the reference;
    * ``"compare"``: ``quantities = (quantity,)`` and ``vary = (parameter, values)``: the exact curve and
      the Monte Carlo estimate +- 2 s.e. of one quantity for each value of one parameter (the others as
      given), in one panel;
    * ``"density"``: ``source`` (``"module:function"``) is called as ``source(params, chains=, seed=)`` and
      returns ``{"x": grid, "curves": {label: values}, "samples": {label: draws}, "xlabel", "ylabel"}``: the
      curves as lines, the samples as normalised histograms (a law against its Monte Carlo draws).

    ``params`` holds parameter values the figure uses where the given ones are unset (``None``), e.g. a
    threshold a ``compare`` figure needs.

    ``title`` is the figure's caption text (written beside the file, drawn only on request); ``log``: a
    logarithmic value axis (``True``), a linear one (``False``), or decided from the data (``None``: log
    where the exact curve is positive and spans more than a factor 30); ``ylabel`` overrides the label
    made from the quantity's LaTeX and unit (a dimensionless ratio such as ``\\sigma_g/\\sigma``).
    """

    name: str
    title: str
    quantities: tuple[str, ...]
    kind: str = "values"
    log: bool | None = None
    ylabel: str = ""
    vary: tuple[Any, ...] = ()
    """``"compare"`` figures: ``(parameter name, (value, ...))``."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Parameter values used where the given ones are ``None`` (``compare`` and ``density`` figures)."""
    source: str = ""
    """``"density"`` figures: ``"module:function"`` giving the panel's data (see the class docstring)."""


@dataclass(frozen=True)
class TheoryResult:
    """What a model's theory gives at one generation.

    ``generation`` is the number of fits, or the string ``"inf"`` for the limit g -> infinity (an
    infinite schedule, ``xinf``).
    ``exact`` and ``series`` map every quantity with a theory form to an mpmath number, or ``None`` where
    the parameter setting has none (the reason is in ``no_exact`` / ``no_series``).  Values are in the
    quantities' units; ``absolute`` holds the exact values in the units of the given parameters
    (e.g. multiplied by ``sigma**2``).  ``extra`` holds model-specific JSON additions.
    """

    generation: int | str
    exact: dict[str, Any]
    series: dict[str, Any] = field(default_factory=dict)
    order: int | None = None
    no_exact: dict[str, str] = field(default_factory=dict)
    no_series: dict[str, str] = field(default_factory=dict)
    absolute: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class Model:
    """A model's declaration (see the module docstring).

    ``theory``, ``simulate``, ``claims`` and ``validate`` may be callables or ``"module:attribute"``
    strings (imported on first use).  ``theory(**params, order=, digits=, record=)`` returns a
    :class:`TheoryResult` (``record="final"``) or a list of them, one per generation ``1..g``
    (``record="all"``, in one pass).  ``simulate(**params, chains=, seed=, sampler=, record=, chunk_size=,
    executor=, workers=, progress=)`` returns an object with ``estimates(generation=None)`` (a mapping of
    quantity keys to estimates with ``value`` and ``stderr``), ``generations`` and ``to_dict()``.
    ``claims()`` returns ``{claim id: factory}``.  ``validate(params) -> params`` checks constraints
    between parameters (e.g. ``real <= min(sizes)``).  ``generations(params)`` is the number of fits.
    """

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    quantities: tuple[Quantity, ...]
    theory: Any
    simulate: Any
    generations: Callable[[Mapping[str, Any]], int]
    claims: Any = None
    validate: Any = None
    samplers: tuple[str, ...] = ("exact", "brute")
    figures: tuple[Figure, ...] = ()
    notation: tuple[tuple[str, str], ...] = ()
    """``(LaTeX symbol, meaning)`` rows for the appendix's notation table."""
    references: tuple[str, ...] = ()
    default_plot: Mapping[str, Any] = field(default_factory=dict)
    """Parameter values that make a readable figure when ``plot`` is given none."""
    latex: Any = None
    """``latex(**params, order=) -> str``: the closed forms and series as LaTeX (``theory --latex``)."""
    faults: Any = None
    """``faults() -> tuple of Fault``: the model's catalogue of deliberate errors
    (:mod:`modelcollapse.proofs.faults`), each with how to inject it and the claims to check under it."""
    tails: Any = None
    r"""``tails(**params, generation=k) -> {quantity key: log rho}``, optional: for the quantities whose Monte
    Carlo estimate is a chain mean of a statistic :math:`Y`, the exact :math:`\log\rho`,
    :math:`\rho = E Y^2/(E Y)^2`, at generation ``k`` (keys left out, or a model without the hook, get the
    empirical diagnostic only).  :meth:`estimates` turns it into the ``reliable`` verdict of every estimate
    (:func:`~modelcollapse.numeric.estimators.judge`)."""

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"model {self.name!r} declares a parameter twice")
        keys = [q.key for q in self.quantities]
        if len(set(keys)) != len(keys):
            raise ValueError(f"model {self.name!r} declares a quantity twice")

    # -- declarations -----------------------------------------------------------------------------------------
    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(
            f"parameter must be one of {', '.join(p.name for p in self.parameters)} for model {self.name} "
            f"(got {name!r})"
        )

    def quantity(self, key: str) -> Quantity:
        for q in self.quantities:
            if q.key == key:
                return q
        raise ParameterError(
            f"quantity must be one of {', '.join(q.key for q in self.quantities)} for model {self.name} (got {key!r})"
        )

    @property
    def quantity_keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.quantities)

    def quantities_for(self, params: Mapping[str, Any]) -> tuple[Quantity, ...]:
        """The quantities that exist at ``params``: those whose :attr:`Quantity.needs` are all set."""
        return tuple(q for q in self.quantities if all(params.get(n) is not None for n in q.needs))

    # -- parameter values --------------------------------------------------------------------------------------
    def resolve(self, values: Mapping[str, Any] | None = None, *, parse: bool = False) -> dict[str, Any]:
        """Every parameter's value: given ones checked (parsed from text when ``parse``), defaults filled in,
        then the model's cross-parameter :attr:`validate`.  Unknown or missing parameters raise."""
        values = dict(values or {})
        unknown = sorted(set(values) - {p.name for p in self.parameters})
        if unknown:
            raise ParameterError(
                f"parameter must be one of {', '.join(p.name for p in self.parameters)} for model "
                f"{self.name} (got {unknown[0]!r})"
            )
        out: dict[str, Any] = {}
        for p in self.parameters:
            if p.name in values and values[p.name] is not None:
                out[p.name] = p.parse(values[p.name]) if parse else p.check(values[p.name])
            elif p.required:
                raise ParameterError(f"{p.option} is required for model {self.name} ({p.help})")
            else:
                out[p.name] = p.default
        validate = _load(self.validate)
        return dict(validate(out)) if validate is not None else out

    def params_json(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameter values as echoed in JSON (declaration order).  A named schedule (``power:10,2x50``, or
        ``...xinf`` with no finite list of sizes) is also echoed as ``"schedule"`` (``"<name>_schedule"`` for a
        sizes parameter not called ``sizes``): its name, arguments, generations and text."""
        out: dict[str, Any] = {}
        for p in self.parameters:
            if p.name not in params:
                continue
            value = params[p.name]
            out[p.name] = p.to_json(value)
            schedule = value if isinstance(value, Schedule) else getattr(value, "schedule", None)
            if p.kind == "sizes" and isinstance(schedule, Schedule):
                out["schedule" if p.name == "sizes" else f"{p.name}_schedule"] = schedule.to_json()
        return out

    # -- the layers --------------------------------------------------------------------------------------------
    def run_theory(self, params: Mapping[str, Any], *, order: int = 2, digits: int = 17, record: str = "final") -> Any:
        """The model's theory at ``params`` (see the class docstring)."""
        return _load(self.theory)(**params, order=order, digits=digits, record=record)

    def run_simulation(self, params: Mapping[str, Any], chains: int, **options: Any) -> Any:
        """The model's sampler at ``params`` with run options (``seed``, ``sampler``, ``workers``, ...)."""
        return _load(self.simulate)(**params, chains=chains, **options)

    def estimates(self, params: Mapping[str, Any], result: Any, generation: int | None = None) -> dict[str, Any]:
        """The simulation's estimates at ``generation`` (default: the last), each with a ``reliable`` verdict:
        the empirical tail diagnostic of the estimate, and the exact relative second moment from
        :attr:`tails` where the model declares it.  Every command that reports an estimate reads it here."""
        from .numeric.estimators import Estimate, judge

        est = result.estimates(generation)
        k = generation if generation is not None else self.generations(params)
        hook = _load(self.tails)
        logs: Mapping[str, Any] = {}
        if hook is not None:
            logs = hook(**params, generation=k) or {}
        chains = int(getattr(result, "chains", 0) or 0)
        out = {}
        for key, e in est.items():
            if not isinstance(e, Estimate):
                e = Estimate(float(e.value), float(e.stderr))
            log_rho = logs.get(key)
            out[key] = judge(e, chains, None if log_rho is None else float(log_rho))
        return out

    def claim_factories(self) -> dict[str, Callable[[], Any]]:
        """``{claim id: factory}`` of the model's claims (empty when it declares none)."""
        claims = _load(self.claims)
        return {} if claims is None else dict(claims())

    def fault_catalogue(self) -> tuple[Any, ...]:
        """The model's fault catalogue (empty when it declares none)."""
        faults = _load(self.faults)
        return () if faults is None else tuple(faults())

    def describe(self) -> dict[str, Any]:
        """Plain-data description: the ``models --json`` entry."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": [p.describe() for p in self.parameters],
            "quantities": [q.describe() for q in self.quantities],
            "samplers": list(self.samplers),
            "figures": [f.name for f in self.figures],
        }


# ---------------------------------------------------------------------------------------------------------
# the registry

_REGISTRY: dict[str, Any] = {}


def register(model: Model | str, *, name: str | None = None, replace: bool = False) -> None:
    """Register a :class:`Model`, or a ``"module:attribute"`` reference to one (loaded on first use)."""
    key = model.name if isinstance(model, Model) else name
    if not key:
        raise ValueError("a model given by reference needs name=")
    if key in _REGISTRY and not replace:
        raise ValueError(f"a model named {key!r} is registered already (pass replace=True)")
    _REGISTRY[key] = model


def unregister(name: str) -> None:
    """Remove a model (tests register toy models at run time)."""
    _REGISTRY.pop(name, None)


def model_names() -> tuple[str, ...]:
    """Registered model names, in registration order."""
    return tuple(_REGISTRY)


def get_model(name: str) -> Model:
    """The model registered as ``name``; an unknown name raises :class:`ParameterError` listing the known ones."""
    try:
        entry = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(f"model must be one of {', '.join(_REGISTRY)} (got {name!r})") from None
    if not isinstance(entry, Model):
        entry = _REGISTRY[name] = _load(entry)
    return entry


# One line per model ------------------------------------------------------------------------------------------
register("modelcollapse.proofs.gaussian1d:MODEL", name="gaussian1d")
register("modelcollapse.proofs.categorical:MODEL", name="categorical")
register("modelcollapse.proofs.regression:MODEL", name="regression")
register("modelcollapse.proofs.gaussiannd:MODEL", name="gaussiannd")
register("modelcollapse.proofs.ngram:MODEL", name="ngram")
