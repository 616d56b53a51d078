"""Real-time collaboration in this server, found with no configuration: the rooms whose
shared notebooks the agent edits when collaboration is on.

Two providers put the same API in the server's settings under ``jupyter_server_ydoc``:
jupyter-collaboration (its ``jupyter_server_ydoc`` extension) and
jupyter-server-documents (its compatibility API). ``get_document(path=...,
content_type="notebook", file_format="json", copy=False)`` gives the room's own
YNotebook, not a detached copy: what is written to it, every collaborator sees, and the
room saves the file as it saves any edit. jupyter-collaboration with ``disable_rtc``
(pages then do not use its rooms) counts as no collaboration.

**Keeping the room.** jupyter-collaboration frees a room some time after its last page
leaves (``document_cleanup_delay``), cancelling a save that has not happened yet. While
an action holds a room (:meth:`OpenRoom.hold`), it counts among the room's clients, so
that the last page leaving does not schedule that, and a cleanup already scheduled is
cancelled. After the hold the room stays in memory (as a room made by
``get_document(create=True)`` does) until a page opens and closes the notebook again
or the server stops, its changes saved by the room. jupyter-server-documents frees a
room only once nothing has used it for a while; every batch of operations uses it, and
a room freed meanwhile is loaded again from its saved file by the next
``get_document``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

SETTINGS_KEY = "jupyter_server_ydoc"


class RoomError(Exception):
    """The room of a notebook could not be opened; the message says why."""


class _Holder:
    """Counts as a client of a room while an action holds it; sent nothing (the room's
    updates are for pages)."""

    path = "codeact-agent"

    async def send(self, message: bytes) -> None:
        pass


class OpenRoom:
    """A notebook's room, opened by the server."""

    def __init__(self, notebook: Any, room: Any | None) -> None:
        self.notebook = notebook
        """The room's YNotebook (``jupyter_ydoc.YNotebook``)."""
        self._room = room
        self._holder = _Holder()
        self._holds = 0

    @property
    def held(self) -> bool:
        return self._holds > 0

    @property
    def lasting(self) -> bool:
        """Whether this object stays the room's notebook while held (else it is fetched
        again for every batch: the provider may free and reload the room)."""
        return self._room is not None

    def hold(self) -> None:
        self._holds += 1
        room = self._room
        if room is None or self._holds > 1:
            return
        cleaner = getattr(room, "cleaner", None)
        if cleaner is not None and not cleaner.done():
            cleaner.cancel()  # the last page left before this action: keep the room
        clients = getattr(room, "clients", None)
        if isinstance(clients, set):
            clients.add(self._holder)

    def release(self) -> None:
        self._holds = max(self._holds - 1, 0)
        if self._holds or self._room is None:
            return
        clients = getattr(self._room, "clients", None)
        if isinstance(clients, set):
            clients.discard(self._holder)


class Rooms:
    """The collaboration provider of this server, looked up when first needed (it may be
    loaded after this extension)."""

    def __init__(self, settings: Mapping[str, Any] | None) -> None:
        self._settings = settings

    def provider(self) -> Any | None:
        if self._settings is None:
            return None
        api = self._settings.get(SETTINGS_KEY)
        if api is None or not callable(getattr(api, "get_document", None)):
            return None
        if getattr(api, "disable_rtc", False) is True:
            return None
        return api

    @property
    def active(self) -> bool:
        """Whether pages edit notebooks through rooms in this server."""
        return self.provider() is not None

    def name(self) -> str:
        api = self.provider()
        if api is None:
            return ""
        return type(api).__module__.split(".")[0]

    async def notebook(self, path: str) -> Any:
        """The room's own YNotebook of notebook ``path`` (made and loaded from the file
        if there is no room yet)."""
        api = self.provider()
        if api is None:
            raise RoomError("real-time collaboration is not on in this server")
        kwargs: dict[str, Any] = {
            "path": path,
            "content_type": "notebook",
            "file_format": "json",
            "copy": False,
        }
        if "create" in inspect.signature(api.get_document).parameters:
            kwargs["create"] = True
        try:
            notebook = await api.get_document(**kwargs)
        except Exception as error:
            raise RoomError(f"the room of {path} could not be opened ({error})") from error
        if notebook is None or not hasattr(notebook, "ycells"):
            raise RoomError(f"the room of {path} holds no notebook")
        return notebook

    async def open(self, path: str) -> OpenRoom:
        notebook = await self.notebook(path)
        return OpenRoom(notebook, self._room_of(notebook))

    def _room_of(self, notebook: Any) -> Any | None:
        """jupyter-collaboration's room object that holds ``notebook`` (to keep it), if
        this provider is that one."""
        server = getattr(self.provider(), "ywebsocket_server", None)
        rooms = getattr(server, "rooms", None)
        if not isinstance(rooms, Mapping):
            return None
        ydoc = getattr(notebook, "ydoc", None)
        for room in rooms.values():
            if getattr(room, "ydoc", None) is ydoc and ydoc is not None:
                return room
        return None
