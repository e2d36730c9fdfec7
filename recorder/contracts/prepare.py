"""A spec prepared for checking traffic: operations, routes and schemas, cached by content hash.

Preparing is the expensive part of any OpenAPI checker (openapi-core spends 0.7-1.6 s in
``OpenAPI.from_dict`` on Stripe alone). We do it once per distinct document: the result is plain
JSON (operations with their parameters, bodies and responses; every schema already converted to
strict JSON Schema) written to the cache under the sha256 of the spec's bytes. The next run reads
that file instead of the 5 MB spec and is ready in milliseconds; a changed spec has a new hash,
so the cache can never serve stale contracts.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recorder.atomic import atomic_write
from recorder.contracts.schema import close_components, strict_form, to_json_schema
from recorder.contracts.slicing import resolve_pointer
from recorder.errors import BadInput
from recorder.contracts.source import SpecDocument, parse_spec_bytes, read_source

PREPARED_FORMAT = 4          # bump when the prepared layout or the schema conversion changes
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(slots=True)
class Param:
    name: str
    location: str            # path | query | header | cookie
    required: bool
    schema: Any              # strict JSON Schema (refs into the components)
    style: str
    explode: bool
    multi_segment: bool = False   # x-multi-segment: a path value that may span slashes (GitHub's {ref})


@dataclass(slots=True)
class Operation:
    """One method on one path template, with what the spec says it accepts and returns."""

    index: int
    op_id: str
    method: str              # upper case
    path: str                # template as in the spec: /v1/charges/{charge}
    servers: list[str]
    params: list[Param]
    request_body: dict[str, Any]      # content type -> {"schema": ..., "encoding": {...}}
    request_required: bool
    responses: dict[str, dict[str, Any]]   # "200" / "4XX" / "default" -> content type -> schema|None
    deprecated: bool = False

    def response_for(self, status: int) -> tuple[str, dict[str, Any]] | None:
        """The documented response for a status (see :func:`response_key`)."""
        key = response_key(self.responses, status)
        return None if key is None else (key, self.responses[key])


def response_key(responses: Mapping[str, Any], status: int) -> str | None:
    """Which key of an operation's ``responses`` documents ``status``: exact, ``4XX`` range, default."""
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in responses:
            return key
    return None


@dataclass(slots=True)
class PreparedSpec:
    """What verification needs from one spec document; JSON-serialisable for the disk cache."""

    sha256: str
    version: str
    title: str
    openapi_31: bool
    servers: list[str]
    operations: list[Operation]
    components: dict[str, Any] = field(repr=False)   # name -> strict JSON Schema
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": PREPARED_FORMAT, "sha256": self.sha256, "version": self.version,
                "title": self.title, "openapi_31": self.openapi_31, "servers": self.servers,
                "operations": [_op_to_json(op) for op in self.operations],
                "components": self.components}

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "") -> PreparedSpec:
        ops = [Operation(index=o["index"], op_id=o["op_id"], method=o["method"], path=o["path"],
                         servers=o["servers"], params=[Param(**p) for p in o["params"]],
                         request_body=o["request_body"], request_required=o["request_required"],
                         responses=o["responses"], deprecated=o.get("deprecated", False))
               for o in data["operations"]]
        return cls(sha256=data["sha256"], version=data["version"], title=data["title"],
                   openapi_31=data["openapi_31"], servers=data["servers"], operations=ops,
                   components=data["components"], source=source)


def _op_to_json(op: Operation) -> dict[str, Any]:
    return {"index": op.index, "op_id": op.op_id, "method": op.method, "path": op.path,
            "servers": op.servers, "params": [asdict(p) for p in op.params],
            "request_body": op.request_body, "request_required": op.request_required,
            "responses": op.responses, "deprecated": op.deprecated}


