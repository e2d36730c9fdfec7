"""Recording with the pytest plugin: what a run writes, where, and what the next run plays.

Given the small project of ``test_pytest_plugin_modes`` (pyproject, mock files) and a stand-in on
127.0.0.1 answering Stripe and Twilio (``--recorder-target``), when pytest runs a suite in it
(``pytester``, in-process), then:

- a cassette this run already wrote is appended to, whatever the mode and whatever the marker's
  other cassettes are, serially and across xdist workers;
- every test gets a default cassette of its own (test file path from the rootdir, parameter ids
  that never collide), and two tests that would still share one are failed, not overwritten;
- a test with neither marker nor fixture replays what a record run wrote for it;
- ``once`` on an existing cassette is replay (unused interactions, ``--recorder-strict``);
- the summary counts tests recorded and replayed, and distinct cassettes, across workers.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from standin import StandIn, json_reply
from test_pytest_plugin_modes import project, recorded, run, suite  # noqa: F401 - project is a fixture

pytest_plugins = ["pytester"]


@pytest.fixture
def sandbox() -> Iterator[StandIn]:
    """Echoes the amount charged and the SMS body sent."""
    server = StandIn()
    server.route("POST", r"/v1/charges", lambda got: json_reply(200, {"amount": int(got.form()["amount"])}))
    server.route("POST", r"/2010-04-01/Accounts/\w+/Messages.json",
                 lambda got: json_reply(201, {"body": got.form()["Body"]}))
    with server:
        yield server


def sms(text: str) -> str:
    return f'requests.post(TWILIO, data={{"Body": "{text}"}}, timeout=5).json()["body"] == "{text}"'


# -- 1. a cassette this run wrote is appended to ---------------------------------------------------------

FLOW = f'''
@pytest.mark.recorder("stripe/flow", "twilio/flow")
def test_a_declined():
    assert charge(1).json()["amount"] == 1

@pytest.mark.recorder("stripe/flow", "twilio/flow")
def test_b_paid():
    assert charge(2).json()["amount"] == 2
    assert {sms("paid")}
'''


def test_re_recording_keeps_an_earlier_tests_calls_when_the_markers_other_cassette_is_old(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    """The second record run finds twilio/flow old and stripe/flow written by test_a: stripe/flow is
    appended to by test_b, not re-recorded from empty."""
    suite(project, FLOW)
    for _ in range(2):
        run(project, "--recorder-mode=record", f"--recorder-target={sandbox.url}").assert_outcomes(passed=2)
    assert recorded(project, "stripe/flow") == ["POST /v1/charges amount=1", "POST /v1/charges amount=2"]
    assert recorded(project, "twilio/flow") == ["POST /2010-04-01/Accounts/AC1/Messages.json Body=paid"]
    run(project).assert_outcomes(passed=2)


MIXED = '''
@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.recorder("stripe/old", "twilio/shared")
def test_sms(n):
    assert requests.post(TWILIO, data={"Body": f"hello {n}"}, timeout=5).json()["body"] == f"hello {n}"
'''


@pytest.mark.parametrize("mode", ["record", "once"])
def test_parallel_workers_keep_each_others_calls_beside_an_old_cassette(project: pytest.Pytester,
                                                                       sandbox: StandIn, mode: str) -> None:
    """stripe/old exists from an earlier run, twilio/shared does not: under -n 2 each of the four
    tests adds its SMS to twilio/shared (once: not refused as "already exists")."""
    suite(project, '''
@pytest.mark.recorder("stripe/old")
def test_old():
    assert charge(9).json()["amount"] == 9
''')
    run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    suite(project, MIXED)
    run(project, "-n", "2", f"--recorder-mode={mode}", f"--recorder-target={sandbox.url}").assert_outcomes(passed=4)
    assert sorted(recorded(project, "twilio/shared")) == [
        f"POST /2010-04-01/Accounts/AC1/Messages.json Body=hello+{n}" for n in (1, 2, 3, 4)]
    run(project).assert_outcomes(passed=4)


# -- 2. default cassettes are unique --------------------------------------------------------------------

OWN = '''
import pytest, requests

@pytest.mark.parametrize("note", ["usd eur", "usd-eur"])
def test_charge(recorder, note):
    sent = requests.post("https://api.stripe.com/v1/charges", data={"amount": AMOUNT, "description": note}, timeout=5)
    assert sent.json()["amount"] == AMOUNT
'''


def test_same_named_tests_in_two_folders_and_look_alike_ids_get_cassettes_of_their_own(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    for folder, amount in (("unit", 1), ("integration", 2)):
        (project.path / "tests" / folder).mkdir(parents=True)
        (project.path / "tests" / folder / "__init__.py").write_text("")
        (project.path / "tests" / folder / "test_pay.py").write_text(f"AMOUNT = {amount}\n{OWN}")
    (project.path / "tests/__init__.py").write_text("")
    run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=4)
    digest = hashlib.sha1(b"usd eur").hexdigest()[:6]
    for folder, amount in (("unit", 1), ("integration", 2)):
        for param, note in ((f"usd-eur-{digest}", "usd+eur"), ("usd-eur", "usd-eur")):
            assert recorded(project, f"stripe/tests/{folder}/test_pay/test_charge-{param}") == [
                f"POST /v1/charges amount={amount}&description={note}"]
    run(project).assert_outcomes(passed=4)
    assert len(sandbox.received) == 4


def test_a_cassette_recorded_under_the_earlier_layout_still_replays(project: pytest.Pytester,
                                                                    sandbox: StandIn) -> None:
    """``<provider>/<file stem>/<test>.yaml`` was the default before the file's folders were part of it."""
    (project.path / "tests").mkdir()
    (project.path / "tests/test_pay.py").write_text(f"AMOUNT = 7\n{OWN}".replace('"usd-eur"]', "]"))
    run(project, "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    legacy = project.path / "cassettes/stripe/test_pay"
    (project.path / "cassettes/stripe/tests/test_pay").rename(legacy)
    digest = hashlib.sha1(b"usd eur").hexdigest()[:6]
    assert [p.name for p in legacy.iterdir()] == [f"test_charge-usd-eur-{digest}.yaml"]
    next(legacy.iterdir()).rename(legacy / "test_charge-usd-eur.yaml")  # the earlier id, too
    run(project).assert_outcomes(passed=1)
    assert len(sandbox.received) == 1


def test_two_tests_that_would_still_share_a_default_cassette_fail_instead_of_overwriting(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    """``a b/`` and ``a-b/`` make the same safe folder name: neither test records, both say why."""
    for folder in ("a b", "a-b"):
        (project.path / folder).mkdir()
        (project.path / folder / "test_x.py").write_text(OWN.replace("AMOUNT", "3").replace('"usd-eur"]', "]"))
    result = run(project, "--import-mode=importlib", "--recorder-mode=record", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*a b/test_x.py::test_charge*: recorder: its default cassette "
                                 "<provider>/a-b/test_x/test_charge-usd-eur-*.yaml is also a-b/test_x.py::*"])
    assert not (project.path / "cassettes").exists() and not sandbox.received


# -- 4, 5, 6: once is replay, unmarked tests replay their own cassettes, the summary ---------------------

PLAIN = '''
def test_plain():
    assert charge(5).json()["amount"] == 5

def test_own(recorder):
    assert charge(6).json()["amount"] == 6
'''


def test_a_plain_test_replays_what_record_mode_wrote_for_it_and_the_summary_says_what_happened(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    suite(project, PLAIN)
    first = run(project, "-k", "plain", "--recorder-mode=record", f"--recorder-target={sandbox.url}")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["recorded 1 test(s) into 1 cassette(s); misses: 0; unused interactions: 0"])
    replayed = run(project, "-k", "plain")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["replayed 1 test(s) from 1 cassette(s); misses: 0; unused interactions: 0"])
    assert len(sandbox.received) == 1  # the second run did not go out


def test_once_on_an_existing_own_cassette_is_replay_with_unused_interactions_and_strictness(
        project: pytest.Pytester, sandbox: StandIn) -> None:
    suite(project, PLAIN)
    run(project, "-k", "own", "--recorder-mode=once", f"--recorder-target={sandbox.url}").assert_outcomes(passed=1)
    suite(project, PLAIN.replace("assert charge(6)", "pass  #"))
    result = run(project, "-k", "own", "--recorder-mode=once", "--recorder-strict", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*UnusedInteractions: 1 recorded interaction(s) never played*",
                                 "replayed 1 test(s) from 1 cassette(s); misses: 0; unused interactions: 1"])


def test_the_summary_counts_distinct_cassettes_across_workers(project: pytest.Pytester, sandbox: StandIn) -> None:
    suite(project, '''
@pytest.mark.recorder("stripe/shared")
@pytest.mark.parametrize("amount", [1, 2, 3, 4])
def test_charge(amount):
    assert charge(amount).json()["amount"] == amount
''')
    result = run(project, "-n", "2", "--recorder-mode=record", f"--recorder-target={sandbox.url}")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["recorded 4 test(s) into 1 cassette(s); misses: 0; unused interactions: 0"])
