"""The small JSONPath subset call assertions need: ``$.a.b[0].c``, ``$['odd key']``, ``$.list[*].x``."""
from __future__ import annotations

import re
from typing import Any

from recorder.errors import BadInput

_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+|\*)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def parse_path(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise BadInput(path, "a JSON path starts with $")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise BadInput(path, f"cannot read the JSON path at character {position + 1}")
        name, index, quoted, dquoted = match.groups()
        if index is not None:
            steps.append("*" if index == "*" else int(index))
        else:
            steps.append(name if name is not None else quoted if quoted is not None else dquoted)
        position = match.end()
    return steps


def select(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (``[*]`` fans out); an empty list when nothing is there."""
    current = [data]
    for step in parse_path(path):
        following = []
        for node in current:
            if step == "*" and isinstance(node, list):
                following.extend(node)
            elif isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node):
                following.append(node[step])
            elif isinstance(step, str) and isinstance(node, dict) and step in node:
                following.append(node[step])
        current = following
    return current
