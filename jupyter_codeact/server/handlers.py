"""HTTP handlers; each verb is authenticated and authorized."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..config import CodeAct

AUTH_RESOURCE = "codeact"


class CodeActHandler(APIHandler):
    """Base of our handlers: the resource name for authorization, and our settings."""

    auth_resource = AUTH_RESOURCE

    @property
    def codeact(self) -> CodeAct:
        settings: CodeAct = self.settings["codeact_settings"]
        return settings


class ConfigHandler(CodeActHandler):
    """What the panel needs to know about the configuration; never the API key."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(self.codeact.public_settings())
