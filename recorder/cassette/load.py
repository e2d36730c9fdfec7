"""PLACEHOLDER: being written (dialect readers)."""
from pathlib import Path
from recorder.cassette.model import Cassette


def load_cassette(path: str | Path) -> Cassette:
    raise NotImplementedError


def parse_cassette(data: bytes, path: str | Path | None = None) -> Cassette:
    raise NotImplementedError
