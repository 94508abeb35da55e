"""The paper's remedy alone: modality dropout, one joint step per mini-batch (the default)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from repro.training.dropout import ModalityDropout
from repro.training.methods.base import Method

__all__ = ["Dropout"]


class Dropout(Method):
    """Modality dropout on the inputs, then one step on the model's loss (any model).

    This is the training step colearn had before methods existed, unchanged: the unimodal
    baseline of every study is trained with it, and so is the multimodal arm by default.  It has
    no settings; the dropout level, draw and granularity come from the grid and the protocol.
    Test conditions zero-fill the modalities they leave out.
    """

    name = "dropout"

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
        batch = dropout(batch, generator)
        optimizer.zero_grad(set_to_none=True)
        out = model(batch)
        # Regression models return (B, 1); the loss wants (B,) scores.
        loss = loss_fn(out[:, 0] if target.dtype.is_floating_point else out, target)
        loss.backward()
        optimizer.step()
        return float(loss.detach())
