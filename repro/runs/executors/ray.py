"""Ray executor: each run is a Ray task; the driver gathers outcomes and writes the store.

Install with ``pip install "colearn[ray]"``.  ``address="local"`` starts a cluster on this machine
with ``workers`` CPUs; ``"auto"`` joins the cluster this machine belongs to (``ray start``); a
``ray://host:port`` address connects through Ray Client.  Tasks are retried (``max_retries=2``)
when a worker process or node is lost; a run that fails by itself comes back as a failed
:class:`~repro.runs.executors.base.Outcome` and is not retried.  Every worker process loads the study's
data once (cached by the study's data identity) and trains with one torch thread.
"""

from __future__ import annotations

from colearn.errors import ConfigError
from repro.runs.executors.base import Executor, Outcome, attempt_spec

__all__ = ["GPU_PER_RUN", "RayExecutor"]

#: GPU share a run asks for with ``--device cuda`` (8 runs per GPU, the measured sweet spot).
GPU_PER_RUN = 0.125


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            'the Ray executor needs Ray: pip install "colearn[ray]", or use --executor local.'
        ) from None
    return ray


def _run_task(study, spec, device: str) -> Outcome:
    import torch

    torch.set_num_threads(1)
    return attempt_spec(study, spec, device)


class RayExecutor(Executor):
    """Runs specs as Ray tasks; ``capacity`` bounds the runs in flight."""

    def __init__(self, study, workers: int, device: str = "cpu", address: str = "local") -> None:
        ray = self.ray = _ray()
        self.started_here = not ray.is_initialized()
        if self.started_here:
            kwargs = {"include_dashboard": False, "log_to_driver": False}
            if address == "local":
                kwargs["num_cpus"] = max(1, int(workers))
            try:
                ray.init(address=None if address == "local" else address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(
                    f"cannot reach a Ray cluster at address '{address}' ({exc}); start one with "
                    "'ray start --head' or use --address local."
                ) from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.capacity = max(1, int(workers)) if address == "local" else max(1, cpus)
        options = {"max_retries": 2, "num_cpus": 1}
        gpus = ray.cluster_resources().get("GPU", 0)
        if device.startswith("cuda") and not gpus:
            self.close()
            raise ConfigError(
                f"device '{device}' was asked for but the Ray cluster has no GPU; use --device cpu."
            )
        if device.startswith("cuda") or (device == "auto" and gpus):
            options["num_gpus"] = GPU_PER_RUN
        self.task = ray.remote(**options)(_run_task)
        self.study_ref = ray.put(study)
        self.device = device
        self.pending: dict = {}

    def submit(self, spec) -> None:
        self.pending[self.task.remote(self.study_ref, spec, self.device)] = spec.run_id

    def in_flight(self) -> int:
        return len(self.pending)

    def wait(self, timeout: float) -> list[Outcome]:
        if not self.pending:
            return []
        ready, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=timeout)
        return [self._collect(ref) for ref in ready]

    def _collect(self, ref) -> Outcome:
        run_id = self.pending.pop(ref)
        try:
            return self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - retries exhausted, task cancelled
            return Outcome(run_id, error=f"Ray task lost: {type(exc).__name__}: {exc}")

    def cancel(self) -> list[Outcome]:
        if not self.pending:
            return []
        ready, _ = self.ray.wait(list(self.pending), num_returns=len(self.pending), timeout=0)
        finished = [self._collect(ref) for ref in ready]
        for ref in self.pending:
            self.ray.cancel(ref, force=True)
        self.pending.clear()
        return finished

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()
