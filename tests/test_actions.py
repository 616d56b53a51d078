"""Parsing model replies into actions (the paper's format, plus fenced blocks)."""

from __future__ import annotations

import pytest

from jupyter_codeact.core.actions import parse_reply, prose


def test_execute_block_is_the_action() -> None:
    reply = "Let me look.\n<execute>\nimport math\nprint(math.pi)\n</execute>"
    parsed = parse_reply(reply)
    assert parsed.code == "import math\nprint(math.pi)"
    assert parsed.solution is None


def test_solution_is_the_answer() -> None:
    parsed = parse_reply("Done.\n<solution> 42 </solution>")
    assert parsed.code is None
    assert parsed.solution == "42"


def test_only_the_first_action_runs_and_the_rest_is_dropped_from_history() -> None:
    reply = (
        "<execute>a = 1</execute>\nObservation: (imagined)\n<execute>b = 2</execute>\n"
        "<solution>3</solution>"
    )
    parsed = parse_reply(reply)
    assert parsed.code == "a = 1"
    assert parsed.text == "<execute>a = 1</execute>"
    assert parsed.ignored_solution


def test_code_example_inside_the_answer_is_part_of_the_answer() -> None:
    answer = "Group by month:\n```python\ndf.groupby('month').revenue.sum()\n```"
    parsed = parse_reply(f"Here is how.\n<solution>\n{answer}\n</solution>")
    assert parsed.code is None
    assert parsed.solution == answer


def test_code_before_an_answer_with_an_example_still_runs_first() -> None:
    reply = "```python\nx = 1\n```\n<solution>```python\nprint(x)\n```</solution>"
    parsed = parse_reply(reply)
    assert parsed.code == "x = 1"
    assert parsed.ignored_solution


@pytest.mark.parametrize("info", ["python", "py", "Python3", "ipython", ""])
def test_fenced_python_block_counts_as_code(info: str) -> None:
    parsed = parse_reply(f"Here:\n```{info}\nx = [1, 2]\nlen(x)\n```\nThat should do.")
    assert parsed.code == "x = [1, 2]\nlen(x)"
    assert parsed.text.endswith("```")


@pytest.mark.parametrize("info", ["json", "text", "bash", "output"])
def test_other_fences_are_prose(info: str) -> None:
    parsed = parse_reply(f'Example:\n```{info}\n{{"a": 1}}\n```\n')
    assert parsed.code is None
    assert parsed.solution is None


def test_fence_inside_execute_is_unwrapped() -> None:
    parsed = parse_reply("<execute>\n```python\nprint('hi')\n```\n</execute>")
    assert parsed.code == "print('hi')"


def test_unclosed_execute_at_a_stop_sequence_still_runs() -> None:
    parsed = parse_reply("I'll check.\n<execute>\ndf.head()\n")
    assert parsed.code == "df.head()"


def test_indented_code_is_dedented() -> None:
    parsed = parse_reply("<execute>\n    for i in range(2):\n        print(i)\n</execute>")
    assert parsed.code == "for i in range(2):\n    print(i)"


def test_empty_execute_is_not_an_action() -> None:
    parsed = parse_reply("<execute>\n\n</execute> nothing here")
    assert parsed.code is None


def test_plain_language_has_no_action() -> None:
    parsed = parse_reply("Could you tell me which column holds the dates?")
    assert parsed.code is None
    assert parsed.solution is None


def test_tags_are_case_insensitive() -> None:
    assert parse_reply("<EXECUTE>x=1</EXECUTE>").code == "x=1"


def test_prose_removes_actions_and_answers() -> None:
    reply = "First I load it.\n<execute>\nx = 1\n</execute>\n\n\n\nThen <solution>1</solution>"
    assert prose(reply) == "First I load it.\n\nThen"
    assert prose("See:\n```json\n{}\n```") == "See:\n```json\n{}\n```"
