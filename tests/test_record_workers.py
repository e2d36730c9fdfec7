"""``recorder record`` over a whole process tree, and what it says when recording goes wrong.

Given a plain program whose provider calls run in ``multiprocessing`` workers (fork and spawn;
pool workers end by ``os._exit`` or SIGTERM and never run ``atexit``), when it runs under
``recorder record``, then every call is in the cassette, scrubbed, and a second run in mode
``once`` replays all of them. When a process cannot start recording, or a cassette is refused
for a secret, ``record`` exits non-zero and says so once.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from standin import StandIn, json_reply

KEY = "sk_test_51Hq2bTLqP9cV3xYzAbCdEfGh7JkLmNoPqRsTuV"

WORKERS = f"""
    import multiprocessing as mp, sys, requests
    H = {{"Authorization": "Bearer {KEY}"}}

    def work(i):
        return requests.post("https://api.stripe.com/v1/customers", data={{"email": f"u{{i}}@x.io"}},
                             headers=H).json()["email"]

    if __name__ == "__main__":
        mp.set_start_method(sys.argv[1])
        worker = mp.Process(target=work, args=(9,))
        worker.start(); worker.join()
        with mp.Pool(2) as pool:
            print(sorted(pool.map(work, range(3))))
        requests.post("https://api.stripe.com/v1/charges", data={{"amount": 1}}, headers=H)
"""


@pytest.fixture
def standin():
    server = StandIn()
    server.route("POST", r"/v1/customers", lambda got: json_reply(200, {"id": "cus_1", "email": got.form()["email"]}))
    server.route("POST", r"/v1/charges", lambda got: json_reply(200, {"id": "ch_1", **got.form()}))
    with server:
        yield server


def record(tmp_path: Path, standin: StandIn, script: str, *args: str, mode: str = "once",
           name: str = "app") -> subprocess.CompletedProcess[str]:
    program = tmp_path / "app.py"
    program.write_text(textwrap.dedent(script))
    command = [sys.executable, "-m", "recorder", "record", "--provider", "stripe", "--target", standin.url,
               "--cassettes", str(tmp_path / "cassettes"), "--mode", mode, "--name", name,
               "--", sys.executable, str(program), *args]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "1"})


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_calls_made_in_worker_processes_are_recorded(tmp_path: Path, standin: StandIn, start_method: str) -> None:
    done = record(tmp_path, standin, WORKERS, start_method, name=start_method)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    cassette = tmp_path / "cassettes" / "stripe" / f"{start_method}.yaml"
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    bodies = sorted(i["request"]["body"] for i in interactions)
    assert bodies == ["amount=1", "email=u0%40x.io", "email=u1%40x.io", "email=u2%40x.io", "email=u9%40x.io"]
    assert KEY not in cassette.read_text()
    assert done.stderr.count("recorder: wrote") == 1 and "(5 new, 5 total)" in done.stderr

    again = record(tmp_path, standin, WORKERS, start_method, name=start_method)
    assert again.returncode == 0, again.stderr
    assert len(standin.received) == 5  # mode once: the second run is replayed, workers included
    assert "no provider calls were recorded" in again.stderr


def test_a_process_that_cannot_start_recording_makes_record_fail(tmp_path: Path, standin: StandIn) -> None:
    broken = tmp_path / "cassettes" / "stripe" / "app.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("interactions: [\n")
    done = record(tmp_path, standin, "print('ran')", mode="new")
    assert done.returncode == 1
    assert done.stdout == "ran\n"
    failures = [line for line in done.stderr.splitlines() if "could not start recording" in line]
    assert len(failures) == 1 and str(broken) in failures[0]


def test_a_refused_cassette_is_reported_once(tmp_path: Path, standin: StandIn) -> None:
    leak = 'import requests\nrequests.post("https://api.stripe.com/v1/charges", data={"note": "sk_live_' \
           '51Hq2bTLqP9cV3xYzAbCdEfGh7JkLmNoPqRsTuV"})\n'
    done = record(tmp_path, standin, leak)
    assert done.returncode == 1
    assert done.stderr.count("refusing to write") == 1
    assert "51Hq2bTLqP9cV3xYzAbCdEfGh7JkLmNoPqRsTuV" not in done.stderr
    assert not (tmp_path / "cassettes" / "stripe" / "app.yaml").exists()
