"""The synthetic generator: documented shapes, skewed classes, weak sparse primary evidence."""

import numpy as np
import pytest

from colearn.errors import ConfigError
from repro.data.synthetic import PRESETS, make_synthetic


def test_quick_preset_shapes_and_splits():
    ds = make_synthetic("quick", n_items=400)
    assert ds.dims == {"language": 16, "audio": 8, "visual": 8}
    assert ds.seq_len == 12 and ds.primary == "language" and ds.n_classes == 6
    sizes = ds.summary()["splits"]
    assert sizes == {"train": 300, "valid": 50, "test": 50}


def test_class_frequencies_follow_the_shares():
    ds = make_synthetic("quick", n_items=5000)
    freq = np.bincount(ds.labels) / ds.n_items
    assert np.allclose(freq, [0.30, 0.22, 0.18, 0.14, 0.10, 0.06], atol=0.02)


def test_same_seed_same_data_and_other_seed_other_data():
    a, b = make_synthetic("quick", n_items=100), make_synthetic("quick", n_items=100)
    c = make_synthetic("quick", n_items=100, seed=1)
    assert np.array_equal(a.modalities["audio"], b.modalities["audio"])
    assert not np.array_equal(a.modalities["audio"], c.modalities["audio"])


def test_supporting_evidence_is_stronger_than_primary_evidence():
    # Class-mean separation relative to noise: nearest-centroid accuracy per modality.
    ds = make_synthetic("quick", n_items=3000)

    def centroid_accuracy(x):
        feats = x.mean(axis=1)
        cents = np.stack([feats[ds.labels == k].mean(0) for k in range(ds.n_classes)])
        pred = np.argmin(((feats[:, None] - cents[None]) ** 2).sum(-1), axis=1)
        return (pred == ds.labels).mean()

    assert centroid_accuracy(ds.modalities["audio"]) > 0.95
    assert centroid_accuracy(ds.modalities["language"]) < 0.8


def test_paper_sized_presets_match_the_papers_shapes():
    assert PRESETS["iemocap"].n_items == 6877 and len(PRESETS["iemocap"].class_shares) == 9
    assert dict(PRESETS["iemocap"].dims) == {"language": 300, "audio": 80, "visual": 310}
    mosi = make_synthetic("mosi", n_items=300)
    assert mosi.task == "regression" and mosi.dims == {"language": 300, "audio": 5, "visual": 20}
    assert mosi.labels.min() >= -3 and mosi.labels.max() <= 3


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (dict(primary_steps=50), "primary_steps"),
        (dict(class_shares=(1.0,)), "class_shares"),
        (dict(primary="text"), "primary 'text'"),
        (dict(n_items=3), "n_items"),
        (dict(colour=1), "unknown synthetic data setting"),
    ],
)
def test_impossible_settings_are_rejected(changes, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_synthetic("quick", **changes)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown synthetic preset 'big'"):
        make_synthetic("big")
