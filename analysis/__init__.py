"""Statistics side of colearn: tidy results, co-learning labels, dose-response, power, reports.

This package never imports torch or :mod:`repro`, so stored or imported results can be analysed
without the training stack.  :func:`analyze` runs a study's whole analysis once; the report and
the figures (:mod:`analysis.report`) read its result.
"""

from analysis.compare import compare_to_baseline, margin_sensitivity, power_by_level
from analysis.doseresponse import dose_effect_test, fit_dose_response
from analysis.optimum import dose_response_band, optimal_level
from analysis.original import import_original, load_confusion, read_original_file
from analysis.power import (
    detectable_effect,
    sd_upper_limit,
    seeds_needed,
    seeds_needed_equivalence,
    tost_power,
)
from analysis.robust import min_attainable_p, robustness
from analysis.settings import (
    compare_by_name,
    compare_levels,
    compare_settings,
    compare_to_best,
    summarize_settings,
)
from analysis.simulate import null_table, simulate_labels
from analysis.study_analysis import StudyAnalysis, analyze
from analysis.tidy import TIDY_COLUMNS, higher_is_better, read_table, validate_tidy, write_table
from colearn.errors import ColearnError, ConfigError, DataError, StoreError

__all__ = [
    "ColearnError",
    "ConfigError",
    "DataError",
    "StoreError",
    "TIDY_COLUMNS",
    "validate_tidy",
    "read_table",
    "write_table",
    "higher_is_better",
    "import_original",
    "read_original_file",
    "load_confusion",
    "compare_to_baseline",
    "margin_sensitivity",
    "power_by_level",
    "robustness",
    "min_attainable_p",
    "fit_dose_response",
    "dose_response_band",
    "optimal_level",
    "dose_effect_test",
    "compare_levels",
    "compare_settings",
    "compare_to_best",
    "compare_by_name",
    "summarize_settings",
    "sd_upper_limit",
    "seeds_needed",
    "seeds_needed_equivalence",
    "detectable_effect",
    "tost_power",
    "null_table",
    "simulate_labels",
    "analyze",
    "StudyAnalysis",
]
