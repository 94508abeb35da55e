"""Training one grid cell in this process, and checking that a study can train at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from colearn.errors import ConfigError
from repro.data import MultimodalDataset
from repro.runs.ids import RunSpec, make_spec
from repro.runs.study import Study, load_study
from repro.training.train import RunResult, train

__all__ = ["prepare", "train_one", "train_spec"]


def prepare(study: Study) -> MultimodalDataset:
    """Load the study's data and check that every setting's model and loss fit them.

    Everything a run could reject as bad input is checked here, so that commands can validate
    the whole study before they create or change a results store: the data (path, format,
    loader options, modalities, declared dims, a study's own source and what it returns), the
    model kind and its settings (each setting's model is built once and run on 2 training
    samples, which must give (2, n_outputs) outputs), and the loss.

    Parameters
    ----------
    study : Study
        The study, command-line overrides applied.

    Returns
    -------
    MultimodalDataset
        The loaded data (callers that train in this process can reuse them).

    Raises
    ------
    ConfigError, DataError
        The first problem found, in one sentence.
    """
    import torch

    from repro.data.sources import load_data
    from repro.training.models import build_model, check_output
    from repro.training.train import _loss

    data = load_data(study)
    # Two training samples are enough to check that a model runs and has the output shape.
    sample = data.splits["train"][:2]
    inputs = {m: torch.from_numpy(v[sample]) for m, v in data.modalities.items()}
    for setting in study.setting_names:
        config = study.run_config(setting)
        _loss(config.training.loss, data.task)
        kind = config.model.kind
        try:
            model = build_model(kind, data.dims, data.n_outputs, **config.model.params)
        except (RuntimeError, MemoryError) as exc:  # e.g. a hidden size too large to allocate
            raise ConfigError(
                f"the model of study '{study.name}' (setting '{setting}') cannot be built: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}."
            ) from None
        check_output(model, kind, inputs, data.n_outputs)
    return data


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
    setting: str | None = None,
    data: str | Path | None = None,
    device: str = "cpu",
    trust_pickle: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
) -> tuple[RunSpec, RunResult]:
    """Load a study (name, file or object), its data, and train one run (``setting`` None: the
    study's reference setting).

    The study is checked as a sweep checks it (:func:`prepare`) before the run trains.
    ``trust_pickle`` lets the loaders unpickle any class a pickled data file names (see
    :func:`repro.data.loaders.load_dataset`); set it only for files you trust.  ``on_epoch`` is
    called with each epoch's history entry (``epoch``, ``train_loss``, ``valid_loss``, ``lr``).
    """
    st = study if isinstance(study, Study) else load_study(study)
    st = st.with_overrides(
        data_path=str(data) if data is not None else None, trust_pickle=trust_pickle
    )
    setting = st.reference if setting is None else setting
    st.run_config(setting)  # fail on an unknown setting before loading data
    spec = make_spec(st, setting, arm, level, seed)
    dataset = prepare(st)
    return spec, train_spec(st, spec, dataset, device=device, on_epoch=on_epoch)
