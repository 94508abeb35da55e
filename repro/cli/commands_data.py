"""``colearn data inspect``: what a data file holds, as the loaders see it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from repro.cli.app import TRUST_PICKLE_HELP, data_app, err_console, print_json


def _options(raw: str | None) -> dict:
    if not raw:
        return {}
    from colearn.errors import ConfigError

    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--options '{raw}' is not a JSON object ({exc.msg}).") from None
    if not isinstance(value, dict):
        raise ConfigError(f"--options '{raw}' is not a JSON object.")
    return value


@data_app.command("inspect")
def inspect_command(
    path: Path = typer.Argument(
        ..., metavar="PATH", help="Data file or folder (or 'mfeat' for the built-in set)."
    ),
    format: str = typer.Option(
        "auto", "--format", help="auto, mult, mfn, csd, mmsa, arrays or mfeat."
    ),
    primary: str | None = typer.Option(None, help="Primary modality (default: the format's)."),
    task: str | None = typer.Option(
        None, help="IEMOCAP MulT: 4class or binary:<emotion>; arrays: classification/regression."
    ),
    options: str | None = typer.Option(
        None, help="Other loader options as JSON, e.g. '{\"seq_len\": 20}'."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    trust_pickle: bool = typer.Option(False, "--trust-pickle", help=TRUST_PICKLE_HELP),
) -> None:
    """Load a data file, validate it and describe it: format, task, shapes, splits, labels.

    Example: colearn data inspect mosi_data.pkl --json
    """
    from repro.data.loaders import describe, detect_format, load_dataset

    opts = _options(options)
    if primary is not None:
        opts["primary"] = primary
    if task is not None:
        opts["task"] = task
    fmt = detect_format(path, trust_pickle=trust_pickle) if format == "auto" else format
    err_console.print(f"loading {path} as {fmt} data", highlight=False, markup=False)
    data = load_dataset(path, format=fmt, trust_pickle=trust_pickle, **opts)
    doc = describe(data, path, fmt)
    if as_json:
        print_json(doc)
        return
    console = Console()
    console.print(
        f"[bold]{doc['path']}[/bold]: {doc['format']} data, {doc['task']}, "
        f"primary '{doc['primary']}', padding {doc['padding']}",
        highlight=False,
    )
    table = Table("modality", "N", "T", "D", "values set to 0")
    for name, (n, t, d) in doc["modalities"].items():
        table.add_row(name, str(n), str(t), str(d), str(doc["sanitised"].get(name, "")))
    console.print(table)
    console.print("splits: " + ", ".join(f"{k} {v}" for k, v in doc["splits"].items()))
    labels = doc["labels"]
    if "classes" in labels:
        console.print("classes: " + ", ".join(f"{k} {v}" for k, v in labels["classes"].items()))
    else:
        console.print(
            f"labels: min {labels['min']:.3g}, max {labels['max']:.3g}, mean {labels['mean']:.3g}"
        )
    for key, value in doc["notes"].items():
        console.print(f"{key}: {value}", highlight=False, markup=False)
