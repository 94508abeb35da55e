"""Training methods of the multimodal arm: modality dropout and the other remedies for laziness.

- ``dropout``: modality dropout, one joint step per batch (the default); any model.
- ``mla``: alternating unimodal steps through a shared head, head-gradient projection,
  entropy-weighted fusion (arXiv 2311.10707); ``latefusion`` with ``fusion = "shared"``.
- ``ogm_ge``: the dominant encoder's gradient damped by 1 − tanh(α ρ), plus gradient noise, in
  the early epochs (CVPR 2022); ``latefusion`` with ``fusion = "concat"``.
- ``aug``: boosting learners added to the weaker modality, trained on a three-part loss
  (arXiv 2502.20120); ``latefusion`` with ``fusion = "shared"``.

The dropout level of the grid applies to every method: to the inputs of the joint step
(``dropout``, ``ogm_ge``) or, for the methods that train one modality at a time (``mla``,
``aug``), by leaving a dropped modality's items out of that modality's step.  The unimodal
baseline is always trained with ``dropout`` at no level.  Each module's docstring lists the
differences from the authors' released code and which of them are switchable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from colearn.errors import ConfigError
from repro.training.config import MethodSpec, ModelSpec
from repro.training.methods.aug import AUG, LearnerBank
from repro.training.methods.base import ABSENT, OPTIMIZERS, Method, Remedy, method_generator
from repro.training.methods.dropout import Dropout
from repro.training.methods.mla import MLA, HeadProjector, entropy_fusion
from repro.training.methods.ogm_ge import OGMGE, ogm_coefficients
from repro.training.models import default_hparams

__all__ = [
    "ABSENT",
    "AUG",
    "MLA",
    "METHODS",
    "OGMGE",
    "OPTIMIZERS",
    "Dropout",
    "HeadProjector",
    "LearnerBank",
    "Method",
    "Remedy",
    "build_method",
    "check_method",
    "entropy_fusion",
    "method_generator",
    "ogm_coefficients",
]

METHODS: dict[str, type[Method]] = {"dropout": Dropout, "mla": MLA, "ogm_ge": OGMGE, "aug": AUG}


def check_method(spec: MethodSpec, model: ModelSpec | None = None) -> MethodSpec:
    """Check a method and its settings; return the spec with every default filled in.

    Parameters
    ----------
    spec : MethodSpec
    model : ModelSpec, optional
        When given, also check that the method can train this model.

    Raises
    ------
    ConfigError
        For an unknown method, an unknown setting, a value of the wrong type or out of range,
        or a model the method cannot train; one sentence naming it.

    Examples
    --------
    >>> check_method(MethodSpec("ogm_ge", {"alpha": 0.3})).params["until_epoch"]
    50
    """
    if not isinstance(spec.name, str) or spec.name not in METHODS:
        raise ConfigError(f"method {spec.name!r} is unknown; valid: {', '.join(METHODS)}.")
    cls = METHODS[spec.name]
    if not isinstance(spec.params, Mapping):
        raise ConfigError(f"method '{spec.name}' settings must be a table, got {spec.params!r}.")
    for key in spec.params:
        if key not in cls.SETTINGS:
            valid = ", ".join(cls.SETTINGS) or "none"
            raise ConfigError(
                f"method '{spec.name}' has no setting {key!r}; valid settings: {valid}."
            )
    params: dict[str, Any] = {}
    for key, setting in cls.SETTINGS.items():
        value = spec.params.get(key, setting.default)
        params[key] = setting.check(spec.name, key, value)
    if model is not None and issubclass(cls, Remedy):
        _check_model(cls, model)
    return MethodSpec(spec.name, params)


def _check_model(cls: type[Remedy], model: ModelSpec) -> None:
    if model.kind != "latefusion":
        raise ConfigError(
            f"method '{cls.name}' needs model kind 'latefusion' (fusion = '{cls.fusion}'), "
            f"got '{model.kind}'."
        )
    fusion = model.params.get("fusion", default_hparams("latefusion")["fusion"])
    if fusion != cls.fusion:
        raise ConfigError(
            f"method '{cls.name}' needs the latefusion model with fusion = '{cls.fusion}', "
            f"got '{fusion}'."
        )


def build_method(spec: MethodSpec, *, epochs: int, generator: torch.Generator) -> Method:
    """Check ``spec`` (see :func:`check_method`) and build the method for one run."""
    spec = check_method(spec)
    return METHODS[spec.name](dict(spec.params), epochs=epochs, generator=generator)
