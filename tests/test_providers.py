"""Provider profiles are data: built-ins from TOML, the user's own from pyproject.toml."""
from __future__ import annotations

from pathlib import Path

import pytest

from recorder.config import load_project_config
from recorder.errors import BadInput
from recorder.providers import build_registry


def test_every_builtin_profile_extends_generic_with_its_own_rules() -> None:
    registry = build_registry()
    assert registry.names() == ["easypost", "generic", "github", "sendgrid", "shopify", "stripe", "twilio"]
    stripe = registry.get("stripe")
    assert stripe.api_version_header == "Stripe-Version"
    assert stripe.body_encoding == "form"
    # Generic credentials are never forgotten: Set-Cookie comes from generic, Stripe-Signature from stripe.
    assert {"authorization", "set-cookie", "stripe-signature"} <= {h.lower() for h in stripe.secrets.headers}
    assert stripe.is_volatile("x-stripe-client-user-agent") and stripe.is_volatile("date")


@pytest.mark.parametrize("host, expected", [
    ("api.stripe.com", "stripe"),
    ("API.STRIPE.COM:443", "stripe"),
    ("api.twilio.com", "twilio"),
    ("taskrouter.twilio.com", "twilio"),
    ("glossier-dev.myshopify.com", "shopify"),
    ("api.sendgrid.com", "sendgrid"),
    ("api.easypost.com", "easypost"),
    ("api.github.com", "github"),
    ("example.org", None),
    ("twilio.com.evil.example", None),
])
def test_hosts_map_to_their_provider_including_wildcards(host: str, expected: str | None) -> None:
    found = build_registry().for_host(host)
    assert (found.name if found else None) == expected


def test_a_pyproject_provider_is_added_and_extends_generic(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.recorder.providers.acme]\nhosts = ["*.acme.io"]\nbody_encoding = "json"\n'
        'api_version_header = "Acme-Version"\n[tool.recorder.providers.acme.secrets]\nheaders = ["X-Acme-Key"]\n')
    config = load_project_config(tmp_path)
    registry = build_registry(config.providers)
    acme = registry.for_host("eu.acme.io")
    assert acme is not None and acme.name == "acme"
    assert {"x-acme-key", "authorization"} <= {h.lower() for h in acme.secrets.headers}


def test_a_bad_profile_names_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        build_registry({"acme": {"hosts": ["api.acme.test"], "body_encoding": "xml"}}, "pyproject.toml")
    assert caught.value.one_line() == (
        "pyproject.toml:acme.body_encoding: body_encoding must be one of form, json, auto, not 'xml'")


def test_unknown_provider_is_bad_input_listing_the_known_ones() -> None:
    with pytest.raises(BadInput, match="unknown provider 'strip' .known: easypost, generic"):
        build_registry().get("strip")
