"""Calibration under the null, small enough for CI (the large run is scripts/calibrate.py)."""

import numpy as np

from analysis.simulate import null_table, simulate_labels


def test_null_table_is_deterministic():
    a, b = null_table(4, seed=9), null_table(4, seed=9)
    assert np.array_equal(a["value"], b["value"])


def test_familywise_false_labels_near_alpha():
    res = simulate_labels(150, 6, sd=0.015, seed=11)
    false = res["label"].isin(["NCL", "PCL"]).groupby(res["sim"]).any().mean()
    # Holm keeps the family-wise rate at or below α = .05; 150 sets → SE ≈ .018
    assert false <= 0.05 + 3 * 0.018
    assert 0.9 <= res["covered"].mean() <= 0.99
