"""The results store: one SQLite file per study, safe against crashes and concurrent sweeps.

A run's row is written when the run is *claimed* (status ``running``, in a ``BEGIN IMMEDIATE``
transaction, only if the run is absent, failed and retried, or left ``running`` by a dead process)
and *completed* in one transaction with all its results (metrics, test predictions, confusion
matrices, per-epoch history).  A sweep killed at any moment therefore leaves no half-written run:
at worst a ``running`` row whose owner is dead, which the next sweep reclaims.

Tables (schema version :data:`SCHEMA_VERSION`)::

    meta(key PK, value)                       schema_version, study, colearn version, created_at
    runs(run_id PK, study, setting, arm, level, seed, paired, status, config_json, identity_json,
         error, device, duration_s, n_test, best_epoch, versions_json, git_commit, host, pid,
         claim_token, claimed_at, finished_at)
    run_settings(run_id, setting)             a shared baseline belongs to several settings
    metrics(run_id, condition, metric, value)
    predictions(run_id, condition, test_index, "values")   JSON lists
    confusion(run_id, condition, matrix_json)
    history(run_id, epoch, train_loss, valid_loss, lr)
    VIEW tidy                                 the tidy table of analysis.tidy, done runs only

The store never imports torch; it takes results as plain objects (``repro.training.train.RunResult``).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from colearn.errors import StoreError
from repro import __version__

__all__ = ["SCHEMA_VERSION", "STATUSES", "ResultsStore", "default_store_path"]

SCHEMA_VERSION = 1
STATUSES = ("running", "done", "failed")
_SQLITE_MAGIC = b"SQLite format 3\x00"
# A run claimed on another host (or by a live-looking pid here) is abandoned after this many hours.
STALE_HOURS = 24.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, study TEXT NOT NULL, setting TEXT NOT NULL, arm TEXT NOT NULL,
    level REAL, seed INTEGER NOT NULL, paired INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    config_json TEXT, identity_json TEXT, error TEXT, device TEXT, duration_s REAL,
    n_test INTEGER, best_epoch INTEGER, versions_json TEXT, git_commit TEXT, host TEXT,
    pid INTEGER, claim_token TEXT, claimed_at REAL, finished_at REAL);
CREATE TABLE IF NOT EXISTS run_settings (
    run_id TEXT NOT NULL, setting TEXT NOT NULL, PRIMARY KEY (run_id, setting));
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, condition TEXT NOT NULL, metric TEXT NOT NULL, value REAL,
    PRIMARY KEY (run_id, condition, metric));
CREATE TABLE IF NOT EXISTS predictions (
    run_id TEXT NOT NULL, condition TEXT NOT NULL, test_index TEXT NOT NULL,
    "values" TEXT NOT NULL, PRIMARY KEY (run_id, condition));
CREATE TABLE IF NOT EXISTS confusion (
    run_id TEXT NOT NULL, condition TEXT NOT NULL, matrix_json TEXT NOT NULL,
    PRIMARY KEY (run_id, condition));
CREATE TABLE IF NOT EXISTS history (
    run_id TEXT NOT NULL, epoch INTEGER NOT NULL, train_loss REAL, valid_loss REAL, lr REAL,
    PRIMARY KEY (run_id, epoch));
CREATE VIEW IF NOT EXISTS tidy AS
    SELECT r.study AS study, s.setting AS setting, r.run_id AS run_id, r.arm AS arm,
           r.level AS level, r.seed AS seed, r.paired AS paired, m.condition AS condition,
           m.metric AS metric, m.value AS value, r.n_test AS n_test
    FROM runs AS r
    JOIN run_settings AS s ON s.run_id = r.run_id
    JOIN metrics AS m ON m.run_id = r.run_id
    WHERE r.status = 'done';
"""
_RESULT_TABLES = ("metrics", "predictions", "confusion", "history")


def default_store_path(study_name: str) -> Path:
    """``results/<study>.sqlite`` relative to the current directory."""
    return Path("results") / f"{study_name}.sqlite"


