"""What makes two requests "the same call": the match key, and an index that finds it in O(1).

vcrpy runs every matcher against every recorded interaction for every request, so replay time
grows with cassette size. Here each recorded request is reduced once, at load, to a hashable
key (method, normalised URL, body as data); a live request is reduced the same way and looked
up in a dict. Requests with equal keys play back in recorded order.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from recorder.cassette.forms import decode_form
from recorder.cassette.multipart import decode_multipart
from recorder.cassette.regexp_uri import regexp_to_url, uri_pattern
from recorder.cassette.model import Interaction, Request

_DEFAULT_PORTS = {"http": 80, "https": 443}

MatchKey = tuple[str, str, str, str, tuple[tuple[str, str], ...], str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Per-provider / per-test knobs. ``ignore_fields`` are dotted body paths (``metadata.nonce``)."""

    ignore_fields: tuple[str, ...] = ()
    match_headers: tuple[str, ...] = ()
    allow_repeats: bool = False

    def adding(self, ignore_fields: Iterable[str], match_headers: Iterable[str]) -> MatchOptions:
        """These options with a provider's own added: a test can narrow matching further, never undo
        what the provider profile says is noise (ignored fields) or meaning (matched headers)."""
        fields = tuple(dict.fromkeys((*ignore_fields, *self.ignore_fields)))
        headers = tuple(dict.fromkeys(h.lower() for h in (*match_headers, *self.match_headers)))
        return MatchOptions(fields, headers, self.allow_repeats)


