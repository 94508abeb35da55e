"""Data: the in-memory container, the sources a study names, the synthetic generator, loaders.

Importing this package loads only the container; :mod:`repro.data.sources`,
:mod:`repro.data.synthetic` and :mod:`repro.data.loaders` are imported where they are used.
"""

from repro.data.container import SPLITS, TASKS, MultimodalDataset

__all__ = ["SPLITS", "TASKS", "MultimodalDataset"]
