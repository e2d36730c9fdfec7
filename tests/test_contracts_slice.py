"""A pinned contract is the slice of the provider's spec this repo uses: small, complete, stable.

Complete means every ``$ref`` resolves and validation against the slice finds exactly what it
finds against the full document; small means prose and unused operations are gone; stable means
the same input gives the same bytes, keys sorted, so pull requests show real changes only.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from contracts_support import GITHUB, SPECS, STRIPE, STRIPE_CORPUS, need_specs

from recorder.contracts.slicing import resolve_pointer, slice_spec
from recorder.contracts.source import SpecDocument, load_spec
from recorder.errors import BadInput

STRIPE_2023_YAML = SPECS / "stripe" / "spec3.api-2023-08-16.v524_2023-09-12.yaml"
CHARGES_AND_FRIENDS = [("POST", "/v1/charges"), ("get", "/v1/charges/{charge}"), ("post", "/v1/refunds"),
                       ("POST", "/v1/customers")]


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def keys_in(node: Any, parent: str = "") -> Iterator[tuple[str, str]]:
    """(parent key, key) for every mapping key, so tests can tell keywords from names."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield parent, key
            yield from keys_in(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from keys_in(item, parent)


def serialized(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, indent=2).encode()


@pytest.fixture(scope="module")
def stripe_2023() -> SpecDocument:
    need_specs()
    return load_spec(STRIPE["2023-08-16"])


@pytest.fixture(scope="module")
def charges_slice(stripe_2023: SpecDocument) -> dict[str, Any]:
    return slice_spec(stripe_2023.data, CHARGES_AND_FRIENDS)


def test_stripe_slice_keeps_only_the_operations_asked_for(charges_slice: dict[str, Any]) -> None:
    assert {p: sorted(m for m in item if m != "parameters") for p, item in charges_slice["paths"].items()} == {
        "/v1/charges": ["post"], "/v1/charges/{charge}": ["get"], "/v1/refunds": ["post"], "/v1/customers": ["post"]}
    assert charges_slice["info"] == {"title": "Stripe API", "version": "2023-08-16"}
    assert charges_slice["openapi"] == "3.0.0" and charges_slice["servers"] == [{"url": "https://api.stripe.com/"}]
    assert charges_slice["security"] == [{"basicAuth": []}, {"bearerAuth": []}]
    assert set(charges_slice["components"]["securitySchemes"]) == {"basicAuth", "bearerAuth"}


def test_stripe_slice_is_a_valid_openapi_document_whose_refs_all_resolve(charges_slice: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(charges_slice)
    refs = set(refs_in(charges_slice))
    assert "#/components/schemas/charge" in refs and "#/components/schemas/customer" in refs
    for ref in refs:
        resolve_pointer(charges_slice, ref)  # raises BadInput when dangling
    assert set(charges_slice["components"]["schemas"]) == {r.rsplit("/", 1)[1] for r in refs}, \
        "every copied component is referenced: nothing unused rides along"


def test_stripe_slice_is_hundreds_of_kb_not_megabytes(stripe_2023: SpecDocument,
                                                       charges_slice: dict[str, Any]) -> None:
    size = len(serialized(charges_slice))
    print(f"\nStripe 2023-08-16, {len(CHARGES_AND_FRIENDS)} operations: slice {size / 1024:.0f} KB "
          f"(indent 2) of {stripe_2023.size / 1024:.0f} KB, "
          f"{len(charges_slice['components']['schemas'])} of {len(stripe_2023.data['components']['schemas'])} schemas")
    # Expandable fields (charge.customer -> customer -> invoice ...) pull in much of the object
    # graph, so the closure is large; it is still a fraction of the document.
    assert 20_000 < size < stripe_2023.size / 4


def test_stripe_slice_is_byte_for_byte_deterministic(stripe_2023: SpecDocument,
                                                     charges_slice: dict[str, Any]) -> None:
    again = slice_spec(stripe_2023.data, list(reversed(CHARGES_AND_FRIENDS)))
    assert serialized(again) == serialized(charges_slice)
    assert list(charges_slice) == sorted(charges_slice), "keys are sorted in the dict too, not only on write"
    charge = charges_slice["components"]["schemas"]["charge"]
    assert list(charge["properties"]) == sorted(charge["properties"])


def test_the_yaml_spec_and_its_derived_json_slice_to_the_same_bytes(charges_slice: dict[str, Any]) -> None:
    need_specs()
    from_yaml = slice_spec(load_spec(STRIPE_2023_YAML).data, CHARGES_AND_FRIENDS)
    assert serialized(from_yaml) == serialized(charges_slice)


def test_prose_goes_but_a_property_called_description_stays(charges_slice: dict[str, Any]) -> None:
    charge = charges_slice["components"]["schemas"]["charge"]
    assert "description" not in charge, "the schema's own description is prose"
    assert charge["properties"]["description"] == {"maxLength": 40000, "nullable": True, "type": "string"}
    assert "x-expandableFields" not in charge and "x-resourceId" not in charge
    keywords = {key for parent, key in keys_in(charges_slice)
                if parent not in ("properties", "encoding", "content", "responses", "schemas", "paths")
                and not (key == "description" and parent in ("200", "default"))}  # kept empty: below
    assert not keywords & {"description", "summary", "example", "examples", "externalDocs",
                           "x-expansionResources", "x-expandableFields"}
    # Response objects keep an (empty) description: OpenAPI requires it.
    assert charges_slice["paths"]["/v1/charges"]["post"]["responses"]["200"]["description"] == ""


def test_everything_validation_reads_is_kept(stripe_2023: SpecDocument, charges_slice: dict[str, Any]) -> None:
    post = charges_slice["paths"]["/v1/charges"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["encoding"]["metadata"] == {"explode": True, "style": "deepObject"}
    assert form["schema"]["additionalProperties"] is False
    original = stripe_2023.data["paths"]["/v1/charges"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]["properties"]
    assert set(form["schema"]["properties"]) == set(original)
    status = charges_slice["components"]["schemas"]["charge"]["properties"]["status"]
    assert status["enum"] == ["failed", "pending", "succeeded"]
    customer = charges_slice["components"]["schemas"]["charge"]["properties"]["customer"]
    assert customer["nullable"] is True and len(customer["anyOf"]) == 3
    get = charges_slice["paths"]["/v1/charges/{charge}"]["get"]
    assert {p["name"]: p.get("style") for p in get["parameters"]} == {"charge": "simple", "expand": "deepObject"}


def test_twilio_path_level_servers_and_parameters_are_kept_and_vendor_prose_dropped() -> None:
    need_specs()
    doc = load_spec(SPECS / "twilio" / "twilio_api_v2010.json")
    path = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
    sliced = slice_spec(doc.data, [("post", path)])
    item = sliced["paths"][path]
    assert item["servers"] == [{"url": "https://api.twilio.com"}]
    assert "x-twilio" not in item and "description" not in item
    assert sliced["components"]["securitySchemes"] == {"accountSid_authToken": {"scheme": "basic", "type": "http"}}
    body = item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"To", "From", "Body"} <= set(body["properties"]) and "To" in body["required"]


def test_github_refs_to_parameters_responses_and_headers_are_followed_examples_are_not() -> None:
    need_specs()
    doc = load_spec(GITHUB)
    sliced = slice_spec(doc.data, [("get", "/repos/{owner}/{repo}/issues"), ("post", "/repos/{owner}/{repo}/issues")])
    sections = set(sliced["components"])
    assert {"schemas", "parameters", "responses", "headers"} <= sections
    assert "examples" not in sections
    for ref in set(refs_in(sliced)):
        resolve_pointer(sliced, ref)
    assert len(serialized(sliced)) < 200_000


def test_sendgrid_31_request_bodies_and_responses_components_are_kept() -> None:
    need_specs()
    doc = load_spec(SPECS / "sendgrid" / "tsg_mail_v3.json")
    sliced = slice_spec(doc.data, [("POST", "/v3/mail/send")])
    assert sliced["openapi"].startswith("3.1")
    for ref in set(refs_in(sliced)):
        resolve_pointer(sliced, ref)
    assert "responses" in sliced["components"]
    assert all(r.get("description") == "" for r in sliced["components"]["responses"].values() if "$ref" not in r)


# -- rules, on minimal documents ------------------------------------------------------------

def tiny_spec(**schemas: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3", "info": {"title": "T", "version": "1", "description": "prose"},
        "security": [{"key": []}],
        "components": {"schemas": schemas,
                       "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                                           "unused": {"type": "http", "scheme": "basic"}}},
        "paths": {
            "/nodes/{id}": {
                "summary": "nodes", "parameters": [{"name": "id", "in": "path", "required": True,
                                                    "schema": {"type": "string"}}],
                "get": {"operationId": "GetNode", "responses": {"200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/node"},
                                                     "example": {"id": "n1"}}}}}},
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
            "/other": {"get": {"responses": {"200": {"description": "x", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/unrelated"}}}}}}},
        },
    }


RECURSIVE_NODE = {
    "type": "object", "description": "a tree node", "required": ["id"],
    "properties": {
        "id": {"type": "string", "example": "n1"},
        "description": {"type": "string", "description": "the node's own description field"},
        "example": {"type": "string"},
        "kind": {"type": "string", "enum": ["leaf", "branch"]},
        "parent": {"$ref": "#/components/schemas/node"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/node"}},
        "tag": {"$ref": "#/components/schemas/tag"},
        "default_tag": {"default": {"description": "data, not prose"}, "type": "object"},
    },
}


def test_a_recursive_schema_is_copied_once_and_unused_components_stay_behind() -> None:
    spec = tiny_spec(node=RECURSIVE_NODE, tag={"type": "string", "title": "tag"}, unrelated={"type": "integer"})
    sliced = slice_spec(spec, [("GET", "/nodes/{id}")])
    assert set(sliced["components"]["schemas"]) == {"node", "tag"}
    assert set(sliced["paths"]["/nodes/{id}"]) == {"get", "parameters"}, "delete was not asked for"
    assert set(sliced["components"]["securitySchemes"]) == {"key"}
    assert sliced["info"] == {"title": "T", "version": "1"}


def test_names_and_data_that_look_like_prose_keywords_are_kept() -> None:
    sliced = slice_spec(tiny_spec(node=RECURSIVE_NODE, tag={"type": "string"}), [("get", "/nodes/{id}")])
    node = sliced["components"]["schemas"]["node"]
    assert set(node["properties"]) == set(RECURSIVE_NODE["properties"]), "properties named description/example"
    assert node["properties"]["description"] == {"type": "string"}
    assert node["properties"]["id"] == {"type": "string"}
    assert node["properties"]["default_tag"]["default"] == {"description": "data, not prose"}
    assert node["properties"]["kind"]["enum"] == ["leaf", "branch"]
    assert "example" not in sliced["paths"]["/nodes/{id}"]["get"]["responses"]["200"]["content"]["application/json"]


def test_an_operation_the_spec_does_not_have_is_bad_input_naming_all_of_them() -> None:
    spec = tiny_spec(node=RECURSIVE_NODE, tag={"type": "string"})
    with pytest.raises(BadInput, match=r"operations not in the spec: GET /nope, POST /nodes/\{id\}"):
        slice_spec(spec, [("GET", "/nodes/{id}"), ("post", "/nodes/{id}"), ("get", "/nope")])


def test_a_dangling_ref_is_bad_input_naming_it() -> None:
    spec = tiny_spec(node={"$ref": "#/components/schemas/missing"})
    with pytest.raises(BadInput, match="#/components/schemas/missing"):
        slice_spec(spec, [("GET", "/nodes/{id}")])


def test_verify_finds_exactly_the_same_against_slices_as_against_full_specs_on_the_stripe_corpus() -> None:
    """The issue's acceptance test, on the whole Stripe corpus and all four API versions."""
    need_specs()
    from recorder.contracts.prepare import prepare
    from recorder.contracts.specset import SpecSet
    from recorder.contracts.verify import collect_files, load_exchanges, verify_exchanges
    from recorder.providers.registry import load_registry

    cassettes, mocks = collect_files([STRIPE_CORPUS])
    exchanges = load_exchanges(cassettes, mocks, load_registry())
    full = SpecSet()
    documents = {version: load_spec(path) for version, path in STRIPE.items()}
    for document in documents.values():
        full.add("stripe", prepare(document))
    used: dict[str, set[tuple[str, str]]] = {version: set() for version in documents}
    for exchange in exchanges:
        for spec in full.pick(exchange.provider, exchange.api_version):
            route = full.checker(spec).route(exchange.method, exchange.url)
            if route.operation is not None:
                used[spec.version].add((route.operation.method, route.operation.path))
    sliced = SpecSet()
    for version, document in documents.items():
        data = slice_spec(document.data, used[version])
        raw = serialized(data)
        sliced.add("stripe", prepare(SpecDocument(f"slice of {version}", hashlib.sha256(raw).hexdigest(),
                                                  len(raw), data)))
    expected, actual = verify_exchanges(exchanges, full), verify_exchanges(exchanges, sliced)
    assert expected.summary.findings > 100, "the corpus really exercises the checker"
    assert [f.to_json() for f in actual.sorted_findings()] == [f.to_json() for f in expected.sorted_findings()]
    assert actual.notes == expected.notes
