"""The reply grammar: what in a model's reply is an action, an answer, reasoning or prose.

Replies are split into tokens by :mod:`.reply_tokens` (a block's content is never searched
for other blocks); these rules then read them:

Reasoning
    ``<think>`` ... ``</think>`` and ``<thinking>`` ... ``</thinking>``, closed or not, and
    everything before a ``</think>`` that has no opening tag (chat templates that open the
    reasoning in the prompt) when that ``</think>`` stands on a line of its own or only prose
    comes before it. Reasoning is never searched for actions or answers and is not sent
    back to the model; hosts show it as thinking.

Actions (code to run)
    ``<execute>``, ``<execute_ipython>`` and ``<code>`` (smolagents; only where it starts a
    line, since ``<code>`` is also HTML's inline code) hold Python; ``<execute_bash>`` holds
    shell commands, run as a ``%%bash`` cell. IPython syntax (``%pip``, ``!cmd``,
    ``%%bash``) is valid in every action. A fence wrapping the whole content of an action
    tag is unwrapped. A closing tag may be missing (a stop sequence, ``</execute>`` by
    default, ends the reply before it): the action runs to the end of the reply. Anything
    inside the block is code, tags and ``<solution>`` included.

    Fences: a ```` ```python ```` / ``py`` / ``ipython`` fence is an action; so is a bare
    ```` ``` ```` fence whose content is Python (it parses, IPython syntax allowed) and does
    something: a fence of bare names and operators is how shell commands parse (``ls -la``,
    ``exit``, ``pwd``), and a fence of literals is quoted output, so neither runs. A fence of
    another language (bash, json, text...) is never an action; its closing fence never
    opens one. A closing ```` ```<end_code> ```` (smolagents) closes a fence.

    A reply that writes any tag (an action or answer of ours, or another agent's action or
    finish markup) acts through tags: its fences are quotations (code shown to the user, a
    summary of a fix), never actions.

    One action per reply: the first. What the model wrote after it (often an imagined
    observation) is dropped; the reply as the model reads it back ends with its action
    (closed with its tag where a stop sequence cut it off).

Answers
    ``<solution>`` ... ``</solution>`` (closed or not) outside actions and reasoning is the
    final answer. A reply with both an action and an answer runs the action first (the
    loop tells the model its answer was not taken).

Other agents' markup
    ``<execute_browse>``, ``<execute_delegate>``, ``<function=NAME>``, ``<tool_call>`` are
    actions this agent cannot run: no action, and the model is told how to act here
    (:attr:`ParsedReply.problem`). ``<finish>``, ``<function=finish>`` and
    ``<function=submit>`` mean the model is done: no action, no problem.

Tag attributes
    Attributes on an action tag (``<execute replace="c3a1">``, ``<execute new>``) are parsed
    generically into :attr:`ParsedReply.attributes` (a bare attribute maps to ``""``); the
    grammar gives them no meaning.

Prose
    Everything else is natural language for the user (:func:`prose`).

Choices where the corpus of real replies allows either way:

- A reply that shows code in a ```` ```python ```` fence and acts with a tag runs only the
  tag; a reply with fences and no tags runs its first Python fence, even when it reads as a
  script delivered to the user: in a CodeAct loop code is for running, and the user sees
  the output rather than a nudge.
- ``exit`` alone in a bare fence does not run: it would shut the kernel down, and a lone
  name is more often an agent command than Python.
- A bare fence whose content does not parse is prose: broken Python cannot be told from a
  shell command or quoted text. Python-labelled fences run whatever they hold, errors
  included, so the model sees its own SyntaxError.
- ChatGPT's copy-button artefact (a fence whose content starts ``pythonCopy code``) is
  read without the artefact: the action inside it runs.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from typing import Protocol

from .prompts import FOREIGN_ACTION_NUDGE, NO_ACTION_NUDGE
from .reply_tokens import ACTION_TAGS, FINISH_TAGS, Token, tokenize
from .tool_calls import ToolCall

STOP_SEQUENCES = ("</execute>",)
"""Sent with each text request (tags style): the reply ends at the end of its action, which
saves the tokens of an observation the model would imagine. Tool calls send none."""
PYTHON_FENCES = frozenset({"python", "python3", "py", "py3", "ipython", "ipython3"})
_COPY_ARTEFACT = re.compile(r"\A\s*[A-Za-z+#]*Copy code`?")
_IPYTHON_LINE = re.compile(r"^([ \t]*)[!%].*$", re.MULTILINE)
_TRIVIAL_NODES = (
    ast.Name,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
    ast.expr_context,
)


@dataclass(frozen=True)
class ParsedReply:
    """What one assistant reply asks for.

    ``code`` is the first code action (None if there is none); ``solution`` the final
    answer (None if there is none); ``text`` the reply as the model reads it back: without
    its reasoning, cut just after the first action. ``problem`` says why an action the
    model attempted cannot be run; the loop tells the model that instead of its generic
    nudge. ``attributes`` are the action tag's attributes, ``reasoning`` the reasoning
    found in the reply (the hosts show it; it is never run or sent back).

    Native tool calls (the tools style): ``tool_calls`` are all the calls of the reply,
    ``call_id`` the one whose result the observation is (the first; the others are
    answered with a note). Without calls, ``call_id`` is None.
    """

    text: str
    code: str | None
    solution: str | None
    problem: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    call_id: str | None = None

    @property
    def ignored_solution(self) -> bool:
        """True when the reply holds both code and an answer: the code runs first."""
        return self.code is not None and self.solution is not None


def _dedent_block(code: str) -> str:
    lines = code.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines).rstrip()


@functools.lru_cache(maxsize=64)  # a reply is parsed, then its prose taken: parse once
def looks_like_python(code: str) -> bool:
    """Whether a bare fence's content is Python worth running (see the module docstring)."""
    if code.lstrip().startswith("%%"):
        return True  # a cell magic: the whole cell is IPython's
    # A shell escape or line magic is a call to IPython, so it "does something".
    source = _IPYTHON_LINE.sub(lambda m: f"{m.group(1)}_ipython_()", code)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    trivial = (ast.Module, ast.Expr, *_TRIVIAL_NODES)
    return any(not isinstance(node, trivial) for node in ast.walk(tree))


