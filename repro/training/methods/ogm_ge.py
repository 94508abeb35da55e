"""OGM-GE: on-the-fly gradient modulation with generalisation enhancement (Peng et al., CVPR 2022).

One joint step per mini-batch on a concatenation head (``LateFusion(fusion="concat")``).  After
the backward pass, each modality's score over the batch is its summed true-class confidence from
its own slice of the head, ``s_m = Σ_i softmax(W_m h_m,i + b / M)[y_i]``, and its discrepancy
ratio is ``ρ_m = s_m / mean_{u≠m} s_u`` (for two modalities the paper's ``s_a / s_v``).  The
dominant modality (largest ρ, when ρ > 1) has its encoder's gradients multiplied by

    k_m = 1 − tanh(α · ρ_m)            (paper, Eq. 10; every other modality: k = 1)

and, with generalisation enhancement (``ge``), every encoder's gradient g becomes
``k_m g + ε``, ε ~ N(0, sd(g)²) elementwise with sd(g) the gradient tensor's own standard
deviation.  Modulation runs in epochs 1..``until_epoch`` only (the released code: its first 51
epochs, 0..50).  The head is never modulated.  The primary-only prediction zero-fills the
supporting inputs (``absent = "zero-fill"``, the default, as the paper's co-learning test);
``absent = "skip"`` uses the head on the primary encoding alone (``W_p h_p + b``).

Differences from the released code (documented):

- The released code modulates only 4-dimensional (convolution) gradients of its ResNet encoders;
  our encoders have none, so every encoder parameter is modulated, as the paper's equations say.
- For more than two modalities the released code has no rule; ours compares each modality with
  the mean of the others and modulates the single most dominant one (equal to the paper's rule
  for two modalities).
- The released code trains with SGD (momentum 0.9, weight decay 1e-4); the grid's Adam is the
  default here (``optimizer = "sgd"`` for theirs).  Adam divides each coordinate by its running
  gradient scale, so it undoes much of a scaling k that changes slowly; under SGD the scaling
  acts in full.

With modality dropout: applied to the inputs exactly as for ``dropout`` (one joint step on the
zeroed inputs); a dropped modality has a low score, so it is never the dominant one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from repro.training.dropout import ModalityDropout
from repro.training.methods.base import Remedy, Setting, boolean, number
from repro.training.models.latefusion import LateFusion

__all__ = ["OGMGE", "ogm_coefficients"]


def ogm_coefficients(scores: Mapping[str, float], alpha: float) -> dict[str, float]:
    """Gradient coefficients k_m from the modalities' scores s_m.

    ``ρ_m = s_m / mean_{u≠m} s_u``; the modality with the largest ρ gets ``1 − tanh(α ρ)`` when
    ρ > 1; every other modality gets 1.

    Examples
    --------
    >>> k = ogm_coefficients({"audio": 6.0, "visual": 3.0}, alpha=0.5)
    >>> round(k["audio"], 4), k["visual"]
    (0.2384, 1.0)
    """
    coefficients = {m: 1.0 for m in scores}
    if len(scores) < 2:
        return coefficients
    ratios = {}
    for m, s in scores.items():
        others = [v for u, v in scores.items() if u != m]
        mean = sum(others) / len(others)
        ratios[m] = s / mean if mean > 0 else math.inf
    dominant = max(ratios, key=ratios.get)
    if ratios[dominant] > 1:
        coefficients[dominant] = 1.0 - math.tanh(alpha * ratios[dominant])
    return coefficients


class OGMGE(Remedy):
    """Joint training on a concatenation head; the dominant encoder's gradient is damped.

    Settings: ``alpha`` (default 0.8, the paper's CREMA-D value; 0.1 on VGGSound), ``until_epoch``
    (default 50: modulate in epochs 1..50), ``ge`` (default true: add the gradient noise),
    ``absent`` (default ``zero-fill``), ``optimizer`` (default ``adam``).
    """

    name = "ogm_ge"
    fusion = "concat"
    SETTINGS = {
        **Remedy.common_settings(absent="zero-fill"),
        "alpha": Setting(0.8, number(0.0, low_open=True)),
        "until_epoch": Setting(50, number(0, integer=True)),
        "ge": Setting(True, boolean),
    }

    def __init__(self, params: dict, *, epochs: int, generator: torch.Generator) -> None:
        super().__init__(params, epochs=epochs, generator=generator)
        self.epoch = 1

    def start_epoch(self, epoch: int, n_batches: int) -> None:
        self.epoch = epoch

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
        batch = dropout(batch, generator)
        optimizer.zero_grad(set_to_none=True)
        encodings = model.encode(batch)
        loss = loss_fn(model.fuse(encodings), target)
        loss.backward()
        if self.epoch <= self.params["until_epoch"]:
            self.modulate(model, encodings, target)
        optimizer.step()
        return float(loss.detach())

    @torch.no_grad()
    def modulate(self, model: LateFusion, encodings: Mapping[str, Tensor], target: Tensor) -> None:
        """Scale (and, with ``ge``, perturb) the encoders' gradients in place.

        Shape
        -----
        encodings[m]: (B, H); target: (B,) class indices.
        """
        scores = {
            m: float(F.softmax(model.logits(m, h), dim=1).gather(1, target[:, None]).sum())
            for m, h in encodings.items()
        }
        coefficients = ogm_coefficients(scores, self.params["alpha"])
        for name, k in coefficients.items():
            for parameter in model.encoders[name].parameters():
                if parameter.grad is None:
                    continue
                grad = parameter.grad
                modulated = grad * k
                if self.params["ge"] and grad.numel() > 1:
                    noise = torch.randn(grad.shape, generator=self.generator)
                    modulated = modulated + noise.to(grad.device, grad.dtype) * grad.std()
                parameter.grad = modulated

    def fused(self, model: LateFusion, encodings: Mapping[str, Tensor]) -> Tensor:
        return model.fuse(encodings)
