"""A synthetic benchmark in which the supporting modalities dominate the primary one.

Generative process (one item; noise is standard normal everywhere, independently per step and
feature):

1. Draw a class ``y`` from the class shares (skewed, like IEMOCAP's emotions), or, for the
   regression variant, a sentiment score ``y`` in [-3, 3] (a clipped normal mixture with extra mass
   at 0, like CMU-MOSI).
2. Every modality ``m`` has a fixed unit-RMS prototype per class (regression: one direction
   ``w_m`` scaled by ``y / 3``).
3. **Supporting modalities** (every modality but the primary one) show their prototype at *every*
   time step with amplitude ``supporting_strength`` (dense, strong evidence).
4. The **primary modality** shows its prototype at only ``primary_steps`` randomly chosen time
   steps with amplitude ``primary_strength`` (sparse, weak evidence); the other steps are noise.

A model trained on all modalities can fit the labels from the supporting modalities alone and
learn little about the primary one; tested on the primary modality alone (the supporting ones
zero-filled) it then does worse than a model trained on the primary modality only: negative
co-learning.  Dropping the supporting modalities during training forces the model to use the
primary one.  This is a *simulation of dominant supporting modalities*: it reproduces the
mechanism the paper proposes, it is not a model of IEMOCAP or CMU-MOSI and says nothing about
whether real data behave this way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from colearn.errors import ConfigError
from repro.data import MultimodalDataset

__all__ = ["PRESETS", "SyntheticConfig", "make_synthetic", "split_indices"]

# Class shares of IEMOCAP's nine emotions in the authors' test set (REFERENCE §2: test counts
# neu 192, fru 203, ang 130, sad 145, exc 105, hap 65, sur 15, fea 5, dis 0 of 860); 'dis' is
# given a token share so that every class exists.
_IEMOCAP_CLASSES = ("neu", "fru", "ang", "sad", "exc", "hap", "sur", "fea", "dis")
_IEMOCAP_SHARES = (192, 203, 130, 145, 105, 65, 15, 5, 2)


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the synthetic generator (see the module docstring for the process).

    Parameters
    ----------
    n_items : int
        Items in total (split 75 / 12.5 / 12.5 % at random).
    seq_len : int
        Time steps T per item.
    dims : mapping of str to int
        Features per modality, in concatenation order.
    primary : str
        The weak, sparse modality (one of ``dims``).
    task : {"classification", "regression"}
    class_shares : sequence of float
        Relative class frequencies (normalised); ignored for regression.
    class_names : sequence of str, optional
        Defaults to ``c0, c1, ...``.
    primary_strength, supporting_strength : float
        Signal amplitude relative to the noise SD of 1.
    primary_steps : int
        Time steps at which the primary modality carries evidence (1..seq_len).
    seed : int
        Seed of the data (items, prototypes and split); fixed per study.
    """

    n_items: int = 2000
    seq_len: int = 12
    dims: Mapping[str, int] = field(
        default_factory=lambda: {"language": 16, "audio": 8, "visual": 8}
    )
    primary: str = "language"
    task: str = "classification"
    class_shares: Sequence[float] = (0.30, 0.22, 0.18, 0.14, 0.10, 0.06)
    class_names: Sequence[str] = ()
    primary_strength: float = 0.5
    supporting_strength: float = 1.5
    primary_steps: int = 3
    seed: int = 0

    def validate(self) -> SyntheticConfig:
        """Raise :class:`ConfigError` on an impossible setting; return self."""
        checks = [
            (self.n_items >= 16, f"n_items must be at least 16, got {self.n_items}"),
            (self.seq_len >= 1, f"seq_len must be at least 1, got {self.seq_len}"),
            (len(self.dims) >= 2, "dims must name at least two modalities"),
            (
                all(d >= 1 for d in self.dims.values()),
                f"every dim must be >= 1, got {dict(self.dims)}",
            ),
            (
                self.primary in self.dims,
                f"primary '{self.primary}' is not one of {list(self.dims)}",
            ),
            (self.task in ("classification", "regression"), f"task '{self.task}' is unknown"),
            (
                1 <= self.primary_steps <= self.seq_len,
                f"primary_steps must be in [1, seq_len={self.seq_len}], got {self.primary_steps}",
            ),
            (
                self.primary_strength >= 0 and self.supporting_strength >= 0,
                "signal strengths must be non-negative",
            ),
        ]
        if self.task == "classification":
            shares = np.asarray(self.class_shares, dtype=float)
            checks += [
                (
                    shares.size >= 2 and np.all(shares > 0),
                    f"class_shares must hold at least two positive values, got {list(self.class_shares)}",
                ),
                (
                    not self.class_names or len(self.class_names) == shares.size,
                    f"{len(self.class_names)} class_names for {shares.size} class_shares",
                ),
            ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"synthetic data: {message}.")
        return self

    def to_dict(self) -> dict:
        """Plain-data form (for run ids and the store)."""
        out = asdict(self)
        out["dims"] = dict(self.dims)
        out["class_shares"] = list(self.class_shares)
        out["class_names"] = list(self.class_names)
        return out


