"""Reference values from outside the project: each number below is quoted with its source.

They are the oracle: when one fails, the code under test is wrong, not the number.
"""

import math

import numpy as np
import pingouin as pg
import pytest
from scipy import optimize, stats
from statsmodels.stats.weightstats import ttest_ind as sm_ttest_ind
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from analysis.contrast import contrast
from analysis.curves import _brain_cousens, fit_curve
from analysis.power import seeds_needed, seeds_needed_equivalence, tost_power, ttest_power

# --- Sample sizes of the t test: G*Power 3.1 and Cohen (1988) -------------------------------
# G*Power 3.1 (Faul et al. 2007), a priori, two tails, α = .05, power .80:
# "Means: difference between two independent means (two groups)", d = 0.5 → 64 per group,
# d = 0.2 → 394 per group; "Means: difference between two dependent means (matched pairs)",
# d_z = 0.5 → 34 pairs, d_z = 0.2 → 199 pairs.  Cohen (1988), Table 2.4.1: d = .5 → 64.


@pytest.mark.parametrize(
    ("d", "paired", "n"), [(0.5, False, 64), (0.5, True, 34), (0.2, False, 394), (0.2, True, 199)]
)
def test_gpower_sample_sizes(d, paired, n):
    assert seeds_needed(d, 1.0, alpha=0.05, power=0.8, paired=paired) == n


def test_gpower_actual_power():
    # G*Power 3.1 reports the actual power at those n: two groups, d = 0.5, n = 64 per group →
    # 0.8014596; matched pairs, d_z = 0.5, 34 pairs → 0.8077775.
    assert ttest_power(64, 0.5, 1.0) == pytest.approx(0.8014596, abs=5e-7)
    assert ttest_power(34, 0.5, 1.0, paired=True) == pytest.approx(0.8077775, abs=5e-7)


# --- TOST power and sample size: PASS examples in TOSTER's tests ------------------------------
# TOSTER (Lakens, Caldwell), tests/testthat/test-power_t_TOST.R, whose cases are the PASS
# manual's examples (chapters 460, two-sample, and 519, paired/one-sample), via power_t_TOST.


@pytest.mark.parametrize(
    ("n", "power"), [(3, 0.0386), (8, 0.28871), (15, 0.69339), (30, 0.94326), (50, 0.99458)]
)
def test_pass_460_two_sample_power(n, power):
    # PASS ex. 1 (p. 460-8): Δ = −4, SD 18, bounds ±19.2, α .05.  n = 3 is given to 4 decimals
    # (0.0386), the others to 5.
    tol = 5e-5 if n == 3 else 5e-6
    got = tost_power(n, 18, 19.2, true_diff=-4, alpha=0.05)
    assert got == pytest.approx(power, abs=tol)


@pytest.mark.parametrize(
    ("kw", "n"),
    [
        ({"margin": 19.2, "sd": 18, "true_diff": -4, "alpha": 0.05, "power": 0.8}, 19),  # ex. 2
        ({"margin": 5, "sd": 8, "true_diff": -2, "alpha": 0.05, "power": 0.8}, 89),  # ex. 4
        ({"margin": 10, "sd": 100, "true_diff": 0, "alpha": 0.025, "power": 0.9}, 2600),  # ex. 3
    ],
)
def test_pass_460_two_sample_n(kw, n):
    assert seeds_needed_equivalence(**kw) == n


def test_pass_460_large_n_with_true_difference():
    # PASS ex. 3 (p. 460-11), Δ = 2: TOSTER reports round(n) = 3305 for its continuous root of
    # power(n) = .9, and its own power at n = 3305 (noncentral-t method at df 6608) is
    # 0.8999944, just short of .9; so the root lies in (3305, 3305.5) and the smallest whole n
    # is 3306.
    kw = {"true_diff": 2, "alpha": 0.025}
    assert tost_power(3305, 100, 10, **kw) == pytest.approx(0.8999944, abs=1e-6)
    assert seeds_needed_equivalence(10, 100, power=0.9, **kw) == 3306


