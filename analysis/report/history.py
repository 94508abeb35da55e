"""Training curves: train and validation loss per epoch over seeds, and when the best epoch came.

The input is a per-epoch history table, one row per (run, setting, epoch) with the columns
``run_id, setting, arm, level, seed, best_epoch, epoch, train_loss, valid_loss`` (NaN ``level``
for the unimodal baseline), as a results store keeps it.  :func:`summarize_history` and
:func:`best_epochs` reduce it over seeds; :func:`plot_history` draws one loss of one setting;
:func:`save_history` writes the figure of every setting.  matplotlib runs with the Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from colearn.errors import ConfigError, DataError  # noqa: E402
from colearn.files import atomic_path  # noqa: E402

__all__ = ["HISTORY_COLUMNS", "best_epochs", "plot_history", "save_history", "summarize_history"]

#: Columns a history table must have.
HISTORY_COLUMNS = (
    "run_id", "setting", "arm", "level", "seed", "best_epoch", "epoch", "train_loss", "valid_loss",
)  # fmt: skip
_SPLITS = {"train": "train_loss", "valid": "valid_loss"}
_GROUP = ["setting", "arm", "level"]


def _checked(history: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise DataError(f"the history table lacks the column(s) {', '.join(missing)}.")
    if history.empty:
        raise DataError("the history table is empty; there is no run to summarise.")
    return history


def summarize_history(history: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds of the train and validation loss, per level and epoch.

    Parameters
    ----------
    history : pandas.DataFrame
        Per-epoch history (:data:`HISTORY_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        One row per (setting, arm, level, epoch, split): ``setting``, ``arm``, ``level`` (NaN for
        the baseline), ``epoch``, ``split`` (``train``: mean loss over the epoch's batches, with
        modality dropout applied; ``valid``: loss on the validation split under the
        checkpoint-selection condition), ``n`` (seeds that trained this epoch), ``mean``,
        ``sd`` (ddof 1; NaN for one seed), ``min``, ``max``.

    Examples
    --------
    >>> h = pd.DataFrame({"run_id": ["a", "a", "b", "b"], "setting": "default",
    ...     "arm": "multimodal", "level": 0.5, "seed": [0, 0, 1, 1], "best_epoch": 2,
    ...     "epoch": [1, 2, 1, 2], "train_loss": [1.0, 0.5, 3.0, 1.5],
    ...     "valid_loss": [1.0, 0.8, 1.2, 1.0]})
    >>> summarize_history(h).query("split == 'train'")[["epoch", "n", "mean", "min", "max"]]
       epoch  n  mean  min  max
    0      1  2   2.0  1.0  3.0
    1      2  2   1.0  0.5  1.5
    """
    history = _checked(history)
    long = history.melt(
        id_vars=[*_GROUP, "seed", "epoch"],
        value_vars=list(_SPLITS.values()),
        var_name="split",
        value_name="loss",
    )
    long["split"] = long["split"].map({v: k for k, v in _SPLITS.items()})
    out = (
        long.groupby([*_GROUP, "epoch", "split"], dropna=False)["loss"]
        .agg(n="count", mean="mean", sd="std", min="min", max="max")
        .reset_index()
    )
    return out.sort_values(["split", *_GROUP, "epoch"], ignore_index=True)


