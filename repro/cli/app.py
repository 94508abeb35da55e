"""The Typer application object and the error contract of the command line.

Command modules (``repro.cli.<area>``) attach their commands to :data:`app`.  They import torch
and the heavy parts of the library inside the command functions, so that commands which only
analyse results never import torch.

Exit codes: 0 success, 1 the work failed, 2 bad input (file, setting, argument).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from colearn.errors import ColearnError

__all__ = [
    "TRUST_PICKLE_HELP",
    "Command",
    "Group",
    "app",
    "data_app",
    "err_console",
    "main",
    "out_console",
    "plain_flags",
    "print_json",
    "print_table",
    "print_warning",
    "state",
]


class _FlagsWithoutType:
    """Help that shows no value type beside a flag (``--json``, ``--help``): it takes none."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""  # typer shows the metavar, when set, in place of "<bool>"
        return params


class Command(_FlagsWithoutType, TyperCommand):
    """The class of every ``colearn`` command (see :func:`plain_flags`)."""


class Group(_FlagsWithoutType, TyperGroup):
    """The class of ``colearn`` and its command groups."""


def plain_flags(typer_app: typer.Typer) -> None:
    """Give every command registered on ``typer_app`` (and its groups) the :class:`Command`
    class, unless it chose its own.  Called once the command modules have registered."""
    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):  # typer's default
            info.cls = Command
    for group in typer_app.registered_groups:
        plain_flags(group.typer_instance)


app = typer.Typer(
    name="colearn",
    cls=Group,
    help=(
        "Reproducibility studies of multimodal co-learning: does modality dropout turn negative "
        "co-learning into positive co-learning, and how sure can you be?\n\n"
        "Example: colearn reproduce"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
data_app = typer.Typer(cls=Group, help="Inspect data files.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# Progress and messages go to stderr so that ``--json`` output on stdout stays one document.
err_console = Console(stderr=True)


def out_console() -> Console:
    """A console on stdout for tables; wide when stdout is a file or a pipe, so columns survive."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=max(console.width, 160))
    return console


def print_table(
    title: str,
    columns: list[tuple[str, int]],
    rows: list[list[str]],
    wide: bool = False,
) -> list[str]:
    """Print a table on stdout that fits the terminal: drop the least important columns first.

    Parameters
    ----------
    title : str
        Table title.
    columns : list of (name, rank)
        Column names in display order with their importance: rank 0 is always shown; higher
        ranks go first when the table is wider than the terminal.
    rows : list of list of str
        Cells (rich markup allowed).
    wide : bool
        Show every column whatever the width (``--wide``).

    Returns
    -------
    list of str
        The columns left out (a note on stderr names them and the way to see them).
    """
    from rich import box
    from rich.table import Table

    console = out_console()
    keep = list(range(len(columns)))

    def build(index: list[int]) -> Table:
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        for i in index:
            name = columns[i][0]
            table.add_column(
                name, justify="left" if i == 0 or name in ("label", "setting") else "right"
            )
        for row in rows:
            table.add_row(*(row[i] for i in index))
        return table

    def width(table: Table) -> int:
        # Measured without the console's own limit, which would clamp it to the terminal.
        return console.measure(table, options=console.options.update(max_width=10**6)).maximum

    table = build(keep)
    while not wide and width(table) > console.width:
        ranked = [i for i in keep if columns[i][1] > 0]
        if not ranked:
            break
        keep.remove(max(ranked, key=lambda i: (columns[i][1], i)))
        table = build(keep)
    console.print(table)
    hidden = [columns[i][0] for i in range(len(columns)) if i not in keep]
    if hidden:
        err_console.print(
            f"(hidden to fit {console.width} columns: {', '.join(hidden)}; --wide shows them, "
            "--json gives every column)",
            highlight=False,
        )
    return hidden


state: dict[str, Any] = {"debug": False}

#: Help of ``--trust-pickle`` on every command that may load a pickled data file.
TRUST_PICKLE_HELP = (
    "Load pickled data files (MulT, MMSA) even if they name classes beyond arrays and tensors; "
    "unpickling such a file runs code it names, so use this only for files you trust."
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one line."),
) -> None:
    state["debug"] = debug


def print_warning(message: str) -> None:
    """One warning line on stderr (the message is printed as text, never as markup)."""
    err_console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)


def print_json(document: Any) -> None:
    """Write one JSON document to stdout (NaN written as null)."""
    sys.stdout.write(json.dumps(_nan_to_none(document), indent=2, default=_json_default) + "\n")


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays without importing numpy at module level
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _nan_to_none(value.item())
    if hasattr(value, "tolist"):
        return _nan_to_none(value.tolist())
    return str(value)


def main() -> None:
    """Console-script entry point: run the app and turn errors into one line and an exit code."""
    try:
        app()
    except ColearnError as exc:
        if state["debug"]:
            raise
        # escape(): messages quote user input and study keys like "[data.dims]", not markup
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence of the CLI
        if state["debug"]:
            raise
        err_console.print(
            f"[red]failed:[/red] {type(exc).__name__}: {escape(str(exc))} "
            "(rerun with --debug for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
