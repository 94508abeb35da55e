"""Neural models of colearn; each takes a mapping of per-modality tensors (B, T, D_m).

Every model is built as ``Model(dims, n_outputs, **hparams)`` where ``dims`` is an ordered mapping
modality name → feature size, and returns (B, n_outputs) logits or predictions.  Use
:func:`build_model` to build one by name from a study file's settings.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from torch import nn

from colearn.errors import ConfigError
from repro.training.models.eflstm import EFLSTM, READOUTS
from repro.training.models.latefusion import ENCODERS, FUSIONS, LateFusion
from repro.training.models.mfn import MFN
from repro.training.models.mlp import EarlyFusionMLP

__all__ = [
    "EFLSTM",
    "ENCODERS",
    "FUSIONS",
    "MFN",
    "MODELS",
    "READOUTS",
    "EarlyFusionMLP",
    "LateFusion",
    "build_model",
    "default_hparams",
]

MODELS: dict[str, type[nn.Module]] = {
    "eflstm": EFLSTM,
    "mfn": MFN,
    "mlp": EarlyFusionMLP,
    "latefusion": LateFusion,
}


def _model_class(kind: str) -> type[nn.Module]:
    if kind not in MODELS:
        raise ConfigError(f"unknown model {kind!r}; valid: {', '.join(MODELS)}.")
    return MODELS[kind]


def default_hparams(kind: str) -> dict[str, Any]:
    """Return the settings a model accepts, with their defaults, in signature order.

    Examples::

        >>> default_hparams("eflstm")["readout"]
        'last-output'
    """
    parameters = inspect.signature(_model_class(kind).__init__).parameters
    return {
        name: p.default
        for name, p in parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def build_model(kind: str, dims: Mapping[str, int], n_outputs: int, **hparams: Any) -> nn.Module:
    """Build the model called ``kind`` (one of :data:`MODELS`) with the given settings.

    Raises:
        ConfigError: if ``kind`` or a setting name is unknown, or a setting's value is invalid.

    Examples::

        >>> model = build_model("eflstm", {"language": 300, "audio": 80}, 9, hidden=64)
        >>> type(model).__name__, model.hidden
        ('EFLSTM', 64)
    """
    cls = _model_class(kind)
    valid = default_hparams(kind)
    for name in hparams:
        if name not in valid:
            raise ConfigError(
                f"unknown model setting {name!r} for {kind}; valid: {', '.join(valid)}."
            )
    return cls(dims, n_outputs, **hparams)
