"""The magic's markdown: model text made safe, a run as static markdown."""

from __future__ import annotations

import base64

import pytest

from jupyter_codeact.core.events import (
    Action,
    ActionDelta,
    AssistantMessage,
    Done,
    FinalAnswer,
    Observation,
)
from jupyter_codeact.magic.display import WidgetView
from jupyter_codeact.magic.history import Answer, RunRecord
from jupyter_codeact.magic.markdown import output_markdown, run_markdown
from jupyter_codeact.magic.safe import fenced, safe_markdown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("The column is `price`; **60** in total.", "The column is `price`; **60** in total."),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
        ("![leak](http://evil/p.png?k=1)", "&#33;[leak](http://evil/p.png?k=1)"),
        ("[docs](https://jupyter.org) and [mail](mailto:a@b.c)", None),
        ("[x](javascript:alert(1))", "[x]\\(javascript:alert(1))"),
        ("[x]( JavaScript:alert(1))", "[x]\\( JavaScript:alert(1))"),
        ("[x](<vbscript:run>)", "[x]\\(&lt;vbscript:run>)"),
        ("[x]: data:text/html,<b>", "\\[x]: data:text/html,&lt;b>"),
        ("`<b>` stays code", None),
        ("```html\n<script>x</script>\n```", None),
        ("&#106;avascript", "&amp;#106;avascript"),
    ],
)
def test_model_text_is_made_safe_markdown(text: str, shown: str | None) -> None:
    assert safe_markdown(text) == (text if shown is None else shown)


def test_the_answer_is_safe_markdown_in_a_notebook() -> None:
    assert Answer("**42** <img src=x>")._repr_markdown_() == "**42** &lt;img src=x>"


def test_a_fence_no_line_of_the_code_can_close() -> None:
    assert fenced("print(1)", "python") == "```python\nprint(1)\n```"
    assert fenced('s = """\n```\n"""').startswith("````\n")


def test_outputs_as_static_markdown() -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    assert output_markdown({"output_type": "display_data", "data": {"image/png": png}}) == (
        f'<img src="data:image/png;base64,{png}" alt="output">'
    )
    broken = {
        "output_type": "display_data",
        "data": {"image/png": '" onerror="x', "text/plain": "fig"},
    }
    assert output_markdown(broken) == "```\nfig\n```"  # never an attribute from data
    error = {"output_type": "error", "traceback": ["\x1b[31mNameError\x1b[0m: x"]}
    assert output_markdown(error) == "```\nNameError: x\n```"
    assert output_markdown({"output_type": "stream", "text": "a\rb\n"}) == "```\nb\n```"
    assert "characters cut" in output_markdown({"output_type": "stream", "text": "x" * 10_000})


def test_a_run_as_static_markdown() -> None:
    record = RunRecord(request="Plot <b>it</b>")
    png = base64.b64encode(b"img").decode()
    for event in (
        AssistantMessage(turn=1, text="Plotting **now**.\n<execute>\nplot()\n</execute>"),
        Observation(
            turn=1,
            action_id="a",
            status="ok",
            text="",
            code="plot()",
            outputs=[{"output_type": "display_data", "data": {"image/png": png}}],
        ),
        FinalAnswer(turn=2, answer="Done [x](javascript:y)"),
        Done(turn=2, reason="answered", turns=2, total_tokens=1234),
    ):
        record.add(event)
    assert run_markdown(record).split("\n\n") == [
        "**CodeAct:** Plot &lt;b>it&lt;/b>",
        "Plotting **now**.",
        "<details open><summary>Step 1 · ok</summary>",
        "```python\nplot()\n```",
        f'<img src="data:image/png;base64,{png}" alt="output">',
        "</details>",
        "**Answer:** Done [x]\\(javascript:y)",
        "*Answered · 2 turns · 1,234 tokens*",
    ]


def test_a_tool_calls_code_streams_highlighted_then_gives_way_to_its_step() -> None:
    view = WidgetView(None, "set x")
    view.show([ActionDelta(turn=1, text="x = 6")])
    view.show([ActionDelta(turn=1, text=" * 7")])
    draft = view.body.children[-1]
    assert [o["data"]["text/markdown"] for o in draft.outputs] == ["```python\nx = 6 * 7\n```"]
    view.show([Action(turn=1, code="x = 6 * 7", action_id="a")])
    assert draft.layout.display == "none" and view.body.children[-1] is not draft
