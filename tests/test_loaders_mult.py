"""MulT pickles: MOSI (sentiment) and IEMOCAP (four emotions), aligned and unaligned, and rejections."""

import numpy as np
import pytest
from fabricate import (
    mult_iemocap,
    mult_iemocap_dict,
    mult_mosi,
    mult_mosi_dict,
    truncate,
    write_pickle,
)

from colearn.errors import ConfigError, DataError
from repro.data.loaders import load_dataset


def test_mosi_shapes_labels_and_sanitised(tmp_path):
    ds = load_dataset(mult_mosi(tmp_path))
    assert ds.dims == {"language": 300, "audio": 5, "visual": 20}
    assert ds.seq_len == 50 and ds.task == "regression" and ds.primary == "language"
    assert ds.labels.dtype == np.float32 and ds.labels.shape == (23,)
    assert {k: v.size for k, v in ds.splits.items()} == {"train": 12, "valid": 5, "test": 6}
    assert ds.notes["sanitised"] == {"language": 0, "audio": 6, "visual": 0}
    assert np.all(np.isfinite(ds.modalities["audio"]))
    assert all(v.dtype == np.float32 for v in ds.modalities.values())
    # labels keep the split order of the file
    raw = mult_mosi_dict()
    np.testing.assert_allclose(ds.labels[ds.splits["valid"]], raw["valid"]["labels"].ravel())


def test_iemocap_4class_drops_ambiguous_items(tmp_path):
    ds = load_dataset(mult_iemocap(tmp_path))
    assert ds.dims == {"language": 300, "audio": 74, "visual": 35} and ds.seq_len == 20
    assert ds.class_names == ("neutral", "happy", "sad", "angry")
    assert ds.n_items == 23 - 6  # rows 0 and 1 of each split have 0 or 2 emotions
    assert "6 of 23 dropped" in ds.notes["label_rule"]
    raw = mult_iemocap_dict()
    present = raw["train"]["labels"][2:, :, 1]
    np.testing.assert_array_equal(ds.labels[ds.splits["train"]], present.argmax(1))


def test_iemocap_binary_task(tmp_path):
    ds = load_dataset(mult_iemocap(tmp_path), task="binary:happy")
    assert ds.class_names == ("not-happy", "happy") and ds.n_items == 23
    raw = mult_iemocap_dict()
    np.testing.assert_array_equal(ds.labels[ds.splits["train"]], raw["train"]["labels"][:, 1, 1])
    with pytest.raises(ConfigError, match="binary:angry"):
        load_dataset(mult_iemocap(tmp_path, name="x.pkl"), task="binary:joy")


def test_unaligned_is_pooled_onto_primary(tmp_path):
    ds = load_dataset(mult_mosi(tmp_path, name="mosi_noalign.pkl", aligned=False))
    assert ds.seq_len == 50 and ds.notes["aligned"] is False and "pooled" in ds.notes
    ds = load_dataset(tmp_path / "mosi_noalign.pkl", primary="audio")
    assert ds.seq_len == 150 and ds.primary == "audio"


def _broken(tmp_path, edit, maker=mult_mosi_dict):
    d = maker()
    edit(d)
    return write_pickle(d, tmp_path / "broken.pkl")


def _set(d, split, key, fn):
    d[split][key] = fn(d[split][key])


def _nan(a, where):
    a = a.copy()
    a[where] = np.nan
    return a


def _empty(d):
    d["test"] = {k: v[:0] for k, v in d["test"].items()}


BROKEN = {
    "missing split": (lambda d: d.pop("valid"), "has no 'valid' split; found train, test"),
    "missing array": (lambda d: d["train"].pop("vision"), "has no 'vision' array"),
    "counts disagree": (
        lambda d: _set(d, "train", "audio", lambda a: a[:-1]),
        "disagree on the number of items",
    ),
    "nan labels": (lambda d: _set(d, "valid", "labels", lambda a: _nan(a, (0, 0, 0))), "NaN"),
    "nan features": (lambda d: _set(d, "train", "text", lambda a: _nan(a, (1, 2, 3))), "NaN"),
    "labels out of range": (
        lambda d: _set(d, "test", "labels", lambda a: a + 5),
        "outside [-3, 3]",
    ),
    "empty split": (_empty, "the test split is empty"),
    "length 0": (lambda d: _set(d, "train", "text", lambda a: a[:, :0]), "length 0"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_rejections(tmp_path, case):
    edit, message = BROKEN[case]
    with pytest.raises(DataError, match="'broken.pkl'") as info:
        load_dataset(_broken(tmp_path, edit))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_pickle(tmp_path):
    path = truncate(mult_mosi(tmp_path))
    with pytest.raises(DataError, match="'mosi_data.pkl' is truncated or not a pickle"):
        load_dataset(path)


def test_iemocap_labels_not_one_hot(tmp_path):
    def edit(d):
        d["train"]["labels"][3, 0] = [1, 1]

    with pytest.raises(DataError, match="not one-hot"):
        load_dataset(_broken(tmp_path, edit, mult_iemocap_dict))


def test_plus_inf_audio_is_an_error(tmp_path):
    def edit(d):
        d["train"]["audio"][0, 0, 0] = np.inf

    with pytest.raises(DataError, match="infinite"):
        load_dataset(_broken(tmp_path, edit))


def test_unknown_primary_and_option(tmp_path):
    path = mult_mosi(tmp_path)
    with pytest.raises(ConfigError, match="primary modality 'speech'"):
        load_dataset(path, primary="speech")
    with pytest.raises(ConfigError, match="option 'seq_len' does not apply to mult"):
        load_dataset(path, seq_len=3)
