"""Diffing two versions of a provider's spec: every change located and classified for a client.

The rules are specified on minimal documents (one operation, a few fields), one per kind; the
engine is then held to real drift between Stripe's API versions, checked against the spec JSON
itself, for the operations the saleor cassettes use.
"""
from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from contracts_support import STRIPE, need_specs

from recorder.contracts.diff import KIND_CLASSIFICATION, Change, changes_to_report, diff_specs
from recorder.contracts.slicing import slice_spec

# -- minimal documents ----------------------------------------------------------------------

THING = {
    "type": "object", "required": ["id", "amount", "status"],
    "properties": {
        "id": {"type": "string"},
        "amount": {"type": "integer"},
        "created": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["open", "paid"]},
        "note": {"type": "string"},
        "customer": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/customer"}], "nullable": True},
        "parent": {"$ref": "#/components/schemas/thing"},
    },
}
CUSTOMER = {"type": "object", "properties": {"id": {"type": "string"}, "email": {"type": "string"}}}
FORM = "application/x-www-form-urlencoded"


def spec(**operation_changes: Any) -> dict[str, Any]:
    """``POST /things/{thing}``: a form body, a query parameter, 200/404 with a JSON ``thing``."""
    operation: dict[str, Any] = {
        "operationId": "PostThing",
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}},
                       {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}}],
        "requestBody": {"content": {FORM: {"schema": {"type": "object", "properties": {
            "amount": {"type": "integer"}, "currency": {"type": "string", "enum": ["eur", "usd"]},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}}}}}}},
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/thing"}}}},
            "404": {"description": "missing"},
        },
    }
    operation.update(operation_changes)
    return {
        "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
        "security": [{"key": []}],
        "components": {"schemas": {"thing": copy.deepcopy(THING), "customer": copy.deepcopy(CUSTOMER)},
                       "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                                           "bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {"/things/{thing}": {
            "parameters": [{"name": "thing", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": operation,
            "get": {"responses": {"200": {"description": "ok"}}}}},
    }


def schema_of(doc: dict[str, Any], name: str = "thing") -> dict[str, Any]:
    return doc["components"]["schemas"][name]


def body_of(doc: dict[str, Any], media: str = FORM) -> dict[str, Any]:
    return doc["paths"]["/things/{thing}"]["post"]["requestBody"]["content"][media]["schema"]


def param(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in doc["paths"]["/things/{thing}"]["post"]["parameters"] if p["name"] == name)


def only(changes: list[Change]) -> tuple[str, str, str, str]:
    assert len(changes) == 1, [(c.kind, c.location) for c in changes]
    change = changes[0]
    return change.kind, change.classification, change.part, change.location


def edited(edit: Any) -> dict[str, Any]:
    doc = spec()
    edit(doc)
    return doc


RULES = [
    # breaking
    ("operation-removed", lambda d: d["paths"]["/things/{thing}"].pop("post"),
     ("operation-removed", "breaking", "operation", "")),
    ("response-field-removed", lambda d: schema_of(d)["properties"].pop("note"),
     ("response-field-removed", "breaking", "response", "/responses/200/body/note")),
    ("response-field-no-longer-required", lambda d: schema_of(d)["required"].remove("amount"),
     ("response-field-no-longer-required", "breaking", "response", "/responses/200/body/amount")),
    ("type-changed", lambda d: schema_of(d)["properties"]["amount"].update(type="string"),
     ("type-changed", "breaking", "response", "/responses/200/body/amount")),
    ("format-changed", lambda d: schema_of(d)["properties"]["created"].update(format="date"),
     ("format-changed", "breaking", "response", "/responses/200/body/created")),
    ("request-enum-value-removed (body)", lambda d: body_of(d)["properties"]["currency"].update(enum=["eur"]),
     ("request-enum-value-removed", "breaking", "request", "/request/body/currency")),
    ("request-enum-value-removed (parameter)", lambda d: param(d, "mode")["schema"].update(enum=["a"]),
     ("request-enum-value-removed", "breaking", "request", "/request/query/mode")),
    ("new-required-request-parameter", lambda d: d["paths"]["/things/{thing}"]["post"]["parameters"].append(
        {"name": "account", "in": "header", "required": True, "schema": {"type": "string"}}),
     ("new-required-request-parameter", "breaking", "request", "/request/header/account")),
    ("parameter made required", lambda d: param(d, "limit").update(required=True),
     ("new-required-request-parameter", "breaking", "request", "/request/query/limit")),
    ("new-required-request-field", lambda d: body_of(d).update(
        required=["source"], properties={**body_of(d)["properties"], "source": {"type": "string"}}),
     ("new-required-request-field", "breaking", "request", "/request/body/source")),
    ("request field made required", lambda d: body_of(d).update(required=["amount"]),
     ("new-required-request-field", "breaking", "request", "/request/body/amount")),
    ("request-field-removed (body)", lambda d: body_of(d)["properties"].pop("metadata"),
     ("request-field-removed", "breaking", "request", "/request/body/metadata")),
    ("request-field-removed (parameter)", lambda d: d["paths"]["/things/{thing}"]["post"]["parameters"].pop(0),
     ("request-field-removed", "breaking", "request", "/request/query/limit")),
    ("status-removed", lambda d: d["paths"]["/things/{thing}"]["post"]["responses"].pop("404"),
     ("status-removed", "breaking", "response", "/responses/404")),
    ("security-changed", lambda d: d["paths"]["/things/{thing}"]["post"].update(security=[{"bearer": []}]),
     ("security-changed", "breaking", "operation", "/security")),
    # needs a look
    ("response-enum-value-added", lambda d: schema_of(d)["properties"]["status"]["enum"].append("void"),
     ("response-enum-value-added", "needs-a-look", "response", "/responses/200/body/status")),
    ("response-status-added", lambda d: d["paths"]["/things/{thing}"]["post"]["responses"].update(
        {"402": {"description": "card declined"}}),
     ("response-status-added", "needs-a-look", "response", "/responses/402")),
    ("field-deprecated", lambda d: schema_of(d)["properties"]["note"].update(deprecated=True),
     ("field-deprecated", "needs-a-look", "response", "/responses/200/body/note")),
    ("parameter deprecated", lambda d: param(d, "limit").update(deprecated=True),
     ("field-deprecated", "needs-a-look", "request", "/request/query/limit")),
    ("operation deprecated", lambda d: d["paths"]["/things/{thing}"]["post"].update(deprecated=True),
     ("field-deprecated", "needs-a-look", "operation", "")),
    ("field-now-nullable", lambda d: schema_of(d)["properties"]["amount"].update(nullable=True),
     ("field-now-nullable", "needs-a-look", "response", "/responses/200/body/amount")),
    # safe
    ("request-field-added (body)", lambda d: body_of(d)["properties"].update(description={"type": "string"}),
     ("request-field-added", "safe", "request", "/request/body/description")),
    ("request-field-added (parameter)", lambda d: d["paths"]["/things/{thing}"]["post"]["parameters"].append(
        {"name": "expand", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}),
     ("request-field-added", "safe", "request", "/request/query/expand")),
    ("response-field-added", lambda d: schema_of(d)["properties"].update(livemode={"type": "boolean"}),
     ("response-field-added", "safe", "response", "/responses/200/body/livemode")),
    ("operation-added", lambda d: d["paths"]["/things/{thing}"].update(delete={"responses": {"200": {
        "description": "ok"}}}),
     ("operation-added", "safe", "operation", "")),
]


@pytest.mark.parametrize("edit, expected", [(edit, expected) for _name, edit, expected in RULES],
                         ids=[name for name, _edit, _expected in RULES])
def test_each_rule_is_classified_and_located(edit: Any, expected: tuple[str, str, str, str]) -> None:
    assert only(diff_specs(spec(), edited(edit))) == expected


def test_the_rules_cover_every_kind() -> None:
    assert {expected[0] for _n, _e, expected in RULES} | {"path-removed"} == set(KIND_CLASSIFICATION)


def test_a_redefined_security_scheme_changes_every_operation_that_uses_it() -> None:
    changes = diff_specs(spec(), edited(lambda d: d["components"]["securitySchemes"]["key"].update(name="X-Api-Key")))
    assert [(c.kind, c.method, c.location) for c in changes] == [
        ("security-changed", "GET", "/security"), ("security-changed", "POST", "/security")]


def test_a_removed_path_is_path_removed_for_each_of_its_operations() -> None:
    changes = diff_specs(spec(), edited(lambda d: d["paths"].pop("/things/{thing}")))
    assert [(c.kind, c.method, c.path) for c in changes] == [
        ("path-removed", "GET", "/things/{thing}"), ("path-removed", "POST", "/things/{thing}")]


def test_an_identical_document_has_no_changes_and_a_renamed_template_variable_is_no_change() -> None:
    assert diff_specs(spec(), spec()) == []

    def rename(d: dict[str, Any]) -> None:
        item = d["paths"].pop("/things/{thing}")
        item["parameters"][0]["name"] = "id"
        d["paths"]["/things/{id}"] = item
    assert diff_specs(spec(), edited(rename)) == []


def test_request_enum_added_and_response_enum_removed_are_not_reported() -> None:
    def widen_request_narrow_response(d: dict[str, Any]) -> None:
        body_of(d)["properties"]["currency"]["enum"].append("gbp")
        schema_of(d)["properties"]["status"]["enum"].remove("open")
    assert diff_specs(spec(), edited(widen_request_narrow_response)) == []


def test_json_request_bodies_are_compared_like_form_bodies() -> None:
    def as_json(d: dict[str, Any]) -> None:
        content = d["paths"]["/things/{thing}"]["post"]["requestBody"]["content"]
        content["application/json"] = content.pop(FORM)
    old, new = edited(as_json), edited(as_json)
    new["paths"]["/things/{thing}"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"].pop("amount")
    assert only(diff_specs(old, new)) == ("request-field-removed", "breaking", "request", "/request/body/amount")
    switched = diff_specs(spec(), old)
    assert [(c.kind, c.new or c.old) for c in switched] == [
        ("request-field-added", "application/json"), ("request-field-removed", FORM)]


def test_an_expandable_field_is_compared_branch_by_branch() -> None:
    changes = diff_specs(spec(), edited(lambda d: schema_of(d, "customer")["properties"].pop("email")))
    assert only(changes) == ("response-field-removed", "breaking", "response", "/responses/200/body/customer/email")

    def deleted_customer(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["deleted_customer"] = {"type": "object", "properties": {"deleted": {"type": "boolean"}}}
        schema_of(d)["properties"]["customer"]["anyOf"].append({"$ref": "#/components/schemas/deleted_customer"})
    change = diff_specs(spec(), edited(deleted_customer))[0]
    assert (change.kind, change.location, change.new) == ("type-changed", "/responses/200/body/customer",
                                                          "deleted_customer")


def test_a_field_that_becomes_expandable_is_safe_the_default_is_still_the_id() -> None:
    def expandable_note(d: dict[str, Any]) -> None:
        schema_of(d)["properties"]["note"] = {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/customer"}]}
    assert only(diff_specs(spec(), edited(expandable_note)))[:2] == ("response-field-added", "safe")


def test_recursive_schemas_terminate_and_a_change_is_reported_once_at_its_shallowest_place() -> None:
    changes = diff_specs(spec(), edited(lambda d: schema_of(d)["properties"].pop("note")))
    assert [c.location for c in changes] == ["/responses/200/body/note"], "not also under /parent/note, ..."


def test_a_component_shared_by_operations_is_reported_once_with_every_user() -> None:
    def share(d: dict[str, Any]) -> None:
        d["paths"]["/things/{thing}"]["get"]["responses"]["200"]["content"] = {
            "application/json": {"schema": {"type": "object", "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/thing"}}}}}}
    old, new = edited(share), edited(share)
    schema_of(new)["properties"].pop("note")
    users = {("POST", "/things/{thing}"): ["cassettes/pay.yaml"], ("get", "/things/{id}"): ["mocks/list.yaml"]}
    change, = diff_specs(old, new, touched_by=users)
    assert (change.method, change.location) == ("POST", "/responses/200/body/note")
    assert change.also_in == ("GET /things/{thing}",)
    assert change.touched_by == ("cassettes/pay.yaml", "mocks/list.yaml")


def test_operations_limit_the_diff_and_match_whatever_the_method_case() -> None:
    new = edited(lambda d: d["paths"]["/things/{thing}"].pop("get"))
    new["components"]["schemas"]["thing"]["properties"].pop("note")
    assert [c.kind for c in diff_specs(spec(), new, [("post", "/things/{thing}")])] == ["response-field-removed"]
    assert [c.kind for c in diff_specs(spec(), new, [("GET", "/things/{thing}")])] == ["operation-removed"]


def test_changes_become_a_contracts_diff_report() -> None:
    new = edited(lambda d: schema_of(d)["properties"].pop("note"))
    schema_of(new)["properties"]["status"]["enum"].append("void")
    schema_of(new)["properties"]["livemode"] = {"type": "boolean"}
    changes = diff_specs(spec(), new, touched_by={("POST", "/things/{thing}"): ["cassettes/a.yaml", "mocks/b.yaml"]},
                         source_label="stripe 2019-05-16 -> 2023-08-16")
    report = changes_to_report(changes, title="Stripe drift", provider="stripe", duration_s=0.5)
    assert report.kind == "contracts-diff" and report.exit_code() == 1
    assert (report.summary.findings, report.summary.errors, report.summary.warnings) == (3, 1, 1)
    removed = next(f for f in report.findings if f.rule == "response-field-removed")
    assert removed.to_json() == {
        "source": "cassettes/a.yaml", "interaction": None, "provider": "stripe", "operation": "PostThing",
        "method": "POST", "path": "/things/{thing}", "status": 200, "part": "response",
        "location": "/responses/200/body/note", "rule": "response-field-removed", "message": "note was removed",
        "severity": "error", "expected": "note", "touched_by": ["cassettes/a.yaml", "mocks/b.yaml"]}
    untouched = changes_to_report(diff_specs(spec(), new), title="t", provider="stripe", duration_s=0)
    assert {f.source for f in untouched.findings} == {""}
    labelled = diff_specs(spec(), new, source_label="stripe 1 -> 2")
    assert {f.source for f in changes_to_report(labelled, title="t", provider="s", duration_s=0).findings} == {
        "stripe 1 -> 2"}


# -- real Stripe versions -------------------------------------------------------------------

SALEOR_OPERATIONS = [  # what saleor's cassettes in ../shared/corpus/cassettes/stripe call
    ("POST", "/v1/payment_intents"), ("GET", "/v1/payment_intents/{intent}"),
    ("POST", "/v1/payment_intents/{intent}/capture"), ("POST", "/v1/payment_intents/{intent}/confirm"),
    ("POST", "/v1/charges/{charge}/refund"), ("POST", "/v1/customers"), ("GET", "/v1/payment_methods"),
]
STEPS = [("2019-05-16", "2019-12-03"), ("2019-12-03", "2020-08-27"), ("2020-08-27", "2023-08-16")]


@pytest.fixture(scope="module")
def stripe() -> dict[str, dict[str, Any]]:
    need_specs()
    return {version: json.loads(path.read_bytes()) for version, path in STRIPE.items()}


@pytest.fixture(scope="module")
def saleor_diffs(stripe: dict[str, dict[str, Any]]) -> dict[tuple[str, str], list[Change]]:
    return {(a, b): diff_specs(stripe[a], stripe[b], SALEOR_OPERATIONS) for a, b in STEPS}


def find(changes: list[Change], kind: str, method: str, path: str, location: str) -> Change:
    found = [c for c in changes if (c.kind, c.method, c.path, c.location) == (kind, method, path, location)]
    assert len(found) == 1, f"{kind} {method} {path} {location} not found once"
    return found[0]


def schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]


def form_fields(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    body = doc["paths"][path][method.lower()]["requestBody"]["content"][FORM]["schema"]
    return body["properties"]


def test_2019_12_03_removed_customer_account_balance_from_requests_and_responses(
        stripe: dict[str, dict[str, Any]], saleor_diffs: dict[tuple[str, str], list[Change]]) -> None:
    old, new = stripe["2019-05-16"], stripe["2019-12-03"]
    assert "account_balance" in form_fields(old, "POST", "/v1/customers")
    assert "account_balance" not in form_fields(new, "POST", "/v1/customers")
    assert "account_balance" in schema(old, "customer")["properties"]
    assert "account_balance" not in schema(new, "customer")["properties"]
    assert "balance" in schema(old, "customer")["properties"], "its successor was there already"
    changes = saleor_diffs[("2019-05-16", "2019-12-03")]
    find(changes, "request-field-removed", "POST", "/v1/customers", "/request/body/account_balance")
    assert not [c for c in changes if c.location.endswith("/balance")]
    removed = find(changes, "response-field-removed", "POST", "/v1/customers", "/responses/200/body/account_balance")
    assert removed.classification == "breaking"
    assert "GET /v1/payment_intents/{intent}" in removed.also_in, "payment_intent.customer expands to a customer"


def test_2020_08_27_dropped_save_payment_method_and_card_present_and_made_refund_metadata_nullable(
        stripe: dict[str, dict[str, Any]], saleor_diffs: dict[tuple[str, str], list[Change]]) -> None:
    old, new = stripe["2019-12-03"], stripe["2020-08-27"]
    assert "save_payment_method" in form_fields(old, "POST", "/v1/payment_intents")
    assert "save_payment_method" not in form_fields(new, "POST", "/v1/payment_intents")
    assert "metadata" in schema(old, "refund")["required"] and "metadata" not in schema(new, "refund")["required"]
    assert schema(new, "refund")["properties"]["metadata"]["nullable"] is True
    changes = saleor_diffs[("2019-12-03", "2020-08-27")]
    find(changes, "request-field-removed", "POST", "/v1/payment_intents", "/request/body/save_payment_method")
    enum = find(changes, "request-enum-value-removed", "GET", "/v1/payment_methods", "/request/query/type")
    assert enum.old == "card_present"
    metadata = "/responses/200/body/refunds/data/*/metadata"
    find(changes, "response-field-no-longer-required", "POST", "/v1/charges/{charge}/refund", metadata)
    find(changes, "field-now-nullable", "POST", "/v1/charges/{charge}/refund", metadata)
    find(changes, "response-field-removed", "POST", "/v1/customers", "/responses/200/body/subscriptions/data/*/plan")


def test_2023_08_16_removed_payment_intent_charges_and_stopped_including_charge_refunds(
        stripe: dict[str, dict[str, Any]], saleor_diffs: dict[tuple[str, str], list[Change]]) -> None:
    old, new = stripe["2020-08-27"], stripe["2023-08-16"]
    assert "charges" in schema(old, "payment_intent")["properties"]
    assert "charges" not in schema(new, "payment_intent")["properties"]
    assert "automatic_async" in schema(new, "payment_intent")["properties"]["capture_method"]["enum"]
    changes = saleor_diffs[("2020-08-27", "2023-08-16")]
    charges = find(changes, "response-field-removed", "POST", "/v1/payment_intents", "/responses/200/body/charges")
    # One change, listed with the other operations returning a payment_intent (directly, expanded
    # from a charge, or inside Stripe's error object).
    assert {"GET /v1/payment_intents/{intent}", "POST /v1/payment_intents/{intent}/capture",
            "POST /v1/payment_intents/{intent}/confirm"} <= set(charges.also_in)
    find(changes, "response-field-no-longer-required", "POST", "/v1/charges/{charge}/refund",
         "/responses/200/body/refunds")
    added = find(changes, "response-enum-value-added", "POST", "/v1/payment_intents",
                 "/responses/200/body/capture_method")
    assert added.new == "automatic_async" and added.classification == "needs-a-look"


def test_every_real_change_is_classified_located_and_reported_once(
        saleor_diffs: dict[tuple[str, str], list[Change]]) -> None:
    for changes in saleor_diffs.values():
        assert changes
        keys = [(c.kind, c.method, c.path, c.location) for c in changes]
        assert len(keys) == len(set(keys))
        for change in changes:
            assert change.kind in KIND_CLASSIFICATION
            assert change.location == "" or change.location.startswith(("/request/", "/responses/", "/security"))


def test_diffing_is_deterministic_and_fast_enough_for_a_nightly_job(stripe: dict[str, dict[str, Any]]) -> None:
    old, new = stripe["2020-08-27"], stripe["2023-08-16"]
    started = time.perf_counter()
    first = diff_specs(old, new, SALEOR_OPERATIONS)
    saleor_s = time.perf_counter() - started
    assert diff_specs(old, new, list(reversed(SALEOR_OPERATIONS))) == first, "input order does not matter"
    started = time.perf_counter()
    everything = diff_specs(old, new)
    all_s = time.perf_counter() - started
    print(f"\nStripe 2020-08-27 -> 2023-08-16: saleor operations {saleor_s:.2f}s ({len(first)} changes), "
          f"all operations {all_s:.2f}s ({len(everything)} changes)")
    assert saleor_s < 5 and all_s < 60
    assert diff_specs(new, new) == []
    assert {c.kind for c in everything} >= {"operation-added", "response-field-removed"}


@pytest.mark.parametrize("old, new", STEPS)
def test_diffing_from_a_pinned_slice_finds_what_diffing_the_full_spec_finds(
        stripe: dict[str, dict[str, Any]], saleor_diffs: dict[tuple[str, str], list[Change]], old: str, new: str) -> None:
    """The nightly job diffs the pinned slice against the provider's latest full document."""
    pinned = slice_spec(stripe[old], SALEOR_OPERATIONS)
    assert diff_specs(pinned, stripe[new], SALEOR_OPERATIONS) == saleor_diffs[(old, new)]


def test_print_the_saleor_summary_per_version_step(saleor_diffs: dict[tuple[str, str], list[Change]]) -> None:
    """Not a check: ``pytest -s -k saleor_summary`` prints what the README reports."""
    for (old, new), changes in saleor_diffs.items():
        counts = {level: sum(1 for c in changes if c.classification == level)
                  for level in ("breaking", "needs-a-look", "safe")}
        print(f"\n{old} -> {new}: " + ", ".join(f"{n} {level}" for level, n in counts.items()))
        for change in changes:
            if change.classification == "breaking":
                print(f"  {change.kind:36} {change.method} {change.path} {change.location}")
