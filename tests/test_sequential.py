"""Sequential design statistics: boundaries against published tables, spending, the
group-sequential Holm step, per-look decisions and a small calibration under the null."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from analysis.contrast import contrast, holm
from analysis.sequential import (
    SequentialDesign,
    alpha_spent,
    crossing_probability,
    group_sequential_bounds,
    holm_look,
    look_schedule,
    sequential_decisions,
    sequential_summary,
)
from analysis.simulate import null_table
from colearn.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _calibration_script():
    spec = importlib.util.spec_from_file_location(
        "calibrate_sequential", ROOT / "scripts" / "calibrate_sequential.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Jennison and Turnbull (2000), Tables 2.1 and 2.3: two-sided α = .05, K equally spaced looks.
POCOCK = {2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413}  # constant boundary C_P
OBRIEN_FLEMING = {2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040}  # c_k = C_B √(K / k)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_crossing_probability_gives_the_published_pocock_and_obrien_fleming_constants(k):
    t = np.arange(1, k + 1) / k
    pocock = optimize.brentq(lambda c: crossing_probability([c] * k, t).sum() - 0.05, 1, 5)
    obf = optimize.brentq(lambda c: crossing_probability(c / np.sqrt(t), t).sum() - 0.05, 1, 5)
    assert round(pocock, 3) == POCOCK[k]
    assert round(obf, 3) == OBRIEN_FLEMING[k]


def test_lan_demets_bounds_match_published_values_and_scipy_multivariate_normal():
    t = np.arange(1, 6) / 5
    # DeMets and Lan (1994); gsDesign sfLDOF, one-sided α = .025 (= two-sided .05).
    obf = group_sequential_bounds(t, 0.05, "obf", sides=2)
    assert obf["bound"].round(3).tolist() == [4.877, 3.357, 2.680, 2.290, 2.031]
    one_sided = group_sequential_bounds(t, 0.025, "obf", sides=1)
    np.testing.assert_allclose(one_sided["bound"], obf["bound"], atol=2e-4)
    pocock = group_sequential_bounds(t, 0.025, "pocock", sides=1)
    assert pocock["bound"].round(3).tolist() == [2.438, 2.427, 2.410, 2.397, 2.386]
    # an independent method: P(some Z_k ≥ c_k) with corr(Z_j, Z_k) = √(t_j / t_k)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = stats.multivariate_normal(np.zeros(5), cov)
    below = mvn.cdf(pocock["bound"].to_numpy(), rng=np.random.default_rng(0))
    assert abs((1 - below) - 0.025) < 2e-4
    assert pocock["alpha_spent"].iloc[-1] == pytest.approx(0.025)
    np.testing.assert_allclose(
        np.cumsum(crossing_probability(pocock["bound"], t, sides=1)), pocock["alpha_spent"],
        rtol=1e-6,
    )  # fmt: skip


def test_spending_functions_and_nominal_levels_grow_with_alpha():
    t = np.array([0.125, 0.25, 0.5, 1.0])
    for kind in ("obf", "pocock"):
        spent = alpha_spent(t, 0.05, kind)
        assert np.all(np.diff(spent) > 0) and spent[-1] == pytest.approx(0.05)
    assert alpha_spent([0.5], 0.05, "obf")[0] < alpha_spent([0.5], 0.05, "pocock")[0]
    # the Holm step needs every look's nominal level to grow with the local α
    design = SequentialDesign(looks=(5, 10, 20, 40), levels=tuple(range(7)))
    for sides in (1, 2):
        table = design.nominal_levels(sides)[:, 1:]
        assert np.all(np.diff(table, axis=1) < 0)  # column j: α / j, so falling with j
    with pytest.raises(ConfigError, match="spending 'linear' is not known"):
        alpha_spent(t, 0.05, "linear")


def test_look_schedule_caps_at_the_maximum_and_refuses_bad_looks():
    assert look_schedule(40) == (5, 10, 20, 40)
    assert look_schedule(25) == (5, 10, 20, 25)
    assert look_schedule(5) == (5,)
    with pytest.raises(ConfigError, match="must increase"):
        look_schedule(40, (10, 5))
    with pytest.raises(ConfigError, match="first look"):
        look_schedule(3)
    with pytest.raises(ConfigError, match="at least 2"):
        look_schedule(10, (1, 10))
    design = SequentialDesign(looks=(5, 10), levels=(0.8, 0.0), spending="pocock")
    assert SequentialDesign.from_dict(design.as_dict()) == design
    assert design.levels == (0.0, 0.8)


def test_one_look_of_holm_with_plain_thresholds_is_holm():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.06, size=(200, 7))
    thresholds = np.concatenate([[0.0], 0.05 / np.arange(1, 8)])
    rejected, left = holm_look(p, np.ones_like(p, bool), np.zeros_like(p, bool), thresholds)
    # Holm's adjusted p-values (the engine's holm, equal to statsmodels' multipletests)
    expected = np.array([holm(row) < 0.05 for row in p])
    np.testing.assert_array_equal(rejected, expected)
    np.testing.assert_array_equal(left, 7 - expected.sum(axis=1))
    # a hypothesis rejected earlier passes its α on; one not tested now is never rejected
    r, _ = holm_look([[0.03, 0.001]], [[True, False]], [[False, True]], [0, 0.04, 0.02])
    assert r.tolist() == [[True, True]]
    r, _ = holm_look([[0.03, 0.001]], [[False, True]], [[False, False]], [0, 0.04, 0.02])
    assert r.tolist() == [[False, True]]


def test_decided_levels_are_not_tested_again_and_pvalues_are_the_engines():
    table = null_table(
        n_seeds=20, levels=(0.0, 0.4, 0.8), shift=(-0.2, 0.01, 0.0), sd=0.01, paired=True,
        seed_sd=0.01, seed=4,
    )  # fmt: skip
    design = SequentialDesign(looks=(5, 10, 20), levels=(0.0, 0.4, 0.8), spending="pocock")
    dec = sequential_decisions(table, design)
    first = dec[dec["look"] == 1].set_index("level")
    assert first.loc[0.0, "label"] == "NCL" and first.loc[0.0, "decided"]
    for _, rows in dec.groupby("level"):
        decided = rows[rows["decided"]]
        assert len(decided) <= 1 and (
            decided.empty or decided["look"].iloc[0] == rows["look"].max()
        )
    # the look's p-values are the contrast engine's on seed indices 0..n-1
    row = dec[(dec["look"] == 2) & (dec["level"] == 0.4)].iloc[0]
    x = table[(table["level"] == 0.4) & (table["seed"] < 10)].sort_values("seed")["value"]
    y = table[(table["arm"] == "unimodal") & (table["seed"] < 10)].sort_values("seed")["value"]
    ref = contrast(x.to_numpy(), y.to_numpy(), paired=True, alpha=0.05, margin=0.02)
    assert row["p_diff"] == pytest.approx(ref["p_diff"]) and row["n"] == 10
    assert row["p_equiv"] == pytest.approx(ref["p_equiv"])
    # a boundary crossed ⇔ the p-value below the nominal level of the look
    assert ((dec["p_diff"] < dec["nominal_diff"]) == dec["different"]).all()
    assert ((dec["z_diff"].abs() > dec["bound_diff"]) == dec["different"]).all()
    summary = sequential_summary(dec, design)
    assert summary.set_index("level").loc[0.0, "seeds"] == 5
    # the same table gives the same decisions; a partly trained look is not evaluated
    assert sequential_decisions(table, design).equals(dec)
    partial = table[(table["seed"] < 12)]
    assert sequential_decisions(partial, design)["look"].max() == 2


def test_vectorised_calibration_pvalues_equal_the_engine_and_the_null_rate_holds():
    cal = _calibration_script()
    rng = np.random.default_rng(1)
    d = rng.normal(0.004, 0.02, size=(3, 8, 2))
    p_diff, p_equiv = cal.paired_pvalues(d, 0.02)
    for r in range(3):
        for j in range(2):
            ref = contrast(d[r, :, j], np.zeros(8), paired=True, margin=0.02)
            assert p_diff[r, j] == pytest.approx(ref["p_diff"])
            assert p_equiv[r, j] == pytest.approx(ref["p_equiv"])
    # a small run of the calibration (the large one is the script): global null, 600 studies
    effects = (0.0,) * cal.M
    out = cal.summarise(effects, cal.run_design(cal.simulate(effects, 600, 11), "sequential"))
    rate, se = out["false_diff"]
    assert rate <= 0.05 + 3 * se
    naive = cal.summarise(effects, cal.run_design(cal.simulate(effects, 600, 11), "naive"))
    assert naive["false_diff"][0] > rate and out["runs"] < 320
