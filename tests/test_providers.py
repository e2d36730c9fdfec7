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


def test_a_pyproject_table_for_a_builtin_provider_is_laid_over_it_key_by_key() -> None:
    """``[tool.recorder.providers.stripe]`` with only match options keeps Stripe's hosts and secret rules."""
    stripe = build_registry({"stripe": {"ignore_fields": ["metadata.order_id"],
                                        "match_headers": ["Stripe-Version"]}}).get("stripe")
    assert stripe.ignore_fields == ("metadata.order_id",) and stripe.match_headers == ("Stripe-Version",)
    assert "api.stripe.com" in stripe.hosts and stripe.body_encoding == "form"
    assert "stripe-signature" in {h.lower() for h in stripe.secrets.headers}
    assert stripe.source == "pyproject.toml"
    # A secrets sub-key replaces that list only; the others stay Stripe's.
    stripe = build_registry({"stripe": {"secrets": {"query": ["my_key"]}}}).get("stripe")
    assert "my_key" in stripe.secrets.query and "key" not in stripe.secrets.query
    assert "ephemeral_key" in stripe.secrets.body_fields


def test_match_options_are_lists_of_strings_named_on_error() -> None:
    with pytest.raises(BadInput) as caught:
        build_registry({"stripe": {"ignore_fields": [1]}}, "pyproject.toml")
    assert caught.value.one_line() == "pyproject.toml:stripe.ignore_fields: expected a list of strings"
    assert build_registry().get("stripe").ignore_fields == ()
