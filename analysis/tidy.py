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
    "analysable",
    "baseline_rows",
    "settings_of",
    "reference_setting",
    "level_rows",
    "read_tidy_view",
    "design_paired",
    "TABLE_SUFFIXES",
    "STORE_SUFFIXES",
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
        elif suffix in STORE_SUFFIXES:
            # a URI built by pathlib quotes '?' and '#' in the file name
            with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as con:
                return read_tidy_view(con)
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
    if suffix not in TABLE_SUFFIXES:
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


#: Suffixes of tidy table files and of results stores; the command line's resolver uses these.
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq")
STORE_SUFFIXES: tuple[str, ...] = (".sqlite", ".db", ".sqlite3")


def read_tidy_view(con: sqlite3.Connection) -> pd.DataFrame:
    """Read the ``tidy`` view of an open results store: the one reader of that contract.

    The store (:mod:`repro.runs.store`) defines the view; this function is how both the store
    and :func:`read_table` read it, so the row order and the validation are the same everywhere.

    Parameters
    ----------
    con : sqlite3.Connection
        An open connection to a results store.

    Returns
    -------
    pandas.DataFrame
        The validated tidy table of the store's done runs, sorted by setting, arm, level, seed,
        condition and metric.
    """
    df = pd.read_sql_query(
        "SELECT * FROM tidy ORDER BY setting, arm, level, seed, condition, metric", con
    )
    return validate_tidy(df)


def analysable(
    table: pd.DataFrame, metric: str, condition: str = "primary"
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of one metric and condition that a test can use, and what was left out.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition : str
        What to analyse.

    Returns
    -------
    rows : pandas.DataFrame
        The matching rows with a finite ``value`` (see :func:`select`).
    notes : list of str
        One plain sentence per group of rows left out because their value is missing (NaN).

    Raises
    ------
    ConfigError
        When the metric or condition is not in the table.
    DataError
        When a value is infinite (no metric colearn records can be), or no row has a value.
    """
    rows = select(table, metric, condition)
    infinite = rows[np.isinf(rows["value"])]
    if len(infinite):
        r = infinite.iloc[0]
        raise DataError(
            f"run {r['run_id']} has an infinite {metric} ({r['value']}); values must be finite "
            "numbers (NaN marks a missing value)."
        )
    missing = rows[rows["value"].isna()]
    notes = [
        f"{len(group)} {metric} value(s) of {_group_name(arm, setting, level)} are missing (NaN) "
        f"and were left out: seed(s) {', '.join(map(str, sorted(group['seed'])))}."
        for (arm, setting, level), group in missing.groupby(
            ["arm", "setting", "level"], dropna=False, sort=True
        )
    ]
    rows = rows[rows["value"].notna()].reset_index(drop=True)
    if rows.empty:
        raise DataError(f"every {metric!r}/{condition!r} value in the table is missing (NaN).")
    return rows, notes


def _group_name(arm: str, setting: str, level: float) -> str:
    if arm == "unimodal":
        return f"the unimodal baseline ({setting})"
    return f"setting {setting}, level {level:g}"


def baseline_rows(rows: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Unimodal rows for ``setting``: its own, or the study's shared ones when it has none.

    Settings that differ only in the dropout switches share one baseline (the unimodal arm never
    drops anything), which the store records under one of them; ``run_id`` removes the copies.
    """
    uni = rows[rows["arm"] == "unimodal"]
    own = uni[uni["setting"] == setting]
    if len(own):
        return own
    return uni.drop_duplicates("run_id")


def settings_of(rows: pd.DataFrame, setting: str | None = None) -> list[str]:
    """The settings with multimodal rows, or ``[setting]`` after checking that it is one of them.

    Raises
    ------
    ConfigError
        When ``setting`` is given but has no multimodal rows.
    DataError
        When the rows hold no multimodal arm at all.
    """
    names = sorted(rows.loc[rows["arm"] == "multimodal", "setting"].unique())
    if setting is not None:
        if setting not in names:
            raise ConfigError(
                f"the table has no multimodal rows for setting {setting!r}; it has "
                f"{', '.join(map(repr, names)) or 'none'}."
            )
        return [setting]
    if not names:
        raise DataError("the table has no multimodal rows to analyse.")
    return names


def reference_setting(rows: pd.DataFrame, reference: str | None = None) -> str:
    """The setting other settings are compared with: ``reference`` when given (it must have
    multimodal rows), else ``default`` when the table has it, else the first setting by name.

    Examples
    --------
    >>> t = pd.DataFrame({"arm": "multimodal", "setting": ["shared", "independent"]})
    >>> reference_setting(t), reference_setting(t, "shared")
    ('independent', 'shared')
    """
    names = settings_of(rows)
    if reference is not None:
        return settings_of(rows, reference)[0]
    return "default" if "default" in names else names[0]


def level_rows(rows: pd.DataFrame, setting: str, level: float | None = None) -> pd.DataFrame:
    """Multimodal rows of one setting (and one level, matched to floating-point precision).

    Raises
    ------
    ConfigError
        When the setting has no such level; the message lists the levels it has.
    """
    out = rows[(rows["arm"] == "multimodal") & (rows["setting"] == setting)]
    if level is None:
        return out
    hit = out[np.isclose(out["level"], level)]
    if hit.empty:
        have = sorted(out["level"].unique())
        raise ConfigError(
            f"setting {setting!r} has no level {level:g}; its levels are "
            f"{', '.join(f'{v:g}' for v in have) or 'none'}."
        )
    return hit


def design_paired(rows: pd.DataFrame, paired: bool | None, messages: list[str]) -> bool:
    """The pairing to analyse with: the table's ``paired`` flag unless ``paired`` overrides it.

    Asking for a paired analysis of a table marked unpaired appends a warning to ``messages``:
    the paired p-values assume arms that share initialisation and data order.
    """
    marked = bool(rows["paired"].all())
    if paired is None:
        return marked
    if paired and not marked:
        messages.append(
            "a paired analysis was requested but the table marks its design as unpaired "
            "(arms do not share initialisation or data order); the paired p-values assume they do."
        )
    return bool(paired)
