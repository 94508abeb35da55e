"""Neural models of colearn, and the contract a study's own model follows.

Every model is built as ``Model(dims, n_outputs, **settings)`` where ``dims`` is an ordered mapping
modality name → feature size, takes a mapping of per-modality tensors (B, T, D_m) and returns
(B, n_outputs) logits or predictions.  Use :func:`build_model` to build one by name from a study
file's settings.

Your own model
--------------
A study names a model of its own in ``[model] kind``: ``"package.module:Class"``, or the name of
an entry point in the group ``colearn.models`` that an installed package declares (see
:mod:`colearn.plugins`; the module must be installed or on ``PYTHONPATH``).  The other keys of
``[model]`` (and of ``[settings.NAME.model]``) are its settings.  The class must be a
:class:`torch.nn.Module` with

- ``__init__(dims, n_outputs, **settings)``: ``dims`` maps each of the study's modalities to its
  feature size D_m, in the data's order (the order to concatenate them in); ``n_outputs`` is the
  number of classes (or 1 for regression); ``settings`` are the study's keywords.  The weights are
  initialised under the run's ``init`` seed (torch's global generator), so both arms at one seed
  index start from the same weights as long as the constructor draws only from that generator.
- ``forward(inputs)``: ``inputs`` maps every modality of ``dims`` to a float32 tensor
  (B, T, D_m); modalities that are dropped, or that an arm or a test condition leaves out, arrive
  as zeros.  It returns a float tensor (B, n_outputs): logits (classification, trained with
  cross-entropy) or predictions (regression, trained with the study's loss).  It is called in
  training mode while training and in evaluation mode for validation and testing.

Before anything trains (:func:`repro.runs.execute.prepare`), colearn imports the class, builds
it on the data's dims and runs one forward pass on 2 training samples (:func:`check_output`).  A
reference that cannot be imported, names no ``nn.Module`` class, or whose model does not take the
study's settings or returns another shape is refused with one sentence (exit 2 from the CLI).

A run's id hashes the ``kind`` string and the settings, not the class's code: editing the class
does not change the ids, so a sweep keeps the runs stored under the old code.  Train changed code
into a new store (``--store``), or under a new ``kind`` (a new module or class name).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from colearn.errors import ColearnError, ConfigError
from colearn.plugins import MODEL_GROUP, first_line, load_reference
from repro.training.config import MODEL_KINDS
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
    "check_output",
    "default_hparams",
]

MODELS: dict[str, type[nn.Module]] = dict(
    zip(MODEL_KINDS, (EFLSTM, MFN, EarlyFusionMLP, LateFusion), strict=True)
)


def _model_class(kind: str) -> type[nn.Module]:
    if kind in MODELS:
        return MODELS[kind]
    cls = load_reference(kind, MODEL_GROUP, "model", builtin=MODEL_KINDS)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ConfigError(
            f"model {kind!r} names {_describe(cls)}, not a torch.nn.Module class built as "
            "Class(dims, n_outputs, **settings)."
        )
    return cls


def _describe(obj: object) -> str:
    if isinstance(obj, type):
        return f"class {obj.__name__}"
    if callable(obj):
        return f"function {getattr(obj, '__name__', repr(obj))}"
    return f"a {type(obj).__name__} value"


def _settings(cls: type[nn.Module]) -> tuple[list[inspect.Parameter], bool]:
    """The keyword settings of ``cls`` (after ``dims`` and ``n_outputs``), and whether it takes
    any keyword (``**kwargs``)."""
    params = list(inspect.signature(cls).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    named = [p for p in positional[2:] if p.kind is p.POSITIONAL_OR_KEYWORD]
    named += [p for p in params if p.kind is p.KEYWORD_ONLY]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def default_hparams(kind: str) -> dict[str, Any]:
    """Return the settings a model accepts, with their defaults, in signature order.

    Settings without a default (required ones of a study's own model) are left out.

    Examples::

        >>> default_hparams("eflstm")["readout"]
        'last-output'
    """
    named, _ = _settings(_model_class(kind))
    return {p.name: p.default for p in named if p.default is not p.empty}


def build_model(kind: str, dims: Mapping[str, int], n_outputs: int, **hparams: Any) -> nn.Module:
    """Build the model ``kind`` (a name in :data:`MODELS`, a ``module:Class`` reference or an
    installed entry point) as ``Class(dims, n_outputs, **hparams)``.

    Parameters
    ----------
    kind : str
        The study's ``[model] kind``.
    dims : mapping of str to int
        Modality name → feature size D_m, in concatenation order.
    n_outputs : int
        Number of classes, or 1 for regression.
    **hparams
        The study's model settings.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ConfigError
        If ``kind`` cannot be resolved to a model class, a setting name is unknown (or a
        required one missing), or a setting's value is invalid.

    Examples::

        >>> model = build_model("eflstm", {"language": 300, "audio": 80}, 9, hidden=64)
        >>> type(model).__name__, model.hidden
        ('EFLSTM', 64)
    """
    cls = _model_class(kind)
    named, any_keyword = _settings(cls)
    valid = [p.name for p in named]
    for name in hparams:
        if not any_keyword and name not in valid:
            raise ConfigError(
                f"unknown model setting {name!r} for {kind}; valid: {', '.join(valid) or 'none'}."
            )
    if kind in MODELS:
        return cls(dims, n_outputs, **hparams)
    try:
        inspect.signature(cls).bind(dims, n_outputs, **hparams)
    except TypeError as exc:
        raise ConfigError(
            f"model {kind!r} cannot be built as {cls.__name__}(dims, n_outputs, **settings) "
            f"with the study's settings: {exc}."
        ) from None
    try:
        return cls(dims, n_outputs, **hparams)
    except ColearnError:
        raise
    except Exception as exc:  # noqa: BLE001 - a study's own model rejecting its settings
        raise ConfigError(
            f"model {kind!r} cannot be built: {type(exc).__name__}: {first_line(exc)}."
        ) from exc


def check_output(model: nn.Module, kind: str, inputs: Mapping[str, Tensor], n_outputs: int) -> None:
    """Run ``model`` once in evaluation mode and check that it returns (B, n_outputs) floats.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :func:`build_model`; left in evaluation mode, its weights untouched.
    kind : str
        The study's ``[model] kind``, for messages.
    inputs : mapping of str to Tensor
        Modality → float32 tensor (B, T, D_m), a few samples of the data.
    n_outputs : int
        Number of classes, or 1 for regression.

    Raises
    ------
    ConfigError
        When the forward pass raises, or returns anything but a float tensor of shape
        (B, n_outputs).
    """
    batch = next(iter(inputs.values())).shape[0]
    expected = (batch, n_outputs)
    model.eval()
    try:
        with torch.no_grad():
            out = model(inputs)
    except ColearnError:
        raise
    except Exception as exc:  # noqa: BLE001 - the model's own code failing on the data
        raise ConfigError(
            f"model {kind!r} fails on {batch} training samples: {type(exc).__name__}: "
            f"{first_line(exc)}."
        ) from exc
    if not isinstance(out, Tensor) or not out.is_floating_point():
        what = f"a {out.dtype} tensor" if isinstance(out, Tensor) else f"a {type(out).__name__}"
        raise ConfigError(
            f"model {kind!r} returned {what} for {batch} samples; it must return a float tensor "
            f"of shape (batch, n_outputs) = {expected}."
        )
    if tuple(out.shape) != expected:
        raise ConfigError(
            f"model {kind!r} returned shape {tuple(out.shape)} for {batch} samples; it must "
            f"return (batch, n_outputs) = {expected}."
        )
