"""Training: one run's configuration, models, modality dropout, metrics, seeds, the training loop.

The run configuration (:mod:`repro.training.config`) is all that training needs from a study, so
nothing here imports the study files.  Importing this package does not import torch.
"""
