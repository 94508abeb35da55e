"""MMSA pickles (``aligned_50.pkl``, ``unaligned_50.pkl``, files of its feature tool).

Layout: a dict with ``train``, ``valid`` and ``test``; each a dict of ``text`` (BERT features,
N x 50 x 768), ``audio``, ``vision``, ``id``, ``regression_labels``, ``classification_labels`` and
optionally ``audio_lengths`` / ``vision_lengths`` / ``text_bert`` / ``raw_text``.  Files written by
its feature tool add a top-level ``config`` and may hold torch tensors (converted when torch is
installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from colearn.errors import ConfigError, DataError
from repro.data import SPLITS, MultimodalDataset
from repro.data.loaders._common import (
    as_features,
    as_labels,
    check_counts,
    check_finite,
    check_labels_finite,
    check_sentiment,
    check_split_shapes,
    concat_splits,
    fname,
    n_items,
    pool_to_length,
    read_pickle,
)

__all__ = ["OPTIONS", "load_mmsa", "looks_like_mmsa"]

OPTIONS = ("primary", "label")
_KEYS = {"text": "language", "audio": "audio", "vision": "visual"}
_SENTIMENT3 = ("negative", "neutral", "positive")


def looks_like_mmsa(obj: Any) -> bool:
    """True for a dict of splits with ``regression_labels`` (or a top-level ``config``)."""
    if not isinstance(obj, dict):
        return False
    if "config" in obj:
        return True
    blocks = [b for b in (obj.get(s) for s in SPLITS) if isinstance(b, dict)]
    return any("regression_labels" in b or "classification_labels" in b for b in blocks)


def load_mmsa(
    path: str | Path,
    obj: Any = None,
    *,
    primary: str = "language",
    label: str = "regression",
    trust_pickle: bool = False,
) -> MultimodalDataset:
    """Load an MMSA pickle.

    Parameters
    ----------
    path : path
        The ``.pkl`` file.
    obj : object, optional
        The already unpickled content.
    primary : str
        Primary modality (``language``, ``audio`` or ``visual``).
    label : {"regression", "classification"}
        ``regression_labels`` (sentiment scores) or ``classification_labels`` (classes 0..K-1;
        three classes are named negative / neutral / positive).
    trust_pickle : bool
        Unpickle the file even if it names classes beyond arrays, tensors and builtin types.

    Returns
    -------
    MultimodalDataset
        ``notes`` records the ``config`` keys, whether sequences were pooled, and ``sanitised``.

    Raises
    ------
    DataError
        As for the other pickle formats.
    """
    path = Path(path)
    file = fname(path)
    if label not in ("regression", "classification"):
        raise ConfigError(
            f"MMSA label '{label}' is not valid; choose regression or classification."
        )
    if obj is None:
        obj = read_pickle(path, trust=trust_pickle)
    if not isinstance(obj, dict):
        raise DataError(f"'{file}' holds a {type(obj).__name__}, not a dict of splits.")
    missing = [s for s in SPLITS if s not in obj]
    if missing:
        found = ", ".join(str(k) for k in obj) or "nothing"
        raise DataError(f"'{file}' has no '{missing[0]}' split; found {found}.")
    label_key = f"{label}_labels"
    parts, labels = {}, {}
    for split in SPLITS:
        block = obj[split]
        if not isinstance(block, dict):
            raise DataError(f"'{file}': the {split} split is a {type(block).__name__}, not a dict.")
        for key in (*_KEYS, label_key):
            if key not in block:
                raise DataError(
                    f"'{file}': the {split} split has no '{key}' array; found {', '.join(block)}."
                )
        feats = {}
        for key, name in _KEYS.items():
            arr = as_features(block[key], file, f"'{key}' of the {split} split")
            check_finite(arr, file, f"'{key}' of the {split} split")
            feats[name] = arr
        y = as_labels(block[label_key], file, f"'{label_key}' of the {split} split")
        counts = {k: v.shape[0] for k, v in zip(_KEYS, feats.values(), strict=True)}
        counts[label_key] = y.shape[0]
        for extra in ("id", "audio_lengths", "vision_lengths"):
            if extra in block:
                counts[extra] = n_items(block[extra], file, f"'{extra}' of the {split} split")
        check_counts(counts, file, f"the {split} split")
        y = y.reshape(y.shape[0], -1)
        if y.shape[1] != 1:
            raise DataError(
                f"'{file}': '{label_key}' has {y.shape[1]} values per item; expected 1."
            )
        y = y[:, 0]
        check_labels_finite(y.astype(float), file, f"'{label_key}' of the {split} split")
        parts[split], labels[split] = feats, y

    check_split_shapes(parts, file)
    notes: dict[str, Any] = {"sanitised": {m: 0 for m in _KEYS.values()}}
    if isinstance(obj.get("config"), dict):
        notes["config_keys"] = sorted(str(k) for k in obj["config"])
    lengths = {m: a.shape[1] for m, a in parts["train"].items()}
    if primary not in lengths:
        raise ConfigError(
            f"primary modality '{primary}' is not in '{file}'; valid: {', '.join(lengths)}."
        )
    notes["aligned"] = len(set(lengths.values())) == 1
    if not notes["aligned"]:
        t = lengths[primary]
        for split in SPLITS:
            parts[split] = {m: pool_to_length(a, t) for m, a in parts[split].items()}
        notes["pooled"] = (
            f"unaligned sequences ({', '.join(f'{m} {n}' for m, n in lengths.items())} steps) were "
            f"averaged over equal-width bins onto the {t} steps of '{primary}'"
        )
    if label == "regression":
        labels = {s: y.astype(np.float32) for s, y in labels.items()}
        for split, y in labels.items():
            check_sentiment(y, file, f"'{label_key}' of the {split} split")
        class_names: tuple[str, ...] = ()
        task = "regression"
    else:
        for split, y in labels.items():
            if y.astype(float).min() < 0 or np.any(y.astype(float) % 1):
                raise DataError(
                    f"'{file}': classification labels of the {split} split are not class indices "
                    "0, 1, 2, ..."
                )
        labels = {s: y.astype(np.int64) for s, y in labels.items()}
        k = int(max(y.max() for y in labels.values())) + 1
        class_names = _SENTIMENT3 if k == 3 else tuple(str(i) for i in range(max(k, 2)))
        task = "classification"
    modalities, y, splits = concat_splits(parts, labels)
    return MultimodalDataset(
        modalities=modalities,
        labels=y,
        task=task,
        splits=splits,
        primary=primary,
        class_names=class_names,
        name=file,
        notes=notes,
    )
