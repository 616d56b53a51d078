"""A chat's run: its agent (kept between requests, so the conversation carries over), one
run at a time, started, stopped, and closed when the server stops."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import CodeAct
from ..core.agent import Agent
from ..core.cells import Cell, CellBook, stopped_at
from ..core.events import Done
from ..core.llm import LLM
from ..core.styles import ActionStyle
from .chat_file import ChatRecord
from .entries import ChatEntries
from .models import ModelChoice
from .notebook_executor import NotebookExecutor
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


def known_cells(record: ChatRecord) -> list[Cell]:
    """The agent's cells as the entries tell (a chat reloaded after a restart)."""
    observed = {e.get("action_id"): e for e in record.entries if e.get("role") == "observation"}
    cells: dict[str, Cell] = {}
    for entry in record.entries:
        cell_id = entry.get("cell")
        if entry.get("role") != "action" or not cell_id:
            continue
        if (kept := cells.get(entry.get("keeps") or "")) is not None:
            if trim_to := entry.get("trim_to"):  # cut to what ran before its error
                kept.code, kept.status, kept.failure = trim_to, "ok", None
            else:
                kept.kept = True
        observation = observed.get(entry.get("action_id"))
        code = entry.get("code", "")
        status = observation.get("status") if observation else None
        outputs = observation.get("outputs", []) if observation else []
        failure = stopped_at(outputs, code, status)
        cells[cell_id] = Cell(cell_id, "agent", code, status, failure)
    return list(cells.values())


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

    def agent(self, action_style: ActionStyle | None, choice: ModelChoice | None = None) -> Agent:
        options = self.settings.agent_options(require_solution=False, cells=True)
        if action_style is not None:  # the panel's choice for this request
            options = dataclasses.replace(options, action_style=action_style)
        llm = self._llm(choice or ModelChoice())
        if self._agent is not None:
            self._agent.llm = llm  # the model picked for this request
        if self._agent is None:
            cells = CellBook()
            cells.restore(known_cells(self.record))
            self._agent = Agent(
                llm,
                self.executor,
                options,
                history=self.record.messages or None,
                turn=self.record.turn,
                cells=cells,
            )
        elif self._agent.options.action_style != options.action_style:
            self._agent.options = dataclasses.replace(
                self._agent.options, action_style=options.action_style
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
        agent = self.agent(options.action_style, options.choice)
        agent.options = dataclasses.replace(agent.options, replace_failed=options.replace_failed)
        final: ChatState = "error"
        try:
            await self._prepare_tools(agent)
            async for event in agent.run(
                text, context=options.context, user_cell=options.user_cell
            ):
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
