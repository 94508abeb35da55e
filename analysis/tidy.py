"""The tidy results table: its columns, its validation, and reading and writing it.

One row per (run, condition, metric).  Every source of results (the SQLite store, a CSV or
Parquet export, the importer for the authors' released files) yields this table, and every
analysis function takes it.

Columns (:data:`TIDY_COLUMNS`):

- ``study`` (str): study name.
- ``setting`` (str): protocol variant; ``default`` when the study has one.
- ``run_id`` (str): stable id of the run.
- ``arm`` (str): ``multimodal`` or ``unimodal``.
- ``level`` (float): dropout level of the multimodal arm; NaN for the unimodal arm.
- ``seed`` (int): seed index (the replication unit).
- ``paired`` (bool): whether arms at one seed index share initialisation and data order.
- ``condition`` (str): evaluation condition, e.g. ``primary`` or ``all``.
- ``metric`` (str): metric name, e.g. ``accuracy``.
- ``value`` (float): the metric's value.
- ``n_test`` (int): test-set size (may be missing).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from colearn.errors import ConfigError, DataError
from colearn.files import check_name, write_atomic

__all__ = [
    "TIDY_COLUMNS",
    "ARMS",
    "validate_tidy",
    "read_table",
    "write_table",
    "higher_is_better",
    "select",
]

TIDY_COLUMNS: tuple[str, ...] = (
    "study",
    "setting",
    "run_id",
    "arm",
    "level",
    "seed",
    "paired",
    "condition",
    "metric",
    "value",
    "n_test",
)

ARMS: tuple[str, ...] = ("multimodal", "unimodal")

_HIGHER = ("accuracy", "acc", "f1", "acc2", "acc7", "corr", "pearson", "auc", "r2")
_LOWER = ("loss", "mae", "mse", "rmse", "error")

_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


def _to_bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    out = []
    for value in series:
        if isinstance(value, (bool, np.bool_)):
            out.append(bool(value))
            continue
        text = str(value).strip().lower()
        if text in _TRUE:
            out.append(True)
        elif text in _FALSE:
            out.append(False)
        else:
            raise DataError(
                f"the 'paired' column holds {value!r}, but it must be true or false in every row."
            )
    return pd.Series(out, index=series.index, dtype=bool)


def validate_tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Check a table against the tidy contract and return it with normalised dtypes.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with (at least) the columns of :data:`TIDY_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        A copy holding exactly the tidy columns in contract order: ``study``, ``setting``,
        ``run_id``, ``arm``, ``condition``, ``metric`` as str; ``level`` and ``value`` as float;
        ``seed`` as int; ``paired`` as bool; ``n_test`` as nullable int.

    Raises
    ------
    DataError
        When a column is missing, an arm is unknown, a multimodal row has no level, a value is not
        a number, a seed is not an integer, or a study or setting name cannot be a file name
        (see :func:`colearn.files.is_safe_name`).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"study": "s", "setting": "default", "run_id": ["a", "b"],
    ...     "arm": ["multimodal", "unimodal"], "level": [0.5, None], "seed": [0, 0],
    ...     "paired": True, "condition": "primary", "metric": "accuracy",
    ...     "value": [0.5, 0.4], "n_test": 100})
    >>> validate_tidy(t).dtypes["level"]
    dtype('float64')
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in TIDY_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the table lacks the column(s) {', '.join(missing)}; a tidy table needs "
            f"{', '.join(TIDY_COLUMNS)}."
        )
    out = df.loc[:, list(TIDY_COLUMNS)].copy()
    for col in ("study", "setting", "run_id", "arm", "condition", "metric"):
        if out[col].isna().any():
            raise DataError(f"the column '{col}' has empty cells; every row needs a {col}.")
        out[col] = out[col].astype(str)
    # Study and setting names become file and folder names of exports, reports and figures.
    for col in ("study", "setting"):
        for name in out[col].unique():
            check_name(name, f"the table's {col} name", DataError)
    bad_arms = sorted(set(out["arm"]) - set(ARMS))
    if bad_arms:
        raise DataError(
            f"unknown arm(s) {', '.join(map(repr, bad_arms))}; valid arms are multimodal, unimodal."
        )
    for col in ("level", "value"):
        converted = pd.to_numeric(out[col], errors="coerce")
        bad = out[col][converted.isna() & out[col].notna()]
        if len(bad):
            raise DataError(f"the column '{col}' holds {bad.iloc[0]!r}, which is not a number.")
        out[col] = converted.astype(float)
    multi = out["arm"] == "multimodal"
    if out.loc[multi, "level"].isna().any():
        raise DataError("a multimodal row has no level; multimodal rows need a dropout level.")
    out.loc[~multi, "level"] = np.nan
    seeds = pd.to_numeric(out["seed"], errors="coerce")
    if seeds.isna().any() or not np.all(np.mod(seeds, 1) == 0):
        bad = out["seed"][seeds.isna() | (np.mod(seeds.fillna(0), 1) != 0)].iloc[0]
        raise DataError(f"the column 'seed' holds {bad!r}; seeds must be integers.")
    out["seed"] = seeds.astype(np.int64)
    out["paired"] = _to_bool(out["paired"])
    out["n_test"] = pd.to_numeric(out["n_test"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a tidy table from a CSV or Parquet file or from a SQLite results store.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.parquet``/``.pq``, or a results store ``.sqlite``/``.db`` (read through its
        ``tidy`` view).

    Returns
    -------
    pandas.DataFrame
        The validated tidy table (columns of :data:`TIDY_COLUMNS`, see :func:`validate_tidy`).

    Raises
    ------
    ConfigError
        When the file does not exist or its suffix is not one of the above.
    DataError
        When the file cannot be parsed or is not a tidy table.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"the results table {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif suffix in (".sqlite", ".db", ".sqlite3"):
            # a URI built by pathlib quotes '?' and '#' in the file name
            with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as con:
                df = pd.read_sql_query("SELECT * FROM tidy", con)
        else:
            raise ConfigError(
                f"cannot read {str(path)!r}: the suffix {suffix!r} is not one of .csv, .parquet, "
                ".sqlite, .db."
            )
    except (ValueError, OSError, sqlite3.Error, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read the results table {str(path)!r} ({exc}).") from exc
    return validate_tidy(df)


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a tidy table to ``.csv`` or ``.parquet`` (format from the suffix), atomically.

    The table goes to a temporary file beside ``path`` that replaces ``path`` only once it is
    complete, so a failure or a kill leaves the previous file intact.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy table; it is validated first.
    path : str or pathlib.Path
        Output file; its suffix chooses the format.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ConfigError
        When the suffix is neither ``.csv`` nor ``.parquet``, ``path`` is a folder, or its folder
        cannot be made or written.
    """
    path = Path(path)
    table = validate_tidy(df)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ConfigError(
            f"cannot write {str(path)!r}: the suffix {suffix!r} is not one of .csv, .parquet."
        )
    if path.is_dir():
        raise ConfigError(f"cannot write {str(path)!r}: it is a folder; name a file.")

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_parquet(tmp, index=False)

    try:
        return write_atomic(path, write)
    except (NotADirectoryError, FileExistsError) as exc:
        raise ConfigError(
            f"cannot write {str(path)!r}: a folder on its path is a file ({exc.strerror})."
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ConfigError(f"cannot write {str(path)!r}: {exc.strerror or exc}.") from None


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better, judged from its name.

    Parameters
    ----------
    metric : str
        Metric name such as ``accuracy``, ``f1_paper``, ``acc2_non0``, ``corr``, ``loss``, ``mae``.

    Returns
    -------
    bool
        True for accuracy-like metrics, False for losses and errors.

    Raises
    ------
    ConfigError
        When the name matches neither family; pass ``higher_is_better`` explicitly then.

    Examples
    --------
    >>> higher_is_better("accuracy"), higher_is_better("mae"), higher_is_better("f1_weighted")
    (True, False, True)
    """
    name = metric.lower()
    if name.startswith(_LOWER) or name.endswith(_LOWER):
        return False
    if name.startswith(_HIGHER):
        return True
    raise ConfigError(
        f"cannot tell whether higher {metric!r} is better; pass higher_is_better=True or False."
    )


def select(
    table: pd.DataFrame,
    metric: str,
    condition: str = "primary",
    setting: str | None = None,
) -> pd.DataFrame:
    """Rows of one metric and condition (and optionally one setting) of a tidy table.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition : str
        Metric and evaluation condition to keep.
    setting : str, optional
        Setting to keep; all settings when None.

    Returns
    -------
    pandas.DataFrame
        The validated matching rows (tidy columns).

    Raises
    ------
    ConfigError
        When nothing matches; the message lists what the table holds.
    """
    table = validate_tidy(table)
    for col, want in (("metric", metric), ("condition", condition), ("setting", setting)):
        if want is None:
            continue
        have = sorted(table[col].unique())
        if want not in have:
            raise ConfigError(
                f"the table has no {col} {want!r}; it has {', '.join(map(repr, have))}."
            )
        table = table[table[col] == want]
    return table.reset_index(drop=True)
