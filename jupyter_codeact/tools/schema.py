"""An MCP tool's JSON Schemas as a Python signature: parameter names, annotations, defaults.

Only what a reader of the signature needs: the JSON types map to ``str``, ``int``,
``float``, ``bool``, ``None``, ``list[...]`` and ``dict``; unions and enums are spelled
out when short; anything else reads ``Any``. The server validates the arguments itself.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_JSON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
    "object": "dict",
    "array": "list",
}
_MAX_LITERALS = 6
_MAX_DEPTH = 3


def python_name(text: str, taken: Iterable[str] = ()) -> str:
    """A Python identifier for ``text`` (``max-results`` -> ``max_results``, ``class`` ->
    ``class_``), not one of ``taken``."""
    name = re.sub(r"\W", "_", text) or "_"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    used = set(taken)
    base, number = name, 2
    while name in used:
        name, number = f"{base}_{number}", number + 1
    return name


def annotation(schema: Any, depth: int = 0) -> str:
    """The Python annotation for a JSON Schema, as text."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return "Any"
    if "const" in schema:
        return f"Literal[{schema['const']!r}]"
    if isinstance(schema.get("enum"), list) and 0 < len(schema["enum"]) <= _MAX_LITERALS:
        return f"Literal[{', '.join(repr(value) for value in schema['enum'])}]"
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return _union(annotation(option, depth + 1) for option in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union(annotation({**schema, "type": one}, depth + 1) for one in kind)
    if kind == "array":
        items = schema.get("items")
        return f"list[{annotation(items, depth + 1)}]" if isinstance(items, dict) else "list"
    if isinstance(kind, str) and kind in _JSON_TYPES:
        return _JSON_TYPES[kind]
    if "properties" in schema:
        return "dict"
    return "Any"


def _union(parts: Iterable[str]) -> str:
    unique: list[str] = []
    for part in parts:
        if part not in unique:
            unique.append(part)
    if "Any" in unique:
        return "Any"
    # None last, as people write it.
    unique.sort(key=lambda part: part == "None")
    return " | ".join(unique)


@dataclass(frozen=True)
class Param:
    """One parameter of a generated function."""

    name: str
    """Its Python name."""
    wire: str
    """The property name the server expects."""
    annotation: str
    required: bool
    default: Any = None
    """The schema's default (JSON data); None when it gives none."""

    def text(self) -> str:
        if self.required:
            return f"{self.name}: {self.annotation}"
        return f"{self.name}: {self.annotation} = {self.default!r}"


def parameters(input_schema: Any) -> list[Param]:
    """The parameters of a tool with this input schema: the required ones first, each group
    in the schema's order."""
    schema = input_schema if isinstance(input_schema, dict) else {}
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    params: list[Param] = []
    taken: list[str] = []
    for wire, prop in properties.items():
        name = python_name(str(wire), taken)
        taken.append(name)
        is_required = wire in required_names
        default = prop.get("default") if isinstance(prop, dict) else None
        params.append(Param(name, str(wire), annotation(prop), is_required, default))
    return sorted(params, key=lambda param: not param.required)


def returns(output_schema: Any) -> str:
    """The return annotation: the wrapped ``result`` of a function whose return value is not
    an object, else the schema's own; ``str`` when there is none (the tool returns text)."""
    if not isinstance(output_schema, dict):
        return "str"
    wrapped = wrapped_result(output_schema)
    if wrapped is not None:
        return annotation(wrapped)
    return annotation(output_schema) if output_schema else "Any"


def wrapped_result(output_schema: Any) -> Any | None:
    """The schema of ``result`` when the output schema only wraps one value (the SDKs wrap
    a function's non-object return value as ``{"result": value}``), else None."""
    if not isinstance(output_schema, dict):
        return None
    properties = output_schema.get("properties")
    if (
        isinstance(properties, dict)
        and list(properties) == ["result"]
        and output_schema.get("required") == ["result"]
    ):
        return properties["result"]
    return None


def signature(params: list[Param], output_schema: Any) -> str:
    return f"({', '.join(param.text() for param in params)}) -> {returns(output_schema)}"
