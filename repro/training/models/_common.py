"""Checks and fusion helpers shared by the models (private to :mod:`repro.training.models`)."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import torch
from torch import Tensor

from colearn.errors import ConfigError, DataError

__all__ = [
    "check_dims",
    "check_positive",
    "check_probability",
    "concat_modalities",
    "modality_inputs",
]


def check_dims(dims: Mapping[str, int]) -> dict[str, int]:
    """Return ``dims`` as an ordered dict after checking it names at least one positive size."""
    if not isinstance(dims, Mapping) or not dims:
        raise ConfigError(f"dims must map modality names to feature sizes, got {dims!r}.")
    for name, size in dims.items():
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise ConfigError(
                f"feature size of modality {name!r} must be a positive int, got {size!r}."
            )
    return {str(name): int(size) for name, size in dims.items()}


def check_positive(name: str, value: object) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ConfigError(f"model setting {name!r} must be a positive int, got {value!r}.")


def check_probability(name: str, value: object) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a dropout rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
        raise ConfigError(
            f"model setting {name!r} must be a dropout rate in [0, 1), got {value!r}."
        )


def modality_inputs(inputs: Mapping[str, Tensor], dims: Mapping[str, int]) -> list[Tensor]:
    """Return the inputs in ``dims`` order after checking names, ranks and feature sizes.

    Extra entries in ``inputs`` are ignored; a missing one raises :class:`DataError`.
    """
    tensors = []
    for name, size in dims.items():
        if name not in inputs:
            raise DataError(f"input modality {name!r} is missing; the model expects {list(dims)}.")
        x = inputs[name]
        if x.dim() != 3 or x.shape[-1] != size:
            raise DataError(
                f"input {name!r} must have shape (batch, time, {size}), got {tuple(x.shape)}."
            )
        tensors.append(x)
    first = tensors[0].shape[:2]
    if first[1] < 1:
        raise DataError("inputs must have at least one time step, got 0.")
    for name, x in zip(dims, tensors, strict=True):
        if x.shape[:2] != first:
            raise DataError(
                f"input {name!r} has (batch, time) {tuple(x.shape[:2])} but the first modality "
                f"has {tuple(first)}; all modalities must agree."
            )
    return tensors


def concat_modalities(inputs: Mapping[str, Tensor], dims: Mapping[str, int]) -> Tensor:
    """Early fusion: concatenate per-modality features per time step, in ``dims`` order.

    Shape:
        - inputs[m]: :math:`(B, T, D_m)`
        - output: :math:`(B, T, \\sum_m D_m)`
    """
    return torch.cat(modality_inputs(inputs, dims), dim=-1)
