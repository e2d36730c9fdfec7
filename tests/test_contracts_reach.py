"""A pinned contract is cut by the repo's traffic: schemas no recorded response reaches become stubs.

Given the Stripe corpus and the real specs: the cut slices find exactly what the full specs find,
they are tens of KB instead of hundreds, a value the slice was never cut for (an expanded
``customer``) is a ``slice-stale`` warning rather than a silent pass, and diffing a cut slice
against the document it came from shows no change.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from contracts_support import STRIPE, STRIPE_CORPUS, STRIPE_FIXTURES_2023, need_specs

from recorder.cassette.model import Body, Headers, Response
from recorder.contracts.check import SpecChecker
from recorder.contracts.diff import diff_specs
from recorder.contracts.pinning import serialize
from recorder.contracts.prepare import PreparedSpec, prepare
from recorder.contracts.reach import PRUNED, Reach
from recorder.contracts.slicing import slice_spec
from recorder.contracts.source import SpecDocument, load_spec
from recorder.contracts.specset import SpecSet
from recorder.contracts.usage import operations_in_use, traffic_reach
from recorder.contracts.verify import Exchange, collect_files, load_exchanges, verify_exchanges
from recorder.providers.registry import load_registry

REPO = Path(__file__).resolve().parents[1]
CHARGE_200 = ("paths", "/v1/charges", "post", "responses", "200", "content", "application/json", "schema")


def as_document(data: dict[str, Any], label: str) -> SpecDocument:
    raw = serialize(data)
    return SpecDocument(label, hashlib.sha256(raw).hexdigest(), len(raw), json.loads(raw))


def stripe_exchanges() -> list[Exchange]:
    cassettes, mocks = collect_files([STRIPE_CORPUS])
    return load_exchanges(cassettes, mocks, load_registry())


def json_response(body: Any) -> Response:
    return Response(200, "OK", Headers([("Content-Type", ["application/json"])]), Body(json.dumps(body).encode()))


@pytest.fixture(scope="module")
def stripe_2023() -> SpecDocument:
    need_specs()
    return load_spec(STRIPE["2023-08-16"])


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Any]:
    need_specs()
    resources: dict[str, Any] = json.loads(STRIPE_FIXTURES_2023.read_text(encoding="utf-8"))["resources"]
    return resources


def test_cut_slices_find_exactly_what_the_full_specs_find_on_the_whole_stripe_corpus() -> None:
    need_specs()
    exchanges = stripe_exchanges()
    full, cut = SpecSet(), SpecSet()
    sizes = {}
    for version, path in STRIPE.items():
        document = load_spec(path)
        prepared = prepare(document)
        full.add("stripe", prepared)
        # Each cassette is judged by its own API version's spec: cut each by the traffic it judges.
        own = [x for x in exchanges if full.pick("stripe", x.api_version)[0] is prepared]
        used = operations_in_use(own, "stripe", prepared)
        data = slice_spec(document.data, used, traffic_reach(own, "stripe", prepared, document.data))
        sizes[version] = len(serialize(data))
        cut.add("stripe", prepare(as_document(data, f"cut slice of {version}")))
    expected, actual = verify_exchanges(exchanges, full), verify_exchanges(exchanges, cut)
    print("\ncut slice sizes:", {v: f"{n / 1000:.0f} KB" for v, n in sizes.items()})
    assert expected.summary.findings > 100, "the corpus really exercises the checker"
    assert [f.to_json() for f in actual.sorted_findings()] == [f.to_json() for f in expected.sorted_findings()]
    assert actual.notes == expected.notes


def test_the_saleor_operations_slice_to_tens_of_kb_once_cut_by_their_traffic() -> None:
    need_specs()
    document = load_spec(STRIPE["2019-05-16"])
    prepared = prepare(document)
    saleor = [x for x in stripe_exchanges() if "saleor" in x.source]
    used = operations_in_use(saleor, "stripe", prepared)
    whole = len(serialize(slice_spec(document.data, used)))
    cut = len(serialize(slice_spec(document.data, used, traffic_reach(saleor, "stripe", prepared, document.data))))
    print(f"\nsaleor, {len(used)} operations: cut {cut / 1000:.0f} KB, uncut {whole / 1000:.0f} KB, "
          f"spec {document.size / 1000:.0f} KB")
    assert len(used) >= 5
    assert cut < 100_000 and cut * 4 < whole


def test_the_repos_own_stripe_contract_is_tens_of_kb() -> None:
    size = (REPO / "contracts" / "stripe" / "contract.json").stat().st_size
    assert size < 64_000, f"contracts/stripe/contract.json is {size:,} bytes: was it pinned without traffic?"


def test_an_expanded_customer_the_slice_never_saw_is_slice_stale_not_a_silent_pass(
        stripe_2023: SpecDocument, fixtures: dict[str, Any]) -> None:
    charge = copy.deepcopy(fixtures["charge"])
    charge["customer"] = fixtures["customer"]["id"]  # what the recorded traffic sent: the id
    reach = Reach(stripe_2023.data)
    reach.walk(stripe_2023.data["paths"]["/v1/charges"]["post"]["responses"]["200"]["content"]
               ["application/json"]["schema"], CHARGE_200, charge)
    sliced = slice_spec(stripe_2023.data, [("POST", "/v1/charges")], reach)
    customer = sliced["components"]["schemas"]["charge"]["properties"]["customer"]
    assert {"type": "object", PRUNED: "#/components/schemas/customer"} in customer["anyOf"]

    def problems(spec: PreparedSpec, body: dict[str, Any]) -> list[tuple[str, str, str]]:
        checker = SpecChecker(spec)
        op = checker.route("POST", "https://api.stripe.com/v1/charges").operation
        assert op is not None
        return [(p.location, p.rule, p.severity) for p in checker.check_response(op, json_response(body))]

    cut, full = prepare(as_document(sliced, "cut")), prepare(stripe_2023)
    assert problems(cut, charge) == problems(full, charge) == []
    expanded = {**charge, "customer": fixtures["customer"]}
    assert problems(full, expanded) == []
    assert problems(cut, expanded) == [("/body/customer", "slice-stale", "warning")]
    wrong = {**charge, "customer": 42}  # a type neither the id nor the object allows: same verdict both ways
    assert problems(cut, wrong) == problems(full, wrong) == [("/body/customer", "type", "error")]


def test_a_cut_slice_diffs_clean_against_the_document_it_came_from(stripe_2023: SpecDocument) -> None:
    # the traffic the 2023-08-16 spec judges: its own version and the versions no spec is given for
    exchanges = [x for x in stripe_exchanges() if x.api_version not in STRIPE or x.api_version == "2023-08-16"]
    prepared = prepare(stripe_2023)
    used = operations_in_use(exchanges, "stripe", prepared)
    sliced = slice_spec(stripe_2023.data, used, traffic_reach(exchanges, "stripe", prepared, stripe_2023.data))
    assert PRUNED in json.dumps(sliced)
    assert diff_specs(sliced, stripe_2023.data, used) == []
