"""The executor interface and the function every worker runs: one spec → one :class:`Outcome`."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from typing import Any

from colearn.errors import ColearnError

__all__ = ["Executor", "Outcome", "attempt_spec", "keep_data"]

# Data sets loaded in this process, keyed by the study's data identity (one load per worker).
_DATA_CACHE: dict[str, Any] = {}


@dataclass
class Outcome:
    """What came back for one run.

    Attributes
    ----------
    run_id : str
    result : repro.training.train.RunResult or None
        The run's results when it succeeded.
    error : str or None
        One-line error text (and the last traceback lines) when it failed.
    bad_input : bool
        True when the error is a :class:`~colearn.errors.ColearnError` (bad study or data): the
        sweep stops instead of storing every run as failed.
    duration_s : float
    threads : int or None
        Torch CPU threads of the process that trained it (they change the numbers slightly).
    """

    run_id: str
    result: Any = None
    error: str | None = None
    bad_input: bool = False
    duration_s: float = 0.0
    threads: int | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


def attempt_spec(study, spec, device: str = "cpu") -> Outcome:
    """Train one run in this process, loading (and caching) the study's data on first use.

    Never raises for a failed run: the error travels back in the :class:`Outcome`.
    """
    started = time.perf_counter()
    try:
        import torch

        from repro.runs.execute import train_spec

        data = _data_for(study)
        result = train_spec(study, spec, data, device=device)
        return Outcome(
            spec.run_id,
            result=result,
            duration_s=time.perf_counter() - started,
            threads=torch.get_num_threads(),
        )
    except ColearnError as exc:
        return Outcome(
            spec.run_id, error=str(exc), bad_input=True, duration_s=time.perf_counter() - started
        )
    except Exception as exc:  # noqa: BLE001 - a failed run is stored with its error, not raised
        tail = "".join(traceback.format_exception(exc)[-3:]).strip()
        return Outcome(
            spec.run_id,
            error=f"{type(exc).__name__}: {exc}\n{tail}",
            duration_s=time.perf_counter() - started,
        )


def keep_data(study, data) -> None:
    """Remember ``data`` as the study's loaded data in this process (one data set at a time)."""
    _DATA_CACHE.clear()
    _DATA_CACHE[_data_key(study)] = data


def _data_key(study) -> str:
    from repro.runs.ids import data_identity

    return json.dumps(data_identity(study), sort_keys=True, default=str)


def _data_for(study):
    from repro.data.sources import load_data

    key = _data_key(study)
    if key not in _DATA_CACHE:
        keep_data(study, load_data(study))
    return _DATA_CACHE[key]


class Executor:
    """Interface: ``submit`` specs, ``wait`` for outcomes, ``cancel`` what is left, ``close``."""

    #: how many runs it can train at once (the sweep keeps about this many in flight)
    capacity: int = 1

    def submit(self, spec) -> None:
        """Start training ``spec`` (returns at once)."""
        raise NotImplementedError

    def wait(self, timeout: float) -> list[Outcome]:
        """Outcomes finished since the last call (waits up to ``timeout`` s for at least one)."""
        raise NotImplementedError

    def in_flight(self) -> int:
        """Runs submitted whose outcome has not been returned yet."""
        raise NotImplementedError

    def cancel(self) -> list[Outcome]:
        """Stop everything still in flight; return outcomes that finished meanwhile."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
