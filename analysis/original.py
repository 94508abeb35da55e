"""Importer for the authors' released per-seed result files (bi-EFLSTM / MFN, arXiv 2501.00865).

Layout of one released file (one file = one seed): tab-separated; an unnamed row-index column;
columns ``audio_dropout, language_dropout, video_dropout`` and then metric columns (``acc``,
``loss`` or ``mae``, ``f_score``); one row per dropout level followed by one baseline row whose
dropout cells are the string ``N/A``; IEMOCAP ``loss`` cells look like ``tensor(1.8146)``.  File
names are irregular (``elstm_ie_0.csv`` ... ``elstm_ie_more_3.csv``): the seed index is the last
integer in the name.

The released design trained all arms of one seed on one random stream, so arms do not share
initialisation or data order: the imported table says ``paired = false``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.tidy import TIDY_COLUMNS, validate_tidy
from colearn.errors import DataError

__all__ = [
    "METRIC_NAMES",
    "CM_LEVELS",
    "CM_LABELS",
    "import_original",
    "read_original_file",
    "load_confusion",
    "confusion_sidecar",
]

#: Released column name → our metric name.
METRIC_NAMES: dict[str, str] = {
    "acc": "accuracy",
    "loss": "loss",
    "mae": "mae",
    "f_score": "f1_paper",
}

#: Level order of the first axis of ``cm_res.npy`` (NaN = the language-only baseline).
CM_LEVELS: tuple[float, ...] = (0.0, 0.15, 0.4, 0.6, 0.8, 0.9, 0.95, float("nan"))

#: Label order of both class axes of ``cm_res.npy`` (rows = true labels).
CM_LABELS: tuple[str, ...] = ("fea", "neu", "ang", "fru", "exc", "sur", "hap", "sad")

_DROP_COLS = ("audio_dropout", "language_dropout", "video_dropout")
_TENSOR = re.compile(r"^\s*tensor\(\s*([^,()]+?)\s*(?:,.*)?\)\s*$")


def _number(cell: object, path: Path, row: object, col: str) -> float:
    if isinstance(cell, (int, float, np.integer, np.floating)):
        return float(cell)
    text = str(cell).strip()
    match = _TENSOR.match(text)
    if match:
        text = match.group(1)
    try:
        return float(text)
    except ValueError:
        raise DataError(
            f"{path.name}: row {row}, column '{col}' holds {cell!r}, which is neither a number "
            "nor tensor(number)."
        ) from None


def _seed_from_name(path: Path) -> int:
    numbers = re.findall(r"\d+", path.stem)
    if not numbers:
        raise DataError(
            f"cannot tell the seed of {path.name}: its name holds no number (expected e.g. "
            "elstm_ie_3.csv)."
        )
    return int(numbers[-1])


def read_original_file(path: str | Path, seed: int | None = None, study: str = "original"):
    """Read one released result file into tidy rows.

    Parameters
    ----------
    path : str or pathlib.Path
        One tab-separated released file.
    seed : int, optional
        Seed index; by default the last integer in the file name.
    study : str
        Value of the ``study`` column.

    Returns
    -------
    pandas.DataFrame
        Tidy rows (see :data:`analysis.tidy.TIDY_COLUMNS`): one per (row of the file, metric);
        ``setting`` ``default``, ``condition`` ``primary``, ``paired`` False, ``n_test`` missing,
        ``run_id`` ``<study>-s<seed>-<arm>[-<level>]``.

    Raises
    ------
    DataError
        When the file is not in the released layout (missing dropout columns, no metric column,
        no baseline row, unreadable cells, unequal audio and video levels, repeated levels).
    """
    path = Path(path)
    if seed is None:
        seed = _seed_from_name(path)
    try:
        raw = pd.read_csv(path, sep="\t", index_col=0, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path.name} as a tab-separated file ({exc}).") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in _DROP_COLS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path.name} lacks the column(s) {', '.join(missing)}; a released file has "
            f"{', '.join(_DROP_COLS)} and metric columns, tab-separated."
        )
    metrics = [c for c in raw.columns if c in METRIC_NAMES]
    if not metrics:
        raise DataError(
            f"{path.name} has no metric column; expected some of {', '.join(METRIC_NAMES)}."
        )
    rows = []
    baseline_rows = 0
    levels_seen: set[float] = set()
    for index, rec in raw.iterrows():
        cells = [str(rec[c]).strip() for c in _DROP_COLS]
        if all(c.upper() == "N/A" for c in cells):
            arm, level = "unimodal", float("nan")
            baseline_rows += 1
        else:
            audio, lang, video = (_number(rec[c], path, index, c) for c in _DROP_COLS)
            if audio != video:
                raise DataError(
                    f"{path.name}: row {index} drops audio at {audio} but video at {video}; the "
                    "importer expects equal audio and video levels."
                )
            if lang != 0:
                raise DataError(
                    f"{path.name}: row {index} drops language at {lang}; the primary modality "
                    "must not be dropped (0)."
                )
            arm, level = "multimodal", audio
            if level in levels_seen:
                raise DataError(f"{path.name}: the level {level} appears twice; one row per level.")
            levels_seen.add(level)
        run_id = f"{study}-s{seed}-{arm}" + ("" if arm == "unimodal" else f"-{level:g}")
        for col in metrics:
            rows.append(
                {
                    "study": study,
                    "setting": "default",
                    "run_id": run_id,
                    "arm": arm,
                    "level": level,
                    "seed": seed,
                    "paired": False,
                    "condition": "primary",
                    "metric": METRIC_NAMES[col],
                    "value": _number(rec[col], path, index, col),
                    "n_test": pd.NA,
                }
            )
    if baseline_rows != 1:
        raise DataError(
            f"{path.name} has {baseline_rows} baseline rows; a released file has exactly one row "
            "whose dropout cells are N/A."
        )
    if not levels_seen:
        raise DataError(f"{path.name} has no dropout-level rows, only the baseline.")
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def import_original(
    directory: str | Path, pattern: str = "*.csv", study: str | None = None
) -> pd.DataFrame:
    """Import a directory of the authors' released per-seed files into one tidy table.

    Parameters
    ----------
    directory : str or pathlib.Path
        Directory holding the released files (one per seed).
    pattern : str
        Glob for the result files.
    study : str, optional
        Value of the ``study`` column; default the directory's name.

    Returns
    -------
    pandas.DataFrame
        The validated tidy table, sorted by metric, arm, level and seed; metrics renamed
        (acc → accuracy, loss → loss, mae → mae, f_score → f1_paper); ``paired`` False.

    Raises
    ------
    DataError
        When the directory is missing or empty, a file is malformed, two files carry the same seed
        index, or the files disagree about the levels.

    Examples
    --------
    >>> from pathlib import Path
    >>> t = import_original(Path("tests/data/original-iemocap"))  # doctest: +SKIP
    >>> t[(t.metric == "accuracy") & (t.level == 0.8)].value.mean().round(3)  # doctest: +SKIP
    0.466
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"the directory {str(directory)!r} does not exist.")
    files = sorted(directory.glob(pattern))
    if not files:
        raise DataError(f"the directory {str(directory)!r} holds no files matching {pattern!r}.")
    study = study or directory.name
    seeds: dict[int, str] = {}
    parts = []
    for path in files:
        seed = _seed_from_name(path)
        if seed in seeds:
            raise DataError(
                f"{path.name} and {seeds[seed]} both carry seed index {seed}; one file per seed."
            )
        seeds[seed] = path.name
        parts.append(read_original_file(path, seed=seed, study=study))
    levels = {tuple(sorted(p.level.dropna().unique())) for p in parts}
    if len(levels) > 1:
        raise DataError(
            f"the files in {str(directory)!r} do not share the same dropout levels; each file "
            "must hold the same level rows."
        )
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["metric", "arm", "level", "seed"], na_position="last")
    return validate_tidy(table)


