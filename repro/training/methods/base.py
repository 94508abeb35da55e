"""What every training method shares: its settings' checks, its hooks, and the remedies' common parts.

A method owns the multimodal arm's per-batch training step and, where it defines one, the
prediction at evaluation time.  The training loop (:mod:`repro.training.train`) calls its hooks
in this order: :meth:`Method.attach` (right after the model is built, under the run's init seed),
:meth:`Method.make_optimizer`, then per epoch :meth:`Method.start_epoch`, one
:meth:`Method.train_batch` per mini-batch and :meth:`Method.end_epoch`; :meth:`Method.predict`
gives the outputs for validation and for every test condition.
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from repro.training.dropout import ModalityDropout, zero_fill
from repro.training.models.latefusion import LateFusion
from repro.training.seeds import derive_seed

__all__ = [
    "ABSENT",
    "OPTIMIZERS",
    "Method",
    "Remedy",
    "Setting",
    "boolean",
    "choice",
    "drop_modalities",
    "method_generator",
    "number",
]

#: How a remedy predicts when a test condition leaves modalities out: ``skip`` uses the kept
#: modalities' encoders only (the head "on the primary encoder alone"); ``zero-fill`` encodes
#: the left-out modalities' zero-filled inputs too, as the paper's co-learning test does.
ABSENT = ("skip", "zero-fill")
#: ``adam`` is the grid's optimizer (Adam, no weight decay); ``sgd`` is the remedies' released
#: optimizer (SGD, momentum 0.9, weight decay 1e-4).
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Setting:
    """One setting of a method: its default and the check of a value given for it."""

    default: Any
    check: Callable[[str, str, Any], Any]


def choice(*values: str) -> Callable[[str, str, Any], Any]:
    """A check that accepts one of ``values``."""

    def check(method: str, name: str, value: Any) -> Any:
        if value not in values:
            raise ConfigError(
                f"method '{method}' setting '{name}' must be one of {', '.join(values)}, "
                f"got {value!r}."
            )
        return value

    return check


def boolean(method: str, name: str, value: Any) -> bool:
    """A check that accepts ``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ConfigError(
            f"method '{method}' setting '{name}' must be true or false, got {value!r}."
        )
    return value


def number(
    low: float, high: float = math.inf, *, integer: bool = False, low_open: bool = False
) -> Callable[[str, str, Any], Any]:
    """A check that accepts a finite number (an int when ``integer``) in [low, high]
    (``(low, high]`` when ``low_open``)."""
    kind = "an integer" if integer else "a number"
    bracket = "(" if low_open else "["
    span = f"{bracket}{low:g}, {'∞)' if math.isinf(high) else f'{high:g}]'}"

    def check(method: str, name: str, value: Any) -> Any:
        ok_type = isinstance(value, Integral if integer else Real) and not isinstance(value, bool)
        inside = ok_type and math.isfinite(value) and value <= high
        inside = inside and (value > low if low_open else value >= low)
        if not inside:
            raise ConfigError(
                f"method '{method}' setting '{name}' must be {kind} in {span}, got {value!r}."
            )
        return int(value) if integer else float(value)

    return check


