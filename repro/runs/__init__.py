"""Runs: study files, the run grid and run ids, the results store, sweeps and their executors.

Importing this package does not import torch; the modules that train (``execute``, ``sweep``'s
executors, ``bench``) import it when they run.
"""
