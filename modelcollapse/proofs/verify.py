r"""Verification of claims: derivation steps, series remainder order, and powered Monte Carlo z-tests.

For each claim:

(i)   every derivation step holds (SymPy exactly where possible; mpmath at random high-precision points);
(ii)  its series matches the exact form to the claimed order: with :math:`M_i = M` (four generations)
      the scaled error :math:`(\text{exact} - \text{series}_k)\,M^{k+1}` tends to the next coefficient as
      :math:`M` runs over :math:`10^3 \dots 10^8`, at 70 digits;
(iii) its exact form matches simulation: :math:`z = (\hat\theta - \theta)/\mathrm{se}` against a
      Bonferroni threshold that splits the family-wise false-alarm budget ``alpha`` over every Monte
      Carlo check of the run;
(iv)  the check has power: the smallest deviation it detects with probability ``power``,
      :math:`(z_{1-\alpha_k/2} + z_{power})\,\mathrm{se}`, must lie below the size of the claim's
      next-order term at the simulated sizes (the first term its series omits).  Chains are sized from a
      pilot run to reach that, up to the scale's cap; a check that cannot reach it is *underpowered*;
(v)   the same z-test, with its own pilot, chains, seed and share of ``alpha``, against the model's
      *brute-force* sampler, which draws every point and refits it: it shares nothing with the reduction the
      exact sampler and the theory are built on (the distributional identity that replaces drawing the points
      by a few variates per generation), so a wrong reduction believed by both is caught here.  Brute force costs
      more per chain: its chains are sized from its own pilot, capped by the scale's chain cap and time budget
      (predicted from the pilot's speed); a check that cannot run the chains it needs reports the power it
      reached against the target.

A claim *holds* only when both simulations agree with it and both are powered: a claim whose brute-force
check is underpowered (or whose model has no brute-force sampler) is reported ``underpowered``, with the
reason in :attr:`ClaimResult.notes`, however well the exact sampler agrees; a brute-force check that rejects
the exact form fails the claim.

Published claims get a verdict computed from the derived series: ``exact``, ``correct to the stated
order`` or ``refuted`` (with the correct terms), and Monte Carlo evidence: the z-score of the published
value next to that of the exact form, at sizes where the published remainder is small.

The functions here return values; printing and files belong to the CLI.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .. import __version__
from .._validation import DEFAULT_SEED, check_choice, check_integer
from ..models import get_model
from ..numeric import stats
from ..symbolic.series import QuasiSymmetricSeries
from .claim import Claim, StepCheck
from .registry import registry

__all__ = ["SCALES", "ClaimResult", "MCCheck", "Report", "Scale", "SeriesCheck", "verify"]

DEFAULT_ALPHA = 1e-3
DEFAULT_POWER = 0.8
RERUN_FACTOR = 4
"""A run (exact sampler or brute force) whose standard error came out unreliable (a heavy tail it did not
resolve) is repeated once, with a fresh seed and this many times the chains, where the scale's cap (and, for
brute force, its time budget) allow; only the rerun counts."""
PILOT_MARGIN = 1.5
"""Chains beyond the pilot's estimate: the pilot's standard deviation of heavy-tailed statistics
(sigma_g^4, W2^2) is itself noisy, and too few chains would leave a check underpowered."""


@dataclass(frozen=True, slots=True)
class Scale:
    """How much work a verification run may do."""

    name: str
    pilot_chains: int
    max_chains: int
    exact_steps: bool
    step_points: int
    series_exponents: tuple[int, ...]
    brute_pilot_chains: int = 10_000
    """Chains of the brute-force pilot (its spread and its speed size the brute-force run)."""
    brute_max_chains: int = 10_000_000
    """Most chains of one brute-force run."""
    brute_seconds: float | None = None
    """Time budget of one group's brute-force run, predicted from the pilot's speed (``None``: no budget).
    Only a budget that binds makes the chain count depend on the machine; the check then says so
    (``limited="time budget"``) and reports the power it reached."""


SCALES = {
    "smoke": Scale("smoke", 20_000, 10_000_000, False, 1, (3, 5, 7), 5_000, 10_000_000, 30.0),
    "ci": Scale("ci", 100_000, 40_000_000, True, 2, (3, 4, 5, 6, 7, 8), 20_000, 40_000_000, 120.0),
    "paper": Scale("paper", 1_000_000, 2_000_000_000, True, 4, (3, 4, 5, 6, 7, 8), 200_000, 2_000_000_000, None),
}


@dataclass(frozen=True, slots=True)
class SeriesCheck:
    """Remainder-order check of a series of order ``order`` against the exact form."""

    order: int
    generations: int
    limit: float
    """Predicted limit of (exact - series) * M^(order+1): the next coefficient."""
    scaled_errors: tuple[tuple[int, float], ...]
    ok: bool
    pattern: tuple[int, ...] = ()
    """Unequal sizes ``(p_1 M, p_2 M, ...)`` of the second check."""
    unequal: tuple[tuple[int, float, float], ...] = ()
    """At the unequal sizes with ``M = 10^e``: ``(e, (exact - series) M^(order+1), predicted)``, the prediction
    from the degree-``order + 1`` terms alone."""


@dataclass(frozen=True, slots=True)
class MCCheck:
    """One Monte Carlo z-test of an exact form, with its power."""

    statistic: str
    sizes: tuple[int, ...]
    """The schedule of the check (its claim's ``series_variable``), ``()`` for a model without one."""
    chains: int
    seed: list[int]
    params: dict[str, Any]
    """The model parameters simulated (JSON-ready)."""
    theory: float
    estimate: float
    stderr: float
    z: float
    threshold: float
    alpha: float
    detectable: float
    """Smallest deviation detected with probability ``power`` (the check's resolution)."""
    target: float
    """Size of the next-order term at these sizes: what the check must be able to see."""
    powered: bool
    ok: bool
    sampler: str = "exact"
    """The sampler simulated: ``exact`` (the model's reduction) or ``brute`` (every point drawn and refit)."""
    needed: int = 0
    """Chains the pilot said the check needs for its power, before the scale's cap or time budget."""
    limited: str = ""
    """Why fewer chains than :attr:`needed` ran: ``""`` (none), ``"chain cap"`` or ``"time budget"``."""
    power_reached: float | None = None
    """Probability that this check rejects a deviation of :attr:`target` (at least ``power`` when powered)."""
    reliable: bool = True
    """Whether the standard error can be trusted at these chains (the estimate's tail diagnostic, exact where
    the model declares its relative second moment): an unreliable check is not evidence."""
    reliability: str = ""
    """Why (un)reliable."""
    seed_text: str = ""
    """``seed`` as a comma-separated decimal string (exact in every JSON parser)."""


@dataclass(frozen=True, slots=True)
class PublishedVerdict:
    """Verdict on a published formula and its evidence."""

    verdict: str
    """``exact``, ``correct to the stated order`` or ``refuted``."""
    text: str
    reading: str
    published_terms: dict[str, str]
    derived_terms: dict[str, str]
    difference: dict[str, str]
    alternatives: dict[str, str]
    evidence_sizes: tuple[int, ...]
    exact_value: float
    published_value: float
    derived_series_value: float
    z_published: float | None
    z_exact: float | None
    evidence: MCCheck | None = None
    """The Monte Carlo check of the exact form at ``evidence_sizes`` (chains, estimate, stderr, power)."""
    points: tuple[dict[str, Any], ...] = ()
    """Value forms: the probes, ``{"params", "scope", "exact", "published", "holds"}`` each; ``scope`` is
    ``stated`` (the verdict's points) or ``beyond`` (outside the stated assumptions, reported only)."""
    z_alternatives: dict[str, float] = field(default_factory=dict)
    """Value forms: the z-score of each other reading at the evidence parameters."""
    mc_rejects_published: bool | None = None
    """|z_published| above the threshold: the simulation rejects the published value (as it must for a
    refuted formula, and must not for an exact one)."""
    z_published_brute: float | None = None
    """The published value's z against the brute-force simulation at the evidence parameters."""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """Everything verification found about one claim."""

    claim_id: str
    kind: str
    title: str
    status: str
    """``holds``, ``fails`` or ``underpowered``; for published claims their verdict when the checks hold."""
    ok: bool
    steps: tuple[StepCheck, ...]
    series: SeriesCheck | None
    """``None`` for a claim without a series."""
    mc: MCCheck | None
    published: PublishedVerdict | None = None
    mc_brute: tuple[MCCheck, ...] = ()
    """The brute-force checks: at the claim's parameters, then (published claims) at the evidence parameters."""
    notes: tuple[str, ...] = ()
    """Why the status is what it is where a check is missing or underpowered."""

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))

    # -- display (Jupyter); formatting lives in export.display --------------------------------------------
    def _repr_latex_(self) -> str:
        from ..export.display import result_latex

        return result_latex(self.to_dict())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..export.display import result_bundle

        return result_bundle(self.to_dict())


