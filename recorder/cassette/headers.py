"""HTTP headers as recorded: original names and order kept, lookups case-insensitive.

Cassettes store headers as ``{name: [values]}`` (vcrpy) or ``{name: value}`` (Betamax); both
land here so the rest of the code never guesses at the shape.

Values are kept as tuples of strings: a loaded 3,000-interaction cassette holds ~60,000 of them,
and tuples of strings (unlike lists) drop out of the garbage collector's tracking after its first
pass, so a big cassette does not make every later full collection in the test process slower.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence


class Headers:
    """An ordered multi-map of header name -> values, case-insensitive on lookup."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[tuple[str, Sequence[str]]] = ()) -> None:
        self._items: dict[str, tuple[str, ...]] = {}
        self._index: dict[str, str] = {}
        for name, values in items:
            self.add(name, *values)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> Headers:
        """Accept vcrpy lists, Betamax scalars, or tuples; stringify everything."""
        headers = cls()
        if not data:
            return headers
        for name, value in data.items():
            if isinstance(value, (list, tuple)):
                headers.add(str(name), *(_as_text(v) for v in value))
            elif value is None:
                headers.add(str(name), "")
            else:
                headers.add(str(name), _as_text(value))
        return headers

    @classmethod
    def from_lists(cls, value: Mapping[str, Sequence[str]]) -> Headers:
        """Adopt a trusted ``{name: [str]}`` mapping (the canonical reader's output).

        A 3,000-interaction cassette has ~75,000 header values; ``add`` per value would be a
        large share of the load time. Names differing only in case must merge, so that rare
        case takes the ordinary path.
        """
        index = {name.lower(): name for name in value}
        if len(index) != len(value):
            return cls(value.items())
        headers = cls()
        headers._items = {name: tuple(values) for name, values in value.items()}
        headers._index = index
        return headers

    def add(self, name: str, *values: str) -> None:
        key = name.lower()
        existing = self._index.get(key)
        if existing is None:
            self._index[key] = name
            self._items[name] = values
        else:
            self._items[existing] += values

    def set(self, name: str, *values: str) -> None:
        self.remove(name)
        self.add(name, *values)

    def remove(self, name: str) -> None:
        existing = self._index.pop(name.lower(), None)
        if existing is not None:
            del self._items[existing]

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name``, or ``default``."""
        existing = self._index.get(name.lower())
        if existing is None:
            return default
        values = self._items[existing]
        return values[0] if values else ""

    @property
    def content_type(self) -> str:
        """The media type alone, lower-case (``application/json``), or ``""``."""
        return (self.get("Content-Type") or "").split(";")[0].strip().lower()

    def get_all(self, name: str) -> list[str]:
        existing = self._index.get(name.lower())
        return list(self._items[existing]) if existing is not None else []

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        return iter(self._items.items())

    def to_dict(self) -> dict[str, list[str]]:
        """vcrpy's shape: ``{name: [values]}``."""
        return {name: list(values) for name, values in self._items.items()}

    def copy(self) -> Headers:
        return Headers(self._items.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)
