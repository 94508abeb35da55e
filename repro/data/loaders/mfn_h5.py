"""MFN h5 files: ``X_train.h5``, ``y_train.h5``, ... (valid, test), each with one dataset ``data``.

X is (N, T, 325): 300 GloVe (language) | 5 COVAREP (audio) | 20 FACET (visual) per step,
left-padded; y is the sentiment score in [-3, 3] (CMU-MOSI: 1284 / 229 / 686 items).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from colearn.errors import ConfigError, DataError
from repro.data import SPLITS, MultimodalDataset
from repro.data.loaders._common import (
    as_features,
    check_counts,
    check_finite,
    check_labels_finite,
    check_sentiment,
    check_split_shapes,
    concat_splits,
    fname,
    sanitise_neg_inf,
)

__all__ = ["OPTIONS", "WIDTHS", "load_mfn_h5", "looks_like_mfn_h5"]

#: Column blocks of X in the MFN files, in order.
WIDTHS = {"language": 300, "audio": 5, "visual": 20}
OPTIONS = ("primary", "widths")


def looks_like_mfn_h5(folder: Path) -> bool:
    """True for a folder holding ``X_train.h5`` and ``y_train.h5``."""
    return (folder / "X_train.h5").is_file() and (folder / "y_train.h5").is_file()


def _read(path: Path, folder: str) -> np.ndarray:
    import h5py

    if not path.is_file():
        found = sorted(p.name for p in path.parent.glob("*.h5"))
        split = path.stem.split("_", 1)[-1]
        raise DataError(
            f"'{folder}' has no '{split}' split ({path.name} is missing); found "
            f"{', '.join(found) or 'no .h5 files'}."
        )
    try:
        with h5py.File(path, "r") as fh:
            if "data" not in fh:
                raise DataError(
                    f"'{path.name}' has no dataset 'data'; found {', '.join(fh) or 'nothing'}."
                )
            return np.asarray(fh["data"][()])
    except OSError as exc:
        raise DataError(f"'{path.name}' is truncated or not an HDF5 file ({exc}).") from None


def load_mfn_h5(
    path: str | Path,
    *,
    primary: str = "language",
    widths: dict | None = None,
) -> MultimodalDataset:
    """Load the folder of MFN h5 files.

    Parameters
    ----------
    path : path
        Folder with ``X_{train,valid,test}.h5`` and ``y_{train,valid,test}.h5``.
    primary : str
        Primary modality (``language``, ``audio`` or ``visual``).
    widths : dict, optional
        Column blocks of X in order, default ``{language: 300, audio: 5, visual: 20}``.

    Returns
    -------
    MultimodalDataset
        Regression; ``notes["sanitised"]`` counts the audio -inf values set to 0.

    Raises
    ------
    DataError
        Missing or truncated file, a missing split, a feature width other than the blocks' sum,
        disagreeing item counts, NaN values or labels, labels outside [-3, 3], empty splits.
    """
    folder = Path(path)
    name = fname(folder)
    widths = dict(widths or WIDTHS)
    if primary not in widths:
        raise ConfigError(
            f"primary modality '{primary}' is not in '{name}'; valid: {', '.join(widths)}."
        )
    parts, labels = {}, {}
    sanitised = {m: 0 for m in widths}
    for split in SPLITS:
        xfile, yfile = f"X_{split}.h5", f"y_{split}.h5"
        x = as_features(_read(folder / xfile, name), xfile, "'data'")
        y = _read(folder / yfile, name)
        if x.shape[2] != sum(widths.values()):
            blocks = " + ".join(f"{v} {k}" for k, v in widths.items())
            raise DataError(
                f"'{xfile}' has {x.shape[2]} features per step; expected {sum(widths.values())} "
                f"({blocks})."
            )
        check_counts(
            {xfile: x.shape[0], yfile: y.shape[0] if y.ndim else 0}, name, f"the {split} split"
        )
        y = y.reshape(y.shape[0], -1)
        if y.shape[1] != 1:
            raise DataError(f"'{yfile}' has {y.shape[1]} values per item; expected 1 score.")
        y = y[:, 0].astype(np.float32)
        check_labels_finite(y, yfile, "'data'")
        check_sentiment(y, yfile, "'data'")
        feats, start = {}, 0
        for m, w in widths.items():
            block = x[:, :, start : start + w]
            start += w
            if m == "audio":
                block, count = sanitise_neg_inf(block)
                sanitised[m] += count
            check_finite(block, xfile, f"the {m} columns")
            feats[m] = block
        parts[split], labels[split] = feats, y
    check_split_shapes(parts, name)
    modalities, y, splits = concat_splits(parts, labels)
    return MultimodalDataset(
        modalities=modalities,
        labels=y,
        task="regression",
        splits=splits,
        primary=primary,
        name=name,
        notes={"sanitised": sanitised},
    )
