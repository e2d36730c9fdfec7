"""Tests sharing a marker cassette: its unused interactions are judged across them, at the end of the run.

Given two tests that name one cassette, each making a different call, recorded against a stand-in
on 127.0.0.1, when the suite replays (serially and under xdist ``-n 2``), then:

- every interaction some test played is used: no warning, and ``--recorder-strict`` passes;
- an interaction no test played is reported once, naming the cassette, the tests and the
  interaction; with ``--recorder-strict`` the run fails (exit code 1) though every test passed;
- a run of only some of the sharing tests (``-k``) judges nothing, and says so;
- the unused-interactions warning points at the user's code, not at recorder's.
"""
from __future__ import annotations

import pytest
from standin import StandIn
from test_pytest_plugin_modes import project, run, stripe, suite  # noqa: F401 - fixtures

pytest_plugins = ["pytester"]

SHARED = '''
@pytest.mark.recorder("stripe/shared")
def test_shared_a():
    assert charge(1).json()["amount"] == 1

@pytest.mark.recorder("stripe/shared")
def test_shared_b():
    assert customer("cus_1").json()["id"] == "cus_1"
'''
ALONE = '''
@pytest.mark.recorder("stripe/shared")
def test_marked():
    assert charge(1).json()["amount"] == 1
'''
WORKERS = pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
UNUSED_B = "*stripe/shared.yaml, shared by test_suite.py::test_shared_a, test_suite.py::test_shared_b: " \
           "1 recorded interaction(s) never played by any of them:"


def recorded_shared(project: pytest.Pytester, stripe: StandIn, *workers: str) -> None:
    suite(project, SHARED)
    run(project, *workers, "--recorder-mode=record", f"--recorder-target={stripe.url}").assert_outcomes(passed=2)


@WORKERS
def test_each_interaction_played_by_some_sharing_test_is_used(project: pytest.Pytester, stripe: StandIn,
                                                              workers: tuple[str, ...]) -> None:
    recorded_shared(project, stripe, *workers)
    result = run(project, *workers, "--recorder-strict")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["replayed 2 test(s) from 1 cassette(s); misses: 0; unused interactions: 0"])
    result.stdout.no_fnmatch_line("*never played*")


@WORKERS
def test_an_interaction_no_sharing_test_played_fails_the_strict_run_once(project: pytest.Pytester, stripe: StandIn,
                                                                         workers: tuple[str, ...]) -> None:
    recorded_shared(project, stripe, *workers)
    suite(project, SHARED.replace('assert customer("cus_1")', 'pass  #'))
    result = run(project, *workers, "--recorder-strict")
    result.assert_outcomes(passed=2)  # no test is to blame: the run is
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["replayed 2 test(s) from 1 cassette(s); misses: 0; unused interactions: 1",
                                 f"recorder: UnusedInteractions (strict): {UNUSED_B}",
                                 "*stripe/shared.yaml interaction ?: GET https://api.stripe.com/v1/customers/cus_1"])


def test_without_strict_an_unplayed_shared_interaction_is_one_warning(project: pytest.Pytester,
                                                                      stripe: StandIn) -> None:
    recorded_shared(project, stripe)
    suite(project, SHARED.replace('assert customer("cus_1")', 'pass  #'))
    result = run(project)
    result.assert_outcomes(passed=2, warnings=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*stripe/shared.yaml:1: UnusedInteractionsWarning: *" + UNUSED_B[1:],
                                 "replayed 2 test(s) from 1 cassette(s); misses: 0; unused interactions: 1"])


@WORKERS
def test_a_run_of_some_of_the_sharing_tests_judges_nothing_and_says_so(project: pytest.Pytester, stripe: StandIn,
                                                                       workers: tuple[str, ...]) -> None:
    recorded_shared(project, stripe)
    result = run(project, *workers, "--recorder-strict", "-k", "test_shared_a")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["replayed 1 test(s) from 1 cassette(s); misses: 0; unused interactions: 0",
                                 "*stripe/shared.yaml: unused interactions not judged: shared by 2 tests, "
                                 "of which test_suite.py::test_shared_b did not run or did not pass"])


def test_a_cassette_one_test_uses_still_fails_that_test(project: pytest.Pytester, stripe: StandIn) -> None:
    recorded_shared(project, stripe)
    suite(project, ALONE)
    result = run(project, "--recorder-strict")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_marked*", "*UnusedInteractions: 1 recorded*"])


def test_the_warning_points_at_the_test_or_the_users_with_line(project: pytest.Pytester, stripe: StandIn) -> None:
    recorded_shared(project, stripe)
    suite(project, ALONE + '''
import recorder

def test_with_block():
    with recorder.replay("stripe/shared"):
        assert charge(1).json()["amount"] == 1
''')
    lines = project.path.joinpath("test_suite.py").read_text().splitlines()
    marked, block = (lines.index(code) + 1 for code in ('@pytest.mark.recorder("stripe/shared")',
                                                        '    with recorder.replay("stripe/shared"):'))
    result = run(project)
    result.assert_outcomes(passed=2, warnings=2)
    result.stdout.fnmatch_lines([f"*test_suite.py:{marked}: UnusedInteractionsWarning: 1 recorded*",  # the test
                                 f"*test_suite.py:{block}: UnusedInteractionsWarning: 1 recorded*"])
