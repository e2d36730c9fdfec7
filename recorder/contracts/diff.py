"""What a provider changed between two versions of its spec, classified for the client's sake.

``recorder contracts diff`` and the nightly ``verify-contracts --latest`` call :func:`diff_specs`
on the pinned contract (or an older spec) and the provider's current one, for the operations the
repo's cassettes and mocks use. Each :class:`Change` is classified as the issue lists:

* breaking for a client: operation or path removed, response field removed or no longer
  required, type or format changed, request enum value removed, new required request parameter
  or body field, request field removed, status code removed, security requirement changed;
* needs a look: new response enum value, new response status, field deprecated, field newly
  nullable;
* safe: new optional request field, new response field, new operation.

Operations are matched on method and path *shape* (``/v1/charges/{charge}`` and
``/v1/charges/{id}`` are the same endpoint) and path parameters by position, so renaming a
template variable is not reported as a removed path. Schema comparison lives in
:mod:`recorder.contracts.diff_schema`; :func:`changes_to_report` turns changes into the
:class:`~recorder.report.model.Report` every report format renders.
"""
from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from recorder.contracts.diff_schema import Direction, SchemaDiffer
from recorder.contracts.slicing import escape_pointer, iter_operations, resolve_pointer
from recorder.errors import BadInput
from recorder.report.model import Finding, Report, Summary

Classification = Literal["breaking", "needs-a-look", "safe"]
Part = Literal["operation", "request", "response"]

KIND_CLASSIFICATION: dict[str, Classification] = {
    "operation-removed": "breaking",
    "path-removed": "breaking",
    "response-field-removed": "breaking",
    "response-field-no-longer-required": "breaking",
    "type-changed": "breaking",
    "format-changed": "breaking",
    "request-enum-value-removed": "breaking",
    "new-required-request-parameter": "breaking",
    "new-required-request-field": "breaking",
    "request-field-removed": "breaking",
    "status-removed": "breaking",
    "security-changed": "breaking",
    "response-enum-value-added": "needs-a-look",
    "response-status-added": "needs-a-look",
    "field-deprecated": "needs-a-look",
    "field-now-nullable": "needs-a-look",
    "request-field-added": "safe",
    "response-field-added": "safe",
    "operation-added": "safe",
}
SEVERITY = {"breaking": "error", "needs-a-look": "warning", "safe": "info"}
_PART_ORDER = {"operation": 0, "request": 1, "response": 2}
_TEMPLATE_VAR = re.compile(r"\{[^}/]+\}")
_SHORT = 80

_Key = tuple[str, str]   # (METHOD, path shape): how operations line up across versions


@dataclass(frozen=True, slots=True)
class Change:
    """One classified difference between two spec versions, located in one operation."""

    kind: str
    method: str                 # upper-case
    path: str                   # the path template (the new one when both exist)
    operation_id: str | None
    part: Part
    location: str               # /responses/200/body/amount, /request/query/limit, "" = whole operation
    old: str | None             # short renderings for people
    new: str | None
    message: str
    touched_by: tuple[str, ...] = ()
    source_label: str = ""      # which spec (pair) this came from, for changes nobody touches
    # The same change inside a shared component, reached from other operations too ("GET /v1/x"):
    # it is reported once, at the operation that reaches it shallowest; touched_by covers all.
    also_in: tuple[str, ...] = ()

    @property
    def classification(self) -> Classification:
        return KIND_CLASSIFICATION[self.kind]

    @property
    def status(self) -> str | None:
        """The response status a response change is about (``200``, ``default``, ``4XX``)."""
        if self.location.startswith("/responses/"):
            return self.location.split("/")[2]
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "classification": self.classification, "method": self.method,
                "path": self.path, "operation_id": self.operation_id, "part": self.part,
                "location": self.location, "old": self.old, "new": self.new, "message": self.message,
                "touched_by": list(self.touched_by), "also_in": list(self.also_in)}


