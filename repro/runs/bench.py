"""How long a study takes here: time real training epochs and extrapolate to a run and a sweep.

The benchmark trains one multimodal run of the study for a few epochs on the chosen device and
times the epochs after the first (the first pays for start-up).  An epoch's time includes its
validation pass, as in a real run, so the per-run and per-sweep figures are what a sweep would
see with one run per worker.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from colearn.errors import ConfigError
from repro.runs.grid import build_grid
from repro.runs.study import Study

__all__ = ["benchmark_study"]


def benchmark_study(
    study: Study,
    device: str = "cpu",
    epochs: int = 3,
    workers: int | None = None,
    level: float | None = None,
) -> dict:
    """Time ``epochs`` training epochs of one run and estimate a run's and the sweep's wall time.

    Parameters
    ----------
    study : Study
        The study (its data are loaded as for a run).
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    epochs : int
        Epochs to time (at least 2: the first is discarded as warm-up).
    workers : int, optional
        Runs at once in the sweep estimate (default: the machine's cores).
    level : float, optional
        Dropout level of the timed run (default: the study's highest).

    Returns
    -------
    dict
        ``study``, ``device``, ``threads``, ``parameters``, ``batch_size``, ``steps_per_epoch``,
        ``ms_per_step`` (training step, validation included pro rata), ``s_per_epoch``,
        ``epochs_per_run``, ``s_per_run``, ``runs``, ``workers``, ``s_per_sweep`` (runs × s_per_run
        / workers, i.e. assuming workers do not slow each other down), ``timed_epochs``.

    Raises
    ------
    ConfigError
        When ``epochs`` is below 2 or the study cannot train here.
    """
    import torch

    from repro.data.sources import load_data
    from repro.training.models import build_model
    from repro.training.train import train

    if epochs < 2:
        raise ConfigError(
            f"--timed-epochs must be at least 2 (the first is warm-up), got {epochs}."
        )
    study.require_data()
    data = load_data(study)
    config = study.run_config(study.setting_names[0])
    timed = replace(config, training=replace(config.training, epochs=epochs))
    stamps: list[float] = []
    started = time.perf_counter()
    train(
        data,
        timed,
        "multimodal",
        max(study.levels) if level is None else level,
        seed=0,
        device=device,
        on_epoch=lambda entry: stamps.append(time.perf_counter()),
    )
    per_epoch = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    n_train = len(data.splits["train"])
    batch = config.training.batch_size
    steps = n_train // batch if config.protocol.drop_last else -(-n_train // batch)
    model = build_model(config.model.kind, data.dims, data.n_outputs, **config.model.params)
    workers = max(1, int(workers or os.cpu_count() or 1))
    runs = len(build_grid(study))
    per_run = per_epoch * config.training.epochs
    return {
        "study": study.name,
        "device": device,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch_size": batch,
        "steps_per_epoch": steps,
        "ms_per_step": 1000 * per_epoch / max(steps, 1),
        "s_per_epoch": per_epoch,
        "epochs_per_run": config.training.epochs,
        "s_per_run": per_run,
        "runs": runs,
        "workers": workers,
        "s_per_sweep": runs * per_run / workers,
        "timed_epochs": epochs - 1,
        "wall_s": time.perf_counter() - started,
    }
