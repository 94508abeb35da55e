"""Hostile input: every malformed command is refused in one sentence and changes nothing.

One test (or more) per kind of attack: outputs written in place (1), foreign SQLite files (2),
paths that escape their folder (3), rejected commands that touched the store (4), impossible
training values (5), inconsistent data files (7), pickles that run code (8), store locations
(9), ``run --store`` replacing a stored run (10) and zombie or reused-pid owners (11).  Each
checks the exit code, the message and, by hashing the folder tree and the store's content,
that nothing outside the expected outputs changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fabricate import csd_folder, mfn_h5, mmsa_dict, mult_mosi_dict, write_csd, write_pickle

from analysis.tidy import read_table, validate_tidy
from colearn.errors import ConfigError, DataError
from colearn.files import path_inside
from repro.data.loaders import load_dataset
from repro.runs.store import ResultsStore, default_store_path
from repro.runs.study import load_study
from repro.runs.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

TINY = """
[study]
name = "tiny"
seed = 7
seeds = 1
levels = [0.8]

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]

[data.options]
n_items = 120
seq_len = 4

[model]
kind = "eflstm"
hidden = 4

[training]
epochs = 1
batch_size = 30
lr = 0.01
"""


# -- helpers -----------------------------------------------------------------------------------


def tree_digest(folder: Path, sqlite_sidecars: bool = False) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder`` (links by their target text).

    SQLite readers leave empty ``-wal``/``-shm`` files beside a store; they are left out unless
    ``sqlite_sidecars`` (compare the store's content with :func:`store_digest` instead).
    """
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if not sqlite_sidecars and rel.endswith(("-wal", "-shm")):
            continue
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def store_digest(path: Path) -> str:
    """A hash of everything a SQLite file holds (schema and rows), read without writing."""
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """Run ``colearn ARGS`` in-process; return exit code, stdout and stderr."""
    from repro.cli import main

    monkeypatch.setattr(sys, "argv", ["colearn", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(err: str) -> str:
    """The error line of stderr (asserting there is exactly one and no traceback)."""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """A working folder (the current directory) holding the tiny study file ``tiny.toml``."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "tiny.toml").write_text(TINY)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(scope="module")
def _trained(tmp_path_factory) -> Path:
    """A store of the tiny study with its two runs done on one torch thread (once per module)."""
    import torch

    folder = tmp_path_factory.mktemp("trained")
    (folder / "tiny.toml").write_text(TINY)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures run before the per-test one-thread fixture
    try:
        run_sweep(load_study(folder / "tiny.toml"), folder / "s.sqlite", executor="inline")
    finally:
        torch.set_num_threads(threads)
    return folder / "s.sqlite"


@pytest.fixture
def store(work, _trained) -> Path:
    """A copy of the trained store in the working folder."""
    shutil.copy(_trained, work / "s.sqlite")
    return work / "s.sqlite"


def variant(work: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    text = TINY if old == "" else TINY.replace(old, new)
    assert old == "" or old in TINY
    (work / name).write_text(text + (new if old == "" else ""))
    return work / name


# -- 1. outputs are replaced whole --------------------------------------------------------------


def test_export_failing_midway_keeps_the_previous_file(work, store, monkeypatch, capsys):
    import pandas as pd

    previous = work / "t.csv"
    previous.write_text("the previous export\n")

    def full_disk(self, path, **kw):
        Path(path).write_text("study,setting,run_id\ntiny,def")  # half a table, then
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    code, _, err = cli(
        monkeypatch, capsys, "export", "tiny.toml", "--store", store, "--out", previous
    )
    assert code == 1 and "No space left on device" in err
    assert previous.read_text() == "the previous export\n"
    assert sorted(tree_digest(work)) == ["s.sqlite", "t.csv", "tiny.toml"]  # no temporary left


EXPORT_KILLED = """
import sys, time
import pandas as pd
real = pd.DataFrame.to_csv

def slow(self, path, **kw):
    real(self.head(3), path, **kw)        # the first rows reach the disk ...
    print("writing", flush=True)
    time.sleep(60)                        # ... and the process is killed here

pd.DataFrame.to_csv = slow
sys.argv = ["colearn", "export", "tiny.toml", "--store", "s.sqlite", "--out", "t.csv"]
from repro.cli import main
main()
"""


def test_export_killed_while_writing_keeps_the_previous_file(work, store):
    previous = work / "t.csv"
    previous.write_text("the previous export\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(EXPORT_KILLED)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "writing", child.stderr.read()
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert previous.read_text() == "the previous export\n"
    partial = [p for p in work.iterdir() if p.name.startswith(".t.csv.")]
    assert len(partial) == 1 and partial[0].read_text().count("\n") == 4  # header + 3 rows
    # the next export replaces the file whole
    subprocess.run(
        [sys.executable, "-m", "repro", "export", "tiny.toml", "--store", "s.sqlite", "--out",
         "t.csv"],
        cwd=work, env=env, check=True, capture_output=True,
    )  # fmt: skip
    assert len(read_table(previous)) == len(read_table(store))


def test_export_default_path_never_follows_a_link_out_of_results(work, store, monkeypatch, capsys):
    outside = work.parent / "victim.csv"
    outside.write_text("keep me\n")
    (work / "results").mkdir()
    (work / "results" / "tiny.csv").symlink_to(outside)
    before = tree_digest(work.parent)
    code, _, err = cli(monkeypatch, capsys, "export", "tiny.toml", "--store", store)
    assert code == 2 and "outside the folder 'results'" in one_line(err)
    assert tree_digest(work.parent) == before


# -- 2. a foreign SQLite file is never adopted ---------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("sweep", "tiny.toml", "--executor", "inline"),
        ("run", "tiny.toml"),
        ("status", "tiny.toml"),
        ("export", "tiny.toml", "--out", "t.csv"),
    ],
)
def test_a_foreign_sqlite_file_is_refused_untouched(work, monkeypatch, capsys, command):
    other = work / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (text)")
    con.execute("INSERT INTO notes VALUES ('mine')")
    con.commit()
    con.close()
    before = tree_digest(work, sqlite_sidecars=True)
    code, out, err = cli(monkeypatch, capsys, *command, "--store", other)
    assert code == 2 and out == ""
    assert "'" + str(other) + "' is a SQLite file but not a colearn results store" in one_line(err)
    assert tree_digest(work, sqlite_sidecars=True) == before  # no tables, no WAL, no journal


def test_an_empty_file_is_not_taken_for_a_new_store(work, monkeypatch, capsys):
    (work / "empty.sqlite").touch()
    before = tree_digest(work, sqlite_sidecars=True)
    code, _, err = cli(monkeypatch, capsys, "sweep", "tiny.toml", "--store", "empty.sqlite")
    assert code == 2 and "is an empty file, not a colearn results store" in one_line(err)
    assert tree_digest(work, sqlite_sidecars=True) == before


# -- 3. names that become paths ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "..", "a b", "x/y", ".hidden", ""])
def test_study_names_that_escape_are_refused(work, monkeypatch, capsys, name):
    variant(work, 'name = "tiny"', f"name = {name!r}".replace("'", '"'))
    before = tree_digest(work.parent)
    for command in ("sweep", "export", "status", "run"):
        code, _, err = cli(monkeypatch, capsys, command, "bad.toml")
        assert code == 2 and "cannot be used as a file name" in one_line(err), command
    assert tree_digest(work.parent) == before


def test_setting_names_with_a_slash_are_refused(work, monkeypatch, capsys):
    variant(work, "", '\n[settings."a/b".protocol]\ndraw = "independent"\n')
    code, _, err = cli(monkeypatch, capsys, "sweep", "bad.toml", "--executor", "inline")
    assert code == 2 and "setting name 'a/b' cannot be used as a file name" in one_line(err)
    assert not (work / "results").exists()


def test_table_study_and_setting_names_are_checked(work, store):
    table = read_table(store)
    for col, bad in (("study", "../../x"), ("study", "/abs/x"), ("setting", "a/b")):
        hostile = table.assign(**{col: bad})
        with pytest.raises(DataError, match=f"the table's {col} name '{bad}' cannot be used"):
            validate_tidy(hostile)
        hostile.to_csv(work / "hostile.csv", index=False)
        with pytest.raises(DataError, match="cannot be used as a file name"):
            read_table(work / "hostile.csv")
    with pytest.raises(ConfigError, match="cannot be used as a file name"):
        default_store_path("../x")
    with pytest.raises(ConfigError, match="outside the folder"):
        path_inside("reports", "..", "x")


# -- 4. rejected commands leave the store as it was ----------------------------------------------


BAD_COMMANDS = {
    "unknown model kind": (('kind = "eflstm"', 'kind = "transformer"'), (), "unknown model"),
    "misspelt model key": (("hidden = 4", "hiden = 4"), (), "unknown model setting 'hiden'"),
    "misspelt data option": (("n_items = 120", "n_itmes = 120"), (), "'n_itmes'"),
    "bad preset": (('preset = "quick"', 'preset = "huge"'), (), "preset = 'huge'"),
    "wrong modality": (
        ('dropped = ["audio", "visual"]', 'dropped = ["audio", "vision"]'),
        (),
        "names modality 'vision'",
    ),
    "unknown executor": (None, ("--executor", "foo"), "executor 'foo' is unknown"),
    "unknown device": (None, ("--device", "tpu"), "device 'tpu' is unknown"),
    "bad data file": (None, ("--data", "bad.pkl"), "'bad.pkl' is truncated or not a pickle"),
    "workers": (None, ("--workers", "0"), "--workers 0 is not valid"),
}


@pytest.mark.parametrize("case", list(BAD_COMMANDS))
@pytest.mark.parametrize("existing", [False, True], ids=["new-store", "existing-store"])
def test_rejected_sweeps_leave_no_trace(work, _trained, monkeypatch, capsys, case, existing):
    edit, options, message = BAD_COMMANDS[case]
    study = variant(work, *edit) if edit else work / "tiny.toml"
    (work / "bad.pkl").write_bytes(b"\x80\x04 not really a pickle")
    if existing:
        shutil.copy(_trained, work / "s.sqlite")
        content = store_digest(work / "s.sqlite")
    before = tree_digest(work)
    code, _, err = cli(
        monkeypatch, capsys, "sweep", study, "--store", "s.sqlite", "--executor", "inline",
        *options,
    )  # fmt: skip
    assert code == 2 and message in one_line(err)
    assert tree_digest(work) == before
    if existing:
        assert store_digest(work / "s.sqlite") == content


# -- 5. impossible training values ---------------------------------------------------------------


IMPOSSIBLE = [
    (("epochs = 1", "epochs = 0"), "[training] epochs must be at least 1"),
    (("epochs = 1", "epochs = -3"), "[training] epochs must be at least 1"),
    (("batch_size = 30", "batch_size = 0"), "[training] batch_size must be at least 2"),
    (("batch_size = 30", "batch_size = 1"), "[training] batch_size must be at least 2"),
    (("lr = 0.01", "lr = -0.002"), "[training] lr must be a finite number above 0"),
    (("lr = 0.01", "lr = nan"), "[training] lr must be a finite number above 0, got nan"),
    (("lr = 0.01", "lr = inf"), "[training] lr must be a finite number above 0, got inf"),
    (("lr = 0.01", "lr = 0.01\nplateau_factor = 1.0"), "plateau_factor must be a finite"),
    (("seeds = 1", "seeds = 100000000"), "seeds must be an integer from 1 to 10,000"),
    (("levels = [0.8]", "levels = [1.5]"), "level 1.5 is outside [0, 1]"),
    (("levels = [0.8]", "levels = [nan]"), "level nan is outside [0, 1]"),
    (("", "\n[analysis]\nalpha = 2.0\n"), "alpha must be a finite number between 0 and 0.5"),
    (("", "\n[analysis]\nalpha = 0.5\n"), "alpha must be a finite number between 0 and 0.5"),
    (("", "\n[analysis]\nmargin = -0.02\n"), "margin must be a finite number above 0"),
    (("", "\n[analysis]\nmargin = inf\n"), "margin must be a finite number above 0"),
    (
        ("", '\n[[claims]]\nid = "c"\nlevel = 1.5\nmetric = "accuracy"\nexpected = "PCL"\n'),
        "claim 1: level must be at least 0 and at most 1, got 1.5",
    ),
    (("", "\n[settings.fast.training]\nepochs = 0\n"), "[settings.fast]: [training] epochs"),
]


@pytest.mark.parametrize(("edit", "message"), IMPOSSIBLE, ids=[m for _, m in IMPOSSIBLE])
def test_impossible_values_are_refused_before_anything_runs(
    work, monkeypatch, capsys, edit, message
):
    variant(work, *edit)
    for command in ("sweep", "run"):
        code, out, err = cli(monkeypatch, capsys, command, "bad.toml", "--store", "s.sqlite")
        assert code == 2 and out == "" and message in one_line(err), command
    assert sorted(p.name for p in work.iterdir()) == ["bad.toml", "tiny.toml"]


def test_command_line_overrides_have_the_same_ranges(work, monkeypatch, capsys):
    for args, message in [
        (("--seeds", "10001"), "seeds must be an integer from 1 to 10,000"),
        (("--levels", "0,2"), "level 2.0 is outside [0, 1]"),
        (("--levels", "0,nan"), "level nan is outside [0, 1]"),
        (
            ("--seeds", "10000", "--levels", ",".join(str(i / 20) for i in range(20))),
            "would hold 210,000 runs (1 setting × (20 levels + baseline) × 10000 seeds)",
        ),
    ]:
        code, _, err = cli(monkeypatch, capsys, "sweep", "tiny.toml", *args)
        assert code == 2 and message in one_line(err)
    for args, message in [
        (("--seed", "-1"), "seed index -1 is outside 0 to 9,999"),
        (("--level", "nan"), "needs a level in [0, 1], got nan"),
        (("--threads", "0"), "--threads 0 is not valid"),
    ]:
        code, _, err = cli(monkeypatch, capsys, "run", "tiny.toml", *args)
        assert code == 2 and message in one_line(err)
    assert sorted(p.name for p in work.iterdir()) == ["tiny.toml"]


# -- 7. loaders check every split the same way ---------------------------------------------------


def _mult_with(tmp_path: Path, edit) -> Path:
    d = mult_mosi_dict()
    edit(d)
    return write_pickle(d, tmp_path / "mosi.pkl")


def test_mult_splits_must_agree_on_steps_and_features(tmp_path, monkeypatch, capsys):
    def fewer_steps(d):
        d["valid"]["audio"] = d["valid"]["audio"][:, :40]

    def other_width(d):
        d["test"]["vision"] = d["test"]["vision"][:, :, :10]

    with pytest.raises(DataError, match="audio of the valid split has 40 steps of 5 features"):
        load_dataset(_mult_with(tmp_path, fewer_steps))
    path = _mult_with(tmp_path, other_width)
    code, out, err = cli(monkeypatch, capsys, "data", "inspect", path, "--json")
    assert code == 2 and out == ""
    assert (
        "visual of the test split has 50 steps of 10 features but the train split has 50 of 20"
        in (one_line(err))
    )


def test_mfn_splits_must_agree_on_steps(tmp_path):
    import h5py

    folder = mfn_h5(tmp_path)
    with h5py.File(folder / "X_test.h5", "w") as fh:
        fh.create_dataset("data", data=np.zeros((6, 12, 325)))
    with pytest.raises(DataError, match="of the test split has 12 steps of 300 features but the"):
        load_dataset(folder)


def test_sentiment_labels_are_held_to_the_same_range_in_every_format(tmp_path):
    d = mmsa_dict(tensors=False)
    d["valid"]["regression_labels"][0] = 40.0
    with pytest.raises(DataError, match=r"range over \[.*, 40\], outside \[-3, 3\]"):
        load_dataset(write_pickle(d, tmp_path / "mmsa.pkl"))
    folder = csd_folder(tmp_path)
    labels = folder / "CMU_MOSI_Opinion_Labels.csd"
    write_csd(labels, "labels", {"2iD-tVS8NPw": (np.array([[-17.0]]), np.array([[0.0, 2.0]]))})
    with pytest.raises(DataError, match=r"Labels.csd': sentiment labels of its segments range"):
        load_dataset(folder)


def test_csd_entries_must_agree_on_width(tmp_path):
    folder = csd_folder(tmp_path)
    iv = np.array([[0.0, 1.0]])
    write_csd(
        folder / "CMU_MOSI_COVAREP.csd",
        "COVAREP",
        {"2iD-tVS8NPw": (np.zeros((1, 74)), iv), "8d-gEyoeBzc": (np.zeros((1, 73)), iv)},
    )
    with pytest.raises(DataError, match="entry '8d-gEyoeBzc' has 73 features per row but entry"):
        load_dataset(folder)


# -- 8. pickles that name code --------------------------------------------------------------------


class _Payload:
    """Unpickling this opens (creates) a marker file: code of the file's choice runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


class _TensorPayload:
    """A 'tensor' whose nested storage bytes are a pickle that names code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import torch.storage

        return (torch.storage._load_from_bytes, (pickle.dumps(_Payload(self.marker)),))


@pytest.mark.parametrize("payload", [_Payload, _TensorPayload])
def test_pickles_that_name_code_are_refused(work, monkeypatch, capsys, payload):
    marker = work.parent / "code-ran"
    d = mult_mosi_dict()
    d["train"]["id"] = payload(marker)  # hidden inside an otherwise valid MulT file
    write_pickle(d, work / "mosi.pkl")
    before = tree_digest(work)
    for command in (
        ("data", "inspect", "mosi.pkl"),
        ("run", "tiny.toml", "--data", "mosi.pkl"),
        ("sweep", "tiny.toml", "--data", "mosi.pkl", "--store", "s.sqlite"),
    ):
        code, out, err = cli(monkeypatch, capsys, *command)
        line = one_line(err)
        assert code == 2 and out == "" and "'mosi.pkl' is a pickle that" in line, command
        assert "could run code when unpickled; pass --trust-pickle" in line
    assert "names 'io.open'" in line or "torch tensor whose storage" in line
    assert not marker.exists()
    assert tree_digest(work) == before
    if payload is _Payload:  # the opt-in unpickles it as pickle.load would
        code, _, err = cli(monkeypatch, capsys, "data", "inspect", "mosi.pkl", "--trust-pickle")
        assert marker.exists() and code == 2 and "'id' of the train split" in one_line(err)


def test_a_study_file_cannot_switch_trust_on(work, monkeypatch, capsys):
    variant(work, 'source = "synthetic"', 'source = "file"\ntrust_pickle = true')
    code, _, err = cli(monkeypatch, capsys, "run", "bad.toml", "--data", "x.pkl")
    assert code == 2 and "unknown key 'trust_pickle' in [data]" in one_line(err)


# -- 9. where a store may live --------------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path):
    """Make ``path`` read-only even for root (immutable flag); skip where that cannot be done."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root ignores file modes and chattr is missing")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("root ignores file modes and the immutable flag is not available")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_store_paths_under_a_file_or_on_a_folder(work, monkeypatch, capsys):
    (work / "afile").write_text("not a folder\n")
    before = tree_digest(work)
    for store, message in [
        ("afile/s.sqlite", "cannot create results store 'afile/s.sqlite': 'afile' is a file"),
        ("afile/a/b.sqlite", "'afile' is a file, not a folder"),
        (".", "results store '.' is a folder"),
    ]:
        for command in ("sweep", "run"):
            code, _, err = cli(monkeypatch, capsys, command, "tiny.toml", "--store", store)
            assert code == 2 and message in one_line(err), (command, store)
    assert tree_digest(work) == before


def test_a_read_only_store_is_read_but_not_written(work, store, monkeypatch, capsys):
    content = store_digest(store)
    with read_only(store):
        before = tree_digest(work)
        for command in ("sweep", "run"):
            code, _, err = cli(monkeypatch, capsys, command, "tiny.toml", "--store", store)
            assert code == 2 and f"results store '{store}' is read-only" in one_line(err)
        assert tree_digest(work) == before
        code, out, _ = cli(monkeypatch, capsys, "status", "tiny.toml", "--store", store, "--json")
        assert code == 0 and '"done": 2' in out
        code, _, _ = cli(
            monkeypatch, capsys, "export", "tiny.toml", "--store", store, "--out", "t.csv"
        )
        assert code == 0 and (work / "t.csv").is_file()
    assert store_digest(store) == content


def test_a_store_in_a_read_only_folder_is_read_but_not_written(work, store, monkeypatch, capsys):
    folder = work / "shared"
    folder.mkdir()
    shutil.move(store, folder / "s.sqlite")
    with read_only(folder):
        before = tree_digest(work, sqlite_sidecars=True)
        code, _, err = cli(monkeypatch, capsys, "sweep", "tiny.toml", "--store", "shared/s.sqlite")
        assert code == 2 and "is in the read-only folder 'shared'" in one_line(err)
        code, _, err = cli(
            monkeypatch, capsys, "sweep", "tiny.toml", "--store", "shared/new.sqlite"
        )
        assert code == 2 and "the folder 'shared' is read-only" in one_line(err)
        code, out, _ = cli(monkeypatch, capsys, "status", "tiny.toml", "--store", "shared/s.sqlite")
        assert code == 0
        assert tree_digest(work, sqlite_sidecars=True) == before  # not even a -wal file


# -- 10. run --store ----------------------------------------------------------------------------


RUN = ("run", "tiny.toml", "--arm", "multimodal", "--level", "0.8", "--seed", "0", "--json")


def test_run_store_refuses_other_execution_settings_unless_forced(work, store, monkeypatch, capsys):
    content = store_digest(store)
    code, out, err = cli(monkeypatch, capsys, *RUN, "--store", store, "--threads", "2")
    assert code == 2 and out == ""
    assert "stored with results made under other execution settings (threads 1 → 2)" in one_line(
        err
    )
    assert store_digest(store) == content
    code, _, _ = cli(monkeypatch, capsys, *RUN, "--store", store, "--threads", "1")
    assert code == 0  # the same settings give the same numbers: replaced in place
    code, _, _ = cli(monkeypatch, capsys, *RUN, "--store", store, "--threads", "2", "--force")
    assert code == 0
    with ResultsStore(store, "tiny", readonly=True) as s:
        rows = s.run_rows()
    assert list(rows.status) == ["done", "done"]
    assert '"threads": 2' in rows.set_index("arm").config_json["multimodal"]


def test_run_store_replaces_in_one_transaction(work, store, monkeypatch, capsys):
    content = store_digest(store)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed after the old copy was deleted, before the new one

    monkeypatch.setattr(ResultsStore, "_write_results", crash)
    code, _, _ = cli(monkeypatch, capsys, *RUN, "--store", store, "--threads", "1")
    assert code == 130
    assert store_digest(store) == content  # the old copy is still there, done


# -- 11. owners that are zombies or whose pid was reused ------------------------------------------


CLAIM_AND_DIE = """
import os, signal, sys
from repro.runs.ids import make_spec
from repro.runs.store import ResultsStore
from repro.runs.study import load_study
st = load_study("tiny.toml")
store = ResultsStore("s.sqlite", "tiny")
store.claim(make_spec(st, "default", "multimodal", 0.8, 0))
print("claimed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are seen through /proc")
def test_a_zombie_owner_does_not_hold_its_runs(work):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CLAIM_AND_DIE)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline().strip() == b"claimed"
        stat = Path(f"/proc/{child.pid}/stat")
        deadline = time.monotonic() + 10
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":  # killed, not reaped
            assert time.monotonic() < deadline
            time.sleep(0.01)
        st = load_study(work / "tiny.toml")
        with ResultsStore(work / "s.sqlite", "tiny", readonly=True) as s:
            assert list(s.statuses().values()) == ["stale"]
        summary = run_sweep(st, work / "s.sqlite", executor="inline")
        assert (summary.done, summary.running, summary.ran) == (2, 0, 2)
    finally:
        child.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="start times are read in /proc")
def test_a_reused_pid_does_not_hold_a_claim(work, store):
    # A claim recorded by a process that has died, whose pid now belongs to a live process (this
    # one): the live process has another start time, so the claim is abandoned.
    con = sqlite3.connect(store)
    con.execute(
        "UPDATE runs SET status = 'running', host = ?, pid = ?, claim_token = ?, claimed_at = ? "
        "WHERE arm = 'unimodal'",
        (socket.gethostname(), os.getpid(), "0123@another-boot:42", time.time()),
    )
    con.commit()
    con.close()
    with ResultsStore(store, "tiny", readonly=True) as s:
        assert sorted(s.statuses().values()) == ["done", "stale"]
    with ResultsStore(store, "tiny") as s:  # and a live claim of this process is not abandoned
        run_id = next(r for r, status in s.statuses().items() if status == "stale")
        spec = next(x for x in _grid(work) if x.run_id == run_id)
        assert s.claim(spec)
        assert s.statuses()[run_id] == "running"


def _grid(work: Path):
    from repro.runs.grid import build_grid

    return build_grid(load_study(work / "tiny.toml"))
