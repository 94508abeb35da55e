"""The data container accepts consistent data and rejects each kind of bad input in one sentence."""

import numpy as np
import pytest

from colearn.errors import DataError
from repro.data import MultimodalDataset


def make(**changes):
    rng = np.random.default_rng(0)
    kwargs = dict(
        modalities={
            "language": rng.normal(size=(10, 4, 3)),
            "audio": rng.normal(size=(10, 4, 2)),
        },
        labels=np.array([0, 1, 2] * 3 + [0]),
        task="classification",
        splits={"train": np.arange(6), "valid": [6, 7], "test": [8, 9]},
        primary="language",
        class_names=("a", "b", "c"),
        name="toy",
    )
    kwargs.update(changes)
    return MultimodalDataset(**kwargs)


def test_valid_data_is_normalised():
    ds = make()
    assert ds.modalities["language"].dtype == np.float32
    assert ds.labels.dtype == np.int64
    assert ds.dims == {"language": 3, "audio": 2}
    assert (ds.n_items, ds.seq_len, ds.n_classes, ds.n_outputs) == (10, 4, 3, 3)
    assert ds.summary()["splits"] == {"train": 6, "valid": 2, "test": 2}


def test_regression_labels_are_float_scores():
    ds = make(task="regression", labels=np.linspace(-3, 3, 10), class_names=())
    assert ds.labels.dtype == np.float32 and ds.n_outputs == 1
    assert ds.summary()["labels"]["min"] == -3.0


BAD = {
    "item counts": (
        dict(modalities={"language": np.zeros((10, 4, 3)), "audio": np.zeros((9, 4, 2))}),
        "disagree on the number of items",
    ),
    "sequence lengths": (
        dict(modalities={"language": np.zeros((10, 4, 3)), "audio": np.zeros((10, 5, 2))}),
        "disagree on the sequence length",
    ),
    "zero steps": (
        dict(modalities={"language": np.zeros((10, 0, 3)), "audio": np.zeros((10, 0, 2))}),
        "length 0",
    ),
    "not 3-d": (dict(modalities={"language": np.zeros((10, 3))}), "expected (N, T, D)"),
    "nan features": (
        dict(modalities={"language": np.full((10, 4, 3), np.nan), "audio": np.zeros((10, 4, 2))}),
        "non-finite",
    ),
    "unknown primary": (dict(primary="vision"), "primary modality 'vision'"),
    "label out of range": (dict(labels=np.array([0, 1, 2] * 3 + [3])), "labels range over"),
    "negative label": (dict(labels=np.array([0, 1, 2] * 3 + [-1])), "labels range over"),
    "float class labels": (dict(labels=np.zeros(10) + 0.5), "must be integers"),
    "label count": (dict(labels=np.zeros(9, dtype=int)), "9 labels for 10 items"),
    "nan regression label": (
        dict(task="regression", labels=np.r_[np.zeros(9), np.nan], class_names=()),
        "NaN",
    ),
    "missing split": (dict(splits={"train": [0], "test": [1]}), "misses split(s) ['valid']"),
    "empty split": (
        dict(splits={"train": [0, 1], "valid": [], "test": [2]}),
        "valid split is empty",
    ),
    "overlapping splits": (
        dict(splits={"train": [0, 1, 2], "valid": [2], "test": [3]}),
        "overlaps",
    ),
    "split out of range": (
        dict(splits={"train": [0, 1], "valid": [2], "test": [10]}),
        "outside [0, 10)",
    ),
    "unknown task": (dict(task="ranking"), "task 'ranking'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_rejected_in_one_sentence(case):
    changes, fragment = BAD[case]
    with pytest.raises(DataError) as info:
        make(**changes)
    message = str(info.value)
    assert fragment in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence
