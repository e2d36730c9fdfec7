"""Cutting a provider's OpenAPI document down to the operations this repo actually uses.

A pinned contract is reviewed in pull requests, so it must be small and its diffs stable:
Stripe's spec is 4-5 MB for ~500 operations while a shop uses a dozen. :func:`slice_spec` keeps
the chosen operations plus every component they reference (transitively, recursion-safe), drops
prose nobody validates against (descriptions, summaries, examples, doc-only ``x-`` extensions)
and sorts keys recursively. Everything a validator or a diff looks at is kept, so checking
traffic against the slice gives the same findings as checking it against the full document.

Prose is dropped by *position*, never by name alone: ``properties`` of a schema, ``content``
media types, ``responses`` status codes and friends are maps of *names*, so a Stripe charge's
property literally called ``description`` survives while the schema's own ``description``
keyword goes. ``enum``/``default``/``const`` values are data and are copied verbatim.

The small helpers at the top (``HTTP_METHODS``, :func:`iter_operations`, :func:`resolve_pointer`)
are shared with the spec diff (:mod:`recorder.contracts.diff_operation`), which walks the same documents.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from recorder.errors import BadInput

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords that are prose for people, dropped wherever they are keywords (not names).
PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs", "tags",
                        "x-example", "x-examples"})
# Vendor extensions that document or drive code generators; validation never reads them.
# Unknown ``x-`` keys are kept: dropping something a validator uses would change its findings.
DOC_EXTENSIONS = frozenset({
    "x-expandableFields", "x-expansionResources", "x-resourceId", "x-stripeResource",
    "x-stripeOperations", "x-stripeMostCommon", "x-stripeSpecFilename", "x-twilio", "x-github",
    "x-code-samples", "x-codeSamples", "x-logo", "x-class-extra-annotation",
    "x-field-extra-annotation", "x-getter-extra-annotation", "x-apisguru-categories",
    "x-origin", "x-providerName", "x-serviceName", "x-sendgrid",
})
# Keys whose value maps *names* (property names, media types, status codes...) to objects:
# the names are kept whatever they are, the objects under them are pruned as usual.
NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                       "dependentSchemas", "content", "encoding", "headers", "variables",
                       "scopes"})
# Keys whose value is data (or a list of names), copied as is.
VERBATIM = frozenset({"enum", "const", "default", "required", "security", "discriminator"})
# Operation keys that only feed documentation or outbound-call descriptions.
OPERATION_DROPS = frozenset({"callbacks", "links"})
# Response objects must keep a ``description`` to stay valid OpenAPI; it is emptied instead.
_REQUIRED_PROSE = ""


def normalize_method(method: str) -> str:
    """Spec keys are lower-case (``post``); callers may say ``POST``."""
    return method.strip().lower()


def iter_operations(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every ``(method, path, operation)`` in the document, method lower-case, in spec order."""
    for path, item in (data.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield method, path, operation


def escape_pointer(segment: str) -> str:
    """One JSON-pointer segment (RFC 6901): ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return segment.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def pointer_segments(ref: str) -> list[str]:
    """``#/components/schemas/a~1b`` -> ``["components", "schemas", "a/b"]``; local refs only."""
    if not ref.startswith("#"):
        raise BadInput(None, f"$ref {ref!r} points outside the document; only local refs ('#/...') are supported")
    body = ref[1:]
    if body in ("", "/"):
        return []
    return [_unescape(part) for part in body.lstrip("/").split("/")]


def resolve_pointer(data: dict[str, Any], ref: str) -> Any:
    """The node a local ``$ref`` points at; BadInput naming the ref when it dangles."""
    node: Any = data
    for segment in pointer_segments(ref):
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise BadInput(None, f"$ref {ref!r} does not resolve", ref)
    return node


def sort_keys(node: Any) -> Any:
    """A copy with every mapping's keys in sorted order, so serialisations are byte-stable."""
    if isinstance(node, dict):
        return {key: sort_keys(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [sort_keys(item) for item in node]
    return node


Path = tuple[str | int, ...]   # where a node sits in the source document (list indexes as int)


class StubPolicy(Protocol):
    """Decides which ``$ref`` sites a slice replaces by a stub (see recorder.contracts.reach)."""

    def stub(self, at: Path, ref: str) -> dict[str, Any] | None: ...


class _Pruner:
    """Copies nodes without prose, collecting the local ``$ref`` targets it keeps on the way."""

    def __init__(self, stubs: StubPolicy | None = None) -> None:
        self.refs: list[str] = []
        self.stubs = stubs

    def node(self, node: Any, at: Path = ()) -> Any:
        """An OpenAPI/schema object (keys are keywords): drop prose, recurse into the rest."""
        if isinstance(node, list):
            return [self.node(item, (*at, i)) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        stub = self._stub(node, at)
        if stub is not None:
            return stub
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in PROSE_KEYS or key in DOC_EXTENSIONS or key in OPERATION_DROPS:
                continue
            if key == "$ref" and isinstance(value, str):
                self.refs.append(value)
                out[key] = value
            elif key == "responses" and isinstance(value, dict):
                out[key] = {status: self.response(resp, (*at, key, status)) for status, resp in value.items()}
            elif key in NAME_MAPS and isinstance(value, dict):
                out[key] = {name: self.node(child, (*at, key, name)) for name, child in value.items()}
            elif key in VERBATIM:
                out[key] = copy.deepcopy(value)
                if key == "discriminator" and isinstance(value, dict):
                    self.refs.extend(v for v in (value.get("mapping") or {}).values()
                                     if isinstance(v, str) and v.startswith("#"))
            else:
                out[key] = self.node(value, (*at, key))
        return out

    def _stub(self, node: dict[str, Any], at: Path) -> dict[str, Any] | None:
        """The policy's stub for a bare ``$ref`` (nothing beside it but prose), else None."""
        ref = node.get("$ref")
        if self.stubs is None or not isinstance(ref, str):
            return None
        if any(key != "$ref" and key not in PROSE_KEYS and key not in DOC_EXTENSIONS for key in node):
            return None  # siblings that validate (OpenAPI 3.1) stay with their ref
        return self.stubs.stub(at, ref)

    def response(self, node: Any, at: Path = ()) -> Any:
        """A Response object: like any object, but its required ``description`` stays (empty)."""
        out = self.node(node, at)
        if isinstance(out, dict) and "$ref" not in out:
            out["description"] = _REQUIRED_PROSE
        return out


def _component_root(ref: str) -> list[str]:
    """What to copy for a ref: the whole component (``components/<section>/<name>``), else the node."""
    segments = pointer_segments(ref)
    if len(segments) >= 3 and segments[0] == "components":
        return segments[:3]
    return segments


def _place(out: dict[str, Any], segments: list[str], value: Any) -> None:
    node = out
    for segment in segments[:-1]:
        node = node.setdefault(segment, {})
    node[segments[-1]] = value


def _copy_referenced(data: dict[str, Any], out: dict[str, Any], pruner: _Pruner,
                     copied: set[tuple[str, ...]]) -> None:
    """Copy (pruned) every component the pruner has seen referenced, until no new ref appears.

    Copying a component may reveal more refs; ``copied`` is the visited set that makes
    recursive schemas (a customer whose sources refer back to the customer) terminate.
    """
    while pruner.refs:
        ref = pruner.refs.pop()
        root = _component_root(ref)
        if tuple(root) in copied:
            continue
        copied.add(tuple(root))
        resolve_pointer(data, ref)  # the exact target must exist, not only its component
        target = resolve_pointer(data, "#/" + "/".join(escape_pointer(s) for s in root))
        in_responses = len(root) == 3 and root[:2] == ["components", "responses"]
        at = tuple(root)
        _place(out, root, pruner.response(target, at) if in_responses else pruner.node(target, at))


def _used_security_schemes(slice_doc: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    requirements = list(slice_doc.get("security") or [])
    for _method, _path, operation in iter_operations(slice_doc):
        requirements.extend(operation.get("security") or [])
    for requirement in requirements:
        if isinstance(requirement, dict):
            names.update(requirement)
    return names


def slice_spec(data: dict[str, Any], operations: Iterable[tuple[str, str]],
               stubs: StubPolicy | None = None) -> dict[str, Any]:
    """The part of ``data`` that ``operations`` use, prose dropped, keys sorted recursively.

    ``operations`` are ``(method, path template)`` pairs; the method in any case, the template
    exactly as written under ``paths``. An operation the document does not have is BadInput
    (listing them all): a silently smaller contract would hide a typo or a removed endpoint.
    ``stubs`` (a :class:`recorder.contracts.reach.Reach`) cuts the schemas the repo's recorded
    responses never reach; without it every referenced component is kept.
    """
    wanted: dict[str, set[str]] = {}
    for method, path in operations:
        wanted.setdefault(path, set()).add(normalize_method(method))
    paths = data.get("paths") or {}
    missing = sorted(f"{m.upper()} {p}" for p, methods in wanted.items() for m in methods
                     if not isinstance(paths.get(p), dict) or not isinstance(paths[p].get(m), dict))
    if missing:
        raise BadInput(None, "operations not in the spec: " + ", ".join(missing), "paths")

    pruner = _Pruner(stubs)
    out: dict[str, Any] = {"openapi": data.get("openapi")}
    info = data.get("info") or {}
    out["info"] = {key: info[key] for key in ("title", "version") if key in info}
    for key in ("servers", "security", "jsonSchemaDialect"):
        if key in data:
            out[key] = pruner.node(data[key], (key,))
    out["paths"] = {}
    for path in sorted(wanted):
        item = paths[path]
        kept: dict[str, Any] = {}
        for key, value in item.items():
            if key in wanted[path] or key in ("parameters", "servers", "$ref"):
                kept[key] = pruner.node(value, ("paths", path, key))
        out["paths"][path] = kept

    copied: set[tuple[str, ...]] = set()
    _copy_referenced(data, out, pruner, copied)
    schemes = (data.get("components") or {}).get("securitySchemes") or {}
    for name in sorted(_used_security_schemes(out)):
        if name in schemes:
            _place(out, ["components", "securitySchemes", name],
                   pruner.node(schemes[name], ("components", "securitySchemes", name)))
    _copy_referenced(data, out, pruner, copied)  # refs inside security schemes (rare)
    result: dict[str, Any] = sort_keys(out)
    return result
