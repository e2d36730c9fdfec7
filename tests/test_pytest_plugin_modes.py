"""The pytest plugin in every mode: the marker's cassettes and mocks are what a test replays and records.

Given a small project (pyproject, mock files) and a Stripe stand-in on 127.0.0.1 that
``--recorder-target`` points at, when pytest runs a suite in it (``pytester``, in-process), then:

- record modes (once / new / all / record) record into and replay from the *marker's* cassettes,
  mock files still answer their endpoints, and the ``recorder`` fixture is the live session;
- tests sharing a marker cassette keep each other's calls, also under xdist;
- ``off`` intercepts nothing, and the fixture then fails with one message when asked about calls;
- the plugin loads without pytest-xdist;
- layers: ``[tool.recorder.replay]`` < marker < command line, for the mode above all.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests  # noqa: F401 - see below
import yaml
from standin import StandIn, json_reply

import recorder.record  # noqa: F401
import recorder.replay  # noqa: F401

# pytester runs pytest in this process and afterwards drops every module the run imported: what
# the inner suites import (requests, recorder's interception) is imported here once, so each run
# finds the same module objects instead of a second copy beside the first.
pytest_plugins = ["pytester"]

HEADER = '''
import http.client, pytest, requests

STRIPE = "https://api.stripe.com/v1"
TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"

def charge(amount):
    return requests.post(f"{STRIPE}/charges", data={"amount": amount}, timeout=5)

def customer(name):
    return requests.get(f"{STRIPE}/customers/{name}", timeout=5)
'''
DECLINED_MOCK = """type: MOCK
name: stripe-declined
mockTarget: api.stripe.com
mockPath: /v1/charges
mockMethod: POST
mockResponseStatus: 402
mockResponseBody:
  error: {type: card_error, code: card_declined}
