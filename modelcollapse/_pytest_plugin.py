"""pytest plugin for theory-vs-simulation tests (registered through the ``pytest11`` entry point).

Import-light on purpose: it imports neither numpy nor SymPy at load time; the fixtures import what they
need when a test asks for them.

Options
-------
``--mc-seed N``      master seed of every Monte Carlo test (default 20241125)
``--mc-scale S``     smoke | ci | paper: how many chains a check may use (default ci)
``--mc-alpha A``     suite-wide family-wise false-failure budget (default 1e-3), split over all checks
"""

from __future__ import annotations

import argparse
import math
import shlex
import zlib
from typing import Any

import pytest

from modelcollapse._validation import DEFAULT_SEED

SCALES = ("smoke", "ci", "paper")


def _seed_option(text: str) -> int:
    """``--mc-seed``: a non-negative integer (checked when the options are parsed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {text!r})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {text!r})")
    return value


def _alpha_option(text: str) -> float:
    """``--mc-alpha``: a probability in the open interval (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a probability in the open interval (0, 1) (got {text!r})")
    return value


def _scale_option(text: str) -> str:
    if text not in SCALES:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(SCALES)} (got {text!r})")
    return text


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelcollapse", "modelcollapse Monte Carlo checks")
    group.addoption("--mc-seed", type=_seed_option, default=DEFAULT_SEED,
                    help="master seed for Monte Carlo tests (non-negative integer)")
    group.addoption("--mc-scale", type=_scale_option, default="ci", help="chain budget tier: smoke, ci or paper")
    group.addoption(
        "--mc-alpha", type=_alpha_option, default=1e-3,
        help="suite-wide family-wise false-failure probability, in (0, 1)",
    )


_BUDGET_KEY = pytest.StashKey[dict]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mc(checks=1): Monte Carlo theory-vs-simulation test making `checks` mc_check calls; "
        "the suite alpha is split over the checks of all collected tests (Bonferroni)",
    )
    config.addinivalue_line("markers", "slow: long-running test")
    config.stash[_BUDGET_KEY] = {"declared": 0, "used": 0}


def _declared(item: pytest.Item) -> int:
    """Checks a test declares (``@pytest.mark.mc(checks=N)``, N an integer >= 1); 1 for an unmarked test that
    asks for ``mc_check``.  Anything else is a usage error naming the test (never silently the full alpha)."""
    marker = item.get_closest_marker("mc")
    if marker is None:
        return 1 if "mc_check" in getattr(item, "fixturenames", ()) else 0
    checks = marker.kwargs.get("checks", marker.args[0] if marker.args else 1)
    if isinstance(checks, bool) or not isinstance(checks, int) or checks < 1:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.mc(checks=N) needs an integer N >= 1, the number of mc_check calls the "
            f"test makes (got checks={checks!r})"
        )
    return checks


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_BUDGET_KEY]["declared"] = sum(_declared(item) for item in items)


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"modelcollapse: mc-seed={config.getoption('--mc-seed')}, mc-scale={config.getoption('--mc-scale')}, "
        f"suite alpha={config.getoption('--mc-alpha'):g} (split over the Monte Carlo checks collected)"
    )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    budget = config.stash.get(_BUDGET_KEY, None)
    if budget and budget["used"]:
        terminalreporter.write_line(
            f"modelcollapse: {budget['used']} Monte Carlo checks run of {budget['declared']} declared, "
            f"family-wise alpha {config.getoption('--mc-alpha'):g}"
        )