class _Builder:
    """Walks the raw document once, resolving component refs for parameters, bodies, responses."""

    def __init__(self, doc: SpecDocument) -> None:
        self.data = doc.data
        self.is_31 = doc.is_31

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
            ref = node["$ref"]
            if ref.startswith(SCHEMA_PREFIX):
                return node  # schema refs stay refs: the validator follows them
            node = _pointer(self.data, ref)
            seen += 1
        return node

    def schema(self, raw: Any) -> Any:
        converted = to_json_schema(raw if raw is not None else {}, openapi_31=self.is_31)
        return strict_form(converted)

    def operations(self) -> list[Operation]:
        ops: list[Operation] = []
        top_servers = _server_urls(self.data.get("servers"))
        for path, item in (self.data.get("paths") or {}).items():
            item = self.resolve(item)
            if not isinstance(item, dict):
                continue
            path_params = item.get("parameters") or []
            path_servers = _server_urls(item.get("servers")) or top_servers
            for method in METHODS:
                raw_op = item.get(method)
                if not isinstance(raw_op, dict):
                    continue
                ops.append(self.operation(len(ops), method, path, raw_op, path_params, path_servers))
        return ops

    def operation(self, index: int, method: str, path: str, raw: dict[str, Any],
                  path_params: list[Any], servers: list[str]) -> Operation:
        params: dict[tuple[str, str], Param] = {}
        for raw_param in [*path_params, *(raw.get("parameters") or [])]:  # operation level wins
            p = self.resolve(raw_param)
            if not isinstance(p, dict) or "name" not in p or "in" not in p:
                continue
            location = str(p["in"])
            style = str(p.get("style") or ("simple" if location in ("path", "header") else "form"))
            params[(location, str(p["name"]))] = Param(
                name=str(p["name"]), location=location, required=bool(p.get("required", location == "path")),
                schema=self.schema(_param_schema(p)), style=style, explode=bool(p.get("explode", style == "form")),
                multi_segment=location == "path" and p.get("x-multi-segment") is True)
        body = self.resolve(raw.get("requestBody")) or {}
        request_body = {
            ctype: {"schema": self.schema(media.get("schema")) if isinstance(media, dict) else {},
                    "encoding": {k: {"style": v.get("style"), "explode": v.get("explode")}
                                 for k, v in ((media or {}).get("encoding") or {}).items() if isinstance(v, dict)}}
            for ctype, media in (body.get("content") or {}).items()}
        responses: dict[str, dict[str, Any]] = {}
        for status, raw_response in (raw.get("responses") or {}).items():
            response = self.resolve(raw_response) or {}
            content = response.get("content") or {}
            responses[str(status)] = {
                ctype: (self.schema(media["schema"]) if isinstance(media, dict) and "schema" in media else None)
                for ctype, media in content.items()}
        return Operation(index=index, op_id=str(raw.get("operationId") or f"{method.upper()} {path}"),
                         method=method.upper(), path=path,
                         servers=_server_urls(raw.get("servers")) or servers, params=list(params.values()),
                         request_body=request_body, request_required=bool(body.get("required")),
                         responses=responses, deprecated=bool(raw.get("deprecated")))


def _param_schema(param: dict[str, Any]) -> Any:
    if "schema" in param:
        return param["schema"]
    for media in (param.get("content") or {}).values():  # parameters described by content
        if isinstance(media, dict) and "schema" in media:
            return media["schema"]
    return {}


def _server_urls(servers: Any) -> list[str]:
    urls: list[str] = []
    for server in servers or []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for name, var in (server.get("variables") or {}).items():
            if isinstance(var, dict) and "default" in var:
                url = url.replace("{" + name + "}", str(var["default"]))
        urls.append(url)
    return urls


def _pointer(doc: Any, ref: str) -> Any:
    """The node ``ref`` points at in ``doc``; None when it dangles or is not a local ``#/`` pointer."""
    if not ref.startswith("#/"):
        return None  # external refs: not followed (no network, no surprise file reads)
    try:
        return resolve_pointer(doc, ref)
    except BadInput:
        return None


def prepare(doc: SpecDocument) -> PreparedSpec:
    """Convert a parsed document (no cache involved: see :func:`prepare_cached`)."""
    builder = _Builder(doc)
    raw_components = ((doc.data.get("components") or {}).get("schemas") or {})
    converted = {name: to_json_schema(schema, openapi_31=doc.is_31) for name, schema in raw_components.items()}
    info = doc.data.get("info") or {}
    return PreparedSpec(sha256=doc.sha256, version=doc.version, title=str(info.get("title") or ""),
                        openapi_31=doc.is_31, servers=_server_urls(doc.data.get("servers")),
                        operations=builder.operations(), components=close_components(converted),
                        source=doc.source)


def cache_dir() -> Path:
    """``$RECORDER_CACHE_DIR``, else ``$XDG_CACHE_HOME/recorder``, else ``~/.cache/recorder``."""
    explicit = os.environ.get("RECORDER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recorder"


def _cache_file(sha256: str) -> Path:
    return cache_dir() / "specs" / f"{sha256}.v{PREPARED_FORMAT}.json"


def load_prepared(sha256: str, source: str = "") -> PreparedSpec | None:
    """The cached preparation of a document with this hash, or None (missing or unreadable)."""
    try:
        data = json.loads(_cache_file(sha256).read_bytes())
        if data.get("format") != PREPARED_FORMAT or data.get("sha256") != sha256:
            return None
        return PreparedSpec.from_json(data, source=source)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged cache entry is rebuilt, never trusted


def store_prepared(spec: PreparedSpec) -> None:
    """Write atomically; a read-only or full cache folder only costs speed, never correctness."""
    target = _cache_file(spec.sha256)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(spec.to_json(), separators=(",", ":")).encode("utf-8"))
    except OSError:
        return


def open_spec(source: str | Path, *, use_cache: bool = True) -> PreparedSpec:
    """The prepared spec behind a path or URL: hash the bytes, and parse only on a cache miss.

    Hashing 5 MB takes ~10 ms; parsing it takes 50 ms (JSON) to seconds (YAML) and converting
    it more, which is why the lookup comes before the parse.
    """
    raw = read_source(source)
    sha = hashlib.sha256(raw).hexdigest()
    if use_cache:
        cached = load_prepared(sha, source=str(source))
        if cached is not None:
            return cached
    doc = SpecDocument(source=str(source), sha256=sha, size=len(raw), data=parse_spec_bytes(raw, str(source)))
    spec = prepare(doc)
    if use_cache:
        store_prepared(spec)
    return spec
