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
template variable is not reported as a removed path. Comparing the two sides of one operation
(and the :class:`Change` vocabulary) lives in :mod:`recorder.contracts.diff_operation`, schema
comparison in :mod:`recorder.contracts.diff_schema`; this module lines operations up, reports a
shared component's change once, and :func:`changes_to_report` turns changes into the
:class:`~recorder.report.model.Report` every report format renders.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from recorder.contracts.diff_operation import (KIND_CLASSIFICATION, SEVERITY, Change, Classification,
                                               OperationDiff, Part, index_operations, path_shape, short)
from recorder.contracts.diff_schema import SchemaDiffer
from recorder.report.model import Finding, Report, Summary

# The diff's vocabulary is defined beside the operation rules and re-exported: callers import it from here.
__all__ = ["KIND_CLASSIFICATION", "SEVERITY", "Change", "Classification", "Part", "changes_to_report",
           "diff_specs", "path_shape", "short"]

_PART_ORDER = {"operation": 0, "request": 1, "response": 2}


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
    old_ops, new_ops = index_operations(old), index_operations(new)
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
        context = OperationDiff(differ, before, after, users.get(key, ()), source_label)
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
