"""The chats of a server: sessions loaded on demand, one LLM client shared by all, and the
notebooks they change (:mod:`.document.hub`) and run in (:mod:`.kernels`)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from ..config import CodeAct
from ..core.llm import LLM, OpenAIChat
from .document.hub import Documents
from .kernels import NotebookKernels
from .models import ModelCatalog, ModelChoice
from .session import ChatSession
from .store import ChatStore
from .tools import ServerTools


class ChatManager:
    def __init__(
        self,
        store: ChatStore,
        settings: CodeAct,
        *,
        documents: Documents,
        kernels: NotebookKernels,
        root_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.documents = documents
        self.kernels = kernels
        self.tools = ServerTools(settings, root_dir)
        self.models = ModelCatalog(settings)
        self._sessions: dict[str, ChatSession] = {}
        self._llms: dict[ModelChoice, OpenAIChat] = {}

    def llm(self, choice: ModelChoice | None = None) -> LLM:
        # One client (and connection pool) per model for every chat; built when first needed
        # so that a server without a configured model still starts and can say what to set.
        choice = choice or ModelChoice()
        if choice.model == self.settings.model:
            choice = dataclasses.replace(choice, model=None)
        if choice not in self._llms:
            settings = self.settings.llm_settings()
            picked = dataclasses.replace(
                settings,
                model=choice.model or settings.model,
                reasoning_effort=choice.reasoning_effort or settings.reasoning_effort,
            )
            self._llms[choice] = OpenAIChat(picked)
        return self._llms[choice]

    def session(self, chat_id: str) -> ChatSession | None:
        session = self._sessions.get(chat_id)
        if session is None:
            record = self.store.load(chat_id)
            if record is None:
                return None
            session = ChatSession(
                record,
                store=self.store,
                settings=self.settings,
                llm=self.llm,
                documents=self.documents,
                kernels=self.kernels,
                tools=self.tools,
            )
            self._sessions[chat_id] = session
        return session

    def missing(self, chat_id: str) -> str:
        """Why chat ``chat_id`` cannot be opened, in a sentence."""
        problem = self.store.problem_of(chat_id)
        if problem is not None:
            return problem.message().replace("A chat of this notebook", "This chat", 1)
        return f"No chat {chat_id}."

    async def delete(self, chat_id: str) -> bool:
        session = self._sessions.pop(chat_id, None)
        if session is not None:
            await session.close()
            self.documents.get(session.path).detach(chat_id)
        return self.store.delete(chat_id)

    def renamed(self, old: str, new: str) -> None:
        self.documents.renamed(old, new)
        for chat_id in self.store.renamed(old, new):
            session = self._sessions.get(chat_id)
            record = self.store.load(chat_id)
            if session is not None and record is not None:
                session.renamed(dict(record.info))

    async def contents_event(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """jupyter_server's contents events: follow notebooks that are renamed, and note
        what a saved notebook now holds."""
        if data.get("action") == "save" and data.get("path"):
            await self.documents.saved(str(data["path"]))
        if data.get("action") == "rename" and data.get("source_path"):
            old, new = str(data["source_path"]), str(data["path"])
            self.renamed(old, new)
            if self.store.unmatched(old):  # chats from before roots were recorded
                loop = asyncio.get_running_loop()
                evidence = await loop.run_in_executor(None, self.store.provenance, new)
                self.store.claim(new, evidence, named=old)

    async def close(self) -> None:
        await asyncio.gather(*(session.close() for session in self._sessions.values()))
        await self.documents.close()
        await asyncio.gather(*(llm.close() for llm in self._llms.values()))
        await self.tools.close()
