"""Protocol: an invalid entry of a list parameter is named with its index and the constraint on one entry."""

from __future__ import annotations

import pytest

from modelcollapse._validation import ParameterError
from modelcollapse.models import Parameter


def test_list_entry_errors_name_the_entry_constraint():
    p = Parameter("weights", "floats", "weights", minimum=0.0, strict=True)
    assert p.parse("1, 2.5") == (1.0, 2.5)
    with pytest.raises(ParameterError, match=r"^weights\[1\] must be a finite number > 0 \(got -2.0\)$"):
        p.parse("1,-2")
    with pytest.raises(ParameterError, match=r"^weights must be comma-separated finite numbers > 0 \(got '1,x'\)$"):
        p.parse("1,x")


def test_models_listing_marks_series_only_and_simulation_only_quantities(capsys):
    from modelcollapse.cli import main

    assert main(["models"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if "mean_w2sq (series)" in ln]
    assert line and "mean_lambda_min (simulation)" in line[0]
