"""The ``colearn`` command line.  Each module below adds the commands of one area to ``app``."""

from repro.cli import commands_analysis  # noqa: F401
from repro.cli import commands_data  # noqa: F401  (registers commands)
from repro.cli import commands_report  # noqa: F401
from repro.cli import commands_run  # noqa: F401  (registers commands)
from repro.cli import commands_sweep  # noqa: F401  (registers commands)
from repro.cli.app import app, main

__all__ = ["app", "main"]
