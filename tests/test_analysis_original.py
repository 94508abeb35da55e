"""Importer for the authors' released files: fixtures, quirks and malformed files."""

from pathlib import Path

import numpy as np
import pytest

from analysis.original import CM_LABELS, import_original, load_confusion, read_original_file
from analysis.tidy import TIDY_COLUMNS
from colearn.errors import DataError

FIXTURES = Path(__file__).resolve().parent / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def table():
    return import_original(FIXTURES)


def test_columns_and_design(table):
    assert list(table.columns) == list(TIDY_COLUMNS)
    assert not table["paired"].any()
    assert set(table["condition"]) == {"primary"}
    assert set(table["metric"]) == {"accuracy", "loss", "f1_paper"}
    assert sorted(table["seed"].unique()) == [0, 1, 2, 3, 4]  # elstm_ie_more_3.csv → seed 3
    assert len(table) == 5 * 8 * 3


def test_paper_means_exactly(table):
    acc = table[table["metric"] == "accuracy"]
    means = acc.groupby("level", dropna=False)["value"].mean().round(3)
    expected = [0.274, 0.363, 0.412, 0.445, 0.466, 0.453, 0.444]
    assert means.iloc[:7].tolist() == expected
    base = acc[acc["arm"] == "unimodal"]["value"]
    assert round(base.mean(), 3) == 0.455
    assert round(base.std(ddof=1), 4) == 0.0086


def test_tensor_strings_parsed(table):
    loss = table[(table["metric"] == "loss") & (table["seed"] == 0) & (table["level"] == 0)]
    assert loss["value"].item() == pytest.approx(1.8146)


def test_confusion_matrices():
    cm = load_confusion(FIXTURES / "cm_res.npy")
    assert cm.shape == (8, 8, 8) and cm.dtype == np.int64
    assert (cm.sum(axis=(1, 2)) == 860).all()
    assert len(CM_LABELS) == 8
    assert np.trace(cm[0]) / 860 == pytest.approx(0.224, abs=5e-4)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = (
    "\taudio_dropout\tlanguage_dropout\tvideo_dropout\tacc\tloss\tf_score\n"
    "0\t0\t0\t0\t0.3\ttensor(1.5)\t0.4\n"
    "1\t0.5\t0\t0.5\t0.4\ttensor(1.4)\t0.5\n"
    "2\tN/A\tN/A\tN/A\t0.45\ttensor(1.3)\t0.5\n"
)


def test_mosi_layout_plain_floats(tmp_path):
    text = GOOD.replace("loss", "mae").replace("tensor(1.5)", "1.5").replace("tensor(1.4)", "1.4")
    rows = read_original_file(_write(tmp_path, "mfn_mosi_7.csv", text))
    assert set(rows["metric"]) == {"accuracy", "mae", "f1_paper"}
    assert set(rows["seed"]) == {7}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("audio_dropout", "audio"), "lacks the column"),
        (GOOD.replace("\tN/A\tN/A\tN/A", "\t0.9\t0\t0.9"), "baseline rows"),
        (GOOD.replace("tensor(1.4)", "tensor(abc)"), "neither a number"),
        (GOOD.replace("1\t0.5\t0\t0.5", "1\t0.5\t0\t0.6"), "audio at 0.5 but video at 0.6"),
        (GOOD.replace("\tacc\tloss\tf_score", "\tx\ty\tz"), "no metric column"),
    ],
)
def test_malformed_files(tmp_path, text, fragment):
    with pytest.raises(DataError, match=fragment) as info:
        read_original_file(_write(tmp_path, "run_1.csv", text))
    assert str(info.value).count(". ") == 0  # one sentence


def test_directory_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        import_original(tmp_path / "missing")
    with pytest.raises(DataError, match="no files"):
        import_original(tmp_path)
    _write(tmp_path, "a_1.csv", GOOD)
    _write(tmp_path, "b_1.csv", GOOD)
    with pytest.raises(DataError, match="both carry seed index 1"):
        import_original(tmp_path)


def test_name_without_number(tmp_path):
    with pytest.raises(DataError, match="holds no number"):
        read_original_file(_write(tmp_path, "results.csv", GOOD))
