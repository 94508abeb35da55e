"""Statistics side of colearn: tidy results, co-learning labels, dose-response, power, reports.

This package never imports torch or :mod:`repro`, so stored or imported results can be analysed
without the training stack.
"""

from analysis.errors import ColearnError, ConfigError, DataError, StoreError

__all__ = ["ColearnError", "ConfigError", "DataError", "StoreError"]
