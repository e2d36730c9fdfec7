"""Pinned provider contracts: ``contracts/<provider>/contract.json`` plus its ``lock.json``.

The repo keeps one pinned version per provider: the slice of the provider's spec that the
cassettes and mocks use (reviewable, diff-stable) and a lock that says exactly which published
document it was cut from (source, ``info.version``, sha256 and size of the full document's bytes,
when it was retrieved, which operations) and the sha256 of ``contract.json`` itself, so a
hand-edited or half-merged contract is caught instead of silently trusted.

Both files are written atomically as a pair: temp files next to the targets, ``os.replace``, and
on any failure the previous pair (or nothing) is left, never a new contract with an old lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recorder.atomic import stage
from recorder.contracts.slicing import StubPolicy, slice_spec
from recorder.contracts.source import SpecDocument, parse_spec_bytes
from recorder.errors import BadInput

CONTRACT_FILE = "contract.json"
LOCK_FILE = "lock.json"
# Provider names become folder names: no separators, no dot-dot, nothing a shell would mangle.
_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"

Operation = tuple[str, str]   # (METHOD upper-case, path template)


@dataclass(frozen=True, slots=True)
class PinnedContract:
    """One provider's pinned contract: the lock's fields, the slice, and where both live."""

    provider: str
    source: str                    # the path or URL the full document was read from
    version: str                   # the full document's info.version
    sha256: str                    # of the full document's bytes as retrieved
    size: int                      # bytes of the full document
    retrieved: datetime            # UTC
    operations: tuple[Operation, ...]
    slice_sha256: str              # of contract.json's bytes
    contract_path: Path
    lock_path: Path
    data: dict[str, Any] = field(repr=False, compare=False)

    def lock_json(self) -> dict[str, Any]:
        """The lock file's content (also what ``pin`` writes)."""
        return {
            "source": self.source,
            "version": self.version,
            "sha256": self.sha256,
            "size": self.size,
            "retrieved": self.retrieved.strftime(_TIMESTAMP),
            "operations": [f"{method} {path}" for method, path in self.operations],
            "slice_sha256": self.slice_sha256,
        }


def provider_dir(provider: str, contracts_dir: Path) -> Path:
    """``contracts_dir/<provider>``; BadInput for a name that is not a plain folder name."""
    if not _PROVIDER_NAME.match(provider):
        raise BadInput("--provider", f"provider name {provider!r} must be lower-case letters, digits, '.', '_' or '-'")
    return Path(contracts_dir) / provider


