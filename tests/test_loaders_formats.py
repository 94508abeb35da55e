"""MFN h5 folders, CMU-SDK .csd folders, MMSA pickles and plain arrays: loading and rejections."""

import h5py
import numpy as np
import pytest
from fabricate import (
    arrays_folder,
    arrays_npz,
    csd_folder,
    mfn_h5,
    mmsa,
    mmsa_dict,
    paper_arrays,
    truncate,
    write_csd,
    write_pickle,
)

from colearn.errors import ConfigError, DataError
from repro.data.loaders import load_dataset
from repro.data.loaders._common import padding_side, seeded_split

# -- MFN h5 ------------------------------------------------------------------------------------


def test_mfn_h5_blocks_and_sanitised(tmp_path):
    ds = load_dataset(mfn_h5(tmp_path))
    assert ds.dims == {"language": 300, "audio": 5, "visual": 20} and ds.seq_len == 20
    assert ds.task == "regression" and ds.labels.shape == (23,)
    assert ds.notes["sanitised"]["audio"] == 3
    with h5py.File(tmp_path / "mfn" / "X_valid.h5") as fh:
        x = fh["data"][()]
    np.testing.assert_allclose(
        ds.modalities["visual"][ds.splits["valid"]], x[:, :, 305:], rtol=1e-6
    )
    assert padding_side(ds.modalities) == "left"


def test_mfn_h5_rejections(tmp_path):
    folder = mfn_h5(tmp_path)
    (folder / "X_valid.h5").unlink()
    with pytest.raises(DataError, match="'mfn' has no 'valid' split"):
        load_dataset(folder, format="mfn")
    folder = tmp_path / "mfn"
    truncate(folder / "X_train.h5")
    with pytest.raises(DataError, match="'X_train.h5' is truncated or not an HDF5 file"):
        load_dataset(folder, format="mfn")
    with h5py.File(folder / "X_train.h5", "w") as fh:
        fh.create_dataset("data", data=np.zeros((12, 20, 320)))
    with pytest.raises(DataError, match="320 features per step; expected 325"):
        load_dataset(folder, format="mfn")
    with h5py.File(folder / "X_train.h5", "w") as fh:
        fh.create_dataset("data", data=np.zeros((11, 20, 325)))
    with pytest.raises(DataError, match="disagree on the number of items"):
        load_dataset(folder, format="mfn")


# -- CMU-SDK computational sequences ---------------------------------------------------------------


def test_csd_alignment_and_folds(tmp_path):
    folder = csd_folder(tmp_path)
    ds = load_dataset(folder, seq_len=8)
    assert ds.dims == {"language": 300, "audio": 74, "visual": 35} and ds.seq_len == 8
    assert {k: v.size for k, v in ds.splits.items()} == {"train": 6, "valid": 6, "test": 6}
    assert "standard CMU-MOSI folds" in ds.notes["split"]
    assert ds.notes["ignored_files"] == ["CMU_MOSI_TimestampedWords.csd"]
    assert ds.notes["sanitised"]["audio"] == 6
    # 4 words per 2-second segment: the first 4 steps of 8 are padding (left)
    assert np.all(ds.modalities["language"][:, :4] == 0)
    assert padding_side(ds.modalities) == "left"
    # visual of step 1 of segment 0 (word [0, .5]) = mean of FACET rows 0..4 ([0, .1] .. [.4, .5])
    from repro.data.loaders.csd import read_csd

    facet = read_csd(folder / "CMU_MOSI_Visual_Facet_41.csd")
    first = ds.splits["train"][0]  # segment 0 of the first train video (ids sorted in HDF5)
    expected = facet["2iD-tVS8NPw"][0][:5].mean(axis=0)
    np.testing.assert_allclose(ds.modalities["visual"][first, 4], expected, rtol=1e-5)


def test_csd_seeded_folds_and_rejections(tmp_path):
    folder = csd_folder(tmp_path)
    ds = load_dataset(folder, folds="seeded", seed=1)
    assert "seeded" in ds.notes["split"] and ds.n_items == 18
    truncate(folder / "CMU_MOSI_COVAREP.csd")
    with pytest.raises(DataError, match="'CMU_MOSI_COVAREP.csd' is truncated"):
        load_dataset(folder)
    (folder / "CMU_MOSI_COVAREP.csd").unlink()
    (folder / "CMU_MOSI_Opinion_Labels.csd").unlink()
    with pytest.raises(DataError, match="has no labels sequence"):
        load_dataset(folder)


