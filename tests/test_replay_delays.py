"""Mock delays are real, and a client whose timeout is shorter really times out.

Given a mock file whose answer takes 1000 ms, when a real client calls it with a 0.2 s timeout,
then that client raises its own timeout exception after about 0.2 s (not after 1 s), as it
would against a slow server; with a timeout longer than the delay the answer arrives after the
delay. Async clients wait without blocking their event loop.
"""
from __future__ import annotations

import asyncio
import http.client
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests
import urllib3

import recorder

URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
MOCK = """type: MOCK
name: mock-twilio-slow
mockTarget: api.twilio.com
mockPath: /2010-04-01/Accounts/*/Messages.json
mockResponseStatus: 201
mockResponseBody:
  sid: SM_slow
mockResponseDelay: {delay}
"""


def slow_mock(tmp_path: Path, delay_ms: int) -> Path:
    path = tmp_path / f"slow-{delay_ms}.yaml"
    path.write_text(MOCK.format(delay=delay_ms))
    return path


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _requests() -> None:
    requests.post(URL, data={"To": "1"}, timeout=0.2)


def _urllib3() -> None:
    urllib3.PoolManager().request("POST", URL, fields={"To": "1"}, timeout=0.2, retries=False)


def _http_client() -> None:
    connection = http.client.HTTPSConnection("api.twilio.com", timeout=0.2)
    connection.request("POST", "/2010-04-01/Accounts/AC1/Messages.json", body="To=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    connection.getresponse()


def _httpx() -> None:
    with httpx.Client(timeout=0.2) as client:
        client.post(URL, data={"To": "1"})


def _httpx_async() -> None:
    async def call() -> None:
        async with httpx.AsyncClient(timeout=0.2) as client:
            await client.post(URL, data={"To": "1"})
    asyncio.run(call())


def _aiohttp(timeout: aiohttp.ClientTimeout) -> Callable[[], None]:
    def run() -> None:
        async def call() -> None:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(URL, data={"To": "1"}) as response:
                    await response.read()
        asyncio.run(call())
    return run


@pytest.mark.parametrize("client, error", [
    (_requests, requests.exceptions.ReadTimeout),
    (_urllib3, urllib3.exceptions.ReadTimeoutError),
    (_http_client, TimeoutError),
    (_httpx, httpx.ReadTimeout),
    (_httpx_async, httpx.ReadTimeout),
    (_aiohttp(aiohttp.ClientTimeout(sock_read=0.2)), aiohttp.SocketTimeoutError),
    (_aiohttp(aiohttp.ClientTimeout(total=0.2)), asyncio.TimeoutError),
], ids=["requests", "urllib3", "http.client", "httpx", "httpx-async", "aiohttp-sock-read", "aiohttp-total"])
def test_a_timeout_shorter_than_the_delay_raises_the_clients_own_error_in_time(
        tmp_path: Path, client: Callable[[], None], error: type[BaseException]) -> None:
    with recorder.replay(mocks=[slow_mock(tmp_path, 1000)]) as session:
        with pytest.raises(error):
            elapsed = time.perf_counter()
            client()
        elapsed = time.perf_counter() - elapsed
    assert 0.18 <= elapsed < 0.7
    session.assert_called(provider="twilio", times=1)  # the app did make the call


def test_a_timeout_longer_than_the_delay_gets_the_answer_after_the_delay(tmp_path: Path) -> None:
    with recorder.replay(mocks=[slow_mock(tmp_path, 150)]):
        elapsed = timed(lambda: requests.post(URL, data={"To": "1"}, timeout=1).raise_for_status())
        assert 0.15 <= elapsed < 0.6
        with httpx.Client(timeout=1) as client:
            started = time.perf_counter()
            assert client.post(URL, data={"To": "1"}).json()["sid"] == "SM_slow"
            assert 0.15 <= time.perf_counter() - started < 0.6


def test_async_delays_do_not_block_the_event_loop(tmp_path: Path) -> None:
    async def three_at_once() -> list[int]:
        async with aiohttp.ClientSession() as session:
            async def one() -> int:
                async with session.post(URL, data={"To": "1"}) as response:
                    return response.status
            return list(await asyncio.gather(one(), one(), one()))

    with recorder.replay(mocks=[slow_mock(tmp_path, 300)]):
        started = time.perf_counter()
        assert asyncio.run(three_at_once()) == [201, 201, 201]
        assert time.perf_counter() - started < 0.75  # together, not one after another (0.9 s)
