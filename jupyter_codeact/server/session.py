"""A chat session: the thin owner that wires one chat's parts together.

- :mod:`.pages`: the pages connected to the chat;
- :mod:`.run`: its agent and its one run at a time;
- :mod:`.projection` and :mod:`.entries`: events become the entries pages show;
- :mod:`.persistence`: saving, and what a restart finds;
- :mod:`.approvals`: what waits for a person;
- :mod:`.notebook_executor`: each action, run on the notebook's kernel;
- :mod:`.document`: what the notebook holds, said as operations, and who applies them.

It survives its pages (they come and go) but not the server.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..config import CodeAct, ConfigError
from ..core.llm import LLM
from ..core.observation import truncate_middle
from ..core.styles import ActionStyle
from .approvals import Approval, Approvals
from .authors import Author
from .document.hub import Documents, NotebookDocument, Page
from .document.log import OpLog
from .document.pending import stale as stale_pending
from .entries import ChatEntries
from .kernels import NotebookKernels
from .models import ModelChoice
from .notebook_executor import NotebookExecutor, NotebookRun, restore_cells
from .pages import Pages
from .persistence import SERVER_STOPPED, ChatSaver, recover
from .placement import Where
from .projection import EventProjector
from .protocol import ChatState
from .resolve import Choices, Configured, resolve
from .review.turns import TurnReview
from .run import ChatRun, RunOptions
from .store import ChatRecord, ChatStore
from .tools import ChatTools, ServerTools

__all__ = ["SERVER_STOPPED", "ChatSession"]

log = logging.getLogger(__name__)

MAX_CONTEXT_CHARS = 12_000
RESTART_GAP = 1_000_000
BUSY = "The agent is still working on the last request: wait for it, or press Stop."


@dataclass
class Queued:
    """A collaborator's request that waits for the run before it."""

    entry_id: str
    text: str
    options: dict[str, Any]
    author: Author


