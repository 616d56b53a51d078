"""Parsing model replies into actions: the reply grammar of ``core/actions.py``, rule by rule.

The replies are written for these tests in the shapes real models produce (the shared
corpus of real replies is third-party data and stays out of the repository).
"""

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


def test_a_fence_beside_an_answer_is_a_quotation_of_it() -> None:
    reply = "I used:\n```python\nx = 1\n```\n<solution>```python\nprint(x)\n```</solution>"
    parsed = parse_reply(reply)
    assert parsed.code is None
    assert parsed.solution == "```python\nprint(x)\n```"


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


# -- action tags ------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["execute", "execute_ipython", "code", "EXECUTE_IPYTHON"])
def test_python_action_tags(tag: str) -> None:
    parsed = parse_reply(f"Reading it.\n<{tag}>\nrows = load()\nprint(len(rows))\n</{tag}>")
    assert parsed.code == "rows = load()\nprint(len(rows))"


@pytest.mark.parametrize("tag", ["execute", "execute_ipython", "execute_bash", "code"])
def test_every_action_tag_runs_when_a_stop_sequence_cut_its_closer(tag: str) -> None:
    parsed = parse_reply(f"Next:\n<{tag}>\nls_output = 1\n")
    assert parsed.code is not None and parsed.code.endswith("ls_output = 1")
    # The model reads its action back closed, as it wrote it.
    assert parsed.text == f"Next:\n<{tag}>\nls_output = 1\n</{tag}>"


def test_execute_bash_runs_as_a_bash_cell() -> None:
    reply = "Let me list them.\n<execute_bash>\nls -1 data | wc -l\n</execute_bash>"
    assert parse_reply(reply).code == "%%bash\nls -1 data | wc -l"


@pytest.mark.parametrize(
    "code", ["%pip install tabulate==0.9", "!ls -la /tmp", "%%bash\necho hi", "%timeit sum(x)"]
)
def test_ipython_syntax_is_valid_in_an_action(code: str) -> None:
    assert parse_reply(f"<execute_ipython>\n{code}\n").code == code


def test_code_tag_in_a_sentence_is_html_not_an_action() -> None:
    parsed = parse_reply("Call <code>df.head()</code> to peek at the rows.")
    assert parsed.code is None


def test_smolagents_code_tag_with_a_fence_inside() -> None:
    reply = "Thought: count them.\n<code>\n```py\nprint(len(items))\n```\n</code>"
    assert parse_reply(reply).code == "print(len(items))"


def test_tags_inside_an_action_are_code() -> None:
    code = 'page = """<html><body><solution>x</solution></body></html>"""\nprint(len(page))'
    parsed = parse_reply(f"<execute_ipython>\n{code}\n</execute_ipython>")
    assert parsed.code == code
    assert parsed.solution is None


def test_attributes_on_an_action_tag_are_parsed_and_not_interpreted() -> None:
    parsed = parse_reply("<execute replace=\"c3a1\" new note='a b' flag=on>\nx = 2\n</execute>")
    assert parsed.code == "x = 2"
    assert parsed.attributes == {"replace": "c3a1", "new": "", "note": "a b", "flag": "on"}
    assert parse_reply("<execute>x = 2</execute>").attributes == {}


# -- other agents' markup -----------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "Delegating.\n<execute_browse>\nOpen the docs page and read it\n",
        "<function=bash>\n<parameter=command>ls -la</parameter>\n</function>",
        '<tool_call>\n{"name": "search", "arguments": {"q": "x"}}\n</tool_call>',
    ],
)
def test_another_agents_action_is_not_run_and_the_model_is_told_how_to_act(reply: str) -> None:
    parsed = parse_reply(reply)
    assert parsed.code is None and parsed.solution is None
    assert "<execute>" in parsed.problem and "not an action here" in parsed.problem


@pytest.mark.parametrize("finish", ["<finish></finish>", "<function=submit>\n</function>"])
def test_a_finish_signal_is_no_action_and_no_problem(finish: str) -> None:
    parsed = parse_reply(f"All three files are fixed.\n\n{finish}")
    assert parsed.code is None and parsed.problem == ""
    assert prose(f"All three files are fixed.\n\n{finish}") == "All three files are fixed."


# -- fences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "summary = df.describe()\nsummary",
        "import math\nprint(math.tau)",
        "!pip install polars",
        "for name in names:\n    print(name)",
    ],
)
def test_bare_fence_of_python_is_an_action(content: str) -> None:
    assert parse_reply(f"Now:\n```\n{content}\n```").code == content


@pytest.mark.parametrize(
    "content",
    [
        "Dear team,\nthe report is attached.",  # quoted text
        "total: 42 rows\nmean: 3.5",  # command output
        "git status && git add .",  # a shell command
        "ls -la",  # parses as Python (ls - la), but it is a shell command
        "exit",  # would shut the kernel down
        "[1, 2, 3]",  # imagined output
        "open_file src/app.py 10",  # another agent's command
    ],
)
def test_bare_fence_of_anything_else_is_prose(content: str) -> None:
    reply = f"Here it is:\n```\n{content}\n```\nShall I go on?"
    parsed = parse_reply(reply)
    assert parsed.code is None
    assert prose(reply) == reply


def test_closing_fence_of_another_language_opens_nothing() -> None:
    reply = "The config:\n```yaml\nlr: 0.1\n```\nShall I train with it?\n```\nDone.\n"
    assert parse_reply(reply).code is None


