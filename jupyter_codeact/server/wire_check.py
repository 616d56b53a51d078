"""Check a JSON value against a :mod:`.wire_schema` type, as the panel's guards do.

The same rules as the guards generated into ``src/wire/generated.ts``: every declared
field present with its type (optional ones when present), unknown fields let through,
nbformat JSON checked only as an object, numbers finite and never booleans. The server's
tests check what it sends with it, so a shape the panel would reject fails there first.
"""

from __future__ import annotations

import math
import sys
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # Python 3.10: NotRequired is in typing_extensions (openai depends on it)
    from typing_extensions import NotRequired, Required

from .wire_schema import External


def problems(value: Any, tp: Any, where: str = "message") -> list[str]:
    """What in ``value`` does not follow ``tp`` (empty when it does)."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is typing.Annotated:
        if any(isinstance(a, External) for a in args[1:]):
            return [] if isinstance(value, dict) else [f"{where} is not an object"]
        return problems(value, args[0], where)
    if typing.is_typeddict(tp):
        return _typed_dict(value, tp, where)
    if origin in (Union, types.UnionType):
        return _union(value, tp, where)
    if tp is Any:
        return []
    if tp is None or tp is type(None):
        return [] if value is None else [f"{where} is not null"]
    if tp is bool:
        return [] if isinstance(value, bool) else [f"{where} is not true or false"]
    if tp in (int, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok and math.isfinite(value) else [f"{where} is not a number"]
    if tp is str:
        return [] if isinstance(value, str) else [f"{where} is not a string"]
    if origin is Literal:
        return [] if isinstance(value, str) and value in args else [f"{where} is not one of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [p for i, item in enumerate(value) for p in problems(item, args[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        return [p for k, item in value.items() for p in problems(item, args[1], f"{where}.{k}")]
    raise TypeError(f"The wire schema cannot check {tp!r}.")


def _typed_dict(value: Any, tp: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} is not an object"]
    found: list[str] = []
    for key, hint in typing.get_type_hints(tp, include_extras=True).items():
        optional = get_origin(hint) is NotRequired or not tp.__total__
        if get_origin(hint) in (NotRequired, Required):
            hint = get_args(hint)[0]
        if key not in value:
            if not optional:
                found.append(f"{where} has no '{key}'")
            continue
        found += problems(value[key], hint, f"{where}.{key}")
    return found


def _union(value: Any, tp: Any, where: str) -> list[str]:
    members = get_args(tp)
    for key in ("type", "op") if all(typing.is_typeddict(m) for m in members) else ():
        tags = {get_args(typing.get_type_hints(m).get(key))[:1]: m for m in members}
        if len(tags) == len(members):
            tag = value.get(key) if isinstance(value, dict) else None
            member = tags.get((tag,))
            if member is None:
                return [f"{where} has an unknown '{key}': {tag!r}"]
            return _typed_dict(value, member, where)
    every = [problems(value, m, where) for m in members]
    return [] if any(not p for p in every) else every[0]