def method_generator(study_seed: int, seed_index: int) -> torch.Generator:
    """The method's own random stream (OGM-GE's gradient noise), a hash of the run's seeds.

    It is derived from the run's network-dropout seed but is a different stream, so a method's
    draws never shift the network's dropout masks or the modality-dropout draws.
    """
    base = derive_seed(study_seed, seed_index, "network-dropout")
    digest = hashlib.sha256(f"{base}/method".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") >> 1)


def drop_modalities(
    dropout: ModalityDropout, batch: Mapping[str, Tensor], generator: torch.Generator
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Modality dropout for the methods that train one modality at a time.

    Draws exactly as :class:`ModalityDropout` does (same calls on ``generator``), zeroes the
    dropped features the same way, and also says which items still hold each modality: an item
    whose modality is dropped at every time step takes no part in that modality's step.

    Returns
    -------
    batch : dict of str to Tensor
        The inputs (B, T, D_m) with dropped features zeroed.
    keep : dict of str to Tensor
        Per dropped-able modality, a (B,) bool tensor: True where the item keeps some of it.
        Empty when nothing can be dropped (every item keeps every modality).
    """
    if not dropout.active:
        return dict(batch), {}
    first = next(iter(batch.values()))
    masks = dropout.keep_masks(first.shape[0], first.shape[1], generator)
    out, keep = dict(batch), {}
    for name, mask in masks.items():
        if name in out:
            x = out[name]
            mask = mask.to(x.device)
            out[name] = x * mask.to(x.dtype).unsqueeze(-1)
            keep[name] = mask.any(dim=1).expand(x.shape[0])
    return out, keep


class Method(ABC):
    """A training method of the multimodal arm (subclasses register in :data:`METHODS`).

    Parameters
    ----------
    params : dict
        The method's settings, checked and completed (see :func:`check_method`).
    epochs : int
        Epochs of the run (for schedules that depend on them).
    generator : torch.Generator
        The method's own random stream.
    """

    name: ClassVar[str]
    SETTINGS: ClassVar[dict[str, Setting]] = {}

    def __init__(self, params: dict, *, epochs: int, generator: torch.Generator) -> None:
        self.params = params
        self.epochs = epochs
        self.generator = generator

    def attach(self, model: nn.Module, task: str) -> None:
        """Check the model and task fit the method; add any modules it trains with the model."""
        return None  # a hook: most methods need nothing here

    def make_optimizer(self, model: nn.Module, lr: float) -> torch.optim.Optimizer:
        """The optimizer over every parameter of the model (Adam, no weight decay)."""
        return torch.optim.Adam(model.parameters(), lr=lr)

    def start_epoch(self, epoch: int, n_batches: int) -> None:
        """Called before the first batch of ``epoch`` (1-based) of ``n_batches`` batches."""
        return None  # a hook: most methods need nothing here

    def end_epoch(self, epoch: int) -> None:
        """Called after the last batch of ``epoch``."""
        return None  # a hook: most methods need nothing here

    @abstractmethod
    def train_batch(
        self,
        model: nn.Module,
        batch: dict[str, Tensor],
        target: Tensor,
        dropout: ModalityDropout,
        generator: torch.Generator,
        loss_fn: nn.Module,
        optimizer: torch.optim.Optimizer,
    ) -> float:
        """Train on one mini-batch; return its training loss.

        Shape
        -----
        batch[m]: (B, T, D_m), the arm's inputs before modality dropout; target: (B,).
        """

    def predict(
        self, model: nn.Module, inputs: Mapping[str, Tensor], keep: frozenset[str]
    ) -> Tensor:
        """Outputs (B, K) with only the modalities in ``keep`` available (model in eval mode)."""
        return model(zero_fill(inputs, keep))


class Remedy(Method):
    """A remedy for modality laziness on the late-fusion model (MLA, OGM-GE, AUG).

    Every remedy has two settings besides its own: ``absent`` (how it predicts when a test
    condition leaves modalities out, see :data:`ABSENT`; the primary-only prediction of the
    co-learning test) and ``optimizer`` (see :data:`OPTIMIZERS`).  Remedies need a
    classification task: they work on the class confidences of each modality.
    """

    #: The fusion head (``LateFusion(fusion=...)``) the remedy trains.
    fusion: ClassVar[str]

    @staticmethod
    def common_settings(absent: str) -> dict[str, Setting]:
        """The ``absent`` and ``optimizer`` settings, with the remedy's default for ``absent``."""
        return {
            "absent": Setting(absent, choice(*ABSENT)),
            "optimizer": Setting("adam", choice(*OPTIMIZERS)),
        }

    def attach(self, model: nn.Module, task: str) -> None:
        if task != "classification":
            raise ConfigError(
                f"method '{self.name}' needs a classification task (it works on class "
                f"confidences), but the data's task is {task}."
            )
        if not isinstance(model, LateFusion):
            raise ConfigError(
                f"method '{self.name}' needs the latefusion model, got {type(model).__name__}."
            )
        if model.fusion != self.fusion:
            raise ConfigError(
                f"method '{self.name}' needs the latefusion model with fusion = "
                f"'{self.fusion}', got '{model.fusion}'."
            )

    def make_optimizer(self, model: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.params["optimizer"] == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
        return super().make_optimizer(model, lr)

    @abstractmethod
    def fused(self, model: LateFusion, encodings: Mapping[str, Tensor]) -> Tensor:
        """The remedy's prediction (B, K) from the encodings (B, H) of some modalities."""

    def predict(
        self, model: nn.Module, inputs: Mapping[str, Tensor], keep: frozenset[str]
    ) -> Tensor:
        if self.params["absent"] == "zero-fill":
            return self.fused(model, model.encode(zero_fill(inputs, keep)))
        return self.fused(model, model.encode(inputs, [m for m in model.dims if m in keep]))