@dataclass(frozen=True, slots=True)
class Report:
    """A verification run: its settings, provenance and one :class:`ClaimResult` per claim."""

    scale: str
    seed: int
    alpha: float
    power: float
    checks: int
    results: tuple[ClaimResult, ...]
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every claim of the package holds (a refuted *published* claim is a finding, not a failure)."""
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "scale": self.scale,
                "seed": self.seed,
                "seed_text": str(self.seed),
                "alpha": self.alpha,
                "power": self.power,
                "checks": self.checks,
                "ok": self.ok,
                "provenance": self.provenance,
                "claims": [r.to_dict() for r in self.results],
            }
        )

    # -- display (Jupyter); formatting lives in export.display --------------------------------------------
    def _repr_latex_(self) -> str:
        from ..export.display import report_latex

        return report_latex(self.to_dict())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..export.display import report_bundle

        return report_bundle(self.to_dict())


def _clean(obj: Any) -> Any:
    """JSON-safe: tuples to lists, non-finite floats to None."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (np.floating, np.integer)):
        return _clean(obj.item())
    return obj


# ---------------------------------------------------------------------------------------------------------
# (ii) series


SERIES_PATTERN = (1, 2, 5, 3)
"""Unequal schedule (M, 2M, 5M, 3M) of the series check: with equal sizes, terms that only move weight between
compositions of the same degree (e.g. sum 1/M_i^2 against (sum 1/M_i)^2) would cancel; four generations
separate every composition of the orders checked (three parts and more)."""

