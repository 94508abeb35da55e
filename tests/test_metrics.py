"""Tests of repro.training.metrics on hand-worked cases, cross-checked with scikit-learn where installed."""

import doctest
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import repro.training.metrics
from colearn.errors import ConfigError, DataError
from repro.training.metrics import (
    CLASSIFICATION_METRICS,
    HIGHER_IS_BETTER,
    REGRESSION_METRICS,
    classification_metrics,
    compute_metrics,
    confusion_matrix,
    regression_metrics,
)


def test_classification_by_hand():
    # truth 0 0 1 1 2 2, prediction 0 1 1 1 2 0 → 4 of 6 right
    # class 0: tp 1, fp 1, fn 1 → F1 = 2/(2+1+1) = 0.5
    # class 1: tp 2, fp 1, fn 0 → F1 = 4/5 = 0.8
    # class 2: tp 1, fp 0, fn 1 → F1 = 2/3
    # true counts 2 2 2, predicted counts 2 3 1
    m = classification_metrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], n_classes=3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["f1_macro"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m["f1_weighted"] == pytest.approx((0.5 * 2 + 0.8 * 2 + 2 / 3 * 2) / 6)
    assert m["f1_paper"] == pytest.approx((0.5 * 2 + 0.8 * 3 + 2 / 3 * 1) / 6)
    assert list(m) == list(CLASSIFICATION_METRICS)


def test_swapped_f1_exceeds_accuracy_for_a_majority_predictor():
    # the paper's collapse at p = 0: nearly everything predicted as class 0
    y_true = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    y_pred = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    # accuracy 5/10; class 0: tp 4, fp 5, fn 0 → 8/13; class 1: tp 1, fp 0, fn 2 → 2/4; class 2: 0
    # weighted by truth (4, 3, 3): (4·8/13 + 3·0.5)/10 = 0.3962
    # weighted by predictions (9, 1, 0): (9·8/13 + 0.5)/10 = 0.6038  → f1_paper > accuracy
    m = classification_metrics(y_true, y_pred, n_classes=3)
    assert m["accuracy"] == 0.5
    assert m["f1_weighted"] == pytest.approx((4 * 8 / 13 + 1.5) / 10)
    assert m["f1_paper"] == pytest.approx((9 * 8 / 13 + 0.5) / 10)
    assert m["f1_macro"] == pytest.approx((8 / 13 + 0.5) / 3)
    assert m["f1_paper"] > m["accuracy"] > m["f1_weighted"]


def test_macro_f1_averages_only_present_classes_and_zero_division_is_silent():
    # classes 2..4 never occur: macro over {0, 1}; class 0: 4/5, class 1 never predicted → 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = classification_metrics([0, 0, 1], [0, 0, 0], n_classes=5)
    assert m["f1_macro"] == pytest.approx(0.4)
    assert m["f1_weighted"] == pytest.approx(2 * 0.8 / 3)
    assert m["f1_paper"] == pytest.approx(0.8)


def test_confusion_matrix_rows_are_truth():
    cm = confusion_matrix([0, 0, 2], [1, 1, 0], n_classes=3)
    expected = np.array([[0, 2, 0], [0, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64 and cm.sum() == 3


def test_regression_by_hand():
    y_true = [3.0, -2.0, 0.0, 0.0, 1.0]
    y_pred = [2.0, -1.0, 0.5, -0.5, -1.0]
    m = regression_metrics(y_true, y_pred)
    assert list(m) == list(REGRESSION_METRICS)
    # |errors| 1, 1, 0.5, 0.5, 2 → 5/5
    assert m["mae"] == pytest.approx(1.0)
    # deviations t: 2.6 -2.4 -0.4 -0.4 0.6, p: 2 -1 .5 -.5 -1 → 7 / sqrt(13.2 · 6.5)
    assert m["corr"] == pytest.approx(7 / np.sqrt(13.2 * 6.5))
    assert m["corr"] == pytest.approx(np.corrcoef(y_true, y_pred)[0, 1])
    # >= 0: truth T F T T T, prediction T F T F F → 3/5
    assert m["acc2_has0"] == pytest.approx(0.6)
    # non-zero truths (items 0, 1, 4): > 0 truth T F T, prediction T F F → 2/3
    assert m["acc2_non0"] == pytest.approx(2 / 3)
    # same items: class 1 tp 1 fn 1 → 2/3; class 0 tp 1 fp 1 → 2/3; weighted by truth (2, 1)
    assert m["f1_binary_weighted"] == pytest.approx(2 / 3)
    # rounded: truth 3 -2 0 0 1, prediction 2 -1 0 -0 -1 (0.5 rounds to even) → 2/5
    assert m["acc7"] == pytest.approx(0.4)
    # swapped F1 on rounded: only class 0 has F1 1 (tp 2); predicted counts -1: 2, 0: 2, 2: 1
    assert m["f1_paper"] == pytest.approx(2 / 5)


def test_acc2_has0_and_non0_differ_on_zero_labels():
    # >= 0: truth T T T F, prediction F F T F → 2/4; non-zero truths (items 2, 3) both right
    m = regression_metrics([0.0, 0.0, 1.0, -1.0], [-0.1, -0.2, 0.3, -0.4])
    assert m["acc2_has0"] == 0.5
    assert m["acc2_non0"] == 1.0
    only_zeros = regression_metrics([0.0, 0.0], [1.0, -1.0])
    assert np.isnan(only_zeros["acc2_non0"]) and np.isnan(only_zeros["f1_binary_weighted"])


def test_acc7_clips_to_plus_minus_three():
    # clipped and rounded: truth 3 -3 2, prediction 3 -3 3 → 2/3 (unclipped would give 0/3)
    m = regression_metrics([4.2, -3.6, 2.4], [3.0, -5.0, 3.4])
    assert m["acc7"] == pytest.approx(2 / 3)


def test_corr_is_nan_for_constant_predictions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = regression_metrics([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert np.isnan(m["corr"])
    assert m["mae"] == pytest.approx((0.5 + 1.5 + 2.5) / 3)


def test_compute_metrics_dispatches():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    m = compute_metrics("classification", [1, 0, 0], scores)
    assert m == classification_metrics([1, 0, 0], [1, 0, 1], 2)
    assert compute_metrics("classification", [2, 0], [2, 1])["accuracy"] == 0.5
    reg = compute_metrics("regression", [1.0, -1.0], np.array([[0.5], [-2.0]]))
    assert reg == regression_metrics([1.0, -1.0], [0.5, -2.0])


def test_invalid_inputs_raise():
    with pytest.raises(DataError, match="y_true has 3 items but y_pred has 2"):
        compute_metrics("classification", [0, 1, 1], [0, 1], n_classes=2)
    with pytest.raises(DataError, match="y_true has 2 items but y_pred has 3"):
        regression_metrics([0.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(DataError, match="empty"):
        classification_metrics([], [], n_classes=2)
    with pytest.raises(DataError, match=r"y_pred must hold class indices in 0\.\.1, got 2"):
        confusion_matrix([0, 1], [0, 2], n_classes=2)
    with pytest.raises(DataError, match="finite"):
        regression_metrics([0.0, 1.0], [np.nan, 1.0])
    with pytest.raises(ConfigError, match="unknown task 'ranking'"):
        compute_metrics("ranking", [0], [0])
    with pytest.raises(ConfigError, match="n_classes must be a positive int"):
        classification_metrics([0], [0], n_classes=0)


def test_every_metric_has_a_direction():
    assert set(HIGHER_IS_BETTER) == {*CLASSIFICATION_METRICS, *REGRESSION_METRICS, "loss"}
    assert not HIGHER_IS_BETTER["mae"] and not HIGHER_IS_BETTER["loss"]


def test_agrees_with_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns on zero division
        for _ in range(50):
            k = int(rng.integers(2, 6))
            t, p = rng.integers(0, k, 30), rng.integers(0, k, 30)
            p[: rng.integers(0, 30)] = 0  # push towards a majority predictor
            m = classification_metrics(t, p, k)
            assert m["f1_macro"] == pytest.approx(sk.f1_score(t, p, average="macro"))
            assert m["f1_weighted"] == pytest.approx(sk.f1_score(t, p, average="weighted"))
            assert m["f1_paper"] == pytest.approx(sk.f1_score(p, t, average="weighted"))
            np.testing.assert_array_equal(
                confusion_matrix(t, p, k), sk.confusion_matrix(t, p, labels=range(k))
            )
            ts, ps = np.round(rng.uniform(-3, 3, 40) * 3) / 3, rng.normal(0, 2, 40)
            r = regression_metrics(ts, ps)
            nz = ts != 0
            ref = sk.f1_score(ts[nz] > 0, ps[nz] > 0, average="weighted")
            assert r["f1_binary_weighted"] == pytest.approx(ref)
            ref = sk.f1_score(np.round(ps), np.round(ts), average="weighted")
            assert r["f1_paper"] == pytest.approx(ref)


def test_docstring_examples_run():
    assert doctest.testmod(repro.training.metrics).failed == 0


def test_metrics_do_not_import_torch():
    root = Path(repro.training.metrics.__file__).resolve().parents[1]
    code = "import sys, repro.training.metrics; assert 'torch' not in sys.modules"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
