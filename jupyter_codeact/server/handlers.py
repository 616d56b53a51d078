"""HTTP and websocket handlers. Thin: authenticated, authorized, then the session does the work.

Authorization resource ``codeact``: reading chats needs ``read``, changing them ``write``,
and the chat socket (which runs code in the user's kernels) ``execute``.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..config import CodeAct
from .context import namespace_expression
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

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as error:
            raise web.HTTPError(400, "The request body is not JSON.") from error
        if not isinstance(data, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        return data


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


class ChatsHandler(CodeActHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise web.HTTPError(400, "Give the notebook's path: ?path=...")
        self.finish({"chats": self.chats.store.chats_for(path)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        path = self.body().get("path")
        if not isinstance(path, str) or not path:
            raise web.HTTPError(400, 'Give the notebook\'s path: {"path": "..."}.')
        record = self.chats.store.create(path)
        self.set_status(201)
        self.finish(dict(record.info))


class ChatHandler(CodeActHandler):
    @web.authenticated
    @authorized
    async def get(self, chat_id: str) -> None:
        session = self.chats.session(chat_id)
        if session is None:
            raise web.HTTPError(404, f"No chat {chat_id}.")
        snapshot = session.snapshot()
        self.finish(
            {"chat": snapshot["chat"], "entries": snapshot["entries"], "state": snapshot["state"]}
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
            raise web.HTTPError(404, f"No chat {chat_id}.")
        self.session = session
        await super().get(chat_id)

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

    def on_message(self, message: str | bytes) -> None:
        try:
            parsed = parse_client_message(json.loads(message))
        except ValueError as error:  # ProtocolError or invalid JSON
            text = str(error) if isinstance(error, ProtocolError) else "A message must be JSON."
            self.send({"type": "problem", "message": text})
            return
        kind = parsed["type"]
        if kind == "hello":
            self.session.hello(self, parsed["client_id"])
        elif kind == "user_message":
            problem = self.session.ask(
                self,
                parsed["text"],
                context=parsed["context"],
                approval=parsed["approval"],
                replace_failed=parsed["replace_failed"],
                user_cell=parsed["user_cell"],
            )
            if problem:
                self.send({"type": "problem", "message": problem})
        elif kind == "stop":
            self.session.stop()
        elif kind == "approved":
            self.session.approved(parsed["request_id"])
        elif kind == "execute_result":
            self.session.execute_result(parsed)

    def on_close(self) -> None:
        self.session.detach(self)


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/codeact/config", ConfigHandler),
        (r"/codeact/context/expression", ContextExpressionHandler),
        (r"/codeact/chats", ChatsHandler),
        (rf"/codeact/chats/{CHAT_ID}", ChatHandler),
        (rf"/codeact/chats/{CHAT_ID}/ws", ChatSocket),
    ]
