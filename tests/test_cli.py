"""CLI conventions: --help everywhere, exit 2 with one line naming file and place on bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def recorder(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recorder", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


@pytest.mark.parametrize("command", [[], ["record"], ["scan"], ["cassettes", "import"], ["cassettes", "show"],
                                     ["providers"]])
def test_every_command_has_help(command: list[str]) -> None:
    done = recorder(*command, "--help")
    assert done.returncode == 0 and "Usage:" in done.stdout


def test_unknown_provider_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = recorder("record", "--provider", "strip", "--", sys.executable, "-c", "pass", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "recorder: --provider: unknown provider 'strip' (known: easypost, generic, github, sendgrid, shopify, "
        "stripe, twilio)"]


def test_bad_mode_and_bad_target_are_bad_input(tmp_path: Path) -> None:
    done = recorder("record", "--provider", "stripe", "--mode", "sometimes", cwd=tmp_path)
    assert done.returncode == 2 and "unknown record mode 'sometimes'" in done.stderr
    done = recorder("record", "--provider", "stripe", "--target", "ftp://x", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("recorder: --target: not an http(s) URL")
    assert "Traceback" not in done.stderr


def test_malformed_pyproject_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.recorder\n")
    done = recorder("providers", cwd=tmp_path)
    assert done.returncode == 2 and "pyproject.toml: not valid TOML" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_providers_lists_every_profile() -> None:
    done = recorder("providers")
    assert done.returncode == 0
    for name in ("stripe", "twilio", "sendgrid", "easypost", "github", "shopify", "generic"):
        assert name in done.stdout


def one_line_exit_2(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a bad-input exit (no traceback, no banner)."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_command_that_does_not_exist_is_named_before_anything_runs(tmp_path: Path) -> None:
    line = one_line_exit_2(recorder("record", "--provider", "stripe", "--", "/nonexistent/cmd", cwd=tmp_path))
    assert line == "recorder: /nonexistent/cmd: command not found (or not executable)"


def test_a_misspelt_record_command_names_its_pyproject_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.recorder]\nrecord_command = "pytset -q"\n')
    line = one_line_exit_2(recorder("record", "--provider", "stripe", cwd=tmp_path))
    assert line == (f"recorder: {tmp_path / 'pyproject.toml'}:tool.recorder.record_command: "
                    "pytset: command not found (or not executable)")


def test_a_cassette_folder_that_is_a_file_stops_record_before_the_program_runs(tmp_path: Path) -> None:
    (tmp_path / "afile").touch()
    ran = tmp_path / "ran"
    done = recorder("record", "--provider", "stripe", "--cassettes", "afile", "--", sys.executable, "-c",
                    f"open({str(ran)!r}, 'w')", cwd=tmp_path)
    line = one_line_exit_2(done)
    assert line == f"recorder: {tmp_path / 'afile'}: cannot hold cassettes: it is not a folder"
    assert not ran.exists()


@pytest.mark.parametrize(("pyproject", "place"), [
    ("tool = 5\n", "tool: expected a table"),
    ("[tool]\nrecorder = 5\n", "tool.recorder: expected a table"),
    ('[tool.recorder]\ncasettes = "recordings"\n', "tool.recorder.casettes: unknown key (expected one of "
                                                   "cassettes, mocks, contracts, record_command, providers, replay)"),
])
def test_a_pyproject_recorder_cannot_read_names_the_file_and_key(tmp_path: Path, pyproject: str, place: str) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    assert one_line_exit_2(recorder("providers", cwd=tmp_path)) == f"recorder: {tmp_path / 'pyproject.toml'}:{place}"


def test_this_repository_pyproject_still_loads() -> None:
    from recorder.config import load_project_config

    assert load_project_config(Path(__file__).resolve().parents[1]).cassettes.name == "cassettes"


def test_generic_is_refused_with_how_to_record_an_unknown_host(tmp_path: Path) -> None:
    line = one_line_exit_2(recorder("record", "--provider", "generic", "--", sys.executable, "-c", "pass",
                                    cwd=tmp_path))
    assert line.startswith("recorder: --provider: 'generic' names no hosts, so there is nothing to record")
    assert "[tool.recorder.providers.acme] hosts = " in line
