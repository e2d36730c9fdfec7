"""Mock files in replay: referenced by file or by their ``name:``, aimed at a host or a host:port.

Given this repository's mocks/ (reference 000's library: its four Stripe mocks all say
``name: mock-stripe``) or mock files written for a local stand-in, when a test names them and
its code calls the mocked endpoints with real clients, then the mock answers; a name several
files share is refused naming them; a ``host:port`` target answers only that port; and a call a
mock almost covers fails with a report that names the mock and what differs.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from standin import StandIn

import recorder
from recorder.errors import BadInput
from recorder.record import NetworkBlocked
from recorder.replay import DriftError

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"


@pytest.fixture
def in_this_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """recorder.replay finds the mocks folder from the working directory's pyproject.toml."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.recorder]\nmocks = 'mocks'\n")
    (tmp_path / "mocks").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "mocks"


@pytest.fixture
def local() -> Iterator[StandIn]:
    """The app's own server on 127.0.0.1: what a mock does not claim reaches it."""
    server = StandIn()
    server.route("GET", r"/.*", lambda got: (200, {"Content-Type": "text/plain"}, b"live"))
    with server:
        yield server


def mock_file(folder: Path, name: str, target: str, path: str, method: str | None = None) -> Path:
    file = folder / f"{name}.yaml"
    file.write_text(f"type: MOCK\nname: {name}\nmockTarget: '{target}'\nmockPath: {path}\n"
                    + (f"mockMethod: {method}\n" if method else "")
                    + "mockResponseStatus: 201\nmockResponseBody:\n  mocked: true\n")
    return file


# -- by name ---------------------------------------------------------------------------------------
@pytest.mark.usefixtures("in_this_repo")
def test_a_mock_is_found_by_its_yaml_name_as_reference_000_refers_to_it() -> None:
    with recorder.replay(mocks=["mock-twilio", "mock-sendgrid"]) as session:
        sent = requests.post(MESSAGES, data={"To": "+15551234567", "Body": "Shipped"})
    assert sent.status_code == 201 and sent.json()["status"] == "queued"
    [call] = session.calls(provider="twilio")
    assert call.source == "mock" and call.origin.endswith("mocks/mock-twilio-success.yaml")


@pytest.mark.usefixtures("in_this_repo")
def test_a_name_several_files_share_is_refused_naming_every_file() -> None:
    with pytest.raises(BadInput) as caught:
        recorder.replay(mocks=["mock-stripe"])
    message = caught.value.one_line()
    assert message.startswith("mock-stripe: ambiguous mock name: ")
    for stem in ("card-declined", "rate-limited", "slow", "success"):
        assert f"mocks/mock-stripe-{stem}.yaml" in message
    # The file stem still names one of them unambiguously.
    with recorder.replay(mocks=["mock-stripe-card-declined"]) as session:
        assert requests.post("https://api.stripe.com/v1/charges", data={"amount": "2498"}).status_code == 402
    assert session.calls()[0].origin.endswith("mock-stripe-card-declined.yaml")


def test_a_missing_name_says_where_it_looked(project: Path) -> None:
    with pytest.raises(BadInput, match=r"^nope: no mock file by that path, file name or name: in .*mocks$"):
        recorder.replay(mocks=["nope"])


def test_a_name_not_found_beside_one_unreadable_mock_gives_that_file_s_own_error(project: Path) -> None:
    (project / "payments-ok.yaml").write_text("type: MOCK\nname: mock-payments\nmockTarget: api.stripe.com\n"
                                              "mockPath: /v1/charges\nmockResponseBody:\n  id: ch_1\n   amount: 2498\n")
    with pytest.raises(BadInput) as caught:
        recorder.replay(mocks=["mock-payments"])
    assert caught.value.one_line() == (
        f"{project / 'payments-ok.yaml'}:line 7: not valid YAML (mapping values are not allowed here); "
        f"no readable mock file in {project} says name: mock-payments, so this may be the one")


def test_a_name_not_found_names_every_unreadable_mock_and_why_but_not_other_yaml(project: Path) -> None:
    (project / "broken.yaml").write_text("type: MOCK\nname: [unclosed\n")
    (project / "nameless.yaml").write_text("type: MOCK\nmockTarget: api.stripe.com\nmockPath: /v1/charges\n")
    (project / "notes.yaml").write_text("owner: payments-team\n")  # not a mock: not the name's business
    with pytest.raises(BadInput) as caught:
        recorder.replay(mocks=["mock-payments"])
    assert caught.value.one_line() == (
        f"mock-payments: no readable mock file in {project} says name: mock-payments, and 2 there could not "
        f"be read: {project / 'broken.yaml'}:line 3: not valid YAML (expected ',' or ']', but got '<stream end>'); "
        f"{project / 'nameless.yaml'}:name: required, a non-empty string")


