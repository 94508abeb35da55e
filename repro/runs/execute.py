"""Training one grid cell in this process: the spec's run configuration on loaded data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from repro.data import MultimodalDataset
from repro.runs.ids import RunSpec, make_spec
from repro.runs.study import Study, load_study
from repro.training.train import RunResult, train

__all__ = ["train_one", "train_spec"]


def train_spec(
    study: Study,
    spec: RunSpec,
    data: MultimodalDataset,
    device: str = "cpu",
    on_epoch: Callable[[dict], None] | None = None,
) -> RunResult:
    """Train the run that ``spec`` names on ``data`` (already loaded for ``study``)."""
    config = study.run_config(spec.setting)
    return train(data, config, spec.arm, spec.level, spec.seed, device=device, on_epoch=on_epoch)


def train_one(
    study: str | Study,
    arm: str,
    level: float | None,
    seed: int,
    setting: str = "default",
    data: str | Path | None = None,
    device: str = "cpu",
) -> tuple[RunSpec, RunResult]:
    """Load a study (name, file or object), its data, and train one run."""
    from repro.data.sources import load_data

    st = study if isinstance(study, Study) else load_study(study)
    st = st.with_overrides(data_path=str(data) if data is not None else None)
    st.run_config(setting)  # fail on an unknown setting before loading data
    spec = make_spec(st, setting, arm, level, seed)
    dataset = load_data(st)
    return spec, train_spec(st, spec, dataset, device=device)
