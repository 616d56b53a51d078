"""A chat session: one chat's agent, its entries, and the pages connected to it.

Core events become chat entries here (the one place that does it); entries are what the
panel shows and what is persisted, so a live view and a reloaded one are the same.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from ..config import CodeAct, ConfigError
from ..core.actions import prose
from ..core.agent import Agent
from ..core.cells import Cell, CellBook
from ..core.events import (
    Action,
    ActionDelta,
    AnyEvent,
    AssistantMessage,
    Condensed,
    Done,
    Error,
    FinalAnswer,
    Observation,
    Retry,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Usage,
)
from ..core.llm import LLM
from ..core.observation import status_note, truncate_middle
from ..core.styles import ActionStyle
from .notebook_executor import NotebookExecutor, Peer
from .protocol import ChatEntry, ChatState
from .store import ChatRecord, ChatStore
from .tools import REFUSED, ChatTools, ServerTools

log = logging.getLogger(__name__)

MAX_CONTEXT_CHARS = 12_000
MAX_ENTRY_OUTPUT_CHARS = 4_000
SAVE_DELAY = 0.5
BUSY = "The agent is still working on the last request: wait for it, or press Stop."
SERVER_STOPPED = (
    "The server stopped while the agent was working, so its last step did not finish: check "
    "the notebook's last cells, then ask again to continue."
)

_LIMIT_ADVICE = {
    "max_turns": "ask it to go on, or raise c.CodeAct.max_turns.",
    "token_budget": "ask it to go on, or raise c.CodeAct.token_budget.",
}


def short_outputs(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outputs small enough to keep in a chat entry: text bounded, images dropped.

    The cell in the notebook keeps the real outputs; the entry only summarises them.
    """
    kept: list[dict[str, Any]] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            kept.append({**output, "text": truncate_middle(text, MAX_ENTRY_OUTPUT_CHARS)})
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            plain = data.get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else str(plain)
            small = {"text/plain": truncate_middle(plain, MAX_ENTRY_OUTPUT_CHARS)} if plain else {}
            if not small:
                small = {"text/plain": f"[{', '.join(sorted(data)) or 'output'}]"}
            kept.append({**output, "data": small, "metadata": {}})
        elif kind == "error":
            kept.append(
                {
                    **output,
                    "traceback": [
                        truncate_middle(
                            "\n".join(output.get("traceback", [])), MAX_ENTRY_OUTPUT_CHARS
                        )
                    ],
                }
            )
    return kept


