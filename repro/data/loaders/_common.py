"""Checks and conversions shared by the loaders.

Every helper raises :class:`~colearn.errors.DataError` with one sentence that names the file
(its base name) and the problem, so that the command line can print it as one line.

Pickled formats are read by :func:`read_pickle` through a restricted unpickler that builds only
the types those files hold (dicts, lists, strings, numbers, numpy arrays and scalars, torch
tensors): a pickle that names any other class or function, which could run code on loading, is
refused unless the caller trusts the file.
"""

from __future__ import annotations

import io
import pickle
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from colearn.errors import DataError
from repro.data import SPLITS

__all__ = [
    "RENAME",
    "SAFE_PICKLE_GLOBALS",
    "SENTIMENT_RANGE",
    "as_features",
    "as_labels",
    "check_counts",
    "check_finite",
    "check_labels_finite",
    "check_sentiment",
    "check_split_shapes",
    "concat_splits",
    "fname",
    "n_items",
    "padding_side",
    "pool_to_length",
    "read_pickle",
    "sanitise_neg_inf",
    "seeded_split",
    "to_numpy",
]

#: Modality names used by the MOSI / IEMOCAP formats, normalised to the toolkit's names.
RENAME = {
    "text": "language",
    "language": "language",
    "audio": "audio",
    "acoustic": "audio",
    "vision": "visual",
    "visual": "visual",
    "video": "visual",
}


def fname(path: str | Path) -> str:
    """The short name of a file or folder used in messages: ``'mosi_data.pkl'``."""
    return Path(path).name or str(path)


