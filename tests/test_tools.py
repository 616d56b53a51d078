"""The tools package and the rules, without processes: schemas as signatures, server
settings, the kernel side's objects (with an in-process transport), the prompt's bounds."""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact import rules
from jupyter_codeact.tools import (
    ToolGroup,
    Toolset,
    ToolSettings,
    ToolSpec,
    compact_listing,
    kernel_side,
    mcp_client,
    schema,
)
from jupyter_codeact.tools.channel import parse
from jupyter_codeact.tools.functions import describe, parse_refs
from jupyter_codeact.tools.servers import load_servers


def test_a_schema_becomes_a_python_signature() -> None:
    input_schema = {
        "type": "object",
        "properties": {
            "limit": {"type": "integer", "default": 10},
            "query": {"type": "string"},
            "max-results": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "class": {"enum": ["a", "b"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query", "class"],
    }
    params = schema.parameters(input_schema)
    assert [p.name for p in params] == ["query", "class_", "limit", "max_results", "tags"]
    assert [p.wire for p in params][1] == "class"
    wrapped = {"properties": {"result": {"type": "array"}}, "required": ["result"]}
    assert schema.signature(params, wrapped) == (
        "(query: str, class_: Literal['a', 'b'], limit: int = 10, "
        "max_results: int | None = None, tags: list[str] = None) -> list"
    )
    assert schema.returns(None) == "str" and schema.returns({"type": "object"}) == "dict"
    assert schema.python_name("2fast", ["x"]) == "_2fast"
    assert schema.python_name("x", ["x"]) == "x_2"


def test_the_listing_is_compact_and_bounded() -> None:
    tools = tuple(
        ToolSpec(f"tool{i}", "(x: int) -> str", f"Does thing {i}.\n\nDetails.", ("x",))
        for i in range(200)
    )
    group = ToolGroup("big (MCP server 'big')", tools, prefix="big", more_hint="help(big)")
    listing = compact_listing([group], max_chars=1000)
    assert len(listing) < 1100
    assert "- big.tool0(x: int) -> str: Does thing 0." in listing
    assert "Details" not in listing
    assert listing.splitlines()[-1].startswith("- … ") and "(help(big))" in listing


def test_server_settings_in_the_common_shape(tmp_path: Path) -> None:
    user_file = tmp_path / "mcp.json"
    user_file.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "search": {"url": "https://s.example/mcp?key=query-secret-1"},
                    "files": {"command": "npx", "args": ["fs"], "disabled": True},
                    "pricing": {"command": "old"},
                }
            }
        )
    )
    broken_file = tmp_path / "broken.json"
    broken_file.write_text("{")
    configured = {
        "pricing": {"command": "python", "args": ["p.py"], "env": {"TOKEN": "${PRICE_KEY}"}},
        "web": {"url": "http://w/mcp", "headers": {"Authorization": "Bearer header-secret-2"}},
        "both": {"command": "x", "url": "http://x"},
        "missing": {"command": "x", "env": {"K": "${NOT_SET_ANYWHERE}"}},
        "sse": {"type": "sse", "url": "http://x/sse"},
    }
    servers, problems = load_servers(
        configured, [user_file, broken_file], environ={"PRICE_KEY": "env-secret-3"}
    )
    by_key = {server.key: server for server in servers}
    assert sorted(by_key) == ["pricing", "search", "web"]  # "files" is disabled
    assert by_key["pricing"].command == "python"  # the config trait wins over the file
    assert by_key["pricing"].env == {"TOKEN": "env-secret-3"}
    assert by_key["search"].where() == "https://s.example/mcp"  # no secret in messages
    assert "query-secret-1" in by_key["search"].secrets()
    assert "header-secret-2" in by_key["web"].secrets()
    assert len(problems) == 4
    assert any(str(broken_file) in p and "fix or remove it" in p for p in problems)
    assert any("'both'" in p and "not both" in p for p in problems)
    assert any("${NOT_SET_ANYWHERE}" in p for p in problems)
    assert any("SSE transport" in p for p in problems)


def test_function_references() -> None:
    refs, problems = parse_refs(["json:dumps", "os.path.join", "not a ref", "json:dumps"])
    assert [(r.module, r.attr, r.name) for r in refs] == [
        ("json", "dumps", "dumps"),
        ("os.path", "join", "join"),
    ]
    assert len(problems) == 2
    spec, problem = describe(refs[0])
    assert spec.signature.startswith("(obj, *, skipkeys=False") and problem is None
    spec, problem = describe(parse_refs(["nowhere.mod:f"])[0][0])
    assert spec.signature == "(...)" and "could not be imported here" in (problem or "")


def test_without_the_mcp_package_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mcp_client, "sdk_available", lambda: False)
    monkeypatch.setattr("jupyter_codeact.tools.toolset.sdk_available", lambda: False)
    toolset = Toolset(ToolSettings(servers={"pricing": {"command": "python"}}))
    asyncio.run(toolset.start())
    [problem] = toolset.new_problems(set())
    assert "'pricing'" in problem and "pip install 'jupyter_codeact[mcp]'" in problem
    assert toolset.prompt_section() == ""


