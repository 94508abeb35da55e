"""A ``colearn-cli`` directive: the command-line reference, generated from the Typer application.

Each command gets a section with its help text, its example and a table of its arguments and
options (names, value type, help, default), read from the same objects ``colearn CMD --help``
prints, so the page cannot drift from the command line.
"""

from __future__ import annotations

import re

from docutils import nodes
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from sphinx.util.docutils import SphinxDirective

#: Order of the sections: the main job, training, results, analysis, data.
ORDER = (
    "reproduce", "run", "sweep", "status", "history", "export", "bench", "studies",
    "analyze", "compare", "report", "figures", "import-original", "data inspect",
)  # fmt: skip


def _escape(text: str) -> str:
    return re.sub(r"([\\`*|_])", r"\\\1", text)


def _commands():
    import typer

    from repro.cli import app

    group = typer.main.get_command(app)
    found = {}
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub, subcommand in subcommands.items():
                found[f"{name} {sub}"] = subcommand
        else:
            found[name] = command
    missing = set(found) - set(ORDER)
    if missing:
        raise RuntimeError(f"commands missing from the CLI reference order: {sorted(missing)}")
    return [(name, found[name]) for name in ORDER if name in found]


def _command_rst(name: str, command) -> list[str]:
    import click

    ctx = click.Context(command, info_name=f"colearn {name}")
    title = f"``colearn {name}``"
    lines = [title, "-" * len(title), ""]
    help_text = (command.help or "").strip()
    example = None
    if "Example:" in help_text:
        help_text, example = help_text.split("Example:", 1)
    for paragraph in help_text.strip().split("\n\n"):
        if paragraph.strip():
            lines += [_escape(" ".join(paragraph.split())), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["Usage:", "", ".. code-block:: text", "", f"   colearn {name} {usage}", ""]
    if example:
        # "colearn reproduce      (what it does)" reads as a shell comment
        first = re.sub(r"\s{2,}\((.*)\)$", r"   # \1", example.strip().splitlines()[0].strip())
        lines += ["Example:", "", ".. code-block:: bash", "", f"   {first}", ""]
    records = [p.get_help_record(ctx) for p in command.params]
    records = [r for r in records if r]
    if records:
        lines += [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 32 68",
            "",
            "   * - argument or option",
            "     - meaning",
        ]
        for names, text in records:
            lines += [f"   * - ``{names}``", f"     - {_escape(' '.join(text.split()))}"]
        lines.append("")
    return lines


class ColearnCli(SphinxDirective):
    """Insert one section per ``colearn`` command."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for name, command in _commands():
            lines += _command_rst(name, command)
        # The sections are written in reStructuredText and parsed as such, whatever the language
        # of the page that holds the directive (the guide's pages are Markdown).
        document = new_document("colearn-cli", self.state.document.settings)
        Parser().parse("\n".join(lines), document)
        return list(document.children)


def setup(app):
    app.add_directive("colearn-cli", ColearnCli)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
