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
