"""Sweeps: train what a study's grid still lacks, and write each finished run to the store.

Before it creates or changes a store, a sweep checks the whole command: the executor, the store
file, the device, and the study itself (its data are loaded and every setting's model is built
on them, :func:`repro.runs.execute.prepare`).  Bad input therefore leaves the store as it was.

The driver claims a run just before handing it to an executor (so two sweeps on one store share
the work and never train a run twice), writes each outcome as it arrives (one transaction per
run), and on Ctrl-C stops submitting, keeps what finished and gives back the claims of the runs it
did not finish.  A failed run is stored with its error and is never counted as done;
``retry_failed`` trains it again.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from colearn.errors import ConfigError
from repro.runs.grid import Grid, build_grid
from repro.runs.ids import RunSpec, make_spec
from repro.runs.store import ResultsStore, check_store, default_store_path
from repro.runs.study import Study

__all__ = [
    "MAX_WORKERS",
    "SweepSummary",
    "check_single_run",
    "execution_settings",
    "grid_status",
    "provenance",
    "run_sweep",
    "store_single_run",
]


#: Most runs a sweep keeps in flight at once (processes, or tasks on a Ray cluster).
MAX_WORKERS = 1024


@dataclass
class SweepSummary:
    """Counts over the study's grid after a sweep (``ran`` and ``new_failures``: this sweep)."""

    study: str
    store: str
    total: int
    done: int
    failed: int
    running: int
    pending: int
    ran: int = 0
    new_failures: int = 0
    interrupted: bool = False
    wall_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


ProgressFn = Callable[[str, int, int, int], None]
"""``progress(event, total, done, failed)`` with ``event`` in ``start``, ``update``, ``end``."""


def grid_status(study: Study, store_path: str | Path | None = None) -> dict:
    """Counts of the study's grid in a store: ``{"study", "total", "done", "pending", "failed",
    "running"}`` (``pending`` includes runs left ``running`` by a dead process).

    Works without the study's data and without creating the store.
    """
    grid = build_grid(study)
    path = Path(store_path) if store_path else default_store_path(study.name)
    statuses: dict[str, str] = {}
    if path.exists():
        with ResultsStore(path, study.name, readonly=True) as store:
            statuses = store.statuses()
    counts = _count(grid, statuses)
    return {"study": study.name, **counts}


def _count(grid: Grid, statuses: dict[str, str]) -> dict:
    done = failed = running = 0
    for run_id in grid.run_ids:
        st = statuses.get(run_id)
        done += st == "done"
        failed += st == "failed"
        running += st == "running"
    total = len(grid)
    return {
        "total": total,
        "done": done,
        "pending": total - done - failed - running,
        "failed": failed,
        "running": running,
    }


def run_sweep(
    study: Study,
    store_path: str | Path | None = None,
    workers: int | None = None,
    executor: str = "local",
    device: str = "cpu",
    retry_failed: bool = False,
    address: str = "local",
    progress: ProgressFn | None = None,
    grid: Grid | None = None,
) -> SweepSummary:
    """Train every run of the study's grid that the store does not hold yet.

    Parameters
    ----------
    study : Study
        The study, overrides applied (``--seeds``, ``--levels``, ``--data``).
    store_path : str or pathlib.Path, optional
        The results store; default ``results/<study>.sqlite``.
    workers : int, optional
        Runs at once, 1 to :data:`MAX_WORKERS` (default: the machine's cores).
    executor : {"local", "ray", "inline"}
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    retry_failed : bool
        Train runs stored as failed again.
    address : str
        Ray only: ``local``, ``auto`` or a cluster address.
    progress : callable, optional
        ``progress(event, total, done, failed)``.
    grid : Grid, optional
        The runs to train, a part of the study's grid (a sequential design's look); default
        :func:`~repro.runs.grid.build_grid` of the study.

    Returns
    -------
    SweepSummary
        Counts over the grid after the sweep; ``interrupted`` when Ctrl-C stopped it.

    Raises
    ------
    ConfigError
        When ``workers`` or ``executor`` is invalid, the study cannot train (its data, model or
        loss; checked before the store is touched), the device is unavailable, or a run reports
        bad input (the sweep stops, keeping what finished).
    StoreError
        When the store cannot be used (not SQLite, another study's store).
    """
    started = time.perf_counter()
    from repro.runs.execute import prepare
    from repro.runs.executors import check_executor
    from repro.runs.executors.base import keep_data

    path = Path(store_path) if store_path else default_store_path(study.name)
    # Check the whole command before the store is created or changed.
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers {workers} is not valid; give 1 to {MAX_WORKERS}.")
    check_executor(executor)
    check_store(path, study.name, write=True)
    study.require_data()
    if executor != "ray":  # a Ray driver may lack the GPUs its workers have
        from repro.training.train import resolve_device

        resolve_device(device)
    data = prepare(study)
    if executor == "inline":
        keep_data(study, data)  # runs train in this process: load the data once
    del data
    grid = build_grid(study) if grid is None else grid
    workers = max(1, int(workers or os.cpu_count() or 1))
    prov = provenance()
    tally = {"ran": 0, "failed": 0}
    stop = threading.Event()
    fatal: list[str] = []
    claimed: set[str] = set()
    # The executor starts (a Ray cluster is reached) before the store is opened, so that a
    # cluster that cannot be reached leaves no store behind either.
    with _executor(executor, study, workers, device, address) as ex:
        store = ResultsStore(path, study.name)
        try:
            store.add_memberships(grid.settings)
            statuses = store.statuses()
            todo = [
                s
                for s in grid
                if statuses.get(s.run_id) in (None, "stale")
                or (retry_failed and statuses.get(s.run_id) == "failed")
            ]
            counts = _count(grid, statuses)
            done = counts["done"]
            failed = 0 if retry_failed else counts["failed"]
            if progress:
                progress("start", len(grid), done, failed)
            configs = {name: _config(study, name) for name in study.setting_names}

            def handle(outcome) -> None:
                nonlocal done, failed
                claimed.discard(outcome.run_id)
                if outcome.ok:
                    execution = {"threads": outcome.threads} if outcome.threads else None
                    if store.complete(outcome.run_id, outcome.result, prov, execution):
                        done += 1
                        tally["ran"] += 1
                elif outcome.bad_input:
                    fatal.append(outcome.error)
                    store.release([outcome.run_id])
                    stop.set()
                else:
                    if store.fail(outcome.run_id, outcome.error or "", outcome.duration_s):
                        failed += 1
                        tally["failed"] += 1
                if progress:
                    progress("update", len(grid), done, failed)

            if todo:
                with _stop_on_sigint(stop):
                    _drive(ex, iter(todo), store, retry_failed, configs, claimed, stop, handle)
            if claimed:
                store.release(claimed)
                claimed.clear()
            final = _count(grid, store.statuses())
        finally:
            if claimed:
                store.release(claimed)
            store.close()
    if progress:
        progress("end", len(grid), final["done"], final["failed"])
    if fatal:
        raise ConfigError(fatal[0])
    return SweepSummary(
        study=study.name,
        store=str(path),
        ran=tally["ran"],
        new_failures=tally["failed"],
        interrupted=stop.is_set(),
        wall_s=time.perf_counter() - started,
        **final,
    )