@pytest.mark.parametrize(
    ("n", "power"), [(5, 0.10599), (15, 0.66629), (30, 0.93855), (50, 0.99410)]
)
def test_pass_519_paired_power(n, power):
    # PASS ex. 5 (p. 519-5): Δ = −4, SD of differences 25.4558, bounds ±19.2, α .05 (n = 5 is
    # run as "one.sample", the same design).  TOSTER's file also expects 0.69339 for the same
    # paired call at n = 15, the two-sample value of ex. 1; 0.66629 is the paired one (df 14).
    got = tost_power(n, 25.4558, 19.2, true_diff=-4, alpha=0.05, paired=True)
    assert got == pytest.approx(power, abs=5e-6)


@pytest.mark.parametrize(
    ("margin", "sd", "diff", "power", "n"),
    [
        (0.05, 0.1, 0, 0.8, 36),  # ex. 6 (p. 519-5), one-sample
        (20, 28.284, 0, 0.7, 16),  # ex. 7 (p. 519-8), paired, ceiling(n)
        (20, 28.284, -5, 0.7, 20),
        (20, 28.284, -10, 0.7, 40),
        (20, 28.284, -15, 0.7, 152),
    ],
)
def test_pass_519_paired_n(margin, sd, diff, power, n):
    got = seeds_needed_equivalence(margin, sd, true_diff=diff, alpha=0.05, power=power, paired=True)
    assert got == n


def test_large_n_tost_power():
    # PASS ex. 3: n = 2600 per group reaches power .900 (SD 100, δ = 10, α .025).  At n = 3305
    # the power is .965: the formula integrated with scipy.integrate.quad (and to 30 digits
    # with mpmath: 0.964668672), and the normal approximation 2Φ(δ/(σ√(2/n)) − z.975) − 1 =
    # .9647.  The old fixed quadrature gave .816 and 1.000.
    assert tost_power(2600, 100, 10, alpha=0.025) == pytest.approx(0.900, abs=5e-4)
    assert tost_power(3305, 100, 10, alpha=0.025) == pytest.approx(0.965, abs=5e-4)
    z = stats.norm.isf(0.025)
    normal = 2 * stats.norm.cdf(10 / (100 * math.sqrt(2 / 3305)) - z) - 1
    assert tost_power(3305, 100, 10, alpha=0.025) == pytest.approx(normal, abs=2e-4)


def test_large_n_equivalence_sample_size():
    # The exact search (scipy quad of the same formula) gives 6268 per arm; the normal
    # approximation 2(z_{1−α} + z_{.9})²(σ/δ)² = 6267.4 agrees.  (The old code gave 5846.)
    assert seeds_needed_equivalence(0.001, 0.015, alpha=0.05 / 7) == 6268


# --- TOST and t test on data: TOSTER, R and NCSS ---------------------------------------------
# NCSS "Two-Sample T-Test for Equivalence" example (pp. 198-1 ff.), as run in TOSTER's
# tests/testthat/test-NCSS1.R: t_TOST(yieldA, yieldB, eqb ±110, var.equal = FALSE,
# alpha = .025): df 19.169, estimate −8.1153846, 95 % CI (−120.27336, 104.04259), one-sided
# p-values .03628 (lower bound) and .02002 (upper bound).
YIELD_A = [452, 874, 554, 447, 356, 754, 558, 574, 664, 682, 547, 435, 245]
YIELD_B = [546, 547, 774, 465, 459, 665, 467, 365, 589, 534, 456, 651, 654, 665, 546, 537]


def test_toster_ncss_welch_example():
    res = contrast(YIELD_A, YIELD_B, paired=False, alpha=0.025, margin=110)
    assert res["df"] == pytest.approx(19.169, abs=5e-4)
    assert res["diff"] == pytest.approx(-8.1153846, abs=5e-8)
    assert res["p_equiv"] == pytest.approx(0.03628, abs=5e-6)  # the larger one-sided p
    # equiv_margin is the larger end, in absolute value, of the (1 − 2α) = 95 % CI.
    assert res["equiv_margin"] == pytest.approx(120.27336, abs=5e-6)
    ci = contrast(YIELD_A, YIELD_B, paired=False, alpha=0.05, margin=110)
    assert (ci["ci_low"], ci["ci_high"]) == pytest.approx((-120.27336, 104.04259), abs=5e-6)


