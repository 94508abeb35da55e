"""Study data sources: class names known without a data file (used to label stored confusions)."""

from repro.data.sources import class_names
from repro.runs.study import load_study


def test_synthetic_presets_name_their_classes_without_generating_data():
    assert class_names(load_study("synthetic-iemocap"))[:3] == ("neu", "fru", "ang")
    assert class_names(load_study("synthetic")) == tuple(f"c{i}" for i in range(6))


def test_regression_and_file_studies_have_no_names():
    assert class_names(load_study("synthetic-mosi")) == ()
    assert class_names(load_study("paper-iemocap")) == ()
