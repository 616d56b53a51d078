"""A chat's run: its agent (kept between requests, so the conversation carries over), one
run at a time, started, stopped, and closed when the server stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import CodeAct
from ..core.agent import Agent
from ..core.cells import CellBook, cells_of
from ..core.events import Done
from ..core.llm import LLM
from ..core.options import RunOptions as AgentRun
from ..core.styles import ActionStyle
from .chat_file import ChatRecord
from .entries import ChatEntries
from .history import conversation
from .models import ModelChoice
from .notebook_executor import NotebookExecutor, NotebookRun
from .persistence import ChatSaver
from .projection import EventProjector
from .protocol import ChatState
from .tools import ChatTools

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """One request's choices."""

    context: str | None = None
    action_style: ActionStyle | None = None
    replace_failed: bool = True
    user_cell: str = ""
    choice: ModelChoice = field(default_factory=ModelChoice)  # the user's pick (checked)
    notebook: NotebookRun = field(default_factory=NotebookRun)
    """What the notebook executor does with each action of this run (given to it per
    action by the agent)."""


class ChatRun:
    def __init__(
        self,
        record: ChatRecord,
        *,
        settings: CodeAct,
        llm: Callable[[ModelChoice], LLM],
        executor: NotebookExecutor,
        tools: ChatTools | None,
        projector: EventProjector,
        entries: ChatEntries,
        saver: ChatSaver,
        set_state: Callable[[ChatState], None],
    ) -> None:
        self.record = record
        self.settings = settings
        self._llm = llm
        self.executor = executor
        self.tools = tools
        self.projector = projector
        self.entries = entries
        self.saver = saver
        self._set_state = set_state
        self._agent: Agent | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def agent_or_none(self) -> Agent | None:
        return self._agent

    def agent(self, choice: ModelChoice | None = None) -> Agent:
        """The chat's agent (made on first use, from what the chat file holds), talking to
        the model picked for this request."""
        llm = self._llm(choice or ModelChoice())
        if self._agent is not None:
            self._agent.llm = llm  # the model picked for this request
            return self._agent
        options = self.settings.agent_options(require_solution=False, cells=True)
        history = conversation(self.record, options.redactor)
        cells = CellBook()
        cells.restore(cells_of(history.steps))
        self._agent = Agent(
            llm, self.executor, options, history=history, turn=self.record.turn, cells=cells
        )
        return self._agent

    def start(self, text: str, options: RunOptions) -> asyncio.Task[None]:
        self._task = asyncio.ensure_future(self._run(text, options))
        return self._task

    def stop(self) -> None:
        if self._agent is not None and self.running:
            self._agent.stop()

    async def close(self) -> None:
        """The server is stopping: stop the run and keep what happened."""
        self.stop()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=15)
        await self.executor.close()

    async def _run(self, text: str, options: RunOptions) -> None:
        self.projector.begin()
        self._set_state("thinking")
        agent = self.agent(options.choice)
        run = AgentRun(
            context=options.context,
            user_cell=options.user_cell,
            action_style=options.action_style,
            replace_failed=options.replace_failed,
            executor=options.notebook,
        )
        final: ChatState = "error"
        try:
            await self._prepare_tools(agent)
            async for event in agent.run(text, run):
                if isinstance(event, Done):
                    final = self.projector.done(event)
                else:
                    self.projector.apply(event)
                    if self.tools is not None and event.type == "observation":
                        self._report_tool_problems()  # a server that stopped meanwhile
        except Exception:
            log.exception("CodeAct: the run of chat %s failed", self.record.info["id"])
            self.entries.add(
                {
                    "role": "error",
                    "kind": "internal",
                    "text": "The agent failed unexpectedly (see the server log); ask again.",
                }
            )
        finally:
            self.projector.end()
            if self.record.info.get("action_style") != agent.action_style:
                self.record.info["action_style"] = agent.action_style
                self.saver.changed()
            # On disk before the pages hear that the run is over.
            self.saver.soon()
            await self.saver.flush()
            self._set_state(final)

    async def _prepare_tools(self, agent: Agent) -> None:
        """Tools and rules as they are now: the system prompt says what the kernel has."""
        if self.tools is None:
            return
        prompt, problems = await self.tools.prepare(self.record.info["path"])
        agent.use_system_prompt(prompt)
        self._report_tool_problems(problems)

    def _report_tool_problems(self, problems: list[str] | None = None) -> None:
        if self.tools is None:
            return
        for problem in problems if problems is not None else self.tools.new_problems():
            self.entries.add({"role": "error", "kind": "tools", "text": problem})
