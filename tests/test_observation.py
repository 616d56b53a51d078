"""Observations: what the model reads after each action."""

from __future__ import annotations

import pytest

from jupyter_codeact.core.executor import ExecutionResult
from jupyter_codeact.core.observation import (
    collapse_carriage_returns,
    format_observation,
    strip_ansi,
    truncate_middle,
)
from jupyter_codeact.executors.outputs import OutputCollector

TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mNameError\x1b[0m                                 Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[43mundefined\x1b[49m",
    "\x1b[0;31mNameError\x1b[0m: name 'undefined' is not defined",
]


def observe(*outputs: dict, status: str = "ok", max_chars: int = 8000, **kw) -> str:
    result = ExecutionResult(status=status, outputs=list(outputs), **kw)  # type: ignore[arg-type]
    return format_observation(result, max_chars=max_chars, timeout=30).text


def test_stdout_and_result_are_shown() -> None:
    text = observe(
        {"output_type": "stream", "name": "stdout", "text": "hello\n"},
        {"output_type": "execute_result", "execution_count": 4, "data": {"text/plain": "42"}},
    )
    assert text == "Observation:\nhello\nOut[4]: 42"


def test_stderr_is_marked() -> None:
    text = observe({"output_type": "stream", "name": "stderr", "text": "careful\n"})
    assert "[stderr]\ncareful" in text


def test_traceback_loses_ansi_codes_but_keeps_its_lines() -> None:
    text = observe(
        {"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": TRACEBACK},
        status="error",
    )
    assert "\x1b" not in text
    assert "----> 1 undefined" in text
    assert text.rstrip().endswith("NameError: name 'undefined' is not defined")


def test_traceback_without_summary_line_gets_one() -> None:
    text = observe(
        {"output_type": "error", "ename": "KeyError", "evalue": "'a'", "traceback": []},
        status="error",
    )
    assert text.endswith("KeyError: 'a'")


def test_silent_success_says_so() -> None:
    assert "printed nothing" in observe()


def test_images_become_a_placeholder_for_text_models_and_parts_for_vision_models() -> None:
    image = {"output_type": "display_data", "data": {"image/png": "iVBORw0K\nGgo="}, "metadata": {}}
    result = ExecutionResult(status="ok", outputs=[image])
    text_only = format_observation(result, max_chars=1000)
    assert "[image/png displayed]" in text_only.text
    assert text_only.images == []
    vision = format_observation(result, max_chars=1000, include_images=True)
    assert vision.images == [("image/png", "iVBORw0KGgo=")]


def test_plots_with_text_plain_use_the_text() -> None:
    figure = {
        "output_type": "display_data",
        "data": {"image/png": "AAA", "text/plain": "<Figure size 640x480 with 1 Axes>"},
    }
    assert "<Figure size 640x480 with 1 Axes>" in observe(figure)


def test_html_only_output_is_reduced_to_text() -> None:
    html = {"output_type": "display_data", "data": {"text/html": "<b>Total</b>: 3 &amp; more"}}
    assert "Total: 3 & more" in observe(html)


def test_html_display_objects_show_their_html_not_their_default_repr() -> None:
    display = {
        "output_type": "display_data",
        "data": {"text/plain": "<IPython.core.display.HTML object>", "text/html": "<p>Hi</p>"},
    }
    assert observe(display) == "Observation:\nHi"
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure size 10x10>"}}
    assert observe(figure) == "Observation:\n<Figure size 10x10>"


def test_long_output_keeps_head_and_tail_and_says_how_much_was_cut() -> None:
    lines = "".join(f"line {i}\n" for i in range(100_000))
    text = observe({"output_type": "stream", "name": "stdout", "text": lines}, max_chars=2000)
    assert len(text) < 2200
    assert "line 0\n" in text
    assert "line 99999" in text
    assert "characters cut" in text


def test_truncate_middle_leaves_short_text_alone() -> None:
    assert truncate_middle("short", 100) == "short"
    cut = truncate_middle("a" * 50 + "b" * 50, 20)
    assert cut.startswith("a" * 8) and cut.endswith("b" * 12)
    assert "[80 characters cut]" in cut


def test_status_notes_tell_the_model_what_happened() -> None:
    assert "did not finish within 30 seconds" in observe(status="timeout")
    assert "kernel died" in observe(status="died", note="It was restarted: state lost.")
    assert "It was restarted" in observe(status="died", note="It was restarted: state lost.")
    assert "chose not to run" in observe(status="skipped")


def test_progress_bars_collapse_to_their_last_state() -> None:
    assert collapse_carriage_returns("10%\r50%\r100%\ndone") == "100%\ndone"
    assert strip_ansi("\x1b[1;32mok\x1b[0m \x1b]0;title\x07") == "ok "


def test_collector_merges_streams_and_applies_clear_output() -> None:
    collector = OutputCollector()
    collector.add("execute_input", {"execution_count": 7})
    collector.add("stream", {"name": "stdout", "text": "a"})
    collector.add("stream", {"name": "stdout", "text": "b"})
    collector.add("stream", {"name": "stderr", "text": "w"})
    assert collector.outputs() == [
        {"output_type": "stream", "name": "stdout", "text": "ab"},
        {"output_type": "stream", "name": "stderr", "text": "w"},
    ]
    collector.add("clear_output", {"wait": True})
    assert len(collector.outputs()) == 2  # cleared only when the next output comes
    collector.add("stream", {"name": "stdout", "text": "c"})
    assert collector.outputs() == [{"output_type": "stream", "name": "stdout", "text": "c"}]
    assert collector.execution_count == 7


def test_collector_updates_displays_in_place() -> None:
    collector = OutputCollector()
    transient = {"display_id": "progress"}
    collector.add("display_data", {"data": {"text/plain": "0%"}, "transient": transient})
    collector.add("update_display_data", {"data": {"text/plain": "100%"}, "transient": transient})
    assert collector.outputs()[0]["data"] == {"text/plain": "100%"}


def test_collector_bounds_megabytes_of_stream_output() -> None:
    collector = OutputCollector(max_stream_chars=1000)
    for i in range(10_000):
        collector.add("stream", {"name": "stdout", "text": f"{i:08d}\n"})
    text = collector.outputs()[0]["text"]
    assert len(text) < 1100
    assert text.startswith("00000000\n")
    assert text.endswith("00009999\n")
    assert "89,000 characters of output dropped" in text


@pytest.mark.parametrize("sizes", [(1,), (7, 300, 2), (999, 1, 1, 1500), (5000,)])
def test_bounded_stream_keeps_exactly_the_head_and_the_tail(sizes: tuple[int, ...]) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(20_000))
    collector = OutputCollector(max_stream_chars=1000)
    position, turn = 0, 0
    while position < len(text):  # the same text, arriving in pieces of varied sizes
        size = sizes[turn % len(sizes)]
        collector.add("stream", {"name": "stdout", "text": text[position : position + size]})
        position, turn = position + size, turn + 1
    expected = f"{text[:500]}\n... [19,000 characters of output dropped] ...\n{text[-500:]}"
    assert collector.outputs()[0]["text"] == expected