SERIES_GENERATIONS = 4
"""Generations of the constant-size series check."""


def check_series(claim: Claim, order: int, exponents: Sequence[int], generations: int = SERIES_GENERATIONS) -> SeriesCheck:
    """Remainder order of the claim's series, at M = 10^e for e in ``exponents`` (70 digits).

    Constant sizes (``generations`` times M): (exact - series_order) * M^(order+1) must tend to the next
    coefficient.  Unequal sizes (:data:`SERIES_PATTERN`): exact - series_order must equal the degree-(order+1) terms of
    series_(order+1) up to a relative O(1/M).  The sizes are the claim's ``series_variable``; every other
    parameter is the claim's own.
    """
    nxt = claim.series(order + 1)
    ser = claim.series(order)
    # only the degree-(order+1) terms: the prediction must not reuse the claim's own lower-order terms
    next_terms = QuasiSymmetricSeries({a: c for a, c in nxt.coefficients.items() if sum(a) == order + 1}, order + 1)
    var = claim.series_variable
    with mpmath.workdps(70):
        limit = mpmath.fsum(
            mpmath.mpf(c.p) / c.q * mpmath.binomial(generations, len(a))
            for a, c in nxt.coefficients.items()
            if sum(a) == order + 1
        )
        scaled = []
        unequal = []
        ok = True
        for e in exponents:
            sizes = [10**e] * generations
            err = claim.exact_value(claim.at(**{var: tuple(sizes)}), 70) - ser.evaluate(sizes, 70)
            value = err * mpmath.mpf(10) ** (e * (order + 1))
            scaled.append((e, float(value)))
            # the following terms make the scaled error differ from the limit by O(1/M)
            ok &= bool(abs(value - limit) <= 50 * (abs(limit) + 1) * mpmath.mpf(10) ** -e)
            pattern = [p * 10**e for p in SERIES_PATTERN]
            err = claim.exact_value(claim.at(**{var: tuple(pattern)}), 70) - ser.evaluate(pattern, 70)
            predicted = next_terms.evaluate(pattern, 70)
            # a vanishing next term leaves an error of the order after it
            slack = 100 * mpmath.mpf(10) ** -e * (abs(predicted) + mpmath.mpf(10) ** (-e * (order + 1)))
            ok &= bool(abs(err - predicted) <= slack)
            power = mpmath.mpf(10) ** (e * (order + 1))
            unequal.append((e, float(err * power), float(predicted * power)))
    return SeriesCheck(order, generations, float(limit), tuple(scaled), ok, SERIES_PATTERN, tuple(unequal))


# ---------------------------------------------------------------------------------------------------------
# (iii, iv) Monte Carlo


def _next_term(claim: Claim, params: Mapping[str, Any]) -> float:
    """The error the claim's Monte Carlo check must resolve at ``params``: its power target.

    The claim's own :attr:`~Claim.mc_target` when it declares one; otherwise the first term its series
    omits.  When that term vanishes (the series is exact to that order, e.g. Var X^g), the target is a
    relative error of the same order, |value| * sum_i M_i^-(k+1).
    """
    if claim.mc_target is not None:
        return float(claim.mc_target(params))
    if not claim.exact:
        raise ValueError(f"claim {claim.id} is a series without an exact form: it must declare its mc_target")
    if claim.series_order is None:
        raise ValueError(f"claim {claim.id} has neither a series nor an mc_target: its check has no power target")
    k = claim.series_order
    with mpmath.workdps(30):
        term = abs(claim.series_value(k + 1, params) - claim.series_value(k, params))
        if term > 0:
            return float(term)
        pk = mpmath.fsum(mpmath.mpf(1) / mpmath.mpf(m) ** (k + 1) for m in params[claim.series_variable])
        return float(abs(claim.exact_value(params, 30)) * pk)


