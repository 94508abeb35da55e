"""Evaluation metrics, in numpy only: the standard ones and the paper's own (``f1_paper``).

The paper's "f_score" is scikit-learn's ``f1_score(y_pred, y_true, average="weighted")``: the
arguments are swapped, so the per-class F1 (symmetric in its two arguments) is weighted by the
*predicted* class counts instead of the true ones.  A model predicting one majority class for almost
everything gets a high ``f1_paper``; that is why the paper's F1 exceeds its accuracy at p = 0.  We
report it as ``f1_paper`` next to the standard ``f1_macro`` and ``f1_weighted``.

Zero division (a class never predicted, or never true) counts as 0, as scikit-learn does by default,
and no warning is printed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from colearn.errors import ConfigError, DataError

__all__ = [
    "CLASSIFICATION_METRICS",
    "HIGHER_IS_BETTER",
    "REGRESSION_METRICS",
    "classification_metrics",
    "compute_metrics",
    "confusion_matrix",
    "regression_metrics",
]

CLASSIFICATION_METRICS = ("accuracy", "f1_macro", "f1_weighted", "f1_paper")
REGRESSION_METRICS = (
    "mae",
    "corr",
    "acc2_has0",
    "acc2_non0",
    "f1_binary_weighted",
    "acc7",
    "f1_paper",
)

#: Direction of every metric name this module produces, plus the training ``loss``.
HIGHER_IS_BETTER: dict[str, bool] = {
    "accuracy": True,
    "f1_macro": True,
    "f1_weighted": True,
    "f1_paper": True,
    "mae": False,
    "corr": True,
    "acc2_has0": True,
    "acc2_non0": True,
    "f1_binary_weighted": True,
    "acc7": True,
    "loss": False,
}


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return both as flat float arrays after checking they are finite, non-empty and aligned."""
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.size == 0:
        raise DataError("y_true is empty; metrics need at least one item.")
    if t.size != p.size:
        raise DataError(f"y_true has {t.size} items but y_pred has {p.size}; they must match.")
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise DataError("y_true and y_pred must be finite; found NaN or infinity.")
    return t, p


def _labels(y: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    bad = (y != np.round(y)) | (y < 0) | (y >= n_classes)
    if bad.any():
        raise DataError(f"{name} must hold class indices in 0..{n_classes - 1}, got {y[bad][0]:g}.")
    return y.astype(np.int64)


def _confusion(t: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64)


def _f1_scores(t: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Macro, weighted and swapped-weighted F1 over the labels present in ``t`` or ``p``."""
    _, codes = np.unique(np.concatenate([t, p]), return_inverse=True)
    n = int(codes.max()) + 1
    cm = _confusion(codes[: t.size], codes[t.size :], n)
    tp = np.diag(cm).astype(np.float64)
    n_true, n_pred = cm.sum(axis=1), cm.sum(axis=0)
    denominator = n_true + n_pred  # 2·tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros(n), where=denominator > 0)
    return {
        "f1_macro": float(f1.mean()),
        "f1_weighted": float(f1 @ n_true / t.size),
        "f1_paper": float(f1 @ n_pred / t.size),
    }


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> np.ndarray:
    """Count (true, predicted) pairs.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        Class indices in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes; sets the matrix size even when some classes are absent.

    Returns
    -------
    numpy.ndarray of int64, shape (n_classes, n_classes)
        ``cm[i, j]`` is the number of items of true class ``i`` predicted as ``j`` (rows = truth).

    Raises
    ------
    DataError
        If the inputs are empty, of different lengths, or hold labels out of range.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], n_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    n = _n_classes(n_classes)
    t, p = _pair(y_true, y_pred)
    return _confusion(_labels(t, n, "y_true"), _labels(p, n, "y_pred"), n)


def classification_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int
) -> dict[str, float]:
    """Accuracy and F1 scores of predicted class indices.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        True and predicted class indices in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes (for range checks).

    Returns
    -------
    dict
        ``accuracy``: share of exact matches. ``f1_macro``: unweighted mean of per-class F1 over
        the classes present in truth or prediction. ``f1_weighted``: per-class F1 weighted by true
        class counts. ``f1_paper``: per-class F1 weighted by *predicted* class counts (the paper's
        swapped call).

    Raises
    ------
    DataError
        If the inputs are empty, of different lengths, or hold labels out of range.

    Notes
    -----
    Per-class F1 is ``2·tp / (2·tp + fp + fn)``, 0 when the denominator is 0.  The values agree
    with scikit-learn's ``f1_score(y_true, y_pred, average=...)`` and, for ``f1_paper``,
    ``f1_score(y_pred, y_true, average="weighted")`` (checked in the tests).

    Examples
    --------
    >>> m = classification_metrics([0, 0, 0, 1], [0, 0, 0, 0], n_classes=2)
    >>> {k: round(v, 4) for k, v in m.items()}
    {'accuracy': 0.75, 'f1_macro': 0.4286, 'f1_weighted': 0.6429, 'f1_paper': 0.8571}
    """
    n = _n_classes(n_classes)
    t, p = _pair(y_true, y_pred)
    t, p = _labels(t, n, "y_true"), _labels(p, n, "y_pred")
    return {"accuracy": float(np.mean(t == p)), **_f1_scores(t, p)}


