"""pytest plugin (entry point ``recorder``): a thin shell over ``recorder.record``.

Under ``recorder record -- pytest`` every test records into its own cassette,
``cassettes/<provider>/<test file stem>/<test name>.yaml``, so a suite's recordings stay small
and reviewable and parallel workers never write the same file.
"""
from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path

import pytest

from recorder.record.autostart import RecordSpec, take_over

_SPEC_KEY = pytest.StashKey[RecordSpec]()
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def cassette_name(item: pytest.Item) -> str:
    """``tests/test_pay.py::TestCard::test_charge[visa]`` -> ``test_pay/TestCard.test_charge-visa``."""
    parts = item.nodeid.split("::")
    stem = Path(parts[0]).stem
    test = ".".join(parts[1:]) or item.name
    return f"{stem}/{_UNSAFE.sub('-', test).strip('-')}"


def pytest_configure(config: pytest.Config) -> None:
    spec = take_over()
    if spec is not None:
        config.stash[_SPEC_KEY] = spec


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    spec = item.config.stash.get(_SPEC_KEY, None)
    if spec is None:
        yield
        return
    from recorder.record.autostart import write_report
    from recorder.record.session import RecordSession

    config, registry = spec.build(name=cassette_name(item))
    session = RecordSession(config, registry)
    session.open()
    try:
        yield
    finally:
        errors: list[str] = []
        try:
            session.close()
        except Exception as exc:  # a leak or a write failure must not pass silently
            errors.append(str(exc))
            item.config.get_terminal_writer().line(f"recorder: {exc}", red=True)
        write_report(spec, session.written, errors)
