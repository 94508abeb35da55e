"""The command line's error contract: one line on stderr, exit 2, messages printed verbatim."""

import sys

import pytest

from repro.cli import main


def run_main(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["colearn", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return info.value.code, capsys.readouterr()


def test_bad_study_is_one_line_exit_2_with_brackets_kept(tmp_path, monkeypatch, capsys):
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "s"\n[colour]\nx = 1\n')
    code, out = run_main(["run", str(study)], monkeypatch, capsys)
    assert code == 2 and out.out == ""
    # "[colour]" names the table; it must not be swallowed as console markup
    assert "unknown table [colour]" in out.err
    assert out.err.count("\n") == 1 and "Traceback" not in out.err


def test_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    from colearn.errors import ConfigError

    monkeypatch.setattr(sys, "argv", ["colearn", "--debug", "run", str(tmp_path / "missing.toml")])
    with pytest.raises(ConfigError):
        main()
