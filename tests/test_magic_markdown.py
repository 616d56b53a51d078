"""The magic's markdown: model text made safe, a run as static markdown."""

from __future__ import annotations

import base64

import pytest

from jupyter_codeact.core.events import (
    Action,
    ActionDelta,
    AssistantMessage,
    Done,
    Error,
    FinalAnswer,
    Observation,
    Thinking,
)
from jupyter_codeact.magic.display import WidgetView
from jupyter_codeact.magic.history import Answer, History, RunRecord
from jupyter_codeact.magic.markdown import output_markdown, run_markdown
from jupyter_codeact.magic.safe import fenced, safe_markdown

from .markdown_check import CORPUS, case_args, corpus_ids, html_tokens, render


@pytest.mark.parametrize(("text", "shows"), case_args(), ids=corpus_ids())
def test_model_text_is_text_and_markdown_never_markup(text: str, shows: str) -> None:
    """Each case of the corpus, written as the magic writes it: only markdown's own
    elements come out (no raw HTML, no handler, no script link, no image), and what the
    model wrote as HTML is there to read."""
    written = safe_markdown(text)
    assert [t for t in html_tokens(written) if t not in ("<code>", "</code>")] == []
    assert shows in render(written).text


def test_markdown_structure_is_kept() -> None:
    shown = render(
        safe_markdown(
            "# Sales\n\nThe column is `price`; **60** in *total* ~~not~~.\n\n"
            "1. one\n2. two\n   - nested\n\n> quoted\n\n```python\nprint(1)\n```\n\n"
            "| a | b |\n|---|--:|\n| 1 | 2 |\n\n[docs](https://jupyter.org) and "
            "[mail](mailto:a@b.example)"
        )
    )
    tags = [tag for tag, _ in shown.elements]
    for tag in ("h1", "code", "strong", "em", "s", "ol", "ul", "blockquote", "pre", "table"):
        assert tag in tags
    links = [attrs["href"] for tag, attrs in shown.elements if tag == "a"]
    assert links == ["https://jupyter.org", "mailto:a@b.example"]


def test_images_become_links_and_script_links_text() -> None:
    shown = render(safe_markdown("![leak](http://evil.example/p.png?k=1) [x](javascript:y)"))
    assert ("a", {"href": "http://evil.example/p.png?k=1"}) in shown.elements
    assert "img" not in [tag for tag, _ in shown.elements]
    assert "[x](javascript:y)" in shown.text


def test_the_answer_is_safe_markdown_in_a_notebook() -> None:
    shown = render(Answer("**42** <img src=x>")._repr_markdown_())
    assert ("strong", {}) in shown.elements and shown.text == "42 <img src=x>\n"


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
        "**CodeAct:** Plot &lt;b&gt;it&lt;\\/b&gt;",
        "Plotting **now**\\.",
        "<details open><summary>Step 1 · ok</summary>",
        "```python\nplot()\n```",
        f'<img src="data:image/png;base64,{png}" alt="output">',
        "</details>",
        "**Answer:** Done \\[x\\]\\(javascript\\:y\\)",
        "*Answered · 2 turns · 1\\,234 tokens*",
    ]


def test_a_tool_calls_code_streams_highlighted_then_gives_way_to_its_step() -> None:
    view = WidgetView(None, "set x")
    view.show([ActionDelta(turn=1, text="x = 6")])
    view.show([ActionDelta(turn=1, text=" * 7")])
    draft = view.body.children[-1]
    assert [o["data"]["text/markdown"] for o in draft.outputs] == ["```python\nx = 6 * 7\n```"]
    view.show([Action(turn=1, code="x = 6 * 7", action_id="a")])
    assert draft.layout.display == "none" and view.body.children[-1] is not draft


def test_a_whole_run_of_the_corpus_is_text_with_our_markup_only() -> None:
    """Every place model text and outputs go: the request, the prose, the reasoning, the
    steps' outputs (text holding backtick fences, a mime key holding HTML), the answer,
    the errors; in the static run and in the history."""
    img = '<img src=x onerror="alert(1)">'
    record = RunRecord(request=f"Check `{img}")
    for index, case in enumerate(CORPUS):
        record.add(Thinking(turn=index, text=case["text"], seconds=1.0))
        record.add(AssistantMessage(turn=index, text=case["text"] + "\n<execute>\nx\n</execute>"))
        outputs = [
            {"output_type": "stream", "name": "stdout", "text": f"````\n{case['text']}\n```"},
            {"output_type": "display_data", "data": {f"text/{img}": "x"}, "metadata": {}},
            {"output_type": "error", "traceback": [f"```{img}"]},
            {"output_type": "execute_result", "data": {"text/plain": "``` " + img}},
        ]
        record.add(
            Observation(turn=index, action_id=str(index), status="ok", text="", code=img,
                        outputs=outputs)
        )  # fmt: skip
    record.add(FinalAnswer(turn=99, answer=f"Done \\`{img}`"))
    record.add(Error(turn=99, kind="server", message=f"    ```\n{img}"))
    static = run_markdown(record)
    shown = render(static, ours=True)
    assert shown.text.count(img) >= 4 * len(CORPUS)  # every output's HTML, as text
    assert f"text/{img}" in shown.text  # the mime key, as text
    for case in CORPUS:
        assert case["shows"] in shown.text
    history = History()
    history.runs.append(record)
    render(history._repr_markdown_(), ours=True)


def test_an_output_holding_fences_stays_in_its_block() -> None:
    text = "before\n```\n<b>x</b>\n````\nafter"
    written = output_markdown({"output_type": "stream", "text": text})
    assert written.startswith("`````\n")
    shown = render(written)
    assert [tag for tag, _ in shown.elements] == ["pre", "code"] and shown.text.strip() == text
