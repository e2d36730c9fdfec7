"""Shared test helpers: where the read-only corpus of real recordings lives.

Tests that need ``../shared`` skip with a reason when it is absent (a bare checkout of
this repository), instead of failing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
CASSETTE_SUFFIXES = (".yml", ".yaml", ".json")


def corpus_files() -> list[Path]:
    """Every cassette under ../shared/corpus (``cassettes/`` and ``derived/``), sorted; [] if absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in CASSETTE_SUFFIXES)


@pytest.fixture
def shared() -> Path:
    """The ../shared folder; skips the test when it is not there."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared corpus at {SHARED}, which is absent")
    return SHARED
