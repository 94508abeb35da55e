"""``colearn report``, ``colearn figures`` and ``colearn reproduce`` (sweep → analysis → report).

``report`` and ``figures`` never import torch; ``reproduce`` trains (through ``run_sweep``).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from repro.cli.app import app, err_console

__all__ = ["report_cmd", "figures_cmd", "reproduce_cmd", "print_verdicts"]

_SOURCE = typer.Argument(..., help="Built-in study, study file, or tidy table (.csv/.parquet).")
_STORE = typer.Option(None, "--store", help="Results store. Default: results/<study>.sqlite.")
_OUT = typer.Option(None, "--out", help="Output folder. Default: reports/<study>/.")
_CONFUSION = typer.Option(
    None,
    "--confusion",
    help="The authors' cm_res.npy for Figure 4 (default: the copy import-original keeps beside the table, else stored runs).",
)
_CLAIMS_OF = typer.Option(
    None, "--study", help="Study whose claims apply to a table (default: from its study column)."
)
_NBOOT = typer.Option(2000, "--n-boot", help="Cluster-bootstrap replicates (dose-response).")
_VERDICT_STYLE = {"[Re]": "green", "partial": "yellow", "[¬Re]": "red", "[?Re]": "white"}


def print_verdicts(analysis: dict) -> None:
    """Print the verdict table and the per-level labels (rich, stdout)."""
    from rich.console import Console
    from rich.table import Table

    from analysis.report_sections import fmt

    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    claims = analysis["claims"]
    if len(claims):
        table = Table(
            title=f"Claims ({analysis['metric']}, α = {analysis['alpha']:g}, "
            f"δ = {analysis['margin']:g})"
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
    comp = analysis["comparison"]
    labels = ", ".join(
        f"p={r.level:g} {r.label}{'*' if r.negligible else ''}"
        for r in comp.itertuples(index=False)
    )
    console.print(f"levels vs baseline: {labels}", highlight=False)


def _build(inputs: dict, out: Path | None, n_boot: int, seed: int):
    from analysis.report import analyze_for_report, build_report

    info = inputs["study_info"]
    analysis = analyze_for_report(
        inputs["table"], claims=inputs["claims"], metric=info.get("metric", "accuracy"),
        alpha=float(info.get("alpha", 0.05)), margin=float(info.get("margin", 0.02)),
        n_boot=n_boot, seed=seed,
    )  # fmt: skip
    out = out or Path("reports") / inputs["name"]
    path = build_report(
        inputs["table"],
        out,
        study_info=info,
        claims=inputs["claims"],
        confusion=inputs["confusion"],
        analysis=analysis,
    )
    return path, analysis


@app.command("report")
def report_cmd(
    source: str = _SOURCE,
    out: Path | None = _OUT,
    store: Path | None = _STORE,
    confusion: Path | None = _CONFUSION,
    study: str | None = _CLAIMS_OF,
    n_boot: int = _NBOOT,
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Write the reproducibility report (report.md, self-contained report.html, figures).

    Example: colearn report t.csv
    """
    from repro.reporting import report_inputs

    inputs = report_inputs(source, store=store, confusion=confusion, study=study)
    err_console.print(f"analysing {inputs['name']} ({inputs['table']['run_id'].nunique()} runs)…")
    path, analysis = _build(inputs, out, n_boot, seed)
    print_verdicts(analysis)
    err_console.print(f"report: {path} (and report.md beside it)", highlight=False)


@app.command("figures")
def figures_cmd(
    source: str = _SOURCE,
    out: Path | None = typer.Option(None, "--out", help="Default: reports/<study>/figures/."),
    store: Path | None = _STORE,
    confusion: Path | None = _CONFUSION,
    n_boot: int = _NBOOT,
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Write the figures (PNG and PDF) and the Figure 5 tables (Markdown and LaTeX).

    Example: colearn figures synthetic
    """
    import warnings

    from analysis import doseresponse as dr
    from analysis.figures import save_figures
    from colearn.errors import ColearnError
    from repro.reporting import report_inputs

    inputs = report_inputs(source, store=store, confusion=confusion)
    table, info = inputs["table"], inputs["study_info"]
    metric = info.get("metric", "accuracy")
    band = optimum = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            band = dr.dose_response_band(table, metric, n_boot=n_boot, seed=seed)
            optimum = dr.optimal_level(table, metric, n_boot=n_boot, seed=seed)
        except ColearnError as exc:
            err_console.print(f"no dose-response fit: {exc}", highlight=False, markup=False)
        paths = save_figures(
            table,
            out or Path("reports") / inputs["name"] / "figures",
            metric=metric,
            band=band,
            optimum=optimum,
            confusion=inputs["confusion"],
            alpha=float(info.get("alpha", 0.05)),
            margin=float(info.get("margin", 0.02)),
        )
    for p in paths:
        typer.echo(str(p))


@app.command("reproduce")
def reproduce_cmd(
    study: str = typer.Argument("synthetic", help="Built-in study name or study file."),
    seeds: int | None = typer.Option(None, "--seeds", help="Seeds 0..N-1 (overrides the study)."),
    levels: str | None = typer.Option(None, "--levels", help="Comma list, e.g. 0,0.4,0.8."),
    store: Path | None = _STORE,
    out: Path | None = _OUT,
    data: Path | None = typer.Option(None, "--data", help="Data for real-data studies."),
    workers: int | None = typer.Option(None, "--workers", help="Runs at once (default: cores)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or auto."),
    n_boot: int = _NBOOT,
) -> None:
    """Sweep (resuming what is stored), analyse, and write the report; print the verdicts.

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
        seeds=seeds, levels=parse_levels(levels), data_path=str(data) if data else None
    )
    store = store or default_store_path(st.name)
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
    path, analysis = _build(inputs, out, n_boot, 0)
    print_verdicts(analysis)
    typer.echo(f"report: {path}")
    err_console.print(
        f"reproduce finished in {time.perf_counter() - started:.1f} s", highlight=False
    )
    if summary.failed:
        raise typer.Exit(1)
