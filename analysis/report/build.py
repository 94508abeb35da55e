"""Writing the reproducibility report of one study into a folder.

:func:`build_report` takes a finished :class:`~analysis.study_analysis.StudyAnalysis` and the
study's :class:`~analysis.report.facts.StudyFacts` and writes ``report.md``, a self-contained
``report.html`` (figures embedded), the figures (PNG and PDF), the Figure 5 tables and CSV files
of the main results.  Every file is written to a temporary name and moved into place, so an
interrupted report leaves the previous files whole.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.report.facts import StudyFacts
from analysis.report.figures import save_figures
from analysis.report.render import render_html, render_markdown
from analysis.report.sections import report_sections
from analysis.report.sequential import save_sequential_figure
from analysis.sequential import SequentialRecord
from analysis.study_analysis import StudyAnalysis
from analysis.tidy import validate_tidy
from colearn.errors import ConfigError
from colearn.files import write_atomic, write_text_atomic

__all__ = ["build_report", "REPORT_FILES"]

#: Files :func:`build_report` always writes (figures and tables come in addition).
REPORT_FILES = ("report.md", "report.html", "comparison.csv", "claims.csv")


def build_report(
    analysis: StudyAnalysis,
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    facts: StudyFacts,
    confusion: dict | None = None,
    sequential: SequentialRecord | None = None,
) -> Path:
    """Write the reproducibility report of one study into ``out_dir``.

    Parameters
    ----------
    analysis : StudyAnalysis
        The study's analysis (:func:`analysis.study_analysis.analyze`); the report shows exactly
        its numbers.
    table : pandas.DataFrame
        The tidy table it was computed from (for per-seed points and the Figure 5 tables).
    out_dir : str or pathlib.Path
        Output folder (created); figures go to ``out_dir/figures``.
    facts : StudyFacts
        What the report says about the study.
    confusion : dict, optional
        ``{title: (matrix, labels)}`` for the paper's Figure 4 (e.g. p = 0 and p = 0.8).
    sequential : SequentialRecord, optional
        The study's sequential design and decisions: adds the section "Sequential design" and
        its figure ``sequential``.

    Returns
    -------
    pathlib.Path
        The path of ``report.html`` (``report.md`` and the other files lie beside it).

    Raises
    ------
    ConfigError
        When ``analysis`` or ``facts`` is not of its type.
    """
    if not isinstance(analysis, StudyAnalysis):
        raise ConfigError(f"analysis must be a StudyAnalysis, got {type(analysis).__name__}.")
    if not isinstance(facts, StudyFacts):
        raise ConfigError(f"facts must be a StudyFacts, got {type(facts).__name__}.")
    table = validate_tidy(table)
    out = Path(out_dir)
    files = save_figures(
        analysis, table, out / "figures", confusion=confusion, confusion_note=facts.confusion_note
    )
    if sequential is not None:
        files += save_sequential_figure(sequential, out / "figures")
    for name, frame in (("comparison.csv", analysis.comparison), ("claims.csv", analysis.claims)):
        write_atomic(out / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
    title, sections = report_sections(table, analysis, facts, files, sequential)
    write_text_atomic(out / "report.md", render_markdown(title, sections, base=out))
    return write_text_atomic(out / "report.html", render_html(title, sections))
