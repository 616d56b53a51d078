"""The docstrings a schema module writes below its names and fields, read from its source.

Python keeps no docstring for an assignment or a ``TypedDict`` field; the schema writes one
as the string just below it (the convention Sphinx reads too), and :mod:`.wire_ts` carries
it into the generated TypeScript as the name's or field's doc comment.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import sys
import types


def docs(module: types.ModuleType) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The docstrings below a module's assignments, and below each class's fields."""
    tree = ast.parse(inspect.getsource(module))
    names: dict[str, str] = {}
    fields: dict[str, dict[str, str]] = {}

    def after(body: list[ast.stmt]) -> dict[str, str]:
        found: dict[str, str] = {}
        for node, following in itertools.pairwise(body):
            target = None
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                target = node.target.id
            if (
                target
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[target] = following.value.value
        return found

    names.update(after(tree.body))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            fields[node.name] = after(node.body)
    return names, fields


def imported_doc(module: types.ModuleType, name: str) -> str | None:
    """The docstring of a name the schema imports, where that module declares it."""
    source = sys.modules.get(getattr(module.__dict__[name], "__module__", "") or "")
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            source = importlib.import_module(
                "." * node.level + (node.module or ""), module.__package__
            )
    return docs(source)[0].get(name) if source is not None else None
