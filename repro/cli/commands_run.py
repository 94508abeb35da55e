"""``colearn run`` (one training run) and ``colearn studies`` (the built-in studies)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from colearn.errors import ConfigError
from repro.cli import options as opt
from repro.cli.app import TRUST_PICKLE_HELP, app, err_console, out_console, print_json


@app.command("studies")
def studies_command() -> None:
    """List the built-in studies.

    Example: colearn studies
    """
    from repro.runs.study import builtin_studies, load_study

    table = Table("study", "data", "model", "levels", "seeds", "description")
    for name in sorted(builtin_studies()):
        st = load_study(name)
        data = {"synthetic": f"synthetic ({st.data.preset})", "file": "file (--data PATH)"}.get(
            st.data.source, st.data.source
        )
        levels = ", ".join(f"{lv:g}" for lv in st.levels)
        table.add_row(name, data, st.model.kind, levels, str(st.seeds), st.description)
    out_console().print(table)


@app.command("run")
def run_command(
    study: str = typer.Argument(
        "synthetic", metavar="STUDY", help="Built-in study name or study file."
    ),
    arm: str = typer.Option(
        "multimodal", help="multimodal (with dropout) or unimodal (primary only)."
    ),
    level: float = typer.Option(
        0.0, help="Modality dropout probability in [0, 1] (multimodal arm)."
    ),
    seed: int = typer.Option(
        0, help="Seed index (with the study seed it fixes every random stream)."
    ),
    setting: str | None = typer.Option(
        None, help="Setting of the study (default: its top-level configuration)."
    ),
    epochs: int | None = opt.EPOCHS,
    data: Path | None = typer.Option(
        None, "--data", help="Data file or folder for real-data studies."
    ),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:N or auto."),
    threads: int = typer.Option(1, help="Torch CPU threads (one is fastest for small models)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    store: Path | None = typer.Option(
        None, "--store", help="Also write the run into this results store (SQLite)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="With --store: replace a stored copy made under other execution settings "
        "(device, threads, torch version), whose numbers differ.",
    ),
    trust_pickle: bool = typer.Option(False, "--trust-pickle", help=TRUST_PICKLE_HELP),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar (the results are still printed)."
    ),
) -> None:
    """Train and evaluate one run and print its metrics per test condition.

    While it trains, a progress bar on stderr shows the epochs and the latest training and
    validation losses (not with --json or --quiet).

    Example: colearn run synthetic --arm multimodal --level 0.8 --seed 0 --json
    """
    import torch

    from repro.runs.execute import train_one
    from repro.runs.ids import make_spec
    from repro.runs.study import load_study
    from repro.runs.sweep import check_single_run, execution_settings, store_single_run
    from repro.training.train import resolve_device

    if threads < 1:
        raise ConfigError(f"--threads {threads} is not valid; give 1 or more.")
    torch.set_num_threads(threads)
    st = load_study(study).with_overrides(
        data_path=str(data) if data is not None else None,
        trust_pickle=trust_pickle,
        epochs=epochs,
    )
    planned = make_spec(st, setting, arm, level, seed)
    if store is not None:
        # Refuse before training what the store would refuse after it.
        execution = execution_settings(str(resolve_device(device)), torch.get_num_threads())
        check_single_run(st, planned, store, execution, force)
    with _EpochBar(planned.label, st.run_config(setting).training.epochs) as on_epoch:
        spec, result = train_one(
            st, arm, level, seed, setting=setting, device=device,
            on_epoch=None if as_json or quiet else on_epoch,
        )  # fmt: skip
    if store is not None:
        execution = execution_settings(result.device, torch.get_num_threads())
        store_single_run(st, spec, result, store, execution, force)
    doc = {
        "run_id": spec.run_id,
        "study": spec.study,
        "setting": spec.setting,
        "arm": spec.arm,
        "level": spec.level,
        "seed": spec.seed,
        "metrics": result.metrics,
        "n_test": result.n_test,
        "best_epoch": result.best_epoch,
        "duration_s": round(result.duration_s, 3),
        "device": result.device,
    }
    if as_json:
        print_json(doc)
        return
    table = Table("condition", *next(iter(result.metrics.values())).keys(), title=spec.label)
    for condition, values in result.metrics.items():
        table.add_row(condition, *(f"{v:.4f}" for v in values.values()))
    console = out_console()
    console.print(table)
    console.print(
        f"run {spec.run_id}: best epoch {result.best_epoch}, {result.duration_s:.1f} s on {result.device}"
    )


@app.command("bench")
def bench_command(
    study: str = typer.Argument(
        "synthetic", metavar="STUDY", help="Built-in study name or study file."
    ),
    data: Path | None = typer.Option(
        None, "--data", help="Data file or folder for real-data studies."
    ),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:N or auto."),
    epochs: int | None = opt.EPOCHS,
    timed_epochs: int = typer.Option(
        3, "--timed-epochs", help="Epochs to time (the first is discarded as warm-up)."
    ),
    workers: int | None = typer.Option(
        None, help="Runs at once in the sweep estimate (default: the number of cores)."
    ),
    threads: int = typer.Option(1, help="Torch CPU threads (as each sweep worker uses)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Time a few training epochs here and estimate how long a run and the whole sweep take.

    Example: colearn bench synthetic-iemocap --device cuda --workers 8
    """
    import torch

    from repro.runs.bench import benchmark_study
    from repro.runs.study import load_study

    torch.set_num_threads(max(1, threads))
    st = load_study(study).with_overrides(
        data_path=str(data) if data is not None else None, epochs=epochs
    )
    result = benchmark_study(st, device=device, epochs=timed_epochs, workers=workers)
    if as_json:
        print_json(result)
        return
    table = Table("measure", "value", title=f"bench {result['study']} on {result['device']}")
    rows = [
        ("model parameters", f"{result['parameters']:,}"),
        ("batch size × steps per epoch", f"{result['batch_size']} × {result['steps_per_epoch']}"),
        ("time per training step", f"{result['ms_per_step']:.2f} ms (validation included)"),
        ("time per epoch", f"{result['s_per_epoch']:.2f} s"),
        ("time per run", f"{result['s_per_run']:.1f} s ({result['epochs_per_run']} epochs)"),
        (
            "time per sweep",
            f"{result['s_per_sweep'] / 60:.1f} min ({result['runs']} runs, "
            f"{result['workers']} at once, if they do not slow each other down)",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out_console().print(table)


class _EpochBar:
    """A rich progress bar on stderr, one step per epoch, with the latest losses and the time
    left (the time taken once finished).

    Used as ``with _EpochBar(label, epochs) as on_epoch``; ``on_epoch`` is ``train``'s epoch
    callback.  The bar appears with the first epoch, so a study rejected before training prints
    its error alone.
    """

    def __init__(self, label: str, epochs: int) -> None:
        self.label = label
        self.epochs = epochs
        self.bar: Any = None  # a rich Progress, made at the first epoch
        self.task: Any = None

    def __enter__(self) -> Callable[[dict], None]:
        return self.update

    def update(self, entry: dict) -> None:
        if self.bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=None),
                MofNCompleteColumn(),
                TextColumn("train {task.fields[train]} · valid {task.fields[valid]}"),
                TimeRemainingColumn(elapsed_when_finished=True),
                console=err_console,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.epochs, train="–", valid="–")
        self.bar.update(
            self.task,
            completed=entry["epoch"],
            train=f"{entry['train_loss']:.4f}",
            valid=f"{entry['valid_loss']:.4f}",
        )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
