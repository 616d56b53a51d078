"""What one top-level statement of a cell does to the user's namespace, read with ``ast``.

- ``binds``: the names it binds there: assignments (also augmented, annotated, unpacked
  and walrus ones), ``for`` and ``with`` targets, imports, ``def`` and ``class``, ``match``
  captures, and names a function it defines declares ``global`` and assigns;
- ``reads``: the names of the namespace it reads, also from inside the functions, classes
  and comprehensions it defines (their own parameters and locals are theirs);
- ``changes``: the names whose object it changes in place as it runs: ``df['x'] = ...``,
  ``obj.attr = ...``, ``del d[k]``, a mutating method (``items.append(...)``,
  ``d.update(...)``) or any call with ``inplace=True``;
- ``unknown``: what it binds that cannot be seen (``from m import *``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
        "setdefault", "add", "discard", "sort", "reverse", "difference_update",
        "intersection_update", "symmetric_difference_update", "appendleft", "extendleft",
        "popleft", "rotate", "__setitem__", "__delitem__",
    }
)  # fmt: skip
"""Methods of the built-in containers (and ``collections.deque``) that change their object."""


@dataclass
class Effects:
    """What a statement does to the namespace it runs in (see the module's docstring)."""

    binds: set[str] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)
    reads_first: set[str] = field(default_factory=set)
    """Those of ``reads`` read before the statement itself binds them (``x`` of ``x += 1``,
    not ``row`` of ``for row in rows: print(row)``), in the order it runs."""
    changes: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)

    @property
    def touches(self) -> set[str]:
        """Names whose value in the namespace this statement sets or changes."""
        return self.binds | self.changes


@dataclass
class _Scope:
    kind: str  # module | function | class | comprehension
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)


def effects(statement: ast.stmt) -> Effects:
    """The effects of one top-level statement."""
    scanner = _Scanner()
    scanner.visit(statement)
    return scanner.found


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found = Effects()
        self.scopes = [_Scope("module")]

    # -- resolving names -------------------------------------------------------------------
    def _is_module_name(self, name: str) -> bool:
        """Whether ``name``, used here, is the namespace's (not a local of a function)."""
        innermost = True
        for scope in reversed(self.scopes):
            if scope.kind == "module" or name in scope.globals:
                return True
            # A class body's names are not seen from the functions inside it.
            if (scope.kind != "class" or innermost) and name in scope.locals:
                return False
            innermost = False
        return True

    def _running_now(self) -> bool:
        """Code that runs as the statement runs (not the body of a function it defines)."""
        return all(scope.kind != "function" for scope in self.scopes)

    def _read(self, name: str) -> None:
        self.found.reads.add(name)
        if name not in self.found.binds:
            self.found.reads_first.add(name)

    def _bind(self, name: str) -> None:
        scope = self._binding_scope()
        if scope.kind == "module" or name in scope.globals:
            self.found.binds.add(name)

    def _binding_scope(self) -> _Scope:
        """Where a name bound here lands: a walrus in a comprehension binds outside it."""
        for scope in reversed(self.scopes):
            if scope.kind != "comprehension":
                return scope
        return self.scopes[0]

    def _changed(self, node: ast.expr) -> None:
        """The object of the name at the root of ``node`` (``df`` of ``df.loc[0]``) changes."""
        while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Starred):
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name) and self._running_now() and self._is_module_name(node.id):
            self.found.changes.add(node.id)

    # -- names -----------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if self._is_module_name(node.id):
                self._read(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.found.unknown.append(f"from {'.' * node.level}{node.module or ''} import *")
            else:
                self._bind(alias.asname or alias.name)

    def visit_Global(self, node: ast.Global) -> None:
        self.scopes[-1].globals.update(node.names)

    # -- changes in place ------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name) and self._is_module_name(node.target.id):
            self._read(node.target.id)  # x += 1 reads x first
        self._target(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)
        elif not isinstance(node.target, ast.Name):
            self.visit(node.target)
        self.visit(node.annotation)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute | ast.Subscript):
                self._changed(target)
            self.visit(target)

    def _target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for item in target.elts:
                self._target(item)
            return
        if isinstance(target, ast.Starred):
            self._target(target.value)
            return
        if isinstance(target, ast.Attribute | ast.Subscript):
            self._changed(target)
        self.visit(target)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and (
            func.attr in MUTATING_METHODS
            or any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
        ):
            self._changed(func.value)
        if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
            self._changed(node.args[0])
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    # -- match captures --------------------------------------------------------------------
    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        # ``except E as e``: Python unbinds ``e`` when the handler ends.
        if node.type is not None:
            self.visit(node.type)
        for statement in node.body:
            self.visit(statement)

    # -- scopes ----------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._arguments_outside(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self._bind(node.name)
        self._function_body(node.args, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._arguments_outside(node.args)
        self._function_body(node.args, [node.body])

    def _arguments_outside(self, arguments: ast.arguments) -> None:
        """Defaults and annotations are evaluated where the function is defined."""
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.visit(default)
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if argument.annotation is not None:
                self.visit(argument.annotation)

    def _function_body(
        self, arguments: ast.arguments, body: list[ast.stmt] | list[ast.expr]
    ) -> None:
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        scope = _Scope("function", locals={a.arg for a in every})
        declared: set[str] = set()
        for node in body:
            scope.locals |= _local_names(node, declared)
        scope.globals = declared
        scope.locals -= declared
        self.scopes.append(scope)
        for node in body:
            self.visit(node)
        self.scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expression in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expression)
        self._bind(node.name)
        declared: set[str] = set()
        names: set[str] = set()
        for statement in node.body:
            names |= _local_names(statement, declared)
        self.scopes.append(_Scope("class", locals=names - declared, globals=declared))
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated outside the comprehension
        targets: set[str] = set()
        for generator in generators:
            targets |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
        self.scopes.append(_Scope("comprehension", locals=targets))
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def _local_names(node: ast.AST, declared: set[str]) -> set[str]:
    """Names bound in a function (or class) body, not counting nested scopes; the names
    it declares ``global`` or ``nonlocal`` go to ``declared``."""
    found: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Global | ast.Nonlocal):
            declared.update(current.names)
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store | ast.Del):
            found.add(current.id)
        elif isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(current.name)
            continue  # its body is a scope of its own
        elif isinstance(current, ast.Import | ast.ImportFrom):
            found |= {(a.asname or a.name).split(".")[0] for a in current.names if a.name != "*"}
        elif isinstance(current, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            if current.name:
                found.add(current.name)
        elif isinstance(current, ast.MatchMapping) and current.rest:
            found.add(current.rest)
        elif isinstance(current, ast.Lambda):
            continue
        elif isinstance(current, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            # Only a walrus inside binds in the enclosing function.
            found |= {n.target.id for n in ast.walk(current) if isinstance(n, ast.NamedExpr)}
            continue
        stack.extend(ast.iter_child_nodes(current))
    return found