def _with_moments(n, mean, sd):
    """n values with exactly this mean and SD (ddof = 1)."""
    z = np.linspace(-1.0, 1.0, n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def test_toster_known_results_welch():
    # TOSTER tests/testthat/test-known_results.R, TOSTtwo.raw(m1 = 5.25, m2 = 5.22, sd1 = 0.95,
    # sd2 = 0.83, n1 = 95, n2 = 89, bounds ±0.384, α .05) (Welch): TOST_p1 0.0009458745,
    # TOST_p2 0.003838994, df 181.1344, 90 % CI (−0.1870843, 0.2470843), 95 % CI (−0.2290799,
    # 0.2890799).  The Welch t and TOST depend on the data only through n, mean and SD.
    x, y = _with_moments(95, 5.25, 0.95), _with_moments(89, 5.22, 0.83)
    res = contrast(x, y, paired=False, alpha=0.05, margin=0.384)
    assert res["p_equiv"] == pytest.approx(0.003838994, rel=1e-6)
    assert res["df"] == pytest.approx(181.1344, abs=5e-5)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((-0.2290799, 0.2890799), abs=5e-8)
    assert res["equiv_margin"] == pytest.approx(0.2470843, abs=5e-8)


def test_toster_known_results_paired():
    # TOSTER tests/testthat/test-known_results.R, TOSTpaired.raw(n = 65, m1 = 5.83, m2 = 5.75,
    # sd1 = 1.17, sd2 = 1.30, r12 = 0.745, bounds ±0.34, α .05): TOST_p1 0.0001606103, TOST_p2
    # 0.01081349, df 64, 90 % CI (−0.1043032, 0.2643032), 95 % CI (−0.1406022, 0.3006022).
    # The paired t and TOST depend only on the differences: mean 0.08, SD √(sd1² + sd2² −
    # 2·r12·sd1·sd2), built here on an arbitrary second arm.
    sd_d = math.sqrt(1.17**2 + 1.30**2 - 2 * 0.745 * 1.17 * 1.30)
    y = _with_moments(65, 5.75, 1.30)
    d = np.random.default_rng(0).permutation(_with_moments(65, 0.08, sd_d))
    res = contrast(y + d, y, paired=True, alpha=0.05, margin=0.34)
    assert res["p_equiv"] == pytest.approx(0.01081349, rel=1e-6)
    assert res["df"] == 64
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((-0.1406022, 0.3006022), abs=5e-8)
    assert res["equiv_margin"] == pytest.approx(0.2643032, abs=5e-8)


# R's `sleep` data (Cushny & Peebles 1905, in R's datasets): extra hours of sleep, drug 1 and
# drug 2 on the same 10 patients.  R 4.x, example(t.test):
# t.test(extra ~ group, data = sleep): t = −1.8608, df = 17.776, p = 0.07939,
# 95 % CI (−3.3654832, 0.2054832); with paired = TRUE: t = −4.0621, df = 9, p = 0.002833,
# 95 % CI (−2.4598858, −0.7001142).
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_r_t_test_sleep():
    welch = contrast(SLEEP_1, SLEEP_2, paired=False)
    assert welch["df"] == pytest.approx(17.776, abs=5e-4)
    assert welch["p_diff"] == pytest.approx(0.07939, abs=5e-6)
    assert (welch["ci_low"], welch["ci_high"]) == pytest.approx((-3.3654832, 0.2054832), abs=5e-8)
    paired = contrast(SLEEP_1, SLEEP_2, paired=True)
    assert paired["df"] == 9
    assert paired["p_diff"] == pytest.approx(0.002833, abs=5e-7)
    assert (paired["ci_low"], paired["ci_high"]) == pytest.approx(
        (-2.4598858, -0.7001142), abs=5e-8
    )


@pytest.mark.parametrize("paired", [False, True])
def test_pingouin_and_statsmodels_on_sleep(paired):
    # pingouin 0.7 ttest (correction=True: Welch) and statsmodels on the same fixed data.
    res = contrast(SLEEP_1, SLEEP_2, paired=paired, alpha=0.05, margin=1.0)
    pgt = pg.ttest(SLEEP_1, SLEEP_2, paired=paired, correction=True)
    assert res["p_diff"] == pytest.approx(float(pgt["p_val"].iloc[0]), rel=1e-9)
    assert res["df"] == pytest.approx(float(pgt["dof"].iloc[0]), rel=1e-9)
    # Hedges' g = Cohen's d (pingouin's cohen_d, pooled SD; sign from mean 1 − mean 2) times
    # the small-sample factor 1 − 3 / (4(n1 + n2) − 9) (Hedges & Olkin 1985).
    d = -float(pgt["cohen_d"].iloc[0])
    assert res["hedges_g"] == pytest.approx(d * (1 - 3 / (4 * 20 - 9)), abs=1e-4)
    x, y = np.array(SLEEP_1), np.array(SLEEP_2)
    if paired:
        p_equiv = ttost_paired(x, y, -1.0, 1.0)[0]
        p_diff = stats.ttest_rel(x, y).pvalue
    else:
        p_equiv = ttost_ind(x, y, -1.0, 1.0, usevar="unequal")[0]
        p_diff = sm_ttest_ind(x, y, usevar="unequal")[1]
    assert res["p_equiv"] == pytest.approx(p_equiv, rel=1e-12)
    assert res["p_diff"] == pytest.approx(p_diff, rel=1e-12)


# --- Dose-response: drc's ryegrass LL.4 fit --------------------------------------------------
# Ritz, Baty, Streibig & Gerhard (2015), "Dose-Response Analysis Using R", PLoS ONE 10(12):
# e0146021: drm(rootl ~ conc, data = ryegrass, fct = LL.4()) gives b 2.982, c 0.481, d 7.793,
# e 3.058, residual standard error 0.520 on 20 df.  Data: Inderjit et al. (2002), root length
# of perennial ryegrass against ferulic acid concentration (drc's `ryegrass`).
RYE_CONC = np.repeat([0, 0.94, 1.88, 3.75, 7.5, 15, 30], [6, 3, 3, 3, 3, 3, 3])
RYE_ROOT = np.array(
    [7.5800000, 8.0000000, 8.3285714, 7.2500000, 7.3750000, 7.9625000, 8.3555556, 6.9142857]
    + [7.7500000, 6.8714286, 6.4500000, 5.9222222, 1.9250000, 2.8857143, 4.2333333, 1.1875000]
    + [0.8571429, 1.0571429, 0.6875000, 0.5250000, 0.8250000, 0.2500000, 0.2200000, 0.4400000]
)


def test_drc_ryegrass_ll4_through_brain_cousens():
    # drc's LL.4, c + (d − c) / (1 + exp(b (log x − log e))), is the Brain–Cousens shape with
    # f = 0.  analysis.curves.fit_curve fits all five parameters and has no way to hold f at 0,
    # so the four-parameter model is fitted here with scipy.optimize.curve_fit on
    # _brain_cousens(x, b, c, d, e, 0.0).
    def ll4(x, b, c, d, e):
        return _brain_cousens(x, b, c, d, e, 0.0)

    params, _ = optimize.curve_fit(ll4, RYE_CONC, RYE_ROOT, p0=[2.0, 0.5, 8.0, 3.0])
    assert params == pytest.approx([2.982, 0.481, 7.793, 3.058], abs=5e-4)
    resid = RYE_ROOT - ll4(RYE_CONC, *params)
    assert math.sqrt(resid @ resid / 20) == pytest.approx(0.520, abs=5e-4)


def test_brain_cousens_fit_at_least_as_good_as_ll4():
    # LL.4 is Brain–Cousens with f = 0, so the five-parameter least-squares fit cannot have a
    # larger residual sum of squares than drc's LL.4 fit: 20 × 0.520² (to its rounding).
    fit = fit_curve("brain_cousens", RYE_CONC, RYE_ROOT)
    assert fit.converged
    assert fit.sse <= 20 * 0.5205**2
