"""The pages connected to one chat: who they are, and what they are all sent.

A page keeps one socket per chat and says who it is (``hello``, one id per page load);
an older socket with the same id is gone even if the server has not noticed yet. Pages
only watch and ask: the run does not depend on any of them (:mod:`.notebook_executor`).
"""

from __future__ import annotations

from typing import Any

from .document.hub import Page


class Pages:
    def __init__(self) -> None:
        self.peers: dict[Page, str | None] = {}  # page -> its client id

    def attach(self, peer: Page, snapshot: dict[str, Any]) -> None:
        self.peers[peer] = None
        peer.send(snapshot)

    def hello(self, peer: Page, client_id: str) -> list[Page]:
        """``peer`` said who it is; returns its older sockets, now forgotten."""
        replaced = [
            old for old, known in self.peers.items() if old is not peer and known == client_id
        ]
        for old in replaced:
            self.peers.pop(old, None)
        self.peers[peer] = client_id
        return replaced

    def detach(self, peer: Page) -> None:
        self.peers.pop(peer, None)

    def broadcast(self, message: dict[str, Any]) -> None:
        for peer in list(self.peers):
            if not peer.closed:
                peer.send(message)
