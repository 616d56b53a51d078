"""Task suites: a folder of domains, each a folder holding ``tools.py`` and ``tasks.json``.

::

    my_suite/
      shop/
        tools.py     the tools: plain Python functions (the public ones, or those in
                     ``__all__``); the module docstring tells the model what they are about
        tasks.json   a JSON list of tasks

A task is one JSON object::

    {
      "id": "cheapest-tent",
      "statement": "Which 3-person tent is the cheapest? Answer with its name.",
      "answer": "Trailhead 3",
      "checker": "string",
      "calls": [["visit", ["https://outfitters.example/tents"]]],
      "compute": "min(...)"
    }

``checker`` is ``number`` (``tolerance`` is then the absolute tolerance), ``string``,
``list`` (order matters) or ``set``; it defaults from the type of ``answer``. ``calls``
(each ``[tool, [args...]]`` or ``[tool, {name: value}]``) and ``compute`` (a Python
expression over ``r``, the list of the calls' results, default ``r[-1]``) are the
reference solution: ``jupyter codeact eval --validate`` checks that they give ``answer``,
and the scripted oracle of the tests replays them in every action mode.

Tools must not read files next to ``tools.py``: their source is sent to the kernel, which
may run on another machine (a Kernel Gateway).
"""

from __future__ import annotations

import fnmatch
import inspect
import json
import re
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from ..tools.spec import ToolSpec, spec_of

CheckerKind = Literal["number", "string", "list", "set"]
CHECKER_KINDS: tuple[str, ...] = get_args(CheckerKind)

BUILTIN_SUITE = Path(__file__).parent / "tasks"
"""The suite that ships with jupyter-codeact (five domains in the style of M3ToolEval)."""


class SuiteError(ValueError):
    """The suite cannot be used; the message says which file and what to fix."""


@dataclass(frozen=True)
class ToolCall:
    """One call of a reference solution."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Domain:
    """A family of tasks sharing one set of tools."""

    name: str
    tools_path: Path
    source: str
    description: str
    tools: tuple[ToolSpec, ...]

    @property
    def module_name(self) -> str:
        """The tools' module name, in the harness and in the kernel (no clash with stdlib)."""
        return f"codeact_tools_{self.name}"

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(tool.name for tool in self.tools)

    def load_module(self) -> types.ModuleType:
        """A fresh instance of the tools module (stateful tools start from scratch)."""
        return load_tools_module(self.module_name, self.source, str(self.tools_path))


@dataclass(frozen=True)
class Task:
    domain: str
    id: str
    statement: str
    answer: Any
    checker: CheckerKind
    tolerance: float | None
    calls: tuple[ToolCall, ...]
    compute: str = "r[-1]"

    @property
    def full_id(self) -> str:
        return f"{self.domain}/{self.id}"


@dataclass(frozen=True)
class Suite:
    path: Path
    domains: dict[str, Domain]
    tasks: tuple[Task, ...]

    def select(self, patterns: str | None) -> list[Task]:
        """Tasks whose ``domain/id`` (or domain) matches one of the comma-separated
        shell patterns; all tasks when ``patterns`` is empty."""
        wanted = [p.strip() for p in (patterns or "").split(",") if p.strip()]
        if not wanted:
            return list(self.tasks)
        chosen = [
            task
            for task in self.tasks
            if any(
                fnmatch.fnmatchcase(task.full_id, p) or fnmatch.fnmatchcase(task.domain, p)
                for p in wanted
            )
        ]
        if not chosen:
            raise SuiteError(
                f"No task matches {patterns!r}: patterns match 'domain/id' or 'domain' "
                "(for example 'dna/*'); `jupyter codeact eval --list` shows the tasks."
            )
        return chosen


