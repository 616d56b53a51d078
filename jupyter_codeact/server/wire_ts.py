"""Generate the panel's wire types and runtime guards from :mod:`.wire_schema`.

``python -m jupyter_codeact.server.wire_ts`` writes ``src/wire/generated.ts``; with
``--check`` it writes nothing and fails (status 1, saying what to run) when the file is not
what the schema gives. ``make lint`` runs the check, so a field added on one side only
fails the build. :mod:`.wire_schema`'s docstring says how to add a message.

The output is stable for easy merges: a header, the helpers, then one block per declared
name, sorted by name (its doc comment, its type, the constant listing a union's values,
its guard). A guard checks every field the schema declares, present or optional, and
lets unknown fields through (a newer server may add some).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required
else:  # Python 3.10: NotRequired is in typing_extensions (openai depends on it)
    from typing_extensions import NotRequired, Required

from . import wire_schema
from .wire_docs import docs, imported_doc

OUTPUT = Path("src") / "wire" / "generated.ts"
"""Where the generated module goes, relative to the repository's root."""

HEADER = """\
/**
 * The chat wire protocol's types and runtime guards. GENERATED from
 * `jupyter_codeact/server/wire_schema.py` by
 * `python -m jupyter_codeact.server.wire_ts`: do not edit (`make lint` fails
 * when this file and the schema disagree). Longer than a module should be
 * because it is the whole schema, one block per name.
 */
import type * as nbformat from '@jupyterlab/nbformat';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

function isOneOf(value: unknown, choices: readonly unknown[]): boolean {
  return typeof value === 'string' && choices.includes(value);
}

function isArrayOf(value: unknown, check: (item: unknown) => boolean): boolean {
  return Array.isArray(value) && value.every(item => check(item));
}

function isRecordOf(
  value: unknown,
  check: (item: unknown) => boolean
): boolean {
  return isObject(value) && Object.values(value).every(item => check(item));
}
"""

_DISCRIMINATORS = ("type", "op")
_PRIMITIVES: dict[Any, tuple[str, str]] = {
    str: ("string", "isString"),
    int: ("number", "isNumber"),
    float: ("number", "isNumber"),
    bool: ("boolean", "isBoolean"),
}


@dataclass
class _Declaration:
    name: str
    value: Any
    doc: str | None


def _is_literal_alias(value: Any) -> bool:
    return get_origin(value) is Literal


def _is_union_of_dicts(value: Any) -> bool:
    return get_origin(value) is Union and all(typing.is_typeddict(a) for a in get_args(value))


def _declarations(module: types.ModuleType) -> list[_Declaration]:
    names, _ = docs(module)
    found: list[_Declaration] = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if typing.is_typeddict(value) and value.__module__ == module.__name__:
            found.append(_Declaration(name, value, inspect.getdoc(value)))
        elif _is_literal_alias(value) or _is_union_of_dicts(value):
            doc = names.get(name) if name in names else imported_doc(module, name)
            found.append(_Declaration(name, value, doc))
        elif name.isupper() and isinstance(value, str):
            found.append(_Declaration(name, value, names.get(name)))
    return sorted(found, key=lambda d: d.name)


def _upper(name: str) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
    return words + ("ES" if words.endswith("S") else "S")


def _quote(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"The wire schema has a non-string literal: {value!r}.")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _comment(doc: str | None, indent: str = "") -> list[str]:
    if not doc:
        return []
    text = inspect.cleandoc(doc)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    text = re.sub(r":(?:data|mod|func|meth|class):`~?([^`]+)`", r"`\1`", text)
    lines = text.splitlines()
    if len(lines) == 1 and len(indent) + len(lines[0]) + 7 <= 80:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *[f"{indent} * {line}".rstrip() for line in lines], f"{indent} */"]


def _strip(hint: Any) -> tuple[Any, bool]:
    """A field's type without NotRequired / Required, and whether it may be absent."""
    origin = get_origin(hint)
    if origin is NotRequired:
        return get_args(hint)[0], True
    if origin is Required:
        return get_args(hint)[0], False
    return hint, False