def _key(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Hashable, canonical form of a parameter mapping (lists become tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in params.items()))


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


@dataclass(frozen=True)
class _Task:
    claim: Claim
    params: dict[str, Any]
    theory: float
    target: float
    published_value: float | None = None

    @property
    def group(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        return self.claim.model, _key(self.params)


def _simulate(model: str, params: Mapping[str, Any], chains, seed, workers, executor, sampler: str = "exact") -> dict:
    spec = get_model(model)
    res = spec.run_simulation(params, chains, seed=seed, workers=workers, executor=executor, sampler=sampler)
    return spec.estimates(params, res)


def _entropy(seed: np.random.SeedSequence) -> list[int]:
    ent = seed.entropy
    return [int(ent)] + [int(k) for k in seed.spawn_key] if isinstance(ent, int) else [*map(int, ent), *seed.spawn_key]


_Group = tuple[tuple[str, tuple[tuple[str, Any], ...]], list[_Task]]


def _groups(tasks: Sequence[_Task]) -> list[_Group]:
    """The tasks by simulation (model and parameters), in a canonical order."""
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[_Task]] = {}
    for t in tasks:
        groups.setdefault(t.group, []).append(t)
    return [(key, groups[key]) for key in sorted(groups, key=repr)]


def _group_seeds(root: np.random.SeedSequence, model: str, canonical: Any) -> list[np.random.SeedSequence]:
    """``[exact pilot, exact run, brute-force pilot, brute-force run, brute-force rerun, exact rerun]``: they
    depend only on the master seed, the model and its parameters (never on the other claims of the run)."""
    tag = zlib.crc32(f"{model}:{canonical!r}".encode())
    return np.random.SeedSequence([root.entropy, tag]).spawn(6)


def _group_label(model: str, canonical: Any) -> str:
    return f"{model} " + ", ".join(f"{k}={_short_value(v)}" for k, v in canonical)


def _chains_needed(pilot: Mapping[str, Any], pilot_chains: int, group: Sequence[_Task], alpha_check: float,
                   power: float) -> int:
    """Chains for every check of the group to have ``power`` against its target (from the pilot's spread, with
    :data:`PILOT_MARGIN`); at least the pilot's chains."""
    need = pilot_chains
    for t in group:
        se = pilot[t.claim.estimate_key].stderr
        if not (math.isfinite(t.target) and t.target > 0):
            continue  # no deviation to size for: the check reports itself underpowered
        if math.isfinite(se) and se > 0:
            sd = se * math.sqrt(pilot_chains)
            need = max(need, int(stats.chains_for_power(sd, t.target, alpha_check, power) * PILOT_MARGIN))
    return need


def _z_check(t: _Task, e: Any, chains: int, seed: np.random.SeedSequence, alpha_check: float, power: float, *,
             sampler: str, needed: int, limited: str) -> tuple[MCCheck, float | None]:
    """The z-test of one task against one simulation's estimate, and the published value's z (if any)."""
    test = stats.z_test(e.value, e.stderr, t.theory, alpha_check, power=power, target=t.target)
    reached = float(stats.power_against(t.target, e.stderr, alpha_check)) if math.isfinite(e.stderr) else None
    check = MCCheck(
        statistic=t.claim.estimate_key,
        sizes=tuple(t.params.get(t.claim.series_variable, ())),
        chains=chains,
        seed=_entropy(seed),
        params=_jsonable(t.params),
        theory=t.theory,
        estimate=e.value,
        stderr=e.stderr,
        z=test.z,
        threshold=test.threshold,
        alpha=alpha_check,
        detectable=test.detectable,
        target=t.target,
        powered=bool(test.powered),
        ok=test.agrees,
        sampler=sampler,
        needed=needed,
        limited=limited if chains < needed else "",
        power_reached=reached,
        reliable=bool(e.reliable is not False),
        reliability=e.reason,
        seed_text=",".join(map(str, _entropy(seed))),
    )
    zp = None
    if t.published_value is not None and e.stderr > 0:
        zp = (e.value - t.published_value) / e.stderr
    return check, zp


