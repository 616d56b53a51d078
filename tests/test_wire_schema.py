"""One wire schema: the panel's types and guards are generated from the Python side, and
the build fails when the two disagree."""

from __future__ import annotations

import importlib.util
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest

from jupyter_codeact.server import wire_schema, wire_ts
from jupyter_codeact.server.protocol import parse_client_message
from jupyter_codeact.server.wire_check import problems

ROOT = Path(__file__).resolve().parent.parent


def schema_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> ModuleType:
    """A copy of the schema with one edit, loaded as a module of the same package."""
    source = Path(wire_schema.__file__).read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / "edited_schema.py"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    name = "jupyter_codeact.server._edited_schema"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # where its types' names resolve
    spec.loader.exec_module(module)
    return module


def test_the_committed_typescript_is_what_the_schema_gives() -> None:
    assert not wire_ts.stale(ROOT), "run `python -m jupyter_codeact.server.wire_ts`"
    assert wire_ts.main(["--check", "--root", str(ROOT)]) == 0


def test_a_field_added_to_the_python_side_only_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = schema_with(
        tmp_path,
        monkeypatch,
        '    type: Literal["stop"]\n',
        '    type: Literal["stop"]\n    why: str\n',
    )
    assert wire_ts.stale(ROOT, edited)
    generated = wire_ts.generate(edited)
    assert "export interface IStopMessage {\n  type: 'stop';\n  why: string;\n}" in generated
    assert "value.type === 'stop' &&\n    isString(value.why)" in generated


def test_a_field_added_to_the_typescript_side_only_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / wire_ts.OUTPUT).read_text(encoding="utf-8")
    old = "export interface IStopMessage {\n  type: 'stop';\n"
    assert old in text
    target = tmp_path / wire_ts.OUTPUT
    target.parent.mkdir(parents=True)
    target.write_text(text.replace(old, old + "  why?: string;\n"), encoding="utf-8")
    assert wire_ts.main(["--check", "--root", str(tmp_path)]) == 1
    assert "python -m jupyter_codeact.server.wire_ts" in capsys.readouterr().err


def test_every_message_type_is_listed_once() -> None:
    text = wire_ts.generate()
    for union, key in (("ClientMessage", "type"), ("ServerMessage", "type"), ("DocumentOp", "op")):
        members = typing.get_args(getattr(wire_schema, union))
        tags = [typing.get_args(typing.get_type_hints(m)[key])[0] for m in members]
        assert len(set(tags)) == len(tags)
        for tag in tags:
            assert f"    case '{tag}':" in text


FULL_CLIENT_MESSAGES = [
    {"type": "hello", "client_id": "p1"},
    {"type": "document", "path": "a.ipynb", "applied": {"c1": 3}},
    {
        "type": "user_message",
        "text": "plot it",
        "context": "df: DataFrame",
        "approval": "ask",
        "action_style": "tools",
        "replace_failed": True,
        "user_cell": "u1",
        "user_cell_id": "x9",
        "selected_cell": "x8",
        "position": "end",
        "narrate": True,
        "untrusted": False,
        "model": "m",
        "reasoning_effort": "low",
    },
    {"type": "stop"},
    {"type": "decide", "request_id": "r1", "run": True, "code": "x = 1"},
    {
        "type": "facts",
        "query_id": "q1",
        "facts": {
            "found": 1,
            "cell_ids": ["x1"],
            "change": None,
            "source": "x",
            "cell": {"cell_type": "code", "source": "x", "metadata": {}},
        },
    },
    {"type": "undo", "entry_id": "e1"},
]


@pytest.mark.parametrize("message", FULL_CLIENT_MESSAGES, ids=lambda m: m["type"])
def test_the_server_reads_exactly_the_declared_fields_of_a_client_message(
    message: dict[str, typing.Any],
) -> None:
    member = next(
        m
        for m in typing.get_args(wire_schema.ClientMessage)
        if typing.get_args(typing.get_type_hints(m)["type"])[0] == message["type"]
    )
    declared = set(typing.get_type_hints(member))
    assert set(message) == declared, "the test's message names every declared field"
    parsed = parse_client_message(message)
    assert set(parsed) == declared
    assert problems(parsed, wire_schema.ClientMessage) == []
    assert parsed == message


def test_every_client_message_type_is_parsed() -> None:
    tags = {
        typing.get_args(typing.get_type_hints(m)["type"])[0]
        for m in typing.get_args(wire_schema.ClientMessage)
    }
    assert tags == {m["type"] for m in FULL_CLIENT_MESSAGES}


def test_the_python_check_follows_the_guards_rules() -> None:
    entry = {"id": "e1", "role": "observation", "time": 1.0, "cell_id": None, "outputs": [{}]}
    assert problems({"type": "entry", "entry": entry}, wire_schema.ServerMessage) == []
    assert problems(
        {"type": "entry", "entry": {**entry, "role": "robot"}}, wire_schema.ServerMessage
    )
    assert problems({"type": "entry", "entry": {**entry, "turn": True}}, wire_schema.ServerMessage)
    assert problems(
        {"type": "entry", "entry": {**entry, "outputs": ["x"]}}, wire_schema.ServerMessage
    )
    assert problems({"type": "shout"}, wire_schema.ServerMessage) == [
        "message has an unknown 'type': 'shout'"
    ]
    assert problems({"type": "state", "state": "idle"}, wire_schema.ServerMessage) == [
        "message has no 'tokens'"
    ]
