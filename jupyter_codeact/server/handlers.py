"""HTTP and websocket handlers. Thin: authenticated, authorized, then the session does the work.

Authorization resource ``codeact``: reading chats needs ``read``, changing them ``write``,
and the chat socket (which runs code in the user's kernels) ``execute``. Answering an
approval (from any collaborator's page) also needs ``write`` on ``contents``: it changes
the notebook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..config import CodeAct
from .authors import author_of
from .context import namespace_expression
from .limits import DEFAULT_LIMITS, InputError, Limits, check_path, decode_json, size
from .models import ModelChoice
from .placement import Where
from .protocol import ProtocolError, parse_client_message

if TYPE_CHECKING:
    from .manager import ChatManager

AUTH_RESOURCE = "codeact"
CHAT_ID = r"(?P<chat_id>[0-9a-f]{32})"


class CodeActHandler(APIHandler):
    """Base of our REST handlers: our settings and chats, errors as JSON."""

    auth_resource = AUTH_RESOURCE

    @property
    def codeact(self) -> CodeAct:
        settings: CodeAct = self.settings["codeact_settings"]
        return settings

    @property
    def chats(self) -> ChatManager:
        manager: ChatManager = self.settings["codeact_chats"]
        return manager

    @property
    def limits(self) -> Limits:
        limits: Limits = self.settings.get("codeact_limits", DEFAULT_LIMITS)
        return limits

    def refuse(self, reason: str) -> web.HTTPError:
        """A 400 that says ``reason``, logged through the server's logger."""
        self.log.warning(
            "CodeAct: refused %s %s: %s", self.request.method, self.request.path, reason
        )
        return web.HTTPError(400, reason)

    def body(self) -> dict[str, Any]:
        try:
            data = decode_json(
                self.request.body or b"{}",
                limit=self.limits.max_body_bytes,
                max_depth=self.limits.max_depth,
                what="request body",
            )
        except InputError as error:
            raise self.refuse(str(error)) from error
        if not isinstance(data, dict):
            raise self.refuse("The request body must be a JSON object.")
        return data

    def notebook_path(self, path: Any) -> str:
        try:
            return check_path(path, self.limits)
        except InputError as error:
            raise self.refuse(str(error)) from error


class ConfigHandler(CodeActHandler):
    """What the panel needs to know about the configuration; never the API key."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(self.codeact.public_settings())


class ContextExpressionHandler(CodeActHandler):
    """The expression the panel evaluates silently in a kernel to summarise its variables."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish({"expression": namespace_expression()})


