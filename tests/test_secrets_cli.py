"""``recorder scan``: exit 0 clean, 1 when something is found, 2 on bad input; values never printed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
STRIPE_KEY = "sk_test_2UKAl8THJgdeIAyTH2ABqxAx"

LEAK = f"""interactions:
- request:
    body: ''
    headers:
      Authorization:
      - Bearer {STRIPE_KEY}
    method: GET
    uri: https://api.stripe.com/v1/customers
  response:
    body:
      string: '{{}}'
    headers: {{}}
    status:
      code: 200
      message: OK
version: 1
"""
CLEAN = LEAK.replace(STRIPE_KEY, "<REDACTED>")


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0)


@pytest.fixture()
def cassettes(tmp_path: Path) -> Path:
    (tmp_path / "stripe").mkdir()
    (tmp_path / "stripe" / "leak.yaml").write_text(LEAK)
    (tmp_path / "stripe" / "clean.yaml").write_text(CLEAN)
    return tmp_path


def test_text_report_names_file_line_interaction_location_and_kind(cassettes: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run("scan", str(cassettes)) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [f"{cassettes / 'stripe' / 'leak.yaml'}:6: interaction 0, "
                                "request.headers.Authorization: stripe_secret_key",
                                "1 secret(s) in 1 of 2 file(s)"]
    assert STRIPE_KEY not in out


def test_json_report(cassettes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("scan", "--format", "json", str(cassettes)) == 1
    out = capsys.readouterr().out
    assert json.loads(out) == {"files": 2, "findings": [
        {"source": str(cassettes / "stripe" / "leak.yaml"), "interaction": 0,
         "location": "request.headers.Authorization", "kind": "stripe_secret_key", "line": 6}]}
    assert STRIPE_KEY not in out


def test_clean_files_exit_0(cassettes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("scan", str(cassettes / "stripe" / "clean.yaml")) == 0
    assert capsys.readouterr().out == "no secrets found in 1 file(s)\n"


def test_default_path_is_the_project_cassettes_folder(cassettes: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (cassettes / "pyproject.toml").write_text('[tool.recorder]\ncassettes = "stripe"\n')
    (cassettes / "stripe" / "leak.yaml").unlink()
    monkeypatch.chdir(cassettes)
    assert run("scan") == 0
    assert "in 1 file(s)" in capsys.readouterr().out


def test_missing_path_and_unknown_format_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("scan", str(tmp_path / "nope")) == 2
    assert capsys.readouterr().err == f"recorder: {tmp_path / 'nope'}: no such file or folder\n"
    assert run("scan", "--format", "xml", str(tmp_path)) == 2
    assert capsys.readouterr().err.startswith("recorder: --format: expected one of text, json")


@pytest.mark.shared
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_scanning_the_corpus_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("scan", "--format", "json", str(CORPUS / "cassettes" / "easypost")) == 0
    assert json.loads(capsys.readouterr().out) == {"findings": [], "files": 5}
    assert run("scan", str(CORPUS / "cassettes" / "twilio")) == 1
    summary = capsys.readouterr().out.splitlines()[-1]
    assert summary.endswith("in 3 of 4 file(s)")