def _run_mc(
    tasks: list[_Task],
    scale: Scale,
    root: np.random.SeedSequence,
    alpha_check: float,
    power: float,
    workers: int,
    executor: Any,
    tick: Callable[[str], None],
) -> dict[tuple[str, Any], tuple[MCCheck, float | None]]:
    """The exact sampler's checks, one simulation per group: a pilot sizes the run, up to the scale's cap; an
    unreliable run is repeated once with :data:`RERUN_FACTOR` times the chains."""
    out = {}
    for (model, canonical), group in _groups(tasks):
        params = group[0].params
        label = _group_label(model, canonical)
        pilot_seed, main_seed, *_, rerun_seed = _group_seeds(root, model, canonical)
        tick(f"Monte Carlo {label}: pilot")
        pilot = _simulate(model, params, scale.pilot_chains, pilot_seed, workers, executor)
        need = _chains_needed(pilot, scale.pilot_chains, group, alpha_check, power)
        chains = min(need, scale.max_chains)
        tick(f"Monte Carlo {label}: {chains:,} chains")
        est = _simulate(model, params, chains, main_seed, workers, executor)
        more = min(RERUN_FACTOR * chains, scale.max_chains)
        if _unresolved(est, group) and more > chains:
            chains, main_seed, need = more, rerun_seed, max(need, more)
            tick(f"Monte Carlo {label}: {chains:,} chains (rerun)")
            est = _simulate(model, params, chains, main_seed, workers, executor)
        for t in group:
            out[(t.claim.id, _key(t.params))] = _z_check(t, est[t.claim.estimate_key], chains, main_seed, alpha_check,
                                                         power, sampler="exact", needed=need, limited="chain cap")
    return out


def _unresolved(est: Mapping[str, Any], group: Sequence[_Task]) -> bool:
    """Whether a run left a heavy tail unresolved in some check of the group: then it is repeated once,
    independently (:data:`RERUN_FACTOR`), and only the rerun counts, so the decision to rerun biases nothing."""
    return any(est[t.claim.estimate_key].reliable is False for t in group)


def _has_brute(model: str) -> bool:
    return "brute" in get_model(model).samplers


def _run_brute(
    tasks: list[_Task],
    scale: Scale,
    root: np.random.SeedSequence,
    alpha_check: float,
    power: float,
    workers: int,
    executor: Any,
    tick: Callable[[str], None],
    exact_chains: Mapping[tuple[str, Any], int] | None = None,
) -> dict[tuple[str, Any], tuple[MCCheck, float | None]]:
    """The brute-force sampler's checks (models that declare one), one simulation per group with its own pilot
    and seeds.  The run needs the chains its pilot says for power, and at least the chains of the group's exact
    run (``exact_chains``: what made that standard error trustworthy is needed here too), capped by
    :attr:`Scale.brute_max_chains` and by :attr:`Scale.brute_seconds` at the pilot's speed; a check that ran
    fewer reports the power it reached."""
    out = {}
    for key, group in _groups(tasks):
        model, canonical = key
        if not _has_brute(model):
            continue
        params = group[0].params
        label = _group_label(model, canonical)
        _, _, pilot_seed, main_seed, rerun_seed, _ = _group_seeds(root, model, canonical)
        tick(f"brute force {label}: pilot")
        started = time.perf_counter()
        pilot = _simulate(model, params, scale.brute_pilot_chains, pilot_seed, workers, executor, sampler="brute")
        per_chain = (time.perf_counter() - started) / scale.brute_pilot_chains
        need = max(_chains_needed(pilot, scale.brute_pilot_chains, group, alpha_check, power),
                   (exact_chains or {}).get(key, 0))
        chains, limited = need, ""
        if chains > scale.brute_max_chains:
            chains, limited = scale.brute_max_chains, "chain cap"
        if scale.brute_seconds is not None and chains * per_chain > scale.brute_seconds:
            chains, limited = max(scale.brute_pilot_chains, int(scale.brute_seconds / per_chain)), "time budget"
        tick(f"brute force {label}: {chains:,} chains")
        est = _simulate(model, params, chains, main_seed, workers, executor, sampler="brute")
        more = min(RERUN_FACTOR * chains, scale.brute_max_chains)
        affordable = scale.brute_seconds is None or more * per_chain <= scale.brute_seconds
        if _unresolved(est, group) and more > chains and affordable:
            chains, main_seed, need = more, rerun_seed, max(need, more)
            tick(f"brute force {label}: {chains:,} chains (rerun)")
            est = _simulate(model, params, chains, main_seed, workers, executor, sampler="brute")
        for t in group:
            out[(t.claim.id, _key(t.params))] = _z_check(t, est[t.claim.estimate_key], chains, main_seed, alpha_check,
                                                         power, sampler="brute", needed=need, limited=limited)
    return out