class ChatSession:
    """Runs one chat."""

    def __init__(
        self,
        record: ChatRecord,
        *,
        store: ChatStore,
        settings: CodeAct,
        llm: Callable[[ModelChoice], LLM],
        documents: Documents,
        kernels: NotebookKernels,
        tools: ServerTools | None = None,
    ) -> None:
        self.record = record
        self.store = store
        self.settings = settings
        self.documents = documents
        self.state: ChatState = "idle"
        self.pages = Pages()
        self.queue: deque[Queued] = deque()
        self._author: Author | None = None  # whose request runs now
        recover(record, store)
        # Numbers go on from the last one saved, with a margin: a page may hold operations
        # numbered after that save if the server stopped abruptly.
        self.oplog = OpLog(seq=record.ops_seq + RESTART_GAP, kept=record.ops)
        self.saver = ChatSaver(record, store, before_write=self._before_write)
        self.entries = ChatEntries(
            record.entries,
            redactor=settings.redactor,
            broadcast=self.broadcast,
            save=self.saver.soon,
        )
        self.projector = EventProjector(
            self.entries,
            broadcast=self.broadcast,
            set_state=self._set_state,
            cell_timeout=lambda: self.settings.cell_timeout or None,
        )
        self.approvals = Approvals(self._publish_approval)
        self.tools = ChatTools(tools) if tools is not None else None
        self.executor = NotebookExecutor(
            chat_id=self.id,
            path=lambda: self.record.info["path"],
            document=self.document,
            oplog=self.oplog,
            kernels=kernels,
            approvals=self.approvals,
            on_phase=self.projector.phase,
            tools=lambda: self.tools.kernel_host if self.tools is not None else None,
            narration=self.projector.prose_of,
        )
        restore_cells(self.executor.cells, record.entries)
        self.projector.round_trip = lambda: self.executor.last_round_trip
        self.run = ChatRun(
            record,
            settings=settings,
            llm=llm,
            executor=self.executor,
            tools=self.tools,
            projector=self.projector,
            entries=self.entries,
            saver=self.saver,
            set_state=self._set_state,
        )
        self.review = TurnReview(
            record,
            entries=self.entries,
            executor=self.executor,
            document=self.document,
            running=lambda: self.running,
            save=self.saver.soon,
        )
        self.document().attach(self.id, self.oplog)
        # A server stopped while an action waited for approval: no stray pending cell.
        self.executor.emit(stale_pending(self.oplog.kept))

    @property
    def id(self) -> str:
        return self.record.info["id"]

    @property
    def path(self) -> str:
        return self.record.info["path"]

    @property
    def running(self) -> bool:
        return self.run.running

    def document(self) -> NotebookDocument:
        return self.documents.get(self.path)

    # -- pages -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "chat": self.record.info,
            "entries": self.record.entries,
            "state": self.state,
            "approval": self.approvals.snapshot(),
        }

    def attach(self, peer: Page) -> None:
        self.pages.attach(peer, self.snapshot())

    def hello(self, peer: Page, client_id: str) -> None:
        """A page said who it is; an older socket of the same page is gone."""
        for old in self.pages.hello(peer, client_id):
            self.document().release(old)

    def detach(self, peer: Page) -> None:
        self.pages.detach(peer)
        self.document().release(peer)

    def holds(self, peer: Page, path: str, applied: dict[str, int]) -> str | None:
        """A page has the notebook open (its copy holding ``applied``); a problem sentence
        if it is not this chat's notebook."""
        if path != self.path:
            return f"This chat belongs to {self.path}, not {path}."
        self.document().hold(peer, applied)
        return None

    def facts(self, query_id: str, facts: dict[str, Any]) -> None:
        self.documents.answer(query_id, facts)

    def broadcast(self, message: dict[str, Any]) -> None:
        self.pages.broadcast(message)

    # -- requests ----------------------------------------------------------------------------
    def ask(
        self,
        text: str,
        *,
        context: str | None = None,
        approval: Literal["auto", "ask"] | None = None,
        action_style: ActionStyle | None = None,
        replace_failed: bool | None = None,
        user_cell: str = "",
        user_cell_id: str = "",
        where: Where | None = None,
        untrusted: bool | None = None,
        choice: ModelChoice | None = None,
        author: Author | None = None,
    ) -> str | None:
        """Start a run; returns a problem sentence instead if one cannot start now.

        ``approval``, ``action_style``, ``replace_failed`` and ``untrusted`` are the panel's
        settings (None: not chosen), resolved against the server's by the rule of
        :mod:`.resolve` (a configured ``ask`` holds whatever the panel says); ``user_cell`` is
        the id given to the user's cell this request is about (Fix the Error), which is
        notebook cell ``user_cell_id``; ``where`` says where new cells go; ``choice`` the
        model the user picked (checked by the caller); ``author`` who asked. Another
        collaborator's request while a run goes on waits for it (one chat: the requests
        queue); the same person asking again is told to wait.
        """
        options: dict[str, Any] = {
            "context": context,
            "approval": approval,
            "action_style": action_style,
            "replace_failed": replace_failed,
            "user_cell": user_cell,
            "user_cell_id": user_cell_id,
            "where": where,
            "untrusted": untrusted,
            "choice": choice,
        }
        if self.running or self.queue:
            waiting = {self._author_name(self._author)} | {q.author["username"] for q in self.queue}
            if author is None or author["username"] in waiting:
                return BUSY
            entry = self._user_entry(text, author, choice, queued=True)
            self.queue.append(Queued(entry["id"], text, options, author))
            return None
        self._begin(text, self._user_entry(text, author, choice)["id"], author, **options)
        return None

    @staticmethod
    def _author_name(author: Author | None) -> str:
        return author["username"] if author else ""

    def _user_entry(
        self,
        text: str,
        author: Author | None,
        choice: ModelChoice | None,
        *,
        queued: bool = False,
    ) -> Any:
        model = (choice.model if choice else None) or self.settings.model
        entry: dict[str, Any] = {"role": "user", "text": text, "model": model}
        if author:
            entry["author"] = author
        if queued:
            entry["queued"] = True
        return self.entries.add(entry)

    def _ended(self, entry_id: str) -> None:
        """The run of request ``entry_id`` ended: its changes are listed, the next starts."""
        self.review.end(entry_id)
        self._next()

    def _next(self) -> None:
        """The run ended: the next collaborator's request starts."""
        if self.running or not self.queue:
            return
        waiting = self.queue.popleft()
        if self.entries.has(waiting.entry_id):
            self.entries.replace(waiting.entry_id, queued=False)
        self._begin(waiting.text, waiting.entry_id, waiting.author, **waiting.options)

    def _begin(
        self,
        text: str,
        entry_id: str,
        author: Author | None,
        *,
        context: str | None,
        approval: Literal["auto", "ask"] | None,
        action_style: ActionStyle | None,
        replace_failed: bool | None,
        user_cell: str,
        user_cell_id: str,
        where: Where | None,
        untrusted: bool | None,
        choice: ModelChoice | None,
    ) -> None:
        self._author = author
        # The settings both sides hold, by the one rule (an administrator's ask is a floor).
        chosen = Choices(approval, action_style, replace_failed, untrusted)
        resolved = resolve(Configured.of(self.settings), chosen)
        # This request's choices travel with its run, to each action (the executor is shared).
        notebook = NotebookRun(
            approval=resolved.approval,
            where=where or Where(),
            untrusted=resolved.untrusted,
            grants={user_cell: user_cell_id} if user_cell and user_cell_id else {},
        )
        if self.record.info["title"] == "New chat":
            title = self.settings.redactor().redact(text.strip().splitlines()[0])
            self.record.info["title"] = title[:80]
            self.broadcast({"type": "chat", "chat": self.record.info})
        try:
            self.settings.check()
        except ConfigError as error:
            self.entries.add({"role": "error", "kind": "config", "text": str(error)})
            self._set_state("error")
            self.queue.clear()
            return
        context = truncate_middle(context, MAX_CONTEXT_CHARS) if context else None
        self.review.begin()
        task = self.run.start(
            text,
            RunOptions(
                context=self.review.with_note(context),
                action_style=resolved.action_style,
                replace_failed=resolved.replace_failed,
                user_cell=user_cell if user_cell_id else "",
                choice=choice or ModelChoice(),
                notebook=notebook,
            ),
        )
        task.add_done_callback(lambda _: self._ended(entry_id))

    def stop(self) -> None:
        self.approvals.stop()
        self.run.stop()

    def decide(self, request_id: str, *, run: bool, code: str | None = None) -> None:
        """A page answered the pending approval (Run / Edit / Skip, Accept / Reject)."""
        if not self.approvals.decide(request_id, run=run, code=code):
            log.info("CodeAct: ignoring a decision for %s, which waits no more", request_id)

    async def undo(self, entry_id: str) -> str | None:
        """*Undo this turn* (:mod:`.review`); a problem sentence if it cannot be."""
        return await self.review.undo(entry_id)

    def renamed(self, info: dict[str, Any]) -> None:
        self.record.info.update(info)  # type: ignore[typeddict-item]
        self.broadcast({"type": "chat", "chat": self.record.info})
        # A save encoded before the rename may land after the store's: write the new path last.
        self.saver.soon()

    async def close(self) -> None:
        """The server is stopping: stop the run and keep what happened."""
        await self.run.close()
        self.saver.changed()
        await self.flush()

    async def flush(self) -> None:
        await self.saver.flush()

    # -- state -------------------------------------------------------------------------------
    def _set_state(self, state: ChatState | None) -> None:
        if state is not None:
            self.state = state
        self.broadcast({"type": "state", "state": self.state, "tokens": self.projector.tokens})

    def _publish_approval(self, approval: Approval | None) -> None:
        self.broadcast({"type": "approval", "approval": dict(approval) if approval else None})

    def _before_write(self) -> None:
        agent = self.run.agent_or_none
        if agent is not None:
            # Saved with the entries, so that a restart keeps the model's context: the
            # steps, with their messages (those of a chat from before steps are in them).
            self.record.steps = agent.conversation.to_json()
            self.record.messages = []
            self.record.turn = agent.turn
        self.record.ops_seq = self.oplog.seq
        self.record.ops = self.oplog.kept
