"""The one in-memory data container every source is loaded into.

A :class:`MultimodalDataset` holds per-modality float32 arrays of shape (N, T, D_m), one label per
item, the task kind, the train / valid / test split indices and the name of the *primary* modality
(the one the co-learning test evaluates on).  It validates itself on construction and raises
:class:`~colearn.errors.DataError` with one sentence naming the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from colearn.errors import DataError

__all__ = ["SPLITS", "TASKS", "MultimodalDataset"]

SPLITS = ("train", "valid", "test")
TASKS = ("classification", "regression")


@dataclass(frozen=True)
class MultimodalDataset:
    """Per-modality sequences, labels and splits of one data set.

    Parameters
    ----------
    modalities : mapping of str to ndarray, each (N, T, D_m)
        Features per modality, in the order models concatenate them.  Cast to float32.
    labels : ndarray, (N,)
        int64 class indices in ``[0, len(class_names))`` for classification, float32 scores for
        regression.
    task : {"classification", "regression"}
    splits : mapping of {"train", "valid", "test"} to int index arrays
        Disjoint, non-empty, in ``[0, N)``.
    primary : str
        The modality the co-learning test evaluates on; must be a key of ``modalities``.
    class_names : tuple of str, optional
        Required for classification; empty for regression.
    name : str
        A short name used in messages and reports.
    notes : dict
        Facts about loading worth reporting (for example how many -inf values were set to 0).

    Raises
    ------
    DataError
        On any inconsistency, with one sentence naming it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((6, 2, 3), dtype="float32")
    >>> ds = MultimodalDataset(
    ...     modalities={"language": x, "audio": x},
    ...     labels=np.array([0, 1, 0, 1, 0, 1]),
    ...     task="classification",
    ...     splits={"train": [0, 1, 2, 3], "valid": [4], "test": [5]},
    ...     primary="language",
    ...     class_names=("neg", "pos"),
    ... )
    >>> ds.dims
    {'language': 3, 'audio': 3}
    """

    modalities: Mapping[str, np.ndarray]
    labels: np.ndarray
    task: Literal["classification", "regression"]
    splits: Mapping[str, np.ndarray]
    primary: str
    class_names: tuple[str, ...] = ()
    name: str = "data"
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise dtypes once here so every consumer sees the same arrays.
        set_ = object.__setattr__
        set_(
            self,
            "modalities",
            {k: _as_float32(k, v, self.name) for k, v in self.modalities.items()},
        )
        set_(
            self,
            "splits",
            {k: np.asarray(v, dtype=np.int64).ravel() for k, v in self.splits.items()},
        )
        set_(self, "class_names", tuple(str(c) for c in self.class_names))
        labels = np.asarray(self.labels)
        if self.task == "regression":
            labels = labels.astype(np.float32).reshape(-1)
        elif self.task == "classification" and labels.dtype.kind in "iub":
            labels = labels.astype(np.int64).reshape(-1)
        set_(self, "labels", labels)
        self._validate()

    # -- validation --------------------------------------------------------------------------
    def _validate(self) -> None:
        where = f"data set '{self.name}'"
        if self.task not in TASKS:
            raise DataError(f"{where} has task '{self.task}'; valid tasks: {', '.join(TASKS)}.")
        if not self.modalities:
            raise DataError(f"{where} has no modalities.")
        n_items = {k: v.shape[0] for k, v in self.modalities.items()}
        steps = {k: v.shape[1] for k, v in self.modalities.items()}
        if len(set(n_items.values())) != 1:
            raise DataError(f"{where}: modalities disagree on the number of items: {n_items}.")
        if len(set(steps.values())) != 1:
            raise DataError(f"{where}: modalities disagree on the sequence length: {steps}.")
        n, t = next(iter(n_items.values())), next(iter(steps.values()))
        if n == 0:
            raise DataError(f"{where} has no items.")
        if t == 0:
            raise DataError(f"{where} has sequences of length 0.")
        for k, v in self.modalities.items():
            if v.shape[2] == 0:
                raise DataError(f"{where}: modality '{k}' has 0 features per step.")
            bad = int(np.size(v) - np.count_nonzero(np.isfinite(v)))
            if bad:
                raise DataError(f"{where}: modality '{k}' holds {bad} non-finite values.")
        if self.primary not in self.modalities:
            raise DataError(
                f"{where}: primary modality '{self.primary}' is not one of "
                f"{', '.join(self.modalities)}."
            )
        self._validate_labels(where, n)
        self._validate_splits(where, n)

    def _validate_labels(self, where: str, n: int) -> None:
        labels = self.labels
        if labels.ndim != 1 or labels.shape[0] != n:
            raise DataError(f"{where}: {labels.shape[0]} labels for {n} items.")
        if self.task == "regression":
            if not np.all(np.isfinite(labels)):
                raise DataError(
                    f"{where}: {int(np.sum(~np.isfinite(labels)))} labels are NaN or inf."
                )
            return
        if labels.dtype.kind == "f":
            raise DataError(f"{where}: classification labels must be integers, got {labels.dtype}.")
        k = len(self.class_names)
        if k < 2:
            raise DataError(f"{where}: classification needs at least 2 class names, got {k}.")
        if labels.min() < 0 or labels.max() >= k:
            raise DataError(
                f"{where}: labels range over [{labels.min()}, {labels.max()}] but there are "
                f"{k} classes (valid: 0..{k - 1})."
            )

    def _validate_splits(self, where: str, n: int) -> None:
        if set(self.splits) != set(SPLITS):
            missing = sorted(set(SPLITS) - set(self.splits))
            extra = sorted(set(self.splits) - set(SPLITS))
            problem = f"misses split(s) {missing}" if missing else f"has unknown split(s) {extra}"
            raise DataError(f"{where} {problem}; splits must be train, valid and test.")
        seen = np.zeros(n, dtype=bool)
        for split in SPLITS:
            idx = self.splits[split]
            if idx.size == 0:
                raise DataError(f"{where}: the {split} split is empty.")
            if idx.min() < 0 or idx.max() >= n:
                raise DataError(f"{where}: the {split} split indexes outside [0, {n}).")
            if np.unique(idx).size != idx.size or seen[idx].any():
                raise DataError(f"{where}: the {split} split repeats items or overlaps another.")
            seen[idx] = True

    # -- views ------------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        """Number of items N."""
        return int(self.labels.shape[0])

    @property
    def seq_len(self) -> int:
        """Number of time steps T (1 for data without time)."""
        return int(next(iter(self.modalities.values())).shape[1])

    @property
    def dims(self) -> dict[str, int]:
        """Feature size per modality, in concatenation order."""
        return {k: int(v.shape[2]) for k, v in self.modalities.items()}

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names) if self.task == "classification" else 0

    @property
    def n_outputs(self) -> int:
        """Width of the model's output layer: classes, or 1 for regression."""
        return self.n_classes if self.task == "classification" else 1

    def summary(self) -> dict:
        """A JSON-ready description: task, primary, shapes, split sizes, labels, notes."""
        out = {
            "name": self.name,
            "task": self.task,
            "primary": self.primary,
            "modalities": {k: list(v.shape) for k, v in self.modalities.items()},
            "splits": {k: int(v.size) for k, v in self.splits.items()},
        }
        if self.task == "classification":
            counts = np.bincount(self.labels, minlength=self.n_classes)
            out["labels"] = {"classes": dict(zip(self.class_names, counts.tolist(), strict=True))}
        else:
            lab = self.labels
            out["labels"] = {
                "min": float(lab.min()),
                "max": float(lab.max()),
                "mean": float(lab.mean()),
            }
        out.update(self.notes)
        return out


def _as_float32(key: str, value: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 3:
        raise DataError(
            f"data set '{name}': modality '{key}' has shape {arr.shape}; expected (N, T, D)."
        )
    if arr.dtype.kind not in "fiub":
        raise DataError(f"data set '{name}': modality '{key}' has non-numeric dtype {arr.dtype}.")
    return np.ascontiguousarray(arr, dtype=np.float32)
