"""Native tool calls from their streamed pieces, and their code shown as it streams."""

from __future__ import annotations

import json

import pytest

from jupyter_codeact.core.code_tool import CodeTool
from jupyter_codeact.core.styles import ModelReply, ToolStyle
from jupyter_codeact.core.tool_calls import (
    StreamedField,
    ToolCall,
    ToolCallAssembler,
    ToolCallDelta,
)

CODE = 'print("é\\tdone")\nx = {"a": [1, 2]}  # \\u escapes: \U0001f600'


@pytest.mark.parametrize("size", [1, 2, 5, 7, 1000])
def test_the_code_argument_decodes_as_it_streams_however_it_is_cut(size: int) -> None:
    arguments = json.dumps({"replace": "c1", "code": CODE, "after": "x"})  # \\u escapes too
    field = StreamedField("code")
    shown = "".join(field.feed(arguments[i : i + size]) for i in range(0, len(arguments), size))
    assert shown == CODE


def test_other_fields_and_nested_values_are_skipped() -> None:
    field = StreamedField("code")
    text = '{"meta": {"code": "not this"}, "list": ["code"], "code": "this"}'
    assert field.feed(text) == "this"


def test_pieces_are_assembled_by_index_and_by_id() -> None:
    calls = ToolCallAssembler()
    pieces = [
        ToolCallDelta(0, "call_a", "execute_python", ""),
        ToolCallDelta(0, None, None, '{"code": '),
        ToolCallDelta(1, "call_b", "execute_python", '{"code": "2"}'),
        ToolCallDelta(0, None, None, '"1"}'),
    ]
    assert [calls.feed(piece) for piece in pieces] == [0, 0, 1, 0]
    assert calls.calls() == (
        ToolCall("call_a", "execute_python", '{"code": "1"}'),
        ToolCall("call_b", "execute_python", '{"code": "2"}'),
    )
    # Servers that give no index: a new id starts a call; a call without one gets an id.
    unindexed = ToolCallAssembler()
    for piece in (ToolCallDelta(None, None, "f", "{}"), ToolCallDelta(None, "x", "g", "{}")):
        unindexed.feed(piece)
    first, second = unindexed.calls()
    assert first.id.startswith("call_") and (second.id, second.name) == ("x", "g")


def test_calls_written_as_text_are_read_in_the_common_shapes() -> None:
    style = ToolStyle(CodeTool(), text_fallback=True)
    hermes = (
        '<tool_call>\n{"name": "execute_python", "arguments": {"code": "print(1)"}}\n</tool_call>'
    )
    xml = "<function=execute_python>\n<parameter=code>\nprint(2)\n</parameter>\n</function>"
    for text, code in (
        (hermes, "print(1)"),
        (xml, "print(2)"),
        ("<execute>print(3)</execute>", "print(3)"),
    ):
        parsed = style.read(ModelReply(text=f"Let me run it.\n{text}"))
        assert (parsed.code, parsed.call_id) == (code, None) and style.wrote_call_in_text(parsed)
    # A fence in an answer is a quotation, not a call.
    answer = style.read(ModelReply(text="Use this:\n```python\nprint(4)\n```"))
    assert answer.code is None and answer.solution and not style.wrote_call_in_text(answer)
    # Without the fallback (tools asked for explicitly) the model is told to call the tool.
    strict = ToolStyle(CodeTool()).read(ModelReply(text=hermes))
    assert strict.code is None and "call the execute_python tool" in strict.problem


def test_the_replace_argument_is_read_as_the_tags_attribute() -> None:
    call = ToolCall("c", "execute_python", '{"code": "x = 2", "replace": "cell-7"}')
    action = CodeTool().action(call)
    assert (action.code, action.attributes) == ("x = 2", {"replace": "cell-7"})
    offered = CodeTool(cell_targeting=True).tools[0]["function"]["parameters"]["properties"]
    assert (
        "replace" in offered
        and "replace" not in CodeTool().tools[0]["function"]["parameters"]["properties"]
    )
