"""The reproducibility report: typed study facts, sections, rendering, figures and tables.

:func:`build_report` writes a report from a :class:`~analysis.study_analysis.StudyAnalysis` and
the study's :class:`StudyFacts`; :func:`save_figures` writes the figures alone.
"""

from analysis.report.build import REPORT_FILES, build_report
from analysis.report.facts import StudyFacts
from analysis.report.figures import save_figures

__all__ = ["REPORT_FILES", "StudyFacts", "build_report", "save_figures"]
