"""The kernel's half of CodeAct's tools: Python objects whose functions call the host.

Standard library only: hosts send this file's source to kernels that need not have
jupyter_codeact installed (a kernel in another environment, or behind a Kernel Gateway),
and the magic imports it directly. :func:`install` builds, from a payload of plain data,

- one object per MCP server, named after its configuration key, with one function per
  tool (``pricing.lookup_price(sku="A1")``), whose signature and docstring come from the
  tool's schema and description;
- the user's own functions (``c.CodeAct.tools``), imported here;

all kept in the module ``codeact_tools`` (in ``sys.modules``) and bound in the user's
namespace where a name is free (a user's variable of the same name is never replaced).

A tool function hands ``(server, tool, arguments)`` to a *transport* and turns its reply
(``{"ok": true, "value": ...}`` or ``{"ok": false, "kind": ..., "error": ...}``) into a
return value or an exception. The ``"stdin"`` transport is the kernel protocol's one
blocking kernel-to-client round trip: an ``input_request`` whose prompt carries the call
goes to the client that sent the running ``execute_request`` (nobody else), and the host
answers with an ``input_reply``. Only executions the host marked (``codeact_tools`` in the
request's metadata) may call: a user's own cell gets a plain error instead of a prompt.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import json
import sys
import threading
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the kernel's Python may be older than ours
    from collections.abc import Callable

    Reply = dict[str, Any]
    Transport = Callable[[str, str, dict[str, Any], str], Reply]

MARKER = "\x1b[codeact-tool-call]"
"""Starts the prompt of an ``input_request`` that carries a tool call."""
METADATA_KEY = "codeact_tools"
"""Key of the execute request's metadata that allows calls; its value is the host's nonce."""
MODULE = "codeact_tools"
EOF = "\x04"
"""An ``input_reply`` of this value raises EOFError in the kernel (ipykernel's convention)."""

_CALL_LOCK = threading.Lock()


class ToolError(Exception):
    """A tool reported an error (its message says what went wrong)."""


class ToolUnavailable(ToolError):
    """The tool cannot be called now (its server is down, or no host answers)."""


class ToolServer:
    """One MCP server's tools, as functions: ``help(server)`` lists them."""

    def __init__(
        self, name: str, title: str, doc: str | None, functions: dict[str, Callable[..., Any]]
    ) -> None:
        self.__name__ = name
        self.__doc__ = doc
        self._title = title
        self._functions = functions
        for key, function in functions.items():
            setattr(self, key, function)

    def __dir__(self) -> list[str]:
        return list(self._functions)

    def __repr__(self) -> str:
        lines = [f"<{self._title}: {len(self._functions)} functions>"]
        for key, function in self._functions.items():
            summary = (function.__doc__ or "").strip().split("\n")[0]
            lines.append(f"  {key}{inspect.signature(function)}  {summary}".rstrip())
        return "\n".join(lines)


def _annotation(text: str) -> Any:
    """A real annotation when the kernel's Python can evaluate it, else the text."""
    names = {"Any": object, "Literal": _Literal()}
    try:
        return eval(text, {"__builtins__": builtins}, names)
    except Exception:
        return text


class _Literal:
    def __getitem__(self, values: Any) -> str:
        values = values if isinstance(values, tuple) else (values,)
        return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def _jsonable(value: Any) -> Any:
    """numpy and pandas scalars and arrays become plain data; anything else is refused."""
    for method in ("tolist", "item", "to_dict"):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert()
    raise TypeError(
        f"a tool argument must be JSON data (str, number, bool, None, list, dict), not "
        f"{type(value).__name__}"
    )


def _tool_function(
    server: dict[str, Any], spec: dict[str, Any], transport: Transport
) -> Callable[..., Any]:
    params = []
    wire = {}
    for param in spec["params"]:
        wire[param["name"]] = param["wire"]
        default = inspect.Parameter.empty if param["required"] else param.get("default")
        params.append(
            inspect.Parameter(
                param["name"],
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=default,
                annotation=_annotation(param["annotation"]),
            )
        )
    signature = inspect.Signature(params, return_annotation=_annotation(spec["returns"]))
    label = f"{server['name']}.{spec['name']}"

    def tool(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)  # a TypeError like any function's
        arguments = {wire[name]: value for name, value in bound.arguments.items()}
        reply = transport(server["key"], spec["wire"], arguments, label)
        if reply.get("ok"):
            return reply.get("value")
        message = str(reply.get("error") or "the tool failed without a message")
        if reply.get("kind") == "unavailable":
            raise ToolUnavailable(message)
        raise ToolError(f"{label}: {message}")

    tool.__name__ = spec["name"]
    tool.__qualname__ = label
    tool.__module__ = MODULE
    tool.__doc__ = spec.get("doc") or ""
    tool.__signature__ = signature  # type: ignore[attr-defined]
    return tool


def _missing_function(entry: dict[str, Any], error: Exception) -> Callable[..., Any]:
    message = (
        f"{entry['ref']} could not be imported in this kernel ({type(error).__name__}: "
        f"{error}): install its package in the kernel's environment."
    )

    def missing(*args: Any, **kwargs: Any) -> Any:
        raise ToolUnavailable(message)

    missing.__name__ = entry["name"]
    missing.__doc__ = message
    return missing


def _user_function(entry: dict[str, Any]) -> Any:
    try:
        target: Any = importlib.import_module(entry["module"])
        for part in entry["attr"].split("."):
            target = getattr(target, part)
    except Exception as error:
        return _missing_function(entry, error)
    return target


def stdin_transport(server: str, tool: str, arguments: dict[str, Any], label: str) -> Reply:
    """Ask the host through an ``input_request`` (see the module docstring)."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        parent: dict[str, Any] = kernel.get_parent("shell") if kernel is not None else {}
    except Exception:
        parent = {}
    nonce = (parent.get("metadata") or {}).get(METADATA_KEY)
    if not nonce:
        raise ToolUnavailable(
            f"{label} works in the CodeAct agent's actions only (its host answers the call): "
            "ask the agent to run it."
        )
    request = json.dumps(
        {"nonce": nonce, "server": server, "tool": tool, "arguments": arguments},
        default=_jsonable,
    )
    with _CALL_LOCK:  # one round trip at a time, also from threads
        try:
            raw = builtins.input(MARKER + request)
        except EOFError:
            raise ToolUnavailable(
                f"No CodeAct host answered the call of {label}: run it from the agent."
            ) from None
    try:
        reply = json.loads(raw)
    except ValueError:
        raise ToolUnavailable(f"The host's answer to {label} was not understood.") from None
    return reply if isinstance(reply, dict) else {"ok": False, "error": "bad reply"}


def _build(payload: dict[str, Any], transport: Transport) -> Any:
    module: Any = types.ModuleType(MODULE, "CodeAct's tools: MCP servers and your own functions.")
    module.ToolError = ToolError
    module.ToolUnavailable = ToolUnavailable
    names: list[str] = []
    for server in payload.get("servers", []):
        functions = {
            spec["name"]: _tool_function(server, spec, transport) for spec in server["tools"]
        }
        title = f"MCP server {server['key']!r}"
        tools = ToolServer(server["name"], title, server.get("doc"), functions)
        setattr(module, server["name"], tools)
        names.append(server["name"])
    for entry in payload.get("functions", []):
        setattr(module, entry["name"], _user_function(entry))
        names.append(entry["name"])
    module.__all__ = names
    module.__codeact_version__ = payload.get("version")
    return module


def install(
    payload: dict[str, Any],
    transport: Transport | str = "stdin",
    namespace: dict[str, Any] | None = None,
) -> list[str]:
    """Build (or keep, if ``payload`` is unchanged) the tools and bind their names in
    ``namespace`` (the shell's user namespace by default) where they are free or ours.

    Returns the names that could not be bound because the user has a variable of that name
    (the tools stay reachable as ``codeact_tools.<name>``).
    """
    call = stdin_transport if isinstance(transport, str) else transport
    previous = sys.modules.get(MODULE)
    module = previous
    if module is None or getattr(module, "__codeact_version__", None) != payload.get("version"):
        module = _build(payload, call)
        module.__codeact_rebind__ = lambda: install(payload, transport, namespace)
        sys.modules[MODULE] = module
    if namespace is None:
        from IPython import get_ipython

        namespace = get_ipython().user_ns
    ours = {id(getattr(previous, name, None)) for name in getattr(previous, "__all__", [])}
    taken: list[str] = []
    for name in module.__all__:
        current = namespace.get(name, module)
        if current is module or id(current) in ours or current is getattr(module, name):
            namespace[name] = getattr(module, name)
        else:
            taken.append(name)
    return taken
