"""One study analysis: ``analyze --json``, the report and the figures show the same numbers."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.original import import_original
from analysis.study_analysis import analyze
from repro.cli import app

ORIGINAL = Path(__file__).resolve().parent / "data" / "original-iemocap"
runner = CliRunner()
# Settings away from the defaults, so a consumer that fell back to them would disagree.
SETTINGS = ["--margin", "0.03", "--alpha", "0.1", "--n-boot", "40", "--seed", "3"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one")
    table = tmp / "t.csv"
    import_original(ORIGINAL).to_csv(table, index=False)
    got = {}
    res = runner.invoke(app, ["analyze", str(table), "--json", *SETTINGS])
    assert res.exit_code == 0, res.output
    got["json"] = json.loads(res.stdout)
    res = runner.invoke(app, ["report", str(table), "--out", str(tmp / "r"), *SETTINGS])
    assert res.exit_code == 0, res.output
    got["report"] = tmp / "r"
    res = runner.invoke(app, ["figures", str(table), "--out", str(tmp / "f"), *SETTINGS])
    assert res.exit_code == 0, res.output
    got["figures"] = res.stdout
    return got


def test_settings_echoed(outputs):
    doc = outputs["json"]
    assert (doc["alpha"], doc["margin"], doc["seed"], doc["n_boot"]) == (0.1, 0.03, 3, 40)


def test_report_has_the_json_labels_and_p_values(outputs):
    levels = pd.DataFrame(outputs["json"]["levels"])
    comparison = pd.read_csv(outputs["report"] / "comparison.csv")
    assert (comparison["margin"] == 0.03).all() and (comparison["alpha"] == 0.1).all()
    assert comparison["label"].tolist() == levels["label"].tolist()
    for col in ("p_diff_adj", "p_equiv_adj", "ci_low", "ci_high"):
        assert comparison[col].to_numpy() == pytest.approx(levels[col].to_numpy())


def test_report_and_figures_show_the_json_optimum(outputs):
    dose = outputs["json"]["dose_response"][0]
    md = (outputs["report"] / "report.md").read_text()
    assert f"optimum lies at p = {dose['opt_level']:.2f} with 90 % bootstrap interval" in md
    # the near-optimal region depends on δ: it must be the one at δ = 0.03
    assert f"within δ = 0.03 of its optimum over p ∈ [{dose['near_low']:.3f}, " in md
    assert f"optimum: {dose['opt_level']:.3g} [{dose['opt_low']:.3g}, " in outputs["figures"]


def test_figures_print_the_json_labels(outputs):
    labels = re.search(r"levels vs baseline: (.*)", outputs["figures"]).group(1)
    expected = ", ".join(
        f"p={r['level']:g} {r['label']}{'*' if r['negligible'] else ''}"
        for r in outputs["json"]["levels"]
    )
    assert labels == expected


def test_report_shows_robustness_tests():
    a = analyze(import_original(ORIGINAL), n_boot=20)
    assert {"p_perm", "p_rank", "p_block"} <= set(a.levels().columns)
    assert a.robustness["p_paired"].isna().all()  # the authors' runs are not paired


def test_analyze_and_report_read_the_same_store(tmp_path, monkeypatch):
    """A study file named unlike its study: every command reads results/<study name>.sqlite."""
    from test_cli_report import TINY

    monkeypatch.chdir(tmp_path)
    Path("my.toml").write_text(TINY.replace('name = "tiny"', 'name = "other-name"'))
    res = runner.invoke(app, ["sweep", "my.toml", "--seeds", "2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert Path("results/other-name.sqlite").is_file() and not Path("results/my.sqlite").exists()
    res = runner.invoke(app, ["analyze", "my.toml", "--json", "--no-dose"])
    assert res.exit_code == 0, res.output
    labels = [r["label"] for r in json.loads(res.stdout)["levels"]]
    res = runner.invoke(app, ["report", "my.toml", "--n-boot", "10"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv("reports/other-name/comparison.csv")["label"].tolist() == labels