def short(value: Any) -> str | None:
    """A value rendered for a one-line report: lists joined, objects as compact JSON, truncated."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    else:
        text = str(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def path_shape(path: str) -> str:
    """``/v1/charges/{charge}`` -> ``/v1/charges/{}``: how endpoints are matched across versions."""
    return _TEMPLATE_VAR.sub("{}", path)


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    path: str
    operation: dict[str, Any]
    path_item: dict[str, Any]


def _index(doc: dict[str, Any]) -> dict[_Key, _Operation]:
    paths = doc.get("paths") or {}
    return {(method.upper(), path_shape(path)): _Operation(method.upper(), path, operation, paths[path])
            for method, path, operation in iter_operations(doc)}


def _deref(doc: dict[str, Any], node: Any) -> dict[str, Any]:
    """A parameter/requestBody/response/header object with its ``$ref`` followed ({} if dangling)."""
    for _ in range(16):
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            break
        try:
            node = resolve_pointer(doc, node["$ref"])
        except BadInput:
            return {}
    return node if isinstance(node, dict) else {}


def diff_specs(old: dict[str, Any], new: dict[str, Any],
               operations: Iterable[tuple[str, str]] | None = None, *,
               touched_by: Mapping[tuple[str, str], Sequence[str]] | None = None,
               source_label: str = "") -> list[Change]:
    """Every classified change from ``old`` to ``new`` for ``operations`` (None: all in either).

    ``operations`` are ``(method, path template)`` pairs as in either document; ``touched_by``
    maps such pairs to the cassettes and mocks that use them. The result is sorted by path,
    method, part and location. A change inside a component that several operations reach is
    reported once, at the operation and place where it is shallowest, with the other
    operations in ``also_in`` and all their users in ``touched_by``.
    """
    old_ops, new_ops = _index(old), _index(new)
    wanted = old_ops.keys() | new_ops.keys() if operations is None else \
        {(m.strip().upper(), path_shape(p)) for m, p in operations}
    keys = sorted(wanted, key=lambda k: (k[1], k[0]))  # the output never depends on the input order
    users = {(m.strip().upper(), path_shape(p)): tuple(files) for (m, p), files in (touched_by or {}).items()}
    new_shapes = {shape for _method, shape in new_ops}
    differ = SchemaDiffer(old, new)
    candidates: list[tuple[Hashable | None, Change]] = []
    for key in keys:
        before, after = old_ops.get(key), new_ops.get(key)
        if before is None and after is None:
            continue
        context = _OperationDiff(differ, before, after, users.get(key, ()), source_label)
        if after is None:
            assert before is not None
            kind = "operation-removed" if key[1] in new_shapes else "path-removed"
            context.add(kind, "operation", "", "present", None, f"{key[0]} {before.path} was removed")
        elif before is None:
            context.add("operation-added", "operation", "", None, "present", f"{key[0]} {after.path} was added")
        else:
            context.compare()
        candidates.extend(context.changes)
    changes = _once_across_operations(candidates)
    return sorted(changes, key=lambda c: (c.path, c.method, _PART_ORDER[c.part], c.location, c.kind))


def _once_across_operations(candidates: list[tuple[Hashable | None, Change]]) -> list[Change]:
    """Keep one change per component-level origin: the shallowest, naming the other operations.

    Stripe's payment_intent is returned by a dozen operations; a field removed from it is one
    change for the reader, listed with every operation (and cassette) it affects.
    """
    kept: list[Change] = []
    groups: dict[Hashable, list[Change]] = {}
    for origin, change in candidates:
        if origin is None:
            kept.append(change)
        else:
            groups.setdefault(origin, []).append(change)
    for group in groups.values():
        best = min(group, key=lambda c: c.location.count("/"))  # among equals: the first by path, method
        others = [c for c in group if c is not best]
        also = tuple(dict.fromkeys(f"{c.method} {c.path}" for c in others))
        users = tuple(dict.fromkeys(user for c in (best, *others) for user in c.touched_by))
        kept.append(replace(best, also_in=also, touched_by=users) if others else best)
    return kept


class _OperationDiff:
    """Collects the changes of one operation, dropping repeats of the same (kind, location)."""

    def __init__(self, differ: SchemaDiffer, before: _Operation | None, after: _Operation | None,
                 touched_by: tuple[str, ...], source_label: str) -> None:
        self.differ = differ
        self.before, self.after = before, after
        self.touched_by = touched_by
        self.source_label = source_label
        self.changes: list[tuple[Hashable | None, Change]] = []   # (component-level origin, change)
        self._seen: set[tuple[str, str]] = set()

    def add(self, kind: str, part: Part, location: str, old: Any, new: Any, message: str,
            origin: Hashable | None = None) -> None:
        if (kind, location) in self._seen:
            return
        self._seen.add((kind, location))
        op = self.after or self.before
        assert op is not None, "an operation diff has at least one side"
        operation_id = op.operation.get("operationId")
        self.changes.append((origin, Change(kind, op.method, op.path, operation_id, part, location, short(old),
                                            short(new), message, self.touched_by, self.source_label)))

    def schemas(self, old: Any, new: Any, direction: Direction, base: str,
                visited: set[Any] | None = None) -> None:
        part: Part = "request" if direction == "request" else "response"
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        for change in self.differ.diff(old, new, direction, visited):
            self.add(change.kind, part, base + change.location, change.old, change.new, change.message,
                     change.origin)

    def compare(self) -> None:
        """Both versions have the operation: compare flags, security, parameters, body, responses."""
        assert self.before is not None and self.after is not None
        old_op, new_op = self.before.operation, self.after.operation
        if new_op.get("deprecated") is True and old_op.get("deprecated") is not True:
            self.add("field-deprecated", "operation", "", False, True, "the operation is deprecated")
        self.security(old_op, new_op)
        self.parameters(self.before, self.after)
        self.request_body(old_op, new_op)
        self.responses(old_op, new_op)

    def security(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        before = _security(self.differ.old_doc, old_op)
        after = _security(self.differ.new_doc, new_op)
        if before != after:
            self.add("security-changed", "operation", "/security", _render_security(before),
                     _render_security(after), "the operation's security requirements changed")

    def parameters(self, old: _Operation, new: _Operation) -> None:
        before, after = _parameters(self.differ.old_doc, old), _parameters(self.differ.new_doc, new)
        for key in sorted(before.keys() | after.keys()):
            old_param, new_param = before.get(key), after.get(key)
            param = new_param or old_param
            assert param is not None
            where = f"/request/{param.get('in')}/{escape_pointer(str(param.get('name')))}"
            name = param.get("name")
            if new_param is None:
                self.add("request-field-removed", "request", where, name, None, f"parameter {name} was removed")
            elif old_param is None:
                if new_param.get("required") is True:
                    self.add("new-required-request-parameter", "request", where, None, name,
                             f"required parameter {name} was added")
                else:
                    self.add("request-field-added", "request", where, None, name, f"optional parameter {name} was added")
            else:
                if new_param.get("required") is True and old_param.get("required") is not True:
                    self.add("new-required-request-parameter", "request", where, "optional", "required",
                             f"parameter {name} is now required")
                if new_param.get("deprecated") is True and old_param.get("deprecated") is not True:
                    self.add("field-deprecated", "request", where, False, True, f"parameter {name} is deprecated")
                self.schemas(_param_schema(old_param), _param_schema(new_param), "request", where)

    def request_body(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        old_body = _deref(self.differ.old_doc, old_op.get("requestBody"))
        new_body = _deref(self.differ.new_doc, new_op.get("requestBody"))
        if new_body.get("required") is True and old_body.get("required") is not True:
            self.add("new-required-request-field", "request", "/request/body", "optional", "required",
                     "a request body is now required")
        old_content, new_content = old_body.get("content") or {}, new_body.get("content") or {}
        for media in sorted(old_content.keys() | new_content.keys()):
            if media not in new_content:
                self.add("request-field-removed", "request", "/request/body", media, None,
                         f"the request body no longer accepts {media}")
            elif media not in old_content:
                self.add("request-field-added", "request", "/request/body", None, media,
                         f"the request body now accepts {media}")
            else:
                self.schemas((old_content[media] or {}).get("schema"), (new_content[media] or {}).get("schema"),
                             "request", "/request/body")

    def responses(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
        """Per status, per content type; one visited set so shared components are reported once."""
        old_doc, new_doc = self.differ.old_doc, self.differ.new_doc
        before, after = old_op.get("responses") or {}, new_op.get("responses") or {}
        visited: set[Any] = set()
        for status in sorted(map(str, before.keys() | after.keys())):
            base = f"/responses/{escape_pointer(status)}"
            if status not in after:
                self.add("status-removed", "response", base, status, None, f"status {status} is no longer returned")
                continue
            if status not in before:
                self.add("response-status-added", "response", base, None, status, f"status {status} may now be returned")
                continue
            old_resp, new_resp = _deref(old_doc, before[status]), _deref(new_doc, after[status])
            self.response_headers(old_resp, new_resp, base, visited)
            old_content, new_content = old_resp.get("content") or {}, new_resp.get("content") or {}
            for media in sorted(old_content.keys() | new_content.keys()):
                if media not in new_content:
                    self.add("response-field-removed", "response", base + "/body", media, None,
                             f"status {status} no longer returns {media}")
                elif media not in old_content:
                    self.add("response-field-added", "response", base + "/body", None, media,
                             f"status {status} may now return {media}")
                elif "json" in media or media == "*/*":
                    self.schemas((old_content[media] or {}).get("schema"), (new_content[media] or {}).get("schema"),
                                 "response", base + "/body", visited)

    def response_headers(self, old_resp: dict[str, Any], new_resp: dict[str, Any], base: str,
                         visited: set[Any]) -> None:
        old_doc, new_doc = self.differ.old_doc, self.differ.new_doc
        before = {k.lower(): _deref(old_doc, v) for k, v in (old_resp.get("headers") or {}).items()}
        after = {k.lower(): _deref(new_doc, v) for k, v in (new_resp.get("headers") or {}).items()}
        for name in sorted(before.keys() | after.keys()):
            where = f"{base}/headers/{escape_pointer(name)}"
            if name not in after:
                self.add("response-field-removed", "response", where, name, None, f"header {name} was removed")
            elif name not in before:
                self.add("response-field-added", "response", where, None, name, f"header {name} was added")
            else:
                self.schemas(_param_schema(before[name]), _param_schema(after[name]), "response", where, visited)


def _security(doc: dict[str, Any], operation: dict[str, Any]) -> frozenset[Any]:
    """The effective requirements, each scheme with the definition that matters to a client."""
    requirements = operation.get("security", doc.get("security")) or []
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    result = set()
    for requirement in requirements:
        if not isinstance(requirement, dict):
            continue
        alternatives = []
        for name, scopes in sorted(requirement.items()):
            scheme = _deref(doc, schemes.get(name))
            definition = tuple(str(scheme.get(k, "")).lower()
                               for k in ("type", "scheme", "in", "name", "openIdConnectUrl"))
            alternatives.append((name, definition, tuple(sorted(scopes or []))))
        result.add(tuple(alternatives))
    return frozenset(result)


def _render_security(requirements: frozenset[Any]) -> str:
    if not requirements:
        return "none"
    return " | ".join(sorted(" + ".join(name for name, _d, _s in alts) or "anonymous" for alts in requirements))


def _parameters(doc: dict[str, Any], op: _Operation) -> dict[tuple[str, str], dict[str, Any]]:
    """Path-item and operation parameters merged (the operation wins), keyed for matching.

    Path parameters are keyed by their position in the template, so a renamed template
    variable still lines up; header names are case-insensitive.
    """
    variables = [v[1:-1] for v in _TEMPLATE_VAR.findall(op.path)]
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(op.path_item.get("parameters") or []), *(op.operation.get("parameters") or [])]:
        param = _deref(doc, raw)
        where, name = str(param.get("in", "")), str(param.get("name", ""))
        if where == "path" and name in variables:
            merged[(where, f"#{variables.index(name)}")] = param
        else:
            merged[(where, name.lower() if where == "header" else name)] = param
    return merged


def _param_schema(param: dict[str, Any]) -> Any:
    if isinstance(param.get("schema"), dict):
        return param["schema"]
    for media in (param.get("content") or {}).values():
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            return media["schema"]
    return None


def changes_to_report(changes: Sequence[Change], *, title: str, provider: str, duration_s: float) -> Report:
    """The changes as a Report: breaking -> error, needs-a-look -> warning, safe -> info.

    Each finding's source is the first cassette or mock that touches the operation (all of them
    in ``touched_by``), or the spec label when nothing in the repo uses it.
    """
    findings = []
    for change in changes:
        status = change.status
        message = change.message
        if change.also_in:
            shown = ", ".join(change.also_in[:2]) + (", ..." if len(change.also_in) > 2 else "")
            message += f" (also in {len(change.also_in)} other operation(s): {shown})"
        findings.append(Finding(
            source=change.touched_by[0] if change.touched_by else change.source_label,
            interaction=None, provider=provider, operation=change.operation_id, method=change.method,
            path=change.path, status=int(status) if status and status.isdigit() else None, part=change.part,
            location=change.location, rule=change.kind, message=message,
            severity=SEVERITY[change.classification],  # type: ignore[arg-type]
            expected=change.old, actual=change.new, touched_by=change.touched_by))
    users = {user for change in changes for user in change.touched_by}
    report = Report(title=title, summary=Summary(files=len(users), duration_s=duration_s),
                    findings=findings, kind="contracts-diff")
    report.count()
    return report
