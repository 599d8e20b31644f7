"""Named schedules of sample sizes (power, linear, geometric, powerlog; xG or xinf): parsing, exact sizes,
validation messages, and how a declared ``sizes`` parameter takes them (generic, every model)."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal, getcontext

import pytest

from modelcollapse._validation import (
    MAX_SIZE,
    ParameterError,
    Schedule,
    Sizes,
    check_sizes,
    parse_sizes,
)
from modelcollapse.models import Model, Parameter


def test_each_schedule_gives_its_sizes():
    assert parse_sizes("power:10,2x4") == (10, 40, 90, 160)
    assert parse_sizes("power:2,1.5x4") == tuple(math.ceil(2 * (i + 1) ** 1.5) for i in range(4))
    assert parse_sizes("linear:10,5x3") == (10, 15, 20)
    assert parse_sizes("linear:100,-10x3") == (100, 90, 80)
    assert parse_sizes("geometric:2,1.5x6") == (2, 3, 5, 7, 11, 16)
    getcontext().prec = 50
    expected = tuple(int((Decimal(2) * Decimal(i + 1) * Decimal(i + 2).ln()).to_integral_value(rounding="ROUND_CEILING"))
                     for i in range(5))
    assert parse_sizes("powerlog:2,1,1x5") == expected


def test_ceil_is_exact_where_floats_would_round():
    # 0.1 * 10^i is an integer for i >= 1; in floats 0.1 * 10.0 ** i is not always exact
    s = parse_sizes("geometric:2.2,10x12")
    assert s[1:] == tuple(22 * 10 ** (i - 1) for i in range(1, 12))
    # A (i+1)^P an exact integer for non-integer P: 4^0.5 = 2
    assert parse_sizes("power:3,0.5x4")[3] == 6


def test_sizes_remember_their_schedule_and_pickle():
    s = parse_sizes("power:10,2x3")
    assert isinstance(s, Sizes) and s.schedule.text == "power:10,2x3" and str(s) == "power:10,2x3"
    again = pickle.loads(pickle.dumps(s))
    assert again == s and again.schedule == s.schedule
    assert type(s[:2]) is tuple  # a prefix is a plain schedule
    inf = parse_sizes("geometric:10,2xinf")
    assert isinstance(inf, Schedule) and inf.infinite and inf.sizes(3) == (10, 20, 40)
    assert pickle.loads(pickle.dumps(inf)) == inf
    assert inf.to_json() == {"name": "geometric", "args": {"A": 10, "R": 2}, "generations": "inf",
                             "text": "geometric:10,2xinf"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cubic:1,2x3", "unknown schedule 'cubic'"),
        ("power:10x3", "schedule power must be written power:A,P followed by xG or xinf"),
        ("power:10,2", "schedule power must be written power:A,P"),
        ("power:1.5,2x3", "A of power:A,P must be a number >= 2 (got 1.5"),
        ("power:10,0x3", "P of power:A,P must be a number > 0 (got 0"),
        ("power:10,-1xinf", "P of power:A,P must be a number > 0 (got -1"),
        ("geometric:10,0x3", "R of geometric:A,R must be a number > 0 (got 0"),
        ("linear:10,2.5x3", "B of linear:A,B must be an integer (got '2.5'"),
        ("linear:10,-3x5", "sizes must be integers >= 1 (got M_4 = -2 from linear:10,-3x5)"),
        ("geometric:2,10x400", "sizes must be at most 2^53 = 9007199254740992 (exact in float64) (got M_16 ="),
        ("geometric:10,0.5xinf", "xinf needs a nondecreasing schedule"),
        ("power:10,2xabc", "a schedule ends in xG (G generations) or xinf (got 'xabc'"),
        ("power:10,2x0", "the generations G of 'power:10,2x0' must be an integer between 1 and"),
        ("power:a,2x3", "A of power:A,P must be a number (got 'a'"),
    ],
)
def test_bad_schedules_name_option_constraint_and_value(text, message):
    with pytest.raises(ParameterError, match="^sizes") as exc:
        parse_sizes(text)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_max_size_is_exact_in_float64():
    assert float(MAX_SIZE) == MAX_SIZE and float(MAX_SIZE + 1) != MAX_SIZE + 1


def test_check_sizes_refuses_infinite_unless_asked():
    inf = parse_sizes("power:10,2xinf")
    with pytest.raises(ParameterError, match="sizes must be a finite schedule here .*xinf.*power:10,2x100"):
        check_sizes(inf)
    assert check_sizes(inf, infinite=True) is inf
    with pytest.raises(ParameterError, match=r"sizes\[0\] must be an integer >= 2 for the unbiased estimator"):
        check_sizes(Schedule("linear", (1, 1), None), infinite=True)
    assert isinstance(check_sizes(parse_sizes("power:10,2x3")), Sizes)


def _toy(infinite: bool) -> Model:
    return Model(
        name="toy", description="toy", parameters=(Parameter("sizes", "sizes", "sizes", minimum=1, infinite=infinite),),
        quantities=(), theory=None, simulate=None, generations=lambda p: len(p["sizes"]),
    )


def test_a_sizes_parameter_takes_schedules_and_echoes_them():
    model = _toy(infinite=False)
    params = model.resolve({"sizes": "power:10,2x3"}, parse=True)
    assert params["sizes"] == (10, 40, 90)
    echo = model.params_json(params)
    assert echo["sizes"] == [10, 40, 90] and echo["schedule"]["text"] == "power:10,2x3"
    assert "schedule" not in model.params_json(model.resolve({"sizes": "10,20"}, parse=True))
    with pytest.raises(ParameterError, match="sizes must be a finite schedule for this model .*xinf"):
        model.resolve({"sizes": "power:10,2xinf"}, parse=True)


def test_a_model_declaring_infinite_gets_the_schedule_object():
    model = _toy(infinite=True)
    params = model.resolve({"sizes": "geometric:2,3xinf"}, parse=True)
    assert isinstance(params["sizes"], Schedule)
    echo = model.params_json(params)
    assert echo["sizes"] is None and echo["schedule"]["generations"] == "inf"
