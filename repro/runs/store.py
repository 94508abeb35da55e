"""The results store: one SQLite file per study, safe against crashes and concurrent sweeps.

A run's row is written when the run is *claimed* (status ``running``, in a ``BEGIN IMMEDIATE``
transaction, only if the run is absent, failed and retried, or left ``running`` by a dead process)
and *completed* in one transaction with all its results (metrics, test predictions, confusion
matrices, per-epoch history).  A sweep killed at any moment therefore leaves no half-written run:
at worst a ``running`` row whose owner is dead, which the next sweep reclaims.  An owner is dead
when its process is gone, is a zombie, or is another process under a reused pid (its start time
differs; see :func:`process_identity`).

A store is created only by colearn, whole: the schema is written to a temporary file that is then
linked into place.  An existing file is opened only if it is a colearn store of the same study and
schema version; any other file, SQLite or not, is refused untouched (:func:`check_store`).

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
    sequential_looks(look, seeds, setting, level, n, diff, p_diff, p_equiv, bound_diff,
         bound_equiv, label, negligible, decided)   a sequential design's decisions (version 2;
                                              its design: meta key sequential_design)
    VIEW tidy                                 the tidy table of analysis.tidy, done runs only

The store never imports torch; it takes results as plain objects (``repro.training.train.RunResult``).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from colearn.errors import ConfigError, StoreError
from colearn.files import check_name, path_inside
from repro.runs.owners import process_alive, process_identity
from repro.runs.storefile import (
    SCHEMA_VERSION,
    SEQUENTIAL_SCHEMA,
    Transaction,
    check_store,
    connect,
    create_store,
)

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "ResultsStore",
    "check_store",
    "default_store_path",
    "process_alive",
    "process_identity",
]

STATUSES = ("running", "done", "failed")
# A run claimed on another host (or, where the owner's start time is unknown, by a live-looking
# pid here) is abandoned after this many hours.
STALE_HOURS = 24.0
_RESULT_TABLES = ("metrics", "predictions", "confusion", "history")
#: Columns of ``sequential_looks`` (a subset of :func:`analysis.sequential.sequential_decisions`).
_LOOK_COLUMNS = ("look", "seeds", "setting", "level", "n", "diff", "p_diff", "p_equiv",
                 "bound_diff", "bound_equiv", "label", "negligible", "decided")  # fmt: skip


def default_store_path(study_name: str) -> Path:
    """``results/<study>.sqlite`` relative to the current directory.

    Raises
    ------
    ConfigError
        When the study name is not a safe file name (:func:`colearn.files.check_name`) or the path
        would leave ``results/`` (a link there pointing elsewhere).
    """
    return path_inside("results", f"{check_name(study_name, 'study name')}.sqlite")


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
        When the path cannot hold a store (a folder, a file under a file, a read-only file or
        folder for writing), the file is not a colearn store (not SQLite, empty, another
        program's database), holds another study or another schema version, or (``readonly``)
        does not exist.
    """

    def __init__(self, path: str | Path, study: str, readonly: bool = False) -> None:
        self.path = Path(path)
        self.study = study
        self.readonly = readonly
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.identity = process_identity(self.pid) or ""
        # The token names this store object; the part after '@' names this process for others.
        self.token = f"{uuid.uuid4().hex}@{self.identity}"
        if not check_store(self.path, study, write=not readonly):
            create_store(self.path, study)
        self.con = connect(self.path, study, readonly)

    def _transaction(self):
        return Transaction(self.con)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """``{run_id: status}`` of every run with a row; ``running`` rows of dead owners read
        ``stale``."""
        out = {}
        now = time.time()
        rows = self.con.execute(
            "SELECT run_id, status, host, pid, claimed_at, claim_token FROM runs"
        )
        for run_id, status, host, pid, claimed_at, token in rows:
            if status == "running" and self._abandoned(host, pid, claimed_at, token, now):
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

    def history_rows(self) -> pd.DataFrame:
        """The per-epoch history of the done runs, one row per (run, setting, epoch).

        Returns
        -------
        pandas.DataFrame
            ``run_id``, ``setting`` (a baseline shared by several settings appears under each),
            ``arm``, ``level`` (NaN for the unimodal arm), ``seed``, ``best_epoch`` (the epoch
            whose checkpoint was tested), ``epoch`` (from 1), ``train_loss`` (mean over the
            epoch's batches), ``valid_loss`` (on the checkpoint-selection condition), ``lr``.
        """
        return pd.read_sql_query(
            "SELECT r.run_id, s.setting, r.arm, r.level, r.seed, r.best_epoch, h.epoch, "
            "h.train_loss, h.valid_loss, h.lr FROM runs r "
            "JOIN run_settings s ON s.run_id = r.run_id JOIN history h ON h.run_id = r.run_id "
            "WHERE r.status = 'done' ORDER BY s.setting, r.arm, r.level, r.seed, h.epoch",
            self.con,
        ).astype({"level": float})

    def compute_summary(self) -> dict:
        """Runs, summed wall time, devices, library versions and git commits of the store.

        Returns
        -------
        dict
            ``runs`` (``"N done, M failed"``), ``wall_time_s``, ``device``, ``git commit``,
            ``versions`` (library → version of the latest done run), ``epochs`` (the sorted
            distinct training epochs of the done runs, e.g. after ``--epochs``).
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
            "epochs": sorted(
                {json.loads(c)["training"]["epochs"] for c in done["config_json"].dropna()}
            ),
        }

    def check_replace(self, run_id: str, execution: dict, force: bool = False) -> None:
        """Raise unless :meth:`put` may replace the stored copy of ``run_id`` (if any).

        Parameters
        ----------
        run_id : str
        execution : dict
            ``device`` (as a run reports it, e.g. ``cpu``), ``threads`` (torch CPU threads) and
            ``torch`` (torch version): what changes a run's numbers beyond its id.
        force : bool
            Allow replacing a done run made under other execution settings.

        Raises
        ------
        StoreError
            When a live sweep is training the run right now.
        ConfigError
            When the run is stored as done under other (or unrecorded) execution settings and
            ``force`` is not set: replacing it would change its numbers under the same id.
        """
        row = self.con.execute(
            "SELECT status, host, pid, claimed_at, claim_token, device, config_json, "
            "versions_json FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            return
        status, host, pid, claimed_at, token = row[:5]
        if status == "running" and not self._abandoned(host, pid, claimed_at, token, time.time()):
            raise StoreError(
                f"run {run_id} is being trained by a sweep right now; try again after it."
            )
        diff = _execution_diff(_stored_execution(*row[5:]), execution)
        if status == "done" and diff and not force:
            raise ConfigError(
                f"run {run_id} is stored with results made under other execution settings "
                f"({diff}); pass --force to replace them."
            )

    def sequential_design(self) -> dict | None:
        """The sequential design stored with the study (``SequentialDesign.as_dict``), or None."""
        row = self.con.execute("SELECT value FROM meta WHERE key = 'sequential_design'").fetchone()
        return json.loads(row[0]) if row else None

    def sequential_looks(self) -> pd.DataFrame:
        """The stored decisions of the sequential design, one row per look and level tested
        (empty when none is stored; a version-1 store has no such table)."""
        names = {r[0] for r in self.con.execute("SELECT name FROM sqlite_master")}
        if "sequential_looks" not in names:
            return pd.DataFrame(columns=list(_LOOK_COLUMNS))
        frame = pd.read_sql_query(
            f"SELECT {', '.join(_LOOK_COLUMNS)} FROM sequential_looks ORDER BY look, setting, level",
            self.con,
        )
        return frame.astype({"negligible": bool, "decided": bool})

    # -- writing ---------------------------------------------------------------------------

    def save_sequential(self, design: dict, decisions: pd.DataFrame) -> None:
        """Store a sequential design and its decisions so far, in one transaction.

        The first call records the design (a version-1 store gains the ``sequential_looks``
        table and becomes version 2); later calls must pass the same design.  The stored
        decisions are replaced by ``decisions`` (:func:`analysis.sequential.sequential_decisions`
        recomputes all looks from the runs, so they only ever grow).

        Raises
        ------
        ConfigError
            When the store already holds another sequential design.
        """
        with self._transaction():
            stored = self.sequential_design()
            if stored is not None and stored != design:
                raise ConfigError(
                    f"results store '{self.path}' holds another sequential design; repeat it "
                    "or pass another --store."
                )
            self.con.execute(SEQUENTIAL_SCHEMA)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('sequential_design', ?)",
                (json.dumps(design, sort_keys=True),),
            )
            self.con.execute("DELETE FROM sequential_looks")
            rows = decisions[list(_LOOK_COLUMNS)].astype(object).to_numpy().tolist()
            self.con.executemany(
                f"INSERT INTO sequential_looks VALUES ({', '.join('?' * len(_LOOK_COLUMNS))})",
                [[_plain(v) for v in r] for r in rows],
            )

    def add_memberships(self, settings: dict[str, Iterable[str]]) -> None:
        """Record which settings each run belongs to (``{run_id: settings}``; idempotent)."""
        with self._transaction():
            self._add_memberships(settings)

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
                "SELECT status, host, pid, claimed_at, claim_token FROM runs WHERE run_id = ?",
                (spec.run_id,),
            ).fetchone()
            if row is not None:
                status, host, pid, claimed_at, token = row
                free = (status == "failed" and retry_failed) or (
                    status == "running" and self._abandoned(host, pid, claimed_at, token, now)
                )
                if not free:
                    return False
                self._delete_run(spec.run_id)
            self._insert_claim(spec, config, now)
        return True

    def complete(
        self,
        run_id: str,
        result: Any,
        provenance: dict | None = None,
        execution: dict | None = None,
    ) -> bool:
        """Write a claimed run's results and mark it ``done``, all in one transaction.

        Parameters
        ----------
        run_id : str
        result : repro.training.train.RunResult
        provenance : dict, optional
            ``versions`` (dict) and ``git_commit`` (str) of the code that ran it.
        execution : dict, optional
            How it ran beyond its id (``threads``), kept under ``execution`` in its config.

        Returns
        -------
        bool
            False when this process no longer owns the claim (then nothing is written).
        """
        with self._transaction():
            if not self._owns(run_id):
                return False
            self._write_results(run_id, result, provenance or {}, execution or {})
        return True

    def put(
        self,
        spec: Any,
        result: Any,
        settings: Iterable[str],
        config: dict | None = None,
        provenance: dict | None = None,
        execution: dict | None = None,
        force: bool = False,
    ) -> None:
        """Store a run trained outside a sweep, replacing a stored copy, in one transaction.

        Parameters
        ----------
        spec : repro.runs.ids.RunSpec
        result : repro.training.train.RunResult
        settings : iterable of str
            The settings the run belongs to.
        config, provenance, execution : dict, optional
            As for :meth:`claim` and :meth:`complete`; ``execution`` also holds ``device`` and
            ``torch`` for the comparison with a stored copy.
        force : bool
            Replace a stored done run even if it was made with other execution settings.

        Raises
        ------
        StoreError, ConfigError
            As :meth:`check_replace`.
        """
        execution = execution or {}
        with self._transaction():
            self.check_replace(spec.run_id, execution, force)
            self._delete_run(spec.run_id)
            self._add_memberships({spec.run_id: settings})
            self._insert_claim(spec, config, time.time())
            self._write_results(spec.run_id, result, provenance or {}, execution)

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

    # -- helpers (called inside a transaction) ----------------------------------------------

    def _add_memberships(self, settings: dict[str, Iterable[str]]) -> None:
        rows = [(run_id, s) for run_id, names in settings.items() for s in names]
        self.con.executemany("INSERT OR IGNORE INTO run_settings VALUES (?, ?)", rows)

    def _insert_claim(self, spec: Any, config: dict | None, now: float) -> None:
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

    def _write_results(self, run_id: str, result: Any, prov: dict, execution: dict) -> None:
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
            'INSERT INTO predictions (run_id, condition, test_index, "values") VALUES (?, ?, ?, ?)',
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
        (config_json,) = self.con.execute(
            "SELECT config_json FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        config = json.loads(config_json) if config_json else {}
        if "threads" in execution:
            config["execution"] = {"threads": int(execution["threads"])}
        self.con.execute(
            "UPDATE runs SET status = 'done', error = NULL, device = ?, duration_s = ?, "
            "n_test = ?, best_epoch = ?, versions_json = ?, git_commit = ?, finished_at = ?, "
            "config_json = ? WHERE run_id = ?",
            (
                result.device,
                float(result.duration_s),
                int(result.n_test),
                int(result.best_epoch),
                json.dumps(prov.get("versions", {}), sort_keys=True),
                prov.get("git_commit"),
                time.time(),
                json.dumps(config, sort_keys=True, default=str) if config else None,
                run_id,
            ),
        )

    def _owns(self, run_id: str) -> bool:
        row = self.con.execute(
            "SELECT status, claim_token FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        return row is not None and row[0] == "running" and row[1] == self.token

    def _delete_run(self, run_id: str) -> None:
        self._delete_results(run_id)
        self.con.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

    def _delete_results(self, run_id: str) -> None:
        for table in _RESULT_TABLES:
            self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))

    def _abandoned(
        self, host: str, pid: int, claimed_at: float | None, token: str | None, now: float
    ) -> bool:
        """A ``running`` row whose owner is dead (same host) or silent for too long (elsewhere).

        On this host the owner is dead when its process is gone, a zombie, or another process
        under the same pid (its recorded identity differs).  Claims that record no identity
        (made off Linux or by an older colearn) also expire after :data:`STALE_HOURS`, since a
        reused pid could make their owner look alive.
        """
        too_old = claimed_at is None or now - claimed_at > STALE_HOURS * 3600
        if host != self.host:
            return too_old
        identity = (token or "").partition("@")[2]
        if not process_alive(pid, identity):
            return True
        return too_old and not (identity and self.identity)


def _stored_execution(device: str | None, config_json: str | None, versions_json: str | None):
    """The execution settings a stored run records (None where it records nothing)."""
    config = json.loads(config_json) if config_json else {}
    versions = json.loads(versions_json) if versions_json else {}
    return {
        "device": device,
        "threads": (config.get("execution") or {}).get("threads"),
        "torch": versions.get("torch"),
    }


def _execution_diff(stored: dict, new: dict) -> str:
    """``"threads 1 → 2, device unknown → cpu"`` for the keys of ``new`` that differ."""
    return ", ".join(
        f"{key} {'unknown' if stored.get(key) is None else stored[key]} → {value}"
        for key, value in new.items()
        if stored.get(key) != value
    )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value SQLite stores (NaN as NULL)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _float(value)
    return value


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value else value
