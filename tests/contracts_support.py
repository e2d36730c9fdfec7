"""Helpers for contract tests: the real specs in ../shared/specs, prepared once per test run.

Prepared specs go to one cache folder shared by all xdist workers (writes are atomic), so the
4 MB Stripe documents are converted once per run, not once per test.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from recorder.contracts.specset import SpecSet, build_spec_set
from conftest import SHARED

SPECS = SHARED / "specs"
STRIPE = {
    "2019-05-16": SPECS / "stripe" / "spec3.api-2019-05-16.c806fa1_2019-08-09.json",
    "2019-12-03": SPECS / "stripe" / "spec3.api-2019-12-03.d236f11_2020-02-28.json",
    "2020-08-27": SPECS / "stripe" / "spec3.api-2020-08-27.v127_2022-04-12.json",
    "2023-08-16": SPECS / "stripe" / "spec3.api-2023-08-16.v524_2023-09-12.DERIVED-from-yaml.json",
}
STRIPE_FIXTURES_2023 = SPECS / "stripe" / "fixtures3.api-2023-08-16.v524_2023-09-12.json"
TWILIO = [SPECS / "twilio" / "twilio_api_v2010.json", SPECS / "twilio" / "twilio_taskrouter_v1.json"]
SENDGRID = [SPECS / "sendgrid" / "tsg_mail_v3.json", SPECS / "sendgrid" / "tsg_lmc_contactdb_v3.json"]
GITHUB = SPECS / "github" / "api.github.com.json"
STRIPE_CORPUS = SHARED / "corpus" / "cassettes" / "stripe"


def need_specs() -> None:
    if not SPECS.is_dir():
        pytest.skip(f"needs the provider specs at {SPECS}, which are absent")


def use_shared_cache(base: Path) -> None:
    os.environ["RECORDER_CACHE_DIR"] = str(base / "recorder-spec-cache")


def spec_set(*options: tuple[str, Path]) -> SpecSet:
    return build_spec_set(list(options))


def all_specs() -> SpecSet:
    """Every provider spec we have, Stripe in all four API versions."""
    options: list[tuple[str, Path]] = [("stripe", path) for path in STRIPE.values()]
    options += [("twilio", p) for p in TWILIO] + [("sendgrid", p) for p in SENDGRID] + [("github", GITHUB)]
    return spec_set(*options)
