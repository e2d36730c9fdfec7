"""Cassettes: the typed model, readers for every dialect met in the wild, one canonical writer."""
from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Cassette, Interaction, LoadWarning, Request, Response

from recorder.cassette.load import load_cassette, parse_cassette
from recorder.cassette.writer import dumps_cassette, write_cassette

__all__ = ["Body", "Cassette", "Headers", "Interaction", "LoadWarning", "Request", "Response",
           "dumps_cassette", "load_cassette", "parse_cassette", "write_cassette"]