PRESETS: dict[str, SyntheticConfig] = {
    # CPU-sized: a run of the small bi-EFLSTM takes seconds on one thread.
    "quick": SyntheticConfig(),
    "iemocap": SyntheticConfig(
        n_items=6877,
        seq_len=30,
        dims={"language": 300, "audio": 80, "visual": 310},
        class_shares=_IEMOCAP_SHARES,
        class_names=_IEMOCAP_CLASSES,
        primary_steps=6,
    ),
    "mosi": SyntheticConfig(
        n_items=2199,
        seq_len=20,
        dims={"language": 300, "audio": 5, "visual": 20},
        task="regression",
        primary_steps=4,
    ),
}


def split_indices(n_items: int, rng: np.random.Generator, fractions=(0.75, 0.125)) -> dict:
    """Random train / valid / test indices (75 / 12.5 / 12.5 % by default), not stratified."""
    order = rng.permutation(n_items)
    n_train = int(round(fractions[0] * n_items))
    n_valid = int(round(fractions[1] * n_items))
    return {
        "train": np.sort(order[:n_train]),
        "valid": np.sort(order[n_train : n_train + n_valid]),
        "test": np.sort(order[n_train + n_valid :]),
    }


def make_synthetic(config: SyntheticConfig | str = "quick", **overrides) -> MultimodalDataset:
    """Generate a synthetic data set.

    Parameters
    ----------
    config : SyntheticConfig or str
        A configuration or the name of a preset (``quick``, ``iemocap``, ``mosi``).
    **overrides
        Fields of :class:`SyntheticConfig` to change.

    Returns
    -------
    MultimodalDataset
        Modalities (N, T, D_m) float32; labels int64 classes or float32 scores in [-3, 3].

    Examples
    --------
    >>> ds = make_synthetic("quick", n_items=100)
    >>> ds.modalities["language"].shape, ds.primary, ds.n_classes
    ((100, 12, 16), 'language', 6)
    """
    if isinstance(config, str):
        if config not in PRESETS:
            raise ConfigError(f"unknown synthetic preset '{config}'; valid: {', '.join(PRESETS)}.")
        config = PRESETS[config]
    unknown = set(overrides) - set(SyntheticConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown synthetic data setting(s) {sorted(unknown)}.")
    cfg = replace(config, **overrides).validate()
    rng = np.random.default_rng(cfg.seed)
    n, t = cfg.n_items, cfg.seq_len

    if cfg.task == "classification":
        shares = np.asarray(cfg.class_shares, dtype=float)
        k = shares.size
        labels = rng.choice(k, size=n, p=shares / shares.sum())
        class_names = tuple(cfg.class_names) or tuple(f"c{i}" for i in range(k))
        # Amplitude per item: a row of one-hot class indicators, mapped through the prototypes.
        weights = np.eye(k)[labels]
        protos = {m: _unit_rms(rng.standard_normal((k, d))) for m, d in cfg.dims.items()}
    else:
        labels = _sentiment_scores(rng, n)
        class_names = ()
        weights = (labels / 3.0)[:, None]
        protos = {m: _unit_rms(rng.standard_normal((1, d))) for m, d in cfg.dims.items()}

    modalities = {}
    for m, d in cfg.dims.items():
        signal = weights @ protos[m]  # (N, D)
        x = rng.standard_normal((n, t, d))
        if m == cfg.primary:
            # Evidence at primary_steps random steps per item, noise elsewhere.
            steps = np.argsort(rng.random((n, t)), axis=1)[:, : cfg.primary_steps]
            mask = np.zeros((n, t), dtype=bool)
            np.put_along_axis(mask, steps, True, axis=1)
            x += cfg.primary_strength * mask[:, :, None] * signal[:, None, :]
        else:
            x += cfg.supporting_strength * signal[:, None, :]
        modalities[m] = x.astype(np.float32)

    return MultimodalDataset(
        modalities=modalities,
        labels=labels,
        task=cfg.task,
        splits=split_indices(n, rng),
        primary=cfg.primary,
        class_names=class_names,
        name="synthetic",
        notes={"generator": cfg.to_dict()},
    )


def _unit_rms(protos: np.ndarray) -> np.ndarray:
    return protos / np.sqrt(np.mean(protos**2, axis=1, keepdims=True))


def _sentiment_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    # CMU-MOSI-like: broad, slightly positive, with a bump of exact zeros (neutral segments).
    scores = np.clip(rng.normal(0.3, 1.5, size=n), -3, 3)
    scores[rng.random(n) < 0.05] = 0.0
    return np.round(scores, 2).astype(np.float32)
