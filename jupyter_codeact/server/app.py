"""The server extension application."""

from __future__ import annotations

from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Instance, Int, Unicode, default

from ..config import CodeAct
from ..core.redact import public_url
from . import chat_rest
from .document.file_writer import FileWriter
from .document.hub import Documents
from .document.rooms import Rooms
from .handlers import handlers
from .kernel_guard import guard_kernel_manager
from .kernels import NotebookKernels
from .limits import MB, Limits
from .manager import ChatManager
from .store import ChatStore, default_chats_dir
from .trust import TrustHandler

CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


class CodeActExtension(ExtensionApp):
    """Serves the CodeAct chat to JupyterLab; reads the ``CodeAct`` config section."""

    name = "jupyter_codeact"
    load_other_extensions = True
    classes = [CodeAct]  # noqa: RUF012 (the traitlets convention)

    chats_dir = Unicode(
        help="Folder where chats are kept (one JSON file each). Defaults to "
        "<jupyter data dir>/codeact/chats; never inside the notebooks' folder.",
    ).tag(config=True)

    @default("chats_dir")
    def _default_chats_dir(self) -> str:
        return str(default_chats_dir())

    page_grace = Float(
        10.0,
        help="Seconds after the last page with a notebook open goes away (a closed tab, a "
        "reload, a dropped connection) before the agent's changes to that notebook go into "
        "its file instead (at the end of each action): a page back within it just catches "
        "up. The run goes on either way.",
    ).tag(config=True)

    max_message_chars = Int(
        Limits.max_message_chars,
        help="Longest user message accepted, in characters (longer data belongs in a file "
        "that the agent reads).",
    ).tag(config=True)

    max_chat_mb = Int(
        Limits.max_chat_chars // MB,
        help="Size in MB past which a chat takes no new message (start a new chat): its "
        "file is rewritten as it changes.",
    ).tag(config=True)

    codeact_config = Instance(CodeAct, help="The CodeAct settings this server runs with.")

    @default("codeact_config")
    def _default_codeact_config(self) -> CodeAct:
        return CodeAct(parent=self.serverapp)

    chats = Instance(ChatManager, allow_none=True, help="The chats this server runs.")

    def initialize_settings(self) -> None:
        server = self.serverapp
        log = server.log if server is not None else self.log
        root = server.root_dir if server is not None else ""
        files = FileWriter(
            server.contents_manager if server is not None else None,
            keep_trust=lambda: not self.codeact_config.untrusted_agent_outputs,
        )
        self.chats = ChatManager(
            ChatStore(Path(self.chats_dir), server_root=root, log=log),
            self.codeact_config,
            documents=Documents(
                files,
                grace=self.page_grace,
                # Real-time collaboration, if the server has it (looked up when needed).
                rooms=Rooms(server.web_app.settings if server is not None else None),
            ),
            kernels=NotebookKernels(
                session_manager=server.session_manager if server is not None else None,
                kernel_manager=server.kernel_manager if server is not None else None,
                files=files,
            ),
            root_dir=self._root_dir(),
        )
        limits = Limits(
            max_message_chars=self.max_message_chars, max_chat_chars=self.max_chat_mb * MB
        )
        self.settings.update(
            {
                "codeact_settings": self.codeact_config,
                "codeact_chats": self.chats,
                "codeact_limits": limits,
            }
        )
        if server is not None and server.kernel_manager is not None:
            guard_kernel_manager(server.kernel_manager, self.codeact_config, log, self._root_dir())
        if self.serverapp is not None and self.serverapp.event_logger is not None:
            self.serverapp.event_logger.add_listener(
                schema_id=CONTENTS_EVENTS, listener=self.chats.contents_event
            )
        self.log.info(
            "CodeAct: model %s at %s; chats in %s",
            self.codeact_config.model,
            public_url(self.codeact_config.base_url) or "api.openai.com",
            self.chats_dir,
        )

    def _root_dir(self) -> Path | None:
        """The folder notebooks live in (AGENTS.md files are found up to it), if local."""
        root = getattr(self.serverapp, "root_dir", None) if self.serverapp is not None else None
        return Path(root).expanduser() if root else None

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers())
        self.handlers.extend(chat_rest.handlers())
        self.handlers.append((r"/codeact/trust", TrustHandler))

    async def stop_extension(self) -> None:
        if self.chats is not None:
            await self.chats.close()
