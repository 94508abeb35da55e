"""Figures: each plot draws, files are written, the Figure 5 table matches the authors' means."""

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from analysis.compare import compare_to_baseline
from analysis.optimum import dose_response_band, optimal_level
from analysis.original import CM_LABELS, import_original, load_confusion
from analysis.report.figures import (
    metric_axis_label,
    plot_confusion,
    plot_dose_response,
    plot_forest,
    save_figures,
)
from analysis.report.tables import figure5_table, to_latex, to_markdown
from analysis.study_analysis import analyze
from colearn.errors import ConfigError

ORIGINAL = Path(__file__).parent / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def table():
    return import_original(ORIGINAL)


@pytest.fixture(scope="module")
def comparison(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare_to_baseline(table)


def test_dose_response_draws_every_layer(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band = dose_response_band(table, n_boot=20, seed=1)
        opt = optimal_level(table, n_boot=20, seed=1)
    ax = plot_dose_response(table, band, optimum=opt)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("baseline" in s for s in labels) and any("fitted curve" in s for s in labels)
    assert any("optimal level" in s for s in labels)
    assert ax.get_xlabel().startswith("modality dropout probability")
    assert "(fraction)" in ax.get_ylabel()
    plt.close(ax.figure)


def test_forest_labels_each_level(comparison):
    ax = plot_forest(comparison)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 7 and texts[0].startswith("NCL")
    assert "±δ" in ax.get_legend().get_texts()[0].get_text()
    plt.close(ax.figure)


def test_confusion_checks_shape():
    cm = load_confusion(ORIGINAL / "cm_res.npy")
    ax = plot_confusion(cm[0], CM_LABELS, title="p = 0")
    assert "accuracy 0.224" in ax.get_title()
    plt.close(ax.figure)
    with pytest.raises(ConfigError):
        plot_confusion(cm[0], CM_LABELS[:3])


def test_figure5_matches_authors_means(table):
    f5 = figure5_table(table)
    assert f5["row"].iloc[0] == "p = 0.95" and f5["row"].iloc[-1] == "unimodal"
    got = dict(zip(f5["row"], f5["accuracy"].round(3), strict=True))
    assert (got["p = 0"], got["p = 0.8"], got["unimodal"]) == (0.274, 0.466, 0.455)
    assert np.isclose(f5.loc[f5["row"] == "unimodal", "accuracy_sd"].iloc[0], 0.0086, atol=5e-4)
    md, tex = to_markdown(f5), to_latex(f5, caption="c")
    assert "| p = 0.8 | 0.466 ± 0.007" in md
    assert "\\toprule" in tex and "$\\pm$" in tex and "\\caption{c}" in tex


def test_save_figures_writes_png_and_pdf(table, tmp_path):
    cm = load_confusion(ORIGINAL / "cm_res.npy")
    paths = save_figures(
        analyze(table, n_boot=20), table, tmp_path,
        confusion={"p = 0": (cm[0], CM_LABELS), "p = 0.8": (cm[4], CM_LABELS)},
    )  # fmt: skip
    names = {p.name for p in paths}
    for stem in ("dose_response", "forest", "confusion"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    assert {"figure5.md", "figure5.tex"} <= names
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "dose_response.png").read_bytes()[:4] == b"\x89PNG"


def test_axis_label_units():
    assert metric_axis_label("mae") == "mae on primary-only test (sentiment units)"