"""
TWILIO_MOCK = """type: MOCK
name: twilio-sms
mockTarget: api.twilio.com
mockPath: /2010-04-01/Accounts/*/Messages.json
mockResponseStatus: 201
mockResponseBody:
  sid: SM0123456789abcdef0123456789abcdef
"""


@pytest.fixture
def stripe() -> Iterator[StandIn]:
    """The sandbox: echoes the amount charged and the customer asked for."""
    server = StandIn()
    server.route("POST", r"/v1/charges",
                 lambda got: json_reply(200, {"id": "ch_1", "amount": int(got.form()["amount"])}))
    server.route("GET", r"/v1/customers/(\w+)",
                 lambda got: json_reply(200, {"id": got.path.rsplit("/", 1)[-1]}))
    with server:
        yield server


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml('[tool.recorder]\ncassettes = "cassettes"\nmocks = "mocks"\n')
    (pytester.path / "mocks").mkdir()
    (pytester.path / "mocks/stripe-declined.yaml").write_text(DECLINED_MOCK)
    (pytester.path / "mocks/twilio-sms.yaml").write_text(TWILIO_MOCK)
    return pytester


def suite(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_suite=HEADER + body)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio", "-rA", *args)


def recorded(pytester: pytest.Pytester, name: str) -> list[str]:
    """``METHOD path body`` of each interaction in ``cassettes/<name>.yaml``."""
    data = yaml.safe_load((pytester.path / "cassettes" / f"{name}.yaml").read_text())
    return [f"{i['request']['method']} {i['request']['uri'].split('.com', 1)[1]} {i['request']['body'] or ''}".strip()
            for i in data["interactions"]]


def seen(server: StandIn) -> list[str]:
    return [f"{r.method} {r.path} {r.body.decode()}".strip() for r in server.received]


# -- record modes use the marker ----------------------------------------------------------------------

CHECKOUT = '''
@pytest.mark.recorder("stripe/checkout")
def test_checkout(recorder):
    assert charge(2498).json()["amount"] == 2498
    recorder.assert_called(provider="stripe", method="POST", path="/v1/charges", times=1)
'''


def test_once_records_the_missing_marker_cassette_then_only_replays_it(project: pytest.Pytester,
                                                                        stripe: StandIn) -> None:
    suite(project, CHECKOUT)
    first = run(project, "--recorder-mode=once", f"--recorder-target={stripe.url}")
    first.assert_outcomes(passed=1)  # the fixture is the session in a record mode: assert_called worked
    assert recorded(project, "stripe/checkout") == ["POST /v1/charges amount=2498"]
    assert not (project.path / "cassettes/stripe/test_suite").exists()  # no per-test cassette beside it
    first.stdout.fnmatch_lines(["recorded 1 test(s) into 1 cassette(s); misses: 0; unused interactions: 0"])

    run(project, "--recorder-mode=once", f"--recorder-target={stripe.url}").assert_outcomes(passed=1)
    run(project).assert_outcomes(passed=1)
    assert seen(stripe) == ["POST /v1/charges amount=2498"]  # the second and third runs replayed


def test_mocks_answer_their_endpoints_while_the_rest_is_recorded(project: pytest.Pytester, stripe: StandIn) -> None:
    """A suite-wide ``stripe=URL`` target does not trouble a test that records only Twilio."""
    suite(project, '''
@pytest.mark.recorder("stripe/declined", mocks=["stripe-declined"])
def test_declined_card(recorder):
    assert charge(2498).status_code == 402
    assert customer("cus_1").json() == {"id": "cus_1"}
    assert [c.source for c in recorder.calls()] == ["mock", "network"]

@pytest.mark.recorder("twilio/sms", mocks=["twilio-sms"])
def test_sms(recorder):
    assert requests.post(TWILIO, data={"Body": "shipped"}, timeout=5).status_code == 201
    recorder.assert_called(provider="twilio", times=1)
''')
    run(project, "--recorder-mode=record", f"--recorder-target=stripe={stripe.url}").assert_outcomes(passed=2)
    assert seen(stripe) == ["GET /v1/customers/cus_1"]
    assert recorded(project, "stripe/declined") == ["GET /v1/customers/cus_1"]
    assert not (project.path / "cassettes/twilio").exists()  # the mock answered: nothing to write


def test_new_adds_missing_calls_and_record_rerecords_the_marker_cassette(project: pytest.Pytester,
                                                                        stripe: StandIn) -> None:
    target = f"--recorder-target={stripe.url}"
    suite(project, CHECKOUT)
    run(project, "--recorder-mode=once", target).assert_outcomes(passed=1)
    suite(project, '''
@pytest.mark.recorder("stripe/checkout")
def test_checkout(recorder):
    assert charge(2498).json()["amount"] == 2498
    assert customer("cus_2").json() == {"id": "cus_2"}
    assert [c.source for c in recorder.calls()] == ["cassette", "network"]
''')
    run(project, "--recorder-mode=new", target).assert_outcomes(passed=1)
    assert recorded(project, "stripe/checkout") == ["POST /v1/charges amount=2498", "GET /v1/customers/cus_2"]
    assert len(stripe.received) == 2

    suite(project, '''
@pytest.mark.recorder("stripe/checkout")
def test_checkout(recorder):
    charge(2498), customer("cus_2")
    assert [c.source for c in recorder.calls()] == ["network", "network"]
''')
    run(project, "--recorder-mode=record", target).assert_outcomes(passed=1)
    assert recorded(project, "stripe/checkout") == ["POST /v1/charges amount=2498", "GET /v1/customers/cus_2"]
    assert len(stripe.received) == 4


SHARED = '''
@pytest.mark.recorder("stripe/shared")
@pytest.mark.parametrize("amount", [1, 2, 3, 4])
def test_charge(amount):
    assert charge(amount).json()["amount"] == amount
'''


@pytest.mark.parametrize("mode", ["once", "record"])
def test_tests_sharing_a_marker_cassette_keep_each_others_calls(project: pytest.Pytester, stripe: StandIn,
                                                                mode: str) -> None:
    """once: the cassette the first test created is appended to, not refused; record: re-recording does
    not leave only the last test's calls."""
    suite(project, SHARED)
    run(project, "--recorder-mode=record", f"--recorder-target={stripe.url}").assert_outcomes(passed=4)
    run(project, f"--recorder-mode={mode}", f"--recorder-target={stripe.url}").assert_outcomes(passed=4)
    assert sorted(recorded(project, "stripe/shared")) == [f"POST /v1/charges amount={n}" for n in (1, 2, 3, 4)]
    run(project).assert_outcomes(passed=4)


def test_parallel_workers_recording_one_marker_cassette_keep_every_call(project: pytest.Pytester,
                                                                       stripe: StandIn) -> None:
    suite(project, SHARED)
    run(project, "-n", "2", "--recorder-mode=record", f"--recorder-target={stripe.url}").assert_outcomes(passed=4)
    assert sorted(recorded(project, "stripe/shared")) == [f"POST /v1/charges amount={n}" for n in (1, 2, 3, 4)]


def test_a_test_without_marker_records_its_own_cassettes(project: pytest.Pytester, stripe: StandIn) -> None:
    suite(project, '''
def test_fixture_only(recorder):
    assert customer("cus_9").json() == {"id": "cus_9"}
    recorder.assert_called(provider="stripe", times=1)

def test_plain():
    assert charge(5).json()["amount"] == 5
''')
    run(project, "--recorder-mode=once", f"--recorder-target={stripe.url}").assert_outcomes(passed=2)
    assert recorded(project, "stripe/test_suite/test_fixture_only") == ["GET /v1/customers/cus_9"]
    assert recorded(project, "stripe/test_suite/test_plain") == ["POST /v1/charges amount=5"]
    assert sorted(p.name for p in (project.path / "cassettes").iterdir()) == ["stripe"]  # only what was called
    run(project, "-k", "fixture_only").assert_outcomes(passed=1)  # and it replays
    assert len(stripe.received) == 2


# -- off, and no xdist ------------------------------------------------------------------------------------


def test_off_intercepts_nothing_and_the_fixture_says_why_it_cannot_answer(project: pytest.Pytester,
                                                                          stripe: StandIn) -> None:
    suite(project, f'''
@pytest.mark.recorder("stripe/checkout")
def test_live(recorder):
    assert http.client.HTTPConnection.__module__ == "http.client"  # not patched
    assert requests.get("{stripe.url}/v1/customers/cus_3", timeout=5).json() == {{"id": "cus_3"}}
    recorder.assert_not_called(provider="twilio")

@pytest.mark.recorder("stripe/checkout", mode="off")
def test_marker_off():
    assert http.client.HTTPConnection.__module__ == "http.client"
''')
    result = run(project, "--recorder-mode=off")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*recorder.assert_not_called: mode 'off' intercepts nothing, so there are no "
                                 "calls to check (use --recorder-mode=replay or a record mode)"])
    run(project, "-k", "marker_off").assert_outcomes(passed=1)  # the marker's own mode="off"
    assert seen(stripe) == ["GET /v1/customers/cus_3"]


def test_without_xdist_the_plugin_loads_and_replays(project: pytest.Pytester, stripe: StandIn) -> None:
    suite(project, CHECKOUT)
    run(project, "-p", "no:xdist", "--recorder-mode=once", f"--recorder-target={stripe.url}").assert_outcomes(passed=1)
    result = run(project, "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


# -- layers: [tool.recorder.replay] < marker < command line ---------------------------------------------


def test_the_mode_comes_from_the_command_line_else_the_marker_else_pyproject(project: pytest.Pytester,
                                                                           stripe: StandIn) -> None:
    project.makepyprojecttoml(f'[tool.recorder]\ncassettes = "cassettes"\n'
                              f'[tool.recorder.replay]\nmode = "once"\ntarget = "{stripe.url}"\n')
    suite(project, '''
@pytest.mark.recorder("stripe/a")
def test_pyproject_mode(recorder):
    assert charge(1).json()["amount"] == 1

@pytest.mark.recorder("stripe/b", mode="replay")
def test_marker_mode_over_pyproject():
    charge(2)
''')
    first = run(project)
    first.assert_outcomes(passed=1, errors=1)
    first.stdout.fnmatch_lines(["*stripe/b: no such cassette"])  # replayed, so it did not record
    assert seen(stripe) == ["POST /v1/charges amount=1"]

    suite(project, '''
@pytest.mark.recorder("stripe/a", mode="new")
def test_marker_new():
    assert charge(1).json()["amount"] == 1
    assert charge(3).json()["amount"] == 3
''')
    on_command_line = run(project, "--recorder-mode=replay")
    on_command_line.assert_outcomes(failed=1)
    on_command_line.stdout.re_match_lines([r".*body\.amount: recorded '?1'?, sent '?3'?"])  # a drift report
    assert len(stripe.received) == 1  # the command line's replay won over the marker's new

    run(project).assert_outcomes(passed=1)  # no mode on the command line: the marker's new records
    assert seen(stripe) == ["POST /v1/charges amount=1", "POST /v1/charges amount=3"]


def test_a_bad_target_on_the_command_line_is_a_usage_error(project: pytest.Pytester) -> None:
    suite(project, CHECKOUT)
    result = run(project, "--recorder-mode=once", "--recorder-target=stirpe=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*recorder: --target: 'stirpe' is not a provider being recorded*"])
