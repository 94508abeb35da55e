"""MulT pickles (``mosi_data.pkl``, ``iemocap_data.pkl``, ``*_noalign.pkl``).

Layout: a dict with ``train``, ``valid`` and ``test``; each a dict of ``text``, ``audio`` and
``vision`` float arrays (N, T, D), ``labels`` and optionally ``id``.  MOSI / MOSEI labels are
sentiment scores (N, 1, 1) in [-3, 3]; IEMOCAP labels are (N, 4, 2): for each of the emotions
Neutral, Happy, Sad and Angry a one-hot pair (absent, present).  Audio may hold -inf (COVAREP
log-energies of silence), which is set to 0 and counted.
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
    sanitise_neg_inf,
)

__all__ = ["EMOTIONS", "OPTIONS", "load_mult", "looks_like_mult"]

#: The four IEMOCAP emotions of the MulT pickles, in label order.
EMOTIONS = ("neutral", "happy", "sad", "angry")
OPTIONS = ("primary", "task")
_KEYS = {"text": "language", "audio": "audio", "vision": "visual"}


def looks_like_mult(obj: Any) -> bool:
    """True for a dict of splits holding ``text`` / ``audio`` / ``vision`` / ``labels``."""
    if not isinstance(obj, dict) or "config" in obj:
        return False
    blocks = [obj.get(s) for s in SPLITS]
    return any(isinstance(b, dict) and "labels" in b for b in blocks)


def load_mult(
    path: str | Path,
    obj: Any = None,
    *,
    primary: str = "language",
    task: str = "4class",
    trust_pickle: bool = False,
) -> MultimodalDataset:
    """Load a MulT pickle.

    Parameters
    ----------
    path : path
        The ``.pkl`` file.
    obj : object, optional
        The already unpickled content (detection reads it once).
    primary : str
        Primary modality: ``language``, ``audio`` or ``visual``.
    task : str
        IEMOCAP only: ``"4class"`` keeps the items with exactly one emotion present and labels
        them neutral / happy / sad / angry; ``"binary:<emotion>"`` is the one-vs-rest task of one
        emotion (all items).  Ignored for sentiment scores.
    trust_pickle : bool
        Unpickle the file even if it names classes beyond arrays, tensors and builtin types.

    Returns
    -------
    MultimodalDataset
        ``notes`` holds ``sanitised`` (-inf set to 0 per modality), ``aligned`` and, for IEMOCAP,
        ``label_rule`` (what the label means and how many items were dropped).

    Raises
    ------
    DataError
        Truncated file, missing split or array, disagreeing item counts, NaN values or labels,
        labels out of range, empty splits, sequences of length 0.
    """
    path = Path(path)
    file = fname(path)
    if obj is None:
        obj = read_pickle(path, trust=trust_pickle)
    if not isinstance(obj, dict):
        raise DataError(f"'{file}' holds a {type(obj).__name__}, not a dict of splits.")
    missing = [s for s in SPLITS if s not in obj]
    if missing:
        found = ", ".join(str(k) for k in obj) or "nothing"
        raise DataError(f"'{file}' has no '{missing[0]}' split; found {found}.")

    parts: dict[str, dict[str, np.ndarray]] = {}
    raw_labels: dict[str, np.ndarray] = {}
    sanitised = {m: 0 for m in _KEYS.values()}
    for split in SPLITS:
        block = obj[split]
        if not isinstance(block, dict):
            raise DataError(f"'{file}': the {split} split is a {type(block).__name__}, not a dict.")
        for key in (*_KEYS, "labels"):
            if key not in block:
                raise DataError(
                    f"'{file}': the {split} split has no '{key}' array; found {', '.join(block)}."
                )
        feats = {}
        for key, name in _KEYS.items():
            arr = as_features(block[key], file, f"'{key}' of the {split} split")
            if name == "audio":
                arr, count = sanitise_neg_inf(arr)
                sanitised[name] += count
            check_finite(arr, file, f"'{key}' of the {split} split")
            feats[name] = arr
        labels = as_labels(block["labels"], file, f"the labels of the {split} split")
        counts = {k: v.shape[0] for k, v in zip(_KEYS, feats.values(), strict=True)}
        counts["labels"] = labels.shape[0]
        if "id" in block:
            counts["id"] = n_items(block["id"], file, f"'id' of the {split} split")
        check_counts(counts, file, f"the {split} split")
        check_labels_finite(labels.astype(float), file, f"the {split} split")
        parts[split] = feats
        raw_labels[split] = labels

    check_split_shapes(parts, file)
    notes: dict[str, Any] = {"sanitised": sanitised}
    lengths = {m: a.shape[1] for m, a in parts["train"].items()}
    notes["aligned"] = len(set(lengths.values())) == 1
    if primary not in lengths:
        raise ConfigError(
            f"primary modality '{primary}' is not in '{file}'; valid: {', '.join(lengths)}."
        )
    if not notes["aligned"]:
        # Unaligned pickles have one length per modality; pool each onto the primary's steps.
        t = lengths[primary]
        for split in SPLITS:
            parts[split] = {m: pool_to_length(a, t) for m, a in parts[split].items()}
        notes["pooled"] = (
            f"unaligned sequences ({', '.join(f'{m} {n}' for m, n in lengths.items())} steps) were "
            f"averaged over equal-width bins onto the {t} steps of '{primary}'"
        )

    shape = raw_labels["train"].shape[1:]
    for split in SPLITS:
        if raw_labels[split].shape[1:] != shape:
            raise DataError(
                f"'{file}': labels of the {split} split have shape "
                f"{raw_labels[split].shape} but the train split's are {raw_labels['train'].shape}; "
                "every split must use one label layout."
            )
    if shape == (4, 2):
        labels, class_names, kept = _emotion_labels(raw_labels, task, file, notes)
        for split in SPLITS:
            parts[split] = {m: a[kept[split]] for m, a in parts[split].items()}
            if not kept[split].any():
                raise DataError(f"'{file}': no item of the {split} split fits task '{task}'.")
        kind = "classification"
    elif int(np.prod(shape)) == 1:
        labels = {s: raw_labels[s].reshape(-1).astype(np.float32) for s in SPLITS}
        for split, y in labels.items():
            check_sentiment(y, file, f"the {split} split")
        class_names, kind = (), "regression"
    else:
        raise DataError(
            f"'{file}': labels have shape (N, {', '.join(map(str, shape))}); expected (N, 1, 1) "
            "sentiment scores or (N, 4, 2) IEMOCAP emotions."
        )
    modalities, y, splits = concat_splits(parts, labels)
    return MultimodalDataset(
        modalities=modalities,
        labels=y,
        task=kind,
        splits=splits,
        primary=primary,
        class_names=class_names,
        name=file,
        notes=notes,
    )


def _emotion_labels(
    raw: dict[str, np.ndarray], task: str, file: str, notes: dict
) -> tuple[dict[str, np.ndarray], tuple[str, ...], dict[str, np.ndarray]]:
    """IEMOCAP (N, 4, 2) one-hot pairs → 4-class or one-vs-rest labels, and the kept items."""
    present = {}
    for split, lab in raw.items():
        ok = np.isin(lab, (0, 1)).all() and np.all(lab.sum(axis=2) == 1)
        if not ok:
            raise DataError(
                f"'{file}': emotion labels of the {split} split are not one-hot (absent, present) "
                "pairs of 0 and 1."
            )
        present[split] = lab[:, :, 1] == 1
    if task == "4class":
        kept = {s: p.sum(axis=1) == 1 for s, p in present.items()}
        labels = {s: np.argmax(present[s][kept[s]], axis=1) for s in SPLITS}
        dropped = {s: int((~kept[s]).sum()) for s in SPLITS}
        total = sum(len(k) for k in kept.values())
        notes["label_rule"] = (
            "IEMOCAP labels are four one-vs-rest emotions; as a 4-class task "
            f"({', '.join(EMOTIONS)}) only items with exactly one emotion present are kept: "
            f"{sum(dropped.values())} of {total} dropped (train {dropped['train']}, "
            f"valid {dropped['valid']}, test {dropped['test']})"
        )
        return labels, EMOTIONS, kept
    if task.startswith("binary:") and task[7:] in EMOTIONS:
        k = EMOTIONS.index(task[7:])
        labels = {s: present[s][:, k].astype(np.int64) for s in SPLITS}
        kept = {s: np.ones(len(p), dtype=bool) for s, p in present.items()}
        notes["label_rule"] = (
            f"IEMOCAP one-vs-rest task for '{task[7:]}': 1 where it is present, 0 otherwise "
            "(all items kept)"
        )
        return labels, (f"not-{task[7:]}", task[7:]), kept
    valid = ", ".join(["4class", *(f"binary:{e}" for e in EMOTIONS)])
    raise ConfigError(f"IEMOCAP task '{task}' is not valid; choose one of {valid}.")