class ChatSession:
    """Runs one chat; survives its pages (they come and go) but not the server."""

    def __init__(
        self,
        record: ChatRecord,
        *,
        store: ChatStore,
        settings: CodeAct,
        llm: Callable[[], LLM],
        orphan_timeout: float = 30.0,
        tools: ServerTools | None = None,
    ) -> None:
        self.record = record
        self.store = store
        self.settings = settings
        self._llm = llm
        self.peers: dict[Peer, str | None] = {}  # page -> its client id
        self.driver: Peer | None = None
        self.state: ChatState = "idle"
        self.tokens = 0
        self.tools = ChatTools(tools) if tools is not None else None
        self.executor = NotebookExecutor(
            path=lambda: self.record.info["path"],
            driver=lambda: self.driver,
            on_sent=self._action_sent,
            orphan_timeout=orphan_timeout,
            tools=self.tools.execute_fields if self.tools is not None else None,
        )
        self._agent: Agent | None = None
        self._task: asyncio.Task[None] | None = None
        self._assistant_id: str | None = None
        self._thinking_id: str | None = None
        self._action_style: ActionStyle | None = None
        self._unpublished: str | None = None
        self._dirty = False
        self._flush_later: asyncio.TimerHandle | None = None
        self._write_lock = asyncio.Lock()
        self._recover()

    def _recover(self) -> None:
        """Close what a run left open when the server stopped in the middle of it.

        Entries saved mid-run would otherwise show "Running..." forever, and the model's
        history would end with an action whose outcome it never heard.
        """
        unfinished = False
        for entry in self.record.entries:
            if entry.get("streaming"):
                entry["streaming"] = False
                unfinished = True
            if entry.get("role") == "action" and entry.get("phase") != "finished":
                entry["phase"] = "finished"
                unfinished = True
        if not unfinished:
            return
        self.record.entries.append(
            {
                "id": uuid.uuid4().hex,
                "time": time.time(),
                "role": "error",
                "kind": "interrupted",
                "text": SERVER_STOPPED,
            }
        )
        messages = self.record.messages
        if messages and messages[-1].get("role") == "assistant":
            messages.append({"role": "user", "content": f"Observation:\n{SERVER_STOPPED}"})
        self.store.save(self.record)

    @property
    def id(self) -> str:
        return self.record.info["id"]

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- pages -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "chat": self.record.info,
            "entries": self.record.entries,
            "state": self.state,
        }

    def attach(self, peer: Peer) -> None:
        self.peers[peer] = None
        peer.send(self.snapshot())

    def hello(self, peer: Peer, client_id: str) -> None:
        """A page said who it is; if it is the driver coming back, it drives again."""
        for old, known in list(self.peers.items()):
            # A page keeps one socket per chat: an older one with its id is gone, even if the
            # server has not noticed yet.
            if old is not peer and known == client_id:
                self.peers.pop(old, None)
                if self.driver is old:
                    self.driver = peer
                self.executor.peer_back(old, peer)
        self.peers[peer] = client_id

    def detach(self, peer: Peer) -> None:
        # Keep a closed driver known (by client id) so that it can come back.
        if peer is not self.driver:
            self.peers.pop(peer, None)
        self.executor.peer_gone(peer)

    def broadcast(self, message: dict[str, Any]) -> None:
        for peer in list(self.peers):
            if not peer.closed:
                peer.send(message)

    # -- requests ----------------------------------------------------------------------------
    def ask(
        self,
        peer: Peer,
        text: str,
        *,
        context: str | None = None,
        approval: Literal["auto", "ask"] | None = None,
        action_style: ActionStyle | None = None,
        replace_failed: bool | None = None,
        user_cell: str = "",
    ) -> str | None:
        """Start a run; returns a problem sentence instead if one cannot start now.

        ``approval`` and ``replace_failed`` are the panel's settings (None: the configured
        ones), though a configured ``ask`` wins over the panel's approval; ``user_cell`` is
        the id of the user's cell this request is about (Fix the Error).
        """
        if self.running:
            return BUSY
        self.driver = peer
        self._action_style = action_style
        # The server's "ask" is a floor (an administrator's choice): a page cannot lower it.
        floor = self.settings.approval_mode == "ask"
        self.executor.approval = "ask" if floor else (approval or "auto")
        if self.record.info["title"] == "New chat":
            title = self.settings.redactor().redact(text.strip().splitlines()[0])
            self.record.info["title"] = title[:80]
            self.broadcast({"type": "chat", "chat": self.record.info})
        self._add({"role": "user", "text": text, "model": self.settings.model})
        try:
            self.settings.check()
        except ConfigError as error:
            self._add({"role": "error", "kind": "config", "text": str(error)})
            self._set_state("error")
            return None
        bounded = truncate_middle(context, MAX_CONTEXT_CHARS) if context else None
        replace = self.settings.replace_failed_cells if replace_failed is None else replace_failed
        self._task = asyncio.ensure_future(self._run(text, bounded, replace, user_cell))
        return None

    def stop(self) -> None:
        if self._agent is not None and self.running:
            self._agent.stop()

    def approved(self, request_id: str) -> None:
        """The user pressed Run: the action waiting for approval is running now."""
        for entry in reversed(self.record.entries):
            if entry.get("request_id") == request_id:
                if entry.get("phase") == "waiting_approval":
                    self._replace(entry["id"], phase="running")
                    self._set_state("running")
                return

    def tool_call(self, peer: Peer, request_id: str, call_id: str, prompt: str) -> None:
        """The page relays a tool call of the action ``request_id``: answer it to that page."""
        if self.tools is not None:
            allowed = self.executor.is_pending(request_id)
            self.tools.relay(peer, call_id, prompt, allowed=allowed)
        else:
            peer.send({"type": "tool_result", "call_id": call_id, "value": REFUSED})

    def execute_result(self, result: dict[str, Any]) -> None:
        if not self.executor.resolve(result):
            log.info("CodeAct: ignoring a result for unknown request %s", result["request_id"])

    def renamed(self, info: dict[str, Any]) -> None:
        self.record.info.update(info)  # type: ignore[typeddict-item]
        self.broadcast({"type": "chat", "chat": self.record.info})
        # A save encoded before the rename may land after the store's: write the new path last.
        self._save()

    async def close(self) -> None:
        """The server is stopping: stop the run and keep what happened."""
        self.stop()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=15)
        await self.flush()

    # -- the run -----------------------------------------------------------------------------
    def agent(self) -> Agent:
        options = self.settings.agent_options(require_solution=False, cells=True)
        if self._action_style is not None:  # the panel's choice for this request
            options = dataclasses.replace(options, action_style=self._action_style)
        if self._agent is None:
            cells = CellBook()
            cells.restore(self._known_cells())
            self._agent = Agent(
                self._llm(),
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

    def _known_cells(self) -> list[Cell]:
        """The agent's cells as the entries tell (a chat reloaded after a restart)."""
        statuses = {
            e.get("action_id"): e.get("status")
            for e in self.record.entries
            if e.get("role") == "observation"
        }
        cells: dict[str, Cell] = {}
        for entry in self.record.entries:
            cell_id = entry.get("cell")
            if entry.get("role") == "action" and cell_id:
                status = statuses.get(entry.get("action_id"))
                cells[cell_id] = Cell(cell_id, "agent", entry.get("code", ""), status)
        return list(cells.values())

    async def _run(
        self, text: str, context: str | None, replace_failed: bool, user_cell: str
    ) -> None:
        self.tokens = 0
        self._set_state("thinking")
        agent = self.agent()
        agent.options = dataclasses.replace(agent.options, replace_failed=replace_failed)
        final: ChatState = "error"
        try:
            await self._prepare_tools(agent)
            async for event in agent.run(text, context=context, user_cell=user_cell):
                if isinstance(event, Done):
                    final = self._done(event)
                else:
                    self._apply(event)
        except Exception:
            log.exception("CodeAct: the run of chat %s failed", self.id)
            self._add(
                {
                    "role": "error",
                    "kind": "internal",
                    "text": "The agent failed unexpectedly (see the server log); ask again.",
                }
            )
        finally:
            self._assistant_id = None
            self._end_thinking()
            if self.record.info.get("action_style") != agent.action_style:
                self.record.info["action_style"] = agent.action_style
                self._dirty = True
            await self._release_kernel()
            # On disk before the pages hear that the run is over.
            self._save()
            await self.flush()
            self._set_state(final)

    async def _prepare_tools(self, agent: Agent) -> None:
        """Tools and rules as they are now: the system prompt says what the kernel has."""
        if self.tools is None:
            return
        prompt, problems = await self.tools.prepare(self.record.info["path"])
        agent.use_system_prompt(prompt)
        self._report_tool_problems(problems)

    async def _release_kernel(self) -> None:
        """A run that ended while its cell waited for a tool's answer (its page went away):
        nobody can answer the kernel now, so interrupt it rather than leave it blocked."""
        tools = self.tools
        if tools is None or not tools.action_ended() or tools.host.interrupt is None:
            return
        try:
            await tools.host.interrupt(self.record.info["path"])
        except Exception:
            log.exception("CodeAct: could not interrupt the kernel of %s", self.record.info["path"])

    def _report_tool_problems(self, problems: list[str] | None = None) -> None:
        if self.tools is None:
            return
        for problem in problems if problems is not None else self.tools.new_problems():
            self._add({"role": "error", "kind": "tools", "text": problem})

    def _apply(self, event: AnyEvent) -> None:
        if isinstance(event, ThinkingDelta | Thinking):
            self._thinking(event)
        elif isinstance(event, TextDelta | ActionDelta):
            self._streamed(event)
        elif isinstance(event, Condensed):
            self._add({"role": "condensed", "turn": event.turn, "text": event.describe()})
        elif isinstance(event, Retry):
            if self._assistant_id is not None:
                self._entry(self._assistant_id).pop("code", None)
                self._replace(self._assistant_id, text="")
            self._end_thinking(text="")  # the retried reply thinks afresh
        elif isinstance(event, AssistantMessage):
            self._end_thinking()
            shown = prose(event.text)
            if self._assistant_id is not None:
                self._entry(self._assistant_id).pop("code", None)  # its action entry has it
            if self._assistant_id is None:
                self._add(
                    {"role": "assistant", "turn": event.turn, "text": event.text, "prose": shown}
                )
            else:
                self._replace(self._assistant_id, text=event.text, prose=shown, streaming=False)
            self._assistant_id = None
        elif isinstance(event, Usage):
            self.tokens = event.run_total_tokens
            self._set_state(self.state)
        elif isinstance(event, Action):
            # Published once its `execute` has gone out (see _action_sent): the page then
            # starts the cell before it spends time drawing the step.
            entry = self._add(
                {
                    "id": f"action-{event.action_id}",
                    "role": "action",
                    "turn": event.turn,
                    "code": event.code,
                    "action_id": event.action_id,
                    "phase": "pending",
                    "replaces": event.replaces,
                },
                publish=False,
            )
            self._unpublished = entry["id"]
        elif isinstance(event, Observation):
            self._publish_action()
            self._observed(event)
            if self.tools is not None:
                self.tools.action_ended()
                self._report_tool_problems()  # a server that stopped during the action
        elif isinstance(event, FinalAnswer):
            self._add({"role": "final", "turn": event.turn, "text": event.answer})
        elif isinstance(event, Error):
            self._publish_action()
            self._add({"role": "error", "kind": event.kind, "text": event.message})

    def _streamed(self, event: TextDelta | ActionDelta) -> None:
        """A piece of the reply: its text, or the code of its tool call."""
        if self._assistant_id is None:
            entry = self._add(
                {"role": "assistant", "turn": event.turn, "text": "", "streaming": True},
                save=False,
            )
            self._assistant_id = entry["id"]
        current = self._entry(self._assistant_id)
        key: Literal["text", "code"] = "code" if isinstance(event, ActionDelta) else "text"
        current[key] = current.get(key, "") + event.text
        message: dict[str, Any] = {"type": "delta", "id": self._assistant_id, "text": event.text}
        if key == "code":
            message["field"] = "code"
        self.broadcast(message)

    def _thinking(self, event: ThinkingDelta | Thinking) -> None:
        """Reasoning gets an entry of its own: streamed live, then complete with its time."""
        if isinstance(event, ThinkingDelta):
            if self._thinking_id is None:
                entry = self._add(
                    {"role": "thinking", "turn": event.turn, "text": "", "streaming": True},
                    save=False,
                )
                self._thinking_id = entry["id"]
            current = self._entry(self._thinking_id)
            current["text"] = current.get("text", "") + event.text
            self.broadcast({"type": "delta", "id": self._thinking_id, "text": event.text})
            return
        done: dict[str, Any] = {"text": event.text, "streaming": False}
        if event.seconds is not None:
            done["duration_ms"] = round(event.seconds * 1000, 1)
        if self._thinking_id is None:
            self._add({"role": "thinking", "turn": event.turn, **done})
        else:
            self._replace(self._thinking_id, **done)
            self._thinking_id = None

    def _end_thinking(self, **changes: Any) -> None:
        """Close a reasoning entry still streaming (its reply broke off, or the run ended)."""
        if self._thinking_id is not None:
            self._replace(self._thinking_id, streaming=False, **changes)
            self._thinking_id = None

    def _action_sent(self, action: Action, request_id: str, approval: str) -> None:
        phase = "waiting_approval" if approval == "ask" else "running"
        self._unpublished = None
        self._replace(f"action-{action.action_id}", request_id=request_id, phase=phase)
        self._set_state("waiting_approval" if approval == "ask" else "running")

    def _publish_action(self) -> None:
        """Show an action whose `execute` never went out (no page could run it)."""
        if self._unpublished is not None:
            entry_id, self._unpublished = self._unpublished, None
            self._replace(entry_id)

    def _observed(self, event: Observation) -> None:
        action_entry = self._entry(f"action-{event.action_id}")
        trip = self.executor.last_round_trip
        if trip is not None and trip.request_id != action_entry.get("request_id"):
            trip = None  # nothing went out for this action (the cell rule refused it)
        cell_id = trip.cell_id if trip else None
        self._replace(
            action_entry["id"],
            phase="finished",
            cell_id=cell_id,
            cell=event.cell,
            replaced=event.replaced,
        )
        entry: ChatEntry = {
            "id": f"observation-{event.action_id}",
            "role": "observation",
            "turn": event.turn,
            "action_id": event.action_id,
            "status": event.status,
            "text": event.text,
            "code": event.code,
            "outputs": short_outputs(event.outputs),
            "execution_count": event.execution_count,
            "cell_id": cell_id,
        }
        if trip is not None:
            entry["duration_ms"] = round(trip.duration_ms, 2)
        if note := status_note(event.status, self.settings.cell_timeout or None):
            entry["note"] = note
        self._add(entry)
        self._set_state("thinking")

    def _done(self, event: Done) -> ChatState:
        """Record how the run ended; the state the chat is in after it."""
        if event.reason == "answered":
            return "done"
        if event.reason == "cancelled":
            self._add({"role": "error", "kind": "stopped", "text": event.detail})
            return "idle"
        if event.reason in _LIMIT_ADVICE:
            text = f"{event.detail} To continue, {_LIMIT_ADVICE[event.reason]}"
            self._add({"role": "error", "kind": event.reason, "text": text})
        return "error"

    # -- entries -----------------------------------------------------------------------------
    def _add(
        self, entry: ChatEntry | dict[str, Any], *, save: bool = True, publish: bool = True
    ) -> ChatEntry:
        full: ChatEntry = {"id": uuid.uuid4().hex, "time": time.time(), **entry}  # type: ignore[typeddict-item]
        full = self.settings.redactor().redact_value(full)  # stored, shown: never a secret
        self.record.entries.append(full)
        if publish:
            self.broadcast({"type": "entry", "entry": full})
        if save:
            self._save()
        return full

    def _entry(self, entry_id: str) -> ChatEntry:
        for entry in self.record.entries[::-1]:
            if entry["id"] == entry_id:
                return entry
        raise KeyError(entry_id)

    def _replace(self, entry_id: str, **changes: Any) -> None:
        entry = self._entry(entry_id)
        entry.update(self.settings.redactor().redact_value(changes))  # type: ignore[typeddict-item]
        self.broadcast({"type": "entry", "entry": entry})
        self._save()

    def _set_state(self, state: ChatState) -> None:
        self.state = state
        self.broadcast({"type": "state", "state": state, "tokens": self.tokens})

    def _save(self) -> None:
        """Save soon: changes within SAVE_DELAY make one write, done off the event loop
        (the loop also relays the notebook kernel's messages; a disk wait there slows cells)."""
        self._dirty = True
        if self._flush_later is None:
            loop = asyncio.get_running_loop()
            self._flush_later = loop.call_later(
                SAVE_DELAY, lambda: asyncio.ensure_future(self.flush())
            )

    async def flush(self) -> None:
        """Write pending changes now."""
        if self._flush_later is not None:
            self._flush_later.cancel()
            self._flush_later = None
        async with self._write_lock:  # one write at a time, each of the newest state
            if not self._dirty:
                return
            self._dirty = False
            if self._agent is not None:
                # Saved with the entries, so that a restart keeps the model's context.
                self.record.messages = self._agent.messages
                self.record.turn = self._agent.turn
            text = self.store.encode(self.record)
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, self.store.write, self.id, text
                )
            except OSError:
                log.exception("CodeAct: could not save chat %s", self.id)
