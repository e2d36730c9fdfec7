"""``--recorder-mode=once`` and the hosts a test's own cassettes do not cover, through the plugin.

Given a test that asks for the ``recorder`` fixture without a marker, whose own cassette
(``cassettes/stripe/test_suite/test_pay.yaml``) was recorded by an earlier once run against a
stand-in on 127.0.0.1 (``--recorder-target``), when the test now also calls a host that cassette
does not cover, then in mode once:

- another Stripe host (files.stripe.com) fails the test with one line naming the request and the
  cassette, as a replay miss does; nothing is sent, nothing written (the defect: it went to the
  network, unrecorded and unrefused);
- another provider's host is recorded into the test's own cassette for that provider, which did
  not exist (once records a missing cassette); a host no provider claims is refused; loopback
  passes;

and in modes new and all the other Stripe host is recorded into the test's Stripe cassette.
There is no internet here: a leaked call would fail with a DNS error, which the tests rule out.
"""
from __future__ import annotations

from collections.abc import Iterator

import httpx  # noqa: F401 - imported before pytester runs the inner suites (see test_pytest_plugin_modes)
import pytest
from standin import StandIn, json_reply
from test_once_other_hosts import other_hosts
from test_pytest_plugin_modes import project, recorded, run, seen, suite  # noqa: F401 - project: a fixture

pytest_plugins = ["pytester"]

OWN = "stripe/test_suite/test_pay"
FILE = "https://files.stripe.com/v1/files/file_1"
FIRST_RUN = '''
def test_pay(recorder):
    assert customer("cus_9").json() == {"id": "cus_9"}
'''
CLIENT = {"requests": 'requests.get(FILE, timeout=5).json()', "httpx": 'httpx.get(FILE, timeout=5).json()'}


def then_also(*calls: str, fixture: bool = True) -> str:
    """The test after it changed: the recorded call, then ``calls``."""
    lines = "".join(f"    {call}\n" for call in calls)
    return f'''
import httpx
FILE = "{FILE}"
def test_pay({"recorder" if fixture else ""}):
    assert customer("cus_9").json() == {{"id": "cus_9"}}
{lines}'''


@pytest.fixture
def sandbox() -> Iterator[StandIn]:
    """Stands in for every provider host: ``--recorder-target=URL`` sends them all here."""
    server = StandIn()
    server.route("GET", r"/v1/customers/(\w+)", lambda got: json_reply(200, {"id": got.path.rsplit("/", 1)[-1]}))
    with other_hosts(server):
        yield server


@pytest.fixture
def own_cassette(project: pytest.Pytester, sandbox: StandIn) -> pytest.Pytester:
    """Given: the test's own Stripe cassette, one call to api.stripe.com, recorded in mode once."""
    suite(project, FIRST_RUN)
    run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    assert recorded(project, OWN) == ["GET /v1/customers/cus_9"] and len(sandbox.received) == 1
    return project


def no_leak(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    assert "NameResolutionError" not in out and "Failed to resolve" not in out and "ConnectError" not in out


@pytest.mark.parametrize("client", ["requests", "httpx"])
@pytest.mark.parametrize("fixture", [True, False], ids=["fixture-only", "plain"])
def test_once_fails_a_call_to_another_host_of_the_recorded_provider_naming_request_and_cassette(
        own_cassette: pytest.Pytester, sandbox: StandIn, client: str, fixture: bool) -> None:
    """A plain test whose own cassettes exist runs as if it asked for the fixture: the same rule."""
    before = (own_cassette.path / f"cassettes/{OWN}.yaml").read_bytes()
    suite(own_cassette, then_also(CLIENT[client], fixture=fixture))
    result = run(own_cassette, "--recorder-mode=once", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*UnmatchedRequest: GET {FILE} is not recorded in */cassettes/{OWN}.yaml "
                                 "(mode 'once' records only a cassette that does not exist yet; *",
                                 "*misses: 1; unused interactions: 0"])
    no_leak(result)
    assert len(sandbox.received) == 1  # not forwarded to the stand-in either
    assert (own_cassette.path / f"cassettes/{OWN}.yaml").read_bytes() == before
    assert sorted(p.name for p in (own_cassette.path / "cassettes").iterdir()) == ["stripe"]


def test_once_records_another_providers_host_into_the_tests_missing_cassette_for_it_and_loopback_passes(
        own_cassette: pytest.Pytester, sandbox: StandIn) -> None:
    suite(own_cassette, then_also('assert requests.post(TWILIO, data={"Body": "hi"}, timeout=5).json()["sid"] == "SM1"',
                                  f'assert requests.get("{sandbox.url}/health", timeout=5).text == "ok"',
                                  'assert [c.source for c in recorder.calls()] == ["cassette", "network", "network"]'))
    run(own_cassette, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    assert recorded(own_cassette, "twilio/test_suite/test_pay") == [
        "POST /2010-04-01/Accounts/AC1/Messages.json Body=hi"]
    assert recorded(own_cassette, OWN) == ["GET /v1/customers/cus_9"]  # the existing cassette: untouched
    assert [r.path for r in sandbox.received][1:] == ["/2010-04-01/Accounts/AC1/Messages.json", "/health"]


def test_once_refuses_a_host_no_provider_claims(own_cassette: pytest.Pytester, sandbox: StandIn) -> None:
    suite(own_cassette, then_also('requests.get("https://api.example.test/v1/things", timeout=5)'))
    result = run(own_cassette, "--recorder-mode=once", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NetworkBlocked: replay never touches the network: "
                                 "GET https://api.example.test/v1/things goes to api.example.test*"])
    no_leak(result)
    assert len(sandbox.received) == 1


@pytest.mark.parametrize("mode, sent", [("new", 2), ("all", 3)])
def test_new_and_all_record_another_host_of_the_provider_into_the_tests_own_cassette(
        own_cassette: pytest.Pytester, sandbox: StandIn, mode: str, sent: int) -> None:
    """new: the customer call is replayed and the file call appended; all: both are re-recorded."""
    suite(own_cassette, then_also(f'assert {CLIENT["httpx"]} == {{"id": "file_1", "object": "file"}}'))
    run(own_cassette, f"--recorder-mode={mode}", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    assert recorded(own_cassette, OWN) == ["GET /v1/customers/cus_9", "GET /v1/files/file_1"]
    assert len(sandbox.received) == sent
    run(own_cassette, "--recorder-strict").assert_outcomes(passed=1)  # a replay run plays both
    assert len(sandbox.received) == sent


def test_once_a_marked_test_calling_another_host_of_its_cassettes_provider_is_refused(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    marked = '@pytest.mark.recorder("stripe/checkout")\n'
    suite(project, marked + FIRST_RUN.lstrip())
    run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    suite(project, then_also(CLIENT["requests"]).replace("def test_pay", marked + "def test_pay"))
    result = run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*NetworkBlocked: replay never touches the network: GET {FILE} goes to "
                                 "files.stripe.com, which no cassette or mock covers "
                                 "(*cassettes/stripe/checkout.yaml)"])
    no_leak(result)
    assert recorded(project, "stripe/checkout") == ["GET /v1/customers/cus_9"] and len(sandbox.received) == 1
