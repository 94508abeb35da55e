"""Level vs baseline: the REFERENCE §5 re-analysis, the decision table, scipy/statsmodels values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from analysis.compare import compare_to_baseline, margin_sensitivity
from analysis.contrast import contrast, decide, holm
from analysis.original import import_original
from analysis.simulate import null_table
from colearn.errors import ConfigError

FIXTURES = Path(__file__).resolve().parent / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def table():
    return import_original(FIXTURES)


def test_unpaired_reanalysis(table):
    res = compare_to_baseline(table, "accuracy", paired=False).set_index("level")
    assert res.loc[0.0, "mean"] == pytest.approx(0.274, abs=5e-4)
    assert res.loc[0.8, "mean"] == pytest.approx(0.466, abs=5e-4)
    assert res.loc[0.8, "baseline_mean"] == pytest.approx(0.455, abs=5e-4)
    labels = res["label"].to_dict()
    assert labels == {0.0: "NCL", 0.15: "NCL", 0.4: "NCL", 0.6: "inconclusive",
                      0.8: "inconclusive", 0.9: "NeCL", 0.95: "inconclusive"}  # fmt: skip
    assert res.loc[0.8, "p_diff"] == pytest.approx(0.053, abs=1e-3)
    assert res.loc[0.8, "p_diff_adj"] == pytest.approx(0.21, abs=5e-3)
    assert res.loc[0.8, "p_equiv_adj"] == pytest.approx(0.33, abs=5e-3)
    assert res.loc[0.9, "p_equiv_adj"] == pytest.approx(0.019, abs=1e-3)
    assert not res["negligible"].any()
    assert (res["test"] == "welch-t").all()
    assert res.loc[0.8, "seeds_needed"] > 5


def test_paired_reanalysis(table):
    with pytest.warns(UserWarning, match="unpaired"):
        res = compare_to_baseline(table, "accuracy", paired=True).set_index("level")
    assert res.loc[0.8, "label"] == "PCL" and res.loc[0.8, "negligible"]
    assert res.loc[0.8, "p_diff_adj"] == pytest.approx(0.019, abs=1e-3)
    assert res.loc[0.8, "p_equiv_adj"] == pytest.approx(0.027, abs=1e-3)
    assert any("unpaired" in w for w in res.attrs["warnings"])


def test_default_pairing_from_table(table):
    assert not compare_to_baseline(table)["paired"].any()


def test_scipy_statsmodels_agreement(table):
    acc = table[table["metric"] == "accuracy"]
    x = acc[acc["level"] == 0.8].sort_values("seed")["value"].to_numpy()
    y = acc[acc["arm"] == "unimodal"].sort_values("seed")["value"].to_numpy()
    r = contrast(x, y, paired=False)
    ref = stats.ttest_ind(x, y, equal_var=False)  # scipy Welch
    assert r["p_diff"] == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high))
    # statsmodels ttost_ind(x, y, -.02, .02, usevar="unequal")[0]
    assert r["p_equiv"] == pytest.approx(ttost_ind(x, y, -0.02, 0.02, usevar="unequal")[0])
    rp = contrast(x, y, paired=True)
    assert rp["p_diff"] == pytest.approx(stats.ttest_rel(x, y).pvalue)
    assert rp["p_equiv"] == pytest.approx(ttost_paired(x, y, -0.02, 0.02)[0])
    d = x - y
    assert rp["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    # Hedges g by hand: d * (1 - 3 / (4 (n1 + n2) - 9))
    sp = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    assert r["hedges_g"] == pytest.approx((x.mean() - y.mean()) / sp * (1 - 3 / (4 * 10 - 9)))
    # P(X > Y) with ties counted half = scipy mannwhitneyu(x, y).statistic / (n1 n2)
    assert r["p_superiority"] == pytest.approx(stats.mannwhitneyu(x, y).statistic / 25)


def test_holm_matches_statsmodels():
    p = np.array([0.001, 0.2, 0.03, 0.04, 0.5, 0.012, 0.3])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])


def _label(shift, sd, n, seed=0, metric="accuracy", paired=False, seed_sd=0.0):
    t = null_table(n, (0.5,), sd, shift=shift, seed=seed, metric=metric, paired=paired,
                   seed_sd=seed_sd)  # fmt: skip
    r = compare_to_baseline(t, metric).iloc[0]
    return r["label"], bool(r["negligible"])


def test_decision_table_each_label():
    assert _label(-0.1, 0.005, 10) == ("NCL", False)
    assert _label(0.1, 0.005, 10) == ("PCL", False)
    assert _label(0.0, 0.003, 10) == ("NeCL", False)
    assert _label(0.0, 0.05, 3) == ("inconclusive", False)
    assert _label(0.01, 0.001, 20) == ("PCL", True)
    assert _label(-0.01, 0.001, 20) == ("NCL", True)
    # lower is better: a lower loss is positive co-learning
    assert _label(-0.1, 0.005, 10, metric="loss") == ("PCL", False)


def test_decide_never_calls_inconclusive_necl():
    assert decide(0.3, 0.3, 0.0, 0.05, True) == ("inconclusive", False)
    assert decide(0.3, 0.01, 0.0, 0.05, True) == ("equivalent", False)


def test_paired_drops_unmatched_seeds():
    t = null_table(5, (0.5,), 0.01, paired=True, seed=3)
    t = t[~((t["arm"] == "multimodal") & (t["seed"] == 4))]
    with pytest.warns(UserWarning, match="lack a partner"):
        r = compare_to_baseline(t)
    assert r["n"].item() == 4 and r["n_baseline"].item() == 4


def test_settings_echoed_and_errors(table):
    r = compare_to_baseline(table, alpha=0.1, margin=0.03)
    assert (r["alpha"] == 0.1).all() and (r["margin"] == 0.03).all()
    assert (r["correction"] == "holm").all()
    with pytest.raises(ConfigError, match="no metric"):
        compare_to_baseline(table, "nope")
    with pytest.raises(ConfigError, match="alpha"):
        compare_to_baseline(table, alpha=2)


def test_margin_sensitivity(table):
    s = margin_sensitivity(table)
    assert sorted(s["margin"].unique()) == [0.01, 0.02, 0.03]
    assert isinstance(s, pd.DataFrame) and len(s) == 21
