"""Pinning: ``contracts/<provider>/contract.json`` + ``lock.json``, written as a pair or not at all.

The lock says which published document the slice came from (source, version, sha256, size,
when, which operations) and the slice's own hash; anything malformed is one BadInput naming the
file and the key. Fetching is ``load_spec(url)``: tests serve ``../shared/specs`` from 127.0.0.1,
directly and through a forwarding proxy, and never need the internet.
"""
from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from contracts_support import SPECS, STRIPE, need_specs

from recorder.contracts import pinning
from recorder.contracts.pinning import PinnedContract, load_pinned, pin, pinned_providers
from recorder.contracts.source import SpecDocument, load_spec
from recorder.errors import BadInput

SALEOR_OPERATIONS = [("POST", "/v1/payment_intents"), ("get", "/v1/payment_intents/{intent}"),
                     ("POST", "/v1/payment_intents/{intent}/capture"), ("POST", "/v1/customers")]
RETRIEVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
STRIPE_2019 = STRIPE["2019-05-16"]


@pytest.fixture(scope="module")
def stripe_2019() -> SpecDocument:
    need_specs()
    return load_spec(STRIPE_2019)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def spec_server() -> Iterator[str]:
    """``../shared/specs`` over HTTP on 127.0.0.1 (random port); yields the base URL."""
    need_specs()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(SPECS)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- writing and reading --------------------------------------------------------------------

