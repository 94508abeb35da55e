"""Claim verdicts: each of the four outcomes on constructed tables, and the authors' files."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import ttost_paired

from analysis.claims import CLAIM_COLUMNS, VERDICT_RULE, VERDICTS, judge_claims, value_tost
from analysis.original import import_original
from colearn.errors import ConfigError

ORIGINAL = Path(__file__).parent / "data" / "original-iemocap"
NOISE = np.array([-1.0, 1.0, -0.5, 0.5, -0.2, 0.2, 0.8, -0.8])
# A second pattern: level minus baseline must vary by seed (equal patterns leave no variance).
NOISE2 = np.array([0.5, -0.2, 1.0, -1.0, 0.8, -0.5, -0.8, 0.2])


def make_table(levels: dict, baseline, paired=True):
    """Tidy table: one multimodal run per (level, seed) and one baseline run per seed."""
    rows = []
    for seed, b in enumerate(baseline):
        rows.append(("unimodal", np.nan, seed, b))
    for level, values in levels.items():
        rows += [("multimodal", level, seed, v) for seed, v in enumerate(values)]
    return pd.DataFrame(
        {
            "study": "t",
            "setting": "default",
            "run_id": [f"{a}-{lv}-{s}" for a, lv, s, _ in rows],
            "arm": [r[0] for r in rows],
            "level": [r[1] for r in rows],
            "seed": [r[2] for r in rows],
            "paired": paired,
            "condition": "primary",
            "metric": "accuracy",
            "value": [r[3] for r in rows],
            "n_test": 500,
        }
    )


def claim(level, expected, paper=np.nan):
    return pd.DataFrame(
        {"id": ["c"], "level": [level], "metric": ["accuracy"], "expected": [expected],
         "paper_value": [paper], "text": ["t"]}
    )  # fmt: skip


BASE = 0.45 + 0.01 * NOISE


def judge(levels, c, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return judge_claims(make_table(levels, BASE), c, **kw).iloc[0]


def test_reproduced_when_label_matches_and_paper_inside_ci():
    r = judge({0.0: 0.27 + 0.01 * NOISE2}, claim(0.0, "NCL", 0.27))
    assert (r["label"], r["verdict"], bool(r["paper_in_ci"])) == ("NCL", "[Re]", True)
    assert r["mean_ci_low"] <= r["mean"] <= r["mean_ci_high"]


def test_reproduced_through_tost_when_paper_outside_ci_but_within_margin():
    r = judge({0.0: 0.30 + 0.0005 * NOISE2}, claim(0.0, "NCL", 0.31))
    assert not r["paper_in_ci"] and r["p_value_equiv"] < 0.05
    assert r["verdict"] == "[Re]"


def test_partial_when_paper_value_far_from_ours():
    r = judge({0.0: 0.27 + 0.01 * NOISE2}, claim(0.0, "NCL", 0.35))
    assert (r["label"], r["verdict"]) == ("NCL", "partial")


def test_partial_when_label_only_negligible():
    r = judge({0.8: BASE + 0.01 + 0.0005 * NOISE}, claim(0.8, "PCL", 0.46))
    assert r["label"] == "PCL" and r["negligible"]
    assert r["verdict"] == "partial"


def test_partial_when_necl_expected_and_effect_negligible():
    r = judge({0.8: BASE + 0.01 + 0.0005 * NOISE}, claim(0.8, "NeCL"))
    assert r["verdict"] == "partial"


def test_not_reproduced_when_other_definite_label():
    r = judge({0.8: 0.30 + 0.01 * NOISE2}, claim(0.8, "PCL", 0.47))
    assert (r["label"], r["verdict"]) == ("NCL", "[¬Re]")


def test_not_reproduced_when_necl_found_for_pcl():
    r = judge({0.8: BASE + 0.0005 * NOISE}, claim(0.8, "PCL"))
    assert (r["label"], r["verdict"]) == ("NeCL", "[¬Re]")


def test_inconclusive_when_label_inconclusive():
    r = judge({0.8: BASE + 0.015 + 0.04 * NOISE[::-1]}, claim(0.8, "PCL", 0.47))
    assert (r["label"], r["verdict"]) == ("inconclusive", "[?Re]")


def test_inconclusive_when_level_not_run():
    r = judge({0.0: 0.27 + 0.01 * NOISE}, claim(0.5, "PCL", 0.47))
    assert (r["label"], r["verdict"]) == ("not run", "[?Re]")


def test_columns_and_rule():
    r = judge_claims(make_table({0.0: 0.27 + 0.01 * NOISE}, BASE), claim(0.0, "NCL", 0.27))
    assert list(r.columns) == CLAIM_COLUMNS
    assert set(r["verdict"]) <= set(VERDICTS)
    for v in VERDICTS:
        assert v in VERDICT_RULE


def test_value_tost_matches_statsmodels():
    x = 0.46 + 0.005 * NOISE
    # statsmodels: ttost_paired(x, target, -δ, δ)[0] is the one-sample TOST on x − target
    ref = ttost_paired(x, np.full(len(x), 0.47), -0.02, 0.02)[0]
    assert value_tost(x, 0.47, 0.02) == pytest.approx(ref, rel=1e-10)


def test_bad_claims_raise():
    t = make_table({0.0: 0.27 + 0.01 * NOISE}, BASE)
    with pytest.raises(ConfigError):
        judge_claims(t, claim(0.0, "better"))
    with pytest.raises(ConfigError):
        judge_claims(t, pd.DataFrame({"id": ["a"]}))


def test_authors_files():
    t = import_original(ORIGINAL)
    c = pd.DataFrame(
        {"id": ["ncl", "pcl"], "level": [0.0, 0.8], "metric": "accuracy",
         "expected": ["NCL", "PCL"], "paper_value": [0.27, 0.47]}
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = judge_claims(t, c)
        paired = judge_claims(t, c, paired=True)
    assert r["verdict"].tolist() == ["[Re]", "[?Re]"]
    assert r["p_diff_adj"].iloc[1] == pytest.approx(0.21, abs=0.005)
    assert r["mean"].round(3).tolist() == [0.274, 0.466]
    assert paired["verdict"].tolist() == ["[Re]", "partial"]