class ResultsStore:
    """A study's results store (one SQLite file; WAL mode; safe for several sweeps at once).

    Parameters
    ----------
    path : str or pathlib.Path
        The SQLite file; created with its folder unless ``readonly``.
    study : str
        Name of the study the store holds; a store of another study is refused.
    readonly : bool
        Open an existing store for reading only (``status``, ``export``).

    Raises
    ------
    StoreError
        When the file is not a SQLite database, holds another study or another schema version,
        or (``readonly``) does not exist.
    """

    def __init__(self, path: str | Path, study: str, readonly: bool = False) -> None:
        self.path = Path(path)
        self.study = study
        self.readonly = readonly
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.token = uuid.uuid4().hex
        _check_is_sqlite(self.path, must_exist=readonly)
        try:
            if readonly:
                self.con = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, timeout=60, isolation_level=None
                )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                self.con.execute("PRAGMA journal_mode=WAL")
                self.con.execute("PRAGMA synchronous=NORMAL")
            self.con.execute("PRAGMA busy_timeout=60000")
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open results store '{self.path}': {exc}.") from None

    # -- opening ---------------------------------------------------------------------------

    def _init_schema(self) -> None:
        if not self.readonly:
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.con.execute(statement)
                meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
                if not meta:
                    now = str(time.time())
                    self.con.executemany(
                        "INSERT INTO meta VALUES (?, ?)",
                        [
                            ("schema_version", str(SCHEMA_VERSION)),
                            ("study", self.study),
                            ("colearn_version", __version__),
                            ("created_at", now),
                        ],
                    )
        try:
            meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:
            raise StoreError(
                f"'{self.path}' is a SQLite file but not a colearn results store."
            ) from None
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise StoreError(
                f"results store '{self.path}' has schema version {meta.get('schema_version')}; "
                f"this colearn reads version {SCHEMA_VERSION}."
            )
        if meta.get("study") != self.study:
            raise StoreError(
                f"results store '{self.path}' holds study '{meta.get('study')}', not "
                f"'{self.study}'; pass another --store."
            )

    def _transaction(self):
        return _Transaction(self.con)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """``{run_id: status}`` of every run with a row; stale ``running`` rows read ``stale``."""
        out = {}
        now = time.time()
        rows = self.con.execute("SELECT run_id, status, host, pid, claimed_at FROM runs")
        for run_id, status, host, pid, claimed_at in rows:
            if status == "running" and self._abandoned(host, pid, claimed_at, now):
                status = "stale"
            out[run_id] = status
        return out

    def run_rows(self) -> pd.DataFrame:
        """The ``runs`` table as a DataFrame (one row per stored run)."""
        return pd.read_sql_query("SELECT * FROM runs ORDER BY seed, setting, arm, level", self.con)

    def tidy(self) -> pd.DataFrame:
        """The tidy table of the done runs, read by :func:`analysis.tidy.read_tidy_view`."""
        from analysis.tidy import read_tidy_view

        return read_tidy_view(self.con)

    def confusion_rows(self, condition: str = "primary") -> pd.DataFrame:
        """Confusion matrices of the done multimodal runs under ``condition``.

        Returns
        -------
        pandas.DataFrame
            One row per (run, setting): ``setting``, ``level``, ``seed``, ``matrix`` (a
            ``numpy.ndarray`` of counts, rows true labels).
        """
        rows = pd.read_sql_query(
            "SELECT s.setting, r.level, r.seed, c.matrix_json FROM runs r "
            "JOIN confusion c ON c.run_id = r.run_id JOIN run_settings s ON s.run_id = r.run_id "
            "WHERE r.status = 'done' AND r.arm = 'multimodal' AND c.condition = ? "
            "ORDER BY s.setting, r.level, r.seed",
            self.con,
            params=(condition,),
        )
        rows["matrix"] = [np.asarray(json.loads(m)) for m in rows.pop("matrix_json")]
        return rows

    def compute_summary(self) -> dict:
        """Runs, summed wall time, devices, library versions and git commits of the store.

        Returns
        -------
        dict
            ``runs`` (``"N done, M failed"``), ``wall_time_s``, ``device``, ``git commit``,
            ``versions`` (library → version of the latest done run).
        """
        runs = self.run_rows()
        done = runs[runs["status"] == "done"]
        versions = json.loads(done["versions_json"].dropna().iloc[-1]) if len(done) else {}
        commits = done["git_commit"].dropna().unique()
        return {
            "runs": f"{len(done)} done, {int((runs['status'] == 'failed').sum())} failed",
            "wall_time_s": float(done["duration_s"].sum()),
            "device": ", ".join(sorted(map(str, done["device"].dropna().unique()))) or "unknown",
            "git commit": ", ".join(c[:10] for c in commits) or "unknown",
            "versions": {k: v for k, v in versions.items() if v},
        }

    # -- writing ---------------------------------------------------------------------------

    def add_memberships(self, settings: dict[str, Iterable[str]]) -> None:
        """Record which settings each run belongs to (``{run_id: settings}``; idempotent)."""
        rows = [(run_id, s) for run_id, names in settings.items() for s in names]
        with self._transaction():
            self.con.executemany("INSERT OR IGNORE INTO run_settings VALUES (?, ?)", rows)

    def claim(self, spec: Any, retry_failed: bool = False, config: dict | None = None) -> bool:
        """Mark a run ``running`` for this process if nobody else holds or finished it.

        Parameters
        ----------
        spec : repro.runs.ids.RunSpec
            The run to claim.
        retry_failed : bool
            Also claim a run stored as ``failed``.
        config : dict, optional
            The run's configuration, stored as JSON.

        Returns
        -------
        bool
            True when this process now owns the run.
        """
        now = time.time()
        with self._transaction():
            row = self.con.execute(
                "SELECT status, host, pid, claimed_at FROM runs WHERE run_id = ?", (spec.run_id,)
            ).fetchone()
            if row is not None:
                status, host, pid, claimed_at = row
                free = (status == "failed" and retry_failed) or (
                    status == "running" and self._abandoned(host, pid, claimed_at, now)
                )
                if not free:
                    return False
                self._delete_results(spec.run_id)
                self.con.execute("DELETE FROM runs WHERE run_id = ?", (spec.run_id,))
            self.con.execute(
                "INSERT INTO runs (run_id, study, setting, arm, level, seed, paired, status, "
                "config_json, identity_json, host, pid, claim_token, claimed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    spec.run_id,
                    spec.study,
                    spec.setting,
                    spec.arm,
                    spec.level,
                    spec.seed,
                    json.dumps(config, sort_keys=True, default=str) if config else None,
                    spec.identity_json,
                    self.host,
                    self.pid,
                    self.token,
                    now,
                ),
            )
        return True

    def complete(self, run_id: str, result: Any, provenance: dict | None = None) -> bool:
        """Write a claimed run's results and mark it ``done``, all in one transaction.

        Parameters
        ----------
        run_id : str
        result : repro.training.train.RunResult
        provenance : dict, optional
            ``versions`` (dict) and ``git_commit`` (str) of the code that ran it.

        Returns
        -------
        bool
            False when this process no longer owns the claim (then nothing is written).
        """
        prov = provenance or {}
        with self._transaction():
            if not self._owns(run_id):
                return False
            self._delete_results(run_id)
            self.con.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?)",
                [
                    (run_id, cond, name, _float(value))
                    for cond, values in result.metrics.items()
                    for name, value in values.items()
                ],
            )
            index = json.dumps(np.asarray(result.test_index).tolist())
            self.con.executemany(
                'INSERT INTO predictions (run_id, condition, test_index, "values") '
                "VALUES (?, ?, ?, ?)",
                [
                    (run_id, cond, index, json.dumps(np.asarray(pred).tolist()))
                    for cond, pred in result.predictions.items()
                ],
            )
            self.con.executemany(
                "INSERT INTO confusion VALUES (?, ?, ?)",
                [
                    (run_id, cond, json.dumps(np.asarray(cm).tolist()))
                    for cond, cm in result.confusion.items()
                ],
            )
            self.con.executemany(
                "INSERT INTO history VALUES (?, ?, ?, ?, ?)",
                [
                    (run_id, int(h["epoch"]), _float(h.get("train_loss")),
                     _float(h.get("valid_loss")), _float(h.get("lr")))
                    for h in result.history
                ],
            )  # fmt: skip
            self.con.execute(
                "UPDATE runs SET status = 'done', error = NULL, device = ?, duration_s = ?, "
                "n_test = ?, best_epoch = ?, versions_json = ?, git_commit = ?, finished_at = ? "
                "WHERE run_id = ?",
                (
                    result.device,
                    float(result.duration_s),
                    int(result.n_test),
                    int(result.best_epoch),
                    json.dumps(prov.get("versions", {}), sort_keys=True),
                    prov.get("git_commit"),
                    time.time(),
                    run_id,
                ),
            )
        return True

    def fail(self, run_id: str, error: str, duration_s: float | None = None) -> bool:
        """Mark a claimed run ``failed`` and keep its error text (never counted as done)."""
        with self._transaction():
            if not self._owns(run_id):
                return False
            self.con.execute(
                "UPDATE runs SET status = 'failed', error = ?, duration_s = ?, finished_at = ? "
                "WHERE run_id = ?",
                (error, duration_s, time.time(), run_id),
            )
        return True

    def release(self, run_ids: Iterable[str]) -> int:
        """Give back claims this process holds but did not finish (they become pending again)."""
        n = 0
        with self._transaction():
            for run_id in run_ids:
                cur = self.con.execute(
                    "DELETE FROM runs WHERE run_id = ? AND status = 'running' AND claim_token = ?",
                    (run_id, self.token),
                )
                n += cur.rowcount
        return n

    # -- helpers ---------------------------------------------------------------------------

    def _owns(self, run_id: str) -> bool:
        row = self.con.execute(
            "SELECT status, claim_token FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        return row is not None and row[0] == "running" and row[1] == self.token

    def _delete_results(self, run_id: str) -> None:
        for table in _RESULT_TABLES:
            self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))

    def _abandoned(self, host: str, pid: int, claimed_at: float | None, now: float) -> bool:
        """A ``running`` row whose owner is dead (same host) or silent for too long (elsewhere)."""
        too_old = claimed_at is None or now - claimed_at > STALE_HOURS * 3600
        if host == self.host:
            # pid reuse could make a dead owner look alive: old claims expire anyway
            return pid != self.pid and (too_old or not _pid_alive(pid))
        return too_old


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception, Ctrl-C included)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.execute("COMMIT")
        else:
            self.con.execute("ROLLBACK")


def _check_is_sqlite(path: Path, must_exist: bool) -> None:
    if not path.exists():
        if must_exist:
            raise StoreError(f"results store '{path}' does not exist; run a sweep first.")
        return
    if path.is_dir():
        raise StoreError(f"results store '{path}' is a folder; pass a file path with --store.")
    with path.open("rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"'{path}' is not a SQLite file; pass a results store with --store.")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value else value
