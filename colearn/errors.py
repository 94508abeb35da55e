"""The exception hierarchy shared by the whole toolkit.

It lives in :mod:`analysis` because :mod:`analysis` must stay importable without the training
stack, and :mod:`repro` already depends on :mod:`analysis`.  Every message is one sentence that
names the bad value and says what would be valid; the command line prints it and exits with 2.
"""

__all__ = ["ColearnError", "ConfigError", "DataError", "StoreError"]


class ColearnError(Exception):
    """Base class of every error the toolkit raises on purpose (bad input, not a bug)."""


class ConfigError(ColearnError):
    """A study file, a command-line option or a function argument is invalid."""


class DataError(ColearnError):
    """A data file or an in-memory table is malformed, inconsistent or missing."""


class StoreError(ColearnError):
    """The results store cannot be opened, read or written as asked."""
