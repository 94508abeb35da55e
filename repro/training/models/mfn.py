"""Memory Fusion Network (Zadeh et al. 2018, arXiv 1802.00927).

One LSTM cell per modality; at every step a delta-memory attention reads the cell states of the last
``window`` steps and a multi-view gated memory accumulates what it attends to.  Defaults are the
settings used by the co-learning paper's authors.  Unlike the released code, the zero initial
states are created on the input's device and dtype, so the model runs on CUDA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral

import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from repro.training.models._common import (
    check_dims,
    check_positive,
    check_probability,
    modality_inputs,
)

__all__ = ["MFN", "DeltaMemoryAttention", "MultiViewGatedMemory", "TwoLayerMLP"]

AUTHORS_HIDDEN = (128, 32, 32)


class TwoLayerMLP(nn.Sequential):
    """``Linear → ReLU → Dropout → Linear``, the building block of every MFN network.

    Shape:
        - input: :math:`(B, in\\_features)`
        - output: :math:`(B, out\\_features)`
    """

    def __init__(self, in_features: int, hidden: int, out_features: int, dropout: float) -> None:
        super().__init__(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, out_features),
        )


class DeltaMemoryAttention(nn.Module):
    """Attention over the concatenated cell states of the window: ĉ = c ⊙ softmax(D_a(c)).

    Shape:
        - input: :math:`(B, W \\cdot \\sum_m h_m)`
        - output: same shape as the input
    """

    def __init__(self, size: int, hidden: int = 128, dropout: float = 0.0) -> None:
        super().__init__()
        self.scores = TwoLayerMLP(size, hidden, size, dropout)

    def forward(self, c: Tensor) -> Tensor:
        return c * torch.softmax(self.scores(c), dim=-1)


class MultiViewGatedMemory(nn.Module):
    """Gated memory update: mem ← γ1 ⊙ mem + γ2 ⊙ tanh(D_u(ĉ)), γ_i = σ(D_γi([ĉ, mem])).

    Shape:
        - c_hat: :math:`(B, C)`, mem: :math:`(B, M)`
        - output: :math:`(B, M)`
    """

    def __init__(
        self,
        size: int,
        mem: int = 128,
        proposal: tuple[int, float] = (64, 0.2),
        gamma1: tuple[int, float] = (256, 0.0),
        gamma2: tuple[int, float] = (64, 0.2),
    ) -> None:
        super().__init__()
        self.proposal = TwoLayerMLP(size, proposal[0], mem, proposal[1])
        self.gamma1 = TwoLayerMLP(size + mem, gamma1[0], mem, gamma1[1])
        self.gamma2 = TwoLayerMLP(size + mem, gamma2[0], mem, gamma2[1])

    def forward(self, c_hat: Tensor, mem: Tensor) -> Tensor:
        both = torch.cat([c_hat, mem], dim=-1)
        update = torch.tanh(self.proposal(c_hat))
        return torch.sigmoid(self.gamma1(both)) * mem + torch.sigmoid(self.gamma2(both)) * update


def resolve_hidden(
    hidden: Mapping[str, int] | Sequence[int] | int | None, dims: Mapping[str, int]
) -> list[int]:
    """Per-modality LSTM sizes aligned with ``dims``; ``None`` → [128, 32, 32] or 64 each."""
    if hidden is None:
        sizes = list(AUTHORS_HIDDEN) if len(dims) == 3 else [64] * len(dims)
    elif isinstance(hidden, Integral):
        sizes = [hidden] * len(dims)
    elif isinstance(hidden, Mapping):
        if set(hidden) != set(dims):
            raise ConfigError(
                f"hidden names modalities {sorted(hidden)} but the data has {sorted(dims)}."
            )
        sizes = [hidden[name] for name in dims]
    elif isinstance(hidden, Sequence) and not isinstance(hidden, str):
        sizes = list(hidden)
        if len(sizes) != len(dims):
            raise ConfigError(
                f"hidden has {len(sizes)} sizes but there are {len(dims)} modalities {list(dims)}."
            )
    else:
        raise ConfigError(f"hidden must be an int, a list or a mapping of sizes, got {hidden!r}.")
    for size in sizes:
        check_positive("hidden", size)
    return [int(size) for size in sizes]


class MFN(nn.Module):
    """Memory Fusion Network for classification (``n_outputs`` classes) or regression (1).

    Args:
        dims: ordered mapping modality name → feature size.
        n_outputs: number of classes (logits) or 1 for regression.
        hidden: LSTM size per modality (mapping, sequence aligned with ``dims``, or one int).
            Default: [128, 32, 32] for three modalities, else 64 each.
        mem: memory size. Default: 128.
        window: number of consecutive steps whose cell states the attention reads. Default: 2.
        attn_hidden, attn_dropout: D_a width and dropout. Default: 128, 0.0.
        proposal_hidden, proposal_dropout: D_u width and dropout. Default: 64, 0.2.
        gamma1_hidden, gamma1_dropout: D_γ1 width and dropout. Default: 256, 0.0.
        gamma2_hidden, gamma2_dropout: D_γ2 width and dropout. Default: 64, 0.2.
        out_hidden, out_dropout: output MLP width and dropout. Default: 64, 0.5.

    Shape:
        - inputs[m]: :math:`(B, T, D_m)` for every modality in ``dims``
        - output: :math:`(B, n\\_outputs)`

    Examples::

        >>> model = MFN({"language": 300, "audio": 5, "visual": 20}, n_outputs=1)
        >>> x = {m: torch.zeros(2, 7, d) for m, d in model.dims.items()}
        >>> model(x).shape
        torch.Size([2, 1])
    """

    def __init__(
        self,
        dims: Mapping[str, int],
        n_outputs: int,
        *,
        hidden: Mapping[str, int] | Sequence[int] | int | None = None,
        mem: int = 128,
        window: int = 2,
        attn_hidden: int = 128,
        attn_dropout: float = 0.0,
        proposal_hidden: int = 64,
        proposal_dropout: float = 0.2,
        gamma1_hidden: int = 256,
        gamma1_dropout: float = 0.0,
        gamma2_hidden: int = 64,
        gamma2_dropout: float = 0.2,
        out_hidden: int = 64,
        out_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.dims = check_dims(dims)
        self.hidden = resolve_hidden(hidden, self.dims)
        sizes = {"n_outputs": n_outputs, "mem": mem, "window": window, "attn_hidden": attn_hidden}
        sizes |= {"proposal_hidden": proposal_hidden, "gamma1_hidden": gamma1_hidden}
        sizes |= {"gamma2_hidden": gamma2_hidden, "out_hidden": out_hidden}
        for name, value in sizes.items():
            check_positive(name, value)
        rates = {"attn_dropout": attn_dropout, "proposal_dropout": proposal_dropout}
        rates |= {"gamma1_dropout": gamma1_dropout, "gamma2_dropout": gamma2_dropout}
        rates |= {"out_dropout": out_dropout}
        for name, value in rates.items():
            check_probability(name, value)
        self.mem = mem
        self.window = window
        self.cells = nn.ModuleList(
            nn.LSTMCell(d, h) for d, h in zip(self.dims.values(), self.hidden, strict=True)
        )
        c_size = window * sum(self.hidden)
        self.attention = DeltaMemoryAttention(c_size, attn_hidden, attn_dropout)
        self.memory = MultiViewGatedMemory(
            c_size,
            mem,
            proposal=(proposal_hidden, proposal_dropout),
            gamma1=(gamma1_hidden, gamma1_dropout),
            gamma2=(gamma2_hidden, gamma2_dropout),
        )
        self.out = TwoLayerMLP(sum(self.hidden) + mem, out_hidden, n_outputs, out_dropout)

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Return logits (classification) or predictions (regression).

        Shape:
            - inputs[m]: :math:`(B, T, D_m)`
            - output: :math:`(B, n\\_outputs)`
        """
        xs = modality_inputs(inputs, self.dims)
        batch, steps = xs[0].shape[:2]
        like = xs[0]  # zero states follow the input's device and dtype
        h = [like.new_zeros(batch, size) for size in self.hidden]
        c = [like.new_zeros(batch, size) for size in self.hidden]
        mem = like.new_zeros(batch, self.mem)
        history = [torch.cat(c, dim=-1)] * (self.window - 1)
        for t in range(steps):
            steps_in = zip(self.cells, xs, h, c, strict=True)
            states = [cell(x[:, t], (h_m, c_m)) for cell, x, h_m, c_m in steps_in]
            h = [state[0] for state in states]
            c = [state[1] for state in states]
            history = [*history, torch.cat(c, dim=-1)][-self.window :]
            mem = self.memory(self.attention(torch.cat(history, dim=-1)), mem)
        return self.out(torch.cat([*h, mem], dim=-1))
