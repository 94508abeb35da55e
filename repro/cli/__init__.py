"""The ``colearn`` command line.  Each module below adds the commands of one area to ``app``."""

from repro.cli import (
    commands_analysis,  # noqa: F401
    commands_data,  # noqa: F401  (registers commands)
    commands_history,  # noqa: F401
    commands_report,  # noqa: F401
    commands_run,  # noqa: F401  (registers commands)
    commands_sweep,  # noqa: F401  (registers commands)
)
from repro.cli.app import app, main, plain_flags

plain_flags(app)

__all__ = ["app", "main"]
