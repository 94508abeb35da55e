"""Sweeps: train what a study's grid still lacks, and write each finished run to the store.

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
from repro.runs.store import ResultsStore, default_store_path
from repro.runs.study import Study

__all__ = ["SweepSummary", "grid_status", "provenance", "store_single_run", "run_sweep"]


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
) -> SweepSummary:
    """Train every run of the study's grid that the store does not hold yet.

    Parameters
    ----------
    study : Study
        The study, overrides applied (``--seeds``, ``--levels``, ``--data``).
    store_path : str or pathlib.Path, optional
        The results store; default ``results/<study>.sqlite``.
    workers : int, optional
        Runs at once (default: the machine's cores).
    executor : {"local", "ray", "inline"}
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    retry_failed : bool
        Train runs stored as failed again.
    address : str
        Ray only: ``local``, ``auto`` or a cluster address.
    progress : callable, optional
        ``progress(event, total, done, failed)``.

    Returns
    -------
    SweepSummary
        Counts over the grid after the sweep; ``interrupted`` when Ctrl-C stopped it.

    Raises
    ------
    ConfigError
        When the study needs data it lacks, the device is unavailable, or a run reports bad input
        (the sweep stops, keeping what finished).
    StoreError
        When the store cannot be used (not SQLite, another study's store).
    """
    started = time.perf_counter()
    study.require_data()
    if executor != "ray":  # a Ray driver may lack the GPUs its workers have
        from repro.training.train import resolve_device

        resolve_device(device)
    grid = build_grid(study)
    path = Path(store_path) if store_path else default_store_path(study.name)
    workers = max(1, int(workers or os.cpu_count() or 1))
    store = ResultsStore(path, study.name)
    prov = provenance()
    tally = {"ran": 0, "failed": 0}
    stop = threading.Event()
    fatal: list[str] = []
    claimed: set[str] = set()
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
        done, failed = counts["done"], counts["failed"] - (counts["failed"] if retry_failed else 0)
        if progress:
            progress("start", len(grid), done, failed)
        if todo:
            configs = {name: _config(study, name) for name in study.setting_names}

            def handle(outcome) -> None:
                nonlocal done, failed
                claimed.discard(outcome.run_id)
                if outcome.ok:
                    if store.complete(outcome.run_id, outcome.result, prov):
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

            with _stop_on_sigint(stop), _executor(executor, study, workers, device, address) as ex:
                queue = iter(todo)
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
                        break
                    if ex.in_flight() == 0:
                        break
                    for outcome in ex.wait(timeout=0.5):
                        handle(outcome)
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


def store_single_run(study: Study, spec, result, store_path: str | Path) -> None:
    """Write one run trained outside a sweep (``colearn run --store``) into the store.

    The run replaces a stored copy of itself (same id, same settings, so the same numbers).
    """
    grid_settings = build_grid(
        study.with_overrides(seeds=spec.seed + 1, levels=[spec.level or 0.0])
    ).settings
    with ResultsStore(store_path, study.name) as store:
        store.add_memberships({spec.run_id: grid_settings.get(spec.run_id, (spec.setting,))})
        store.con.execute(
            "DELETE FROM runs WHERE run_id = ? AND status != 'running'", (spec.run_id,)
        )
        if not store.claim(spec, retry_failed=True, config=_config(study, spec.setting)):
            raise ConfigError(
                f"run {spec.run_id} is being trained by a sweep right now; try again after it."
            )
        store.complete(spec.run_id, result, provenance())


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
