"""A mock file that loads answers as written; one it cannot answer as written is refused at load.

Given a mock file in reference 000's format with one value a mock cannot use as written (an
empty or nested header value, a query in ``mockPath``, ``true`` as a delay, a method that is
not HTTP's, a key given twice), when a test loads it through ``recorder.replay(mocks=[...])``,
then it fails before any call with one ``BadInput`` line ``file:key: what the key must be``, the
same shape as every other mock error. What the rules allow (a number or a list of values for a
header, a fractional delay, a lower-case method) loads and is answered as written.
"""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import requests

import recorder
from recorder.errors import BadInput

CHARGES = "https://api.stripe.com/v1/charges"


def write_mock(tmp_path: Path, extra: str, path: str = "/v1/charges") -> Path:
    """A Stripe mock in reference 000's format, with ``extra`` lines (YAML) appended."""
    file = tmp_path / "x.yaml"
    file.write_text("type: MOCK\nname: mock-stripe\nmockTarget: api.stripe.com\n"
                    f"mockPath: {path}\nmockResponseStatus: 200\n{extra}")
    return file


def refusal(mock: Path) -> str:
    """The one line a test gets for ``mock``, which must fail to load."""
    with pytest.raises(BadInput) as caught, recorder.replay(mocks=[mock]):
        pytest.fail("the mock loaded")
    return caught.value.one_line()


# -- header values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "kind"), [
    ("", "null (write '' for an empty value)"),       # `retry-after:` would be sent as "None"
    ("\n    b: c", "a mapping"),                        # would be sent as "{'b': 'c'}"
    ("true", "a boolean (YAML reads true/yes/on as one: quote the text to send)"),
    ("2024-01-01", "a date (quote it)"),
])
def test_a_header_value_that_is_not_text_or_a_number_names_the_header(tmp_path: Path, value: str,
                                                                      kind: str) -> None:
    mock = write_mock(tmp_path, f"mockResponseHeaders:\n  retry-after: {value}\n")
    assert refusal(mock) == (f"{mock}:mockResponseHeaders.retry-after: "
                             f"a header value must be text or a number, not {kind}")


def test_a_list_of_header_values_is_sent_as_a_repeated_header(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "mockResponseHeaders:\n  retry-after: 2\n  set-cookie:\n    - a=1\n    - b=2\n")
    with recorder.replay(mocks=[mock]):
        answer = httpx.post(CHARGES)
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert answer.headers["retry-after"] == "2"


def test_a_bad_value_inside_a_header_list_names_its_position(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "mockResponseHeaders:\n  set-cookie: [a=1, null]\n")
    assert refusal(mock) == (f"{mock}:mockResponseHeaders.set-cookie[1]: a header value must be text or a number, "
                             "not null (write '' for an empty value)")


# -- mockPath --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/charges?limit=3", "/v1/charges#top"])
def test_a_mock_path_with_a_query_or_fragment_is_refused_saying_queries_are_not_part_of_it(
        tmp_path: Path, path: str) -> None:
    mock = write_mock(tmp_path, "", path=f"'{path}'")
    assert refusal(mock) == (f"{mock}:mockPath: a path without ? or #: a query is not part of a mock path "
                             f"(a mock answers its path whatever the query), not '{path}'")


def test_a_mock_path_without_a_leading_slash_is_refused(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "", path="api.stripe.com/v1/charges")
    assert refusal(mock) == (f"{mock}:mockPath: a path starting with / (the host goes in mockTarget), "
                             "not 'api.stripe.com/v1/charges'")


# -- mockResponseDelay -----------------------------------------------------------------------------
@pytest.mark.parametrize("delay", ["true", "-1", ".inf"])
def test_a_delay_that_is_not_a_finite_number_of_ms_is_refused(tmp_path: Path, delay: str) -> None:
    mock = write_mock(tmp_path, f"mockResponseDelay: {delay}\n")
    assert refusal(mock).startswith(f"{mock}:mockResponseDelay: milliseconds, a number >= 0, not ")


def test_a_fractional_delay_is_waited(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "mockResponseDelay: 50.5\n")
    with recorder.replay(mocks=[mock]):
        started = time.perf_counter()
        assert requests.post(CHARGES, timeout=5).status_code == 200
    assert time.perf_counter() - started >= 0.05


# -- mockMethod ------------------------------------------------------------------------------------
def test_a_method_http_does_not_have_is_refused_and_any_case_of_one_it_has_is_not(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "mockMethod: FETCH\n")
    assert refusal(mock) == (f"{mock}:mockMethod: an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; "
                             "leave mockMethod out to answer any), not 'FETCH'")
    mock = write_mock(tmp_path, "mockMethod: post\n")
    with recorder.replay(mocks=[mock]):
        assert requests.post(CHARGES).status_code == 200


# -- the file as a whole ---------------------------------------------------------------------------
def test_a_key_given_twice_is_refused_at_its_second_line(tmp_path: Path) -> None:
    mock = write_mock(tmp_path, "mockPath: /v1/refunds\n")  # plain YAML would keep only /v1/refunds
    assert refusal(mock) == f"{mock}:line 6: not valid YAML (mockPath given twice)"


def test_a_file_that_is_not_utf8_is_refused_as_such(tmp_path: Path) -> None:
    mock = tmp_path / "latin1.yaml"
    mock.write_bytes("type: MOCK\nname: caf\xe9\nmockTarget: api.stripe.com\nmockPath: /v1\n".encode("latin-1"))
    assert refusal(mock) == f"{mock}: not UTF-8 text"
