"""Results store: schema, claim/complete atomicity, crashes, failures, concurrent writers, tidy view."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.tidy import TIDY_COLUMNS, read_table
from colearn.errors import StoreError
from repro.runs.ids import RunSpec
from repro.runs.store import SCHEMA_VERSION, ResultsStore

ROOT = Path(__file__).resolve().parents[1]


def spec(i: int, arm: str = "multimodal", setting: str = "default") -> RunSpec:
    level = None if arm == "unimodal" else 0.5
    return RunSpec("tiny", setting, arm, level, i, f"run{i:03d}{arm[0]}", json.dumps({"i": i}))


def result(value: float = 0.5, n_test: int = 4) -> SimpleNamespace:
    return SimpleNamespace(
        metrics={
            "primary": {"accuracy": value, "loss": 1.0},
            "all": {"accuracy": 0.9, "loss": 0.2},
        },
        n_test=n_test,
        test_index=np.arange(n_test),
        predictions={"primary": np.array([0, 1, 1, 0]), "all": np.array([1, 1, 1, 0])},
        confusion={"primary": np.eye(2, dtype=int), "all": np.eye(2, dtype=int)},
        history=[{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.1, "lr": 0.01}],
        best_epoch=1,
        duration_s=0.1,
        device="cpu",
    )


def count(path: Path, sql: str):
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def test_schema_and_metadata(tmp_path):
    path = tmp_path / "deep" / "s.sqlite"
    with ResultsStore(path, "tiny") as store:
        assert store.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    meta = dict(count(path, "SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(SCHEMA_VERSION) and meta["study"] == "tiny"
    assert "colearn_version" in meta
    tables = {r[0] for r in count(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "run_settings", "metrics", "predictions", "confusion", "history"} <= tables
    with sqlite3.connect(path) as con:
        cols = [d[0] for d in con.execute("SELECT * FROM tidy").description]
    assert tuple(cols) == TIDY_COLUMNS


def test_claim_complete_roundtrip_and_tidy_types(tmp_path):
    path = tmp_path / "s.sqlite"
    runs = [spec(0, "unimodal", "a"), spec(0), spec(1, setting="b")]
    with ResultsStore(path, "tiny") as store:
        store.add_memberships(
            {runs[0].run_id: ["a", "b"], runs[1].run_id: ["a"], runs[2].run_id: ["b"]}
        )
        for s in runs:
            assert store.claim(s, config={"epochs": 2})
            assert store.complete(
                s.run_id, result(), {"versions": {"torch": "x"}, "git_commit": "abc"}
            )
        assert set(store.statuses().values()) == {"done"}
    table = read_table(path)
    # 3 runs, 2 conditions x 2 metrics, the shared baseline under both settings
    assert len(table) == 4 * 4
    base = table[table.arm == "unimodal"]
    assert sorted(base.setting.unique()) == ["a", "b"] and base.level.isna().all()
    assert table.paired.dtype == bool and table.paired.all()
    assert table.seed.dtype == np.int64 and (table.n_test == 4).all()
    row = count(path, "SELECT versions_json, git_commit, config_json, n_test FROM runs LIMIT 1")[0]
    assert json.loads(row[0]) == {"torch": "x"} and row[1] == "abc" and json.loads(row[2])
    pred = count(
        path, "SELECT test_index, \"values\" FROM predictions WHERE condition='all' LIMIT 1"
    )
    assert json.loads(pred[0][1]) == [1, 1, 1, 0] and json.loads(pred[0][0]) == [0, 1, 2, 3]
    assert count(path, "SELECT matrix_json FROM confusion LIMIT 1")[0][0] == "[[1, 0], [0, 1]]"
    assert count(path, "SELECT epoch, lr FROM history") == [(1, 0.01)] * 3


def test_a_claimed_run_is_not_claimed_twice(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, "tiny") as one, ResultsStore(path, "tiny") as two:
        assert one.claim(spec(0))
        assert not two.claim(spec(0))  # same host, owner alive
        assert not two.complete(spec(0).run_id, result())  # not its claim
        assert one.complete(spec(0).run_id, result())
        assert not two.claim(spec(0))  # done
        assert not two.claim(spec(0), retry_failed=True)


def test_a_failure_inside_completion_writes_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    broken = result()
    broken.history = [{"epoch": 1, "train_loss": 1.0}, {"train_loss": 2.0}]  # no epoch: KeyError
    with ResultsStore(path, "tiny") as store:
        store.claim(spec(0))
        with pytest.raises(KeyError):
            store.complete(spec(0).run_id, broken)
        assert store.statuses() == {spec(0).run_id: "running"}
    for table in ("metrics", "predictions", "confusion", "history"):
        assert count(path, f"SELECT COUNT(*) FROM {table}") == [(0,)]


CRASH = """
import os, signal, sys, json
sys.path.insert(0, {root!r})
from repro.runs.ids import RunSpec
from repro.runs.store import ResultsStore
store = ResultsStore({path!r}, "tiny")
store.claim(RunSpec("tiny", "default", "multimodal", 0.5, 0, "run000m", "{{}}"))
os.kill(os.getpid(), signal.SIGKILL)   # dies between claim and completion
"""


def test_a_crash_between_claim_and_completion_is_reclaimed(tmp_path):
    path = tmp_path / "s.sqlite"
    code = textwrap.dedent(CRASH.format(root=str(ROOT), path=str(path)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert count(path, "SELECT run_id, status FROM runs") == [("run000m", "running")]
    with ResultsStore(path, "tiny") as store:
        store.add_memberships({"run000m": ["default"]})
        assert store.tidy().empty  # a half run is never in the results
        assert store.statuses() == {"run000m": "stale"}
        assert store.claim(spec(0))
        assert store.complete("run000m", result())
    assert count(path, "SELECT COUNT(*), MIN(status) FROM runs") == [(1, "done")]
    assert len(read_table(path)) == 4


def test_failures_keep_their_error_and_are_retried_only_when_asked(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, "tiny") as store:
        store.add_memberships({spec(0).run_id: ["default"]})
        store.claim(spec(0))
        assert store.fail(spec(0).run_id, "RuntimeError: boom", 1.5)
        assert store.statuses() == {spec(0).run_id: "failed"}
        assert store.tidy().empty
        assert not store.claim(spec(0))
        assert store.claim(spec(0), retry_failed=True)
        store.complete(spec(0).run_id, result())
    assert count(path, "SELECT status, error FROM runs") == [("done", None)]


def test_release_gives_back_only_own_unfinished_claims(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, "tiny") as one, ResultsStore(path, "tiny") as two:
        one.claim(spec(0))
        one.claim(spec(1))
        one.complete(spec(1).run_id, result())
        two.claim(spec(2))
        assert one.release([spec(0).run_id, spec(1).run_id, spec(2).run_id]) == 1
        assert one.statuses() == {spec(1).run_id: "done", spec(2).run_id: "running"}


def test_bad_store_files_are_refused_untouched(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_bytes(b"these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not a SQLite file"):
        ResultsStore(text, "tiny")
    assert text.read_bytes() == b"these are my notes, not a database\n"
    other = tmp_path / "other.sqlite"
    with ResultsStore(other, "synthetic") as store:
        store.claim(spec(0))
        store.complete(spec(0).run_id, result())
    before = count(other, "SELECT COUNT(*) FROM metrics")
    with pytest.raises(StoreError, match="holds study 'synthetic', not 'tiny'"):
        ResultsStore(other, "tiny")
    assert count(other, "SELECT COUNT(*) FROM metrics") == before
    plain = tmp_path / "plain.sqlite"
    with sqlite3.connect(plain) as con:
        con.execute("CREATE TABLE x (a)")
    with pytest.raises(StoreError, match="not a colearn results store"):
        ResultsStore(plain, "tiny", readonly=True)
    with pytest.raises(StoreError, match="does not exist"):
        ResultsStore(tmp_path / "none.sqlite", "tiny", readonly=True)
    with pytest.raises(StoreError, match="is a folder"):
        ResultsStore(tmp_path, "tiny")


WRITER = """
import sys, json, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from test_store import spec, result
from repro.runs.store import ResultsStore
store = ResultsStore({path!r}, "tiny")
won = []
for i in range({n}):
    s = spec(i)
    store.add_memberships({{s.run_id: ["default"]}})
    if store.claim(s):
        time.sleep(0.01)
        assert store.complete(s.run_id, result(value=i / 100))
        won.append(s.run_id)
print(json.dumps(won))
"""


def test_concurrent_writers_never_duplicate(tmp_path):
    path = tmp_path / "s.sqlite"
    n, writers = 30, 4
    code = textwrap.dedent(
        WRITER.format(root=str(ROOT), tests=str(ROOT / "tests"), path=str(path), n=n)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(writers)
    ]
    won = [json.loads(p.communicate()[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    claimed = [r for w in won for r in w]
    assert len(claimed) == len(set(claimed)) == n  # every run trained exactly once
    assert count(path, "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs") == [(n, n)]
    assert count(path, "SELECT COUNT(*) FROM metrics") == [(n * 4,)]
    table = read_table(path)
    assert len(table) == n * 4 and not table.duplicated(["run_id", "condition", "metric"]).any()
