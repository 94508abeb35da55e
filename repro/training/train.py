"""One training run: an arm at a dropout level and seed index, trained, selected and evaluated.

The loop follows the authors' released protocol by default and can be switched away from it:
Adam without weight decay, ReduceLROnPlateau on the validation loss, the checkpoint with the
lowest validation loss on the *selection condition* (``primary`` as released, or ``all``; ties go
to the later epoch), optional early stopping, the training order shuffled once (as released) or
every epoch, the last partial batch dropped or kept.  The multimodal arm's per-batch step and
its predictions belong to the run's training method (:mod:`repro.training.methods`; modality
dropout alone by default); the unimodal baseline is always trained with the default.  A run
returns its results; it never writes the store.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from colearn.errors import ConfigError
from repro.data import MultimodalDataset
from repro.training.config import MethodSpec, RunConfig
from repro.training.dropout import ModalityDropout, zero_fill
from repro.training.methods import Method, build_method, check_method, method_generator
from repro.training.metrics import compute_metrics, confusion_matrix
from repro.training.models import build_model
from repro.training.seeds import derive_seed, numpy_rng, torch_generator

__all__ = ["ARMS", "RunResult", "conditions_for", "resolve_device", "train"]

ARMS = ("multimodal", "unimodal")
_EVAL_BATCH = 1024


@dataclass
class RunResult:
    """What one run produced.

    Attributes
    ----------
    metrics : dict
        ``{condition: {metric: value}}``; conditions ``primary``, ``all`` and one per
        non-primary modality; every condition has ``loss`` plus the task's metrics.
    predictions : dict
        ``{condition: ndarray (n_test,)}``: predicted class indices or scores on the test split.
    confusion : dict
        ``{condition: ndarray (K, K)}`` for classification (rows = true class); empty otherwise.
    history : list of dict
        One entry per epoch: ``epoch, train_loss, valid_loss, lr``.
    """

    arm: str
    level: float | None
    seed: int
    metrics: dict[str, dict[str, float]]
    n_test: int
    test_index: np.ndarray
    predictions: dict[str, np.ndarray]
    confusion: dict[str, np.ndarray]
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    duration_s: float = 0.0
    device: str = "cpu"


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without it is an error, not a fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device '{device}' was asked for but CUDA is not available; use --device cpu."
        )
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"device '{device}' is unknown; valid: auto, cpu, cuda, cuda:N.")
    return torch.device(device)


def conditions_for(data: MultimodalDataset) -> dict[str, frozenset[str]]:
    """Test conditions and the modalities each keeps (the others are zero-filled)."""
    conditions = {"primary": frozenset({data.primary}), "all": frozenset(data.modalities)}
    conditions.update({m: frozenset({m}) for m in data.modalities if m != data.primary})
    return conditions


def train(
    data: MultimodalDataset,
    config: RunConfig,
    arm: str,
    level: float | None,
    seed: int,
    device: str = "cpu",
    on_epoch: Callable[[dict], None] | None = None,
) -> RunResult:
    """Train one model and evaluate its best checkpoint on the test split.

    Parameters
    ----------
    data : MultimodalDataset
    config : RunConfig
        Model, training and protocol settings of the study's setting.
    arm : {"multimodal", "unimodal"}
        ``multimodal`` trains on every modality with the dropped ones zeroed with probability
        ``level``; ``unimodal`` trains on the primary modality only (others zero-filled).
    level : float or None
        Dropout probability in [0, 1] for the multimodal arm; ignored (None) for unimodal.
    seed : int
        Seed index; with the study seed it derives every random stream of the run.
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    on_epoch : callable, optional
        Called with each epoch's history entry (for progress display).
    """
    if arm not in ARMS:
        raise ConfigError(f"arm '{arm}' is unknown; valid: {', '.join(ARMS)}.")
    if arm == "multimodal" and (level is None or not 0.0 <= level <= 1.0):
        raise ConfigError(f"the multimodal arm needs a level in [0, 1], got {level}.")
    level = float(level) if arm == "multimodal" else None
    for m in (config.primary, *config.dropped):
        if m not in data.modalities:
            raise ConfigError(f"modality '{m}' is not in the data ({', '.join(data.modalities)}).")
    dev = resolve_device(device)
    started = time.perf_counter()
    # The method shapes the multimodal arm only; the baseline is trained as it always was.
    spec = check_method(config.method, config.model) if arm == "multimodal" else MethodSpec()
    method = build_method(
        spec,
        epochs=config.training.epochs,
        generator=method_generator(config.study_seed, seed),
    )

    x = {m: torch.from_numpy(v).to(dev) for m, v in data.modalities.items()}
    regression = data.task == "regression"
    y = torch.from_numpy(data.labels).to(dev)
    loss_fn = _loss(config.training.loss, data.task)

    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(derive_seed(config.study_seed, seed, "init"))
        model = build_model(config.model.kind, data.dims, data.n_outputs, **config.model.params)
        method.attach(model, data.task)
    model.to(dev)
    optimizer = method.make_optimizer(model, config.training.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        patience=config.training.plateau_patience,
        factor=config.training.plateau_factor,
    )
    dropout = ModalityDropout(
        {m: level for m in config.dropped} if arm == "multimodal" else {},
        draw=config.protocol.draw,
        granularity=config.protocol.granularity,
    )
    keep_train = frozenset(data.modalities) if arm == "multimodal" else frozenset({config.primary})
    # The baseline only ever sees the primary modality, so it is always selected on it.
    select = config.protocol.selection if arm == "multimodal" else "primary"
    keep_select = conditions_for(data)[select]
    order_rng = numpy_rng(config.study_seed, seed, "data-order")
    drop_gen = torch_generator(config.study_seed, seed, "modality-dropout")
    train_idx = data.splits["train"]
    order = order_rng.permutation(train_idx)

    history, best_loss, best_state, best_epoch, since_best = [], float("inf"), None, 0, 0
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(derive_seed(config.study_seed, seed, "network-dropout"))
        for epoch in range(1, config.training.epochs + 1):
            if epoch > 1 and config.protocol.shuffle == "every-epoch":
                order = order_rng.permutation(train_idx)
            train_loss = _train_epoch(
                method, model, x, y, order, config, keep_train, dropout, drop_gen, loss_fn,
                optimizer, dev, epoch,
            )  # fmt: skip
            valid_out = _predict(method, model, x, data.splits["valid"], keep_select, dev)
            valid_loss = float(loss_fn(_fit(valid_out, regression), y[data.splits["valid"]]))
            scheduler.step(valid_loss)
            entry = {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": valid_loss,
                "lr": optimizer.param_groups[0]["lr"],
            }
            history.append(entry)
            if on_epoch is not None:
                on_epoch(entry)
            if valid_loss <= best_loss:  # ties go to the later epoch, as released
                best_loss, best_epoch, since_best = valid_loss, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1
                if 0 < config.training.early_stopping <= since_best:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)

    test_idx = data.splits["test"]
    metrics, predictions, confusion = {}, {}, {}
    for name, keep in conditions_for(data).items():
        out = _predict(method, model, x, test_idx, keep, dev)
        truth = data.labels[test_idx]
        loss = float(loss_fn(_fit(out, regression), y[test_idx]))
        pred = out[:, 0].cpu().numpy() if regression else out.argmax(1).cpu().numpy()
        metrics[name] = {"loss": loss, **compute_metrics(data.task, truth, pred, data.n_classes)}
        predictions[name] = pred
        if not regression:
            confusion[name] = confusion_matrix(truth, pred, data.n_classes)
    return RunResult(
        arm=arm,
        level=level,
        seed=seed,
        metrics=metrics,
        n_test=int(test_idx.size),
        test_index=test_idx,
        predictions=predictions,
        confusion=confusion,
        history=history,
        best_epoch=best_epoch,
        duration_s=time.perf_counter() - started,
        device=str(dev),
    )


def _loss(name: str, task: str) -> nn.Module:
    if name == "auto":
        name = "l1" if task == "regression" else "cross-entropy"
    if task == "classification" and name != "cross-entropy":
        raise ConfigError(f"loss '{name}' does not fit a classification task; use cross-entropy.")
    if task == "regression" and name == "cross-entropy":
        raise ConfigError("loss 'cross-entropy' does not fit a regression task; use l1 or mse.")
    return {"cross-entropy": nn.CrossEntropyLoss(), "l1": nn.L1Loss(), "mse": nn.MSELoss()}[name]


def _fit(out: torch.Tensor, regression: bool) -> torch.Tensor:
    """Model outputs (B, K) as the loss expects them: (B,) scores for regression."""
    return out[:, 0] if regression else out


def _train_epoch(
    method: Method, model, x, y, order, config, keep, dropout, drop_gen, loss_fn, optimizer, dev,
    epoch: int,
) -> float:  # fmt: skip
    model.train()
    bs = config.training.batch_size
    stop = len(order) - len(order) % bs if config.protocol.drop_last else len(order)
    starts = range(0, stop, bs)
    method.start_epoch(epoch, len(starts))
    total, batches = 0.0, 0
    for start in starts:
        idx = torch.from_numpy(order[start : start + bs]).to(dev)
        if idx.numel() < 2:  # BatchNorm cannot train on a single item
            continue
        batch = zero_fill({m: v[idx] for m, v in x.items()}, keep)
        total += method.train_batch(model, batch, y[idx], dropout, drop_gen, loss_fn, optimizer)
        batches += 1
    method.end_epoch(epoch)
    return total / max(batches, 1)


@torch.no_grad()
def _predict(
    method: Method, model, x, index: np.ndarray, keep: frozenset[str], dev
) -> torch.Tensor:
    """Outputs (len(index), K) of the model in eval mode with only the modalities in ``keep``
    (the method decides how the others are left out; zero-filled by default)."""
    model.eval()
    outs = []
    for start in range(0, len(index), _EVAL_BATCH):
        idx = torch.from_numpy(index[start : start + _EVAL_BATCH]).to(dev)
        outs.append(method.predict(model, {m: v[idx] for m, v in x.items()}, keep))
    return torch.cat(outs)