def serialize(data: Any) -> bytes:
    """How contract and lock files are written: sorted keys, indent 2, trailing newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _operations(operations: Iterable[tuple[str, str]]) -> tuple[Operation, ...]:
    return tuple(sorted({(method.strip().upper(), path) for method, path in operations}))


def _as_utc(moment: datetime | None) -> datetime:
    """Aware times are converted; naive ones are taken as UTC already. Seconds precision."""
    moment = moment or datetime.now(timezone.utc)
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.replace(microsecond=0)


def pin(provider: str, document: SpecDocument, operations: Iterable[tuple[str, str]], contracts_dir: Path,
        retrieved: datetime | None = None, stubs: StubPolicy | None = None) -> PinnedContract:
    """Slice ``document`` to ``operations`` and write contract and lock for ``provider``.

    ``stubs`` (what the repo's traffic reaches, :func:`recorder.contracts.usage.traffic_reach`)
    cuts the schemas no recorded response reaches; without it the slice keeps them all.

    Replaces whatever was pinned for the provider before (one pinned version per provider).
    Everything that can fail on the input (an operation not in the spec, a dangling $ref) fails
    before the first byte is written; a write failure restores the previous pair.
    """
    folder = provider_dir(provider, contracts_dir)
    ops = _operations(operations)
    with naming(document.source):
        sliced = slice_spec(document.data, ops, stubs)
    contract_bytes = serialize(sliced)
    pinned = PinnedContract(
        provider=provider, source=document.source, version=document.version,
        sha256=document.sha256, size=document.size, retrieved=_as_utc(retrieved), operations=ops,
        slice_sha256=hashlib.sha256(contract_bytes).hexdigest(),
        contract_path=folder / CONTRACT_FILE, lock_path=folder / LOCK_FILE, data=sliced)
    _write_pair(folder, [(pinned.contract_path, contract_bytes),
                         (pinned.lock_path, serialize(pinned.lock_json()))])
    return pinned


@contextmanager
def naming(source: str) -> Iterator[None]:
    """BadInput raised inside about a place in a document (a dangling ``$ref``) names the document."""
    try:
        yield
    except BadInput as exc:
        if exc.where is not None:
            raise
        raise BadInput(source, exc.message, exc.place) from None


def _write_pair(folder: Path, files: list[tuple[Path, bytes]]) -> None:
    """Write all ``files`` or none: stage temp files, then replace in order, undoing on failure."""
    created_folder = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    previous: dict[Path, bytes | None] = {}
    replaced: list[Path] = []
    try:
        for target, content in files:
            staged.append((stage(target, content), target))
            previous[target] = target.read_bytes() if target.exists() else None
        for tmp, target in staged:
            os.replace(tmp, target)
            replaced.append(target)
    except BaseException:
        for target in reversed(replaced):
            _restore(target, previous[target])
        for tmp, _target in staged:
            tmp.unlink(missing_ok=True)
        if created_folder and not any(folder.iterdir()):
            folder.rmdir()
        raise


def _restore(target: Path, content: bytes | None) -> None:
    """Put back what was there before this pin (best effort: we are already failing)."""
    try:
        if content is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(content)
    except OSError:
        pass


def pinned_providers(contracts_dir: Path) -> list[str]:
    """Providers with a lock or a contract file under ``contracts_dir``, sorted; [] when there is none.

    A folder with only one of the two is listed too: :func:`load_pinned` then says which file is
    missing, rather than the provider being skipped as if nothing had ever been pinned.
    """
    root = Path(contracts_dir)
    if not root.is_dir():
        return []
    return sorted(child.name for child in root.iterdir()
                  if (child / LOCK_FILE).is_file() or (child / CONTRACT_FILE).is_file())


def load_pinned(provider: str, contracts_dir: Path) -> PinnedContract | None:
    """The provider's pinned contract, None when nothing is pinned for it.

    A lock without its contract (or the reverse), a malformed file, or a contract whose bytes
    do not match the lock's ``slice_sha256`` is BadInput naming the file and the key.
    """
    folder = provider_dir(provider, contracts_dir)
    lock_path, contract_path = folder / LOCK_FILE, folder / CONTRACT_FILE
    if not lock_path.exists() and not contract_path.exists():
        return None
    for present, absent in ((lock_path, contract_path), (contract_path, lock_path)):
        if present.exists() and not absent.exists():
            raise BadInput(absent, f"missing (next to {present.name}); re-run `recorder contracts pull --provider {provider}`")
    lock = _read_lock(lock_path)
    contract_bytes = _read_bytes(contract_path)
    if hashlib.sha256(contract_bytes).hexdigest() != lock["slice_sha256"]:
        raise BadInput(contract_path, f"its sha256 does not match {LOCK_FILE}'s slice_sha256 "
                       "(edited by hand?); re-run `recorder contracts pull`", "slice_sha256")
    return PinnedContract(provider=provider, contract_path=contract_path, lock_path=lock_path,
                          data=parse_spec_bytes(contract_bytes, str(contract_path)), **lock)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(path, f"cannot read: {exc.strerror or exc}") from None


def _read_lock(path: Path) -> dict[str, Any]:
    """The lock's fields, typed; each problem is BadInput(lock path, message, key)."""
    try:
        raw = json.loads(_read_bytes(path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(path, f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise BadInput(path, "must be a JSON object")

    def text(key: str, *, empty: bool = False) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not (value or empty):
            raise BadInput(path, "missing" if key not in raw else "must be a non-empty string", key)
        return value

    def digest(key: str) -> str:
        value = text(key)
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise BadInput(path, "must be a sha256 hex digest (64 lower-case hex digits)", key)
        return value

    size = raw.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadInput(path, "missing" if "size" not in raw else "must be a non-negative integer", "size")
    try:
        retrieved = datetime.strptime(text("retrieved"), _TIMESTAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        raise BadInput(path, "must be an ISO-8601 UTC time like 2024-01-31T12:00:00Z", "retrieved") from None
    operations = raw.get("operations")
    if not isinstance(operations, list):
        raise BadInput(path, "missing" if "operations" not in raw else "must be a list", "operations")
    pairs: list[Operation] = []
    for index, entry in enumerate(operations):
        method, _, template = entry.partition(" ") if isinstance(entry, str) else ("", "", "")
        if not method or not template.startswith("/"):
            raise BadInput(path, "must look like 'POST /v1/charges'", f"operations[{index}]")
        pairs.append((method.upper(), template))
    return {"source": text("source"), "version": text("version", empty=True), "sha256": digest("sha256"),
            "size": size, "retrieved": retrieved, "operations": tuple(pairs),
            "slice_sha256": digest("slice_sha256")}
