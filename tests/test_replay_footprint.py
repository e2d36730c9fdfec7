"""What an open replay session leaves for Python's garbage collector to walk.

Every full collection in a test process walks every container object still alive, so a
session that holds a big cassette makes the whole suite's collections slower, and the
objects it loads decide when the next full collection falls (often inside the next
request loop). These tests pin the session's share: the loaded model, not per-key index
containers, and one shared empty body for every request without one.
"""
from __future__ import annotations

import dataclasses
import gc
import warnings
from pathlib import Path

import requests
from conftest import CORPUS

import recorder
from recorder.cassette import Body, load_cassette, write_cassette
from recorder.replay import UnusedInteractionsWarning

# A real recording: saleor's Stripe suite retrieving payment intents (GET, empty body).
RETRIEVE = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_capture_3d_secure.yaml"


def _many_gets(tmp_path: Path, count: int) -> tuple[Path, str]:
    """The recording's GET, ``count`` times, each for its own payment intent."""
    cassette = load_cassette(RETRIEVE)
    recorded = next(i for i in cassette.interactions if i.request.method == "GET" and i.response.status == 200)
    base = recorded.request.uri
    interactions = [dataclasses.replace(recorded, request=dataclasses.replace(recorded.request, uri=f"{base}_{n}"))
                    for n in range(count)]
    path = write_cassette(dataclasses.replace(cassette, interactions=interactions), tmp_path / "many.yaml")
    return path, base


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_an_open_session_holds_at_most_seven_collected_objects_per_recorded_get(shared: Path,
                                                                                tmp_path: Path) -> None:
    """Interaction, request, response, two header sets, the response body, and the URL's entry in
    the (bounded) parse cache: the index adds nothing per key, the 600 empty request bodies are
    one. (Before: ten per interaction, a list, a deque and a slot object per key among them.)"""
    count = 600
    path, _ = _many_gets(tmp_path, count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(RETRIEVE):
            pass  # first use: imports, provider profiles, interception set-up
        before = _tracked()
        with recorder.replay(path):
            added = _tracked() - before
    assert added <= 7 * count + 600, f"{added} tracked objects for {count} interactions"


def test_every_replayed_get_is_logged_with_the_one_shared_empty_body(shared: Path, tmp_path: Path) -> None:
    path, base = _many_gets(tmp_path, 3)
    with recorder.replay(path) as session:
        with requests.Session() as client:
            for n in range(3):
                assert client.get(f"{base}_{n}").status_code == 200
    bodies = {id(call.request_body) for call in session.calls()}
    assert bodies == {id(Body.of(b""))}
    assert all(not i.request.body for i in load_cassette(path).interactions)
