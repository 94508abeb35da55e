"""Robustness columns: permutation, rank and block-model tests."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.original import import_original
from analysis.robust import block_model_p, min_attainable_p, robustness
from analysis.simulate import null_table

FIXTURES = Path(__file__).resolve().parent / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def table():
    return import_original(FIXTURES)


def test_min_attainable_p():
    assert min_attainable_p(5, paired=True) == 0.0625
    assert min_attainable_p(5, 5) == pytest.approx(2 / 252)
    assert min_attainable_p(9, paired=True) <= 0.05 / 7  # ≥ 9 seeds pass Holm over 7 levels


def test_robustness_unpaired(table):
    res = robustness(table).set_index("level")
    assert res["p_perm"].min() == pytest.approx(2 / 252)
    assert not res["reaches_alpha"].any()
    acc = table[table["metric"] == "accuracy"]
    x = acc[acc["level"] == 0.8].sort_values("seed")["value"].to_numpy()
    y = acc[acc["arm"] == "unimodal"].sort_values("seed")["value"].to_numpy()
    assert res.loc[0.8, "p_welch"] == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue)
    assert res.loc[0.8, "p_rank"] == pytest.approx(stats.mannwhitneyu(x, y).pvalue)
    # run indices of an unpaired design are not pairs: no paired t, no block model
    assert res["p_paired"].isna().all() and res["p_block"].isna().all()


def test_robustness_paired(table):
    with pytest.warns(UserWarning, match="unpaired"):
        res = robustness(table, paired=True).set_index("level")
    assert res.loc[0.0, "p_perm"] == pytest.approx(0.0625)  # all five signs agree
    acc = table[table["metric"] == "accuracy"]
    x = acc[acc["level"] == 0.8].sort_values("seed")["value"].to_numpy()
    y = acc[acc["arm"] == "unimodal"].sort_values("seed")["value"].to_numpy()
    # the balanced block model gives the paired t test exactly
    assert res.loc[0.8, "p_block"] == pytest.approx(stats.ttest_rel(x, y).pvalue)
    assert res.loc[0.8, "p_paired"] == pytest.approx(stats.ttest_rel(x, y).pvalue)
    assert (res["p_perm_min"] == 0.0625).all()
    assert smf is not None


@pytest.mark.parametrize("drop", [0, 7])
def test_block_model_closed_form_equals_dummy_ols(drop):
    # value ~ C(arm) + C(seed) by statsmodels (one dummy per seed) against the within-seed
    # closed form, balanced and with some seeds missing one arm
    rng = np.random.default_rng(drop)
    n = 40
    seed_effect = rng.normal(0, 0.01, n)
    data = pd.DataFrame({
        "value": np.r_[0.46 + seed_effect, 0.45 + seed_effect] + rng.normal(0, 0.015, 2 * n),
        "arm": ["m"] * n + ["u"] * n,
        "seed": np.r_[np.arange(n), np.arange(n)],
    }).drop(index=range(drop))  # fmt: skip
    ref = smf.ols("value ~ C(arm) + C(seed)", data=data).fit().pvalues["C(arm)[T.u]"]
    got = block_model_p(data["value"], data["arm"], data["seed"])
    assert got == pytest.approx(ref, rel=1e-10, abs=1e-13)


def test_sampled_permutation_keeps_its_level_and_tracks_the_t_test():
    # 40 paired seeds: 2^40 sign flips, so the test samples 9,999 of them
    t = null_table(40, (0.0, 0.5), 0.015, shift=(0.0, 0.02), paired=True, seed_sd=0.01, seed=2)
    res = robustness(t, paired=True).set_index("level")
    assert (res["p_perm"] >= 1 / 10_000).all()
    # at 40 seeds the permutation p and the paired t p agree closely
    assert res["p_perm"].to_numpy() == pytest.approx(res["p_paired"].to_numpy(), abs=0.02)
    assert res.loc[0.5, "p_perm"] < 0.01
    again = robustness(t, paired=True)
    assert again["p_perm"].tolist() == res["p_perm"].tolist()  # seeded: the same draws
