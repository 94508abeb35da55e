"""The results store's file: checked before anything is written, created whole, never adopted.

:func:`check_store` reads an existing file without changing it (SQLite opened read-only, as
immutable where no writer can be at work) and accepts only a colearn store of the right study
and schema version, writable when the caller will write.  :func:`create_store` writes the schema
to a temporary file in the target folder and hard-links it into place, so a store either exists
whole or not at all, and an existing file of the same name is never replaced.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from pathlib import Path

from colearn.errors import StoreError
from repro import __version__

__all__ = [
    "READABLE_VERSIONS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SEQUENTIAL_SCHEMA",
    "Transaction",
    "check_store",
    "connect",
    "create_store",
]

SCHEMA_VERSION = 2
#: Versions this colearn reads and writes.  Version 2 added the table ``sequential_looks`` (a
#: sequential design's decisions); a version-1 store is used as it is and becomes version 2 when
#: a sequential design is first stored in it (:data:`SEQUENTIAL_SCHEMA`).
READABLE_VERSIONS = ("1", "2")
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: The decisions of a sequential design, one row per look and level tested at it (its design is
#: the JSON of ``meta`` key ``sequential_design``).
SEQUENTIAL_SCHEMA = """CREATE TABLE IF NOT EXISTS sequential_looks (
    look INTEGER NOT NULL, seeds INTEGER NOT NULL, setting TEXT NOT NULL, level REAL NOT NULL,
    n INTEGER, diff REAL, p_diff REAL, p_equiv REAL, bound_diff REAL, bound_equiv REAL,
    label TEXT NOT NULL, negligible INTEGER NOT NULL, decided INTEGER NOT NULL,
    PRIMARY KEY (look, setting, level))"""

#: The tables and the tidy view of a store (see :mod:`repro.runs.store`).
SCHEMA = f"""
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
{SEQUENTIAL_SCHEMA};
CREATE VIEW IF NOT EXISTS tidy AS
    SELECT r.study AS study, s.setting AS setting, r.run_id AS run_id, r.arm AS arm,
           r.level AS level, r.seed AS seed, r.paired AS paired, m.condition AS condition,
           m.metric AS metric, m.value AS value, r.n_test AS n_test
    FROM runs AS r
    JOIN run_settings AS s ON s.run_id = r.run_id
    JOIN metrics AS m ON m.run_id = r.run_id
    WHERE r.status = 'done';
"""


class Transaction:
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


def check_store(path: str | Path, study: str, write: bool = False) -> bool:
    """Check, without changing anything, that ``path`` can serve as ``study``'s results store.

    Parameters
    ----------
    path : str or pathlib.Path
        The store file.
    study : str
        The study it must hold.
    write : bool
        Whether the caller will write: the file (or, for a new store, its folder) must then be
        writable, and a missing store is fine (it will be created).

    Returns
    -------
    bool
        True when the store exists, False when it does not yet (only with ``write``).

    Raises
    ------
    StoreError
        As :class:`ResultsStore`, with one sentence naming the file and the problem.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"results store '{path}' is a folder; pass a file path with --store.")
    if not path.exists():
        if not write:
            raise StoreError(f"results store '{path}' does not exist; run a sweep first.")
        _check_creatable(path)
        return False
    _check_meta(_read_meta(path), path, study)
    if write:
        _check_writable(path)
    return True


def _check_creatable(path: Path) -> None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise StoreError(
            f"cannot create results store '{path}': '{folder}' is a file, not a folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot create results store '{path}': the folder '{folder}' is read-only."
        )


def _check_writable(path: Path) -> None:
    if not os.access(path, os.W_OK):
        raise StoreError(
            f"results store '{path}' is read-only; make it writable or pass another --store "
            "(status and export read it as it is)."
        )
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"results store '{path}' is in the read-only folder '{folder}', where SQLite cannot "
            "write its journal; make the folder writable or pass another --store."
        )