def _brute_note(check: MCCheck | None, model: str, where: str) -> str | None:
    """Why a brute-force check leaves a claim short of *holds*, or ``None`` when it does not."""
    if check is None:
        return f"no brute-force check{where}: model {model} declares no brute-force sampler"
    if check.powered:
        return None
    reached = "n/a" if check.power_reached is None else f"{check.power_reached:.2f}"
    why = f", limited by the {check.limited}" if check.limited else ""
    return (f"brute-force check{where} underpowered: {check.chains:,} of the {check.needed:,} chains it needs{why}; "
            f"power {reached} against the target {check.target:.3g}")


def _short_value(v: Any) -> str:
    if isinstance(v, tuple):
        if len(v) > 4 and len(set(v)) == 1:
            return f"{v[0]}x{len(v)}"
        return ",".join(map(str, v[:6])) + (",..." if len(v) > 6 else "")
    return str(v)


# ---------------------------------------------------------------------------------------------------------
# published verdicts


def _terms(series: QuasiSymmetricSeries, order: int) -> dict[str, str]:
    """Readable terms: power-sum form when symmetric, else compositions."""
    s = series.truncated(order)
    ps = s.power_sum_coefficients()
    if ps is not None:
        return {"*".join(f"p{part}" for part in lam) or "1": str(c) for lam, c in ps.items()}
    return {"M" + "".join(map(str, a)) if a else "1": str(c) for a, c in s.coefficients.items()}


def _relation_holds(form: Any, exact: Any, published: Any) -> bool:
    """``exact <relation> published`` within the form's relative tolerance."""
    slack = form.tolerance * max(abs(exact), abs(published), mpmath.mpf(10) ** -300)
    return bool({"=": abs(exact - published) <= slack, "<=": exact <= published + slack,
                 ">=": exact >= published - slack}[form.relation])


def _value_verdict(claim: Claim, value: Callable[..., Any] | None = None) -> tuple[str, tuple[dict[str, Any], ...]]:
    """A value form (or another reading ``value`` of it) judged at its probes: ``exact`` or ``bound holds``
    where every stated probe satisfies the relation (within the form's relative tolerance), else
    ``refuted``; `` in scope`` is added when a probe beyond the stated assumptions fails."""
    form = claim.published
    assert form is not None
    points = []
    with mpmath.workdps(50):
        for scope, probes in (("stated", form.probes), ("beyond", form.beyond)):
            for probe in probes:
                params = claim.at(**probe)
                exact = claim.exact_value(params, 50)
                published = form.evaluate(params, claim.series_variable, 50) if value is None else value(params, 50)
                ok = _relation_holds(form, exact, published)
                points.append({"params": _jsonable(dict(probe)), "scope": scope, "exact": float(exact),
                               "published": float(published), "holds": ok})
    if not all(p["holds"] for p in points if p["scope"] == "stated"):
        return "refuted", tuple(points)
    verdict = "exact" if form.relation == "=" else "bound holds"
    return verdict + ("" if all(p["holds"] for p in points) else " in scope"), tuple(points)


def _published_verdict(claim: Claim) -> tuple[str, dict[str, str]]:
    form = claim.published
    assert form is not None and form.remainder_order is not None and form.series is not None
    k = form.remainder_order - 1
    ours = claim.series(k)
    diff = {a: ours.coefficients.get(a, 0) - form.series.coefficients.get(a, 0) for a in set(ours.coefficients) | set(form.series.coefficients)}
    diff = {a: c for a, c in diff.items() if c != 0}
    if diff:
        return "refuted", _terms(QuasiSymmetricSeries(diff, k), k)
    # equal to the stated order; exact if the exact form equals the published expression everywhere
    probe = [(13, 57, 8), (2, 3), (1000, 7, 7, 40)]
    var = claim.series_variable
    with mpmath.workdps(50):
        exact = all(
            abs(claim.exact_value(claim.at(**{var: s}), 50) - form.series.evaluate(list(s), 50)) < mpmath.mpf(10) ** -40
            for s in probe
        )
        higher = claim.series(k + 3)
        exact &= all(sum(a) <= k for a in higher.coefficients)
    return ("exact" if exact else "correct to the stated order"), {}


# ---------------------------------------------------------------------------------------------------------


