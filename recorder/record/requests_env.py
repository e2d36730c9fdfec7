"""requests' per-call environment lookup, skipped for calls that cannot leave the process.

Before every call, ``requests.Session.request`` asks its public ``merge_environment_settings``
for proxies and a CA bundle from the environment. That reads all of ``os.environ`` three times
(``getproxies`` twice, ``proxy_bypass`` once): measured here, about 230 us of the ~490 us that a
requests call costs when nothing is sent at all (bench/replay.py). vcrpy pays it on every
replayed call.

A call that a replay session answers from a cassette or mock, or blocks, never opens a socket:
no proxy and no CA bundle can change what happens to it. So while the innermost session says a
URL stays offline (``CallHandler.stays_offline``), the lookup is skipped and only the call's and
the session's own settings are merged, exactly as requests does with ``trust_env=False``.
Everything that may reach the network (loopback calls passing through, recording) takes
requests' own path, unchanged. Only the base class method is replaced: a Session subclass with
its own ``merge_environment_settings`` keeps it.

Installed only when requests is already imported (an app under test imports it long before a
session opens); without requests there is nothing to do.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from recorder.record.handler import CallHandler

Innermost = Callable[[], "CallHandler | None"]
_installed: tuple[type, Any] | None = None  # (requests.Session, its own merge_environment_settings)


def install(innermost: Innermost) -> None:
    """Replace ``requests.Session.merge_environment_settings`` (the caller holds the pool lock)."""
    global _installed
    requests = sys.modules.get("requests")
    if _installed is not None or requests is None:
        return
    session_class = requests.Session
    original = session_class.__dict__["merge_environment_settings"]
    merge_setting = requests.sessions.merge_setting

    def merge_environment_settings(self: Any, url: str, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        handler = innermost()
        if handler is None or not self.trust_env or not handler.stays_offline(url):
            return original(self, url, proxies, stream, verify, cert)
        return {"proxies": merge_setting(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}

    merge_environment_settings.__doc__ = original.__doc__
    session_class.merge_environment_settings = merge_environment_settings
    _installed = (session_class, original)


def uninstall() -> None:
    """Put requests' own method back (the caller holds the pool lock)."""
    global _installed
    if _installed is not None:
        session_class, original = _installed
        session_class.merge_environment_settings = original
        _installed = None
