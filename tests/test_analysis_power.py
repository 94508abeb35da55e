"""Power: REFERENCE §5 anchors, statsmodels agreement, and the regimes that used to fail.

Reference values from outside the project (G*Power, PASS/TOSTER, R) are in test_references.py.
"""

import doctest
import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats
from statsmodels.stats.power import TTestIndPower, TTestPower

import analysis.power
from analysis.power import (
    detectable_effect,
    sd_upper_limit,
    seeds_needed,
    seeds_needed_equivalence,
    tost_power,
    ttest_power,
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


@pytest.mark.parametrize("paired", [False, True])
def test_ttest_power_matches_statsmodels(paired):
    # Where statsmodels' noncentral t is finite (moderate effects) the two must agree.
    solver, size = (TTestPower(), "nobs") if paired else (TTestIndPower(), "nobs1")
    for n, effect, alpha in [(5, 0.8, 0.05), (20, 0.5, 0.01), (200, 0.2, 0.05 / 7)]:
        expected = solver.power(effect_size=effect, alpha=alpha, **{size: n})
        got = ttest_power(n, effect * 0.01, 0.01, alpha=alpha, paired=paired)
        assert got == pytest.approx(expected, rel=1e-9)


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


# --- Defect 1: NaN from scipy's noncentral t at large noncentrality -------------------------


def test_large_effect_does_not_crash():
    # Used to raise "cannot convert float NaN to integer" (10 SDs, statsmodels' solver got NaN).
    assert seeds_needed(0.05, 0.005) == 2
    # A paired table with 2 seeds and a large d_z (the compare_to_baseline crash).
    assert seeds_needed(0.05, 0.002, paired=True, alpha=0.05 / 7) == 3
    for n in (2, 3, 10, 1000):
        assert 0.99 < ttest_power(n, 0.4, 0.005) <= 1.0
    effect = detectable_effect(2, 0.005, alpha=0.05 / 7, paired=True)
    assert np.isfinite(effect)
    assert ttest_power(2, effect, 0.005, alpha=0.05 / 7, paired=True) == pytest.approx(0.8)


def _t_power_by_quad(n, diff, sd, alpha, paired):
    # Independent reference: P(|T| > t_c) = E_U[Φ(λ − t_c √(U/ν)) + Φ(−λ − t_c √(U/ν))],
    # U ~ χ²_ν, by scipy.integrate.quad over U with its density from scipy.stats.chi2.
    df = n - 1 if paired else 2 * n - 2
    lam = abs(diff) / (sd / math.sqrt(n) if paired else sd * math.sqrt(2 / n))
    tc = stats.t.isf(alpha / 2, df)

    def f(u):
        w = math.sqrt(u / df)
        return (stats.norm.cdf(lam - tc * w) + stats.norm.cdf(-lam - tc * w)) * stats.chi2.pdf(
            u, df
        )

    lo, hi = stats.chi2.ppf(1e-15, df), stats.chi2.isf(1e-15, df)
    return integrate.quad(f, lo, hi, points=[df], limit=200, epsabs=1e-13)[0]


def test_fallback_when_scipy_nct_gives_nan(monkeypatch):
    class NanNct:
        @staticmethod
        def sf(*args):
            return np.nan

        @staticmethod
        def cdf(*args):
            return np.nan

    cases = [
        (2, 0.05, 0.005, 0.05, True),
        (2, 0.05, 0.005, 0.05 / 7, False),
        (34, 0.5, 1, 0.05, True),
    ]
    expected = [ttest_power(n, d, s, alpha=a, paired=p) for n, d, s, a, p in cases]
    # With every noncentral-t call returning NaN the power comes from the fallback integral
    # alone; it must equal both scipy's value (where finite) and an independent quadrature.
    monkeypatch.setattr(analysis.power.stats, "nct", NanNct)
    for (n, d, s, a, p), want in zip(cases, expected, strict=True):
        got = ttest_power(n, d, s, alpha=a, paired=p)
        assert got == pytest.approx(want, abs=1e-10)
        assert got == pytest.approx(_t_power_by_quad(n, d, s, a, p), abs=1e-8)


# --- Defect 2: the recommended n undershoots at effects of 4 SDs and more --------------------


def test_undershoot_examples():
    # Paired, diff .05, SD .005: n = 2 has power .733 < .8; the answer is 3.
    assert ttest_power(2, 0.05, 0.005, paired=True) == pytest.approx(0.733, abs=5e-4)
    assert seeds_needed(0.05, 0.005, paired=True) == 3
    # Unpaired, α = .05/7: n = 2 has power .51; the answer is 3.
    assert ttest_power(2, 0.05, 0.005, alpha=0.05 / 7) == pytest.approx(0.513, abs=5e-4)
    assert seeds_needed(0.05, 0.005, alpha=0.05 / 7) == 3


def test_seeds_needed_is_smallest_on_grid():
    grid = itertools.product(
        (0.001, 0.01, 0.02, 0.05, 0.2),  # diff: 0.03 to 200 SDs
        (0.001, 0.005, 0.015, 0.03),  # sd
        (0.05, 0.05 / 7, 0.05 / 70),  # alpha
        (0.8, 0.95),  # power
        (False, True),  # paired
    )
    for diff, sd, alpha, power, paired in grid:
        n = seeds_needed(diff, sd, alpha=alpha, power=power, paired=paired)
        assert ttest_power(n, diff, sd, alpha=alpha, paired=paired) >= power
        if n > 2:
            assert ttest_power(n - 1, diff, sd, alpha=alpha, paired=paired) < power


def test_seeds_needed_equivalence_is_smallest_on_grid():
    grid = itertools.product(
        (0.005, 0.02, 0.1),  # margin, with sd .015: 0.33 to 6.7 SDs
        (0.0, 0.5),  # true difference as a share of the margin
        (0.05, 0.05 / 7),
        (False, True),
    )
    for margin, share, alpha, paired in grid:
        diff = share * margin
        n = seeds_needed_equivalence(margin, 0.015, true_diff=diff, alpha=alpha, paired=paired)
        kw = {"true_diff": diff, "alpha": alpha, "paired": paired}
        assert tost_power(n, 0.015, margin, **kw) >= 0.8
        if n > 2:
            assert tost_power(n - 1, 0.015, margin, **kw) < 0.8


def test_equivalence_target_must_exceed_alpha():
    # Below α, TOST power can fall as n grows (documented), so such targets are refused.
    assert tost_power(2, 1.0, 0.5, paired=True) > tost_power(3, 1.0, 0.5, paired=True)
    with pytest.raises(ConfigError, match="must exceed alpha"):
        seeds_needed_equivalence(0.5, 1.0, paired=True, power=0.02)
    with pytest.raises(ConfigError, match="must exceed alpha"):
        seeds_needed_equivalence(0.5, 1.0, alpha=0.05, power=0.05)


def test_cap_is_refused():
    with pytest.raises(ConfigError, match="max_n = 100000"):
        seeds_needed(1e-4, 1.0)
    with pytest.raises(ConfigError, match="max_n = 17"):
        seeds_needed_equivalence(0.02, 0.015, alpha=0.05 / 7, max_n=17)
    assert seeds_needed_equivalence(0.02, 0.015, alpha=0.05 / 7, max_n=18) == 18
    assert seeds_needed(0.5, 1.0, max_n=64) == 64
    with pytest.raises(ConfigError, match="max_n = 63"):
        seeds_needed(0.5, 1.0, max_n=63)


# --- Defect 3: TOST power wrong at large n (fixed 96-node quadrature) -----------------------


def _tost_power_by_quad(n, sd, margin, alpha, true_diff=0.0):
    # Independent reference for the two-sample design: the same formula integrated over
    # U = ν s²/σ² ~ χ²_ν with scipy.integrate.quad, breakpoints at the bulk of χ²_ν.
    df, k = 2 * n - 2, math.sqrt(2 / n)
    tc = stats.t.isf(alpha, df)
    u_max = df * (margin / (tc * k * sd)) ** 2

    def f(u):
        half = tc * k * sd * math.sqrt(u / df)
        inside = stats.norm.cdf((margin - half - true_diff) / (sd * k)) - stats.norm.cdf(
            (-margin + half - true_diff) / (sd * k)
        )
        return inside * stats.chi2.pdf(u, df)

    sd_u = math.sqrt(2 * df)
    points = [p for p in (df + j * sd_u for j in range(-8, 9)) if 0 < p < u_max]
    return integrate.quad(f, 0, u_max, points=points, limit=400, epsabs=1e-12)[0]


@pytest.mark.parametrize(("n", "old"), [(2600, 0.816), (3305, 1.000)])
def test_tost_power_large_n(n, old):
    want = _tost_power_by_quad(n, 100, 10, 0.025)
    got = tost_power(n, 100, 10, alpha=0.025)
    assert got == pytest.approx(want, abs=1e-8)
    assert abs(got - old) > 0.03


def test_seeds_needed_equivalence_large_n():
    assert seeds_needed_equivalence(10, 100, alpha=0.025, power=0.9) == 2600  # was 3282
    assert seeds_needed_equivalence(0.001, 0.015, alpha=0.05 / 7) == 6268  # was 5846


def test_tost_power_paired_large_n():
    # Paired n pairs with SD of differences σ√2 has the SE of two arms of n with SD σ, and
    # ν = n − 1 instead of 2n − 2; at ν in the thousands the two powers nearly coincide.
    paired = tost_power(5000, 100 * math.sqrt(2), 10, alpha=0.025, paired=True)
    two = tost_power(5000, 100, 10, alpha=0.025)
    assert paired == pytest.approx(two, abs=2e-4)
    assert 0.95 < paired < two


# --- Defect 4: non-finite and out-of-range arguments -----------------------------------------


def test_infinite_margin_refused():
    with pytest.raises(
        ConfigError, match=r"^margin is inf; it must be a finite positive number\.$"
    ):
        tost_power(10, 0.015, math.inf)
    with pytest.raises(ConfigError, match="margin is inf"):
        seeds_needed_equivalence(math.inf, 0.015)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: seeds_needed(0.02, math.nan), "sd"),
        (lambda: seeds_needed(0.02, math.inf), "sd"),
        (lambda: seeds_needed(math.inf, 0.015), "diff"),
        (lambda: seeds_needed(math.nan, 0.015), "diff"),
        (lambda: seeds_needed(0.0, 0.015), "diff"),
        (lambda: seeds_needed(0.02, 0.015, alpha=math.nan), "alpha"),
        (lambda: seeds_needed(0.02, 0.015, alpha=1.5), "alpha"),
        (lambda: seeds_needed(0.02, 0.015, power=1.0), "power"),
        (lambda: seeds_needed(0.02, 0.015, sd_n=1), "n"),
        (lambda: detectable_effect(10, 0.015, power=math.nan), "power"),
        (lambda: detectable_effect(1, 0.015), "n"),
        (lambda: tost_power(10, 0.015, 0.02, true_diff=math.inf), "true_diff"),
        (lambda: tost_power(10, 0.015, -0.02), "margin"),
        (lambda: tost_power(10.5, 0.015, 0.02), "n"),
        (lambda: tost_power(10, 0.015, 0.02, method="normal"), "method"),
        (lambda: seeds_needed_equivalence(0.02, 0.015, power=math.nan), "power"),
        (lambda: seeds_needed_equivalence(0.02, 0.015, true_diff=math.nan), "true_diff"),
        (lambda: sd_upper_limit(math.inf, 5), "sd"),
    ],
)
def test_bad_arguments_refused(call, name):
    with pytest.raises(ConfigError, match=rf"^{name} is .*\.$"):
        call()


def test_docstring_examples():
    assert doctest.testmod(analysis.power).failed == 0