PAYLOAD = {
    "version": "v1",
    "servers": [
        {
            "key": "my-shop",
            "name": "my_shop",
            "doc": "A shop.",
            "tools": [
                {
                    "name": "lookup",
                    "wire": "look-up",
                    "doc": "Look one up.",
                    "params": [
                        {"name": "sku", "wire": "sku", "annotation": "str", "required": True},
                        {
                            "name": "n",
                            "wire": "n",
                            "annotation": "int",
                            "required": False,
                            "default": 1,
                        },
                    ],
                    "returns": "dict",
                }
            ],
        }
    ],
    "functions": [
        {"ref": "json:dumps", "module": "json", "attr": "dumps", "name": "dumps"},
        {"ref": "nope:f", "module": "nope_module_x", "attr": "f", "name": "f"},
    ],
}


def test_the_kernel_side_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, kernel_side.MODULE, raising=False)
    calls: list[tuple[str, str, dict[str, Any]]] = []
    replies = [
        {"ok": True, "value": {"price": 2}},
        {"ok": False, "kind": "tool", "error": "unknown SKU"},
        {"ok": False, "kind": "unavailable", "error": "The server stopped."},
    ]

    def transport(server: str, tool: str, arguments: dict[str, Any], label: str) -> Any:
        calls.append((server, tool, arguments))
        return replies.pop(0)

    namespace: dict[str, Any] = {"dumps": "the user's own variable"}
    taken = kernel_side.install(PAYLOAD, transport, namespace)
    assert taken == ["dumps"] and namespace["dumps"] == "the user's own variable"
    shop = namespace["my_shop"]
    assert str(inspect.signature(shop.lookup)) == "(sku: str, n: int = 1) -> dict"
    assert shop.lookup.__doc__ == "Look one up." and "lookup" in repr(shop)
    assert shop.lookup("A1") == {"price": 2}
    assert calls == [("my-shop", "look-up", {"sku": "A1"})]  # defaults left to the server
    with pytest.raises(kernel_side.ToolError, match=r"my_shop\.lookup: unknown SKU"):
        shop.lookup(sku="Z9", n=2)
    with pytest.raises(kernel_side.ToolUnavailable, match="stopped"):
        shop.lookup("A1")
    with pytest.raises(TypeError):
        shop.lookup()  # like any function: nothing is sent
    module = sys.modules[kernel_side.MODULE]
    assert module.dumps([1]) == "[1]"  # still reachable, under codeact_tools
    with pytest.raises(kernel_side.ToolUnavailable, match="could not be imported in this"):
        namespace["f"]()
    # Installed again (the next action): the same objects, bound again after a reset.
    namespace.clear()
    kernel_side.install(PAYLOAD, transport, namespace)
    assert namespace["my_shop"] is shop


def test_calls_outside_the_agents_actions_say_so() -> None:
    with pytest.raises(kernel_side.ToolUnavailable, match="in the CodeAct agent's actions"):
        kernel_side.stdin_transport("s", "t", {}, "s.t")
    assert parse("plain input prompt") is None
    assert parse(kernel_side.MARKER + "{not json") is None
    call = {"nonce": "n", "server": "s", "tool": "t", "arguments": {"a": 1}}
    assert parse(kernel_side.MARKER + json.dumps(call)) is not None


def test_rules_from_a_subfolder_up_to_the_boundary(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (tmp_path / "AGENTS.md").write_text("outside")
    (root / "AGENTS.md").write_text("root rules")
    (root / "a" / "b" / "AGENTS.md").write_text("b rules " * 2000)
    files = rules.find(root / "a" / "b", root)
    assert files == [root / "AGENTS.md", root / "a" / "b" / "AGENTS.md"]
    assert rules.find(tmp_path, root) == []  # not below the boundary: nothing
    found = rules.read(files, relative_to=root, instructions="Be brief.")
    assert rules.sources(found) == ["c.CodeAct.instructions", "AGENTS.md", "a/b/AGENTS.md"]
    text = rules.prompt_section(found, max_chars=2000)
    assert len(text) < 2200 and "root rules" in text and "Be brief." in text
    assert "characters of a/b/AGENTS.md cut]" in text
    # Headless: up to the repository's root.
    (root / ".git").mkdir()
    assert rules.find(root / "a" / "b", None) == files


def test_a_server_that_dies_is_said_once_and_its_tools_refuse_at_once() -> None:
    from .mcp import stdio_server

    async def scenario() -> tuple[list[str], Any, Any, list[str]]:
        toolset = Toolset(ToolSettings(servers={"pricing": stdio_server()}))
        await toolset.start()
        seen: set[str] = set()
        before = toolset.new_problems(seen)
        crashed = await toolset.call("pricing", "crash", {})
        after = await toolset.call("pricing", "list-skus", {})
        problems = toolset.new_problems(seen) + toolset.new_problems(seen)
        section = toolset.prompt_section()
        await toolset.close()
        return before, crashed, after, [*problems, section]

    before, crashed, after, (problem, section) = asyncio.run(scenario())
    assert before == []
    assert crashed.unavailable and "'pricing'" in crashed.error and "stopped" in crashed.error
    assert after.unavailable and after.error == crashed.error  # refused at once, same words
    assert "stopped" in problem and "the others still work" in problem
    assert "Unavailable now (their servers are down): pricing." in section
