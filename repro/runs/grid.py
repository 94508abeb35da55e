"""The run grid of a study: settings × arms × levels × seed indices, with shared baselines.

Each seed index gets one multimodal run per (setting, level) and one unimodal baseline.  The
baseline's id ignores the dropout switches (see :mod:`repro.runs.ids`), so settings that differ only in
how dropout is drawn share one baseline run: it is trained once and belongs to every such setting.

The grid is ordered seed index first, so growing ``--seeds 5`` to ``--seeds 10`` only appends runs
and a half-finished sweep holds complete seed indices as early as possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repro.runs.ids import RunSpec, make_spec
from repro.runs.study import Study

__all__ = ["Grid", "build_grid"]


@dataclass(frozen=True)
class Grid:
    """The runs of one study, each once, and the settings each run belongs to.

    Attributes
    ----------
    study : Study
        The study the grid was expanded from (after command-line overrides).
    specs : tuple of RunSpec
        Every run once, in execution order (seed index, then setting, baseline first, then levels).
    settings : dict
        ``{run_id: (setting, ...)}``; a shared unimodal baseline lists every setting it serves.
    """

    study: Study
    specs: tuple[RunSpec, ...]
    settings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self):
        return iter(self.specs)

    @property
    def run_ids(self) -> list[str]:
        """The run ids in grid order."""
        return [s.run_id for s in self.specs]


def build_grid(study: Study) -> Grid:
    """Expand a study into its run grid.

    Parameters
    ----------
    study : Study
        A validated study (``Study.with_overrides`` already applied).

    Returns
    -------
    Grid
        ``len(settings) * len(levels) * seeds`` multimodal runs plus one unimodal run per seed index
        and distinct baseline configuration (one per seed index when settings differ only in the
        dropout switches).

    Examples
    --------
    >>> from repro.runs.study import load_study
    >>> st = load_study("synthetic").with_overrides(seeds=3, levels=[0.0, 0.8])
    >>> len(build_grid(st))
    9
    """
    specs: list[RunSpec] = []
    settings: dict[str, list[str]] = {}
    for seed in range(study.seeds):
        for setting in study.setting_names:
            cells = [("unimodal", None)] + [("multimodal", lv) for lv in study.levels]
            for arm, level in cells:
                spec = make_spec(study, setting, arm, level, seed)
                if spec.run_id in settings:
                    if setting not in settings[spec.run_id]:
                        settings[spec.run_id].append(setting)
                    continue
                settings[spec.run_id] = [setting]
                specs.append(spec)
    return Grid(study, tuple(specs), {k: tuple(v) for k, v in settings.items()})
