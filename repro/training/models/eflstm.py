"""Bi-directional early-fusion LSTM (bi-EFLSTM), as the paper's authors released it.

Modalities are concatenated per time step (in the order of ``dims``), read by a stacked
bi-directional LSTM, and classified by a small head with batch normalisation.  The readout is
switchable because the released code takes the LSTM *output at the last time step* (whose backward
half has run a single step), not the final hidden states.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from repro.training.models._common import (
    check_dims,
    check_positive,
    check_probability,
    concat_modalities,
)

__all__ = ["EFLSTM", "READOUTS"]

READOUTS = ("last-output", "final-state")


class EFLSTM(nn.Module):
    """Bi-directional early-fusion LSTM with a batch-normalised classification head.

    Args:
        dims: ordered mapping modality name → feature size; the order is the concatenation order.
        n_outputs: number of classes (logits) or 1 for regression.
        hidden: LSTM hidden size per direction (also the head's width). Default: 128.
        layers: number of stacked LSTM layers. Default: 2.
        dropout: dropout between LSTM layers. Default: 0.5.
        head_dropout: dropout in the head, after the ReLU. Default: 0.5.
        readout: ``"last-output"`` (as released: the LSTM output at the last time step, i.e. the
            forward state at T with a backward state that has run a single step, over step T
            only) or ``"final-state"``
            (the forward and backward final hidden states of the top layer).

    Shape:
        - inputs[m]: :math:`(B, T, D_m)` for every modality in ``dims``
        - output: :math:`(B, n\\_outputs)`

    Examples::

        >>> model = EFLSTM({"language": 300, "audio": 80, "visual": 310}, n_outputs=9)
        >>> sum(p.numel() for p in model.parameters())
        1269257
        >>> x = {m: torch.zeros(4, 20, d) for m, d in model.dims.items()}
        >>> model.eval()(x).shape
        torch.Size([4, 9])
    """

    def __init__(
        self,
        dims: Mapping[str, int],
        n_outputs: int,
        *,
        hidden: int = 128,
        layers: int = 2,
        dropout: float = 0.5,
        head_dropout: float = 0.5,
        readout: str = "last-output",
    ) -> None:
        super().__init__()
        self.dims = check_dims(dims)
        for name, value in [("n_outputs", n_outputs), ("hidden", hidden), ("layers", layers)]:
            check_positive(name, value)
        check_probability("dropout", dropout)
        check_probability("head_dropout", head_dropout)
        if readout not in READOUTS:
            raise ConfigError(f"readout must be one of {', '.join(READOUTS)}, got {readout!r}.")
        self.hidden = hidden
        self.layers = layers
        self.readout = readout
        self.lstm = nn.LSTM(
            sum(self.dims.values()),
            hidden,
            num_layers=layers,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Sequential(
            nn.Linear(2 * hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(head_dropout),
            nn.Linear(hidden, n_outputs),
        )

    def encode(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Return the fused sequence representation fed to the head.

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`
            - output: :math:`(B, 2 \\cdot hidden)`
        """
        output, (h_n, _) = self.lstm(concat_modalities(inputs, self.dims))
        if self.readout == "last-output":
            return output[:, -1]
        top = h_n.view(self.layers, 2, h_n.shape[1], self.hidden)[-1]
        return torch.cat([top[0], top[1]], dim=-1)

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Return logits (or predictions when ``n_outputs`` is 1).

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`
            - output: :math:`(B, n\\_outputs)`
        """
        return self.head(self.encode(inputs))
