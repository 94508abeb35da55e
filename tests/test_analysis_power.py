"""Power: REFERENCE §5 anchors and statsmodels agreement."""

import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower, TTestPower

from analysis.power import (
    detectable_effect,
    sd_upper_limit,
    seeds_needed,
    seeds_needed_equivalence,
    tost_power,
)
from colearn.errors import ConfigError


@pytest.mark.parametrize(("sd", "n", "n7"), [(0.010, 6, 9), (0.015, 10, 16), (0.020, 17, 27)])
def test_seeds_needed_anchors(sd, n, n7):
    assert seeds_needed(0.02, sd) == n
    assert seeds_needed(0.02, sd, alpha=0.05 / 7) == n7


def test_tost_power_anchors():
    assert tost_power(5, 0.015, 0.02, alpha=0.05 / 7) == pytest.approx(0.03, abs=0.01)
    assert tost_power(15, 0.015, 0.02, alpha=0.05 / 7) == pytest.approx(0.69, abs=0.01)


def test_tost_power_simulation_close_to_exact():
    sim = tost_power(10, 0.015, 0.02, alpha=0.05 / 7, method="simulation", n_sims=2000, seed=1)
    assert sim == pytest.approx(tost_power(10, 0.015, 0.02, alpha=0.05 / 7), abs=0.05)


def test_detectable_effect_inverts_statsmodels():
    # TTestIndPower().solve_power(nobs1=10, alpha=.05, power=.8) * sd
    es = TTestIndPower().solve_power(nobs1=10, alpha=0.05, power=0.8)
    assert detectable_effect(10, 0.015) == pytest.approx(es * 0.015)
    # TTestPower().solve_power(nobs=10, alpha=.05, power=.8) * sd  (paired: n pairs)
    es_paired = TTestPower().solve_power(nobs=10, alpha=0.05, power=0.8)
    assert detectable_effect(10, 0.015, paired=True) == pytest.approx(es_paired * 0.015)


def test_sd_upper_limit_chi2():
    # sd * sqrt((n - 1) / chi2.ppf(0.2, n - 1))
    assert sd_upper_limit(0.01, 5) == pytest.approx(0.01 * (4 / stats.chi2.ppf(0.2, 4)) ** 0.5)
    assert seeds_needed(0.02, 0.01, sd_n=5) > seeds_needed(0.02, 0.01)


def test_equivalence_seeds_monotone_and_errors():
    n = seeds_needed_equivalence(0.02, 0.015, alpha=0.05 / 7)
    assert tost_power(n, 0.015, 0.02, alpha=0.05 / 7) >= 0.8
    assert tost_power(n - 1, 0.015, 0.02, alpha=0.05 / 7) < 0.8
    with pytest.raises(ConfigError, match="outside"):
        seeds_needed_equivalence(0.02, 0.015, true_diff=0.03)
    with pytest.raises(ConfigError, match="positive"):
        seeds_needed(0.02, -1)