#: What a data pickle may name: builtin containers and scalars, numpy arrays, dtypes and scalars
#: (numpy 1 and 2 module names), and torch tensors.  Nothing here runs code of the file's choice.
_BUILTINS = ("dict", "list", "tuple", "set", "frozenset", "bytearray", "bytes", "str", "int")
SAFE_PICKLE_GLOBALS = frozenset(
    {
        # "__builtin__" is the module's name in pickles written by Python 2
        *((module, n) for module in ("builtins", "__builtin__") for n in _BUILTINS),
        *((module, n) for module in ("builtins", "__builtin__") for n in ("float", "complex")),
        *((module, n) for module in ("builtins", "__builtin__") for n in ("bool", "slice")),
        ("collections", "OrderedDict"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *(
            (f"numpy.{core}.multiarray", n)
            for core in ("core", "_core")
            for n in ("_reconstruct", "scalar")
        ),
        *((f"numpy.{core}.numeric", "_frombuffer") for core in ("core", "_core")),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch.storage", "_load_from_bytes"),
    }
)


def _load_tensor_bytes(data: bytes) -> Any:
    # torch pickles a tensor's storage as a nested torch.save archive that its own loader would
    # unpickle without restriction; load it with torch's weights-only unpickler instead.
    import torch

    try:
        with warnings.catch_warnings():  # torch warns before it refuses
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError:
        raise _Refused("holds a torch tensor whose storage names other classes, which") from None


class _SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only :data:`SAFE_PICKLE_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in SAFE_PICKLE_GLOBALS:
            raise _Refused(
                f"names '{module}.{name}', which is not an array, tensor or builtin type and"
            )
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _load_tensor_bytes
        return super().find_class(module, name)


class _Refused(Exception):
    """A pickle named a class or function outside :data:`SAFE_PICKLE_GLOBALS`; the message is
    the middle of the sentence :func:`read_pickle` raises."""


def read_pickle(path: Path, trust: bool = False) -> Any:
    """Unpickle a data file, turning every failure into one sentence.

    Parameters
    ----------
    path : pathlib.Path
        The pickle.
    trust : bool
        Unpickle anything the file names (as :func:`pickle.load` does).  Without it only
        :data:`SAFE_PICKLE_GLOBALS` are built and any other class or function is refused, since
        unpickling it could run code of the file's choice.

    Raises
    ------
    DataError
        When the file is unreadable, truncated, not a pickle, needs a missing package, or (not
        ``trust``) names a class outside the safe set; the message names the class and the
        ``--trust-pickle`` option.
    """
    try:
        with open(path, "rb") as fh:
            if trust:
                return pickle.load(fh, encoding="latin1")
            return _SafeUnpickler(fh, encoding="latin1").load()
    except _Refused as exc:
        raise DataError(
            f"'{fname(path)}' is a pickle that {exc} could run code when unpickled; pass "
            "--trust-pickle only if you trust the file."
        ) from None
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, IndexError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"'{fname(path)}' is truncated or not a pickle ({first}).") from None
    except (RuntimeError, MemoryError) as exc:  # torch on a damaged tensor; absurd sizes
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"'{fname(path)}' cannot be unpickled ({first}).") from None
    except (ModuleNotFoundError, AttributeError) as exc:
        raise DataError(
            f"'{fname(path)}' needs a Python package that is not installed to unpickle ({exc})."
        ) from None
    except OSError as exc:
        raise DataError(f"'{fname(path)}' cannot be read: {exc.strerror or exc}.") from None


def to_numpy(value: Any, file: str, what: str) -> np.ndarray:
    """Convert an array-like (numpy, list, or a torch tensor) to a numpy array."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch.Tensor, without importing it
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"'{file}': {what} is not an array ({exc}).") from None


def as_labels(value: Any, file: str, what: str) -> np.ndarray:
    """A numeric label array with at least one dimension (items first)."""
    arr = to_numpy(value, file, what)
    if arr.ndim == 0 or arr.dtype.kind not in "fiub":
        raise DataError(
            f"'{file}': {what} are not an array of numbers (got {arr.dtype} of shape {arr.shape})."
        )
    return arr


def n_items(value: Any, file: str, what: str) -> int:
    """The number of items of a per-item array or list (ids, lengths)."""
    arr = to_numpy(value, file, what)
    if arr.ndim == 0:
        raise DataError(f"'{file}': {what} is a single value, not one entry per item.")
    return int(arr.shape[0])


def as_features(value: Any, file: str, what: str) -> np.ndarray:
    """A (N, T, D) float32 feature array; 2-D arrays become (N, 1, D)."""
    arr = to_numpy(value, file, what)
    if arr.ndim == 2:
        arr = arr[:, None, :]
    if arr.ndim != 3:
        raise DataError(f"'{file}': {what} has shape {arr.shape}; expected (N, T, D).")
    if arr.dtype.kind not in "fiub":
        raise DataError(f"'{file}': {what} has non-numeric dtype {arr.dtype}.")
    if arr.shape[1] == 0:
        raise DataError(f"'{file}': {what} has sequences of length 0.")
    if arr.shape[2] == 0:
        raise DataError(f"'{file}': {what} has 0 features per step.")
    return np.asarray(arr, dtype=np.float32)


def sanitise_neg_inf(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """Set -inf values to 0 (known in COVAREP audio features); return the array and the count."""
    mask = np.isneginf(arr)
    count = int(mask.sum())
    if count:
        arr = arr.copy()
        arr[mask] = 0.0
    return arr, count


def check_finite(arr: np.ndarray, file: str, what: str) -> None:
    """Reject NaN or infinite feature values (after any sanitising the format calls for)."""
    bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if bad:
        n_nan = int(np.isnan(arr).sum())
        kind = "NaN" if n_nan == bad else "NaN or infinite"
        raise DataError(f"'{file}': {what} holds {bad} {kind} values.")


def check_labels_finite(labels: np.ndarray, file: str, what: str) -> None:
    """Reject NaN or infinite labels."""
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        bad = int(np.sum(~np.isfinite(labels)))
        raise DataError(f"'{file}': {what} holds {bad} NaN or infinite labels.")


#: The range of sentiment scores in CMU-MOSI / MOSEI files (every format that holds them).
SENTIMENT_RANGE = (-3.0, 3.0)


def check_sentiment(labels: np.ndarray, file: str, where: str) -> None:
    """Reject sentiment scores outside :data:`SENTIMENT_RANGE` (checked after finiteness)."""
    lo, hi = float(np.min(labels)), float(np.max(labels))
    if lo < SENTIMENT_RANGE[0] or hi > SENTIMENT_RANGE[1]:
        raise DataError(
            f"'{file}': sentiment labels of {where} range over [{lo:g}, {hi:g}], outside "
            f"[{SENTIMENT_RANGE[0]:g}, {SENTIMENT_RANGE[1]:g}]."
        )


def check_split_shapes(parts: Mapping[str, Mapping[str, np.ndarray]], file: str) -> None:
    """Every split must give each modality the train split's steps and features per step.

    ``parts`` maps split → modality → (N, T, D) array; splits are compared with ``train``.
    """
    reference = {m: a.shape[1:] for m, a in parts["train"].items()}
    for split, arrays in parts.items():
        for m, arr in arrays.items():
            if arr.shape[1:] != reference[m]:
                (t, d), (t0, d0) = arr.shape[1:], reference[m]
                raise DataError(
                    f"'{file}': {m} of the {split} split has {t} steps of {d} features but the "
                    f"train split has {t0} of {d0}; every split must have the same shape."
                )


def check_counts(counts: Mapping[str, int], file: str, where: str) -> int:
    """All arrays of one split must have the same number of items; return it."""
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in counts.items())
        raise DataError(f"'{file}': arrays of {where} disagree on the number of items ({listed}).")
    n = next(iter(counts.values()))
    if n == 0:
        raise DataError(f"'{file}': {where} is empty.")
    return n


def concat_splits(
    parts: Mapping[str, Mapping[str, np.ndarray]], labels: Mapping[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Concatenate per-split arrays in train / valid / test order and build the split indices."""
    names = list(parts["train"])
    modalities = {m: np.concatenate([parts[s][m] for s in SPLITS]) for m in names}
    y = np.concatenate([labels[s] for s in SPLITS])
    splits, start = {}, 0
    for s in SPLITS:
        n = len(labels[s])
        splits[s] = np.arange(start, start + n)
        start += n
    return modalities, y, splits


def pool_to_length(arr: np.ndarray, length: int) -> np.ndarray:
    """Average a (N, T, D) array over ``length`` equal-width bins of its time axis."""
    t = arr.shape[1]
    if t == length:
        return arr
    edges = np.linspace(0, t, length + 1)
    out = np.zeros((arr.shape[0], length, arr.shape[2]), dtype=np.float32)
    for i in range(length):
        lo = int(np.floor(edges[i]))
        hi = max(int(np.ceil(edges[i + 1])), lo + 1)
        out[:, i] = arr[:, lo:hi].mean(axis=1)
    return out


def seeded_split(
    n: int,
    seed: int,
    fractions: Sequence[float] = (0.75, 0.125, 0.125),
    strata: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """A seeded random train / valid / test split, stratified by ``strata`` when given.

    Parameters
    ----------
    n : int
        Number of items.
    seed : int
        Seed of the ``numpy.random.Generator`` that shuffles the items.
    fractions : three floats summing to 1
    strata : ndarray, optional
        Class labels; each class is split in the same proportions.
    """
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise DataError(
            f"split fractions {list(fractions)} are not valid; give three positive numbers summing to 1."
        )
    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n)]
        if strata is None
        else [np.flatnonzero(strata == c) for c in np.unique(strata)]
    )
    out: dict[str, list] = {s: [] for s in SPLITS}
    for idx in groups:
        idx = rng.permutation(idx)
        a = int(round(fr[0] * len(idx)))
        b = a + int(round(fr[1] * len(idx)))
        out["train"].append(idx[:a])
        out["valid"].append(idx[a:b])
        out["test"].append(idx[b:])
    return {s: np.sort(np.concatenate(v)) for s, v in out.items()}


def padding_side(modalities: Mapping[str, np.ndarray]) -> str:
    """Where all-zero time steps sit: ``left``, ``right``, ``none`` or ``mixed``.

    A step is padding when every feature of every modality is zero at it.
    """
    zero = None
    for arr in modalities.values():
        z = ~np.any(arr != 0, axis=2)
        zero = z if zero is None else zero & z
    if zero is None or zero.shape[1] < 2 or not zero.any():
        return "none"
    t = zero.shape[1]
    n_zero = zero.sum(axis=1)
    rows = (n_zero > 0) & (n_zero < t)
    if not rows.any():
        return "none"
    steps = np.arange(t)[None, :]
    prefix = np.all(zero == (steps < n_zero[:, None]), axis=1)[rows]
    suffix = np.all(zero == (steps >= (t - n_zero)[:, None]), axis=1)[rows]
    # Zero steps inside real data (an all-zero word vector, say) break the pattern for a few items.
    if prefix.mean() >= 0.9:
        return "left"
    if suffix.mean() >= 0.9:
        return "right"
    return "mixed"