def test_a_mock_whose_type_is_mistyped_is_found_by_name_and_says_so(project: Path) -> None:
    mock = mock_file(project, "mock-payments", "api.stripe.com", "/v1/charges")
    (project / "payments.yaml").write_text(mock.read_text().replace("type: MOCK", "type: mock"))
    mock.unlink()  # found by its name: alone
    with pytest.raises(BadInput, match=r"/payments\.yaml:type: type must be MOCK, not 'mock'$"):
        recorder.replay(mocks=["mock-payments"]).__enter__()


def test_a_mock_added_later_is_found_by_name(project: Path) -> None:
    mock_file(project, "first", "api.example-pay.com", "/v1/a")
    recorder.replay(mocks=["first"])
    (project / "second.yaml").write_text((project / "first.yaml").read_text().replace("name: first", "name: later"))
    with recorder.replay(mocks=["later"]) as session:
        assert requests.get("https://api.example-pay.com/v1/a").json() == {"mocked": True}
    assert session.calls()[0].origin.endswith("second.yaml")


# -- host:port targets -----------------------------------------------------------------------------
def test_a_host_port_target_answers_its_port_and_leaves_the_rest_to_the_server(project: Path,
                                                                             local: StandIn) -> None:
    port = local.url.rsplit(":", 1)[1]
    mock = mock_file(project, "stand-in", f"127.0.0.1:{port}", "/v1/charges")
    with recorder.replay(mocks=[mock]) as session:
        assert requests.get(f"{local.url}/v1/charges").json() == {"mocked": True}
        assert httpx.get(f"{local.url}/health").text == "live"  # not the mocked path: the app's own server
    assert [c.source for c in session.calls()] == ["mock", "network"]
    assert [r.path for r in local.received] == ["/health"]


def test_a_host_port_target_does_not_answer_another_port(project: Path, local: StandIn) -> None:
    mock = mock_file(project, "elsewhere", "127.0.0.1:1", "/v1/charges")
    with recorder.replay(mocks=[mock]) as session:
        assert requests.get(f"{local.url}/v1/charges").text == "live"
    assert [c.source for c in session.calls()] == ["network"]


def test_a_bare_host_target_answers_any_port(project: Path, local: StandIn) -> None:
    mock = mock_file(project, "any-port", "127.0.0.1", "/v1/charges")
    with recorder.replay(mocks=[mock]):
        assert requests.get(f"{local.url}/v1/charges").json() == {"mocked": True}
    assert local.received == []


def test_an_explicit_default_port_is_the_scheme_default(project: Path) -> None:
    mock = mock_file(project, "https-only", "api.example-pay.com:443", "/v1/charges")
    with recorder.replay(mocks=[mock]):
        assert requests.get("https://api.example-pay.com/v1/charges").status_code == 201
    with pytest.raises(NetworkBlocked, match="which no cassette or mock covers"), recorder.replay(mocks=[mock]):
        requests.get("http://api.example-pay.com/v1/charges")


@pytest.mark.parametrize("target", ["https://api.stripe.com", "api.stripe.com/v1", "127.0.0.1:http", "host:70000"])
def test_a_target_that_is_not_host_or_host_port_names_the_key(project: Path, target: str) -> None:
    mock = mock_file(project, "bad", target, "/x")
    with pytest.raises(BadInput, match=r"bad\.yaml:mockTarget: a host or host:port"):
        recorder.replay(mocks=[mock]).__enter__()


# -- a call the mocks almost cover -----------------------------------------------------------------
@pytest.mark.usefixtures("in_this_repo")
def test_a_get_to_a_path_only_mocked_for_post_names_the_mock_and_the_method() -> None:
    with pytest.raises(DriftError) as caught, recorder.replay(mocks=["mock-twilio"]):
        requests.get(MESSAGES)
    report = caught.value.report
    assert report.reason == "mock-mismatch" and report.candidates == ()
    [mock] = report.mocks
    assert (mock.name, mock.method, mock.method_differs, mock.path_differs) == ("mock-twilio", "POST", True, False)
    assert ("mocks/mock-twilio-success.yaml) answers POST "
            "api.twilio.com/2010-04-01/Accounts/*/Messages.json: same path, but this request is GET") in str(report)
    assert "nothing recorded" not in str(report)


def test_a_path_no_mock_covers_names_the_host_s_mocks(project: Path) -> None:
    mock = mock_file(project, "items", "api.example-pay.com", "/v1/*/items/*")
    with pytest.raises(DriftError) as caught, recorder.replay(mocks=[mock]):
        requests.get("https://api.example-pay.com/v1/a/b/items/42")
    [near] = caught.value.report.mocks
    assert near.path_differs and not near.method_differs
    assert "answers any method api.example-pay.com/v1/*/items/*, not the path /v1/a/b/items/42" in str(caught.value)
