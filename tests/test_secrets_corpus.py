"""Acceptance on real recordings: the scanner against ../shared/corpus, and scrub-then-scan.

SOURCES.tsv lists, per file, the kinds of credentials its recording project forgot to scrub.
The scanner must find every listed kind, and must find nothing at all in a file whose list is
empty: a scanner that cries wolf gets switched off.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from recorder.cassette import dumps_cassette, load_cassette
from recorder.providers import build_registry
from recorder.secrets import scan_bytes, scrub_cassette
from recorder.secrets.fallback import scan_unparsed
from recorder.secrets.patterns import KINDS
from recorder.secrets.scan import LineIndex

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
SOURCES = CORPUS / "SOURCES.tsv"
RESTORED = CORPUS / "derived" / "pay-rails__pay__restored"

pytestmark = pytest.mark.shared


def corpus_rows() -> list[Any]:
    if not SOURCES.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared corpus not found at {CORPUS}"))]
    with SOURCES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [pytest.param(row, id=Path(row["saved_path"]).stem) for row in rows]


def restored_twin(path: Path) -> Path | None:
    twin = RESTORED / path.name
    return twin if twin.is_file() else None


def listed_kinds(row: dict[str, str]) -> set[str]:
    return {kind for kind in row["unscrubbed_secret_kinds"].split(",") if kind}


def test_kind_names_line_up_with_the_corpus_column() -> None:
    if not SOURCES.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    with SOURCES.open(encoding="utf-8", newline="") as fh:
        named = {kind for row in csv.DictReader(fh, delimiter="\t") for kind in listed_kinds(row)}
    assert named and named <= set(KINDS)


@pytest.mark.parametrize("row", corpus_rows())
def test_scanner_finds_every_listed_kind_and_nothing_in_clean_files(row: dict[str, str]) -> None:
    path = CORPUS / row["saved_path"]
    findings = scan_bytes(path.read_bytes(), str(path))
    found = {f.kind for f in findings}
    expected = listed_kinds(row)
    assert expected <= found, f"missed {sorted(expected - found)} in {path.name}"
    if not expected:
        assert [str(f) for f in findings] == [], "false alarm in a file with nothing to find"
    assert all(f.interaction is not None and f.line >= 1 for f in findings)
    twin = restored_twin(path)
    if twin is not None:  # undoing the filter damage must not change what is found
        assert {f.kind for f in scan_bytes(twin.read_bytes(), str(twin))} == found


@pytest.mark.parametrize("row", corpus_rows())
def test_line_scanner_for_unparseable_files_meets_the_same_bar(row: dict[str, str]) -> None:
    """The fallback for files YAML cannot read, run on files it could: same kinds, no false alarms."""
    path = CORPUS / row["saved_path"]
    text = path.read_text(encoding="utf-8")
    findings = list(scan_unparsed(text, str(path), LineIndex(text)))
    expected = listed_kinds(row)
    assert expected <= {f.kind for f in findings}
    if not expected:
        assert [str(f) for f in findings] == []


@pytest.mark.parametrize("row", corpus_rows())
def test_scrubbed_corpus_cassettes_scan_clean(row: dict[str, str]) -> None:
    """Load, scrub, serialize canonically: the scanner finds nothing the provider rules cover.

    The one exception is the filter damage in pay-rails: ``client_secret`` was rewritten to
    ``client_<PADDLE_API_KEY>``, so no rule names the field. The scanner still catches those
    values (which is why it exists), and the restored copy of the same file scrubs clean.
    """
    path = CORPUS / row["saved_path"]
    registry = build_registry()
    cassette = load_cassette(path)
    before = {f.kind for f in scan_bytes(dumps_cassette(cassette), str(path))}
    assert listed_kinds(row) <= before, "the scanner must read the canonical format too"
    leftovers = scan_bytes(dumps_cassette(scrub_cassette(cassette, registry)), str(path))
    twin = restored_twin(path)
    if twin is None:
        assert [str(f) for f in leftovers] == []
    else:
        assert {(f.location, f.kind) for f in leftovers} <= {("response.body", "stripe_client_secrets")}
        restored = scrub_cassette(load_cassette(twin), registry)
        assert [str(f) for f in scan_bytes(dumps_cassette(restored), str(twin))] == []
