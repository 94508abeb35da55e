"""Plain per-modality arrays: one ``.npz`` file, or a folder of ``.npy`` files.

The paper's own layout: language (N, 30, 300), audio (N, 30, 80), visual (N, 30, 310), zero-padded
at the start of each sequence, plus labels.

* ``data.npz``: one array per modality (3-D, or 2-D for data without time), ``labels`` and
  optionally index arrays ``train``, ``valid`` and ``test``.
* a folder: ``<modality>.npy`` per modality, ``labels.npy`` and optionally ``splits.npz`` holding
  ``train``, ``valid`` and ``test``.

Without split indices a seeded random split is drawn (``seed``, ``split`` fractions; default
75 / 12.5 / 12.5 like the released code, but reproducible).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from colearn.errors import ConfigError, DataError
from repro.data import SPLITS, MultimodalDataset
from repro.data.loaders._common import (
    RENAME,
    as_features,
    check_counts,
    check_finite,
    check_labels_finite,
    fname,
    seeded_split,
)

__all__ = ["OPTIONS", "load_arrays", "looks_like_arrays"]

OPTIONS = ("primary", "seed", "split", "task", "class_names")
_LABELS = ("labels", "label", "y")


def looks_like_arrays(path: Path) -> bool:
    """True for an ``.npz`` file or a folder holding ``.npy`` files including labels."""
    if path.is_dir():
        return any((path / f"{k}.npy").is_file() for k in _LABELS)
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"'{path.name}' is truncated or not a .npy array ({exc}).") from None


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None, str]:
    """Arrays by key, split indices (or None), and the name used in messages."""
    if path.is_dir():
        arrays = {p.stem: _load_npy(p) for p in sorted(path.glob("*.npy"))}
        splits = None
        if (path / "splits.npz").is_file():
            splits = dict(_read_npz(path / "splits.npz"))
        return arrays, splits, fname(path)
    arrays = _read_npz(path)
    splits = {s: arrays.pop(s) for s in SPLITS if s in arrays} or None
    return arrays, splits, fname(path)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"'{path.name}' is truncated or not an .npz archive ({exc}).") from None


def load_arrays(
    path: str | Path,
    *,
    primary: str = "language",
    seed: int = 0,
    split: list | tuple = (0.75, 0.125, 0.125),
    task: str = "auto",
    class_names: list | tuple | None = None,
) -> MultimodalDataset:
    """Load per-modality arrays with a labels array and split indices (or a seeded split).

    Parameters
    ----------
    path : path
        An ``.npz`` file or a folder of ``.npy`` files (see the module docstring).
    primary : str
        Primary modality; ``text`` / ``vision`` keys are renamed ``language`` / ``visual``.
    seed : int
        Seed of the random split when the data carry no split indices.
    split : three floats
        Train / valid / test fractions of that random split.
    task : {"auto", "classification", "regression"}
        ``auto``: integer labels are classes, float labels are scores.
    class_names : list of str, optional
        Names of classes 0..K-1 (default ``"0"``, ``"1"``, ...).

    Raises
    ------
    DataError
        Unreadable file, no labels, disagreeing item counts, NaN values or labels, labels out of
        range, split indices out of range, sequences of length 0.
    """
    path = Path(path)
    arrays, split_idx, name = _read(path)
    label_key = next((k for k in _LABELS if k in arrays), None)
    if label_key is None:
        raise DataError(
            f"'{name}' has no labels array (labels, label or y); found {', '.join(arrays) or 'nothing'}."
        )
    labels = np.asarray(arrays.pop(label_key))
    if labels.ndim > 1 and int(np.prod(labels.shape[1:])) == 1:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        raise DataError(f"'{name}': labels have shape {labels.shape}; expected (N,).")
    if not arrays:
        raise DataError(f"'{name}' holds labels but no modality arrays.")
    modalities = {}
    for key, arr in arrays.items():
        m = RENAME.get(key, key)
        feats = as_features(arr, name, f"modality '{key}'")
        check_finite(feats, name, f"modality '{key}'")
        modalities[m] = feats
    # The released models concatenate language | audio | visual: keep that order, others after.
    canon = [m for m in ("language", "audio", "visual") if m in modalities]
    modalities = {m: modalities[m] for m in [*canon, *sorted(set(modalities) - set(canon))]}
    counts = {m: a.shape[0] for m, a in modalities.items()}
    n = check_counts({**counts, label_key: labels.shape[0]}, name, "the data")
    if task not in ("auto", "classification", "regression"):
        raise ConfigError(f"task '{task}' is not valid; choose auto, classification or regression.")
    if task == "auto":
        task = "classification" if labels.dtype.kind in "iub" else "regression"
    check_labels_finite(labels.astype(float), name, "the labels")
    names: tuple[str, ...] = ()
    if task == "classification":
        if labels.dtype.kind == "f" and np.any(labels % 1):
            raise DataError(f"'{name}': classification labels are not whole numbers.")
        labels = labels.astype(np.int64)
        k = len(class_names) if class_names else int(labels.max()) + 1
        if labels.min() < 0 or labels.max() >= k:
            raise DataError(
                f"'{name}': labels range over [{labels.min()}, {labels.max()}] but there are "
                f"{k} classes (valid: 0..{k - 1})."
            )
        names = tuple(class_names) if class_names else tuple(str(i) for i in range(max(k, 2)))
    if primary not in modalities:
        raise ConfigError(
            f"primary modality '{primary}' is not in '{name}'; valid: {', '.join(modalities)}."
        )
    if split_idx is None:
        strata = labels if task == "classification" else None
        splits = seeded_split(n, seed, split, strata)
        fr = "/".join(f"{100 * f:g}" for f in split)
        note = f"seeded random split {fr} (seed {seed})"
    else:
        missing = [s for s in SPLITS if s not in split_idx]
        if missing:
            raise DataError(
                f"'{name}' has no '{missing[0]}' split; found {', '.join(split_idx) or 'nothing'}."
            )
        splits = {}
        for s in SPLITS:
            idx = np.asarray(split_idx[s]).reshape(-1)
            if idx.size == 0:
                raise DataError(f"'{name}': the {s} split is empty.")
            if idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= n:
                raise DataError(f"'{name}': the {s} split indices are not integers in [0, {n}).")
            splits[s] = idx
        note = "split indices from the file"
    return MultimodalDataset(
        modalities=modalities,
        labels=labels,
        task=task,
        splits=splits,
        primary=primary,
        class_names=names,
        name=name,
        notes={"split": note},
    )
