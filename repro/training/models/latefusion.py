"""Late fusion: one encoder per modality and a fusion head over their encodings.

The other remedies for modality laziness (:mod:`repro.training.methods`) need to reach inside the
model: MLA trains each modality's encoder through one *shared* head, OGM-GE reads each modality's
share of a *concatenation* head, AUG adds learners on top of one modality's encoding.  This model
exposes those parts: :meth:`LateFusion.encode` (per-modality encodings), :meth:`LateFusion.logits`
(one modality's logits) and :meth:`LateFusion.fuse` (the head over any subset of encodings).

Fusion heads:

- ``concat``: ``Linear(M·H → K)`` on the concatenated encodings.  Modality m's logits are its
  slice of the weight plus ``bias / M`` (OGM-GE's definition).  An encoding left out of
  :meth:`~LateFusion.fuse` counts as zeros, so the head "on the primary encoder alone" is
  ``W_p h_p + b``.
- ``shared``: one ``Linear(H → K)`` applied to every modality's encoding; the fused output is the
  mean of the modalities' logits (MLA's and AUG's head).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from repro.training.models._common import (
    check_dims,
    check_positive,
    check_probability,
    modality_inputs,
)

__all__ = ["ENCODERS", "FUSIONS", "LateFusion"]

ENCODERS = ("lstm", "mlp")
FUSIONS = ("concat", "shared")


class _LSTMEncoder(nn.Module):
    """A uni-directional LSTM read out at its final hidden state of the top layer."""

    def __init__(self, size: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            size,
            hidden,
            num_layers=layers,
            dropout=dropout if layers > 1 else 0.0,
            batch_first=True,
        )

    def forward(self, x: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(x)
        return h_n[-1]


class _MLPEncoder(nn.Module):
    """``(Linear → ReLU → Dropout) × layers`` on the features averaged over time."""

    def __init__(self, size: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for i in range(layers):
            blocks += [
                nn.Linear(size if i == 0 else hidden, hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
            ]
        self.net = nn.Sequential(*blocks)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.mean(dim=1))


class LateFusion(nn.Module):
    """One encoder per modality, then a fusion head (``concat`` or ``shared``).

    Args:
        dims: ordered mapping modality name → feature size.
        n_outputs: number of classes (logits) or 1 for regression.
        hidden: encoding size H of every modality. Default: 64.
        layers: LSTM layers, or hidden layers of the MLP encoder. Default: 1.
        dropout: dropout between LSTM layers / after each MLP layer. Default: 0.0.
        encoder: ``"lstm"`` for sequences (read out at the final hidden state) or ``"mlp"`` for
            views without time steps (T = 1, e.g. UCI multiple features; averaged over time
            otherwise). Default: ``"lstm"``.
        fusion: ``"concat"`` (a linear head on the concatenated encodings; OGM-GE's) or
            ``"shared"`` (one linear head applied to each encoding, logits averaged; MLA's and
            AUG's). Default: ``"concat"``.

    Shape:
        - inputs[m]: :math:`(B, T, D_m)` for every modality in ``dims``
        - output: :math:`(B, n\\_outputs)`

    Examples::

        >>> model = LateFusion({"language": 6, "audio": 3}, n_outputs=4, hidden=8)
        >>> x = {"language": torch.zeros(5, 7, 6), "audio": torch.zeros(5, 7, 3)}
        >>> model(x).shape, model.encode(x)["audio"].shape
        (torch.Size([5, 4]), torch.Size([5, 8]))
    """

    def __init__(
        self,
        dims: Mapping[str, int],
        n_outputs: int,
        *,
        hidden: int = 64,
        layers: int = 1,
        dropout: float = 0.0,
        encoder: str = "lstm",
        fusion: str = "concat",
    ) -> None:
        super().__init__()
        self.dims = check_dims(dims)
        for name, value in [("n_outputs", n_outputs), ("hidden", hidden), ("layers", layers)]:
            check_positive(name, value)
        check_probability("dropout", dropout)
        if encoder not in ENCODERS:
            raise ConfigError(f"encoder must be one of {', '.join(ENCODERS)}, got {encoder!r}.")
        if fusion not in FUSIONS:
            raise ConfigError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}.")
        self.hidden = hidden
        self.fusion = fusion
        make = _LSTMEncoder if encoder == "lstm" else _MLPEncoder
        self.encoders = nn.ModuleDict(
            {m: make(size, hidden, layers, dropout) for m, size in self.dims.items()}
        )
        width = hidden * len(self.dims) if fusion == "concat" else hidden
        self.head = nn.Linear(width, n_outputs)

    def encode(
        self, inputs: Mapping[str, Tensor], names: Iterable[str] | None = None
    ) -> dict[str, Tensor]:
        """Encode the modalities ``names`` (default: all, in ``dims`` order).

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`; only the modalities encoded need to be present
              (with ``names=None`` every modality must be, with equal (B, T))
            - output[m]: :math:`(B, H)`
        """
        if names is None:
            tensors = modality_inputs(inputs, self.dims)
            return {m: self.encoders[m](x) for m, x in zip(self.dims, tensors, strict=True)}
        names = list(names)
        tensors = modality_inputs(inputs, {m: self.dims[m] for m in names})
        return {m: self.encoders[m](x) for m, x in zip(names, tensors, strict=True)}

    def logits(self, name: str, encoding: Tensor) -> Tensor:
        """Modality ``name``'s own logits from its encoding.

        ``shared``: the head on the encoding.  ``concat``: the encoding times its slice of the
        head's weight plus ``bias / M`` (so that the modalities' logits sum to the fused ones).

        Shape:
            - encoding: :math:`(B, H)`
            - output: :math:`(B, n\\_outputs)`
        """
        if self.fusion == "shared":
            return self.head(encoding)
        i = list(self.dims).index(name)
        weight = self.head.weight[:, i * self.hidden : (i + 1) * self.hidden]
        return encoding @ weight.T + self.head.bias / len(self.dims)

    def fuse(self, encodings: Mapping[str, Tensor]) -> Tensor:
        """The head over the encodings given; any non-empty subset of the modalities.

        ``concat``: a modality left out contributes a zero encoding.  ``shared``: the mean of
        the given modalities' logits.

        Shape:
            - encodings[m]: :math:`(B, H)`
            - output: :math:`(B, n\\_outputs)`
        """
        if not encodings:
            raise ConfigError("fuse needs at least one modality's encoding.")
        if self.fusion == "shared":
            return torch.stack([self.head(h) for h in encodings.values()]).mean(dim=0)
        first = next(iter(encodings.values()))
        zeros = first.new_zeros(first.shape)
        return self.head(torch.cat([encodings.get(m, zeros) for m in self.dims], dim=-1))

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Return the fused logits (or predictions when ``n_outputs`` is 1).

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`
            - output: :math:`(B, n\\_outputs)`
        """
        return self.fuse(self.encode(inputs))