def test_pin_writes_the_slice_and_a_lock_describing_the_full_document(tmp_path: Path,
                                                                     stripe_2019: SpecDocument) -> None:
    pinned = pin("stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path, retrieved=RETRIEVED)
    folder = tmp_path / "stripe"
    assert files_under(tmp_path) == ["stripe", "stripe/contract.json", "stripe/lock.json"]
    contract = (folder / "contract.json").read_bytes()
    assert contract == (json.dumps(json.loads(contract), sort_keys=True, indent=2) + "\n").encode()
    assert json.loads(contract) == pinned.data
    assert set(pinned.data["paths"]) == {p for _m, p in SALEOR_OPERATIONS}
    raw = STRIPE_2019.read_bytes()
    assert json.loads((folder / "lock.json").read_text()) == {
        "source": str(STRIPE_2019),
        "version": "2019-05-16",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "retrieved": "2024-05-01T12:00:00Z",
        "operations": ["GET /v1/payment_intents/{intent}", "POST /v1/customers", "POST /v1/payment_intents",
                       "POST /v1/payment_intents/{intent}/capture"],
        "slice_sha256": hashlib.sha256(contract).hexdigest(),
    }
    assert (folder / "lock.json").read_text().endswith("}\n")


def test_load_pinned_reads_back_what_pin_wrote(tmp_path: Path, stripe_2019: SpecDocument) -> None:
    written = pin("stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path, retrieved=RETRIEVED)
    loaded = load_pinned("stripe", tmp_path)
    assert isinstance(loaded, PinnedContract)
    assert loaded == written and loaded.data == written.data
    assert loaded.retrieved == RETRIEVED and loaded.version == "2019-05-16"
    assert loaded.operations[0] == ("GET", "/v1/payment_intents/{intent}")
    assert loaded.contract_path == tmp_path / "stripe" / "contract.json"


def test_pinned_providers_lists_folders_with_a_lock(tmp_path: Path, stripe_2019: SpecDocument) -> None:
    assert pinned_providers(tmp_path / "absent") == []
    pin("stripe", stripe_2019, SALEOR_OPERATIONS[:1], tmp_path)
    (tmp_path / "notes").mkdir()
    assert pinned_providers(tmp_path) == ["stripe"]
    assert load_pinned("twilio", tmp_path) is None


def test_one_version_per_provider_a_new_pin_replaces_the_old(tmp_path: Path, stripe_2019: SpecDocument) -> None:
    pin("stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path)
    pin("stripe", load_spec(STRIPE["2020-08-27"]), SALEOR_OPERATIONS[:2], tmp_path)
    loaded = load_pinned("stripe", tmp_path)
    assert loaded is not None and loaded.version == "2020-08-27" and len(loaded.operations) == 2
    assert files_under(tmp_path / "stripe") == ["contract.json", "lock.json"], "no temp files left"


def test_retrieved_is_stored_in_utc_to_the_second(tmp_path: Path, stripe_2019: SpecDocument) -> None:
    paris = datetime(2024, 5, 1, 14, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))
    assert pin("stripe", stripe_2019, SALEOR_OPERATIONS[:1], tmp_path, retrieved=paris).retrieved == RETRIEVED
    naive = datetime(2024, 5, 1, 12, 0, 0)
    assert pin("stripe", stripe_2019, SALEOR_OPERATIONS[:1], tmp_path, retrieved=naive).retrieved == RETRIEVED


# -- nothing half-written -------------------------------------------------------------------

def failing_replace(fail_on_call: int) -> Any:
    real = pinning.os.replace
    calls = {"n": 0}

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == fail_on_call:
            raise OSError(28, "No space left on device")
        real(src, dst)
    return replace


def test_a_write_failing_between_the_two_files_restores_the_previous_pair(
        tmp_path: Path, stripe_2019: SpecDocument, monkeypatch: pytest.MonkeyPatch) -> None:
    pin("stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path, retrieved=RETRIEVED)
    before = {name: (tmp_path / "stripe" / name).read_bytes() for name in ("contract.json", "lock.json")}
    monkeypatch.setattr(pinning.os, "replace", failing_replace(fail_on_call=2))  # contract done, lock fails
    with pytest.raises(OSError, match="No space left"):
        pin("stripe", load_spec(STRIPE["2020-08-27"]), SALEOR_OPERATIONS[:1], tmp_path)
    after = {name: (tmp_path / "stripe" / name).read_bytes() for name in ("contract.json", "lock.json")}
    assert after == before
    assert files_under(tmp_path / "stripe") == ["contract.json", "lock.json"]
    assert load_pinned("stripe", tmp_path) is not None, "the restored pair is consistent"


def test_a_first_pin_that_fails_leaves_no_folder_behind(tmp_path: Path, stripe_2019: SpecDocument,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pinning.os, "replace", failing_replace(fail_on_call=2))
    with pytest.raises(OSError):
        pin("stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path)
    assert files_under(tmp_path) == []


def test_an_operation_the_spec_lacks_is_bad_input_naming_the_spec_and_nothing_is_written(
        tmp_path: Path, stripe_2019: SpecDocument) -> None:
    with pytest.raises(BadInput) as caught:
        pin("stripe", stripe_2019, [("GET", "/v1/nothing-here")], tmp_path)
    assert caught.value.where == str(STRIPE_2019)
    assert "GET /v1/nothing-here" in caught.value.message
    assert files_under(tmp_path) == []


def test_a_provider_name_must_be_a_plain_folder_name(tmp_path: Path, stripe_2019: SpecDocument) -> None:
    with pytest.raises(BadInput, match="provider name '../stripe'"):
        pin("../stripe", stripe_2019, SALEOR_OPERATIONS, tmp_path)
    assert files_under(tmp_path) == []


# -- malformed files ------------------------------------------------------------------------

@pytest.fixture
def pinned_dir(tmp_path: Path, stripe_2019: SpecDocument) -> Path:
    pin("stripe", stripe_2019, SALEOR_OPERATIONS[:1], tmp_path, retrieved=RETRIEVED)
    return tmp_path


def rewrite_lock(contracts: Path, change: Any) -> Path:
    lock = contracts / "stripe" / "lock.json"
    data = json.loads(lock.read_text())
    change(data)
    lock.write_text(json.dumps(data))
    return lock


@pytest.mark.parametrize("change, key, message", [
    (lambda d: d.pop("sha256"), "sha256", "missing"),
    (lambda d: d.update(sha256="abc"), "sha256", "must be a sha256 hex digest"),
    (lambda d: d.update(size="big"), "size", "must be a non-negative integer"),
    (lambda d: d.update(retrieved="yesterday"), "retrieved", "must be an ISO-8601 UTC time"),
    (lambda d: d.update(source=""), "source", "must be a non-empty string"),
    (lambda d: d.update(operations="POST /v1/charges"), "operations", "must be a list"),
    (lambda d: d.update(operations=["POST"]), "operations[0]", "must look like 'POST /v1/charges'"),
    (lambda d: d.pop("slice_sha256"), "slice_sha256", "missing"),
])
def test_a_malformed_lock_is_bad_input_naming_file_and_key(pinned_dir: Path, change: Any, key: str,
                                                           message: str) -> None:
    lock = rewrite_lock(pinned_dir, change)
    with pytest.raises(BadInput) as caught:
        load_pinned("stripe", pinned_dir)
    assert (caught.value.where, caught.value.place) == (str(lock), key)
    assert message in caught.value.message


def test_a_lock_that_is_not_json_is_bad_input_naming_the_file(pinned_dir: Path) -> None:
    lock = pinned_dir / "stripe" / "lock.json"
    lock.write_text("{ not json")
    with pytest.raises(BadInput, match="not valid JSON") as caught:
        load_pinned("stripe", pinned_dir)
    assert caught.value.where == str(lock)


def test_a_hand_edited_contract_no_longer_matches_its_lock(pinned_dir: Path) -> None:
    contract = pinned_dir / "stripe" / "contract.json"
    contract.write_text(contract.read_text().replace('"maxLength": 5000', '"maxLength": 50'))
    with pytest.raises(BadInput, match="does not match lock.json's slice_sha256") as caught:
        load_pinned("stripe", pinned_dir)
    assert (caught.value.where, caught.value.place) == (str(contract), "slice_sha256")


def test_a_lock_without_its_contract_is_bad_input_naming_the_missing_file(pinned_dir: Path) -> None:
    (pinned_dir / "stripe" / "contract.json").unlink()
    with pytest.raises(BadInput, match="missing") as caught:
        load_pinned("stripe", pinned_dir)
    assert caught.value.where == str(pinned_dir / "stripe" / "contract.json")


# -- pulling over HTTP ----------------------------------------------------------------------

def pull(source: str, contracts: Path) -> PinnedContract:
    """What ``recorder contracts pull`` does: fetch and parse, then pin; any failure before pinning."""
    return pin("stripe", load_spec(source), SALEOR_OPERATIONS, contracts, retrieved=RETRIEVED)


def test_a_spec_served_over_http_is_pinned_with_its_url_as_source(tmp_path: Path, spec_server: str) -> None:
    url = f"{spec_server}/stripe/{STRIPE_2019.name}"
    pinned = pull(url, tmp_path)
    assert pinned.source == url
    assert pinned.sha256 == hashlib.sha256(STRIPE_2019.read_bytes()).hexdigest()
    assert json.loads((tmp_path / "stripe" / "lock.json").read_text())["source"] == url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("where, message", [
    ("unreachable", "cannot fetch the spec"),
    ("/stripe/no-such-spec.json", "cannot fetch the spec: HTTP 404"),
    ("/stripe/fixtures3.api-2019-05-16.c806fa1_2019-08-09.json", "not an OpenAPI document: no 'openapi' key"),
    ("/README.md", "not valid YAML or JSON"),
])
def test_an_unreachable_or_non_openapi_source_is_one_bad_input_and_nothing_is_written(
        tmp_path: Path, spec_server: str, where: str, message: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/spec.json" if where == "unreachable" else spec_server + where
    with pytest.raises(BadInput, match=message) as caught:
        pull(url, tmp_path / "contracts")
    assert caught.value.where == url
    assert files_under(tmp_path) == []


@pytest.fixture
def forwarding_proxy(spec_server: str) -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy on 127.0.0.1 that knows ``specs.test`` is the spec server; records what it relays."""
    upstream = urlsplit(spec_server)
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            target = urlsplit(self.path)  # a proxy gets the absolute URI
            seen.append(self.path)
            if target.hostname != "specs.test":
                self.send_error(502, "unknown host")
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
            connection.request("GET", target.path)
            reply = connection.getresponse()
            body = reply.read()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.getheader("Content-Type") or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            connection.close()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_fetching_honours_the_proxy_from_the_environment(tmp_path: Path, forwarding_proxy: tuple[str, list[str]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    proxy, seen = forwarding_proxy
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    # urlopen caches its opener (and the proxies it read) on first use: start from a fresh one.
    monkeypatch.setattr(urllib.request, "_opener", None)
    url = f"http://specs.test/stripe/{STRIPE_2019.name}"  # resolvable only by the proxy
    pinned = pull(url, tmp_path)
    assert seen == [url]
    assert pinned.source == url and pinned.version == "2019-05-16"
