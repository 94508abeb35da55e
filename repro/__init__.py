"""Training side of colearn: data, modality dropout, models, runs, studies, store, executors.

Importing :mod:`repro` does not import torch; the modules that train do.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
