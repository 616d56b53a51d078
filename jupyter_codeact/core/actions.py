"""Parse a model reply into a CodeAct action.

The format follows the paper: code in ``<execute>...</execute>``, the answer in
``<solution>...</solution>``, natural language otherwise. Fenced ```python blocks
count as code too, because many models write them whatever the prompt says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from .prompts import NO_ACTION_NUDGE

# The opening tag may carry attributes: <execute replace="c3a1">, <execute new>.
_EXECUTE = re.compile(
    r"<execute((?:\s+[\w-]+(?:=\"[^\"<>]*\"|='[^'<>]*'|=[^\s\"'<>]+)?)*)\s*>(.*?)(?:</execute>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"([\w-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>]+)))?")
_SOLUTION = re.compile(r"<solution>(.*?)(?:</solution>|\Z)", re.DOTALL | re.IGNORECASE)
# A fenced block whose info string is python-ish (or empty); the closing fence may be missing
# when the stream was stopped at a stop sequence.
_FENCE = re.compile(
    r"^[ \t]*```[ \t]*(?:python3?|py|ipython3?)?[ \t]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedReply:
    """What one assistant reply asks for.

    ``code`` is the first code action (None if there is none); ``solution`` the final
    answer (None if there is none); ``text`` the reply cut just after the first action,
    which is what goes into the history (anything the model wrote after its action, such
    as an imagined observation, is dropped). ``problem`` says why an action the model
    attempted cannot be run (malformed); the loop tells the model that instead of its
    generic nudge. ``attributes`` are those of the action's opening tag (``<execute
    replace="c3a1">`` gives ``{"replace": "c3a1"}``, ``<execute new>`` gives
    ``{"new": ""}``); the loop interprets them (:mod:`.cells`).
    """

    text: str
    code: str | None
    solution: str | None
    problem: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def ignored_solution(self) -> bool:
        """True when the reply holds both code and an answer: the code runs first."""
        return self.code is not None and self.solution is not None


def _dedent_block(code: str) -> str:
    lines = code.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines).rstrip()


def _attributes(text: str) -> dict[str, str]:
    """The attributes of an opening tag, lower-cased names; a bare name has the value ""."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, double, single, bare = match.groups()
        found[name.lower()] = next((v for v in (double, single, bare) if v is not None), "")
    return found


def _fence_is_code(match: re.Match[str]) -> bool:
    # Only ```python-ish or bare fences are actions: ```text, ```json and friends are prose.
    header = match.group(0).split("\n", 1)[0].strip().lower().lstrip("`").strip()
    return header in ("", "python", "python3", "py", "ipython", "ipython3")


def parse_reply(reply: str) -> ParsedReply:
    """Find the first action in ``reply`` (see the module docstring for the format)."""
    first: tuple[int, int, str] | None = None  # (start, end, code)
    attributes: dict[str, str] = {}
    solution_match = _SOLUTION.search(reply)
    # A code example inside the answer is part of the answer, not an action.
    answer_span = solution_match.span() if solution_match else (-1, -1)
    match = _EXECUTE.search(reply)
    if match:
        first = (match.start(), match.end(), match.group(2))
        attributes = _attributes(match.group(1))
    for fence in _FENCE.finditer(reply):
        if not _fence_is_code(fence) or answer_span[0] <= fence.start() < answer_span[1]:
            continue
        if first is None or fence.start() < first[0]:
            # A fence inside an <execute> block is part of it, not a second action.
            first = (fence.start(), fence.end(), fence.group(1))
            attributes = {}
        break
    if first is not None:
        inner = first[2]
        # Models often wrap the code of an <execute> block in a fence as well.
        nested = _FENCE.search(inner)
        if nested and _fence_is_code(nested) and inner.strip().startswith("```"):
            inner = nested.group(1)
        code = _dedent_block(inner)
        solution = solution_match.group(1).strip() if solution_match else None
        if code:
            return ParsedReply(
                text=reply[: first[1]], code=code, solution=solution, attributes=attributes
            )
    if solution_match:
        return ParsedReply(text=reply, code=None, solution=solution_match.group(1).strip())
    return ParsedReply(text=reply, code=None, solution=None)


def prose(reply: str) -> str:
    """The natural-language part of a reply: action and solution blocks removed."""
    text = _EXECUTE.sub("", reply)
    text = _SOLUTION.sub("", text)
    text = _FENCE.sub(lambda m: "" if _fence_is_code(m) else m.group(0), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class ActionFormat(Protocol):
    """How the model writes actions: parses a reply into code to run, or an answer.

    The loop is the same for every format; a format that is not code (a JSON tool call,
    say) turns the call into the code that performs it, so it runs and is observed like
    any other action.
    """

    @property
    def no_action_nudge(self) -> str:
        """What the model is told when its reply holds neither an action nor an answer."""
        ...

    def parse(self, reply: str) -> ParsedReply: ...


@dataclass(frozen=True)
class CodeActions:
    """The CodeAct format: ``<execute>`` code (or a fenced block), ``<solution>`` answer."""

    no_action_nudge: str = NO_ACTION_NUDGE

    def parse(self, reply: str) -> ParsedReply:
        return parse_reply(reply)
