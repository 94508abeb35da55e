"""AUG: sustained boosting of the weaker modality (Jiang, Huang, Yang, NeurIPS 2025, arXiv 2502.20120).

Each modality m has a base classifier (the shared head on its encoding h_m,
``LateFusion(fusion="shared")``) and, over training, extra learners: learner j maps
``h_m → ReLU(L_j h_m)`` and reads it out with the same head.  Modality m's prediction is the
sum of its classifiers' logits, ``f_m = head(h_m) + Σ_j head(ReLU(L_j h_m))``.  With at least one
learner, m's loss is the paper's three parts (per item, y the true class)::

    CE(f_m, y) + CE(f_m^prev, y) + (1 − λ p_prev) · CE(g_new, y)

where ``f_m^prev`` is the ensemble without the newest learner g_new, ``p_prev`` its (detached)
true-class probability and λ = ``residual`` (0.5): the newest learner fits what the earlier
ones got wrong.  Without a learner the loss is ``CE(f_m, y)``.  As released, each mini-batch
takes one optimizer step per modality in turn.

Adaptive assignment: over each epoch, each modality's mean true-class confidence
``s_m = mean_i softmax(f_m,i)[y_i]`` is accumulated; after epoch 1 and every ``check_every``
epochs (default: epochs / 10), if ``max s / min s > 1 + tolerance`` the weakest modality gets
one more learner (at most ``max_learners`` each).  At test time the prediction is the mean of
the modalities' ``f_m``; the primary-only prediction is the primary modality's own ensemble
(``absent = "skip"``, the default).

Learners are allocated up front (``max_learners`` per modality) and *activated* one by one, so
every learner is a parameter of the model and of the optimizer from the start, is saved in the
run's best checkpoint together with the number active, and is trained from the step it is
activated on (an inactive learner has no gradient, and Adam and SGD leave such parameters and
their state untouched, so activating one is the same as adding a new one to the optimizer).

Differences from the released code (documented; the one that matters is switchable):

- The released code creates each learner after the optimizer and never adds it to the
  optimizer, so added learners keep their random initial weights (the encoder still trains
  through them).  ``train_added = false`` reproduces that; the default trains them.
- The released rule compares two modalities' summed confidences, ``s_a / s_v`` against
  1 ± 0.01; ours compares the strongest with the weakest of any number of modalities (the same
  rule for two, up to the asymmetry of 1 − 0.01 vs 1 / 1.01) and uses means so that items
  without a modality (modality dropout) do not count.
- The released test-time fusion weighs two modalities 0.4 / 0.6 (a command-line setting);
  ours weighs all modalities equally.  The released learners are initialised Xavier-normal;
  ours use PyTorch's default initialisation under the run's init seed.

With modality dropout: as for MLA, a modality dropped for an item takes no part in that
modality's step, nor in its confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from repro.training.dropout import ModalityDropout
from repro.training.methods.base import Remedy, Setting, boolean, drop_modalities, number
from repro.training.models.latefusion import LateFusion

__all__ = ["AUG", "LearnerBank"]


class LearnerBank(nn.Module):
    """Up to ``max_learners`` extra learners per modality, of which the first ``active[m]`` count.

    Parameters
    ----------
    names : iterable of str
        The modalities.
    hidden : int
        H, the encoding width (a learner is ``Linear(H → H)`` then ReLU).
    max_learners : int
    """

    def __init__(self, names: Iterable[str], hidden: int, max_learners: int) -> None:
        super().__init__()
        self.names = list(names)
        self.learners = nn.ModuleDict(
            {
                m: nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(max_learners))
                for m in self.names
            }
        )
        # A buffer, so that the best checkpoint restores how many learners were active.
        self.register_buffer("active", torch.zeros(len(self.names), dtype=torch.long))

    def count(self, name: str) -> int:
        """Learners active for modality ``name``."""
        return int(self.active[self.names.index(name)])

    def add(self, name: str) -> bool:
        """Activate one more learner for ``name``; False when all are active already."""
        i = self.names.index(name)
        if int(self.active[i]) >= len(self.learners[name]):
            return False
        self.active[i] += 1
        return True

    def outputs(self, model: LateFusion, name: str, encoding: Tensor) -> list[Tensor]:
        """Logits (B, K) of the base classifier, then of each active learner, on (B, H)."""
        learners = self.learners[name][: self.count(name)]
        return [model.logits(name, encoding)] + [
            model.logits(name, F.relu(learner(encoding))) for learner in learners
        ]


class AUG(Remedy):
    """Boosting the weaker modality with learners trained on the residual of the earlier ones.

    Settings: ``tolerance`` (0.01), ``check_every`` (0: epochs / 10, at least 1),
    ``max_learners`` (10 per modality), ``residual`` (λ = 0.5), ``train_added`` (true; false =
    the released code, whose added learners are never trained), ``absent`` (``skip``),
    ``optimizer`` (``adam``).
    """

    name = "aug"
    fusion = "shared"
    SETTINGS = {
        **Remedy.common_settings(absent="skip"),
        "tolerance": Setting(0.01, number(0.0)),
        "check_every": Setting(0, number(0, integer=True)),  # 0: epochs / 10, at least 1
        "max_learners": Setting(10, number(1, integer=True)),
        "residual": Setting(0.5, number(0.0, 1.0)),
        "train_added": Setting(True, boolean),  # false: as released (never trained)
    }

    def __init__(self, params: dict, *, epochs: int, generator: torch.Generator) -> None:
        super().__init__(params, epochs=epochs, generator=generator)
        self.check_every = params["check_every"] or max(1, epochs // 10)
        self.scores: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.bank: LearnerBank | None = None

    def attach(self, model: nn.Module, task: str) -> None:
        super().attach(model, task)
        # A submodule of the model, so that it moves, trains and is checkpointed with it.
        self.bank = LearnerBank(model.dims, model.hidden, self.params["max_learners"])
        model.add_module("learners", self.bank)

    def start_epoch(self, epoch: int, n_batches: int) -> None:
        self.scores, self.counts = {}, {}

    def end_epoch(self, epoch: int) -> None:
        if epoch != 1 and epoch % self.check_every:
            return
        means = {m: self.scores[m] / self.counts[m] for m in self.counts if self.counts[m]}
        if len(means) < 2:
            return
        weakest = min(means, key=means.get)
        if max(means.values()) > (1 + self.params["tolerance"]) * means[weakest]:
            self.bank.add(weakest)

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
        total, steps = 0.0, 0
        for name in model.dims:
            rows = keep.get(name)
            if rows is not None and not bool(rows.any()):
                continue
            optimizer.zero_grad(set_to_none=True)
            outputs = self.bank.outputs(model, name, model.encode(batch, [name])[name])
            per_item, ensemble = self.boosting_loss(outputs, target)
            loss = per_item.mean() if rows is None else per_item[rows].mean()
            loss.backward()
            if not self.params["train_added"]:
                for parameter in self.bank.parameters():
                    parameter.grad = None
            optimizer.step()
            confidence = F.softmax(ensemble.detach(), dim=1).gather(1, target[:, None])[:, 0]
            confidence = confidence if rows is None else confidence[rows]
            self.scores[name] = self.scores.get(name, 0.0) + float(confidence.sum())
            self.counts[name] = self.counts.get(name, 0) + int(confidence.numel())
            total, steps = total + float(loss.detach()), steps + 1
        return total / max(steps, 1)

    def boosting_loss(self, outputs: list[Tensor], target: Tensor) -> tuple[Tensor, Tensor]:
        """Per-item loss (B,) of one modality's classifiers and their ensemble logits (B, K).

        Shape
        -----
        outputs: base then learners' logits, each (B, K); target: (B,).
        """
        ensemble = torch.stack(outputs).sum(dim=0)
        loss = F.cross_entropy(ensemble, target, reduction="none")
        if len(outputs) > 1:
            previous = torch.stack(outputs[:-1]).sum(dim=0)
            p_prev = F.softmax(previous.detach(), dim=1).gather(1, target[:, None])[:, 0]
            newest = F.cross_entropy(outputs[-1], target, reduction="none")
            loss = loss + F.cross_entropy(previous, target, reduction="none")
            loss = loss + (1 - self.params["residual"] * p_prev) * newest
        return loss, ensemble

    def fused(self, model: LateFusion, encodings: Mapping[str, Tensor]) -> Tensor:
        ensembles = [
            torch.stack(self.bank.outputs(model, m, h)).sum(dim=0) for m, h in encodings.items()
        ]
        return torch.stack(ensembles).mean(dim=0)