def _tag_code(token: Token) -> str:
    body = token.body
    if body.strip().startswith(("```", "~~~")):
        inner = tokenize(body.strip("\n"))
        if len(inner) == 1 and inner[0].kind == "fence" and inner[0].name in PYTHON_FENCES | {""}:
            body = inner[0].body
    code = _dedent_block(body)
    if token.name == "execute_bash" and code:
        return f"%%bash\n{code}"
    return code


@dataclass(frozen=True)
class _Action:
    token: Token
    code: str
    closing: str
    """What closes the token if the reply ended before its closer."""


def _action_in(token: Token, tags_written: bool) -> _Action | None:
    if token.kind == "tag" and token.name in ACTION_TAGS:
        code = _tag_code(token)
        return _Action(token, code, f"</{token.name}>") if code else None
    if token.kind != "fence" or tags_written:
        return None
    if _COPY_ARTEFACT.match(token.body):
        inner = parse_reply(_COPY_ARTEFACT.sub("", token.body, count=1))
        return _Action(token, inner.code, "") if inner.code else None
    code = _dedent_block(token.body)
    if not code:
        return None
    if token.name in PYTHON_FENCES or (token.name == "" and looks_like_python(code)):
        return _Action(token, code, f"\n{token.fence}")
    return None


def _writes_tags(tokens: list[Token]) -> bool:
    return any(token.kind == "tag" for token in tokens)


def _without_reasoning(source: str, tokens: list[Token], end: int) -> str:
    kept = (t for t in tokens if t.kind != "reasoning" and t.end <= end)
    return "".join(source[t.start : t.end] for t in kept)


def parse_reply(reply: str) -> ParsedReply:
    """Read ``reply`` by the grammar of the module docstring."""
    tokens = tokenize(reply)
    reasoning = "\n\n".join(t.body.strip() for t in tokens if t.kind == "reasoning").strip()
    tags_written = _writes_tags(tokens)
    solution = next(
        (t.body.strip() for t in tokens if t.kind == "tag" and t.name == "solution"), None
    )
    for index, token in enumerate(tokens):
        action = _action_in(token, tags_written)
        if action is None:
            continue
        text = _without_reasoning(reply, tokens[: index + 1], token.end)
        if not token.closed:
            text += action.closing
        return ParsedReply(
            text=text,
            code=action.code,
            solution=solution,
            attributes=dict(token.attributes),
            reasoning=reasoning,
        )
    text = _without_reasoning(reply, tokens, len(reply))
    problem = ""
    foreign = next((t for t in tokens if _is_foreign_action(t)), None)
    if foreign is not None and solution is None:
        problem = FOREIGN_ACTION_NUDGE.format(tag=f"<{foreign.name}>")
    return ParsedReply(
        text=text, code=None, solution=solution, problem=problem, reasoning=reasoning
    )


def _is_foreign_action(token: Token) -> bool:
    return (
        token.kind == "tag"
        and token.name not in ACTION_TAGS
        and token.name not in FINISH_TAGS
        and token.name != "solution"
    )


def without_reasoning(reply: str) -> str:
    """``reply`` with its reasoning blocks removed (for formats that search the whole reply)."""
    tokens = tokenize(reply)
    return _without_reasoning(reply, tokens, len(reply))


def prose(reply: str) -> str:
    """The natural-language part of a reply, as markdown: reasoning, actions (tags and the
    fences that would run), answers and finish markup removed."""
    tokens = tokenize(reply)
    tags_written = _writes_tags(tokens)
    kept: list[str] = []
    for token in tokens:
        if token.kind == "reasoning" or _action_in(token, tags_written) is not None:
            continue
        if token.kind == "tag" and (token.name in ACTION_TAGS | FINISH_TAGS | {"solution"}):
            continue
        kept.append(reply[token.start : token.end])
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip()


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