def load_confusion(path: str | Path) -> np.ndarray:
    """Load the released confusion matrices (``cm_res.npy``, the data of the paper's Figure 4).

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.npy`` file.

    Returns
    -------
    numpy.ndarray
        int64 array of shape (8, 8, 8): axis 0 follows :data:`CM_LEVELS` (levels 0, .15, .4, .6,
        .8, .9, .95, then the baseline), axes 1 (true) and 2 (predicted) follow :data:`CM_LABELS`.

    Raises
    ------
    DataError
        When the file is missing or the array has another shape or negative counts.
    """
    path = Path(path)
    try:
        cm = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {str(path)!r} as a .npy array ({exc}).") from exc
    if cm.shape != (len(CM_LEVELS), len(CM_LABELS), len(CM_LABELS)):
        raise DataError(
            f"{path.name} has shape {cm.shape}; expected (8, 8, 8) (levels × true × predicted)."
        )
    if (cm < 0).any():
        raise DataError(f"{path.name} holds negative counts; a confusion matrix counts items.")
    return cm.astype(np.int64)


def confusion_sidecar(table_path: str | Path) -> Path:
    """Where ``colearn import-original`` copies ``cm_res.npy`` beside the table it writes.

    A tidy table has no room for confusion matrices, so the importer keeps the authors' Figure 4
    data in a file next to the table (``t.csv`` → ``t.cm_res.npy``) and the report finds it there.

    Examples
    --------
    >>> confusion_sidecar("out/t.csv").as_posix()
    'out/t.cm_res.npy'
    """
    path = Path(table_path)
    return path.with_name(f"{path.stem}.cm_res.npy")
