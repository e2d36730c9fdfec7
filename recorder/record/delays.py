"""Delayed answers that respect the client's own timeout.

A mock file may say ``mockResponseDelay: 5000``; a test of the app's timeout handling needs the
client to give up after *its* timeout, with *its* exception, as it would against a slow server.
The handler that serves the answer knows the delay; only the interception layer of each client
knows the timeout the caller set and which exception that client raises. They meet here:

- the layer opens ``client_wait(timeout)`` around the handler call (a context variable, so
  threads and asyncio tasks each see their own);
- the handler calls ``hold(seconds)``;
- if the timeout is shorter, ``hold`` waits only that long and raises ``ResponseTimedOut``,
  which the layer turns into the client's native error (``ReadTimeoutError``, ``httpx.ReadTimeout``...).

Async clients must not block their event loop for the delay, so their layers open the wait
``deferred``: ``hold`` only adds up the delay and the layer awaits it (``await_delay``).
Without a layer (a client none of them knows), ``hold`` simply sleeps the whole delay.
"""
from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from recorder.errors import RecorderError


class ResponseTimedOut(RecorderError):
    """The client's read timeout ran out before a delayed answer. Layers re-raise it as the
    client's own timeout error; it only escapes as itself from clients we cannot translate for."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(f"read timed out (timeout {timeout:g} s) waiting for a delayed recorded answer")


@dataclass(slots=True)
class ClientWait:
    # How long the client waits for an answer, in seconds (None: for ever), or how to work it out.
    given: float | None | Callable[[], float | None]
    deferred: bool = False  # async clients: add delays up, the layer awaits them
    pending: float = 0.0

    @property
    def timeout(self) -> float | None:
        if callable(self.given):
            self.given = self.given()
        return self.given

    def hold(self, seconds: float) -> None:
        if self.deferred:
            self.pending += seconds
            return
        timeout = self.timeout
        if timeout is not None and seconds > timeout:
            time.sleep(max(timeout, 0.0))
            raise ResponseTimedOut(timeout)
        time.sleep(seconds)


_WAIT: contextvars.ContextVar[ClientWait | None] = contextvars.ContextVar("recorder_client_wait", default=None)


def hold(seconds: float) -> None:
    """Delay the answer being served by ``seconds``, within the calling client's timeout."""
    if seconds <= 0:
        return
    wait = _WAIT.get()
    if wait is None:
        time.sleep(seconds)
    else:
        wait.hold(seconds)


class client_wait:  # noqa: N801 - used like a function: ``with client_wait(timeout):``
    """Declare, for the handler calls inside, how long the client waits for an answer.

    ``timeout`` may be a callable, asked only if something is actually delayed: working the
    timeout out is a cost every replayed call would pay for the rare delayed one. (A class, not
    a generator context manager, for the same reason: this wraps every intercepted call.)
    """

    __slots__ = ("wait", "_token")

    def __init__(self, timeout: float | None | Callable[[], float | None], *, deferred: bool = False) -> None:
        self.wait = ClientWait(timeout, deferred)
        self._token: contextvars.Token[ClientWait | None] | None = None

    def __enter__(self) -> ClientWait:
        self._token = _WAIT.set(self.wait)
        return self.wait

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _WAIT.reset(self._token)


async def await_delay(wait: ClientWait, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
    """The async half of a deferred wait: sleep the collected delay without blocking the loop
    (``sleep`` is the client's own: asyncio's for aiohttp, anyio's for httpx, which may run on trio)."""
    if wait.pending <= 0:
        return
    timeout = wait.timeout
    if timeout is not None and wait.pending > timeout:
        await sleep(max(timeout, 0.0))
        raise ResponseTimedOut(timeout)
    await sleep(wait.pending)
