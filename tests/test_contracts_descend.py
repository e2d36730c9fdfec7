"""A failing list of resources is localised by the descent, with exactly jsonschema-rs' findings.

Given the GitHub corpus' 188 KB events list (an old recording: ~190 missing or undocumented fields
across 30 events), the descent (recorder/contracts/descend.py) reports the same violations, in the
same order, as explaining every error jsonschema-rs' ``iter_errors`` yields; so do mutated copies
whose failures sit in leaves the descent hands back to jsonschema-rs.
"""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from contracts_support import GITHUB, need_specs, spec_set

from recorder.contracts.validator import SchemaBank, _dedupe
from recorder.contracts.verify import collect_files, load_exchanges
from recorder.providers.registry import load_registry
from conftest import SHARED


@pytest.fixture(scope="module")
def events() -> tuple[SchemaBank, str, list[dict[str, Any]]]:
    need_specs()
    cassettes, mocks = collect_files([SHARED / "corpus" / "cassettes" / "github"])
    exchange = max(load_exchanges(cassettes, mocks, load_registry()), key=lambda x: len(x.response.body.decoded))
    assert exchange.url.endswith("/events")
    specs = spec_set(("github", GITHUB))
    checker = specs.checker(specs.pick("github", None)[0])
    route = checker.route(exchange.method, exchange.url)
    assert route.operation is not None
    checker.check_response(route.operation, exchange.response)  # registers the response's key
    key = next(k for k in checker.bank._schemas if k.startswith(f"res:{route.operation.index}:"))
    return checker.bank, key, json.loads(exchange.response.body.decoded)


def test_the_events_list_is_descended_and_finds_what_iter_errors_finds(events: tuple[SchemaBank, str, Any]) -> None:
    bank, key, body = events
    assert key in bank._descents, "a list of resources gets a descent plan"
    descended = bank.violations(key, body)
    assert len(descended) > 150
    assert {v.rule for v in descended} == {"required", "undocumented-field"}
    assert descended == _dedupe(bank.explain(key, body))


@pytest.mark.parametrize("mutate", [
    lambda events: events[3]["payload"]["issue"].__setitem__("number", "ten"),        # a leaf type error
    lambda events: events[0].__setitem__("public", "yes"),                            # at the top of an item
    lambda events: events[5]["payload"].__setitem__("forkee", 3),                     # an undocumented non-object
    lambda events: events.append("not an event"),                                     # a plain node, another type
    lambda events: events[3]["payload"]["issue"].pop("title", None),                  # one more required
], ids=["leaf-type", "item-field", "extra-scalar", "item-type", "missing-title"])
def test_mutated_events_are_explained_the_same_both_ways(events: tuple[SchemaBank, str, Any], mutate: Any) -> None:
    bank, key, body = events
    changed = copy.deepcopy(body)
    mutate(changed)
    assert bank.violations(key, changed) == _dedupe(bank.explain(key, changed))
