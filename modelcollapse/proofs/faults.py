r"""Fault injection: deliberate errors put into the package in memory, and which checks of verify catch them.

A verification is only as good as the errors it provably catches.  Each model declares a catalogue of
:class:`Fault`\ s (:attr:`modelcollapse.models.Model.faults`): an error a derivation, a formula, a sampler or a
transcription could plausibly contain -- a wrong degree of freedom in the reduction, a wrong moment, a transition
coefficient off by the size of the next-order term, a dropped cross term, a wrong series coefficient, the wrong
variance divisor, an off-by-one in the generation index, a wrongly transcribed published formula -- with how
to inject it (a context manager that patches functions or tables and clears the caches that hold derived
results) and the claims to check under it (built afresh inside the injection).

:func:`run_faults` verifies those claims with the fault in place (:func:`~modelcollapse.proofs.verify.verify`
at the given scale and seed: the group seeds are those of a run without the fault, so the simulations differ
only where the fault touches a sampler) and records, for each of the checks in :data:`CHECKS`, whether it
caught the fault and with what error or z-score.  A fault is *caught* when at least one check fails; a fault's
``expect`` names the checks that must catch it (the test suite asserts both).

The functions here return values; the table is printed by the command line (``modelcollapse verify --faults``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .claim import Claim

__all__ = ["CHECKS", "Detection", "Fault", "FaultReport", "FaultResult", "catalogue", "clear_caches", "injected",
           "run_faults", "shifted_draws"]

CHECKS = {
    "step": "a derivation step: its SymPy proof (for symbolic g), or a numeric check without an independent route",
    "route": "the independent route of a derivation step (quadrature, an explicit sum, instances, points)",
    "series": "the remainder order of the 1/M series against the exact form",
    "mc exact": "the Monte Carlo z-test against the exact (reduced) sampler",
    "mc brute": "the Monte Carlo z-test against the brute-force sampler (every point drawn and refit)",
    "published": "the verdict on a published formula (changed from the verdict without the fault)",
}
"""The checks of :func:`~modelcollapse.proofs.verify.verify` a fault may be caught by, in table order."""


@dataclass(frozen=True)
class Fault:
    """A deliberate error: what it is, how to inject it, which claims to check under it."""

    id: str
    model: str
    title: str
    """The error in words (one line)."""
    where: str
    """What is corrupted (a function, a table entry, a sampler)."""
    inject: Callable[[], contextlib.AbstractContextManager[Any]]
    """A fresh context manager that puts the fault in place (and takes it out again on exit)."""
    claims: Callable[[], Sequence[Claim]]
    """The claims to verify, built inside the injection."""
    expect: tuple[str, ...] = ()
    """Checks (keys of :data:`CHECKS`) that must catch this fault."""
    note: str = ""
    """Why the other checks cannot see it, where that is the point of the fault."""

    def __post_init__(self) -> None:
        unknown = [c for c in self.expect if c not in CHECKS]
        if unknown:
            raise ValueError(f"fault {self.id!r}: expect must name checks among {', '.join(CHECKS)} (got {unknown})")


def clear_caches(*modules: types.ModuleType) -> None:
    """Clear every ``functools`` cache held by a module-level function of ``modules``: what a fault changes must
    be derived again, and what it changed must not outlive it."""
    for module in modules:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


@contextlib.contextmanager
def injected(*patches: contextlib.AbstractContextManager[Any], caches: Sequence[types.ModuleType] = ()) -> Iterator[None]:
    """Enter ``patches`` (e.g. :func:`unittest.mock.patch.object`) with the ``caches`` of those modules cleared
    before and after, so that derived results are computed with the fault inside and without it outside."""
    clear_caches(*caches)
    try:
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch)
            clear_caches(*caches)
            yield
    finally:
        clear_caches(*caches)


def shifted_draws(job: Callable[..., Any], **shifts: float) -> Callable[..., Any]:
    """A sampler's chunk job whose random generator shifts the first argument of the named draws: e.g.
    ``standard_gamma=0.5`` gives every gamma variate half a unit more shape (a chi-square with one degree of
    freedom more), ``chisquare=-1`` one degree of freedom less.  Everything else the job draws is unchanged."""
    import numpy as np

    base = np.random.Generator
    methods = {}
    for name, shift in shifts.items():
        def draw(self: Any, first: Any, *args: Any, _name: str = name, _shift: float = shift, **kwargs: Any) -> Any:
            return getattr(base, _name)(self, np.asarray(first) + _shift, *args, **kwargs)

        methods[name] = draw
    shifted_generator = type("ShiftedGenerator", (base,), methods)

    def shifted(*args: Any, **kwargs: Any) -> Any:
        from unittest import mock

        with mock.patch.object(np.random, "Generator", shifted_generator):
            return job(*args, **kwargs)

    return shifted


@dataclass(frozen=True)
class Detection:
    """One check that caught a fault: on which claim, how (``detail``), and the size (``|z|`` or relative error)."""

    check: str
    claim_id: str
    detail: str
    size: float | None = None


@dataclass(frozen=True)
class FaultResult:
    """What verify found with one fault in place."""

    fault_id: str
    model: str
    title: str
    where: str
    expect: tuple[str, ...]
    claims: tuple[str, ...]
    ran: tuple[str, ...]
    """The checks that ran on these claims (no series check for a model without series, ...)."""
    detections: tuple[Detection, ...]
    note: str = ""
    statuses: dict[str, str] = field(default_factory=dict)
    """Each claim's status under the fault."""

    @property
    def caught_by(self) -> tuple[str, ...]:
        """The checks that caught the fault, in :data:`CHECKS` order."""
        hit = {d.check for d in self.detections}
        return tuple(c for c in CHECKS if c in hit)

    @property
    def caught(self) -> bool:
        return bool(self.detections)

    @property
    def missed(self) -> tuple[str, ...]:
        """Expected checks that did not catch it."""
        return tuple(c for c in self.expect if c not in self.caught_by)

    @property
    def ok(self) -> bool:
        return self.caught and not self.missed

    def best(self, check: str) -> Detection | None:
        """The strongest detection of one check (largest size)."""
        hits = [d for d in self.detections if d.check == check]
        return max(hits, key=lambda d: -1.0 if d.size is None else d.size) if hits else None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.update(caught=self.caught, caught_by=list(self.caught_by), missed=list(self.missed), ok=self.ok)
        return _clean(out)


