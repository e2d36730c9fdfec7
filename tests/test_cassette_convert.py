"""Importing other tools' cassettes, and the ``recorder cassettes`` commands.

Given folders of vcrpy / Ruby VCR / Betamax cassettes, when imported, then each becomes one
canonical ``<stem>.yaml`` under the target (``-2`` on a name clash), with its warnings listed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS

from recorder.cassette import load_cassette
from recorder.cassette.convert import find_cassette_files, import_cassettes
from recorder.cassette.fastyaml import MARKER
from recorder.cassette.summary import format_plain, summary_rows
from recorder.cli import main
from recorder.errors import BadInput

VCRPY = """\
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: https://api.easypost.com/v2/addresses/adr_1
  response:
    body: {string: '{"id": "adr_1"}'}
    headers: {}
    status: {code: 200, message: OK}
version: 1
"""


def run(*args: str) -> int:
    """``recorder ARGS`` in-process; returns the exit code main() ends with."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """Two folders holding a cassette with the same stem, plus a file that is not a cassette."""
    folder = tmp_path / "old"
    for sub in ("a", "b"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "address.yml").write_text(VCRPY)
    (folder / "notes.txt").write_text("not a cassette, not a .yml/.yaml/.json name")
    return folder


def test_import_writes_flat_canonical_files_with_numbered_clashes(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "cassettes"
    results = import_cassettes([sources], out)
    assert [(r.source.relative_to(sources).as_posix(), r.target.name) for r in results] == [
        ("a/address.yml", "address.yaml"), ("b/address.yml", "address-2.yaml")]
    assert all(r.dialect == "vcrpy" and r.interactions == 1 and r.warnings == [] for r in results)
    written = out / "address.yaml"
    assert written.read_text().startswith(MARKER + "\n")
    assert load_cassette(written).interactions[0].provider == "easypost"


def test_importing_into_a_subfolder_does_not_reimport_its_own_output(sources: Path) -> None:
    out = sources / "converted"
    import_cassettes([sources], out)
    again = import_cassettes([sources], out)
    assert sorted(r.target.name for r in again) == ["address-2.yaml", "address.yaml"]
    assert find_cassette_files([sources], exclude=out) == [sources / "a/address.yml", sources / "b/address.yml"]


def test_import_passes_check_to_the_writer_and_stops_when_it_raises(sources: Path, tmp_path: Path) -> None:
    seen: list[Path] = []

    def scanner(data: bytes, path: Path) -> None:
        seen.append(path)
        if len(seen) == 2:
            raise RuntimeError("secret left")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        import_cassettes([sources], out, check=scanner)
    assert [p.name for p in out.iterdir()] == ["address.yaml"]


def test_import_of_a_missing_source_or_non_cassette_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file or folder"):
        import_cassettes([tmp_path / "nope"], tmp_path / "out")
    odd = tmp_path / "package.json"
    odd.write_text('{"name": "x"}')
    with pytest.raises(BadInput, match="not a cassette"):
        import_cassettes([odd], tmp_path / "out")


def test_cli_import_reports_each_file_and_prints_warnings_on_stderr(shared: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    twilio = tmp_path / "twilio"
    twilio.mkdir()
    shutil.copy(CORPUS / "cassettes/twilio/TwilioDevEd__call-tracking-rails__purchase-phone-number.yml", twilio)
    out = tmp_path / "out"
    assert run("cassettes", "import", str(twilio), "--to", str(out)) == 0
    captured = capsys.readouterr()
    target = out / "TwilioDevEd__call-tracking-rails__purchase-phone-number.yaml"
    assert captured.out.splitlines() == [f"wrote {target} (3 interactions, 3 warnings)"]
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 3 and all(": interaction " in w and "Ruby regexp" in w for w in warnings)
    assert target.is_file()


def test_cli_show_prints_aligned_columns(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_capture.yaml"
    assert run("cassettes", "show", str(path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "method", "URL", "status", "API", "version"]
    assert lines[1].split() == ["0", "GET", "https://api.stripe.com/v1/payment_intents/pi_1F5BsRIUmJaD6Oqvz2XMKZCD",
                                "200", "2019-05-16"]
    assert len(lines) == 3
    assert lines[1].index("https://") == lines[0].index("URL")  # aligned


def test_format_plain_pads_all_but_the_last_column() -> None:
    from recorder.cassette import parse_cassette

    text = format_plain(summary_rows(parse_cassette(VCRPY.encode())))
    assert text.splitlines() == [
        "#  method  URL                                          status  API version",
        "0  GET     https://api.easypost.com/v2/addresses/adr_1  200     -",
    ]


def test_cli_bad_cassette_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request:\n    method: GET\n   uri: x\n")
    assert run("cassettes", "show", str(broken)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"recorder: {broken}:line 4: not valid YAML: did not find expected key"]
    assert run("cassettes", "import", str(broken), "--to", str(tmp_path / "out")) == 2


def test_cli_show_prints_warnings_after_the_table_on_stderr(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "cassettes/twilio/TwilioDevEd__task-router-rails__configure_workspace.yml"
    assert run("cassettes", "show", str(path)) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 14
    assert captured.err.splitlines() == [
        f"{path}: interaction {n}: request uri carries credentials as userinfo (user:password@host)" for n in (5, 11)]
