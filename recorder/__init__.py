"""recorder: record third-party HTTP API traffic once, check it against the provider's contract,
replay it in tests.

The pipeline, one package per stage: ``record`` (capture) -> ``cassette`` (the file) ->
``contracts`` (verify) | ``replay`` -> ``report``. ``providers`` holds what we know about each API,
``secrets`` keeps credentials off disk.
"""
from recorder.cassette import Cassette, Interaction, Request, Response, load_cassette, write_cassette
from recorder.errors import BadInput, RecorderError, SecretLeak
from recorder import replay  # callable: recorder.replay("stripe/checkout", mocks=[...])

__version__ = "0.1.0"

__all__ = ["BadInput", "Cassette", "Interaction", "RecorderError", "Request", "Response", "SecretLeak",
           "load_cassette", "replay", "write_cassette", "__version__"]
