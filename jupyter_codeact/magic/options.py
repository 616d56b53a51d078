"""Split a ``%codeact`` line into its options and the request.

The request is free text (``what's the mean of df?``), so the line is never parsed as a
whole shell-style argument list (an apostrophe would be an unclosed quote): the options
are the leading ``-``/``--`` words the parser knows, with their values; the request is
everything after them, exactly as typed. ``--`` ends the options explicitly.
"""

from __future__ import annotations

import argparse
import re

from IPython.core.error import UsageError

_WORD = re.compile(r"\S+")


def split_line(parser: argparse.ArgumentParser, line: str) -> tuple[list[str], str]:
    """The option words at the start of ``line``, and the rest of it (the request)."""
    words = list(_WORD.finditer(line))
    options: list[str] = []
    index = 0
    while index < len(words):
        word = words[index].group()
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or _is_number(word):
            break
        name = word.split("=", 1)[0]
        action = parser._option_string_actions.get(name)
        if action is None:
            if word.startswith("--"):
                known = ", ".join(sorted(s for s in parser._option_string_actions if s[:2] == "--"))
                raise UsageError(f"Unknown option {name}; the options are {known}.")
            break  # "-x ..." that we do not know: part of the request
        options.append(word)
        index += 1
        if action.nargs != 0 and "=" not in word:
            if index == len(words):
                raise UsageError(f"Option {name} needs a value.")
            options.append(words[index].group())
            index += 1
    request = line[words[index].start() :] if index < len(words) else ""
    return options, request.strip()


def parse_line(
    parser: argparse.ArgumentParser, line: str, cell: str | None = None
) -> tuple[argparse.Namespace, str]:
    """The parsed options and the request: the rest of the line, then the cell body."""
    words, request = split_line(parser, line)
    args = parser.parse_args(words)  # IPython's parser raises UsageError on bad input
    if cell is not None and cell.strip():
        request = f"{request}\n{cell}".strip() if request else cell.strip()
    if args.max_turns is not None and args.max_turns < 1:
        raise UsageError("--max-turns must be at least 1.")
    if args.timeout is not None and args.timeout < 0:
        raise UsageError("--timeout must be 0 (no limit) or a number of seconds.")
    return args, request


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
