"""``recorder record -- pytest``: one cassette per test (a marked test: its marker's), written safely even
from parallel processes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml
from standin import StandIn, json_reply

SUITE = '''
import requests

def test_charge():
    assert requests.post("https://api.stripe.com/v1/charges", data={"amount": 2498}).json()["amount"] == 2498

class TestRefunds:
    def test_refund(self):
        assert requests.post("https://api.stripe.com/v1/refunds", data={"charge": "ch_1"}).status_code == 200

def test_local_only():
    assert True
'''


def charge_standin() -> StandIn:
    standin = StandIn()
    standin.route("POST", r"/v1/charges", lambda got: json_reply(200, {"id": "ch_1", "amount": 2498}))
    standin.route("POST", r"/v1/refunds", lambda got: json_reply(200, {"id": "re_1", "charge": "ch_1"}))
    return standin


def record(project: Path, target: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recorder", "record", "--provider", "stripe", "--target", target,
         "--block-network", "--", *command],
        cwd=project, capture_output=True, text=True, timeout=180, env={**os.environ, "CI": "1"})


def test_each_test_gets_its_own_cassette_named_after_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.recorder]\ncassettes = "recorded"\n')
    (tmp_path / "test_pay.py").write_text(SUITE)
    with charge_standin() as standin:
        done = record(tmp_path, standin.url, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                      "test_pay.py")
    assert done.returncode == 0, done.stdout + done.stderr
    charge = yaml.safe_load((tmp_path / "recorded/stripe/test_pay/test_charge.yaml").read_text())
    refund = yaml.safe_load((tmp_path / "recorded/stripe/test_pay/TestRefunds.test_refund.yaml").read_text())
    assert charge["interactions"][0]["request"]["uri"] == "https://api.stripe.com/v1/charges"
    assert refund["interactions"][0]["request"]["uri"] == "https://api.stripe.com/v1/refunds"
    assert not (tmp_path / "recorded/stripe/test_pay/test_local_only.yaml").exists()
    assert "wrote" in done.stderr and "test_charge.yaml (1 new, 1 total)" in done.stderr


def test_parallel_workers_record_without_losing_a_cassette(tmp_path: Path) -> None:
    (tmp_path / "test_pay.py").write_text(SUITE)
    with charge_standin() as standin:
        done = record(tmp_path, standin.url, sys.executable, "-m", "pytest", "-q", "-n", "2",
                      "-p", "no:cacheprovider", "test_pay.py")
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in (tmp_path / "cassettes/stripe/test_pay").iterdir())
    assert names == ["TestRefunds.test_refund.yaml", "test_charge.yaml"]


def test_processes_appending_to_one_cassette_keep_each_others_calls(tmp_path: Path) -> None:
    """Two programs record into the same cassette at once (mode new): the lock and re-read keep both."""
    program = textwrap.dedent('''
        import sys, time, requests
        for i in range(5):
            requests.post("https://api.stripe.com/v1/charges", data={"amount": int(sys.argv[1]) + i})
            time.sleep(0.01)
    ''')
    (tmp_path / "app.py").write_text(program)
    with charge_standin() as standin:
        runs = [subprocess.Popen(
            [sys.executable, "-m", "recorder", "record", "--provider", "stripe", "--target", standin.url,
             "--mode", "new", "--name", "shared", "--", sys.executable, "app.py", str(start)],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"})
            for start in (100, 200)]
        for run in runs:
            assert run.wait(timeout=120) == 0, run.stderr.read()
    interactions = yaml.safe_load((tmp_path / "cassettes/stripe/shared.yaml").read_text())["interactions"]
    amounts = sorted(int(i["request"]["body"].split("=")[1]) for i in interactions)
    assert amounts == [100, 101, 102, 103, 104, 200, 201, 202, 203, 204]


def test_marked_tests_record_into_the_marker_cassette_and_the_fixture_sees_the_calls(tmp_path: Path) -> None:
    """Under ``recorder record -- pytest`` a marked test records into its marker's cassette (not a
    per-test one), a fixture-only test into its own, both reported; the next plain run replays them."""
    (tmp_path / "test_pay.py").write_text(textwrap.dedent('''
        import pytest, requests

        @pytest.mark.recorder("stripe/checkout")
        def test_marked(recorder):
            assert requests.post("https://api.stripe.com/v1/charges", data={"amount": 2498}).json()["amount"] == 2498
            recorder.assert_called(provider="stripe", path="/v1/charges", times=1)

        def test_own(recorder):
            assert requests.post("https://api.stripe.com/v1/refunds", data={"charge": "ch_1"}).status_code == 200
            recorder.assert_called(provider="stripe", path="/v1/refunds", times=1)
    '''))
    pytest_command = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_pay.py")
    with charge_standin() as standin:
        done = record(tmp_path, standin.url, *pytest_command)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checkout.yaml (1 new, 1 total)" in done.stderr and "test_own.yaml (1 new, 1 total)" in done.stderr
    marked = yaml.safe_load((tmp_path / "cassettes/stripe/checkout.yaml").read_text())["interactions"]
    own = yaml.safe_load((tmp_path / "cassettes/stripe/test_pay/test_own.yaml").read_text())["interactions"]
    assert [i["request"]["uri"] for i in marked + own] == ["https://api.stripe.com/v1/charges",
                                                          "https://api.stripe.com/v1/refunds"]
    assert not (tmp_path / "cassettes/stripe/test_pay/test_marked.yaml").exists()
    replayed = subprocess.run(pytest_command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0 and "2 passed" in replayed.stdout, replayed.stdout
