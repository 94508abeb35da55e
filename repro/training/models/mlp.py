"""Early-fusion multilayer perceptron for data without time steps (e.g. UCI multiple features)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from repro.training.models._common import (
    check_dims,
    check_positive,
    check_probability,
    modality_inputs,
)

__all__ = ["EarlyFusionMLP"]


class EarlyFusionMLP(nn.Module):
    """Concatenate modalities, then ``(Linear → BatchNorm1d → ReLU → Dropout) × k → Linear``.

    Inputs with more than one time step are averaged over time first.

    Args:
        dims: ordered mapping modality name → feature size; the order is the concatenation order.
        n_outputs: number of classes (logits) or 1 for regression.
        hidden: widths of the hidden layers, in order (may be empty). Default: ``(128,)``.
        dropout: dropout after each hidden layer. Default: 0.5.

    Shape:
        - inputs[m]: :math:`(B, T, D_m)` (T is usually 1)
        - output: :math:`(B, n\\_outputs)`

    Examples::

        >>> model = EarlyFusionMLP({"fou": 76, "kar": 64}, n_outputs=10, hidden=(64, 32))
        >>> x = {"fou": torch.zeros(5, 1, 76), "kar": torch.zeros(5, 1, 64)}
        >>> model.eval()(x).shape
        torch.Size([5, 10])
    """

    def __init__(
        self,
        dims: Mapping[str, int],
        n_outputs: int,
        *,
        hidden: Sequence[int] = (128,),
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.dims = check_dims(dims)
        check_positive("n_outputs", n_outputs)
        check_probability("dropout", dropout)
        if isinstance(hidden, str) or not isinstance(hidden, Sequence):
            raise ConfigError(f"hidden must be a list of layer widths, got {hidden!r}.")
        for width in hidden:
            check_positive("hidden", width)
        layers: list[nn.Module] = []
        width_in = sum(self.dims.values())
        for width in hidden:
            layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.ReLU()]
            layers.append(nn.Dropout(dropout))
            width_in = width
        layers.append(nn.Linear(width_in, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Return logits (or predictions when ``n_outputs`` is 1).

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`
            - output: :math:`(B, n\\_outputs)`
        """
        fused = torch.cat([x.mean(dim=1) for x in modality_inputs(inputs, self.dims)], dim=-1)
        return self.net(fused)
