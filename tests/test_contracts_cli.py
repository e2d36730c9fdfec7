"""``recorder verify-contracts`` from the command line: formats, exit codes, bad input."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contracts_support import STRIPE, STRIPE_CORPUS, need_specs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _specs(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()


def recorder(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECORDER_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "recorder", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp().parent / "recorder-spec-cache"


def test_clean_cassettes_exit_0_and_json_keeps_the_published_keys(tmp_path: Path, cache: Path) -> None:
    out = tmp_path / "report.json"
    done = recorder("verify-contracts", str(STRIPE_CORPUS / "saleor__saleor__test_stripe--test_refund.yaml"),
                    "--spec", f"stripe={STRIPE['2019-05-16']}", "--format", "json", "--output", str(out),
                    cwd=tmp_path, cache=cache)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert list(data["summary"]) == ["files", "interactions", "validated", "skipped", "findings", "errors",
                                     "warnings", "duration_s"]
    assert data["summary"]["errors"] == 0 and data["summary"]["validated"] == 2
    for finding in data["findings"]:
        assert list(finding)[:12] == ["source", "interaction", "provider", "operation", "method", "path", "status",
                                      "part", "location", "rule", "message", "severity"]


def test_warnings_fail_only_with_fail_on_warning(tmp_path: Path, cache: Path) -> None:
    args = ["verify-contracts", str(STRIPE_CORPUS / "saleor__saleor__test_stripe--test_refund.yaml"),
            "--spec", f"stripe={STRIPE['2019-05-16']}"]
    assert recorder(*args, cwd=tmp_path, cache=cache).returncode == 0
    assert recorder(*args, "--fail-on", "warning", cwd=tmp_path, cache=cache).returncode == 1


def test_a_broken_mock_exits_1_with_a_junit_failure_for_its_file(tmp_path: Path, cache: Path) -> None:
    mocks = tmp_path / "mocks"
    mocks.mkdir()
    shutil.copy(ROOT / "mocks" / "mock-stripe-card-declined.yaml", mocks)
    (mocks / "charge.yaml").write_text("type: MOCK\nname: c\nmockTarget: api.stripe.com\nmockPath: /v1/charges\n"
                                       "mockMethod: POST\nmockResponseBody:\n  id: ch_1\n  object: charge\n"
                                       "  amount: lots\n")
    out = tmp_path / "junit.xml"
    done = recorder("verify-contracts", str(mocks), "--spec", f"stripe={STRIPE['2023-08-16']}",
                    "--format", "junit", "--output", str(out), cwd=tmp_path, cache=cache)
    assert done.returncode == 1
    cases = {case.get("name"): case for case in ET.parse(out).getroot().iter("testcase")}
    failing = [name for name, case in cases.items() if case.find("failure") is not None]
    assert failing == ["mocks/charge.yaml"]
    assert "/body/amount" in (cases["mocks/charge.yaml"].find("failure").text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt, marker", [("text", "Contract check"), ("markdown", "|"), ("html", "<!DOCTYPE html>")])
def test_every_format_renders(fmt: str, marker: str, tmp_path: Path, cache: Path) -> None:
    done = recorder("verify-contracts", str(ROOT / "mocks"), "--spec", f"stripe={STRIPE['2023-08-16']}",
                    "--format", fmt, cwd=tmp_path, cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert marker in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--spec", "stripe"], "recorder: --spec: expected PROVIDER=PATH_OR_URL, got 'stripe'"),
    (["--spec", "stripee=x.json"], "recorder: --provider: unknown provider 'stripee'"),
    (["--spec", "stripe=missing.json"], "recorder: missing.json: no such spec file"),
    (["--format", "pdf"], "recorder: --format: expected one of text, json, junit, markdown, html, not 'pdf'"),
    (["--fail-on", "info"], "recorder: --fail-on: expected error or warning, not 'info'"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path, cache: Path) -> None:
    done = recorder("verify-contracts", str(ROOT / "mocks"), *args, cwd=tmp_path, cache=cache)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr


def test_a_spec_that_is_not_openapi_names_the_file(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "swagger.json").write_text('{"swagger": "2.0", "paths": {}}')
    (tmp_path / "broken.yaml").write_text("openapi: 3.0.0\npaths: [\n")
    done = recorder("verify-contracts", str(ROOT / "mocks"), "--spec", "stripe=swagger.json", cwd=tmp_path, cache=cache)
    assert done.returncode == 2 and "swagger.json: not an OpenAPI document: no 'openapi' key (Swagger 2.0" in done.stderr
    done = recorder("verify-contracts", str(ROOT / "mocks"), "--spec", "stripe=broken.yaml", cwd=tmp_path, cache=cache)
    assert done.returncode == 2 and done.stderr.startswith("recorder: broken.yaml:line ")
    assert "Traceback" not in done.stderr


def test_without_spec_and_without_pinned_contracts_says_how_to_get_them(tmp_path: Path, cache: Path) -> None:
    done = recorder("verify-contracts", str(ROOT / "mocks"), cwd=tmp_path, cache=cache)
    assert done.returncode == 2 and "recorder contracts pull" in done.stderr
