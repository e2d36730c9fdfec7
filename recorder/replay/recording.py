"""``recorder.replay(..., mode="once"|"new"|"all")``: the same block records instead of only replaying.

A test written for replay (``with recorder.replay("stripe/checkout") as session: ...``) is
recorded by changing the mode alone, through the machinery ``recorder record`` uses
(``RecordSession``: provider calls forwarded to the sandbox or a ``target`` stand-in, secrets
scrubbed and scanned before the atomic write). Each cassette records one provider's calls,
told by its folder (``cassettes/stripe/checkout.yaml``, the layout recording writes) or, for a
cassette elsewhere, by the provider of the interactions already in it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from recorder.cassette import load_cassette
from recorder.errors import BadInput
from recorder.providers import GENERIC, Provider, ProviderRegistry
from recorder.record.modes import RecordMode
from recorder.record.session import RecordConfig, RecordSession, parse_targets

# recorder.replay's record modes; "record" is the pytest plugin's --recorder-mode=record (re-record all).
RECORD_MODES = {"once": RecordMode.ONCE, "new": RecordMode.NEW, "all": RecordMode.ALL, "record": RecordMode.ALL}
_CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")


def cassette_targets(items: Iterable[str | Path], folder: Path) -> tuple[Path, ...]:
    """Cassettes to record into, which may not exist yet: a path as given if it exists or has a
    cassette suffix, else a name under ``folder`` (``stripe/checkout`` -> folder/stripe/checkout.yaml)."""
    out = []
    for item in items:
        path = Path(item)
        if path.suffix not in _CASSETTE_SUFFIXES:
            existing = [c for c in (folder / f"{item}.yaml", folder / f"{item}.yml") if c.is_file()]
            out.append(existing[0] if existing else folder / f"{item}.yaml")
        elif path.is_file() or path.is_absolute() or path.parent.is_dir():
            out.append(path)
        else:
            out.append(folder / path)
    return tuple(out)


def recording_session(cassettes: Sequence[Path], mode: RecordMode, targets: Sequence[str],
                      registry: ProviderRegistry, folder: Path, appending: Iterable[Path] = ()) -> RecordSession:
    """A RecordSession writing each provider's calls into the cassette named for it.

    Hosts of providers not being recorded are blocked, as in replay: a test records the calls it
    names and no others (loopback, the app's own servers, still passes). ``appending``: the
    cassettes among them this run already wrote, recorded as ``new`` (``RecordConfig.appending``)."""
    if not cassettes:
        raise BadInput("cassettes", f"mode {mode.value!r} records into a cassette: name at least one")
    paths: dict[str, Path] = {}
    for path in cassettes:
        provider = provider_of(path, registry)
        if provider.name in paths:
            raise BadInput(path, f"{paths[provider.name]} already records {provider.name}'s calls; "
                                 "one cassette per provider")
        paths[provider.name] = path
    providers = tuple(registry.get(name) for name in paths)
    added = set(appending)
    # A suite-wide "stripe=URL" must not break a block that records only Twilio (or replays Stripe).
    known = parse_targets(targets, [p for p in registry if p.name != GENERIC])
    config = RecordConfig(providers=providers, cassette_dir=folder, name="", mode=mode,
                          targets={name: url for name, url in known.items() if name == "*" or name in paths},
                          block_network=True, paths=paths,
                          appending=frozenset(name for name, path in paths.items() if path in added))
    return RecordSession(config, registry)


def provider_of(path: Path, registry: ProviderRegistry) -> Provider:
    """Whose calls a cassette records: the folder it sits in, else the one provider it holds."""
    named = {p.name: p for p in registry if p.name != GENERIC}
    if path.parent.name in named:
        return named[path.parent.name]
    if path.is_file():
        found = {i.provider for i in load_cassette(path, registry=registry).interactions} - {None, GENERIC}
        if len(found) == 1:
            return named[found.pop()]  # type: ignore[index]
    raise BadInput(path, "cannot tell which provider's calls to record into this cassette: keep it in a "
                         f"folder named after the provider (one of {', '.join(sorted(named))})")
