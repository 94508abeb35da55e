"""Analysis inputs a hostile or careless user sends: one sentence and exit 2, or an honest result."""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.compare import compare_to_baseline
from analysis.simulate import null_table
from colearn.errors import ConfigError, DataError
from repro.cli.app import main


def _main(args, monkeypatch, capsys) -> tuple[int, str]:
    """The console entry point in-process: (exit code, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["colearn", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code or 0, out.out + out.err


@pytest.fixture
def table():
    return null_table(5, (0.0, 0.4, 0.8), 0.01, paired=True, seed=1)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("margin", [float("inf"), float("nan"), 0.0, -0.02])
def test_margin_must_be_finite_and_positive(table, margin):
    with pytest.raises(ConfigError, match="margin"):
        compare_to_baseline(table, margin=margin)


def test_a_nan_value_is_left_out_in_plain_words(table):
    level = table.index[(table["arm"] == "multimodal") & (table["level"] == 0.4)][0]
    table.loc[level, "value"] = np.nan
    with pytest.warns(UserWarning, match="missing"):
        res = compare_to_baseline(table).set_index("level")
    assert res.loc[0.4, "n"] == 4 and res.loc[0.0, "n"] == 5  # the NaN seed is not counted
    assert any("left out" in w for w in res.attrs["warnings"])


def test_a_nan_baseline_value_is_said(table):
    base = table.index[table["arm"] == "unimodal"][0]
    table.loc[base, "value"] = np.nan
    with pytest.warns(UserWarning):
        res = compare_to_baseline(table)
    assert any("unimodal baseline" in w and "missing" in w for w in res.attrs["warnings"])
    assert (res["n"] == 4).all()  # paired: the seed without a baseline value drops out


def test_an_infinite_value_is_refused(table):
    table.loc[table.index[0], "value"] = np.inf
    with pytest.raises(DataError, match="infinite"):
        compare_to_baseline(table)


def test_zero_variance_is_said_plainly(table):
    table["value"] = 0.47
    table.loc[table["arm"] == "unimodal", "value"] = 0.45
    with pytest.warns(UserWarning, match="no variance"):
        res = compare_to_baseline(table)
    # 0.47 − 0.45 lies just under .02 in floating point: no "PCL, negligible" from noise
    assert (res["label"] == "inconclusive").all() and (res["note"] == "no variance").all()


def test_paired_arms_without_shared_seeds_are_refused(table):
    table.loc[table["arm"] == "unimodal", "seed"] += 100
    with pytest.raises(DataError, match="cannot be paired"):
        compare_to_baseline(table)
    assert len(compare_to_baseline(table, paired=False)) == 3


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (lambda t: t.iloc[:0], 2, "holds no rows"),
        (lambda t: t.assign(value=np.where(t.index == 0, np.inf, t["value"])), 2, "infinite"),
        (lambda t: t[t["seed"] == 0], 0, "fewer than 2 seeds"),
        (lambda t: t.assign(value=0.5), 0, "no variance"),
    ],
)
@pytest.mark.parametrize("command", ["analyze", "report", "figures"])
def test_commands_on_bad_tables(tmp_path, monkeypatch, capsys, table, make, code, message, command):
    monkeypatch.chdir(tmp_path)
    make(table).to_csv("t.csv", index=False)
    before = _digest(tmp_path)
    got, output = _main([command, "t.csv", "--n-boot", "10"], monkeypatch, capsys)
    assert got == code, output
    assert message in output
    if code:
        assert _digest(tmp_path) == before  # a rejected command writes nothing


@pytest.mark.parametrize("boot", ["0", "-1"])
def test_bootstrap_count_must_be_positive(tmp_path, monkeypatch, capsys, table, boot):
    monkeypatch.chdir(tmp_path)
    table.to_csv("t.csv", index=False)
    for command in ("analyze", "report", "figures"):
        code, output = _main([command, "t.csv", "--n-boot", boot], monkeypatch, capsys)
        assert code == 2 and "n_boot" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_analyze_json_says_why_a_level_is_inconclusive(tmp_path, monkeypatch, capsys, table):
    monkeypatch.chdir(tmp_path)
    table.assign(value=0.5).to_csv("t.csv", index=False)
    monkeypatch.setattr(sys, "argv", ["colearn", "analyze", "t.csv", "--json", "--no-dose"])
    with pytest.raises(SystemExit):
        main()
    doc = json.loads(capsys.readouterr().out)
    assert {r["label"] for r in doc["levels"]} == {"inconclusive"}
    assert any("no variance" in w for w in doc["warnings"])


REPORT_KILLED = """
import pathlib, sys, time
from repro.cli.app import main

real = pathlib.Path.write_text

def slow(self, text, *args, **kwargs):
    if self.name.startswith(".report.md."):
        real(self, text[: len(text) // 2], *args, **kwargs)  # half of the new report on disk
        print("writing", flush=True)
        time.sleep(60)
    return real(self, text, *args, **kwargs)

pathlib.Path.write_text = slow
sys.argv = ["colearn", "report", "t.csv", "--out", "r", "--n-boot", "10"]
main()
"""


def test_report_killed_while_writing_keeps_the_previous_files(tmp_path, table):
    import os
    import signal
    import subprocess

    root = Path(__file__).resolve().parents[1]
    table.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "r"
    out.mkdir()
    (out / "report.md").write_text("the previous report\n")
    child = subprocess.Popen(
        [sys.executable, "-c", REPORT_KILLED], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "writing", child.stderr.read()
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert (out / "report.md").read_text() == "the previous report\n"
    # what was finished before the kill is whole: the comparison table parses completely
    assert len(pd.read_csv(out / "comparison.csv")) == 3
