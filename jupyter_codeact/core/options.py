"""What an agent is built with (:class:`AgentOptions`) and what one run of it is asked
with (:class:`RunOptions`).

Both are frozen: a host never changes an agent's options behind its back, it says what
one run wants by passing a :class:`RunOptions` to :meth:`~.agent.Agent.run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .actions import ActionFormat
from .code_tool import CallFormat
from .prompts import DEFAULT_SYSTEM_PROMPT
from .redact import Redactor
from .stopping import INTERRUPT_GRACE
from .styles import ActionStyle


@dataclass(frozen=True)
class AgentOptions:
    """How one agent behaves; hosts build it from the ``CodeAct`` configuration."""

    max_turns: int = 10
    """Model replies allowed per user message."""
    cell_timeout: float | None = 120.0
    """Seconds an action may run before it is interrupted (None: no limit)."""
    max_observation_chars: int = 8000
    """Bound on the text of one observation (head and tail are kept)."""
    token_budget: int | None = None
    """Tokens (prompt + completion) one run may use (None: no limit)."""
    include_images: bool = False
    """Send images from outputs to the model (for vision-capable models)."""
    require_solution: bool = True
    """True: a reply without code or ``<solution>`` is nudged and the loop goes on
    (headless runs). False: such a reply is the answer to the user (chat hosts). In the
    tools style a reply without a call is the answer either way."""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    """The system prompt, as written for the tags style (the tools style rewrites the
    built-in instructions on how to act, :func:`~.prompts.tools_system_prompt`)."""
    stream_retries: int = 2
    """Times a reply whose stream broke mid-way is requested again."""
    interrupt_grace: float = INTERRUPT_GRACE
    """Seconds an interrupted action (stopped, or past its ``cell_timeout``) has to come back
    before it is given up on; one grace for both (:class:`~.stopping.Escalation`)."""
    action_style: ActionStyle = "tags"
    """How the model acts: ``tags`` (code in ``<execute>``), ``tools`` (native tool calls
    with one function whose argument is the code), ``auto`` (tools where the endpoint takes
    them for this model, learned once, else tags)."""
    action_format: ActionFormat | CallFormat | None = None
    """A format of the host's own instead of the style's (the evaluation harness's JSON,
    text and native tool calls): a text format (``parse``) or a native one (``tools`` and
    ``action``)."""
    condense_at: float = 0.75
    """Share of the context window past which older steps are condensed for the model."""
    cells: bool = False
    """The host keeps each action as a cell (the notebook, the magic's ``--insert``): the
    model learns cell ids, a fix replaces the failed cell, earlier cells can be revised
    (the rule is :mod:`.cells`)."""
    replace_failed: bool = True
    """With ``cells``: the action after a failed one replaces the failed cell (rule 3)."""
    redactor: Redactor = field(default_factory=Redactor)
    """Secrets and patterns replaced by ``[redacted]`` in everything the model reads and
    every event (the code of an action still runs as written)."""


@dataclass(frozen=True)
class RunOptions:
    """One run's choices; what is None here is the agent's own (its :class:`AgentOptions`)."""

    context: str | None = None
    """The notebook's context, sent with the request (condensed away when it grows old)."""
    user_cell: str = ""
    """The id of a cell of the user's this request is about (Fix the Error): with
    ``cells``, the model may propose a change to it."""
    action_style: ActionStyle | None = None
    """The style this run acts in (the user's pick)."""
    replace_failed: bool | None = None
    """With ``cells``: whether a fix replaces the failed cell, for this run."""
    settings: AgentOptions | None = None
    """Everything else, where the host's configuration changed since the agent was built
    (the magic's ``%config``): the agent behaves by it from this run on."""
    executor: object | None = None
    """The host's own choices for this run (how to ask before running, where cells go,
    its hooks), handed as they are to every :meth:`~.executor.Executor.execute` of the
    run (``run=``). The core never reads them: they mean something to the host's
    executor only, which takes them per call, so nothing about one run is set on it."""
