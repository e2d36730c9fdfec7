"""Reading cassette YAML written by other tools (vcrpy, Ruby VCR / Psych), safely and faithfully.

Two things set this apart from ``yaml.safe_load``:

* Ruby's Psych writes tags PyYAML does not know (``!binary``, ``!ruby/regexp``,
  ``!ruby/object:...``) and old vcrpy wrote ``!!python/...`` tags. Refusing them would make
  real recordings unloadable; executing them would be unsafe. We construct their plain data
  and wrap it in a marker type (:class:`Tagged`) so the dialect reader can say what it found
  in a per-interaction warning instead of the YAML layer guessing without context.
* Only ``null`` is resolved implicitly. A header recorded as ``- 2026-06-24.dahlia`` or
  ``- 0755`` or ``- yes`` must stay the text that was on the wire, not become a date, 493 or
  True; numbers the model needs (status codes) are converted where they are used.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml

from recorder.errors import BadInput

try:  # libyaml: several times faster than the pure-Python parser
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - pyyaml built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class Tagged:
    """Mixin for values that carried an explicit YAML tag we only half understand."""

    tag: str = ""


class TaggedStr(str, Tagged):
    """A scalar with a foreign tag, e.g. ``!ruby/regexp /^https:\\/\\/api/``: the text as written."""

    def __new__(cls, value: str, tag: str) -> TaggedStr:
        obj = super().__new__(cls, value)
        obj.tag = tag
        return obj


class TaggedDict(dict, Tagged):  # type: ignore[type-arg]
    """A mapping with a foreign tag, e.g. ``!ruby/hash:ActiveSupport::HashWithIndifferentAccess``."""

    def __init__(self, value: dict[Any, Any], tag: str) -> None:
        super().__init__(value)
        self.tag = tag


class TaggedList(list, Tagged):  # type: ignore[type-arg]
    def __init__(self, value: list[Any], tag: str) -> None:
        super().__init__(value)
        self.tag = tag


class CassetteLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe loader with Ruby/Python tag support and null as the only implicit type."""


CassetteLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_binary(loader: yaml.Loader, node: yaml.Node) -> bytes:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    try:
        return base64.decodebytes(str(value).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"bad base64 in !binary value ({exc})", node.start_mark) from None


def _construct_tagged(loader: yaml.Loader, suffix: str, node: yaml.Node) -> object:
    """Any tag we have no constructor for: keep its plain data, remember the tag."""
    tag = node.tag
    if isinstance(node, yaml.MappingNode):
        return TaggedDict(loader.construct_mapping(node, deep=True), tag)
    if isinstance(node, yaml.SequenceNode):
        return TaggedList(loader.construct_sequence(node, deep=True), tag)
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    if tag in ("tag:yaml.org,2002:python/str", "tag:yaml.org,2002:python/unicode"):
        return value  # old vcrpy: a plain string with a Python type note, nothing to warn about
    return TaggedStr(str(value), tag)


def _construct_python_tuple(loader: yaml.Loader, node: yaml.Node) -> list[Any]:
    return loader.construct_sequence(node, deep=True)  # type: ignore[arg-type]


def _construct_bytesio(loader: yaml.Loader, node: yaml.Node) -> bytes:
    # Old vcrpy pickled file-like request bodies; the content is the first item of ``state``.
    mapping = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    state = mapping.get("state") or (b"",)
    data = state[0] if state else b""
    return data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")


CassetteLoader.add_constructor("!binary", _construct_binary)  # Psych's spelling of !!binary
CassetteLoader.add_constructor("tag:yaml.org,2002:python/tuple", _construct_python_tuple)
CassetteLoader.add_constructor("tag:yaml.org,2002:python/object/new:_io.BytesIO", _construct_bytesio)
CassetteLoader.add_multi_constructor("", _construct_tagged)  # type: ignore[no-untyped-call]


def load_yaml(text: str, path: object = None) -> Any:
    """Parse YAML text; malformed input becomes one-line ``BadInput`` naming the line."""
    try:
        return yaml.load(text, Loader=CassetteLoader)  # noqa: S506 - CassetteLoader is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"line {mark.line + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "malformed"
        raise BadInput(path, f"not valid YAML: {problem}", place=place) from None
    except yaml.YAMLError as exc:
        raise BadInput(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None
