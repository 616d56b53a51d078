"""Split a model reply into the tokens the reply grammar reads (see :mod:`.actions`).

One left-to-right scan. Outside any block the scanner looks for the earliest opener: a
known tag (``<execute...>``, ``<solution>``, ``<think>``, another agent's action tag) or a
code fence at the start of a line. Inside a block it looks only for that block's closer,
so whatever a block holds (tags inside code, fences inside an answer, code inside
reasoning) is its data and never opens anything. A block the reply ends in before its
closer (a stream cut by a stop sequence) is kept, marked unclosed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["prose", "tag", "fence", "reasoning"]

ACTION_TAGS = frozenset({"execute", "execute_ipython", "execute_bash", "code"})
"""Tags whose body is an action of ours (``<code>`` only where it starts a line)."""

REASONING_TAGS = frozenset({"think", "thinking"})

FINISH_TAGS = frozenset({"finish", "function=finish", "function=submit"})
"""Other agents' ways of saying "done"; never actions."""

# An opening tag: a name (``function=bash`` counts as one), then attributes, each a bare
# word or word=value with the value quoted or not.
_TAG = re.compile(
    r"<(?P<name>[A-Za-z][\w-]*(?:=[\w.-]+)?)"
    r"(?P<attrs>(?:\s+[A-Za-z_][\w.-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)"
    r"\s*/?>"
)
_ATTR = re.compile(r"([A-Za-z_][\w.-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
# An opening fence: three or more backticks or tildes at the start of a line, then the
# info string. A backtick fence whose info string holds a backtick is inline code.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.MULTILINE)
_OPENER = re.compile(
    rf"{_TAG.pattern}|{_FENCE.pattern}|(?P<unmatched>(?i:</(?:think|thinking)\s*>))",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Token:
    """A piece of the reply: ``source[start:end]`` is exactly what the model wrote.

    ``name`` is a tag's lowercased name or a fence's language (the first word of its
    info string, lowercased); ``body`` what is between the delimiters; ``closed`` whether
    the block's closer was found.
    """

    kind: TokenKind
    start: int
    end: int
    name: str = ""
    body: str = ""
    closed: bool = True
    attributes: dict[str, str] = field(default_factory=dict)
    fence: str = ""
    """The fence characters (for a fence token), e.g. ```` ``` ````."""


def _known_tag(name: str) -> bool:
    return (
        name in ACTION_TAGS
        or name in REASONING_TAGS
        or name in FINISH_TAGS
        or name == "solution"
        or name == "tool_call"
        or name.startswith(("execute_", "function="))
    )


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        value = next((group for group in match.groups()[1:] if group is not None), "")
        found[match.group(1).lower()] = value
    return found


def _closer(name: str) -> re.Pattern[str]:
    # `<function=bash>` closes with `</function>`.
    base = name.split("=", 1)[0]
    return re.compile(rf"</{re.escape(base)}\s*>", re.IGNORECASE)


def _fence_closer(fence: str) -> re.Pattern[str]:
    # smolagents closes its code blocks with ```<end_code>.
    char = re.escape(fence[0])
    return re.compile(rf"^[ \t]*{char}{{{len(fence)},}}[ \t]*(?:<end_code>[ \t]*)?$", re.MULTILINE)


def _at_line_start(source: str, index: int) -> bool:
    """Whether only blanks stand between the start of its line and ``index``."""
    while index > 0 and source[index - 1] in " \t":
        index -= 1
    return index == 0 or source[index - 1] == "\n"


def _at_line_end(source: str, index: int) -> bool:
    """Whether only blanks stand between ``index`` and the end of its line."""
    while index < len(source) and source[index] in " \t\r":
        index += 1
    return index == len(source) or source[index] == "\n"


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, in order; together they cover it exactly."""
    tokens: list[Token] = []
    position = 0
    only_prose = True
    reasoned = False  # a `</think>` after reasoning closed is a stray one

    def prose(end: int) -> None:
        if end > position:
            tokens.append(Token("prose", position, end))

    while position < len(source):
        match = _OPENER.search(source, position)
        while match is not None and not _opens(
            source, match, only_prose=only_prose, reasoned=reasoned
        ):
            match = _OPENER.search(source, match.start() + 1)
        if match is None:
            break
        prose(match.start())
        if match.group("fence"):
            token = _fence(source, match)
        elif match.group("name"):
            token = _tag(source, match)
        else:
            # A `</think>` with no opening tag: the chat template opened the reasoning in
            # the prompt, so everything the model wrote before it was reasoning.
            start = tokens[0].start if tokens else match.start()
            tokens.clear()
            token = Token("reasoning", start, match.end(), "think", source[start : match.start()])
        tokens.append(token)
        only_prose = False
        reasoned = reasoned or token.kind == "reasoning"
        position = token.end
    prose(len(source))
    return tokens


def _opens(source: str, match: re.Match[str], *, only_prose: bool, reasoned: bool) -> bool:
    """Whether an opener candidate really opens a token where it is."""
    if match.group("fence"):
        return not (match.group("fence")[0] == "`" and "`" in match.group("info"))
    if match.group("unmatched"):
        # An unmatched `</think>` ends reasoning the chat template opened when it stands on
        # a line of its own, as models write it, or when nothing but prose came before it.
        if reasoned:
            return False
        alone = _at_line_start(source, match.start()) and _at_line_end(source, match.end())
        return only_prose or alone
    name = match.group("name").lower()
    if not _known_tag(name):
        return False
    # `<code>` is also HTML's inline code: only a `<code>` starting a line is an action.
    return name != "code" or _at_line_start(source, match.start())


def _tag(source: str, match: re.Match[str]) -> Token:
    name = match.group("name").lower()
    kind: TokenKind = "reasoning" if name in REASONING_TAGS else "tag"
    closer = _closer(name).search(source, match.end())
    end = closer.end() if closer else len(source)
    body = source[match.end() : closer.start() if closer else len(source)]
    return Token(
        kind,
        match.start(),
        end,
        name,
        body,
        closed=closer is not None,
        attributes=_attributes(match.group("attrs") or ""),
    )


def _fence(source: str, match: re.Match[str]) -> Token:
    fence = match.group("fence")
    info = match.group("info").strip()
    language = info.split()[0].lower().strip("{}.") if info else ""
    body_start = min(match.end() + 1, len(source))
    closer = _fence_closer(fence).search(source, body_start)
    if closer is None:
        body = source[body_start:]
        return Token("fence", match.start(), len(source), language, body, False, fence=fence)
    body = source[body_start : max(closer.start() - 1, body_start)]
    return Token("fence", match.start(), closer.end(), language, body, fence=fence)
