"""``colearn report``, ``colearn figures`` and ``colearn reproduce`` (sweep → analysis → report).

``report`` and ``figures`` never import torch; ``reproduce`` trains (through ``run_sweep``).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from repro.cli import options as opt
from repro.cli.app import TRUST_PICKLE_HELP, app, err_console, print_warning

__all__ = ["report_cmd", "figures_cmd", "reproduce_cmd", "print_verdicts"]

_OUT = typer.Option(None, "--out", help="Output folder. Default: reports/<study>/.")
_CONFUSION = typer.Option(
    None,
    "--confusion",
    help="The authors' cm_res.npy for Figure 4 (default: the copy import-original keeps beside the table, else stored runs).",
)
_CLAIMS_OF = typer.Option(
    None, "--study", help="Study whose claims apply to a table (default: from its study column)."
)
_VERDICT_STYLE = {"[Re]": "green", "partial": "yellow", "[¬Re]": "red", "[?Re]": "white"}


def print_verdicts(analysis) -> None:
    """Print the verdict table and the per-level labels (rich, stdout)."""
    from rich.console import Console
    from rich.table import Table

    from analysis.report.text import fmt

    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    claims = analysis.claims
    if len(claims):
        table = Table(
            title=f"Claims ({analysis.metric}, α = {analysis.alpha:g}, δ = {analysis.margin:g})"
        )
        for col in ("claim", "level", "paper", "ours (95 % CI)", "expected", "our label",
                    "verdict"):  # fmt: skip
            table.add_column(col)
        for r in claims.itertuples(index=False):
            style = _VERDICT_STYLE.get(r.verdict, "white")
            label = r.label + (" (negligible)" if r.negligible else "")
            table.add_row(
                r.id,
                f"{r.level:g}",
                fmt(r.paper_value),
                f"{fmt(r.mean)} [{fmt(r.mean_ci_low)}, {fmt(r.mean_ci_high)}]",
                r.expected,
                label,
                f"[{style}]{r.verdict}[/{style}]",
            )
        console.print(table)
    comp = analysis.comparison
    several = comp["setting"].nunique() > 1
    labels = ", ".join(
        f"{r.setting + ' ' if several else ''}p={r.level:g} {r.label}{'*' if r.negligible else ''}"
        for r in comp.itertuples(index=False)
    )
    console.print(f"levels vs baseline: {labels}", highlight=False)
    for d in analysis.dose_summary():
        console.print(
            f"optimum{' (' + d['setting'] + ')' if several else ''}: {d['opt_level']:.3g} "
            f"[{d['opt_low']:.3g}, {d['opt_high']:.3g}] ({d['best_model']})",
            highlight=False,
        )


def _analyse(inputs, metric, condition, alpha, margin, n_boot, seed):
    """The one study analysis a report or the figures show (settings: command line, study)."""
    from analysis.study_analysis import analyze

    return analyze(
        inputs.table, condition=condition, claims=inputs.claims, n_boot=n_boot, seed=seed,
        reference=inputs.results.reference,
        **opt.analysis_settings(inputs.results.study, metric, alpha, margin),
    )  # fmt: skip


def _write_report(inputs, analysis, out: Path | None, sequential=None) -> Path:
    from analysis.report import build_report
    from colearn.files import path_inside

    out = out or path_inside("reports", inputs.name)
    return build_report(
        analysis, inputs.table, out, facts=inputs.facts, confusion=inputs.confusion,
        sequential=sequential,
    )  # fmt: skip


@app.command("report")
def report_cmd(
    source: str = opt.SOURCE,
    out: Path | None = _OUT,
    store: Path | None = opt.STORE,
    confusion: Path | None = _CONFUSION,
    study: str | None = _CLAIMS_OF,
    metric: str | None = opt.METRIC,
    condition: str = opt.CONDITION,
    alpha: float | None = opt.ALPHA,
    margin: float | None = opt.MARGIN,
    n_boot: int = opt.BOOT,
    seed: int = opt.SEED,
) -> None:
    """Write the reproducibility report (report.md, self-contained report.html, figures).

    Example: colearn report t.csv
    """
    from repro.reporting import report_inputs
    from repro.runs.sequential import replayed_record

    inputs = report_inputs(source, store=store, confusion=confusion, study=study)
    err_console.print(f"analysing {inputs.name} ({inputs.table['run_id'].nunique()} runs)…")
    analysis = _analyse(inputs, metric, condition, alpha, margin, n_boot, seed)
    sequential = replayed_record(inputs.results.study, inputs.results.store)
    path = _write_report(inputs, analysis, out, sequential)
    if sequential is not None:
        from repro.cli.commands_sweep import print_sequential

        print_sequential(sequential)
    print_verdicts(analysis)
    for message in analysis.warnings:
        print_warning(message)
    err_console.print(f"report: {path} (and report.md beside it)", highlight=False)


@app.command("figures")
def figures_cmd(
    source: str = opt.SOURCE,
    out: Path | None = typer.Option(
        None, "--out", help="Output folder. Default: reports/<study>/figures/."
    ),
    store: Path | None = opt.STORE,
    confusion: Path | None = _CONFUSION,
    metric: str | None = opt.METRIC,
    condition: str = opt.CONDITION,
    alpha: float | None = opt.ALPHA,
    margin: float | None = opt.MARGIN,
    n_boot: int = opt.BOOT,
    seed: int = opt.SEED,
) -> None:
    """Write the figures (PNG and PDF) and the Figure 5 tables (Markdown and LaTeX).

    Prints the files written, then the labels and the optimum the figures show.

    Example: colearn figures synthetic
    """
    from analysis.report import save_figures
    from colearn.files import path_inside
    from repro.reporting import report_inputs

    inputs = report_inputs(source, store=store, confusion=confusion)
    analysis = _analyse(inputs, metric, condition, alpha, margin, n_boot, seed)
    if analysis.fits is None:
        err_console.print(f"no dose-response fit: {analysis.dose_note}", highlight=False)
    out = out or path_inside("reports", inputs.name, "figures")
    for p in save_figures(
        analysis,
        inputs.table,
        out,
        confusion=inputs.confusion,
        confusion_note=inputs.facts.confusion_note,
    ):
        typer.echo(str(p))
    print_verdicts(analysis)
    for message in analysis.warnings:
        print_warning(message)


@app.command("reproduce")
def reproduce_cmd(
    study: str = typer.Argument(
        "synthetic", metavar="STUDY", help="Built-in study name or study file."
    ),
    seeds: int | None = typer.Option(
        None, "--seeds", help="Seed indices 0..N-1 (overrides the study file)."
    ),
    levels: str | None = typer.Option(
        None, "--levels", help="Comma list of dropout levels, e.g. 0,0.4,0.8 (overrides the study)."
    ),
    epochs: int | None = opt.EPOCHS,
    store: Path | None = opt.STORE,
    out: Path | None = _OUT,
    data: Path | None = typer.Option(
        None, "--data", help="Data file or folder for real-data studies."
    ),
    trust_pickle: bool = typer.Option(False, "--trust-pickle", help=TRUST_PICKLE_HELP),
    workers: int | None = typer.Option(
        None, "--workers", help="Runs at once (default: the number of cores)."
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or auto."),
    n_boot: int = opt.BOOT,
    until_decided: bool = opt.UNTIL_DECIDED,
    max_seeds: int | None = opt.MAX_SEEDS,
    looks: str | None = opt.LOOKS,
    spending: str | None = opt.SPENDING,
) -> None:
    """Sweep (resuming what is stored), analyse, and write the report; print the verdicts.

    With --until-decided the sweep is sequential: seeds are added look by look only to the
    levels still undecided, and the report gains the section "Sequential design".

    Example: colearn reproduce            (the built-in synthetic study, a few minutes on a CPU)
    """
    from repro.cli.commands_sweep import _progress_bar, parse_levels
    from repro.reporting import report_inputs
    from repro.runs.grid import build_grid
    from repro.runs.store import default_store_path
    from repro.runs.study import load_study
    from repro.runs.sweep import run_sweep

    started = time.perf_counter()
    st = load_study(study).with_overrides(
        seeds=None if until_decided else seeds, levels=parse_levels(levels),
        data_path=str(data) if data else None, trust_pickle=trust_pickle, epochs=epochs,
    )  # fmt: skip
    design = opt.sequential_design(st, until_decided, max_seeds, looks, spending, seeds)
    store = store or default_store_path(st.name)
    if design is not None:
        _reproduce_sequential(study, st, design, store, out, workers, device, n_boot, started)
        return
    with _progress_bar(st.name) as progress:
        summary = run_sweep(st, store_path=store, workers=workers, device=device, progress=progress)
    err_console.print(
        f"sweep: {summary.done}/{summary.total} runs done ({summary.ran} trained "
        f"now, {summary.failed} failed) in {summary.wall_s:.1f} s",
        highlight=False,
    )
    if summary.interrupted:
        raise typer.Exit(130)
    grid = build_grid(st)
    inputs = report_inputs(study, store=store, run_ids=grid.run_ids)
    analysis = _analyse(inputs, None, "primary", None, None, n_boot, 0)
    path = _write_report(inputs, analysis, out)
    print_verdicts(analysis)
    for message in analysis.warnings:
        print_warning(message)
    typer.echo(f"report: {path}")
    err_console.print(
        f"reproduce finished in {time.perf_counter() - started:.1f} s", highlight=False
    )
    if summary.failed:
        raise typer.Exit(1)


def _reproduce_sequential(study, st, design, store, out, workers, device, n_boot, started):
    """``reproduce --until-decided``: the sequential sweep, then the report with its section."""
    from repro.cli.commands_sweep import print_sequential, run_sequential_sweep
    from repro.reporting import report_inputs
    from repro.runs.grid import build_grid

    result = run_sequential_sweep(st, design, store, workers=workers, device=device)
    if result.interrupted:
        raise typer.Exit(130)
    full = st.with_overrides(seeds=design.looks[-1], levels=list(design.levels))
    inputs = report_inputs(study, store=store, run_ids=build_grid(full).run_ids)
    analysis = _analyse(inputs, None, "primary", None, None, n_boot, 0)
    path = _write_report(inputs, analysis, out, result.record)
    print_sequential(result.record)
    print_verdicts(analysis)
    for message in analysis.warnings:
        print_warning(message)
    typer.echo(f"report: {path}")
    err_console.print(
        f"reproduce finished in {time.perf_counter() - started:.1f} s", highlight=False
    )
    if result.failed:
        raise typer.Exit(1)
