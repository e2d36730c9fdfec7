"""What the contract check promises beyond finding drift: the same verdict on every path, mocks
judged strictly, no secret in any message, and broken inputs refused in one line.

Given real recordings from ../shared and the providers' published specs, when a run takes one
path or another (plain, nightly ``--latest``, a mock instead of a recording), then the verdict is
what the README promises.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contracts_support import STRIPE, STRIPE_CORPUS, TWILIO, need_specs, spec_set, use_shared_cache
from conftest import CORPUS
from recorder.cassette.model import Body
from recorder.contracts.nightly import Project, pull, verify_latest
from recorder.contracts.verify import Exchange, load_exchanges, verify_exchanges, verify_paths
from recorder.errors import BadInput
from recorder.providers.registry import load_registry
from recorder.report.model import Report

TWILIO_CORPUS = CORPUS / "cassettes" / "twilio"
REPO = Path(__file__).resolve().parents[1]
SALEOR_CAPTURE = STRIPE_CORPUS / "saleor__saleor__test_stripe--test_capture.yaml"
PAY_SUBSCRIPTION = STRIPE_CORPUS / "pay-rails__pay__test_retriving_a_stripe_subscription.yml"
SECRET = "sk_live_51HxAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _specs_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()
    use_shared_cache(tmp_path_factory.getbasetemp().parent)


def seen(report: Report) -> list[tuple[str, int | None, str, str, str]]:
    return sorted((f.source, f.interaction, f.location, f.rule, f.severity) for f in report.findings)


def recorder(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECORDER_CACHE_DIR": os.environ["RECORDER_CACHE_DIR"]}
    return subprocess.run([sys.executable, "-m", "recorder", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=180)


def twilio_project(tmp_path: Path) -> Project:
    """A repository holding the four real Twilio corpus recordings, nothing pinned."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    shutil.copytree(TWILIO_CORPUS, tmp_path / "cassettes")
    return Project(tmp_path / "cassettes", tmp_path / "mocks", tmp_path / "contracts")


def exchange_of(path: Path, index: int = 0) -> Exchange:
    return copy.deepcopy(load_exchanges([path], [], load_registry())[index])


def with_body(exchange: Exchange, change) -> Exchange:  # type: ignore[no-untyped-def]
    data = json.loads(exchange.response.body.decoded)
    change(data)
    exchange.response.body = Body(json.dumps(data).encode())
    return exchange


# -- one verdict whichever path runs the check ----------------------------------------------

def test_the_nightly_run_forgives_twilios_declared_quirks_exactly_as_the_plain_run_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio sends latitude as "37.774900" and "" for unset URLs (contract_quirks in its profile)."""
    project = twilio_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    plain = verify_paths([project.cassettes], spec_set(*(("twilio", p) for p in TWILIO)))
    nightly = verify_latest(project, load_registry(), overrides={"twilio": [str(p) for p in TWILIO]})
    assert plain.summary.errors == nightly.summary.errors == 0
    assert seen(nightly) == seen(plain)


def test_the_nightly_run_keeps_every_spec_given_for_a_provider(tmp_path: Path) -> None:
    """Twilio's Messages and TaskRouter live in two documents: both judge, as without --latest."""
    twilio_project(tmp_path)
    specs = [arg for p in TWILIO for arg in ("--spec", f"twilio={p}")]
    done = recorder("verify-contracts", "--latest", *specs, "--format", "json", cwd=tmp_path)
    summary = json.loads(done.stdout)["summary"]
    assert done.returncode == 0, done.stderr
    assert summary["validated"] == summary["interactions"] == 18 and summary["skipped"] == 0


