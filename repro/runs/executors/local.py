"""Local executors: a process pool (default) and an in-process one (debugging, tiny tests)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent import futures

from repro.runs.executors.base import Executor, Outcome, attempt_spec
from repro.runs.owners import process_alive, process_identity

__all__ = ["InlineExecutor", "LocalExecutor"]

_WORKER: dict = {}


def _init_worker(study, device: str, driver_pid: int, driver_identity: str) -> None:
    """Pool initializer: one torch thread, Ctrl-C left to the driver, the data loaded once.

    A watchdog thread ends the worker when the driver dies (killed with SIGKILL, say, even
    while it lingers as a zombie), so that no orphaned worker keeps training a run whose claim
    will be reclaimed.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_driver, args=(driver_pid, driver_identity), daemon=True).start()
    import torch

    torch.set_num_threads(1)
    _WORKER["study"], _WORKER["device"] = study, device
    try:
        from repro.runs.executors.base import _data_for

        _data_for(study)
    except Exception:  # noqa: BLE001 - reported by the first run, with its message
        pass


def _watch_driver(pid: int, identity: str) -> None:
    while True:
        time.sleep(1.0)
        if not process_alive(pid, identity):
            os._exit(1)


def _run_in_worker(spec) -> Outcome:
    return attempt_spec(_WORKER["study"], spec, _WORKER["device"])


class LocalExecutor(Executor):
    """A pool of ``workers`` processes (``forkserver`` context, never ``fork``).

    Each worker sets ``torch.set_num_threads(1)`` and loads the study's data once; the driver
    keeps about ``workers`` runs in flight.
    """

    def __init__(self, study, workers: int, device: str = "cpu") -> None:
        self.capacity = max(1, int(workers))
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self.pool = futures.ProcessPoolExecutor(
            max_workers=self.capacity,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(study, device, os.getpid(), process_identity(os.getpid()) or ""),
        )
        self.pending: dict[futures.Future, str] = {}

    def submit(self, spec) -> None:
        self.pending[self.pool.submit(_run_in_worker, spec)] = spec.run_id

    def in_flight(self) -> int:
        return len(self.pending)

    def wait(self, timeout: float) -> list[Outcome]:
        if not self.pending:
            return []
        done, _ = futures.wait(self.pending, timeout=timeout, return_when=futures.FIRST_COMPLETED)
        return [self._collect(f) for f in done]

    def _collect(self, fut: futures.Future) -> Outcome:
        run_id = self.pending.pop(fut)
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
            return Outcome(run_id, error=f"worker lost: {type(exc).__name__}: {exc}")

    def cancel(self) -> list[Outcome]:
        finished = [self._collect(f) for f in list(self.pending) if f.done() and not f.cancelled()]
        for fut in self.pending:
            fut.cancel()
        # Runs already training are stopped: their claims are given back by the sweep.
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            proc.terminate()
        self.pending.clear()
        return finished

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class InlineExecutor(Executor):
    """Trains each run in the calling process when :meth:`wait` is called (one at a time)."""

    capacity = 1

    def __init__(self, study, device: str = "cpu") -> None:
        self.study, self.device = study, device
        self.queue: list = []

    def submit(self, spec) -> None:
        self.queue.append(spec)

    def in_flight(self) -> int:
        return len(self.queue)

    def wait(self, timeout: float) -> list[Outcome]:
        if not self.queue:
            return []
        return [attempt_spec(self.study, self.queue.pop(0), self.device)]

    def cancel(self) -> list[Outcome]:
        self.queue.clear()
        return []
