"""From a recorded URL to the spec operation it exercised: servers, then a path-segment trie.

A linear scan over path templates is what most checkers do; with GitHub's 845 operations that is
hundreds of regex attempts per interaction. The trie walks one segment at a time, trying the
literal child before templated ones, so ``/v1/customers/search`` finds the search operation,
not ``/v1/customers/{customer}``, and the cost depends on the URL's depth, not on the spec's size.

A parameter marked ``x-multi-segment: true`` (GitHub's ``{ref}`` in ``git/ref/{ref}``, ``{path}``
in ``contents/{path}``) takes one *or more* segments: ``git/ref/heads/main``. Such segments hang
in a separate list of the trie node, tried only after the literal child and the one-segment
templates failed, so ordinary paths never pay for them and a one-segment match always wins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from recorder.contracts.prepare import Operation, PreparedSpec

_PARAM = re.compile(r"\{([^{}]+)\}")


@dataclass(slots=True)
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    templated: list[tuple[re.Pattern[str], _Node]] = field(default_factory=list)
    spanning: list[tuple[re.Pattern[str], _Node]] = field(default_factory=list)   # x-multi-segment
    methods: dict[str, Operation] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Route:
    """The outcome of routing: the operation (or why none) and the path parameters it captured."""

    operation: Operation | None
    path_params: dict[str, str]
    host_known: bool           # the spec serves this host at all
    path_known: bool           # a template matched the path (perhaps not for this method)


class Router:
    def __init__(self, spec: PreparedSpec) -> None:
        self._hosts: dict[str, list[tuple[str, _Node]]] = {}
        for op in spec.operations:
            for server in op.servers or ["/"]:
                host, base = _split_server(server)
                roots = self._hosts.setdefault(host, [])
                root = next((node for b, node in roots if b == base), None)
                if root is None:
                    root = _Node()
                    roots.append((base, root))
                    roots.sort(key=lambda item: -len(item[0]))  # longest base path first
                _insert(root, op)

    def hosts(self) -> list[str]:
        return sorted(h for h in self._hosts if h)

    def route(self, method: str, url: str) -> Route:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        roots = self._hosts.get(host)
        host_known = roots is not None
        if roots is None:
            roots = self._hosts.get("")  # servers given as relative URLs: any host
            if roots is None:
                return Route(None, {}, False, False)
        path = parts.path or "/"
        path_known = False
        for base, root in roots:
            if base and not (path == base or path.startswith(base + "/")):
                continue
            rest = path[len(base):] if base else path
            found = _walk(root, [unquote(s) for s in rest.strip("/").split("/")] if rest.strip("/") else [])
            if found is None:
                continue
            node, values = found
            path_known = True
            op = node.methods.get(method.upper())
            if op is not None:
                # Values are positional: templates sharing a trie node may name them differently.
                return Route(op, dict(zip(_PARAM.findall(op.path), values)), host_known, True)
        return Route(None, {}, host_known, path_known)


def _split_server(server: str) -> tuple[str, str]:
    parts = urlsplit(server)
    return (parts.hostname or "").lower(), parts.path.rstrip("/")


def _insert(root: _Node, op: Operation) -> None:
    node = root
    spanning = {p.name for p in op.params if p.multi_segment}
    for segment in [s for s in op.path.strip("/").split("/") if s != ""]:
        if not _PARAM.search(segment):
            node = node.literal.setdefault(segment, _Node())
            continue
        pieces = _PARAM.split(segment)
        spans = any(name in spanning for name in pieces[1::2])
        pattern = re.compile("".join(
            ("(.+?)" if piece in spanning else "([^/]+?)") if i % 2 else re.escape(piece)
            for i, piece in enumerate(pieces)) + "$")
        children = node.spanning if spans else node.templated
        for existing, child in children:
            if existing.pattern == pattern.pattern:
                node = child
                break
        else:
            child = _Node()
            children.append((pattern, child))
            # More literal text in the segment first: {Sid}.json before {Sid}
            children.sort(key=lambda item: -len(_PARAM.sub("", item[0].pattern)))
            node = child
    node.methods[op.method] = op


def _walk(node: _Node, segments: list[str], index: int = 0) -> tuple[_Node, list[str]] | None:
    if index == len(segments):
        return (node, []) if node.methods else None
    segment = segments[index]
    child = node.literal.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1)
        if found is not None:
            return found
    for pattern, sub in node.templated:
        match = pattern.match(segment)
        if match is None:
            continue
        found = _walk(sub, segments, index + 1)
        if found is not None:
            return found[0], [*match.groups(), *found[1]]
    for pattern, sub in node.spanning:  # fewest segments first: the rest of the path still has to route
        for end in range(index + 1, len(segments) + 1):
            match = pattern.match("/".join(segments[index:end]))
            if match is None:
                continue
            found = _walk(sub, segments, end)
            if found is not None:
                return found[0], [*match.groups(), *found[1]]
    return None
