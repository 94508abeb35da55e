"""``colearn sweep`` (train a study's grid), ``colearn status`` and ``colearn export``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from repro.cli import options as opt
from repro.cli.app import TRUST_PICKLE_HELP, app, err_console, print_json

__all__ = [
    "export_command",
    "parse_levels",
    "print_look",
    "print_sequential",
    "run_sequential_sweep",
    "status_command",
    "sweep_command",
]

_STUDY = typer.Argument("synthetic", metavar="STUDY", help="Built-in study name or study file.")
_STORE = typer.Option(
    None, "--store", help="Results store (SQLite). Default: results/<study>.sqlite."
)
_SEEDS = typer.Option(None, "--seeds", help="Seed indices 0..N-1 (overrides the study file).")
_LEVELS = typer.Option(
    None, "--levels", help="Comma list of dropout levels, e.g. 0,0.4,0.8 (overrides the study)."
)
_DATA = typer.Option(None, "--data", help="Data file or folder for real-data studies.")


def parse_levels(text: str | None) -> list[float] | None:
    """``"0,0.4,0.8"`` → ``[0.0, 0.4, 0.8]`` (None stays None)."""
    from colearn.errors import ConfigError

    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(
            f"--levels '{text}' is not a comma list of numbers in [0, 1], e.g. 0,0.4,0.8."
        ) from None


def _study(
    study: str,
    seeds: int | None,
    levels: str | None,
    data: Path | None,
    trust_pickle: bool = False,
    epochs: int | None = None,
):
    from repro.runs.study import load_study

    return load_study(study).with_overrides(
        seeds=seeds,
        levels=parse_levels(levels),
        data_path=str(data) if data else None,
        trust_pickle=trust_pickle,
        epochs=epochs,
    )


@app.command("sweep")
def sweep_command(
    study: str = _STUDY,
    seeds: int | None = _SEEDS,
    levels: str | None = _LEVELS,
    epochs: int | None = opt.EPOCHS,
    store: Path | None = _STORE,
    data: Path | None = _DATA,
    workers: int | None = typer.Option(
        None, "--workers", help="Runs at once (default: the number of cores)."
    ),
    executor: str = typer.Option(
        "local",
        "--executor",
        help="local (a pool of --workers processes), ray (a Ray cluster, see --address) or "
        "inline (one run at a time in this process, for debugging).",
    ),
    address: str = typer.Option(
        "local", "--address", help="Ray: local (start one here), auto (join ray start), or ray://…"
    ),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or auto."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Train failed runs again."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    trust_pickle: bool = typer.Option(False, "--trust-pickle", help=TRUST_PICKLE_HELP),
    until_decided: bool = opt.UNTIL_DECIDED,
    max_seeds: int | None = opt.MAX_SEEDS,
    looks: str | None = opt.LOOKS,
    spending: str | None = opt.SPENDING,
) -> None:
    """Train every run of a study's grid that the store does not hold yet (resumable).

    With --until-decided, train look by look (5, 10, 20, 40 seeds by default) and only the
    levels still undecided, with error control over looks and levels.

    Example: colearn sweep synthetic --seeds 3 --levels 0,0.8
    """
    from repro.runs.sweep import run_sweep

    st = _study(study, None, levels, data, trust_pickle, epochs)
    design = opt.sequential_design(st, until_decided, max_seeds, looks, spending, seeds)
    if design is not None:
        result = run_sequential_sweep(
            st, design, store, workers=workers, executor=executor, address=address,
            device=device, retry_failed=retry_failed,
        )  # fmt: skip
        if as_json:
            print_json({"study": st.name, "store": result.store, "wall_s": result.wall_s,
                        "sequential": result.as_dict()})  # fmt: skip
        else:
            print_sequential(result.record)
        _sequential_exit(result, study)
        return
    st = _study(study, seeds, levels, data, trust_pickle, epochs)
    with _progress_bar(st.name) as progress:
        summary = run_sweep(
            st,
            store_path=store,
            workers=workers,
            executor=executor,
            device=device,
            retry_failed=retry_failed,
            address=address,
            progress=progress,
        )
    if as_json:
        print_json(summary.as_dict())
    line = (
        f"{summary.study}: {summary.done}/{summary.total} done, {summary.failed} failed, "
        f"{summary.pending} pending ({summary.ran} trained now in {summary.wall_s:.1f} s) "
        f"→ {summary.store}"
    )
    if summary.interrupted:
        err_console.print(f"interrupted: {line}; run the same command to resume.", highlight=False)
        sys.exit(130)
    err_console.print(line, highlight=False)
    if summary.failed:
        err_console.print(
            f"{summary.failed} run(s) failed; see 'colearn status {study}', retry with "
            "--retry-failed.",
            highlight=False,
        )
        sys.exit(1)


@app.command("status")
def status_command(
    study: str = _STUDY,
    seeds: int | None = _SEEDS,
    levels: str | None = _LEVELS,
    epochs: int | None = opt.EPOCHS,
    store: Path | None = _STORE,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """How much of a study's grid the store holds (needs no data).

    Example: colearn status synthetic --json
    """
    from repro.runs.sweep import grid_status

    st = _study(study, seeds, levels, None, epochs=epochs)
    doc = grid_status(st, store)
    sequential = _stored_record(st, store)
    if sequential is not None:
        from repro.runs.sequential import record_dict

        doc["sequential"] = record_dict(sequential)
    if as_json:
        print_json(doc)
        return
    table = Table("study", "total", "done", "pending", "running", "failed")
    table.add_row(
        *(str(doc[k]) for k in ("study", "total", "done", "pending", "running", "failed"))
    )
    from rich.console import Console

    Console().print(table)
    if doc["failed"]:
        _print_failures(st, store)
    if sequential is not None:
        print_sequential(sequential)


def _print_failures(st, store: Path | None) -> None:
    from repro.runs.store import ResultsStore, default_store_path

    with ResultsStore(store or default_store_path(st.name), st.name, readonly=True) as s:
        rows = s.run_rows()
    for _, row in rows[rows["status"] == "failed"].iterrows():
        first = (row["error"] or "").splitlines()[0] if row["error"] else ""
        err_console.print(
            f"failed {row['run_id']} ({row['arm']}, seed {row['seed']}): {first}", markup=False
        )


@app.command("export")
def export_command(
    study: str = _STUDY,
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    out: Path | None = typer.Option(
        None, "--out", help="Output file. Default: results/<study>.<format>."
    ),
    store: Path | None = _STORE,
) -> None:
    """Write the tidy results table (one row per run, setting, condition and metric).

    Example: colearn export synthetic --format parquet --out results/synthetic.parquet
    """
    from analysis.tidy import write_table
    from colearn.errors import ConfigError, StoreError
    from colearn.files import path_inside
    from repro.runs.store import ResultsStore, default_store_path
    from repro.runs.study import load_study

    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"--format '{fmt}' is not valid; choose csv or parquet.")
    st = load_study(study)
    out = out or path_inside("results", f"{st.name}.{fmt}")
    if out.suffix.lower().lstrip(".") not in ((fmt,) if fmt == "csv" else ("parquet", "pq")):
        raise ConfigError(f"--out '{out}' does not end in .{fmt}; match it to --format {fmt}.")
    store_path = store or default_store_path(st.name)
    if out.resolve() == Path(store_path).resolve():
        raise ConfigError(f"--out '{out}' is the results store itself; name another file.")
    with ResultsStore(store_path, st.name, readonly=True) as s:
        table = s.tidy()
    if table.empty:
        raise StoreError(f"the store of study '{st.name}' holds no finished run yet; run a sweep.")
    # written beside the target and moved into place: a kill leaves the previous export intact
    write_table(table, out)
    err_console.print(
        f"wrote {len(table)} rows ({table['run_id'].nunique()} runs) to {out}", highlight=False
    )


class _progress_bar:
    """A rich progress bar on stderr fed by ``run_sweep``'s progress callback."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.bar = None
        self.task = None

    def __enter__(self):
        return self.update

    def update(self, event: str, total: int, done: int, failed: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if event == "start":
            if self.bar is not None:  # a sequential sweep starts a new bar at each look
                self.bar.stop()
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=err_console,
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task(
                f"sweep {self.name}", total=total, completed=done, failed=failed
            )
        elif self.bar is not None:
            self.bar.update(self.task, completed=done, failed=failed)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_sequential_sweep(st, design, store: Path | None, **kwargs):
    """Run a sequential sweep with a progress bar per look and one line per look on stderr."""
    from repro.runs.sequential import run_sequential

    err_console.print(f"sequential design: {design.describe()}", highlight=False)
    with _progress_bar(st.name) as progress:
        result = run_sequential(st, design, store, progress=progress, on_look=print_look, **kwargs)
    for note in result.notes:
        from repro.cli.app import print_warning

        print_warning(note)
    err_console.print(
        f"sequential sweep: {result.runs_used} runs used of {result.runs_fixed} in the fixed "
        f"design ({result.ran} trained now) in {result.wall_s:.1f} s",
        highlight=False,
    )
    return result


def print_look(look: int, seeds: int, rows) -> None:
    """One stderr line per look: what was decided at it and what stays open."""
    several = rows["setting"].nunique() > 1

    def name(r) -> str:
        return f"{r.setting + ' ' if several else ''}p={r.level:g}"

    decided = [
        f"{name(r)} {r.label}{' (negligible)' if r.negligible else ''}"
        for r in rows.itertuples(index=False)
        if r.decided
    ]
    still = [name(r) for r in rows.itertuples(index=False) if not r.decided]
    err_console.print(
        f"look {look} ({seeds} seeds): decided {', '.join(decided) or 'none'}; "
        f"open {', '.join(still) or 'none'}",
        highlight=False,
    )


def print_sequential(record) -> None:
    """The per-level state of a sequential design (rich table on stdout)."""
    from rich.console import Console

    d = record.design
    table = Table(title=f"sequential design: {d.describe()}")
    for col in ("setting", "level", "seeds", "label", "status"):
        table.add_column(col)
    for r in record.summary.itertuples(index=False):
        status = {
            "decided": f"decided at look {r.decided_at}: no more seeds",
            "open": f"open: next look at {r.next_seeds} seeds",
            "inconclusive": f"undecided at the maximum ({r.max_seeds} seeds)",
        }[r.status]
        label = r.label + (" (negligible)" if r.negligible else "")
        table.add_row(r.setting, f"{r.level:g}", str(r.seeds), label, status)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    console.print(table)
    console.print(
        f"runs used: {record.runs_used} (fixed design with the same maximum: {record.runs_fixed})",
        highlight=False,
    )


def _stored_record(st, store: Path | None):
    """The stored sequential design and decisions of a study (no data, no writing), or None."""
    from analysis.sequential import SequentialRecord
    from repro.runs.sequential import runs_used, stored_sequential

    stored = stored_sequential(st, store)
    if stored is None:
        return None
    design, looks = stored
    return SequentialRecord(design, looks, *runs_used(st, design, looks))


def _sequential_exit(result, study: str) -> None:
    if result.interrupted:
        err_console.print("interrupted; run the same command to resume.", highlight=False)
        sys.exit(130)
    if result.failed:
        err_console.print(
            f"{result.failed} run(s) failed; see 'colearn status {study}', retry with "
            "--retry-failed.",
            highlight=False,
        )
        sys.exit(1)
