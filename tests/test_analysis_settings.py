"""Comparisons between levels and settings."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.original import import_original
from analysis.settings import (
    compare_by_name,
    compare_levels,
    compare_settings,
    compare_to_best,
    summarize_settings,
)
from analysis.simulate import null_table
from colearn.errors import ConfigError

FIXTURES = Path(__file__).resolve().parent / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def table():
    return import_original(FIXTURES)


def _two_settings():
    a = null_table(8, (0.0, 0.5), 0.005, paired=True, seed=1, seed_sd=0.02)
    b = a.copy()
    b["setting"] = "independent"
    shift = (b["arm"] == "multimodal") & (b["level"] == 0.5)
    b.loc[shift, "value"] += 0.05 + np.random.default_rng(2).normal(0, 0.005, shift.sum())
    b.loc[b["level"] == 0.0, "value"] += 0.001
    return pd.concat([a, b], ignore_index=True)


def test_compare_levels_welch(table):
    r = compare_levels(table, 0.8, 0.9).iloc[0]
    acc = table[table["metric"] == "accuracy"]
    x, y = (acc[acc["level"] == v]["value"].to_numpy() for v in (0.8, 0.9))
    assert r["p_diff"] == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue)
    assert r["label"] == "better" and r["test"] == "welch-t"


def test_compare_settings_paired():
    res = compare_settings(_two_settings(), "independent", "default").set_index("level_a")
    assert (res["test"] == "paired-t").all()
    assert res.loc[0.5, "label"] == "better"
    # a constant per-seed difference has no variance: no test, said plainly (not "better,
    # negligible" from floating-point noise)
    assert res.loc[0.0, "label"] == "inconclusive" and res.loc[0.0, "note"] == "no variance"


def test_compare_to_best(table):
    res = compare_to_best(table)
    assert (res["level_b"] == 0.8).all() and len(res) == 6
    assert set(res["label"]) <= {"worse", "equivalent", "inconclusive", "better"}
    assert res.set_index("level_a").loc[0.0, "label"] == "worse"


def test_dispatch(table):
    assert len(compare_by_name(table, "0.8", "0.9")) == 1
    assert len(compare_by_name(table, "all", "best")) == 6
    with pytest.raises(ConfigError, match="mix a level"):
        compare_by_name(table, "0.8", "independent")


def test_summarize_settings():
    s = summarize_settings(_two_settings(), n_boot=100).set_index("setting")
    assert s.loc["independent", "auc"] > s.loc["default", "auc"]
    assert s.loc["independent", "best_level"] == 0.5
    assert (
        s.loc["default", "auc_ci_low"] <= s.loc["default", "auc"] <= s.loc["default", "auc_ci_high"]
    )


def test_dispatch_rejects_a_level_that_is_absent_or_the_best(table):
    with pytest.raises(ConfigError, match="has no level 0.33"):
        compare_by_name(table, "0.33", "best", paired=False)
    best = compare_to_best(table, paired=False)["level_b"].iloc[0]
    with pytest.raises(ConfigError, match="is the best level"):
        compare_by_name(table, f"{best:g}", "best", paired=False)


def test_every_pair_of_settings_is_one_holm_family():
    from analysis.settings import compare_setting_pairs
    from analysis.simulate import null_table

    t = null_table(n_seeds=12, levels=(0.0, 0.5), sd=0.01, seed=4)
    multi = t[t["arm"] == "multimodal"]
    shifted = multi.assign(
        setting="better", value=multi["value"] + 0.1, run_id=multi["run_id"] + "b"
    )
    same = multi.assign(setting="same", run_id=multi["run_id"] + "s")
    res = compare_setting_pairs(pd.concat([t, shifted, same]), ["default", "better", "same"])
    assert len(res) == 3 * 2  # three pairs at two levels
    assert set(zip(res["setting_a"], res["setting_b"], strict=True)) == {
        ("better", "default"), ("same", "default"), ("same", "better")}  # fmt: skip
    by = res.set_index(["setting_a", "setting_b", "level_a"])["label"]
    assert by[("better", "default", 0.5)] == "better"
    assert by[("same", "better", 0.0)] == "worse"
    # Holm adjusts within the one family of six; it never lowers a p-value
    assert (res["p_diff_adj"] >= res["p_diff"] - 1e-12).all()
