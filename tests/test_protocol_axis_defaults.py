"""Protocol: a sweep resumes when a parameter's default depends on a grid axis (each cell's resolved value is
checked against its own rows, not against the first cell's)."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import pytest

from modelcollapse import models
from modelcollapse.models import Model, Parameter, Quantity, TheoryResult
from modelcollapse.numeric.estimators import Estimate
from modelcollapse.sweep import run_sweep


def _validate(params):
    if params["weights"] is None:
        params["weights"] = (1.0,) * params["n"]  # the default depends on the axis n
    return params


def _theory(*, sizes, n, weights, order, digits, record):
    return TheoryResult(generation=len(sizes), exact={"total": mpmath.mpf(sum(weights))})


@dataclass
class _Result:
    total: float

    def estimates(self, generation=None):
        return {"total": Estimate(self.total, 0.1)}


def _simulate(*, sizes, n, weights, chains, **_):
    return _Result(float(sum(weights)))


TOY = Model(
    name="toyaxis",
    description="a default that depends on an axis (test toy)",
    parameters=(
        Parameter("sizes", "sizes", "sizes", minimum=1),
        Parameter("n", "int", "how many weights", default=1, minimum=1),
        Parameter("weights", "floats", "weights (ones by default)", default=None),
    ),
    quantities=(Quantity("total", r"\sum w", series=False),),
    theory=_theory,
    simulate=_simulate,
    validate=_validate,
    generations=lambda params: len(params["sizes"]),
)


@pytest.fixture
def toy():
    models.register(TOY)
    yield TOY
    models.unregister("toyaxis")


def test_sweep_resumes_over_an_axis_the_default_depends_on(toy, tmp_path):
    out = tmp_path / "toy.csv"
    first = run_sweep(out, model="toyaxis", grid=[("n", (1, 2, 3))], params={"sizes": (3,)}, chains=10, seed=1)
    assert [r["weights"] for r in first.rows] == ["1.0", "1.0x2", "1.0x3"] and first.computed == (0, 1, 2)
    again = run_sweep(out, model="toyaxis", grid=[("n", (1, 2, 3))], params={"sizes": (3,)}, chains=10, seed=1)
    assert again.computed == () and again.resumed == (0, 1, 2)
