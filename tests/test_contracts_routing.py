"""Routing a recorded URL to its operation when a path parameter may span slashes.

GitHub marks ``{ref}`` (``git/ref/{ref}``), ``{path}`` (``contents/{path}``), ``{branch}`` and a few
others ``x-multi-segment: true``: ``git/ref/heads/bug/354`` is the ref ``heads/bug/354``. Given the
real GitHub spec and refs recorded by github3.py's own tests, when such a URL is verified, then it
reaches its operation, and an ordinary one-segment value still wins where both would fit.
"""
from __future__ import annotations

import copy
import json

import pytest

from contracts_support import GITHUB, need_specs, spec_set, use_shared_cache
from conftest import CORPUS
from recorder.cassette.model import Body
from recorder.contracts.verify import Exchange, load_exchanges, verify_exchanges
from recorder.providers.registry import load_registry

REFS = CORPUS / "cassettes" / "github" / "sigmavirus24__github3.py__Repository_refs.json"
REPO = "https://api.github.com/repos/sigmavirus24/github3.py"


@pytest.fixture(autouse=True)
def _specs_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()
    use_shared_cache(tmp_path_factory.getbasetemp().parent)


@pytest.fixture(scope="module")
def recorded_ref() -> tuple[Exchange, dict]:  # type: ignore[type-arg]
    """The recorded ``GET .../git/refs`` list and its first ref, ``refs/heads/bug/354``."""
    need_specs()
    listing = load_exchanges([REFS], [], load_registry())[1]
    first = json.loads(listing.response.body.decoded)[0]
    assert first["ref"] == "refs/heads/bug/354"
    return listing, first


def request(listing: Exchange, method: str, url: str, status: int, body: object) -> Exchange:
    exchange = copy.deepcopy(listing)
    exchange.method, exchange.url = method, url
    exchange.response.status = status
    exchange.response.body = Body(json.dumps(body).encode() if body is not None else b"")
    return exchange


def route(url: str, method: str = "GET") -> tuple[str | None, dict[str, str]]:
    checker = spec_set(("github", GITHUB)).checker(spec_set(("github", GITHUB)).pick("github", None)[0])
    found = checker.route(method, url)
    return (found.operation.op_id if found.operation else None), found.path_params


def test_a_ref_with_slashes_is_one_value_of_its_multi_segment_parameter(recorded_ref) -> None:  # type: ignore[no-untyped-def]
    listing, ref = recorded_ref
    get = request(listing, "GET", f"{REPO}/git/ref/heads/bug/354", 200, ref)
    delete = request(listing, "DELETE", ref["url"], 204, None)  # the ref's own url: .../git/refs/heads/bug/354
    report = verify_exchanges([get, delete], spec_set(("github", GITHUB)))
    assert report.summary.validated == 2
    assert {(f.interaction, f.operation) for f in report.findings} == {(1, "git/get-ref")}
    assert not [f for f in report.findings if f.rule == "unknown-operation" or f.severity == "error"]
    # The 2016 recording predates node_id: the only findings are the usual re-record warnings.
    assert {f.rule for f in report.findings} == {"required"}


@pytest.mark.parametrize("url, method, operation, params", [
    (f"{REPO}/contents/docs/index.rst", "GET", "repos/get-content", {"path": "docs/index.rst"}),
    (f"{REPO}/git/matching-refs/heads/bug", "GET", "git/list-matching-refs", {"ref": "heads/bug"}),
    (f"{REPO}/compare/master...bug/354", "GET", "repos/compare-commits", {"basehead": "master...bug/354"}),
    # A one-segment value routes as before; a branch with a slash still reaches the deeper operation.
    (f"{REPO}/branches/develop/protection", "GET", "repos/get-branch-protection", {"branch": "develop"}),
    (f"{REPO}/branches/bug/354/protection", "GET", "repos/get-branch-protection", {"branch": "bug/354"}),
    (f"{REPO}/issues/509", "GET", "issues/get", {"issue_number": "509"}),
])
def test_multi_segment_values_route_and_one_segment_matches_win(url: str, method: str, operation: str,
                                                                 params: dict[str, str]) -> None:
    op_id, captured = route(url, method)
    assert op_id == operation
    assert {k: v for k, v in captured.items() if k in params} == params


def test_get_on_all_refs_is_still_an_endpoint_the_spec_no_longer_has(recorded_ref) -> None:  # type: ignore[no-untyped-def]
    """A multi-segment value is never empty: ``git/refs`` alone does not become ``git/refs/{ref}``."""
    listing, _ = recorded_ref
    report = verify_exchanges([listing], spec_set(("github", GITHUB)))
    assert [(f.rule, f.severity) for f in report.findings] == [("unknown-operation", "error")]