def test_fence_with_a_language_word_in_its_info_string() -> None:
    assert parse_reply('```python title="load.py"\nload()\n```').code == "load()"
    assert parse_reply("```Python3\nload()\n```").code == "load()"


def test_smolagents_end_code_closes_a_fence() -> None:
    reply = "Code:\n```py\nanswer = 6 * 7\nprint(answer)\n```<end_code>\nObservation: 42"
    parsed = parse_reply(reply)
    assert parsed.code == "answer = 6 * 7\nprint(answer)"
    assert parsed.text.endswith("```<end_code>")


def test_unclosed_python_fence_runs_and_is_closed_for_the_model() -> None:
    parsed = parse_reply("```python\nprint('cut')\n")
    assert parsed.code == "print('cut')"
    assert parsed.text == "```python\nprint('cut')\n\n```"


def test_indented_fences_in_a_list_are_dedented() -> None:
    reply = "1. Load:\n   ```python\n   rows = load()\n   print(rows)\n   ```\n2. Then plot."
    assert parse_reply(reply).code == "rows = load()\nprint(rows)"


def test_inline_triple_backticks_are_not_a_fence() -> None:
    assert parse_reply("Run ```navigate('home')``` next.").code is None


def test_fences_in_a_reply_that_acts_with_a_tag_are_quotations() -> None:
    reply = (
        "The bug is on line 4:\n```python\ntotal = price * qty\n```\nLet me test the fix:\n"
        "<execute>\nprint(price + qty)\n</execute>"
    )
    assert parse_reply(reply).code == "print(price + qty)"


def test_summary_quoting_code_then_finishing_runs_nothing() -> None:
    reply = (
        "## What changed\nThe parser now reads:\n```python\nvalue = int(text.strip())\n```\n"
        "All tests pass.\n\n<function=finish>\n</function>"
    )
    parsed = parse_reply(reply)
    assert parsed.code is None and parsed.problem == ""
    assert "value = int(text.strip())" in prose(reply)


def test_chatgpt_copy_button_artefact_runs_the_action_inside() -> None:
    reply = (
        "Installing it:\n```\npythonCopy code`<execute_ipython>\n%pip install rich\n"
        "import rich\n</execute_ipython>`\n```\nThat is all."
    )
    assert parse_reply(reply).code == "%pip install rich\nimport rich"


# -- reasoning ----------------------------------------------------------------------------


def test_code_inside_reasoning_never_runs() -> None:
    reply = (
        "<think>\nMaybe <execute>open('notes.txt', 'w').write('x')</execute> first?\n"
        "No, just compute.\n</think>\n<execute>\nprint(6 * 7)\n</execute>"
    )
    parsed = parse_reply(reply)
    assert parsed.code == "print(6 * 7)"
    assert "open('notes.txt'" in parsed.reasoning
    assert "<think>" not in parsed.text and "notes.txt" not in parsed.text


@pytest.mark.parametrize("tag", ["think", "thinking", "THINK"])
def test_a_reply_cut_inside_its_reasoning_runs_nothing(tag: str) -> None:
    reply = f"<{tag}>\nI could run <execute>\nimport shutil; shutil.rmtree('data')\n"
    parsed = parse_reply(reply)
    assert parsed.code is None and parsed.solution is None
    assert parsed.text == ""


def test_an_answer_inside_reasoning_is_not_the_answer() -> None:
    parsed = parse_reply("<thinking>Maybe <solution>41</solution>?</thinking>Let me check.")
    assert parsed.solution is None
    assert parsed.text == "Let me check."


def test_reasoning_opened_by_the_chat_template_ends_at_its_closing_tag() -> None:
    reply = (
        "The user wants a sum. <execute>x</execute> is tempting.\n</think>\n\n"
        "<execute>\nsum([1, 2])"
    )
    parsed = parse_reply(reply)
    assert parsed.code == "sum([1, 2])"
    assert parsed.reasoning.startswith("The user wants a sum.")


def test_a_closing_think_inside_code_is_code() -> None:
    code = 'clean = reply.split("</think>")[-1]\nprint(clean)'
    assert parse_reply(f"<execute>\n{code}\n</execute>").code == code


def test_empty_reasoning_then_an_answer() -> None:
    parsed = parse_reply("<think>\n\n</think>\n\nThe file has 12 rows.")
    assert parsed.reasoning == ""
    assert parsed.text.strip() == "The file has 12 rows."
    assert prose("<think>\n\n</think>\n\nThe file has 12 rows.") == "The file has 12 rows."


# -- one action per reply -----------------------------------------------------------------


def test_the_first_action_wins_whatever_its_kind() -> None:
    reply = "<execute_bash>\npwd\n</execute_bash>\n<execute>\nprint(1)\n</execute>"
    parsed = parse_reply(reply)
    assert parsed.code == "%%bash\npwd"
    assert parsed.text == "<execute_bash>\npwd\n</execute_bash>"


def test_an_imagined_observation_after_the_action_is_dropped() -> None:
    reply = "<execute>\nprint(len(rows))\n</execute>\nObservation: 12\n\nSo there are 12 rows."
    assert parse_reply(reply).text == "<execute>\nprint(len(rows))\n</execute>"


def test_a_stray_closing_think_after_the_reasoning_changes_nothing() -> None:
    reply = "<think>plan</think>\n<execute>\nprint(1)\n</execute>\n</think>\n"
    parsed = parse_reply(reply)
    assert parsed.code == "print(1)" and parsed.reasoning == "plan"
