"""What requests does per call only for the wire, skipped for calls that cannot leave the process.

A call that a replay session answers from a cassette or mock, or blocks, never opens a socket.
Two things requests does before every call matter only on the wire, and together they were
about half of a replayed requests call here (bench/replay.py, section 4):

- the environment lookup in ``Session.merge_environment_settings``: proxies and a CA bundle
  from ``os.environ``, read in full three times (``getproxies`` twice, ``proxy_bypass`` once).
  Skipped: only the call's and the session's own settings are merged, exactly as requests does
  with ``trust_env=False`` (the merge done here for plain dicts, without requests 2.34's
  runtime-``Protocol`` check, which Python 3.11 makes cost ~8 us a time);
- the adapter's connection steps (``HTTPAdapter.get_connection_with_tls_context``,
  ``cert_verify``, ``request_url``): a TLS context key from verify/cert and the CA bundle
  path, the pool manager's key normalisation and locked lookup, a ``stat`` of the CA bundle,
  proxy selection. Offline, one plain pool per scheme and host serves every adapter: urllib3's
  pool ``urlopen`` is where the session answers (``pool``), and an answered call uses no
  connection, no TLS setting, no proxy and none of the pool's defaults (requests passes
  headers, retries and timeout explicitly).

Each step asks per call whether the innermost session says the URL stays offline
(``CallHandler.stays_offline``, cached per host). Everything that may reach the network (loopback
calls passing through, recording) takes requests' own path, unchanged. Only the base classes'
methods are replaced while a session is active; a subclass with its own method keeps it.

Installed only when requests is already imported (an app under test imports it long before a
session opens); without requests there is nothing to do.
"""
from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from urllib3.connectionpool import HTTPConnectionPool, connection_from_url

from recorder.record.handler import CallHandler

Innermost = Callable[[], "CallHandler | None"]
# (class, attribute, requests' own function) for each method replaced, to put back.
_installed: list[tuple[type, str, Any]] = []
# Pools for offline calls, by "scheme://netloc": they never open a connection, so one per host serves all.
_offline_pools: dict[str, HTTPConnectionPool] = {}
_PLAIN_DICTS = (dict, OrderedDict)


def install(innermost: Innermost) -> None:
    """Replace requests' methods (the caller holds the pool lock)."""
    requests = sys.modules.get("requests")
    if _installed or requests is None:
        return
    _replace(requests.Session, "merge_environment_settings", _environment_skipper(innermost, requests))
    adapter = requests.adapters.HTTPAdapter
    if "get_connection_with_tls_context" in adapter.__dict__:  # requests >= 2.32.2
        for name, shortcut in _adapter_shortcuts(innermost, adapter).items():
            _replace(adapter, name, shortcut)


def uninstall() -> None:
    """Put requests' own methods back (the caller holds the pool lock)."""
    while _installed:
        owner, name, original = _installed.pop()
        setattr(owner, name, original)


def _replace(owner: type, name: str, replacement: Any) -> None:
    original = owner.__dict__[name]
    replacement.__doc__ = original.__doc__
    setattr(owner, name, replacement)
    _installed.append((owner, name, original))


def _environment_skipper(innermost: Innermost, requests: Any) -> Any:
    original = requests.Session.__dict__["merge_environment_settings"]
    merge_setting = requests.sessions.merge_setting

    def merge_environment_settings(self: Any, url: str, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        handler = innermost()
        if handler is None or not self.trust_env or not handler.stays_offline(url):
            return original(self, url, proxies, stream, verify, cert)
        return {"proxies": _merged(proxies, self.proxies, merge_setting), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}

    return merge_environment_settings


def _merged(asked: Any, own: Any, merge_setting: Any) -> Any:
    """requests' ``merge_setting`` for two plain dicts (the session's updated with the call's,
    ``None`` values dropped); anything else goes to requests' own."""
    if type(asked) not in _PLAIN_DICTS or type(own) not in _PLAIN_DICTS:
        return merge_setting(asked, own)
    merged = OrderedDict(own)
    merged.update(asked)
    for key in [key for key, value in merged.items() if value is None]:
        del merged[key]
    return merged


def _adapter_shortcuts(innermost: Innermost, adapter: type) -> dict[str, Any]:
    """The adapter's wire-only steps, each cut short for an offline URL and left to requests otherwise."""
    pool_for = adapter.__dict__["get_connection_with_tls_context"]
    check_certificates = adapter.__dict__["cert_verify"]
    url_for = adapter.__dict__["request_url"]

    def offline(url: Any) -> bool:
        handler = innermost()
        return handler is not None and isinstance(url, str) and handler.stays_offline(url)

    def get_connection_with_tls_context(self: Any, request: Any, verify: Any, proxies: Any = None,
                                        cert: Any = None) -> HTTPConnectionPool:
        url = request.url
        if not offline(url):
            return pool_for(self, request, verify, proxies=proxies, cert=cert)
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.partition('/')[0].partition('?')[0]}"
        pool = _offline_pools.get(origin)
        if pool is None:  # a bad host raises LocationValueError, as requests' own lookup does
            pool = _offline_pools.setdefault(origin, connection_from_url(origin))
        return pool

    def cert_verify(self: Any, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if not offline(url):  # offline: no TLS handshake, so no CA bundle or client certificate to find
            check_certificates(self, conn, url, verify, cert)

    def request_url(self: Any, request: Any, proxies: Any) -> str:
        # Offline: no proxy will see it, and the pool (pool.py) makes the path absolute again.
        return request.path_url if offline(request.url) else url_for(self, request, proxies)

    return {"get_connection_with_tls_context": get_connection_with_tls_context, "cert_verify": cert_verify,
            "request_url": request_url}
