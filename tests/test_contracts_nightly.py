"""The nightly job end to end: pull and pin from a server, diff against the provider's newer spec,
validate against it, accept it. The "provider" is ../shared/specs served from 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contracts_support import SPECS, STRIPE, STRIPE_CORPUS, need_specs

SALEOR = ["test_capture", "test_refund", "test_authorize_and_save_customer_id"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def provider_site() -> Iterator[str]:
    """../shared/specs over HTTP on a random loopback port."""
    need_specs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(SPECS)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with three saleor cassettes and nothing pinned yet."""
    need_specs()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    cassettes = tmp_path / "cassettes" / "stripe"
    cassettes.mkdir(parents=True)
    for name in SALEOR:
        shutil.copy(STRIPE_CORPUS / f"saleor__saleor__test_stripe--{name}.yaml", cassettes)
    return tmp_path


def recorder(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECORDER_CACHE_DIR": str(cwd / ".cache")}
    env.pop("HTTP_PROXY", None), env.pop("http_proxy", None)
    return subprocess.run([sys.executable, "-m", "recorder", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=180)


def url(site: str, version: str) -> str:
    return f"{site}/stripe/{STRIPE[version].name}"


def test_pull_pins_a_sorted_slice_of_the_operations_in_use_with_its_lock(project: Path, provider_site: str) -> None:
    done = recorder("contracts", "pull", "--provider", "stripe", "--source", url(provider_site, "2019-05-16"),
                    "--version", "2019-05-16", cwd=project)
    assert done.returncode == 0, done.stderr
    lock = json.loads((project / "contracts" / "stripe" / "lock.json").read_text())
    assert lock["version"] == "2019-05-16" and lock["source"].startswith("http://127.0.0.1:")
    assert lock["operations"] == ["GET /v1/payment_intents/{intent}", "POST /v1/charges/{charge}/refund",
                                  "POST /v1/customers", "POST /v1/payment_intents",
                                  "POST /v1/payment_intents/{intent}/capture"]
    assert lock["size"] == STRIPE["2019-05-16"].stat().st_size
    contract = project / "contracts" / "stripe" / "contract.json"
    assert contract.stat().st_size < STRIPE["2019-05-16"].stat().st_size / 3
    # ... and verify-contracts, without --spec, uses it: the saleor cassettes are clean against it.
    done = recorder("verify-contracts", cwd=project)
    assert done.returncode == 0 and "no contract errors" in done.stdout


def test_pull_refuses_a_wrong_version_or_a_dead_source_and_writes_nothing(project: Path, provider_site: str) -> None:
    done = recorder("contracts", "pull", "--provider", "stripe", "--source", url(provider_site, "2019-05-16"),
                    "--version", "2020-08-27", cwd=project)
    assert done.returncode == 2 and "serves API version '2019-05-16', not '2020-08-27'" in done.stderr
    done = recorder("contracts", "pull", "--provider", "stripe", "--source", provider_site + "/nope.json", cwd=project)
    assert done.returncode == 2 and "HTTP 404" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (project / "contracts").exists()


def test_diff_classifies_changes_and_names_the_cassettes_that_touch_them(project: Path, provider_site: str) -> None:
    recorder("contracts", "pull", "--provider", "stripe", "--source", url(provider_site, "2019-12-03"), cwd=project)
    out = project / "diff.json"
    done = recorder("contracts", "diff", "--provider", "stripe", "--to", str(STRIPE["2020-08-27"]),
                    "--format", "json", "--output", str(out), cwd=project)
    assert done.returncode == 1  # something breaking
    findings = json.loads(out.read_text())["findings"]
    removed = [f for f in findings if f["rule"] == "request-field-removed" and f["location"].endswith("save_payment_method")]
    assert removed and removed[0]["severity"] == "error"
    assert any("test_authorize_and_save_customer_id" in user for user in removed[0]["touched_by"])


def test_the_nightly_job_reports_provider_drift_and_update_accepts_it(project: Path, provider_site: str) -> None:
    recorder("contracts", "pull", "--provider", "stripe", "--source", url(provider_site, "2019-05-16"), cwd=project)
    out = project / "nightly.html"
    done = recorder("verify-contracts", "--latest", "--spec", f"stripe={url(provider_site, '2023-08-16')}",
                    "--format", "html", "--output", str(out), cwd=project)
    assert done.returncode == 1, done.stderr  # payment_intent.charges was removed: breaking
    page = out.read_text()
    assert "response-field-removed" in page and "/charges" in page
    done = recorder("contracts", "update", cwd=project)
    # update re-fetches from the profile's URL, which the test machine cannot reach: one clear line.
    assert done.returncode == 2 and "cannot fetch the spec" in done.stderr
    done = recorder("contracts", "pull", "--provider", "stripe", "--source", url(provider_site, "2023-08-16"),
                    cwd=project)
    assert done.returncode == 0
    assert json.loads((project / "contracts" / "stripe" / "lock.json").read_text())["version"] == "2023-08-16"