class RulesHandler(CodeActHandler):
    """Which rules (AGENTS.md files, instructions) apply to a notebook."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise web.HTTPError(400, "Give the notebook's path: ?path=...")
        rules = await self.chats.tools.rules(path)
        self.finish({"files": [rule.source for rule in rules]})


class ChatsHandler(CodeActHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise self.refuse("Give the notebook's path: ?path=...")
        path = self.notebook_path(path)
        store = self.chats.store
        if store.unmatched(path):  # chats from before roots were recorded
            loop = asyncio.get_running_loop()
            store.claim(path, await loop.run_in_executor(None, store.provenance, path))
        self.finish(
            {
                "chats": store.chats_for(path),
                "problems": [problem.message() for problem in store.problems_for(path)],
            }
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        if not isinstance(body.get("path"), str) or not body["path"]:
            raise self.refuse('Give the notebook\'s path: {"path": "..."}.')
        record = self.chats.store.create(self.notebook_path(body["path"]))
        self.set_status(201)
        self.finish(dict(record.info))


class ChatHandler(CodeActHandler):
    @web.authenticated
    @authorized
    async def get(self, chat_id: str) -> None:
        session = self.chats.session(chat_id)
        if session is None:
            raise web.HTTPError(404, self.chats.missing(chat_id))
        snapshot = session.snapshot()
        self.finish(
            {
                "chat": snapshot["chat"],
                "entries": snapshot["entries"],
                "state": snapshot["state"],
                "approval": snapshot["approval"],
            }
        )

    @web.authenticated
    @authorized
    async def delete(self, chat_id: str) -> None:
        if not await self.chats.delete(chat_id):
            raise web.HTTPError(404, f"No chat {chat_id}.")
        self.set_status(204)
        self.finish()


class ChatSocket(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """One page's connection to one chat."""

    auth_resource = AUTH_RESOURCE

    def set_default_headers(self) -> None:
        # JupyterHandler's headers make no sense on a websocket upgrade.
        pass

    @property
    def closed(self) -> bool:
        return self.ws_connection is None or self.ws_connection.is_closing()

    @ws_authenticated
    async def get(self, chat_id: str) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        manager: ChatManager = self.settings["codeact_chats"]
        session = manager.session(chat_id)
        if session is None:
            raise web.HTTPError(404, manager.missing(chat_id))
        self.session = session
        self.manager = manager
        await super().get(chat_id)

    @property
    def limits(self) -> Limits:
        limits: Limits = self.settings.get("codeact_limits", DEFAULT_LIMITS)
        return limits

    @property
    def max_message_size(self) -> int:
        # Above ours, so that a frame over our limit gets a `problem` that says so, rather
        # than tornado closing the socket (it still does past this, with code 1009).
        return self.limits.max_frame_chars * 4

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)  # starts the keep-alive pings
        # Streamed text is many small frames: without this, Nagle's algorithm holds each
        # one until the browser acknowledges the previous (up to its delayed-ACK timeout).
        self.set_nodelay(True)
        self.session.attach(self)

    def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        with contextlib.suppress(WebSocketClosedError):  # closed since the check above
            self.write_message(json.dumps(message, ensure_ascii=False))

    def on_message(self, message: str | bytes) -> Awaitable[None] | None:
        limits = self.limits
        try:
            decoded = decode_json(
                message, limit=limits.max_frame_chars, max_depth=limits.max_depth, what="message"
            )
            parsed = parse_client_message(decoded, limits)
        except (InputError, ProtocolError) as error:
            self.refuse(message, str(error))
            return None
        kind = parsed["type"]
        if kind == "hello":
            self.session.hello(self, parsed["client_id"])
        elif kind == "document":
            problem = self.session.holds(self, parsed["path"], parsed["applied"])
            if problem:
                self.refuse(message, problem)
        elif kind == "user_message":
            stored = self.manager.store.size(self.session.id)
            if stored > limits.max_chat_chars:
                self.refuse(
                    message,
                    f"This chat is {size(stored)}, over the limit of "
                    f"{size(limits.max_chat_chars)} for one chat: start a new chat (New chat).",
                )
                return None
            choice = ModelChoice(parsed["model"], parsed["reasoning_effort"])
            problem = self.manager.models.check(choice) or self.session.ask(
                parsed["text"],
                context=parsed["context"],
                approval=parsed["approval"],
                action_style=parsed["action_style"],
                replace_failed=parsed["replace_failed"],
                user_cell=parsed["user_cell"],
                user_cell_id=parsed["user_cell_id"],
                where=Where(
                    selected=parsed["selected_cell"],
                    at_end=parsed["position"] == "end",
                    narrate=parsed["narrate"],
                ),
                untrusted=parsed["untrusted"],
                choice=choice,
                author=author_of(self.current_user),
            )
            if problem:
                self.send({"type": "problem", "message": problem})
        elif kind == "stop":
            self.session.stop()
        elif kind == "decide":
            return self._decide(message, parsed)  # tornado awaits it
        elif kind == "facts":
            self.session.facts(parsed["query_id"], parsed["facts"])
        elif kind == "undo":
            return self._undo(message, parsed["entry_id"])  # tornado awaits it
        return None

    async def _undo(self, message: str | bytes, entry_id: str) -> None:
        """*Undo this turn*: by anyone who may change the notebook, as an approval. It asks
        this very page about its notebook, so it runs beside this socket's messages (tornado
        reads the next one only once ``on_message`` is done)."""
        may = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "write", "contents")
        )
        if not may:
            self.refuse(
                message, "Only someone who may change this notebook can undo: you can read it only."
            )
            return

        async def undo() -> None:
            problem = await self.session.undo(entry_id)
            if problem:
                self.refuse(message, problem)

        task = asyncio.ensure_future(undo())
        _UNDOING.add(task)
        task.add_done_callback(_UNDOING.discard)

    async def _decide(self, message: str | bytes, parsed: Any) -> None:
        """An answer to what waits for approval: from any collaborator who may change the
        notebook (jupyter_server's authorizer: ``write`` on ``contents``)."""
        may = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "write", "contents")
        )
        if not may:
            self.refuse(
                message,
                "Only someone who may change this notebook can answer: you can read it only.",
            )
            return
        self.session.decide(parsed["request_id"], run=parsed["run"], code=parsed["code"])

    def refuse(self, message: str | bytes, reason: str) -> None:
        """Tell the page why its message was refused, and log it through the server's log."""
        self.log.warning("CodeAct: refused a message on chat %s: %s", self.session.id, reason)
        self.send({"type": "problem", "message": reason})

    def on_close(self) -> None:
        self.session.detach(self)


_UNDOING: set[asyncio.Future[None]] = set()


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/codeact/config", ConfigHandler),
        (r"/codeact/context/expression", ContextExpressionHandler),
        (r"/codeact/rules", RulesHandler),
        (r"/codeact/chats", ChatsHandler),
        (rf"/codeact/chats/{CHAT_ID}", ChatHandler),
        (rf"/codeact/chats/{CHAT_ID}/ws", ChatSocket),
    ]