def _read_meta(path: Path) -> dict:
    """The ``meta`` table of an existing file, read without changing it; refuse anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"results store '{path}' cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise StoreError(
            f"'{path}' is an empty file, not a colearn results store; remove it or pass another "
            "--store."
        )
    if head != _SQLITE_MAGIC:
        raise StoreError(f"'{path}' is not a SQLite file; pass a results store with --store.")
    try:
        con = sqlite3.connect(_uri(path, readonly=True, probe=True), uri=True, timeout=60)
        try:
            return _meta(con, path)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"'{path}' is a damaged SQLite file ({exc}); pass another --store."
        ) from None


def _meta(con: sqlite3.Connection, path: Path) -> dict:
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    meta = {}
    if {"meta", "runs"} <= names:
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:  # a table called meta with other columns
            meta = {}
    if "schema_version" not in meta or "study" not in meta:
        raise StoreError(
            f"'{path}' is a SQLite file but not a colearn results store; colearn does not write "
            "into other databases: pass another --store."
        )
    return meta


def _check_meta(meta: dict, path: Path, study: str) -> None:
    if meta["schema_version"] not in READABLE_VERSIONS:
        raise StoreError(
            f"results store '{path}' has schema version {meta['schema_version']}; "
            f"this colearn reads versions {' and '.join(READABLE_VERSIONS)}."
        )
    if meta["study"] != study:
        raise StoreError(
            f"results store '{path}' holds study '{meta['study']}', not "
            f"'{study}'; pass another --store."
        )


def connect(path: str | Path, study: str, readonly: bool = False) -> sqlite3.Connection:
    """Open an existing store (checked with :func:`check_store` first) in autocommit mode.

    A writer's connection is in WAL mode with ``synchronous=NORMAL``; every connection waits up to
    60 s for a lock.  The store's ``meta`` is checked again through the new connection, in case
    the file changed since it was checked.

    Raises
    ------
    StoreError
        When SQLite cannot open the file or its ``meta`` no longer fits ``study``.
    """
    path = Path(path)
    try:
        con = sqlite3.connect(_uri(path, readonly), uri=True, timeout=60, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open results store '{path}': {exc}.") from None
    try:
        if not readonly:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA busy_timeout=60000")
        _check_meta(_meta(con, path), path, study)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise StoreError(f"cannot open results store '{path}': {exc}.") from None
    except StoreError:
        con.close()
        raise
    return con


def _uri(path: Path, readonly: bool, probe: bool = False) -> str:
    """A SQLite URI for ``path`` that never creates the file (``mode=rw`` or ``mode=ro``).

    A reader needs the ``-shm`` file beside a WAL store; where it is missing and cannot be made
    (a read-only folder) no writer can be at work either, so the file is read as immutable.  A
    probe of a file that may not be colearn's reads it as immutable unless a ``-wal`` file shows
    that a writer holds part of its content there.
    """
    uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rw'}"
    if readonly:
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        cannot_share = not shm.exists() and not os.access(path.parent, os.W_OK | os.X_OK)
        if (probe and not wal.exists()) or cannot_share:
            uri += "&immutable=1"
    return uri


def create_store(path: str | Path, study: str) -> None:
    """Create a new store of ``study`` at ``path``: schema and meta written to a temporary file
    beside it, hard-linked into place whole (an existing file is never replaced).

    Raises
    ------
    StoreError
        When the folder cannot be created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create results store '{path}': {exc.strerror or exc}.") from None
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")  # persistent: the store stays in WAL mode
            with Transaction(con):
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("study", study),
                        ("colearn_version", __version__),
                        ("created_at", str(time.time())),
                    ],
                )
        finally:
            con.close()
        try:
            os.link(tmp, path)  # fails if the path exists: never replaces a file
        except FileExistsError:
            pass  # another sweep created the store meanwhile: use that one
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot create results store '{path}': {exc}.") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