def load_tools_module(name: str, source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` as a new module registered under ``name``.

    The kernel does the same from :mod:`.workspace`, so tools behave alike in both.
    """
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def load_suite(path: str | Path | None = None) -> Suite:
    """Read the suite in ``path`` (the built-in one if None); raise :class:`SuiteError`."""
    root = Path(path) if path is not None else BUILTIN_SUITE
    if not root.is_dir():
        raise SuiteError(f"The suite folder {root} does not exist.")
    domains: dict[str, Domain] = {}
    tasks: list[Task] = []
    for folder in sorted(p for p in root.iterdir() if (p / "tasks.json").is_file()):
        domain = _load_domain(folder)
        domains[domain.name] = domain
        tasks.extend(_load_tasks(folder / "tasks.json", domain))
    if not domains:
        raise SuiteError(
            f"No domain found in {root}: a suite is a folder of domain folders, each holding "
            "tools.py and tasks.json."
        )
    _check_unique_statements(tasks)
    return Suite(path=root, domains=domains, tasks=tuple(tasks))


def _load_domain(folder: Path) -> Domain:
    name = re.sub(r"\W", "_", folder.name)
    tools_path = folder / "tools.py"
    if not tools_path.is_file():
        raise SuiteError(f"{folder} has tasks.json but no tools.py beside it.")
    source = tools_path.read_text(encoding="utf-8")
    try:
        module = load_tools_module(f"codeact_tools_{name}", source, str(tools_path))
    except Exception as error:
        raise SuiteError(f"{tools_path} failed to load: {error!r}.") from error
    functions = _public_functions(module)
    if not functions:
        raise SuiteError(f"{tools_path} defines no public function to use as a tool.")
    return Domain(
        name=name,
        tools_path=tools_path,
        source=source,
        description=inspect.getdoc(module) or "",
        tools=tuple(spec_of(function) for function in functions),
    )


def _public_functions(module: types.ModuleType) -> list[Callable[..., Any]]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and value.__module__ == module.__name__
            and not name.startswith("_")
        ]
    return [getattr(module, name) for name in names]


def _load_tasks(path: Path, domain: Domain) -> Iterable[Task]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path} is not valid JSON: {error}.") from error
    if not isinstance(items, list):
        raise SuiteError(f"{path} must hold a JSON list of tasks.")
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        where = f"{path}, task {number}"
        if not isinstance(item, dict):
            raise SuiteError(f"{where} is not a JSON object.")
        task = _task(item, domain, where)
        if task.id in seen:
            raise SuiteError(f"{where}: the id {task.id!r} is used twice in {domain.name}.")
        seen.add(task.id)
        yield task


def _task(item: dict[str, Any], domain: Domain, where: str) -> Task:
    for key in ("id", "statement", "answer", "calls"):
        if key not in item:
            raise SuiteError(f"{where} has no {key!r}.")
    unknown = set(item) - {"id", "statement", "answer", "checker", "tolerance", "calls", "compute"}
    if unknown:
        raise SuiteError(f"{where} has unknown fields {sorted(unknown)}.")
    answer = item["answer"]
    checker = item.get("checker") or _default_checker(answer)
    if checker not in CHECKER_KINDS:
        raise SuiteError(f"{where}: checker {checker!r} is not one of {', '.join(CHECKER_KINDS)}.")
    tolerance = item.get("tolerance")
    if tolerance is not None and not isinstance(tolerance, int | float):
        raise SuiteError(f"{where}: tolerance must be a number.")
    compute = item.get("compute") or "r[-1]"
    try:
        compile(compute, f"{where} compute", "eval")
    except SyntaxError as error:
        raise SuiteError(f"{where}: compute is not a Python expression ({error.msg}).") from error
    return Task(
        domain=domain.name,
        id=str(item["id"]),
        statement=str(item["statement"]).strip(),
        answer=answer,
        checker=checker,
        tolerance=None if tolerance is None else float(tolerance),
        calls=tuple(_call(call, domain, where) for call in item["calls"]),
        compute=compute,
    )


def _call(call: Any, domain: Domain, where: str) -> ToolCall:
    shape_ok = (
        isinstance(call, list)
        and len(call) in (1, 2)
        and isinstance(call[0], str)
        and (len(call) == 1 or isinstance(call[1], list | dict))
    )
    if not shape_ok:
        raise SuiteError(f"{where}: each call is [tool, [args...]] or [tool, {{name: value}}].")
    name = call[0]
    if name not in domain.tool_names:
        raise SuiteError(f"{where}: {name!r} is not a tool of {domain.name}.")
    arguments = call[1] if len(call) == 2 else []
    if isinstance(arguments, dict):
        return ToolCall(name, kwargs=dict(arguments))
    return ToolCall(name, args=tuple(arguments))


def _default_checker(answer: Any) -> CheckerKind:
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return "number"
    if isinstance(answer, list):
        return "list"
    return "string"


def _check_unique_statements(tasks: list[Task]) -> None:
    seen: dict[str, str] = {}
    for task in tasks:
        if task.statement in seen:
            raise SuiteError(
                f"Tasks {seen[task.statement]} and {task.full_id} have the same statement."
            )
        seen[task.statement] = task.full_id
