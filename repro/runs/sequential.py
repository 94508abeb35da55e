"""Sequential sweeps: train seeds look by look, and only for the levels still undecided.

A sequential design (:class:`analysis.sequential.SequentialDesign`) fixes the looks (seed counts),
the spending function and the analysis settings before any seed is trained.  At each look the
runs it needs (seed indices ``0 … n_k − 1`` of the baseline and of every level still open) are
trained by :func:`repro.runs.sweep.run_sweep`; then the decisions are replayed from the store
(:func:`analysis.sequential.sequential_decisions`) and stored with the study.  A decided level
gets no more seeds; the baseline gets them while any level is open; seed indices stay paired.

Nothing about the looks done is kept anywhere but in the runs themselves: the decisions are a
function of the stored runs, so a killed, resumed or re-analysed sequential sweep recomputes the
same decisions and trains only what the next look still lacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.sequential import (
    DECISION_COLUMNS,
    SequentialDesign,
    SequentialRecord,
    look_schedule,
    sequential_decisions,
    sequential_summary,
)
from colearn.errors import ConfigError
from repro.runs.grid import Grid, build_grid
from repro.runs.store import ResultsStore, check_store, default_store_path
from repro.runs.study import Study
from repro.runs.sweep import ProgressFn, run_sweep

__all__ = [
    "SequentialResult",
    "make_design",
    "record_dict",
    "replayed_record",
    "replay",
    "run_sequential",
    "runs_used",
    "stored_sequential",
]

LookFn = Callable[[int, int, pd.DataFrame], None]
"""``on_look(look, seeds, rows)`` after each look is evaluated (its rows of the decisions)."""


@dataclass
class SequentialResult:
    """Where a sequential sweep stands: its design, the decisions per look and per level.

    Attributes
    ----------
    study, store : str
    design : SequentialDesign
    decisions : pandas.DataFrame
        :func:`analysis.sequential.sequential_decisions` (one row per look and level tested).
    summary : pandas.DataFrame
        :func:`analysis.sequential.sequential_summary` (one row per level).
    runs_used : int
        Runs the completed looks needed.
    runs_fixed : int
        Runs of the fixed design with the same maximum (every level at every seed).
    ran, failed : int
        Runs trained by this call, and runs of the design stored as failed.
    interrupted : bool
        Ctrl-C stopped the sweep.
    wall_s : float
    notes : list of str
        What a reader must know (stored decisions that the runs no longer give, failed runs).
    """

    study: str
    store: str
    design: SequentialDesign
    decisions: pd.DataFrame
    summary: pd.DataFrame
    runs_used: int
    runs_fixed: int
    ran: int = 0
    failed: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def record(self) -> SequentialRecord:
        """The design, decisions and run counts a report shows."""
        return SequentialRecord(self.design, self.decisions, self.runs_used, self.runs_fixed)

    @property
    def complete(self) -> bool:
        """Every level decided, or the last look done."""
        return bool((self.summary["status"] != "open").all())

    def as_dict(self) -> dict:
        """A JSON-able summary (the ``sequential`` entry of ``--json`` documents)."""
        return {
            **record_dict(self.record),
            "ran": self.ran,
            "failed": self.failed,
            "interrupted": self.interrupted,
        }


def record_dict(record: SequentialRecord) -> dict:
    """A sequential design's state as JSON-able values: ``design``, ``complete``,
    ``looks_done``, ``runs_used``, ``runs_fixed`` and ``levels`` (one entry per level:
    ``setting``, ``level``, ``label``, ``negligible``, ``decided_at``, ``seeds``, ``status``,
    ``next_seeds``, ``max_seeds``)."""
    summary = record.summary
    levels = summary.astype(object).where(summary.notna(), None)
    return {
        "design": record.design.as_dict(),
        "complete": bool((summary["status"] != "open").all()),
        "looks_done": _looks_done(record.decisions),
        "runs_used": record.runs_used,
        "runs_fixed": record.runs_fixed,
        "levels": levels.to_dict(orient="records"),
    }


def make_design(
    study: Study, max_seeds: int, looks=None, spending: str = "obf"
) -> SequentialDesign:
    """The sequential design of a study: its levels, settings and ``[analysis]`` settings.

    Raises
    ------
    ConfigError
        Bad looks, maximum or spending (one sentence, before anything is trained).
    """
    spec = study.analysis
    return SequentialDesign(
        looks=look_schedule(max_seeds, looks),
        levels=tuple(study.levels),
        settings=tuple(study.setting_names),
        spending=spending,
        alpha=spec.alpha,
        margin=spec.margin,
        metric=spec.metric,
        higher_is_better=spec.higher_is_better,
    )


def stored_sequential(study: Study, store_path: str | Path | None = None):
    """The design and decisions stored with a study, read without data and without writing.

    Returns
    -------
    tuple of (SequentialDesign, pandas.DataFrame) or None
        None when the store does not exist or holds no sequential design.
    """
    path = Path(store_path) if store_path else default_store_path(study.name)
    if not path.exists():
        return None
    with ResultsStore(path, study.name, readonly=True) as store:
        design = store.sequential_design()
        looks = store.sequential_looks()
    return None if design is None else (SequentialDesign.from_dict(design), looks)


def replayed_record(study: Study | None, store_path: str | Path | None) -> SequentialRecord | None:
    """The decisions of the sequential design stored with a study, recomputed from its runs;
    None when there is no store or it holds no sequential design (``analyze``, ``report``)."""
    if study is None or store_path is None:
        return None
    stored = stored_sequential(study, store_path)
    return None if stored is None else replay(study, stored[0], store_path).record


def replay(study: Study, design: SequentialDesign, store_path: str | Path) -> SequentialResult:
    """Recompute a sequential design's decisions from the runs in the store (reads only).

    Only the runs of the study's grid count (an edited study's old runs are ignored), so the
    same runs always give the same decisions.
    """
    full = _design_study(study, design)
    with ResultsStore(store_path, study.name, readonly=True) as store:
        table = store.tidy()
        statuses = store.statuses()
    grid = build_grid(full)
    table = table[table["run_id"].isin(set(grid.run_ids))]
    decisions = sequential_decisions(table, design) if len(table) else _no_decisions()
    summary = sequential_summary(decisions, design)
    failed = sum(statuses.get(r) == "failed" for r in _next_look_ids(full, design, summary))
    return SequentialResult(
        study=study.name,
        store=str(store_path),
        design=design,
        decisions=decisions,
        summary=summary,
        runs_used=len(_used_ids(full, design, decisions)),
        runs_fixed=len(grid),
        failed=failed,
    )


def _no_decisions() -> pd.DataFrame:
    """The decisions before the first look."""
    return pd.DataFrame(columns=list(DECISION_COLUMNS))


def _looks_done(decisions: pd.DataFrame) -> int:
    return int(decisions["look"].max()) if len(decisions) else 0


def _design_study(study: Study, design: SequentialDesign) -> Study:
    if tuple(study.setting_names) != design.settings:
        raise ConfigError(
            f"the stored sequential design covers settings {', '.join(design.settings)}, but "
            f"study '{study.name}' has {', '.join(study.setting_names)}; pass another --store."
        )
    return study.with_overrides(seeds=design.looks[-1], levels=list(design.levels))


def _look_grid(study: Study, seeds: int, open_levels: set[tuple[str, float]]) -> Grid:
    """The runs of one look: seed indices below ``seeds`` of the baseline and the open levels."""
    full = build_grid(study.with_overrides(seeds=seeds))
    specs = tuple(
        s for s in full if s.arm == "unimodal" or (s.setting, float(s.level)) in open_levels
    )
    settings = {s.run_id: full.settings[s.run_id] for s in specs}
    return Grid(full.study, specs, settings)


def _open(frame: pd.DataFrame) -> set[tuple[str, float]]:
    return {(r.setting, float(r.level)) for r in frame.itertuples(index=False)}


def _used_ids(study: Study, design: SequentialDesign, decisions: pd.DataFrame) -> set[str]:
    """Ids of the runs the looks evaluated so far needed."""
    ids: set[str] = set()
    for look, rows in decisions.groupby("look"):
        ids |= set(_look_grid(study, design.looks[int(look) - 1], _open(rows)).run_ids)
    return ids


def _next_look_ids(study: Study, design: SequentialDesign, summary: pd.DataFrame) -> list[str]:
    """Ids of the runs the next look needs (none when no level is open)."""
    pending = summary[summary["status"] == "open"]
    if not len(pending):
        return []
    return _look_grid(study, int(pending["next_seeds"].min()), _open(pending)).run_ids


def runs_used(study: Study, design: SequentialDesign, decisions: pd.DataFrame) -> tuple[int, int]:
    """Runs the evaluated looks needed, and runs of the fixed design with the same maximum."""
    full = _design_study(study, design)
    return len(_used_ids(full, design, decisions)), len(build_grid(full))


def run_sequential(
    study: Study,
    design: SequentialDesign,
    store_path: str | Path | None = None,
    *,
    workers: int | None = None,
    executor: str = "local",
    device: str = "cpu",
    retry_failed: bool = False,
    address: str = "local",
    progress: ProgressFn | None = None,
    on_look: LookFn | None = None,
) -> SequentialResult:
    """Train a study look by look until every level is decided or the last look is done.

    Parameters
    ----------
    study : Study
        The study (``--levels`` and ``--data`` applied; its ``seeds`` are not used).
    design : SequentialDesign
        :func:`make_design`; must equal the design stored with the study, if any.
    store_path : str or pathlib.Path, optional
        Default ``results/<study>.sqlite``.
    workers, executor, device, retry_failed, address, progress
        As :func:`repro.runs.sweep.run_sweep` (``progress`` starts anew at each look).
    on_look : callable, optional
        ``on_look(look, seeds, rows)`` for each look evaluated, earlier ones (replayed from the
        stored runs) included, with the look's rows of the decisions.

    Returns
    -------
    SequentialResult

    Raises
    ------
    ConfigError
        The store holds another sequential design, or as :func:`run_sweep` (checked before
        anything is trained or written).
    StoreError
        As :func:`run_sweep`.
    """
    started = time.perf_counter()
    path = Path(store_path) if store_path else default_store_path(study.name)
    full = _design_study(study, design)
    check_store(path, study.name, write=True)
    stored = stored_sequential(study, path)
    if stored is not None and stored[0] != design:
        raise ConfigError(
            f"results store '{path}' holds another sequential design ({stored[0].describe()}); "
            "repeat it or pass another --store."
        )
    ran = 0
    notes: list[str] = []
    interrupted = False
    reported = 0
    attempted = None
    while True:
        result = replay(full, design, path) if path.exists() else None
        summary = result.summary if result else sequential_summary(_no_decisions(), design)
        if result is not None and on_look is not None:
            for look in range(reported + 1, _looks_done(result.decisions) + 1):
                rows = result.decisions[result.decisions["look"] == look]
                on_look(look, design.looks[look - 1], rows)
            reported = max(reported, _looks_done(result.decisions))
        pending = summary[summary["status"] == "open"]
        if not len(pending):
            break
        seeds = int(pending["next_seeds"].min())
        if attempted == (seeds, _open(pending)):
            # the look's sweep ran and the look is still not complete: its runs are held by
            # another sweep, or some have no finite value of the metric
            notes.append(
                f"the look at {seeds} seeds cannot be evaluated yet: some of its runs are being "
                f"trained by another sweep or have no value of {design.metric!r}; run again later."
            )
            break
        attempted = (seeds, _open(pending))
        grid = _look_grid(full, seeds, _open(pending))
        decided = result.decisions if result else _no_decisions()
        sweep = run_sweep(
            full.with_overrides(seeds=seeds), path, workers=workers, executor=executor,
            device=device, retry_failed=retry_failed, address=address,
            progress=_saving(progress, path, study.name, design, decided), grid=grid,
        )  # fmt: skip
        ran += sweep.ran
        retry_failed = False  # failures of this call are not retried in a loop
        if sweep.interrupted or sweep.failed:
            interrupted = sweep.interrupted
            result = replay(full, design, path)
            break
    if result is None:  # nothing to train and no store: cannot happen with a valid design
        raise ConfigError("the sequential design has no open level and no stored runs.")
    notes += _compare_stored(stored[1] if stored else None, result.decisions)
    with ResultsStore(path, study.name) as store:
        store.save_sequential(design.as_dict(), result.decisions)
    if result.failed:
        notes.append(
            f"{result.failed} run(s) of the next look failed; the look cannot be evaluated "
            "until they are trained again (--retry-failed)."
        )
    result.ran, result.interrupted, result.notes = ran, interrupted, notes
    result.wall_s = time.perf_counter() - started
    return result


def _saving(progress, path: Path, study: str, design: SequentialDesign, decisions):
    """``progress`` that first stores the design and the decisions so far, once the sweep has
    checked the command and opened the store (so ``status`` shows the design from the first
    look on, and a rejected command still writes nothing)."""

    def call(event: str, total: int, done: int, failed: int) -> None:
        if event == "start":
            with ResultsStore(path, study) as store:
                store.save_sequential(design.as_dict(), decisions)
        if progress is not None:
            progress(event, total, done, failed)

    return call


def _compare_stored(stored: pd.DataFrame | None, decisions: pd.DataFrame) -> list[str]:
    """A note when the decisions stored earlier differ from those the runs give now."""
    if stored is None or not len(stored):
        return []
    keys = ["look", "setting", "level"]
    both = stored.merge(decisions, on=keys, how="inner", suffixes=("_stored", ""))
    changed = both[
        (both["label_stored"] != both["label"]) | (both["decided_stored"] != both["decided"])
    ]
    if len(changed) or len(both) < len(stored):
        return [
            "the decisions stored earlier differ from those the stored runs give now (runs "
            "were replaced or removed); the stored decisions were replaced."
        ]
    return []
