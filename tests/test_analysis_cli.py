"""The analysis commands, in-process (CliRunner) and through main() for exit codes."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.simulate import null_table
from repro.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "original-iemocap"


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "t.csv"
    res = CliRunner().invoke(app, ["import-original", str(FIXTURES), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _json(args):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_analyze_json_unpaired(csv):
    doc = _json(["analyze", str(csv), "--metric", "accuracy", "--unpaired", "--json", "--n-boot",
                 "50"])  # fmt: skip
    assert {"metric", "alpha", "margin", "paired", "levels"} <= set(doc)
    assert doc["paired"] is False and doc["margin"] == 0.02
    levels = {lv["level"]: lv for lv in doc["levels"]}
    assert set(levels[0.8]) == {
        "setting", "level", "n", "mean", "baseline_mean", "diff", "ci_low", "ci_high", "p_diff",
        "p_diff_adj", "p_equiv", "p_equiv_adj", "label", "negligible",
    }  # fmt: skip
    assert round(levels[0.0]["mean"], 3) == 0.274 and round(levels[0.8]["mean"], 3) == 0.466
    assert round(levels[0.8]["baseline_mean"], 3) == 0.455
    assert [levels[v]["label"] for v in (0.0, 0.15, 0.4, 0.6, 0.8, 0.9, 0.95)] == [
        "NCL", "NCL", "NCL", "inconclusive", "inconclusive", "NeCL", "inconclusive"]  # fmt: skip
    assert doc["dose_response"][0]["isotonic_mode"] == 0.8


def test_analyze_json_paired(csv):
    doc = _json(["analyze", str(csv), "--paired", "--json", "--no-dose"])
    lv = {x["level"]: x for x in doc["levels"]}[0.8]
    assert lv["label"] == "PCL" and lv["negligible"] is True
    assert any("unpaired" in w for w in doc["warnings"])


def test_analyze_table_and_out(csv, tmp_path):
    out = tmp_path / "levels.csv"
    res = CliRunner().invoke(app, ["analyze", str(csv), "--no-dose", "--out", str(out)])
    assert res.exit_code == 0 and out.is_file()


def test_compare_command(csv):
    doc = _json(["compare", str(csv), "--a", "0.8", "--b", "0.9", "--json"])
    assert doc["comparisons"][0]["label"] == "better"


def test_compare_settings_prints_a_summary_per_setting(tmp_path):
    a = null_table(6, (0.0, 0.5), 0.01, paired=True, seed=3)
    b = a.assign(setting="independent")
    b.loc[(b["arm"] == "multimodal") & (b["level"] == 0.5), "value"] += 0.05
    path = tmp_path / "two.csv"
    pd.concat([a, b]).to_csv(path, index=False)
    doc = _json(["compare", str(path), "--a", "independent", "--b", "default", "--n-boot", "50",
                 "--json"])  # fmt: skip
    assert {r["level_a"] for r in doc["comparisons"]} == {0.0, 0.5}
    summary = {r["setting"]: r for r in doc["settings_summary"]}
    assert set(summary) == {"independent", "default"}
    assert summary["independent"]["auc"] > summary["default"]["auc"]


def _main(args, monkeypatch, capsys):
    """Run the console entry point in-process; return (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["colearn", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return info.value.code, capsys.readouterr().err


def test_bad_input_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x_1.csv").write_text("\tacc\n0\t0.5\n")
    code, err = _main(["import-original", str(bad), "--out", "t.csv"], monkeypatch, capsys)
    assert code == 2
    assert "lacks the column" in err and "Traceback" not in err
    code, err = _main(["analyze", "missing-study"], monkeypatch, capsys)
    assert code == 2 and "neither a built-in study" in err
    code, err = _main(["analyze", "synthetic"], monkeypatch, capsys)
    assert code == 2 and "has no results store at results/synthetic.sqlite" in err