def test_a_mock_gets_no_quirk_exemption_but_a_recording_does(tmp_path: Path) -> None:
    """A recording is Twilio's behaviour; a mock is somebody's belief, judged strictly."""
    mock = (REPO / "mocks" / "mock-twilio-success.yaml").read_text().replace("status: queued", 'status: ""')
    (tmp_path / "mock-twilio-empty-status.yaml").write_text(mock)
    report = verify_paths([tmp_path, TWILIO_CORPUS / "TwilioDevEd__call-tracking-rails__purchase-phone-number.yml"],
                          spec_set(*(("twilio", p) for p in TWILIO)))
    errors = [(Path(f.source).name, f.location, f.rule) for f in report.findings if f.severity == "error"]
    assert errors == [("mock-twilio-empty-status.yaml", "/body/status", "enum")]
    assert 'value "" is not one of the documented values' in report.findings[0].message


# -- no secret in any message ----------------------------------------------------------------

def test_a_live_key_in_an_enum_field_is_redacted_in_the_message_as_in_actual() -> None:
    capture = with_body(exchange_of(SALEOR_CAPTURE), lambda d: d.__setitem__("status", SECRET))
    report = verify_exchanges([capture], spec_set(("stripe", STRIPE["2019-05-16"])))
    [enum] = [f for f in report.findings if f.rule == "enum"]
    assert enum.location == "/body/status" and enum.actual == "<redacted: looks like a credential>"
    assert enum.message == "value <redacted: looks like a credential> is not one of the documented values"


def test_no_report_format_carries_a_live_key_from_values_field_names_or_paths(tmp_path: Path) -> None:
    """Values (enum, type, undocumented), a form field, a JSON key and a request path."""
    def plant(data: dict) -> None:  # type: ignore[type-arg]
        data.update(status=SECRET, zz_note=SECRET, description=12345)
        data[SECRET] = "a key used as a field name"
    capture = with_body(exchange_of(SALEOR_CAPTURE), plant)
    capture.request.body = Body(capture.request.body.decoded + f"&zz_secret_field={SECRET}".encode())
    lost = exchange_of(SALEOR_CAPTURE)
    lost.url = f"https://api.stripe.com/v1/keys/{SECRET}"
    report = verify_exchanges([capture, lost], spec_set(("stripe", STRIPE["2019-05-16"])))
    assert {f.rule for f in report.findings} >= {"enum", "undocumented-field", "type", "unknown-operation"}
    for finding in report.findings:
        assert SECRET[:20] not in " ".join(str(v) for v in (finding.message, finding.actual, finding.path))


# -- the severity of a missing required field, and how it is worded --------------------------

def test_a_required_field_missing_from_a_recording_of_the_same_api_version_stays_a_warning() -> None:
    """Measured on the corpus: the only such cases (automatic_tax, pay-rails 2021 recordings of
    2020-08-27 against the 2022 build of that version's spec) are fields Stripe added later."""
    report = verify_paths([PAY_SUBSCRIPTION], spec_set(("stripe", STRIPE["2020-08-27"])))
    missing = [f for f in report.findings if f.rule == "required"]
    assert [(f.operation, f.location, f.severity) for f in missing] == [
        ("PostSubscriptions", "/body/automatic_tax", "warning"),
        ("GetSubscriptionsSubscriptionExposedId", "/body/automatic_tax", "warning")]
    assert all("same API version (2020-08-27)" in f.message and "re-record" in f.message for f in missing)


def test_a_field_missing_from_a_recording_newer_than_the_spec_says_the_provider_dropped_it() -> None:
    spree = sorted(STRIPE_CORPUS.glob("spree__spree_stripe__*"))[0]
    exchange = exchange_of(spree)
    assert exchange.api_version == "2023-10-16"
    with_body(exchange, lambda d: d.pop("object"))
    report = verify_exchanges([exchange], spec_set(("stripe", STRIPE["2023-08-16"])))
    [missing] = [f for f in report.findings if f.rule == "required"]
    assert missing.severity == "warning" and "newer than the spec (2023-08-16)" in missing.message
    assert "re-record" not in missing.message


