"""``colearn history``: training curves of a study's stored runs, and when the best epoch came.

It reads the store and plots with :mod:`analysis.report.history`; it never imports torch.
"""

from __future__ import annotations

from pathlib import Path

import typer

from repro.cli import options as opt
from repro.cli.app import app, err_console, out_console

__all__ = ["history_cmd"]

_FORMATS = ("png", "pdf")


@app.command("history")
def history_cmd(
    study: str = typer.Argument(..., metavar="STUDY", help="Built-in study name or study file."),
    level: float | None = typer.Option(
        None, "--level", help="Only this dropout level (the unimodal baseline is always shown)."
    ),
    setting: str | None = typer.Option(
        None, "--setting", help="Only this setting. Default: every setting of the study."
    ),
    store: Path | None = opt.STORE,
    out: Path | None = typer.Option(
        None, "--out", help="Output folder. Default: reports/<study>/figures/."
    ),
    fmt: str = typer.Option("png", "--format", help="Image format: png or pdf."),
) -> None:
    """Plot train and validation loss per epoch (mean and min–max over seeds, per level) and
    print when each level's runs reached their best epoch.

    Writes history.png (or .pdf); the table lists per setting, level and arm the runs, the mean
    and range of the best epoch (the checkpoint that was tested) and how many runs were still
    improving at their last epoch.

    Example: colearn history synthetic --level 0.8
    """
    from colearn.errors import ConfigError
    from colearn.files import path_inside
    from repro.runs.history import read_history
    from repro.runs.study import load_study

    if fmt not in _FORMATS:
        raise ConfigError(f"--format '{fmt}' is not valid; choose png or pdf.")
    st = load_study(study)
    history = read_history(st, store, level=level, setting=setting)
    out = out or path_inside("reports", st.name, "figures")

    from analysis.report.history import best_epochs, save_history

    for path in save_history(history, out, formats=(fmt,)):
        err_console.print(f"wrote {path}", highlight=False)
    _print_best_epochs(best_epochs(history))


def _print_best_epochs(table) -> None:
    from rich.table import Table

    several = table["setting"].nunique() > 1
    out = Table(title="best epoch (lowest validation loss; the checkpoint tested)")
    columns = ["setting"] * several + ["level", "arm", "runs", "mean best epoch", "range",
                                       "epochs", "best at last epoch"]  # fmt: skip
    for col in columns:
        out.add_column(col, justify="left" if col in ("setting", "arm") else "right")
    for r in table.itertuples(index=False):
        level = "–" if r.arm == "unimodal" else f"{r.level:g}"
        cells = [level, r.arm, str(r.n), f"{r.mean:.1f}", f"{r.min}–{r.max}", str(r.epochs),
                 str(r.at_last)]  # fmt: skip
        out.add_row(*([r.setting] * several + cells))
    out_console().print(out)
