"""The tidy table contract: validation, reading and writing."""

import sqlite3

import pandas as pd
import pytest

from analysis.simulate import null_table
from analysis.tidy import TIDY_COLUMNS, higher_is_better, read_table, validate_tidy, write_table
from colearn.errors import ConfigError, DataError


def test_roundtrip_csv_parquet(tmp_path):
    t = null_table(3, (0.0, 0.5), seed=0)
    for suffix in (".csv", ".parquet"):
        back = read_table(write_table(t, tmp_path / f"t{suffix}"))
        assert list(back.columns) == list(TIDY_COLUMNS)
        pd.testing.assert_series_equal(back["value"], validate_tidy(t)["value"])
        assert back["level"].isna().sum() == 3


def test_sqlite_store_view(tmp_path):
    t = validate_tidy(null_table(2, (0.0,), seed=0))
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as con:
        t.astype({"n_test": "float"}).to_sql("runs", con, index=False)
        con.execute("CREATE VIEW tidy AS SELECT * FROM runs")
    back = read_table(path)
    assert len(back) == len(t) and back["paired"].dtype == bool


def test_validation_errors(tmp_path):
    t = null_table(2, (0.0,), seed=0)
    with pytest.raises(DataError, match="lacks the column"):
        validate_tidy(t.drop(columns="seed"))
    with pytest.raises(DataError, match="unknown arm"):
        validate_tidy(t.assign(arm="both"))
    with pytest.raises(DataError, match="not a number"):
        validate_tidy(t.assign(value="x"))
    with pytest.raises(DataError, match="'paired'"):
        validate_tidy(t.assign(paired="maybe"))
    with pytest.raises(ConfigError, match="does not exist"):
        read_table(tmp_path / "none.csv")
    with pytest.raises(ConfigError, match="suffix"):
        write_table(t, tmp_path / "t.xlsx")


def test_direction():
    assert higher_is_better("accuracy") and higher_is_better("acc2_non0")
    assert not higher_is_better("mae") and not higher_is_better("loss")
    with pytest.raises(ConfigError):
        higher_is_better("weirdness")
