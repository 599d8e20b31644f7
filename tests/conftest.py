"""Suite-wide settings: deterministic hypothesis, mpmath precision reset around every test."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
def _reset_mpmath():
    """Library code scopes its precision; a test that leaks a global change must not affect the next one."""
    mpmath.mp.dps = 15
    yield
    mpmath.mp.dps = 15


pytest_plugins = ["pytester"]