def verify(
    ids: Sequence[str | Claim] | None = None,
    *,
    scale: str | Scale = "ci",
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    workers: int = 1,
    executor: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Verify the given claims (ids or :class:`Claim` objects; all registered claims when empty).

    ``alpha`` is the family-wise probability that a correct claim fails any Monte Carlo check of the run
    (Bonferroni over all checks, exact-sampler and brute-force alike).  ``scale`` is a name of
    :data:`SCALES` or a :class:`Scale`.  ``progress(stage, done, total)`` is called as work advances.
    """
    scale_obj = scale if isinstance(scale, Scale) else SCALES[check_choice("scale", scale, tuple(SCALES))]
    seed = check_integer("seed", seed, minimum=0)
    from ..numeric.executors import check_workers

    workers = check_workers(workers)
    from .._validation import ParameterError

    for name, value in (("alpha", alpha), ("power", power)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < 1):
            raise ParameterError(f"{name} must be a number in (0, 1) (got {value!r})")
    if ids and all(isinstance(c, Claim) for c in ids):
        claims = tuple(ids)  # type: ignore[arg-type]
    else:
        claims = registry(ids)  # type: ignore[arg-type]

    tasks: list[_Task] = []
    for c in claims:
        params = dict(c.params)
        tasks.append(_Task(c, params, float(c.exact_value(params, 17)), _next_term(c, params)))
        if c.published is not None:
            ev = dict(c.evidence_params or c.params)
            pub_value = float(c.published.evaluate(ev, c.series_variable, 30))
            exact_value = float(c.exact_value(ev, 30))
            target = abs(pub_value - exact_value) or _next_term(c, ev)
            tasks.append(_Task(c, ev, exact_value, target, pub_value))
    brute_tasks = [t for t in tasks if _has_brute(t.claim.model)]
    n_checks = len(tasks) + len(brute_tasks)
    alpha_check = alpha / n_checks
    total = len(claims) + len({t.group for t in tasks}) + len({t.group for t in brute_tasks})
    done = 0

    def tick(stage: str) -> None:
        nonlocal done
        if progress is not None:
            progress(stage, done, total)

    step_results: dict[str, tuple[StepCheck, ...]] = {}
    series_results: dict[str, SeriesCheck] = {}
    checked: dict[int, StepCheck] = {}  # published claims share their derivation with a derived claim
    for c in claims:
        tick(f"derivation of {c.id}")
        for n, s in enumerate(c.steps):
            if id(s) not in checked:
                checked[id(s)] = s.check(seed=seed + n, exact=scale_obj.exact_steps and s.exact, points=scale_obj.step_points)
        step_results[c.id] = tuple(checked[id(s)] for s in c.steps)
        if c.series_order is not None and c.exact:  # a series-only claim has no exact form to check against
            series_results[c.id] = check_series(c, c.series_order, scale_obj.series_exponents)
        done += 1

    root = np.random.SeedSequence(seed)

    def mc_tick(stage: str) -> None:
        nonlocal done
        tick(stage)
        if stage.endswith("chains"):
            done += 1

    mc = _run_mc(tasks, scale_obj, root, alpha_check, power, workers, executor, mc_tick)
    exact_chains = {t.group: mc[(t.claim.id, _key(t.params))][0].chains for t in tasks}
    brute = _run_brute(brute_tasks, scale_obj, root, alpha_check, power, workers, executor, mc_tick, exact_chains)
    if progress is not None:
        progress("done", total, total)

    results = []
    for c in claims:
        check, _ = mc[(c.id, _key(c.params))]
        steps_ok = all(s.ok for s in step_results[c.id])
        series_ok = c.id not in series_results or series_results[c.id].ok
        brute_check, _ = brute.get((c.id, _key(c.params)), (None, None))
        brute_checks = [] if brute_check is None else [brute_check]
        notes = [n for n in (_brute_note(brute_check, c.model, ""),) if n]
        ok = steps_ok and series_ok and check.ok and (brute_check is None or brute_check.ok)
        underpowered = not check.powered or bool(notes)
        if not check.powered:
            notes.insert(0, f"exact-sampler check underpowered: power {check.power_reached or 0:.2f} against the target")
        unreliable = not check.reliable or (brute_check is not None and not brute_check.reliable)
        if brute_check is not None and not brute_check.reliable:
            notes.append(f"brute-force check unreliable: {brute_check.reliability}")
        if not ok:
            status = "fails"
        elif unreliable:
            status = "unreliable"  # the standard error cannot be trusted: the check is no evidence either way
        elif underpowered:
            status = "underpowered"
        else:
            status = "holds"
        published = None
        if c.published is not None:
            points: tuple[dict[str, Any], ...] = ()
            z_alternatives: dict[str, float] = {}
            ev_params = dict(c.evidence_params or c.params)
            ev = tuple(ev_params.get(c.series_variable, ()))
            ev_check, zp = mc[(c.id, _key(ev_params))]
            ok = ok and ev_check.ok
            if not ev_check.powered:
                underpowered = True
                notes.append(f"exact-sampler check at the evidence parameters underpowered: power "
                             f"{ev_check.power_reached or 0:.2f} against the target")
            ev_brute, zp_brute = brute.get((c.id, _key(ev_params)), (None, None))
            if _key(ev_params) != _key(c.params):
                note = _brute_note(ev_brute, c.model, " at the evidence parameters")
                notes += [note] if note else []
                underpowered = underpowered or note is not None
                if ev_brute is not None:
                    brute_checks.append(ev_brute)
                    ok = ok and ev_brute.ok
                    unreliable = unreliable or not ev_brute.reliable
            unreliable = unreliable or not ev_check.reliable
            if c.published.series is None:
                verdict, points = _value_verdict(c)
                difference: dict[str, str] = {}
                # the evidence parameters may lie beyond the stated scope: what the simulation must show there
                # follows from the exact form at those parameters, not from the verdict
                with mpmath.workdps(50):
                    holds_there = _relation_holds(c.published, c.exact_value(ev_params, 50),
                                                  c.published.evaluate(ev_params, c.series_variable, 50))
                side = {"=": abs(zp or 0.0), "<=": zp or 0.0, ">=": -(zp or 0.0)}[c.published.relation]
                rejects = zp is not None and side > ev_check.threshold
                if holds_there and rejects:
                    ok = False  # the simulation contradicts the exact form
                if not holds_there and not rejects:
                    underpowered = True  # the simulation cannot yet see the failure the exact form names
                    notes.append("the simulation does not yet reject the published value the exact form refutes")
                if ev_check.stderr > 0:
                    z_alternatives = {name: (ev_check.estimate - float(alt(ev_params, 30))) / ev_check.stderr
                                      for name, alt in c.published.alternatives.items()}
            else:
                verdict, difference = _published_verdict(c)
                rejects = zp is not None and abs(zp) > ev_check.threshold
                if verdict == "exact" and rejects:
                    ok = False  # the simulation contradicts an exact identity
                if verdict == "refuted" and not rejects:
                    underpowered = True  # the simulation cannot yet see the error the verdict names
                    notes.append("the simulation does not yet reject the published value the verdict refutes")
            form = c.published
            k = (form.remainder_order or 1) - 1
            series_form = form.series is not None
            published = PublishedVerdict(
                verdict=verdict,
                text=form.text,
                reading=form.reading,
                published_terms=_terms(form.series, k) if form.series is not None else {},
                derived_terms=_terms(c.series(k), k) if series_form else {},
                difference=difference,
                alternatives={
                    name: (("agrees" if alt.coefficients == c.series(k).coefficients else "refuted") if series_form
                           else ("agrees" if _value_verdict(c, alt)[0] != "refuted" else "refuted"))
                    for name, alt in form.alternatives.items()
                },
                evidence_sizes=ev,
                exact_value=ev_check.theory,
                published_value=float(form.evaluate(ev_params, c.series_variable, 30)),
                derived_series_value=float(c.series(k).evaluate(list(ev), 30)) if series_form else ev_check.theory,
                z_published=zp,
                z_exact=ev_check.z,
                evidence=ev_check,
                mc_rejects_published=rejects,
                points=points,
                z_alternatives=z_alternatives,
                z_published_brute=zp_brute,
            )
            if not ok:
                status = "fails"
            elif unreliable:
                status = "unreliable"
            elif underpowered:
                status = "underpowered"
            else:
                status = verdict
        passed = ok and ((not underpowered and not unreliable) or scale_obj.name == "smoke")
        results.append(
            ClaimResult(
                claim_id=c.id,
                kind=c.kind,
                title=c.title,
                status=status,
                ok=passed,
                steps=step_results[c.id],
                series=series_results.get(c.id),
                mc=check,
                published=published,
                mc_brute=tuple(brute_checks),
                notes=tuple(notes),
            )
        )
    return Report(
        scale=scale_obj.name,
        seed=seed,
        alpha=alpha,
        power=power,
        checks=n_checks,
        results=tuple(results),
        provenance=provenance(seed),
    )


def provenance(seed: int) -> dict[str, str]:
    """Versions and seed: enough to rerun a verification."""
    import platform
    import subprocess

    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return {
        "modelcollapse": __version__,
        "git": sha or "unknown",
        "numpy": np.__version__,
        "sympy": sp.__version__,
        "mpmath": mpmath.__version__,
        "python": platform.python_version(),
        "seed_entropy": str(seed),
    }