@dataclass(frozen=True, slots=True)
class MatchRules:
    """How one provider's requests become keys: its body encoding and its options merged with the
    session's. Recorded and live requests to one host must use the same rules, or they never meet."""

    encoding_hint: str = "auto"
    options: MatchOptions = MatchOptions()
    # The provider's credential fields (body, at any depth) and query parameters, lower-case. The
    # cassette holds them scrubbed (``pi_1_secret_REDACTED``) while the code sends live values,
    # so only their presence is compared: a recording of a PaymentIntent confirm must still match.
    secret_fields: frozenset[str] = frozenset()
    secret_query: frozenset[str] = frozenset()
    booleans_any_case: bool = False  # the provider reads "True" as "true" in forms and queries

    @classmethod
    def for_provider(cls, provider: Any, options: MatchOptions = MatchOptions()) -> MatchRules:
        """``provider`` (a ``recorder.providers.Provider`` or None): its encoding, options and secrets."""
        if provider is None:
            return cls("auto", options)
        secrets = provider.secrets
        return cls(provider.body_encoding, options.adding(provider.ignore_fields, provider.match_headers),
                   frozenset(name.lower() for name in secrets.body_fields),
                   frozenset(name.lower() for name in secrets.query), provider.booleans_any_case)

    def comparable_query(self, query: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        if not (self.secret_query or self.booleans_any_case) or not query:
            return query
        return tuple(sorted((k, SECRET if self.is_secret_query(k) else _boolean(v) if self.booleans_any_case else v)
                            for k, v in query))

    def is_secret_query(self, key: str) -> bool:
        """``key`` (``client_secret``, or nested ``payment_method_data[client_secret]``) carries a credential."""
        return key.rstrip("[]").rsplit("[", 1)[-1].rstrip("]").lower() in self.secret_query

    def comparable_body(self, data: Any) -> Any:
        """``data`` (parsed, owned by the caller) without ignored fields and with secret values masked."""
        if not isinstance(data, (dict, list)):
            return data
        if self.options.ignore_fields:
            data = drop_fields(data, self.options.ignore_fields)
        if self.secret_fields:
            _mask(data, self.secret_fields)
        if self.booleans_any_case:
            data = _booleans_lowered(data)
        return data


SECRET = "<secret>"  # what a credential's value compares as, recorded or sent
_BOOLEANS = {"true": "true", "false": "false"}


def _boolean(value: str) -> str:
    return _BOOLEANS.get(value.lower(), value) if len(value) in (4, 5) else value


def _booleans_lowered(node: Any) -> Any:
    if isinstance(node, str):
        return _boolean(node)
    if isinstance(node, dict):
        return {key: _booleans_lowered(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_booleans_lowered(value) for value in node]
    return node


def _mask(node: Any, names: frozenset[str]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if isinstance(key, str) and key.lower() in names and isinstance(value, str):
                    current[key] = SECRET
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, (dict, list)))


@dataclass(frozen=True, slots=True)
class NormalisedUrl:
    scheme: str
    host: str  # lower-case, with ":port" only when it is not the scheme's default
    path: str
    query: tuple[tuple[str, str], ...]  # a sorted multiset; array indices folded to []
    hostname: str = ""  # lower-case, never a port
    port: int = 0       # the port the request goes to: explicit, else the scheme's default

    @classmethod
    def parse(cls, uri: str) -> NormalisedUrl:
        """Cached: a replayed request is looked at by host, by key and by drift report."""
        return _parse_url(uri)


@lru_cache(maxsize=8192)
def _parse_url(uri: str) -> NormalisedUrl:
    parts = urlsplit(regexp_to_url(uri))  # a Ruby VCR regexp URI: its host and path, wildcards stood in
    scheme = (parts.scheme or "http").lower()
    hostname = host = (parts.hostname or "").lower()
    try:
        explicit = parts.port
    except ValueError:  # a port that is not a number: keep it in the host, it matches nothing else
        explicit, host = None, parts.netloc.rsplit("@", 1)[-1].lower()
    default = _DEFAULT_PORTS.get(scheme, 0)
    if explicit and explicit != default:
        host = f"{host}:{explicit}"
    path = unquote(parts.path) or "/"
    return NormalisedUrl(scheme, host, path, query_multiset(parts.query), hostname, explicit or default)


def query_multiset(query: str) -> tuple[tuple[str, str], ...]:
    """``expand[0]=a&expand[1]=b`` and ``expand[]=b&expand[]=a`` compare equal."""
    return tuple(sorted((_fold_indices(k), v) for k, v in parse_qsl(query, keep_blank_values=True)))


def _fold_indices(key: str) -> str:
    if "[" not in key:
        return key
    out, i = [], 0
    while i < len(key):
        if key[i] == "[":
            end = key.find("]", i)
            if end == -1:
                out.append(key[i:])
                break
            inner = key[i + 1:end]
            out.append("[]" if inner.isdigit() else key[i:end + 1])
            i = end + 1
        else:
            out.append(key[i])
            i += 1
    return "".join(out)


def regexp_covers(uri: str, key: MatchKey) -> bool | None:
    """For a Ruby VCR regexp ``uri``: whether it answers the URL of ``key``, as the index judges
    it; None when ``uri`` is a plain URI (a drift report compares those part by part)."""
    pattern = uri_pattern(uri)
    return None if pattern is None else pattern.match(_url_of(key)) is not None


def _url_of(key: MatchKey) -> str:
    """The URL a key was made from, spelled as a client sends it (a regexp URI is matched against it)."""
    method, scheme, host, path, query, *_ = key
    url = f"{scheme}://{host}{quote(path, safe=_PATH_SAFE)}"
    return f"{url}?{urlencode(query, quote_via=quote, safe=_PATH_SAFE)}" if query else url


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def first_values(headers: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Header name (lower-case) to its first value: what ``match_headers`` compares."""
    return {name.lower(): values[0] if values else "" for name, values in headers.items()}


def body_data(raw: bytes, content_type: str, encoding_hint: str = "auto") -> Any:
    """The body as comparable data: JSON values, decoded nested forms, multipart fields (the
    boundary is random per request), else the bytes."""
    if not raw:
        return None
    kind = body_kind(content_type, encoding_hint, raw)
    try:
        if kind == "json":
            return json.loads(raw, parse_float=_number)
        if kind == "form":
            return decode_form(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass
    if kind == "multipart":
        data = decode_multipart(raw)
        if data is not None:
            return data
    return raw


def _number(text: str) -> float | int:
    """A JSON number as data: ``10.0`` is the number 10 (JSON has one number type; an SDK that
    sends ``10.0`` where the recording has ``10`` sent the same value)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def body_kind(content_type: str, hint: str, raw: bytes) -> str:
    """``json``, ``form``, ``multipart`` or ``raw``: the content type first, then the provider's
    hint, then a sniff."""
    if "json" in content_type:
        return "json"
    if "x-www-form-urlencoded" in content_type:
        return "form"
    if content_type.startswith("multipart/form-data"):
        return "multipart"
    if hint in ("json", "form"):
        return hint
    head = raw.lstrip()[:1]
    return "json" if head in (b"{", b"[") else "raw"


def drop_fields(data: Any, fields: Iterable[str]) -> Any:
    """``data`` without the ``ignore_fields``, changed in place.

    A field is spelled as the drift report prints it (``body.items[0].price``; the ``body.``
    is optional) or dotted (``items.0.price``); ``*`` or ``[*]`` stands for every item of a list
    or every key of an object (``items[*].price``: the price of every item).
    """
    for dotted in fields:
        _drop(data, field_path(dotted))
    return data


@lru_cache(maxsize=1024)
def field_path(spelled: str) -> tuple[str, ...]:
    """``body.items[0].price`` -> ``("items", "0", "price")``; ``a[*].b`` -> ``("a", "*", "b")``."""
    steps = tuple(step for step in _STEP.findall(spelled) if step)
    steps = tuple(step[1:-1] if step.startswith("[") else step for step in steps)
    return steps[1:] if len(steps) > 1 and steps[0] == "body" else steps


_STEP = re.compile(r"\[[^\]]*\]|[^.\[]+")


def _drop(node: Any, path: tuple[str, ...]) -> None:
    if not path:
        return
    step, rest = path[0], path[1:]
    if step == "*":
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        if rest:
            for child in children:
                _drop(child, rest)
        elif isinstance(node, dict):
            node.clear()
        return
    if isinstance(node, dict):
        if not rest:
            node.pop(step, None)
        elif step in node:
            _drop(node[step], rest)
    elif isinstance(node, list) and step.isdigit() and int(step) < len(node) and rest:
        _drop(node[int(step)], rest)


def canonical_body(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return "bytes:" + data.hex()
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def match_key(method: str, uri: str, body: bytes, content_type: str, headers: dict[str, str] | None = None,
              *, encoding_hint: str = "auto", options: MatchOptions = MatchOptions(),
              rules: MatchRules | None = None) -> MatchKey:
    """The key; ``rules`` (when given) replace ``encoding_hint`` and ``options`` and add the secret masks."""
    rules = rules or MatchRules(encoding_hint, options)
    url = NormalisedUrl.parse(uri)
    data = rules.comparable_body(body_data(body, content_type.lower(), rules.encoding_hint))
    picked: tuple[tuple[str, str], ...] = ()
    if rules.options.match_headers:
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        picked = tuple((h.lower(), lowered.get(h.lower(), "")) for h in rules.options.match_headers)
    return (method.upper(), url.scheme, url.host, url.path, rules.comparable_query(url.query),
            canonical_body(data), picked)


def request_key(request: Request, rules: MatchRules = MatchRules()) -> MatchKey:
    """The key of a recorded or a live request; headers are read only when some are matched on."""
    headers = first_values(request.headers) if rules.options.match_headers else None
    return match_key(request.method, request.uri, request.body.decoded, request.content_type, headers, rules=rules)


def interaction_key(interaction: Interaction, *, encoding_hint: str = "auto",
                    options: MatchOptions = MatchOptions()) -> MatchKey:
    return request_key(interaction.request, MatchRules(encoding_hint, options))


@dataclass(slots=True)
class ReplayIndex:
    """Recorded interactions by match key; ``take`` hands them out in recorded order.

    Per key: the positions recorded under it (a tuple) and how many were handed out (an int, set
    on first use). No per-key list, deque or slot object: a loaded 3,000-interaction cassette
    otherwise left ~9,000 containers the garbage collector tracks for the session's life, and
    every full collection in the test process walks them.
    """

    interactions: Sequence[Interaction]
    options: MatchOptions = field(default_factory=MatchOptions)
    _positions: dict[MatchKey, tuple[int, ...]] = field(default_factory=dict)
    _handed: dict[MatchKey, int] = field(default_factory=dict)  # how many of a key's positions were taken
    played: set[int] = field(default_factory=set)
    keys: list[MatchKey] = field(default_factory=list)  # per position: a drift report compares keys
    # Ruby VCR regexp URIs, by (method, host): (the regexp, the recording's key). Tried only after
    # an exact miss, against that host's few patterns, so ordinary lookups stay one dict access.
    _patterns: dict[tuple[str, str], list[tuple[re.Pattern[str], MatchKey]]] = field(default_factory=dict)

    @classmethod
    def build(cls, interactions: Sequence[Interaction], *, options: MatchOptions = MatchOptions(),
              encoding_hints: dict[str, str] | None = None,
              rules_for: Callable[[Interaction], MatchRules] | None = None) -> ReplayIndex:
        """Key every interaction once. ``rules_for`` gives each its provider's rules (the session's
        per-host rules); without it, ``options`` and the provider's ``encoding_hints`` apply."""
        index = cls(interactions, options)
        hints = encoding_hints or {}
        positions = index._positions
        repeated: dict[MatchKey, list[int]] = {}  # keys recorded more than once, gathered then frozen
        for position, interaction in enumerate(interactions):
            rules = (rules_for(interaction) if rules_for is not None
                     else MatchRules(hints.get(interaction.provider or "", "auto"), options))
            key = request_key(interaction.request, rules)
            index.keys.append(key)
            pattern = uri_pattern(interaction.request.uri)
            if pattern is not None:
                index._patterns.setdefault((key[0], key[2]), []).append((pattern, key))
            first = positions.setdefault(key, (position,))
            if first[0] != position:
                repeated.setdefault(key, list(first)).append(position)
        for key, several in repeated.items():
            positions[key] = tuple(several)
        return index

    def take(self, key: MatchKey) -> int | None:
        """Position of the next unplayed interaction for ``key`` (or the last, if repeats are allowed)."""
        key = self._known(key)
        if key is None:
            return None
        positions = self._positions[key]
        handed = self._handed.get(key, 0)
        if handed < len(positions):
            self._handed[key] = handed + 1
            position = positions[handed]
            self.played.add(position)
            return position
        return positions[-1] if self.options.allow_repeats else None

    def recorded(self, key: MatchKey) -> tuple[int, ...]:
        """Every position recorded under ``key``: after a miss, the ones already played."""
        key = self._known(key)
        return self._positions[key] if key is not None else ()

    def _known(self, key: MatchKey) -> MatchKey | None:
        """``key`` itself if recorded, else the key of a regexp recording that covers it."""
        if key in self._positions:
            return key
        if not self._patterns:
            return None
        url = None
        for pattern, recorded in self._patterns.get((key[0], key[2]), ()):
            if recorded[5:] == key[5:]:  # body and headers; path and query are the regexp's to judge
                url = url or _url_of(key)
                if pattern.match(url):
                    return recorded
        return None

    def unplayed(self) -> list[int]:
        return [i for i in range(len(self.interactions)) if i not in self.played]
