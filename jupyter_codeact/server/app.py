"""The server extension application."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Instance, default

from ..config import CodeAct
from .handlers import ConfigHandler


class CodeActExtension(ExtensionApp):
    """Serves the CodeAct chat to JupyterLab; reads the ``CodeAct`` config section."""

    name = "jupyter_codeact"
    load_other_extensions = True
    classes = [CodeAct]  # noqa: RUF012 (the traitlets convention)

    codeact_config = Instance(CodeAct, help="The CodeAct settings this server runs with.")

    @default("codeact_config")
    def _default_codeact_config(self) -> CodeAct:
        return CodeAct(parent=self.serverapp)

    def initialize_settings(self) -> None:
        self.settings.update({"codeact_settings": self.codeact_config})
        self.log.info(
            "CodeAct: model %s at %s",
            self.codeact_config.model,
            self.codeact_config.base_url or "api.openai.com",
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend([(r"/codeact/config", ConfigHandler)])