def best_epochs(history: pd.DataFrame) -> pd.DataFrame:
    """When each level's runs reached their lowest validation loss (the checkpoint tested).

    Parameters
    ----------
    history : pandas.DataFrame
        Per-epoch history (:data:`HISTORY_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        One row per (setting, arm, level), multimodal levels in order then the baseline:
        ``setting``, ``arm``, ``level``, ``n`` (runs), ``mean``, ``min`` and ``max`` of the
        best epoch, ``epochs`` (most epochs a run trained), ``at_last`` (runs whose best epoch
        was their last one: their validation loss was still falling, so more epochs might
        help).

    Examples
    --------
    >>> h = pd.DataFrame({"run_id": ["a", "a", "b", "b"], "setting": "default",
    ...     "arm": "unimodal", "level": float("nan"), "seed": [0, 0, 1, 1], "best_epoch": [1, 1, 2, 2],
    ...     "epoch": [1, 2, 1, 2], "train_loss": 1.0, "valid_loss": 1.0})
    >>> best_epochs(h)[["arm", "n", "mean", "min", "max", "epochs", "at_last"]]
            arm  n  mean  min  max  epochs  at_last
    0  unimodal  2   1.5    1    2       2        1
    """
    history = _checked(history)
    runs = history.groupby([*_GROUP, "run_id"], dropna=False).agg(
        best=("best_epoch", "first"), last=("epoch", "max")
    )
    runs["at_last"] = runs["best"] == runs["last"]
    out = (
        runs.groupby(_GROUP, dropna=False)
        .agg(
            n=("best", "size"),
            mean=("best", "mean"),
            min=("best", "min"),
            max=("best", "max"),
            epochs=("last", "max"),
            at_last=("at_last", "sum"),
        )
        .reset_index()
    )
    # The baseline (NaN level) after the multimodal levels, as in the other tables.
    out["_baseline"] = out["arm"] == "unimodal"
    out = out.sort_values(["setting", "_baseline", "level"], ignore_index=True)
    return out.drop(columns="_baseline").astype({"at_last": int})


def plot_history(
    summary: pd.DataFrame,
    *,
    split: str = "valid",
    setting: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Loss per epoch: one line per dropout level (mean over seeds) in a band from min to max.

    Levels are coloured from light (p = 0) to dark (p = 1); the unimodal baseline is black and
    dashed.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`summarize_history` output.
    split : {"valid", "train"}
        Which loss to draw.
    setting : str, optional
        Setting to draw; default the first in the table.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure when None).
    title : str, optional
        Axes title; default names the loss.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if split not in _SPLITS:
        raise ConfigError(f"split {split!r} is not valid; choose train or valid.")
    setting = setting or sorted(summary["setting"].unique())[0]
    rows = summary[(summary["split"] == split) & (summary["setting"] == setting)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    cmap = plt.get_cmap("viridis_r")
    for (arm, level), curve in rows.groupby(["arm", "level"], dropna=False, sort=True):
        curve = curve.sort_values("epoch")
        baseline = arm == "unimodal"
        color = "black" if baseline else cmap(0.1 + 0.85 * float(level))
        label = "unimodal baseline" if baseline else f"p = {level:g}"
        n = int(curve["n"].max())
        ax.plot(curve["epoch"], curve["mean"], color=color, ls="--" if baseline else "-",
                lw=1.6, label=f"{label} ({n} seed{'s' * (n != 1)})")  # fmt: skip
        ax.fill_between(curve["epoch"], curve["min"], curve["max"], color=color, alpha=0.15, lw=0)
    ax.set_xlabel("epoch")
    what = (
        "training loss (with modality dropout)"
        if split == "train"
        else "validation loss (checkpoint selection)"
    )
    ax.set_ylabel(what)
    ax.set_title(title or f"{what}, mean over seeds, band min–max")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncols=2)
    return ax


def save_history(
    history: pd.DataFrame,
    out_dir: str | Path,
    *,
    formats: tuple[str, ...] = ("png",),
    dpi: int = 150,
) -> list[Path]:
    """Write the training-curve figure: a row per setting, training and validation loss.

    Parameters
    ----------
    history : pandas.DataFrame
        Per-epoch history (:data:`HISTORY_COLUMNS`).
    out_dir : str or pathlib.Path
        Output folder (created).
    formats : tuple of str
        Image formats, e.g. ``("png", "pdf")``.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    list of pathlib.Path
        ``history.<fmt>`` per format, each written to a temporary file and moved into place.
    """
    summary = summarize_history(history)
    settings = sorted(summary["setting"].unique())
    fig, axes = plt.subplots(
        len(settings), 2, figsize=(13, 4.4 * len(settings)), layout="constrained", squeeze=False
    )
    for row, name in zip(axes, settings, strict=True):
        for ax, split in zip(row, ("train", "valid"), strict=True):
            plot_history(summary, split=split, setting=name, ax=ax)
            if len(settings) > 1:
                ax.set_title(f"{name}: {ax.get_title()}")
    out = Path(out_dir)
    paths = []
    for fmt in formats:
        path = out / f"history.{fmt}"
        # No creation date in the metadata: the same history gives byte-identical files.
        meta = {"CreationDate": None} if fmt == "pdf" else {}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths
