"""Run specifications and their stable ids.

A run is (study, setting, arm, level, seed index).  Its id hashes everything that changes its
result: the data definition, the run configuration of its setting (for the unimodal arm without
the dropout switches, so settings that differ only there share one baseline), the arm, the level
and the seed index.  The id is the results store's key: resuming a sweep means skipping stored ids.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

from colearn.errors import ConfigError
from repro.runs.study import MAX_SEEDS, Study
from repro.training.config import ARMS

__all__ = ["RunSpec", "data_identity", "make_spec"]


@dataclass(frozen=True)
class RunSpec:
    """One cell of a study's run grid (frozen; ``run_id`` is its key)."""

    study: str
    setting: str
    arm: str
    level: float | None
    seed: int
    run_id: str
    identity_json: str

    @property
    def label(self) -> str:
        """Human-readable name, e.g. ``multimodal p=0.8 seed 3``."""
        where = "" if self.setting == "default" else f"[{self.setting}] "
        level = f" p={self.level:g}" if self.level is not None else ""
        return f"{where}{self.arm}{level} seed {self.seed}"


def make_spec(study: Study, setting: str, arm: str, level: float | None, seed: int) -> RunSpec:
    """Build the run spec of one grid cell.

    Examples
    --------
    >>> from repro.runs.study import load_study
    >>> st = load_study("synthetic")
    >>> a = make_spec(st, "default", "multimodal", 0.8, 0)
    >>> a.run_id == make_spec(st, "default", "multimodal", 0.8, 0).run_id
    True

    Raises
    ------
    ConfigError
        When the arm is unknown, a multimodal level is not a number in [0, 1], the seed index is
        outside ``0 .. MAX_SEEDS - 1``, or the study has no such setting.
    """
    if arm not in ARMS:
        raise ConfigError(f"arm '{arm}' is unknown; valid: {', '.join(ARMS)}.")
    if arm == "multimodal" and (
        isinstance(level, bool)
        or not isinstance(level, (int, float))
        or not math.isfinite(level)
        or not 0.0 <= level <= 1.0
    ):
        raise ConfigError(f"the multimodal arm needs a level in [0, 1], got {level!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEEDS:
        raise ConfigError(f"seed index {seed!r} is outside 0 to {MAX_SEEDS - 1:,}.")
    level = None if arm == "unimodal" else float(level)
    identity = {
        "data": data_identity(study),
        "config": study.run_config(setting).identity(arm),
        "arm": arm,
        "level": level,
        "seed": int(seed),
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    run_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    # The unimodal baseline is shared across settings that do not change it; it is filed under
    # the first such setting's name only for display.
    return RunSpec(study.name, setting, arm, level, int(seed), run_id, text)


def data_identity(study: Study) -> dict:
    """The study's data definition as plain data (part of every run id; a worker's cache key)."""
    d = study.data
    return {
        "source": d.source,
        "preset": d.preset,
        "path": d.path,
        "format": d.format,
        "primary": d.primary,
        "dropped": list(d.dropped),
        "modalities": list(d.modalities),
        "options": d.options,
    }
