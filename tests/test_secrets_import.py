"""``recorder cassettes import`` keeps the recording guarantee: no credential reaches disk.

Given real cassettes from other projects that carry live credentials, when imported, then each
is scrubbed by its provider's rules and either written clean or refused: one line per leak
naming file, interaction, location and kind (never the value), nothing written, exit 1.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from recorder.cli import main
from recorder.secrets import scan_paths

TWILIO_ROUTING = "cassettes/twilio/TwilioDevEd__call-tracking-rails__purchase-phone-number.yml"
# Its client_secret sits under a key a filter damaged ("client_<PADDLE_API_KEY>"): no rule can
# name it, so the scanner must stop it.
DAMAGED = "cassettes/stripe/pay-rails__pay__test_stripe_can_create_a_charge.yml"


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0)


def _basic_credentials(path: Path) -> set[str]:
    """The user:password pairs in a file's Basic Authorization headers."""
    found = set()
    for encoded in re.findall(r"Basic ([A-Za-z0-9+/=]{20,})", path.read_text()):
        found.add(base64.b64decode(encoded).decode())
    return found


def test_live_twilio_basic_auth_is_scrubbed_on_import(shared: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = shared / "corpus" / TWILIO_ROUTING
    assert _basic_credentials(source), "the corpus file is expected to carry a live Basic credential"
    out = tmp_path / "out"
    assert run("cassettes", "import", str(source), "--to", str(out)) == 0
    written = out / (source.stem + ".yaml")
    assert "Basic <REDACTED>" in written.read_text()
    assert not _basic_credentials(written)
    assert scan_paths([out]) == []


def test_a_file_still_leaking_after_scrubbing_is_refused_with_one_line_per_leak(
        shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = shared / "corpus" / DAMAGED
    out = tmp_path / "out"
    assert run("cassettes", "import", str(source), "--to", str(out)) == 1
    assert not (out / (source.stem + ".yaml")).exists()
    err = capsys.readouterr().err
    leaks = [line for line in err.splitlines() if "secret left after scrubbing" in line]
    assert leaks == [f"recorder: {source}: interaction 3, response.body: stripe_client_secrets (2 times): "
                     f"secret left after scrubbing, {source.stem}.yaml not written"]
    secret = re.search(r"pi_\w+?_<PADDLE_API_KEY>_\w+", source.read_text())
    assert secret is not None and secret.group(0) not in err


def test_whole_corpus_imports_clean_or_is_refused_file_by_file(shared: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("cassettes", "import", str(shared / "corpus"), "--to", str(out)) == 1
    captured = capsys.readouterr()
    written = {Path(line.split()[1]).name for line in captured.out.splitlines() if line.startswith("wrote ")}
    refused = {Path(line.split(": ")[1]).stem + ".yaml"
               for line in captured.err.splitlines() if "secret left after scrubbing" in line}
    assert written and refused and not written & refused
    assert {p.name for p in out.iterdir()} == written
    assert scan_paths([out]) == []
    assert f"{len(refused)} of {len(written) + len(refused)} file(s) not imported" in captured.err
