"""The command line answers at once: its help needs none of the heavy libraries, and reads well."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from repro.cli import app

ROOT = Path(__file__).resolve().parents[1]
#: Libraries that take a tenth of a second or more to import; help must not wait for them.
HEAVY = ("torch", "matplotlib", "statsmodels", "pingouin", "scipy", "pandas", "numpy")


def _commands(group=None, prefix=()) -> list[tuple[str, ...]]:
    group = group or typer.main.get_command(app)
    out = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            out += _commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


COMMANDS = _commands()


def test_every_help_renders_without_importing_a_heavy_library(tmp_path):
    script = f"""
import contextlib, io, json, sys
from typer.main import get_command
from repro.cli import app
cli = get_command(app)
for args in [[], *{[list(c) for c in COMMANDS]!r}]:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main([*args, "--help"], prog_name="colearn", standalone_mode=False)
        except SystemExit:
            pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == []


def test_the_commands_are_all_checked():
    assert {"run", "sweep", "report", "history", "data inspect"} <= {" ".join(c) for c in COMMANDS}


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "colearn")
def test_help_shows_flags_without_a_type_and_one_name_per_option(command):
    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "<bool>" not in res.output
    assert "--boot" not in res.output  # one name: --n-boot
    if command:
        assert "Example: colearn " + " ".join(command) in res.output


def test_help_lists_every_accepted_input():
    report = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "200"}).output
    assert ".sqlite" in report and ".csv" in report and ".parquet" in report
    sweep = CliRunner().invoke(app, ["sweep", "--help"], env={"COLUMNS": "200"}).output
    assert "inline (one run at a time in this process" in sweep
    analyze = CliRunner().invoke(app, ["analyze", "--help"], env={"COLUMNS": "200"}).output
    assert "--n-boot" in analyze
