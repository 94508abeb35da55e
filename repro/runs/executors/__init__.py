"""Executors: where a sweep's runs are trained.

An executor takes run specs, trains them somewhere (this process, a local process pool, a Ray
cluster) and hands back an :class:`Outcome` per run.  It never writes the store: the sweep's
driver does, as outcomes arrive.

- ``inline``: in the calling process, one run at a time (debugging, tiny tests).
- ``local`` (default): a process pool (``forkserver``), one torch thread per worker, the study's
  data loaded once per worker process.
- ``ray``: Ray tasks (``pip install "colearn[ray]"``), retried when a worker is lost.
"""

from __future__ import annotations

from colearn.errors import ConfigError
from repro.runs.executors.base import Executor, Outcome, attempt_spec

__all__ = ["EXECUTORS", "Executor", "Outcome", "attempt_spec", "check_executor", "make_executor"]

EXECUTORS = ("local", "ray", "inline")


def check_executor(kind: str) -> None:
    """Raise :class:`ConfigError` unless ``kind`` names an executor that can run here.

    Cheap (nothing is started), so that commands can check it before they touch a store.
    """
    if kind not in EXECUTORS:
        raise ConfigError(f"executor '{kind}' is unknown; valid: {', '.join(EXECUTORS)}.")
    if kind == "ray":
        from repro.runs.executors.ray import _ray

        _ray()


def make_executor(
    kind: str, study, workers: int, device: str = "cpu", address: str = "local"
) -> Executor:
    """Build the executor called ``kind`` (one of :data:`EXECUTORS`).

    Parameters
    ----------
    kind : {"local", "ray", "inline"}
    study : repro.runs.study.Study
        The study whose runs it will train (workers load its data once).
    workers : int
        Runs in flight at once (processes for ``local``; CPUs of a local Ray cluster).
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    address : str
        Ray only: ``local`` starts a cluster on this machine, ``auto`` joins a running one, or a
        ``ray://host:port`` address.

    Raises
    ------
    ConfigError
        When ``kind`` is unknown or Ray is asked for but not installed.
    """
    if kind == "local":
        from repro.runs.executors.local import LocalExecutor

        return LocalExecutor(study, workers, device)
    if kind == "inline":
        from repro.runs.executors.local import InlineExecutor

        return InlineExecutor(study, device)
    if kind == "ray":
        from repro.runs.executors.ray import RayExecutor

        return RayExecutor(study, workers, device, address)
    raise ConfigError(f"executor '{kind}' is unknown; valid: {', '.join(EXECUTORS)}.")