def _pearson(t: np.ndarray, p: np.ndarray) -> float:
    dt, dp = t - t.mean(), p - p.mean()
    scale = np.sqrt((dt @ dt) * (dp @ dp))
    return float(dt @ dp / scale) if scale > 0 else float("nan")


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """Sentiment-score metrics used on CMU-MOSI (scores in [-3, 3]).

    Parameters
    ----------
    y_true, y_pred : array-like of float, shape (n,)
        True and predicted scores.

    Returns
    -------
    dict
        ``mae``: mean absolute error. ``corr``: Pearson r (NaN if either side is constant).
        ``acc2_has0``: binary accuracy with ``score >= 0`` positive on both sides (zeros count as
        positive; the paper's "acc"). ``acc2_non0``: binary accuracy of ``score > 0`` over the items
        whose true score is not 0 (NaN if there are none). ``f1_binary_weighted``: weighted F1 of
        ``pred > 0`` against ``true > 0`` over those same non-zero items (the Non0 convention of
        the MOSI literature). ``acc7``: 7-class accuracy of ``round(clip(score, -3, 3))`` on both
        sides. ``f1_paper``: the paper's "f_score", weighted F1 of ``round(pred)`` against
        ``round(true)`` with the arguments swapped, i.e. weighted by predicted rounded classes.

    Raises
    ------
    DataError
        If the inputs are empty, of different lengths or not finite.

    Notes
    -----
    Rounding is numpy's (halves to even: 0.5 → 0, 1.5 → 2), as in the community's MOSI code.

    Examples
    --------
    >>> m = regression_metrics([2.0, -1.0, 0.0, 1.0], [1.5, -0.5, -0.2, 1.0])
    >>> {k: round(v, 3) for k, v in m.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'mae': 0.3, 'corr': 0.974, 'acc2_has0': 0.75, 'acc2_non0': 1.0, 'f1_binary_weighted': 1.0,
     'acc7': 0.75, 'f1_paper': 0.833}
    """
    t, p = _pair(y_true, y_pred)
    non0 = t != 0
    if non0.any():
        t_pos, p_pos = t[non0] > 0, p[non0] > 0
        acc2_non0 = float(np.mean(t_pos == p_pos))
        f1_binary = _f1_scores(t_pos.astype(np.int64), p_pos.astype(np.int64))["f1_weighted"]
    else:
        acc2_non0 = f1_binary = float("nan")
    t7, p7 = np.round(np.clip(t, -3, 3)), np.round(np.clip(p, -3, 3))
    return {
        "mae": float(np.mean(np.abs(t - p))),
        "corr": _pearson(t, p),
        "acc2_has0": float(np.mean((t >= 0) == (p >= 0))),
        "acc2_non0": acc2_non0,
        "f1_binary_weighted": f1_binary,
        "acc7": float(np.mean(t7 == p7)),
        "f1_paper": _f1_scores(np.round(t), np.round(p))["f1_paper"],
    }


def _n_classes(n_classes: object) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer):
        raise ConfigError(f"n_classes must be a positive int, got {n_classes!r}.")
    if n_classes < 1:
        raise ConfigError(f"n_classes must be a positive int, got {n_classes!r}.")
    return int(n_classes)


def compute_metrics(
    task: str, y_true: ArrayLike, y_pred_or_scores: ArrayLike, n_classes: int | None = None
) -> dict[str, float]:
    """Dispatch to :func:`classification_metrics` or :func:`regression_metrics`.

    Parameters
    ----------
    task : {"classification", "regression"}
        The task kind.
    y_true : array-like, shape (n,)
        Class indices or true scores.
    y_pred_or_scores : array-like, shape (n,) or (n, n_classes)
        For classification, predicted class indices or per-class scores (logits or
        probabilities; the arg-max is taken).  For regression, predicted scores, shape (n,) or
        (n, 1).
    n_classes : int, optional
        Number of classes; defaults to the score columns, else ``max(label) + 1``.

    Returns
    -------
    dict
        The metrics of :data:`CLASSIFICATION_METRICS` or :data:`REGRESSION_METRICS`.

    Raises
    ------
    ConfigError
        If ``task`` is unknown.
    DataError
        If the inputs are empty, misaligned or malformed.

    Examples
    --------
    >>> compute_metrics("classification", [1, 0], [[0.2, 0.8], [0.9, 0.1]])["accuracy"]
    1.0
    """
    scores = np.asarray(y_pred_or_scores)
    if task == "regression":
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores[:, 0]
        if scores.ndim != 1:
            raise DataError(f"regression predictions must have shape (n,), got {scores.shape}.")
        return regression_metrics(y_true, scores)
    if task != "classification":
        raise ConfigError(f"unknown task {task!r}; valid: classification, regression.")
    if scores.ndim == 2:
        n_classes = scores.shape[1] if n_classes is None else n_classes
        scores = scores.argmax(axis=1) if scores.shape[0] else scores.ravel()
    elif scores.ndim != 1:
        raise DataError(f"classification predictions must be (n,) or (n, k), got {scores.shape}.")
    if n_classes is None:
        t, p = _pair(y_true, scores)
        n_classes = int(max(t.max(), p.max())) + 1
    return classification_metrics(y_true, scores, n_classes)