def _drive(ex, queue, store, retry_failed, configs, claimed, stop, handle) -> None:
    """Keep the executor full: claim and submit runs, hand outcomes to ``handle``, until done
    or ``stop`` is set (then cancel what is in flight)."""
    exhausted = False
    while True:
        while not stop.is_set() and not exhausted and ex.in_flight() < ex.capacity:
            spec = next(queue, None)
            if spec is None:
                exhausted = True
            elif store.claim(spec, retry_failed, configs[spec.setting]):
                claimed.add(spec.run_id)
                ex.submit(spec)
        if stop.is_set():
            for outcome in ex.cancel():
                handle(outcome)
            return
        if ex.in_flight() == 0:
            return
        for outcome in ex.wait(timeout=0.5):
            handle(outcome)


def execution_settings(device: str, threads: int) -> dict:
    """What changes a run's numbers beyond its id: the device a run reports (``cpu``,
    ``cuda:0``), its torch CPU threads, and the torch version."""
    return {"device": device, "threads": int(threads), "torch": provenance()["versions"]["torch"]}


def check_single_run(
    study: Study, spec: RunSpec, store_path: str | Path, execution: dict, force: bool = False
) -> None:
    """Raise, before training, when ``colearn run --store`` could not store ``spec``.

    Raises
    ------
    StoreError
        When the store cannot be used (see :func:`repro.runs.store.check_store`) or a sweep is
        training the run right now.
    ConfigError
        When the store holds the run as done under other execution settings and ``force`` is
        not set.
    """
    if not check_store(store_path, study.name, write=True):
        return
    with ResultsStore(store_path, study.name, readonly=True) as store:
        store.check_replace(spec.run_id, execution, force)


def store_single_run(
    study: Study,
    spec: RunSpec,
    result,
    store_path: str | Path,
    execution: dict,
    force: bool = False,
) -> None:
    """Write one run trained outside a sweep (``colearn run --store``) into the store.

    The run replaces a stored copy of itself in one transaction: a kill leaves either the old
    copy or the new one.  A copy made under other execution settings (``execution``, see
    :func:`execution_settings`) holds other numbers under the same id and is replaced only with
    ``force``.
    """
    settings = [
        name
        for name in study.setting_names
        if make_spec(study, name, spec.arm, spec.level, spec.seed).run_id == spec.run_id
    ]
    with ResultsStore(store_path, study.name) as store:
        store.put(
            spec,
            result,
            settings=settings or [spec.setting],
            config=_config(study, spec.setting),
            provenance=provenance(),
            execution=execution,
            force=force,
        )


@lru_cache(maxsize=1)
def provenance() -> dict:
    """Library versions and the git commit of the code (``None`` outside a git checkout)."""
    versions = {"python": platform.python_version()}
    for dist in ("colearn", "torch", "numpy", "pandas"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"versions": versions, "git_commit": commit or None}


def _config(study: Study, setting: str) -> dict:
    cfg = study.run_config(setting)
    return {
        "study": study.name,
        "setting": setting,
        "data": asdict(study.data),
        "model": {"kind": cfg.model.kind, **cfg.model.params},
        "training": asdict(cfg.training),
        "protocol": asdict(cfg.protocol),
        "method": asdict(cfg.method),
        "study_seed": cfg.study_seed,
    }


class _executor:
    """Context manager building the executor lazily (Ray's import only when asked for)."""

    def __init__(self, kind, study, workers, device, address):
        self.args = (kind, study, workers, device, address)
        self.ex = None

    def __enter__(self):
        from repro.runs.executors import make_executor

        self.ex = make_executor(*self.args)
        return self.ex

    def __exit__(self, *exc):
        self.ex.close()


class _stop_on_sigint:
    """First Ctrl-C sets ``stop`` (finish cleanly); a second one interrupts at once."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)

            def handler(signum, frame):
                self.stop.set()
                signal.signal(signal.SIGINT, signal.default_int_handler)

            signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
