"""The report: every section present, self-contained HTML, claims judged, small tables work."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.claims import VERDICT_RULE
from analysis.original import CM_LABELS, import_original, load_confusion
from analysis.report import REPORT_FILES, StudyFacts, build_report
from analysis.report.render import Section, inline_html, render_html, render_markdown
from analysis.study_analysis import analyze
from colearn.errors import ConfigError

ORIGINAL = Path(__file__).parent / "data" / "original-iemocap"
SECTIONS = (
    "Summary",
    "Claims",
    "Method",
    "Results reproducing the paper",
    "Results beyond the paper",
    "Deviations from the paper's text",
    "Statistical notes",
)
CLAIMS = pd.DataFrame(
    {"id": ["ncl-at-0", "pcl-at-0.8"], "level": [0.0, 0.8], "metric": "accuracy",
     "expected": ["NCL", "PCL"], "paper_value": [0.27, 0.47], "text": ["NCL.", "PCL."]}
)  # fmt: skip
FACTS = StudyFacts(
    name="original-iemocap",
    description="The authors' files",
    model="eflstm",
    hyperparameters={"hidden": 128},
    compute={"runs": 40, "wall_time_s": 12.5, "device": "cpu", "versions": {"numpy": "2"}},
    deviations=("One shared dropout draw per batch.",),
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    cm = load_confusion(ORIGINAL / "cm_res.npy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = import_original(ORIGINAL)
        path = build_report(
            analyze(table, claims=CLAIMS, n_boot=30), table, out, facts=FACTS,
            confusion={"p = 0": (cm[0], CM_LABELS), "p = 0.8": (cm[4], CM_LABELS)},
        )  # fmt: skip
    return path


def test_files_written(report):
    for name in REPORT_FILES:
        assert (report.parent / name).is_file()
    assert report.name == "report.html"
    for stem in ("dose_response", "forest", "confusion"):
        assert (report.parent / "figures" / f"{stem}.pdf").is_file()


def test_sections_in_order(report):
    md = (report.parent / "report.md").read_text()
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert [h for h in heads if h in SECTIONS] == list(SECTIONS)
    assert heads[0] == "Summary"


def test_summary_has_verdict_table_and_rule(report):
    md = (report.parent / "report.md").read_text()
    summary = md.split("## Claims")[0]
    assert "| ncl-at-0 | p = 0 |" in summary and "[Re]" in summary and "[?Re]" in summary
    assert VERDICT_RULE in summary
    for phrase in (
        "One shared dropout draw per batch.",
        "12.5 s (sum over runs)",
        "Source of variability",
        "SD vs CI",
        "Multiplicity",
        "Power and seeds needed",
        "Dose-response",
    ):
        assert phrase in md


def test_html_is_self_contained(report):
    html = report.read_text()
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert len(srcs) >= 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<link" not in html and "<script" not in html
    assert 'class="badge re"' in html
    for title in SECTIONS:
        assert inline_html(title) in html


def test_small_paired_table_without_dose_fit(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(4):
        rows.append(("unimodal", np.nan, seed, 0.5 + rng.normal(0, 0.01)))
        rows.append(("multimodal", 0.0, seed, 0.4 + rng.normal(0, 0.01)))
        rows.append(("multimodal", 0.8, seed, 0.52 + rng.normal(0, 0.01)))
    t = pd.DataFrame(rows, columns=["arm", "level", "seed", "value"]).assign(
        study="s", setting="default", run_id=[f"{a}-{lv}-{s}" for a, lv, s, _ in rows],
        paired=True, condition="primary", metric="accuracy", n_test=100,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = build_report(
            analyze(t, claims=CLAIMS, n_boot=10), t, tmp_path, facts=StudyFacts(name="s")
        )
    md = (path.parent / "report.md").read_text()
    assert "Not fitted" in md and "paired" in md
    assert not (tmp_path / "figures" / "confusion.png").exists()


def test_bad_inputs_are_refused(tmp_path):
    table = import_original(ORIGINAL)
    with pytest.raises(ConfigError, match="StudyFacts"):
        build_report(analyze(table, n_boot=5), table, tmp_path, facts={"name": "x"})
    with pytest.raises(ConfigError, match="StudyAnalysis"):
        build_report({"comparison": None}, table, tmp_path, facts=StudyFacts(name="x"))


def test_renderers_agree():
    secs = [Section("A", [("p", "**b** `c`"), ("table", ["h"], [["[Re]"]]), ("list", ["i"])])]
    md, html = render_markdown("T", secs), render_html("T", secs)
    assert "## A" in md and "| [Re] |" in md and "- i" in md
    assert "<strong>b</strong> <code>c</code>" in html and "<li>i</li>" in html
