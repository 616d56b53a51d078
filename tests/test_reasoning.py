"""Reasoning split out of streamed content, and turned into thinking events."""

from __future__ import annotations

import pytest

from jupyter_codeact.core.reasoning import ThinkSplitter, Thoughts

REPLY = (
    "\n<think>\nShould I <execute>open('x', 'w')</execute>? No.\n</think>\n\n"
    "<execute>\nprint(6 * 7)\n</execute>"
)


def split(pieces: list[str]) -> tuple[str, str, bool]:
    splitter = ThinkSplitter()
    out = [piece for text in pieces for piece in splitter.feed(text)] + splitter.close()
    reasoning = "".join(text for kind, text in out if kind == "reasoning")
    return reasoning, "".join(text for kind, text in out if kind == "text"), splitter.in_reasoning


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000])
def test_leading_think_block_is_split_out_whatever_the_chunking(size: int) -> None:
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    reasoning, text, still_open = split(pieces)
    assert reasoning == "\nShould I <execute>open('x', 'w')</execute>? No.\n"
    assert text == "<execute>\nprint(6 * 7)\n</execute>"
    assert not still_open


def test_a_reply_cut_inside_its_reasoning_is_all_reasoning_and_says_so() -> None:
    reasoning, text, still_open = split(["<thinking>I might run <execute>", "rm -rf"])
    assert reasoning == "I might run <execute>rm -rf"
    assert text == "" and still_open


def test_think_later_in_the_reply_is_left_to_the_grammar() -> None:
    reply = "<execute>\nprint('<think>')\n</execute>"
    assert split([reply]) == ("", reply, False)
    assert split(["Sure. ", "<think>hm</think>"]) == ("", "Sure. <think>hm</think>", False)


def test_a_tag_that_only_looks_like_think_at_first_is_text() -> None:
    assert split(["<th", "ead>"]) == ("", "<thead>", False)
    assert split(["<thi"]) == ("", "<thi", False)


def test_two_reasoning_blocks_and_an_upper_case_tag() -> None:
    assert split(["<THINK>a</THINK> <think>b</think>done"]) == ("ab", "done", False)


def test_thoughts_become_live_deltas_then_the_whole_with_its_time() -> None:
    thoughts = Thoughts(turn=3)
    assert list(thoughts.reasoning("\n\n")) == []  # blank so far: no thought yet
    first = list(thoughts.reasoning("Plan: "))
    second = list(thoughts.reasoning("load it."))
    assert [d.text for d in first + second] == ["Plan: ", "load it."]
    [done] = list(thoughts.end())
    assert done.turn == 3 and done.text == "Plan: load it."
    assert done.seconds is not None and done.seconds >= 0
    assert list(thoughts.end()) == []  # once


def test_blank_reasoning_is_no_thought() -> None:
    thoughts = Thoughts(turn=1)
    assert list(thoughts.reasoning("\n\n")) == []
    assert list(thoughts.end()) == []
