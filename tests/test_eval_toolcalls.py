"""The JSON and text tool-call formats: what they run, and what they tell the model."""

from __future__ import annotations

import pytest

from jupyter_codeact.eval.toolcalls import JsonToolCalls, TextToolCalls

TOOLS = ("get_price", "find_motif", "scroll_down")
JSON = JsonToolCalls(TOOLS)
TEXT = TextToolCalls(TOOLS)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (
            'I need the price.\n{"name": "get_price", '
            '"arguments": {"ticker": "NOVA", "date": "2024-03-04"}}',
            "print(get_price(ticker='NOVA', date='2024-03-04'))",
        ),
        (
            '```json\n{"name": "get_price", "arguments": ["NOVA", "2024-03-04"]}\n```',
            "print(get_price('NOVA', '2024-03-04'))",
        ),
        ('{"name": "scroll_down"}', "print(scroll_down())"),
        (
            '{"name": "find_motif", '
            '"arguments": {"sequence": "AC\\"GT", "motif": [1, 2.5, null, true]}}',
            "print(find_motif(sequence='AC\"GT', motif=[1, 2.5, None, True]))",
        ),
    ],
)
def test_json_calls_become_one_line_of_python(reply: str, code: str) -> None:
    parsed = JSON.parse(reply)
    assert (parsed.code, parsed.solution, parsed.problem) == (code, None, "")


def test_json_call_text_is_cut_after_the_call_and_the_first_call_wins() -> None:
    reply = (
        'Step one. {"name": "scroll_down", "arguments": {}} Observation: imagined\n'
        '{"name": "get_price", "arguments": ["ACME", "2024-03-05"]}'
    )
    parsed = JSON.parse(reply)
    assert parsed.code == "print(scroll_down())"
    assert parsed.text == 'Step one. {"name": "scroll_down", "arguments": {}}'


def test_a_solution_is_not_mistaken_for_a_call() -> None:
    parsed = JSON.parse('Done.\n<solution>{"name": "get_price"}</solution>')
    assert (parsed.code, parsed.solution) == (None, '{"name": "get_price"}')
    parsed = TEXT.parse("<solution>[1, 2]</solution>")
    assert (parsed.code, parsed.solution) == (None, "[1, 2]")


def test_a_call_and_a_solution_in_one_reply_run_the_call_first() -> None:
    parsed = JSON.parse('{"name": "scroll_down"}\n<solution>7</solution>')
    assert parsed.code == "print(scroll_down())" and parsed.ignored_solution


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ('{"name": "get_price", "arguments": {"ticker": "NOVA"}', "not valid JSON"),
        ('{"tool": "get_price", "args": ["NOVA"]}', 'with "name"'),
        ('{"name": "get_price", "arguments": "NOVA"}', '"arguments" must be'),
        ('{"name": "get_price", "arguments": {"ticker": NaN}}', "not valid JSON"),
        ('{"name": "print", "arguments": ["hi"]}', "There is no tool named 'print'"),
        (
            '{"name": "__import__(\'os\').system", "arguments": ["ls"]}',
            '"name" must be the name of a tool',
        ),
        ('{"name": "get_price", "arguments": {"x=1); import os; (": 1}}', "not a parameter"),
    ],
)
def test_malformed_json_calls_run_nothing_and_say_why(reply: str, problem: str) -> None:
    parsed = JSON.parse(reply)
    assert parsed.code is None and parsed.solution is None
    assert problem in parsed.problem


def test_a_reply_with_neither_gets_the_mode_s_own_nudge() -> None:
    parsed = JSON.parse("Let me think about which tool to use.")
    assert (parsed.code, parsed.solution, parsed.problem) == (None, None, "")
    assert '{"name": "tool_name"' in JSON.no_action_nudge
    assert "Action: tool_name[" in TEXT.no_action_nudge


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Action: get_price[NOVA, 2024-03-04]", "print(get_price('NOVA', '2024-03-04'))"),
        ("Thought: scroll.\nAction: scroll_down[]", "print(scroll_down())"),
        (
            "Action: find_motif['GATA, GATA', [1, [2, 3]], 4.5, -2, True]",
            "print(find_motif('GATA, GATA', [1, [2, 3]], 4.5, -2, True))",
        ),
        ('action : find_motif["a]b", x]', "print(find_motif('a]b', 'x'))"),
        ("Action: get_price[O'Hare, 007]", "print(get_price(\"O'Hare\", '007'))"),
    ],
)
def test_text_calls_become_one_line_of_python(reply: str, code: str) -> None:
    parsed = TEXT.parse(reply)
    assert (parsed.code, parsed.problem) == (code, "")


def test_text_call_text_is_cut_after_the_call() -> None:
    parsed = TEXT.parse("Action: scroll_down[]\nObservation: made up")
    assert parsed.text == "Action: scroll_down[]"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Action: get_price(NOVA, 2024-03-04)", "square brackets"),
        ("Action: get_price[NOVA, [2024", "never closed"),
        ("Action: open[/etc/passwd]", "There is no tool named 'open'"),
    ],
)
def test_malformed_text_calls_run_nothing_and_say_why(reply: str, problem: str) -> None:
    parsed = TEXT.parse(reply)
    assert parsed.code is None and problem in parsed.problem


def test_native_tools_are_typed_from_their_signatures_and_called_by_name() -> None:
    from jupyter_codeact.core.tool_calls import ToolCall
    from jupyter_codeact.eval.native import NativeToolCalls
    from jupyter_codeact.eval.suite import load_suite

    domain = load_suite().domains["finance"]
    native = NativeToolCalls(domain)
    functions = {tool["function"]["name"]: tool["function"] for tool in native.tools}
    assert set(functions) == set(domain.tool_names)
    convert = functions["convert_currency"]
    assert convert["parameters"] == {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "base": {"type": "string"},
            "quote": {"type": "string"},
            "date": {"type": "string"},
        },
        "required": ["amount", "base", "quote", "date"],
    }
    assert convert["description"].startswith("Convert")
    call = ToolCall("c1", "get_price", '{"ticker": "ACME", "date": "2024-03-04"}')
    assert native.action(call).code == "print(get_price(ticker='ACME', date='2024-03-04'))"
    # Arguments are data: a key that is not a name, or no such tool, is a problem.
    odd = native.action(ToolCall("c2", "get_price", '{"ticker) or (1": 1}'))
    assert odd.code is None and "not a parameter name" in odd.problem
    assert "no tool named 'rm'" in native.action(ToolCall("c3", "rm", "{}")).problem