def test_a_field_missing_from_a_recording_older_than_the_spec_says_re_record() -> None:
    report = verify_paths([PAY_SUBSCRIPTION], spec_set(("stripe", STRIPE["2023-08-16"])))
    missing = [f for f in report.findings if f.rule == "required"]
    assert missing and all("predates the spec (2023-08-16)" in f.message and "re-record" in f.message
                           for f in missing)


# -- broken inputs: one line, exit 2, nothing written ----------------------------------------

def broken_spec(tmp_path: Path, schema: dict) -> Path:  # type: ignore[type-arg]
    """The 2019-05-16 Stripe spec with the PaymentIntent response of POST /v1/payment_intents replaced."""
    data = json.loads(STRIPE["2019-05-16"].read_text())
    data["paths"]["/v1/payment_intents"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] = schema
    path = tmp_path / "spec3.broken.json"
    path.write_text(json.dumps(data))
    return path


RESPONSE = "#/paths/~1v1~1payment_intents/post/responses/200/content/application~1json/schema"


@pytest.mark.parametrize("schema, place, reason", [
    ({"$ref": "#/components/schemas/nope"}, RESPONSE + "/$ref", "$ref '#/components/schemas/nope' does not resolve"),
    ({"type": "object", "minLength": "x"}, RESPONSE + "/minLength", 'not a valid schema: "x" is not of type "integer"'),
])
def test_a_spec_the_validator_cannot_compile_is_bad_input_naming_file_and_pointer(
        tmp_path: Path, schema: dict, place: str, reason: str) -> None:  # type: ignore[type-arg]
    spec = broken_spec(tmp_path, schema)
    shutil.copy(STRIPE_CORPUS / "saleor__saleor__test_stripe--test_authorize.yaml", tmp_path)
    out = tmp_path / "report.json"
    done = recorder("verify-contracts", str(tmp_path / "saleor__saleor__test_stripe--test_authorize.yaml"),
                    "--spec", f"stripe={spec}", "--format", "json", "--output", str(out), cwd=tmp_path)
    assert done.returncode == 2 and not out.exists()
    assert done.stderr.splitlines() == [f"recorder: {spec}:{place}: {reason}"]


def test_pull_names_the_file_whose_ref_dangles_and_pins_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = broken_spec(tmp_path, {"$ref": "#/components/schemas/nope"})
    (tmp_path / "cassettes").mkdir()
    shutil.copy(STRIPE_CORPUS / "saleor__saleor__test_stripe--test_authorize.yaml", tmp_path / "cassettes")
    monkeypatch.chdir(tmp_path)
    project = Project(tmp_path / "cassettes", tmp_path / "mocks", tmp_path / "contracts")
    with pytest.raises(BadInput, match="does not resolve") as caught:
        pull("stripe", project, load_registry(), source=str(spec))
    assert caught.value.where == str(spec) and caught.value.place == "#/components/schemas/nope"
    assert not project.contracts.exists()


def test_a_pinned_folder_without_its_lock_is_bad_input_not_an_unpinned_provider(tmp_path: Path) -> None:
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "contracts" / "stripe" / "lock.json").unlink()
    for latest in ([], ["--latest"]):
        done = recorder("verify-contracts", *latest, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.splitlines() == [f"recorder: {tmp_path / 'contracts' / 'stripe' / 'lock.json'}: missing "
                                            "(next to contract.json); re-run `recorder contracts pull --provider stripe`"]


def test_the_nightly_diff_compares_the_pin_with_the_document_that_serves_its_operations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This repo's Twilio pin (Messages) against TaskRouter + API v2010, TaskRouter given first:
    both say 1.0.0; diffing against TaskRouter would call the pinned operation removed."""
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    shutil.copytree(REPO / "cassettes" / "twilio", tmp_path / "cassettes" / "twilio")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    project = Project(tmp_path / "cassettes", tmp_path / "mocks", tmp_path / "contracts")
    report = verify_latest(project, load_registry(), overrides={"twilio": [str(p) for p in reversed(TWILIO)]})
    assert report.summary.errors == 0
    assert not [f for f in report.findings if f.rule in ("operation-removed", "path-removed")]
