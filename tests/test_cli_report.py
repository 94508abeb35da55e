"""``colearn report`` / ``figures`` / ``reproduce``: in-process, with temporary stores and folders."""

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repro.cli import app

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL = ROOT / "tests" / "data" / "original-iemocap"
runner = CliRunner()

TINY = """
[study]
name = "tiny"
seed = 7
seeds = 2
levels = [0.0, 0.8]

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]
[data.options]
n_items = 240
seq_len = 6

[model]
kind = "eflstm"
hidden = 8
layers = 1

[training]
epochs = 2
batch_size = 16
lr = 0.01

[[claims]]
id = "ncl-at-0"
level = 0.0
metric = "accuracy"
expected = "NCL"
"""


def test_report_on_imported_table_never_imports_torch(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from repro.cli import app
        for args in (["import-original", {str(ORIGINAL)!r}, "--out", "t.csv"],
                     ["report", "t.csv",
                      "--study", {str(tmp_path / "claims.toml")!r}, "--n-boot", "50"]):
            try:
                app(args, standalone_mode=False)
            except SystemExit as e:
                assert not e.code, e.code
        print("TORCH", "torch" in sys.modules)
    """)
    study = TINY.replace('name = "tiny"', 'name = "paper-like"') + (
        '\n[[claims]]\nid = "pcl-at-0.8"\nlevel = 0.8\nmetric = "accuracy"\nexpected = "PCL"\n'
        "paper_value = 0.47\n"
    )
    (tmp_path / "claims.toml").write_text(study)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "TORCH False" in res.stdout
    out = tmp_path / "reports" / "original-iemocap"
    md = (out / "report.md").read_text()
    assert "pcl-at-0.8" in md and "[?Re]" in md and "cm_res.npy" in md
    # Figure 4 comes from the cm_res.npy that import-original kept beside the table.
    assert (tmp_path / "t.cm_res.npy").is_file()
    assert (out / "figures" / "confusion.png").is_file()


def test_report_needs_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY)
    res = runner.invoke(app, ["report", "tiny.toml"])
    assert res.exit_code != 0
    assert "no results store" in str(res.exception)


@pytest.mark.slow
def test_reproduce_resumes_and_runs_only_what_is_missing(tmp_path, monkeypatch):
    from repro.runs.study import load_study
    from repro.runs.sweep import run_sweep

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY)
    store = tmp_path / "results" / "tiny.sqlite"
    first = run_sweep(load_study("tiny.toml").with_overrides(seeds=1), store, workers=1,
                      executor="inline")  # fmt: skip
    assert first.ran == 3
    with sqlite3.connect(store) as con:
        before = dict(con.execute("SELECT run_id, finished_at FROM runs"))
    res = runner.invoke(app, ["reproduce", "tiny.toml", "--workers", "1", "--n-boot", "20"])
    assert res.exit_code == 0, res.output
    assert "3 trained now" in res.output
    assert "report:" in res.output and "ncl-at-0" in res.output
    with sqlite3.connect(store) as con:
        after = dict(con.execute("SELECT run_id, finished_at FROM runs"))
    assert len(after) == 6
    assert all(after[k] == v for k, v in before.items())
    out = tmp_path / "reports" / "tiny"
    assert (out / "report.html").is_file() and (out / "figures" / "forest.png").is_file()
    res = runner.invoke(app, ["figures", "tiny.toml", "--n-boot", "10"])
    assert res.exit_code == 0, res.output
    assert "forest.png" in res.output
