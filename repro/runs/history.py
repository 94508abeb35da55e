"""The per-epoch training history of a study's stored runs (for ``colearn history``)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from colearn.errors import ConfigError, StoreError
from repro.runs.ids import make_spec
from repro.runs.store import ResultsStore, default_store_path
from repro.runs.study import Study

__all__ = ["read_history"]


def read_history(
    study: Study,
    store_path: str | Path | None = None,
    *,
    level: float | None = None,
    setting: str | None = None,
) -> pd.DataFrame:
    """Per-epoch losses of the study's done runs, as the study file defines them now.

    A stored run is kept when its id is the one the study gives its (setting, arm, level, seed
    index) today, so runs trained under an earlier version of the study file (another model,
    schedule or protocol) are left out.  Any level and seed index stored counts, including
    those of a sweep run with ``--levels``/``--seeds``.

    Parameters
    ----------
    study : Study
    store_path : str or pathlib.Path, optional
        The results store; default ``results/<study>.sqlite``.
    level : float, optional
        Keep this dropout level of the multimodal arm only (the unimodal baseline is kept).
    setting : str, optional
        Keep this setting only.

    Returns
    -------
    pandas.DataFrame
        The columns of :meth:`ResultsStore.history_rows
        <repro.runs.store.ResultsStore.history_rows>`: ``run_id, setting, arm, level, seed,
        best_epoch, epoch, train_loss, valid_loss, lr``.

    Raises
    ------
    ConfigError
        When ``setting`` is not a setting of the study, or no stored run has ``level``.
    StoreError
        When there is no store, or it holds no done run of the study.
    """
    if setting is not None and setting not in study.setting_names:
        raise ConfigError(
            f"study '{study.name}' has no setting '{setting}'; valid: "
            f"{', '.join(study.setting_names)}."
        )
    path = Path(store_path) if store_path else default_store_path(study.name)
    if not path.exists():
        raise StoreError(
            f"there is no results store '{path}' for study '{study.name}'; run a sweep first."
        )
    with ResultsStore(path, study.name, readonly=True) as store:
        rows = store.history_rows()
    runs = rows.drop_duplicates(["run_id", "setting"])
    current = {
        (r.run_id, r.setting)
        for r in runs.itertuples(index=False)
        if r.setting in study.setting_names
        and r.run_id == _run_id(study, r.setting, r.arm, r.level, int(r.seed))
    }
    keep = [(r, s) in current for r, s in zip(rows["run_id"], rows["setting"], strict=True)]
    rows = rows[keep]
    if setting is not None:
        rows = rows[rows["setting"] == setting]
    if rows.empty:
        raise StoreError(
            f"the store '{path}' holds no finished run of study '{study.name}' as it is now"
            f"{f' (setting {setting!r})' if setting else ''}; run a sweep."
        )
    if level is not None:
        multi = rows["arm"] == "multimodal"
        at_level = multi & rows["level"].sub(level).abs().lt(1e-9)
        if not at_level.any():
            stored = ", ".join(f"{v:g}" for v in sorted(rows.loc[multi, "level"].unique()))
            raise ConfigError(
                f"--level {level:g} has no stored run of study '{study.name}'; stored levels: "
                f"{stored or 'none'}."
            )
        rows = rows[at_level | ~multi]
    return rows.reset_index(drop=True)


def _run_id(study: Study, setting: str, arm: str, level: float, seed: int) -> str:
    level = None if arm == "unimodal" or math.isnan(level) else float(level)
    return make_spec(study, setting, arm, level, seed).run_id