class _Generator:
    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.declarations = _declarations(module)
        self.named: list[tuple[Any, str]] = [
            (d.value, d.name) for d in self.declarations if not isinstance(d.value, str)
        ]
        self.field_docs = docs(module)[1]

    def _name(self, tp: Any) -> str | None:
        for value, name in self.named:
            if value is tp or (not isinstance(tp, type) and value == tp):
                return name
        return None

    def _fields(self, cls: Any) -> list[tuple[str, Any, bool]]:
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = []
        for key, hint in hints.items():
            tp, optional = _strip(hint)
            fields.append((key, tp, optional or not cls.__total__))
        return fields

    def ts(self, tp: Any) -> str:
        """The TypeScript type of ``tp``."""
        name = self._name(tp)
        if name is not None:
            return ("I" + name) if typing.is_typeddict(tp) else name
        if typing.is_typeddict(tp):
            raise TypeError(f"{tp.__name__} is not declared in the wire schema.")
        origin, args = get_origin(tp), get_args(tp)
        if origin is typing.Annotated:
            extra = next((a for a in args[1:] if isinstance(a, wire_schema.External)), None)
            return extra.typescript if extra else self.ts(args[0])
        if tp in _PRIMITIVES:
            return _PRIMITIVES[tp][0]
        if tp is None or tp is type(None):
            return "null"
        if tp is Any:
            return "unknown"
        if origin is Literal:
            return " | ".join(_quote(a) for a in args)
        if origin in (Union, types.UnionType):
            parts = [self.ts(a) for a in args if a is not type(None)]
            return " | ".join(parts + (["null"] if type(None) in args else []))
        if origin is list:
            inner = self.ts(args[0])
            return f"({inner})[]" if " " in inner else f"{inner}[]"
        if origin is dict and args[0] is str:
            return f"Record<string, {self.ts(args[1])}>"
        raise TypeError(f"The wire schema cannot say {tp!r} in TypeScript.")

    def guard(self, tp: Any, value: str) -> str:
        """A TypeScript expression: whether ``value`` is of type ``tp``."""
        name = self._name(tp)
        if name is not None:
            return (
                f"isOneOf({value}, {_upper(name)})"
                if _is_literal_alias(tp)
                else (f"is{name}({value})")
            )
        origin, args = get_origin(tp), get_args(tp)
        if origin is typing.Annotated:
            if any(isinstance(a, wire_schema.External) for a in args[1:]):
                return f"isObject({value})"
            return self.guard(args[0], value)
        if tp in _PRIMITIVES:
            return f"{_PRIMITIVES[tp][1]}({value})"
        if tp is None or tp is type(None):
            return f"{value} === null"
        if tp is Any:
            return "true"
        if origin is Literal:
            if len(args) == 1:
                return f"{value} === {_quote(args[0])}"
            return f"isOneOf({value}, [{', '.join(_quote(a) for a in args)}])"
        if origin in (Union, types.UnionType):
            return "(" + " || ".join(self._alternatives(tp, value)) + ")"
        if origin is list:
            return f"isArrayOf({value}, {self._function(args[0])})"
        if origin is dict and args[0] is str:
            if args[1] is Any:
                return f"isObject({value})"
            return f"isRecordOf({value}, {self._function(args[1])})"
        raise TypeError(f"The wire schema cannot check {tp!r} in TypeScript.")

    def _alternatives(self, tp: Any, value: str) -> list[str]:
        """The checks of which one must hold (several for an unnamed union, null first)."""
        if self._name(tp) is None and get_origin(tp) in (Union, types.UnionType):
            ordered = sorted(get_args(tp), key=lambda a: a is not type(None))
            return [self.guard(a, value) for a in ordered]
        return [self.guard(tp, value)]

    def _function(self, tp: Any) -> str:
        check = self.guard(tp, "item")
        simple = re.fullmatch(r"(is\w+)\(item\)", check)
        return simple.group(1) if simple else f"item => {check}"

    # -- blocks ----------------------------------------------------------------------------

    def block(self, declaration: _Declaration) -> list[str]:
        name, value = declaration.name, declaration.value
        lines = _comment(declaration.doc)
        if isinstance(value, str):
            return [*lines, f"export const {name} = {_quote(value)};"]
        if typing.is_typeddict(value):
            return lines + self._interface(name, value)
        if _is_literal_alias(value):
            choices = ", ".join(_quote(a) for a in get_args(value))
            return [
                *lines,
                f"export type {name} = {' | '.join(_quote(a) for a in get_args(value))};",
                "",
                f"export const {_upper(name)}: readonly {name}[] = [{choices}];",
            ]
        return lines + self._union(name, value)

    def _interface(self, name: str, cls: Any) -> list[str]:
        docs = self.field_docs.get(name, {})
        lines = [f"export interface I{name} {{"]
        checks = []
        for key, tp, optional in self._fields(cls):
            lines += _comment(docs.get(key), "  ")
            lines.append(f"  {key}{'?' if optional else ''}: {self.ts(tp)};")
            if optional:
                either = [f"value.{key} === undefined", *self._alternatives(tp, f"value.{key}")]
                checks.append("(" + " || ".join(either) + ")")
            else:
                checks.append(self.guard(tp, f"value.{key}"))
        lines += [
            "}",
            "",
            f"export function is{name}(value: unknown): value is I{name} {{",
            "  return (",
            "    isObject(value) &&",
            *[
                f"    {check}{' &&' if i < len(checks) - 1 else ''}"
                for i, check in enumerate(checks)
            ],
            "  );",
            "}",
        ]
        return lines

    def _union(self, name: str, union: Any) -> list[str]:
        members = get_args(union)
        key = next(
            k
            for k in _DISCRIMINATORS
            if all(get_origin(typing.get_type_hints(m).get(k)) is Literal for m in members)
        )
        tags = [get_args(typing.get_type_hints(m)[key])[0] for m in members]
        lines = [f"export type {name} ="]
        lines += [
            f"  | {self.ts(m)}" + (";" if i == len(members) - 1 else "")
            for i, m in enumerate(members)
        ]
        lines += [
            "",
            f"export const {_upper(name)}: readonly {name}['{key}'][] = [",
            *[f"  {_quote(t)}" + ("," if i < len(tags) - 1 else "") for i, t in enumerate(tags)],
            "];",
            "",
            f"export function is{name}(value: unknown): value is {name} {{",
            "  if (!isObject(value)) {",
            "    return false;",
            "  }",
            f"  switch (value.{key}) {{",
        ]
        for member, tag in zip(members, tags, strict=True):
            lines += [f"    case {_quote(tag)}:", f"      return is{member.__name__}(value);"]
        lines += ["    default:", "      return false;", "  }", "}"]
        return lines

    def render(self) -> str:
        blocks = [self.block(d) for d in self.declarations]
        return HEADER + "".join("\n" + "\n".join(block) + "\n" for block in blocks)


def generate(module: types.ModuleType = wire_schema) -> str:
    """The TypeScript module for the schema ``module`` declares."""
    return _Generator(module).render()


def stale(root: Path, module: types.ModuleType = wire_schema) -> bool:
    """Whether ``root``'s generated module is not what ``module`` gives."""
    path = root / OUTPUT
    return not path.exists() or path.read_text(encoding="utf-8") != generate(module)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository's root")
    args = parser.parse_args(argv)
    if args.check:
        if stale(args.root):
            print(
                f"{OUTPUT} does not match jupyter_codeact/server/wire_schema.py: run "
                "`python -m jupyter_codeact.server.wire_ts` and commit the result "
                "(never edit the generated file by hand).",
                file=sys.stderr,
            )
            return 1
        return 0
    path = args.root / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