@dataclass(frozen=True)
class FaultReport:
    """A fault-injection run: its settings and one :class:`FaultResult` per fault."""

    scale: str
    seed: int
    alpha: float
    results: tuple[FaultResult, ...]

    @property
    def ok(self) -> bool:
        """Every fault caught, each by every check it is expected to be caught by."""
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "seed": self.seed, "alpha": self.alpha, "ok": self.ok, "checks": dict(CHECKS),
                "faults": [r.to_dict() for r in self.results]}


def _clean(obj: Any) -> Any:
    from .verify import _clean as clean  # one JSON-safe conversion for every report

    return clean(obj)


def catalogue(models: Sequence[str] | None = None) -> tuple[Fault, ...]:
    """Every fault the registered models declare (``models``: only theirs), in registration order."""
    from ..models import get_model, model_names

    out: list[Fault] = []
    for name in models or model_names():
        out.extend(get_model(name).fault_catalogue())
    ids = [f.id for f in out]
    if len(set(ids)) != len(ids):
        raise ValueError("two faults share an id: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    return tuple(out)


def _verdicts(claims: Sequence[Claim]) -> dict[str, str]:
    """The published verdicts of these claims' ids without any fault (from the registry's claims)."""
    from .registry import claim_ids, get_claim
    from .verify import _published_verdict, _value_verdict

    out = {}
    known = set(claim_ids())
    for c in claims:
        if c.published is None or c.id not in known:
            continue
        clean = get_claim(c.id)
        if clean.published is None:
            continue
        out[c.id] = (_published_verdict(clean)[0] if clean.published.series is not None
                     else _value_verdict(clean)[0])
    return out


def detections(report: Any, baseline: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[Detection, ...]]:
    """``(checks that ran, detections)`` read from a verification report of claims under a fault;
    ``baseline`` holds the published verdicts without it."""
    ran: set[str] = {"step", "mc exact"}
    found: list[Detection] = []
    for r in report.results:
        for n, s in enumerate(r.steps, 1):
            if s.route:
                ran.add("route")
            if s.kind != "identity" and s.exact is not True:
                found.append(Detection("step", r.claim_id, f"S{n} ({s.kind}): not proved for symbolic g"))
            if s.route_ok is False:
                found.append(Detection("route" if s.route else "step", r.claim_id,
                                       f"S{n} ({s.route or 'no independent route'}): relative difference "
                                       f"{s.max_rel_error:.2g}", s.max_rel_error))
            if s.sides_error is not None and not s.sides_error < 10.0**-12 and not s.ok:
                found.append(Detection("step", r.claim_id, f"S{n}: its two sides differ by a relative "
                                       f"{s.sides_error:.2g}", s.sides_error))
        if r.series is not None:
            ran.add("series")
            if not r.series.ok:
                worst = max((abs(v - r.series.limit) for _, v in r.series.scaled_errors), default=0.0)
                found.append(Detection("series", r.claim_id, f"scaled error off its limit {r.series.limit:.4g} by "
                                       f"{worst:.2g}", worst))
        checks = [("mc exact", r.mc)] + [("mc brute", b) for b in r.mc_brute]
        if r.published is not None and r.published.evidence is not None:
            checks.append(("mc exact", r.published.evidence))
        seen: set[int] = set()
        for name, check in checks:
            if check is None or id(check) in seen:
                continue
            seen.add(id(check))
            ran.add(name)
            if not check.ok:
                found.append(Detection(name, r.claim_id, f"z = {check.z:+.1f} (threshold {check.threshold:.2f}, "
                                       f"{check.chains:,} chains)", abs(check.z) if math.isfinite(check.z) else None))
        if r.published is not None:
            ran.add("published")
            before = baseline.get(r.claim_id)
            if before is not None and before != r.published.verdict:
                zp = r.published.z_published
                found.append(Detection("published", r.claim_id, f"verdict {before} -> {r.published.verdict}"
                                       + ("" if zp is None else f" (z published {zp:+.1f})")))
    return tuple(c for c in CHECKS if c in ran), tuple(found)


def run_fault(fault: Fault, **verify_options: Any) -> FaultResult:
    """Verify ``fault``'s claims with the fault in place (``verify_options`` go to
    :func:`~modelcollapse.proofs.verify.verify`: scale, seed, alpha, power, workers, executor)."""
    from .verify import verify

    with fault.inject():
        claims = tuple(fault.claims())
        report = verify(list(claims), **verify_options)
    baseline = _verdicts(claims)  # outside the injection: the verdicts without the fault
    ran, found = detections(report, baseline)
    return FaultResult(
        fault_id=fault.id, model=fault.model, title=fault.title, where=fault.where, expect=fault.expect,
        claims=tuple(c.id for c in claims), ran=ran, detections=found, note=fault.note,
        statuses={r.claim_id: r.status for r in report.results},
    )


def run_faults(
    faults: Sequence[Fault | str] | None = None,
    *,
    scale: Any = "ci",
    seed: int | None = None,
    alpha: float | None = None,
    power: float | None = None,
    workers: int = 1,
    executor: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> FaultReport:
    """Inject each fault of the catalogue (or the given faults, or fault ids) in turn and record which checks
    catch it, each fault's claims verified as :func:`~modelcollapse.proofs.verify.verify` does at ``scale``
    (``power``: the power its Monte Carlo checks are sized for, verify's default unless given).
    ``progress(fault id, done, total)`` is called before each fault."""
    from .verify import DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_SEED

    chosen = list(faults) if faults else list(catalogue())
    if any(isinstance(f, str) for f in chosen):
        by_id = {f.id: f for f in catalogue()}
        from .._validation import ParameterError

        for f in chosen:
            if isinstance(f, str) and f not in by_id:
                raise ParameterError(f"fault must be one of the catalogue's ids ({', '.join(by_id)}) (got {f!r})")
        chosen = [by_id[f] if isinstance(f, str) else f for f in chosen]
    seed = DEFAULT_SEED if seed is None else seed
    alpha = DEFAULT_ALPHA if alpha is None else alpha
    results = []
    for n, fault in enumerate(chosen):
        if progress is not None:
            progress(fault.id, n, len(chosen))
        results.append(run_fault(fault, scale=scale, seed=seed, alpha=alpha, power=DEFAULT_POWER if power is None
                                 else power, workers=workers, executor=executor))
    if progress is not None:
        progress("done", len(chosen), len(chosen))
    return FaultReport(scale=getattr(scale, "name", str(scale)), seed=seed, alpha=alpha, results=tuple(results))
