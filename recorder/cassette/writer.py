"""PLACEHOLDER: being written (canonical writer)."""
from pathlib import Path
from recorder.cassette.model import Cassette


def dumps_cassette(cassette: Cassette) -> bytes:
    raise NotImplementedError


def write_cassette(cassette: Cassette, path: str | Path) -> Path:
    raise NotImplementedError
