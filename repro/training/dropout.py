"""Modality dropout: replace a modality's features by zeros at random during training.

The authors' released code draws *one* uniform number per mini-batch and zeroes every modality
whose probability is at least that draw (``draw="shared"``, ``granularity="batch"``): with equal
probabilities, audio and visual are always dropped together, never one alone.  The paper's
equations suggest independent draws per modality (``draw="independent"``).  Both are offered, at
the granularity of a batch, a sample or a time step.  Zeroed features are not rescaled and no mask
feature is added, as released.  Dropout applies to training batches only; evaluation never calls
it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from colearn.errors import ConfigError

__all__ = ["DRAWS", "GRANULARITIES", "ModalityDropout", "zero_fill"]

DRAWS = ("shared", "independent")
GRANULARITIES = ("batch", "sample", "timestep")


@dataclass(frozen=True)
class ModalityDropout:
    """Random zeroing of whole modalities.

    Parameters
    ----------
    p : mapping of str to float
        Drop probability per modality, each in [0, 1]; modalities not named are never dropped.
    draw : {"shared", "independent"}
        ``shared``: one uniform ``u`` per unit, compared with every modality's p (drop where
        ``u < p``), as released.  ``independent``: one uniform per unit and modality.
    granularity : {"batch", "sample", "timestep"}
        The unit that gets one draw: the whole batch, each item, or each item and time step.

    Examples
    --------
    >>> drop = ModalityDropout({"audio": 1.0})
    >>> x = {"language": torch.ones(2, 3, 4), "audio": torch.ones(2, 3, 1)}
    >>> out = drop(x, torch.Generator().manual_seed(0))
    >>> float(out["audio"].sum()), float(out["language"].sum())
    (0.0, 24.0)
    """

    p: Mapping[str, float] = field(default_factory=dict)
    draw: str = "shared"
    granularity: str = "batch"

    def __post_init__(self) -> None:
        if self.draw not in DRAWS:
            raise ConfigError(f"dropout draw '{self.draw}' is unknown; valid: {', '.join(DRAWS)}.")
        if self.granularity not in GRANULARITIES:
            raise ConfigError(
                f"dropout granularity '{self.granularity}' is unknown; "
                f"valid: {', '.join(GRANULARITIES)}."
            )
        for name, prob in self.p.items():
            if not 0.0 <= float(prob) <= 1.0:
                raise ConfigError(
                    f"dropout probability of '{name}' is {prob}; it must be in [0, 1]."
                )

    @property
    def active(self) -> bool:
        """Whether any modality can be dropped."""
        return any(float(v) > 0 for v in self.p.values())

    def keep_masks(
        self, batch_size: int, seq_len: int, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw keep-masks (True = keep) for the modalities that have a probability.

        Shape
        -----
        Each mask is (1, 1), (B, 1) or (B, T) for granularity batch, sample and timestep; it
        broadcasts against (B, T) and is drawn on the CPU so that runs match across devices.
        """
        shape = {"batch": (1, 1), "sample": (batch_size, 1), "timestep": (batch_size, seq_len)}[
            self.granularity
        ]
        names = [m for m in self.p]
        if self.draw == "shared":
            u = torch.rand(shape, generator=generator)
            return {m: u >= float(self.p[m]) for m in names}
        return {m: torch.rand(shape, generator=generator) >= float(self.p[m]) for m in names}

    def __call__(
        self, inputs: Mapping[str, torch.Tensor], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Return the inputs with dropped modalities zeroed.

        Shape
        -----
        inputs: each (B, T, D_m); output: the same shapes.  Inputs are not modified in place.
        """
        if not self.active:
            return dict(inputs)
        first = next(iter(inputs.values()))
        masks = self.keep_masks(first.shape[0], first.shape[1], generator)
        out = dict(inputs)
        for name, keep in masks.items():
            if name in out:
                x = out[name]
                out[name] = x * keep.to(device=x.device, dtype=x.dtype).unsqueeze(-1)
        return out


def zero_fill(inputs: Mapping[str, torch.Tensor], keep: set[str] | frozenset[str]) -> dict:
    """Zero every modality not in ``keep`` (used for the unimodal arm and test conditions)."""
    return {m: (x if m in keep else torch.zeros_like(x)) for m, x in inputs.items()}
