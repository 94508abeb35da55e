"""Content-based format detection (file names do not matter) and forcing a format."""

import shutil

import pytest
from fabricate import arrays_folder, arrays_npz, csd_folder, mfn_h5, mmsa, mult_iemocap, mult_mosi

from colearn.errors import ConfigError, DataError
from repro.data.loaders import FORMATS, detect_format, load_dataset


@pytest.mark.parametrize(
    ("maker", "fmt"),
    [
        (mult_mosi, "mult"),
        (mult_iemocap, "mult"),
        (mmsa, "mmsa"),
        (mfn_h5, "mfn"),
        (csd_folder, "csd"),
        (arrays_npz, "arrays"),
        (arrays_folder, "arrays"),
    ],
)
def test_detect_from_content(tmp_path, maker, fmt):
    path = maker(tmp_path)
    renamed = path.with_name("renamed.bin" if path.is_file() else "renamed_dir")
    shutil.move(path, renamed)
    assert detect_format(renamed) == fmt
    assert fmt in FORMATS


def test_mfeat_name_and_errors(tmp_path):
    assert detect_format("mfeat") == "mfeat"
    with pytest.raises(DataError, match="does not exist"):
        detect_format(tmp_path / "nothing.pkl")
    (tmp_path / "empty.pkl").write_bytes(b"")
    with pytest.raises(DataError, match="'empty.pkl' is empty"):
        detect_format(tmp_path / "empty.pkl")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="'notes.txt' is not a format colearn reads"):
        detect_format(tmp_path / "notes.txt")
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match="holds no known data"):
        detect_format(tmp_path / "other")


def test_pickle_of_something_else(tmp_path):
    import pickle

    (tmp_path / "x.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(DataError, match="neither a MulT nor an MMSA"):
        detect_format(tmp_path / "x.pkl")


def test_force_format(tmp_path):
    path = mmsa(tmp_path)
    with pytest.raises(DataError, match="has no 'labels' array"):
        load_dataset(path, format="mult")
    with pytest.raises(ConfigError, match="format 'hdf5' is unknown"):
        load_dataset(path, format="hdf5")
    with pytest.raises(DataError, match="is a file; mfn data are a folder"):
        load_dataset(path, format="mfn")