class MCCheck:
    """The ``mc_check`` fixture: ``mc_check(name, estimate, theory, stderr=None, target=None)``.

    Each call uses alpha = suite alpha / (checks declared by all collected tests); a test may not make
    more calls than its ``@pytest.mark.mc(checks=N)`` declares.
    """

    def __init__(self, request: pytest.FixtureRequest, seed: Any) -> None:
        self._config = request.config
        self._nodeid = request.node.nodeid
        self._allowed = max(_declared(request.node), 1)
        self._made = 0
        self.seed = seed
        budget = self._config.stash[_BUDGET_KEY]
        self.alpha = float(self._config.getoption("--mc-alpha")) / max(budget["declared"], 1)
        self.scale = self._config.getoption("--mc-scale")

    def rerun(self) -> str:
        """The command that reruns exactly this test with its seed, scale and budget."""
        opts = self._config.option
        return (f"python -m pytest {shlex.quote(self._nodeid)} --mc-seed={opts.mc_seed} --mc-scale={opts.mc_scale} "
                f"--mc-alpha={opts.mc_alpha:g}")

    def _count(self) -> None:
        __tracebackhide__ = True
        self._made += 1
        if self._made > self._allowed:
            raise pytest.UsageError(
                f"test made {self._made} Monte Carlo checks but declares {self._allowed}: "
                "use @pytest.mark.mc(checks=N) so the suite budget counts them"
            )
        self._config.stash[_BUDGET_KEY]["used"] += 1

    def __call__(self, name: str, estimate: Any, theory: float, *, stderr: float | None = None,
                 target: float | None = None) -> Any:
        """z-test of ``estimate`` against ``theory`` at this check's share of the suite budget.

        A failure's report ends with the command that reruns exactly this test; an underpowered check fails at
        ``ci`` and ``paper`` and warns (:class:`~modelcollapse.testing.MCPowerWarning`) at ``smoke``, saying
        how many more chains would give it power.
        """
        __tracebackhide__ = True
        from modelcollapse.testing import assert_mc_agrees

        self._count()
        seed = (self.seed.entropy, self.seed.spawn_key) if self.seed is not None else None
        return assert_mc_agrees(
            estimate, theory, stderr=stderr, alpha=self.alpha, name=name, target=target, seed=seed,
            require_power=self.scale != "smoke", rerun=self.rerun(),
        )

    def budget(self, checks: int) -> float:
        """Claim ``checks`` checks run by other code (e.g. ``verify(alpha=...)``); returns their joint alpha."""
        __tracebackhide__ = True
        if isinstance(checks, bool) or not isinstance(checks, int) or checks < 1:
            raise pytest.UsageError(f"mc_check.budget(checks) needs an integer >= 1 (got {checks!r})")
        for _ in range(checks):
            self._count()
        return checks * self.alpha

    def p_value(self, name: str, p: float) -> float:
        """A goodness-of-fit test's p-value (KS, chi-square, ...) must exceed this check's alpha."""
        __tracebackhide__ = True
        self._count()
        if not p > self.alpha:
            seed = (self.seed.entropy, self.seed.spawn_key) if self.seed is not None else None
            raise AssertionError(f"Monte Carlo check {name!r}: p-value {p:.3g} <= alpha per check {self.alpha:.3g} "
                                 f"(seed {seed})\n  rerun      {self.rerun()}")
        return p


@pytest.fixture
def mc_seed(request: pytest.FixtureRequest) -> Any:
    """``numpy.random.SeedSequence([master, crc32(nodeid)])``: per test, independent of test order."""
    import numpy as np

    master = request.config.getoption("--mc-seed")
    return np.random.SeedSequence([master, zlib.crc32(request.node.nodeid.encode())])


@pytest.fixture
def mc_check(request: pytest.FixtureRequest, mc_seed: Any) -> MCCheck:
    """Counts Monte Carlo checks against the suite's family-wise budget; see :class:`MCCheck`."""
    return MCCheck(request, mc_seed)


CHAIN_FACTORS = {"smoke": 0.1, "ci": 1.0, "paper": 10.0}
"""Chains relative to the ci tier.  At smoke, checks still test agreement but may be underpowered."""


@pytest.fixture
def mc_scale(request: pytest.FixtureRequest) -> str:
    """The ``--mc-scale`` tier: smoke, ci or paper."""
    return str(request.config.getoption("--mc-scale"))


@pytest.fixture
def mc_chains(mc_scale: str) -> Any:
    """``mc_chains(n)``: the chain count for a check sized ``n`` at the ci tier, scaled to ``--mc-scale``."""
    return lambda n: max(2, int(n * CHAIN_FACTORS[mc_scale]))


@pytest.fixture
def mc_rng(mc_seed: Any) -> Any:
    """A ``numpy.random.Generator`` seeded per test from ``--mc-seed`` and the test's node id."""
    import numpy as np

    return np.random.Generator(np.random.PCG64(mc_seed))