def test_csd_nan_label_and_row_mismatch(tmp_path):
    folder = csd_folder(tmp_path)
    write_csd(
        folder / "CMU_MOSI_Opinion_Labels.csd",
        "labels",
        {"2iD-tVS8NPw": (np.array([[np.nan]]), np.array([[0.0, 2.0]]))},
    )
    with pytest.raises(DataError, match="NaN label"):
        load_dataset(folder)
    write_csd(
        folder / "CMU_MOSI_Opinion_Labels.csd",
        "labels",
        {"2iD-tVS8NPw": (np.array([[1.0], [2.0]]), np.array([[0.0, 2.0]]))},
    )
    with pytest.raises(DataError, match="2 feature rows but intervals of shape"):
        load_dataset(folder)


# -- MMSA ------------------------------------------------------------------------------------


def test_mmsa_torch_tensors_and_config(tmp_path):
    ds = load_dataset(mmsa(tmp_path))
    assert ds.dims == {"language": 768, "audio": 5, "visual": 20} and ds.seq_len == 50
    assert ds.notes["config_keys"] == ["dataset_name", "featureName", "seq_lens"]
    raw = mmsa_dict()
    np.testing.assert_allclose(ds.labels[ds.splits["test"]], raw["test"]["regression_labels"])
    cls = load_dataset(tmp_path / "aligned_50.pkl", label="classification")
    assert cls.class_names == ("negative", "neutral", "positive")


def test_mmsa_rejections(tmp_path):
    d = mmsa_dict(tensors=False)
    d["valid"]["regression_labels"][0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        load_dataset(write_pickle(d, tmp_path / "a.pkl"))
    d = mmsa_dict(tensors=False)
    d["train"]["id"] = d["train"]["id"][:-1]
    with pytest.raises(DataError, match="disagree on the number of items"):
        load_dataset(write_pickle(d, tmp_path / "b.pkl"))


# -- arrays ----------------------------------------------------------------------------------


def test_arrays_npz_with_splits(tmp_path):
    ds = load_dataset(arrays_npz(tmp_path))
    assert ds.dims == {"language": 300, "audio": 80, "visual": 310} and ds.seq_len == 30
    assert ds.n_classes == 9 and ds.notes["split"] == "split indices from the file"
    assert padding_side(ds.modalities) == "left"


def test_arrays_folder_seeded_split_is_reproducible(tmp_path):
    folder = arrays_folder(tmp_path)
    a = load_dataset(folder, seed=3)
    b = load_dataset(folder, seed=3)
    c = load_dataset(folder, seed=4)
    assert list(a.modalities) == ["language", "audio", "visual"]
    np.testing.assert_array_equal(a.splits["test"], b.splits["test"])
    assert not np.array_equal(a.splits["test"], c.splits["test"])


def test_arrays_rejections(tmp_path):
    arrs = paper_arrays()
    bad = dict(arrs, labels=np.full(40, 12))
    np.savez(tmp_path / "range.npz", **bad)
    with pytest.raises(DataError, match="labels range over"):
        load_dataset(tmp_path / "range.npz", class_names=[str(i) for i in range(9)])
    np.savez(tmp_path / "short.npz", **dict(arrs, audio=arrs["audio"][:-1]))
    with pytest.raises(DataError, match="disagree on the number of items"):
        load_dataset(tmp_path / "short.npz")
    np.savez(tmp_path / "nan.npz", **dict(arrs, labels=np.full(40, np.nan)))
    with pytest.raises(DataError, match="NaN"):
        load_dataset(tmp_path / "nan.npz")
    np.savez(tmp_path / "split.npz", **arrs, train=np.arange(30), test=np.arange(30, 40))
    with pytest.raises(DataError, match="has no 'valid' split; found train, test"):
        load_dataset(tmp_path / "split.npz")
    np.savez(
        tmp_path / "empty.npz",
        **arrs,
        train=np.arange(30),
        valid=np.arange(0),
        test=np.arange(30, 40),
    )
    with pytest.raises(DataError, match="the valid split is empty"):
        load_dataset(tmp_path / "empty.npz")
    truncate(arrays_npz(tmp_path, name="t.npz"))
    with pytest.raises(DataError, match="'t.npz' is truncated"):
        load_dataset(tmp_path / "t.npz")
    with pytest.raises(ConfigError, match="option 'label' does not apply to arrays"):
        load_dataset(tmp_path / "short.npz", label="x")


def test_seeded_split_stratified():
    y = np.repeat(np.arange(10), 200)
    s = seeded_split(2000, 0, (0.6, 0.2, 0.2), strata=y)
    assert [s[k].size for k in ("train", "valid", "test")] == [1200, 400, 400]
    assert np.all(np.bincount(y[s["test"]]) == 40)
    with pytest.raises(DataError, match="split fractions"):
        seeded_split(10, 0, (0.5, 0.5, 0.5))
