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

import zlib
from typing import Any

import pytest

DEFAULT_SEED = 20241125
SCALES = ("smoke", "ci", "paper")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelcollapse", "modelcollapse Monte Carlo checks")
    group.addoption("--mc-seed", type=int, default=DEFAULT_SEED, help="master seed for Monte Carlo tests")
    group.addoption("--mc-scale", choices=SCALES, default="ci", help="chain budget tier: smoke, ci or paper")
    group.addoption(
        "--mc-alpha", type=float, default=1e-3, help="suite-wide family-wise false-failure probability"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mc: Monte Carlo theory-vs-simulation check")
    config.addinivalue_line("markers", "slow: long-running test")


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"modelcollapse: mc-seed={config.getoption('--mc-seed')}, mc-scale={config.getoption('--mc-scale')}, "
        f"suite alpha={config.getoption('--mc-alpha'):g}"
    )


@pytest.fixture
def mc_seed(request: pytest.FixtureRequest) -> Any:
    """``numpy.random.SeedSequence([master, crc32(nodeid)])``: per test, independent of test order."""
    import numpy as np

    master = request.config.getoption("--mc-seed")
    return np.random.SeedSequence([master, zlib.crc32(request.node.nodeid.encode())])


@pytest.fixture
def mc_rng(mc_seed: Any) -> Any:
    """A ``numpy.random.Generator`` seeded per test from ``--mc-seed`` and the test's node id."""
    import numpy as np

    return np.random.Generator(np.random.PCG64(mc_seed))
