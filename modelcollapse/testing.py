"""Statistical assertions for theory-vs-simulation tests (numpy.testing style).

:func:`assert_mc_agrees` passes when a Monte Carlo estimate agrees with theory at a two-sided level
``alpha`` and, when a ``target`` deviation is given, checks that the test had the power to see it.
The pytest plugin's ``mc_check`` fixture calls it with ``alpha`` = suite budget / number of checks.

Imports numpy and scipy only (through :mod:`modelcollapse.numeric.stats`), never SymPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["MCAgreement", "MCPowerWarning", "assert_mc_agrees", "order_target"]


class MCPowerWarning(UserWarning):
    """A Monte Carlo check that could not see the error it targets (issued where power is not required)."""


def order_target(value: float, sizes: Any, order: int = 2) -> float:
    """A power target: the size of a wrong O(1) coefficient at ``order``, max(|value|, 1) * sum_i M_i^-order.

    In units of sigma, relative for values above 1 (a check that cannot see such an error cannot tell a
    formula from its own truncation).

    >>> round(order_target(2.0, [10, 20]), 6)
    0.025
    >>> round(order_target(-0.1, [10]), 6)
    0.01
    """
    return max(abs(float(value)), 1.0) * sum(float(m) ** -order for m in sizes)


@dataclass(frozen=True, slots=True)
class MCAgreement:
    """Outcome of one check: z, the threshold it was held to, and the deviation it could detect."""

    name: str
    theory: float
    estimate: float
    stderr: float
    z: float
    threshold: float
    alpha: float
    detectable: float
    target: float | None
    seed: Any = None
    power: float = 0.8
    rerun: str = ""

    @property
    def chains_factor(self) -> float | None:
        """How many times the chains would make the check powered against ``target`` (None without a target)."""
        if self.target is None or not self.target > 0:
            return None
        return max(1.0, (self.detectable / self.target) ** 2)

    def report(self) -> str:
        lines = [
            f"Monte Carlo check {self.name!r}",
            f"  theory     {self.theory:.12g}",
            f"  estimate   {self.estimate:.12g}",
            f"  stderr     {self.stderr:.6g}",
            f"  z          {self.z:+.3f}   (|z| must be <= {self.threshold:.3f}; alpha per check {self.alpha:.3g})",
            f"  detectable {self.detectable:.3g} at power {self.power:g}"
            + (f"; target deviation {self.target:.3g}" if self.target is not None else ""),
        ]
        factor = self.chains_factor
        if factor is not None and factor > 1:
            lines.append(f"  power      underpowered: {math.ceil(factor * 10) / 10:g} times the chains would detect the "
                         f"target deviation with probability {self.power:g}")
        if self.seed is not None:
            lines.append(f"  seed       {self.seed}")
        if self.rerun:
            lines.append(f"  rerun      {self.rerun}")
        return "\n".join(lines)


def assert_mc_agrees(
    estimate: Any,
    theory: float,
    *,
    alpha: float,
    stderr: float | None = None,
    name: str = "statistic",
    target: float | None = None,
    power: float = 0.8,
    seed: Any = None,
    require_power: bool = True,
    rerun: str = "",
) -> MCAgreement:
    """Assert ``|estimate - theory| / stderr <= z_{1 - alpha/2}``; optionally that the check is powered.

    ``estimate`` is a float (with ``stderr=``) or anything with ``value`` and ``stderr`` attributes (an
    :class:`~modelcollapse.numeric.estimators.Estimate`).  With ``target``, also asserts that a deviation
    of that size would have been detected with probability ``power`` -- a check that cannot see the error
    it is meant to catch proves nothing (``require_power=False`` warns with :class:`MCPowerWarning`
    instead of failing: the plugin does that at ``--mc-scale smoke`` only).  ``rerun``: the command that
    reruns the test, printed with every failure.

    Raises
    ------
    AssertionError
        With a report: statistic, theory, estimate, stderr, z, threshold, power, seed.
    """
    __tracebackhide__ = True
    import warnings

    from .numeric import stats

    if stderr is None:
        value, se = float(estimate.value), float(estimate.stderr)
    else:
        value, se = float(estimate), float(stderr)
    if not (math.isfinite(se) and se > 0):
        raise AssertionError(f"Monte Carlo check {name!r}: standard error must be finite and > 0 (got {se!r})"
                             + (f"\n  rerun      {rerun}" if rerun else ""))
    t = stats.z_test(value, se, float(theory), alpha, power=power, target=target)
    result = MCAgreement(name, float(theory), value, se, t.z, t.threshold, alpha, t.detectable, target, seed, power, rerun)
    if not t.agrees:
        raise AssertionError("estimate disagrees with theory\n" + result.report())
    if t.powered is False:
        if require_power:
            raise AssertionError("check is underpowered: raise the chain count\n" + result.report())
        warnings.warn(MCPowerWarning("Monte Carlo check is underpowered (passes without power at this scale)\n"
                                     + result.report()), stacklevel=2)
    return result
