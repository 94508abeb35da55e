"""Robustness columns: permutation, rank and block-model tests."""

from pathlib import Path

import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.original import import_original
from analysis.robust import min_attainable_p, robustness

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
