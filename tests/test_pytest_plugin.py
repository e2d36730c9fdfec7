"""The pytest plugin: marker, fixture, modes, strictness, summary; layered config.

Given a small test suite in a temporary project whose cassettes are real saleor recordings,
when pytest runs it with the recorder plugin, then the marked tests replay with no network.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS

AUTHORIZE = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_authorize.yaml"
pytestmark = pytest.mark.skipif(not AUTHORIZE.is_file(), reason=f"needs the corpus at {CORPUS}")

SUITE = '''
import pytest, requests

FORM = {"payment_method": "pm_card_pl", "amount": "4242", "currency": "usd", "confirmation_method": "manual",
        "confirm": "True", "capture_method": "automatic", "setup_future_usage": "on_session",
        "shipping[name]": "John Doe", "shipping[phone]": "+48713988102", "shipping[address][line1]": "Tęczowa 7",
        "shipping[address][line2]": "", "shipping[address][city]": "WROCŁAW", "shipping[address][state]": "",
        "shipping[address][postal_code]": "53-601", "shipping[address][country]": "Poland"}

@pytest.mark.recorder("stripe/authorize")
def test_marked(recorder):
    assert requests.post("https://api.stripe.com/v1/payment_intents", data=FORM).json()["amount"] == 4242
    recorder.assert_called(provider="stripe", times=1)

@pytest.mark.recorder("stripe/authorize")
def test_drift():
    requests.post("https://api.stripe.com/v1/payment_intents", data={**FORM, "amount": "100"})

@pytest.mark.recorder("stripe/unused")
def test_unused():
    pass

def test_default_cassette_by_test_name(recorder):
    assert requests.post("https://api.stripe.com/v1/payment_intents", data=FORM).status_code == 200
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.recorder]\ncassettes = 'cassettes'\n")
    (tmp_path / "cassettes/stripe/test_suite").mkdir(parents=True)
    shutil.copy(AUTHORIZE, tmp_path / "cassettes/stripe/authorize.yaml")
    shutil.copy(AUTHORIZE, tmp_path / "cassettes/stripe/unused.yaml")  # one test's: judged at that test
    shutil.copy(AUTHORIZE, tmp_path / "cassettes/stripe/test_suite/test_default_cassette_by_test_name.yaml")
    (tmp_path / "test_suite.py").write_text(SUITE)
    return tmp_path


def pytest_run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args, "test_suite.py"],
                          cwd=project, capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "1"})


def test_marked_and_default_cassettes_replay_and_a_miss_shows_the_drift(project: Path) -> None:
    done = pytest_run(project)
    out = done.stdout
    assert "PASSED test_suite.py::test_marked" in out
    assert "PASSED test_suite.py::test_default_cassette_by_test_name" in out
    assert "FAILED test_suite.py::test_drift" in out
    assert re.search(r"body\.amount: recorded '?4242'?, sent '?100'?", out)
    assert "PASSED test_suite.py::test_unused" in out and "never played" in out
    # stripe/authorize is shared and one of its tests failed: not judged (tests/test_shared_cassettes.py)
    assert "replayed 4 test(s) from 3 cassette(s); misses: 1; unused interactions: 1" in out


def test_strict_on_the_command_line_fails_unused_interactions(project: Path) -> None:
    done = pytest_run(project, "--recorder-strict", "-k", "unused")
    assert "ERROR at teardown of test_unused" in done.stdout and "UnusedInteractions" in done.stdout


def test_parallel_replay_under_xdist_adds_up_the_summary(project: Path) -> None:
    done = pytest_run(project, "-n", "2")
    assert "3 passed" in done.stdout and "1 failed" in done.stdout
    assert "replayed 4 test(s) from 3 cassette(s); misses: 1" in done.stdout


def test_a_fixture_test_without_a_cassette_is_told_where_its_own_would_be_and_how_to_record_it(
        project: Path) -> None:
    (project / "test_suite.py").write_text(
        "import requests\n\n"
        "def test_not_recorded_yet(recorder):\n"
        "    requests.get('https://api.stripe.com/v1/charges/ch_1')\n")
    done = pytest_run(project)
    assert "FAILED test_suite.py::test_not_recorded_yet" in done.stdout
    assert ("which no cassette or mock covers (this test has no cassette yet; its own would be "
            "cassettes/<provider>/test_suite/test_not_recorded_yet.yaml: record it with --recorder-mode=once)"
            in done.stdout)
