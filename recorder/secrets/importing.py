"""Importing other tools' cassettes under the same guarantee as recording: no credential on disk.

Cassettes from vcrpy, Ruby VCR or Betamax projects often carry live keys (the corpus is full of
them). An import that copied them into canonical files would launder a leak into a file that
looks as if recorder made it. So each cassette is scrubbed by the rules of the provider that
owns each interaction's host, then the serialized bytes go through the same scanner as a
recording (``scan_guard``); a file that still holds something secret-shaped is refused whole.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from recorder.cassette.convert import ImportResult, iter_import
from recorder.providers import ProviderRegistry
from recorder.secrets.scan import Finding, scan_guard
from recorder.secrets.scrub import scrub_cassette


def import_scrubbed(files: list[Path], to: Path, registry: ProviderRegistry) -> Iterator[ImportResult]:
    """Each file scrubbed, scanned and written as ``<stem>.yaml`` under ``to``, or refused
    (``result.refused``). A file that is not a cassette raises ``BadInput`` as ``iter_import`` does."""
    return iter_import(files, to, check=scan_guard, registry=registry,
                       prepare=lambda cassette: scrub_cassette(cassette, registry))


def refusal_lines(result: ImportResult) -> list[str]:
    """One line per leak, naming the source file (the target was never written); no values.

    Line numbers would point into bytes that were never written, so leaks are told apart by
    interaction, location and kind; repeats in one place are counted, not listed.
    """
    findings = [f for f in (result.refused.findings if result.refused else ()) if isinstance(f, Finding)]
    counts = Counter((f.interaction, f.location, f.kind) for f in findings)
    out = []
    for (interaction, location, kind), count in counts.items():
        where = f"interaction {interaction}, " if interaction is not None else ""
        times = f" ({count} times)" if count > 1 else ""
        out.append(f"{result.source}: {where}{location}: {kind}{times}: secret left after scrubbing, "
                   f"{result.target.name} not written")
    return out
