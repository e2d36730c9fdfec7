"""Default cassette names for tests that name none: one per test, unique in the project, readable.

``tests/unit/test_pay.py::TestCard::test_charge[visa]`` records Stripe's calls into
``cassettes/stripe/tests/unit/test_pay/TestCard.test_charge-visa.yaml``: the test file's path from
pytest's rootdir, without ``.py``, as folders (two ``test_pay.py`` in different folders never
share a cassette), then the test's name. A parameter id is kept as it is when it is safe in a file
name; otherwise its unsafe characters become ``-`` and a short hash of the id is appended, so
``[usd eur]`` and ``[usd-eur]`` remain two cassettes.

Cassettes recorded under the earlier layout (``<provider>/<test file stem>/<test name>.yaml``,
which two ``test_pay.py`` shared) still replay when a test has none under the new one:
``legacy_name``. Recording always writes the new layout.

Two tests that would still share one (a hash collision, a case-insensitive file system) are
found when collection ends, and each fails with a message naming the other rather than one
silently overwriting the other's recording.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def cassette_name(item: pytest.Item) -> str:
    """``tests/unit/test_pay.py::TestCard::test_charge[usd eur]`` ->
    ``tests/unit/test_pay/TestCard.test_charge-usd-eur-<hash>`` (relative to the provider folder)."""
    file_part, *scope = item.nodeid.split("::")
    folders = [_safe(part) if part not in ("..", ".") else "_" for part in file_part.split("/") if part]
    if folders:
        stem, dot, _ = folders[-1].rpartition(".")
        folders[-1] = stem if dot and stem else folders[-1]
    *outer, last = scope or [item.name]
    function, bracket, param = last.partition("[")
    name = ".".join(_safe(part) for part in (*outer, function))
    if bracket:
        name += "-" + _safe_id(param[:-1] if param.endswith("]") else param)
    return "/".join([*folders, name])


def legacy_name(item: pytest.Item) -> str:
    """The earlier default: ``test_pay/TestCard.test_charge-visa`` (file stem, unsafe runs as ``-``)."""
    file_part, *scope = item.nodeid.split("::")
    test = ".".join(scope) or item.name
    return f"{Path(file_part).stem}/{_UNSAFE.sub('-', test).strip('-')}"


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-") or "_"


def _safe_id(param: str) -> str:
    """A parameter id as it is if a file name can hold it, else made safe plus a hash of the original,
    so two ids that differ only in unsafe characters never map to one file."""
    safe = _UNSAFE.sub("-", param).strip("-")
    if safe == param:
        return param
    digest = hashlib.sha1(param.encode()).hexdigest()[:6]
    return f"{safe}-{digest}" if safe else digest


def collisions(items: Iterable[pytest.Item]) -> dict[str, str]:
    """nodeid -> why its default cassette cannot be used: another test in this session maps to it."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for item in items:
        ids = by_name[cassette_name(item)]
        if item.nodeid not in ids:
            ids.append(item.nodeid)
    clashes: dict[str, str] = {}
    for name, ids in by_name.items():
        for nodeid in ids if len(ids) > 1 else ():
            others = ", ".join(i for i in ids if i != nodeid)
            clashes[nodeid] = (f"its default cassette <provider>/{name}.yaml is also {others}'s: name a cassette "
                               "in @pytest.mark.recorder(...) for one of them")
    return clashes
