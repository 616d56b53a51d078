"""Parsing a ``%codeact`` line: options first, then the request exactly as typed."""

from __future__ import annotations

import argparse

import pytest
from IPython.core.error import UsageError

from jupyter_codeact.magic.magics import CodeActMagics
from jupyter_codeact.magic.options import parse_line

PARSER: argparse.ArgumentParser = CodeActMagics.codeact.parser


def test_options_then_a_request_with_quotes_and_spacing() -> None:
    args, request = parse_line(PARSER, "--max-turns 3 --approve what's the  mean of df?")
    assert (args.max_turns, args.approve, args.insert, args.new) == (3, True, False, False)
    assert request == "what's the  mean of df?"  # not shell-split: no unclosed quote


def test_values_after_equals_and_types() -> None:
    args, request = parse_line(PARSER, "--model=gpt-4o --timeout 2.5 --new go")
    assert (args.model, args.timeout, args.new, request) == ("gpt-4o", 2.5, True, "go")


def test_no_options_at_all() -> None:
    args, request = parse_line(PARSER, "plot the data --please")
    assert request == "plot the data --please"  # options only count before the request
    assert args.model is None and args.max_turns is None and not args.history


def test_double_dash_ends_the_options() -> None:
    args, request = parse_line(PARSER, "--insert -- --new is part of the request")
    assert args.insert and not args.new
    assert request == "--new is part of the request"


def test_a_negative_number_or_an_unknown_short_word_starts_the_request() -> None:
    assert parse_line(PARSER, "-5 squared?")[1] == "-5 squared?"
    assert parse_line(PARSER, "-x marks the spot")[1] == "-x marks the spot"


def test_the_cell_body_follows_the_line() -> None:
    args, request = parse_line(PARSER, "--new", "\nLoad data.csv\n  and plot it\n")
    assert args.new and request == "Load data.csv\n  and plot it"
    _, request = parse_line(PARSER, "Context first:", "the body")
    assert request == "Context first:\nthe body"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "--frobnicate now",
            "Unknown option --frobnicate; the options are --action-style, --approve,",
        ),
        ("--max-turns", "Option --max-turns needs a value."),
        ("--max-turns many go", "invalid int value: 'many'"),
        ("--max-turns 0 go", "--max-turns must be at least 1."),
        ("--timeout -1 go", "--timeout must be 0 (no limit) or a number of seconds."),
    ],
)
def test_bad_options_are_usage_errors(line: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(PARSER, line)
    assert message in str(caught.value)


def test_help_lists_every_option() -> None:
    doc = CodeActMagics.codeact.__doc__
    for option in ("--model", "--max-turns", "--timeout", "--approve", "--insert", "--new"):
        assert option in doc
