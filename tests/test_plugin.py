"""The pytest plugin: options, seeded fixtures, the suite budget and readable failure reports."""

from __future__ import annotations

import pytest

INNER = '''
import pytest

@pytest.mark.mc(checks=3)
def test_declares_three(mc_check):
    assert mc_check.alpha == pytest.approx(ALPHA / 4)
    mc_check("right", 1.0005, 1.0, stderr=0.001)

@pytest.mark.mc(checks=1)
def test_wrong(mc_check):
    mc_check("E sigma_g^2", 1.3, 1.0, stderr=0.01)

def test_rng_first(mc_rng):
    print("FIRST", mc_rng.random())

def test_rng_second(mc_rng):
    print("SECOND", mc_rng.random())
'''


def _run(pytester, *args, alpha=1e-3):
    pytester.makepyfile(test_inner=INNER.replace("ALPHA", repr(alpha)))
    return pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", f"--mc-alpha={alpha}", *args)


def test_budget_report_and_header(pytester):
    result = _run(pytester)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*modelcollapse: mc-seed=*suite alpha=0.001*"])
    result.stdout.fnmatch_lines(["*estimate disagrees with theory*", "*theory*1*", "*z*+30.000*", "*seed*"])


def test_alpha_option_changes_the_split(pytester):
    result = _run(pytester, alpha=1e-2)
    result.assert_outcomes(passed=3, failed=1)


def _first_value(result, tag):
    for line in result.stdout.lines:
        if tag in line:
            return line.split(tag)[1].split()[0]
    raise AssertionError(f"{tag} not printed")


def test_mc_rng_is_per_test_and_order_independent(pytester):
    both = _run(pytester, "-k", "rng")
    alone = _run(pytester, "-k", "rng_second")
    assert _first_value(both, "SECOND") == _first_value(alone, "SECOND")
    assert _first_value(both, "FIRST") != _first_value(both, "SECOND")
    other_seed = _run(pytester, "-k", "rng_second", "--mc-seed=5")
    assert _first_value(other_seed, "SECOND") != _first_value(alone, "SECOND")


def test_more_checks_than_declared_is_an_error(pytester):
    pytester.makepyfile(
        test_over='''
import pytest

@pytest.mark.mc(checks=1)
def test_over(mc_check):
    mc_check("a", 1.0, 1.0, stderr=1.0)
    mc_check("b", 1.0, 1.0, stderr=1.0)
'''
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*declares 1*mark.mc(checks=N)*"])
    assert result.ret != 0


def test_underpowered_check_fails():
    from modelcollapse.testing import assert_mc_agrees

    with pytest.raises(AssertionError, match="underpowered"):
        assert_mc_agrees(1.0, 1.0, stderr=0.1, alpha=1e-3, target=0.01)
    ok = assert_mc_agrees(1.0, 1.0, stderr=0.001, alpha=1e-3, target=0.01)
    assert ok.detectable < 0.01


def test_smoke_scale_warns_about_power_without_failing():
    from modelcollapse.testing import MCPowerWarning, assert_mc_agrees

    with pytest.warns(MCPowerWarning, match=r"times the chains would detect"):
        result = assert_mc_agrees(1.0, 1.0, stderr=0.1, alpha=1e-3, target=0.01, require_power=False)
    assert result.detectable > 0.01 and result.chains_factor > 100  # underpowered, warned, not failed


def test_mc_chains_scales_with_the_tier(pytester):
    pytester.makepyfile(
        test_chains='''
def test_chains(mc_chains, mc_scale):
    print("CHAINS", mc_scale, mc_chains(1000))
'''
    )
    smoke = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--mc-scale=smoke")
    paper = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--mc-scale=paper")
    assert _first_value(smoke, "CHAINS smoke") == "100" and _first_value(paper, "CHAINS paper") == "10000"


@pytest.mark.parametrize("checks", ["0", "-5", "'abc'", "2.5", "True"])
def test_checks_must_be_an_integer_of_at_least_one(pytester, checks):
    pytester.makepyfile(test_bad=f"""
import pytest

@pytest.mark.mc(checks={checks})
def test_x(mc_check):
    mc_check("a", 1.0, 1.0, stderr=1.0)
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    text = "\n".join(result.stdout.lines + result.stderr.lines)
    assert "INTERNALERROR" not in text and "needs an integer N >= 1" in text


@pytest.mark.parametrize("option", ["--mc-alpha=0", "--mc-alpha=2", "--mc-alpha=nan", "--mc-scale=huge",
                                    "--mc-seed=-1", "--mc-seed=x"])
def test_options_are_checked_when_parsed(pytester, option):
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", option)
    assert result.ret == 4  # usage error, before any test runs
    assert option.split("=")[0] in "\n".join(result.stderr.lines)


def test_failure_names_the_rerun_command_and_hides_plugin_frames(pytester):
    result = _run(pytester, "-k", "wrong")
    text = "\n".join(result.stdout.lines)
    result.stdout.fnmatch_lines(["*rerun*python -m pytest test_inner.py::test_wrong --mc-seed=*--mc-scale=ci*"])
    assert "_pytest_plugin.py" not in text and "testing.py:" not in text


def test_underpowered_check_warns_at_smoke_with_the_chains_needed(pytester):
    pytester.makepyfile(test_weak="""
import pytest

@pytest.mark.mc(checks=1)
def test_weak(mc_check):
    mc_check("weak", 1.0, 1.0, stderr=0.1, target=0.01)
""")
    smoke = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mc-scale=smoke", "-W", "default")
    smoke.assert_outcomes(passed=1, warnings=1)
    smoke.stdout.fnmatch_lines(["*MCPowerWarning*", "*times the chains would detect*"])
    ci = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mc-scale=ci")
    ci.assert_outcomes(failed=1)
    ci.stdout.fnmatch_lines(["*underpowered*", "*rerun*"])
