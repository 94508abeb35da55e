"""MLA: multimodal learning with alternating unimodal adaptation (Zhang, Yao et al., CVPR 2024).

Per mini-batch, one optimizer step per modality in turn, each on that modality's encoder and a
head *shared* by all modalities (``LateFusion(fusion="shared")``).  So that a step on modality m
does not overwrite what the head learned from the modality trained just before, the gradient of
the head's weight is projected (orthogonal weight modification, a recursive least-squares
projector over the head's input space)::

    k = P r,    P ← P − k kᵀ / (α + rᵀ k),    ∇W ← ∇W P

where r is the mean encoding of the previous step's modality, P starts as the identity and is
carried across steps and epochs, and α = 0.1^(1 + b / n_b) at batch b of n_b in the epoch (the
released schedule).  After the update, ``(∇W P) r ≈ 0``: the head's outputs on the previous
modality's mean encoding do not move.  At test time the modalities' logits are fused with
per-sample weights ``w_m ∝ exp(max_u H_u − H_m)``, H_m the entropy of softmax(logits_m):
confident modalities weigh more.  The primary-only prediction is the head on the primary
encoder alone (``absent = "skip"``, the default).

Differences from the released code (documented; the one that matters is switchable):

- The released projection never fires: it looks up a parameter called ``module.weight`` in the
  head, whose weight is called ``weight``.  ``projection = false`` reproduces that (plain
  alternating training); the default applies the projection, as the paper says.
- The released helper updates P with the *current* modality's features before projecting and
  divides P by its Frobenius norm after every update; we update with the previous modality's
  mean encoding (the paper's order) and do not rescale (a rescaling of the head's step only).
- The released fusion computes each modality's entropy over the *batch* (softmax over items),
  one weight per batch and modality; the paper's weights are per sample, as here.
- The released code trains with SGD (lr 1e-3, momentum 0.9, weight decay 1e-4); the grid's Adam
  is the default here (``optimizer = "sgd"`` for theirs).  The projection keeps the head's
  *gradient* orthogonal; Adam's per-coordinate scaling of that gradient keeps the update only
  approximately so, SGD keeps it exactly (up to momentum).

With modality dropout: a modality dropped for an item takes no part in that modality's step
(its loss is averaged over the items that keep it; a step with no such item is skipped); the
primary modality is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from repro.training.dropout import ModalityDropout
from repro.training.methods.base import Remedy, Setting, boolean, drop_modalities
from repro.training.models.latefusion import LateFusion

__all__ = ["MLA", "HeadProjector", "entropy_fusion"]


class HeadProjector:
    """The recursive projector P (H, H) of orthogonal weight modification.

    Parameters
    ----------
    size : int
        H, the head's input width.
    """

    def __init__(self, size: int) -> None:
        self.matrix = torch.eye(size)

    def update(self, encoding: Tensor, alpha: float) -> None:
        """Shrink P along ``encoding`` (H,): ``P ← P − k kᵀ / (α + rᵀ k)`` with ``k = P r``."""
        if self.matrix.device != encoding.device or self.matrix.dtype != encoding.dtype:
            self.matrix = self.matrix.to(encoding.device, encoding.dtype)
        k = self.matrix @ encoding
        self.matrix = self.matrix - torch.outer(k, k) / (alpha + encoding @ k)

    def project(self, grad: Tensor) -> Tensor:
        """The head weight's gradient (K, H) times P (P is symmetric)."""
        return grad @ self.matrix


def entropy_fusion(logits: Mapping[str, Tensor]) -> Tensor:
    """Fuse modalities' logits with per-sample weights ∝ exp(max entropy − own entropy).

    Shape
    -----
    logits[m]: (B, K); output: (B, K).

    Examples
    --------
    >>> sure = torch.tensor([[4.0, 0.0]])
    >>> unsure = torch.tensor([[0.0, 0.1]])
    >>> entropy_fusion({"a": sure, "b": unsure}).argmax(1).item()
    0
    """
    stacked = torch.stack(list(logits.values()))  # (M, B, K)
    entropy = -(F.softmax(stacked, dim=-1) * F.log_softmax(stacked, dim=-1)).sum(-1)  # (M, B)
    weights = torch.exp(entropy.max(dim=0).values - entropy)
    weights = weights / weights.sum(dim=0)
    return (weights.unsqueeze(-1) * stacked).sum(dim=0)


class MLA(Remedy):
    """Alternating unimodal steps through a shared head, with head-gradient projection.

    Settings: ``projection`` (default true; false = the released code, whose projection never
    fires), ``absent`` (default ``skip``: the primary-only prediction is the head on the
    primary encoder), ``optimizer`` (default ``adam``).
    """

    name = "mla"
    fusion = "shared"
    SETTINGS = {
        **Remedy.common_settings(absent="skip"),
        "projection": Setting(True, boolean),  # false: as released (it never fires)
    }

    def __init__(self, params: dict, *, epochs: int, generator: torch.Generator) -> None:
        super().__init__(params, epochs=epochs, generator=generator)
        self.projector: HeadProjector | None = None
        self.previous: Tensor | None = None  # mean encoding (H,) of the last step's modality
        self.batch, self.n_batches = 0, 1

    def attach(self, model: nn.Module, task: str) -> None:
        super().attach(model, task)
        self.projector = HeadProjector(model.hidden)

    def start_epoch(self, epoch: int, n_batches: int) -> None:
        self.batch, self.n_batches = 0, max(n_batches, 1)

    def train_batch(
        self,
        model: LateFusion,
        batch: dict[str, Tensor],
        target: Tensor,
        dropout: ModalityDropout,
        generator: torch.Generator,
        loss_fn: nn.Module,
        optimizer: torch.optim.Optimizer,
    ) -> float:
        batch, keep = drop_modalities(dropout, batch, generator)
        alpha = 0.1 ** (1 + self.batch / self.n_batches)
        total, steps = 0.0, 0
        for name in model.dims:
            rows = keep.get(name)
            if rows is not None and not bool(rows.any()):
                continue
            optimizer.zero_grad(set_to_none=True)
            encoding = model.encode(batch, [name])[name]
            per_item = F.cross_entropy(model.logits(name, encoding), target, reduction="none")
            loss = per_item.mean() if rows is None else per_item[rows].mean()
            loss.backward()
            if self.params["projection"] and self.previous is not None:
                self.projector.update(self.previous, alpha)
                model.head.weight.grad = self.projector.project(model.head.weight.grad)
            optimizer.step()
            kept = encoding if rows is None else encoding[rows]
            self.previous = kept.detach().mean(dim=0)
            total, steps = total + float(loss.detach()), steps + 1
        self.batch += 1
        return total / max(steps, 1)

    def fused(self, model: LateFusion, encodings: Mapping[str, Tensor]) -> Tensor:
        return entropy_fusion({m: model.logits(m, h) for m, h in encodings.items()})
