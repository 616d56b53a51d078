"""Trusting a project's files the way the panel does: its prompt, then Trust."""

from __future__ import annotations

import json
from typing import Any


async def pending(jp_fetch: Any, path: str) -> list[dict[str, Any]]:
    """The files of notebook ``path`` waiting for the user's trust, as the prompt shows them."""
    response = await jp_fetch("codeact", "trust", params={"path": path})
    files: list[dict[str, Any]] = json.loads(response.body)["files"]
    return files


async def decide(
    jp_fetch: Any, path: str, files: list[dict[str, Any]], decision: str = "trust"
) -> list[dict[str, Any]]:
    """Trust (or not now) ``files`` as shown; what is still waiting after."""
    body = {
        "path": path,
        "decision": decision,
        "files": [{"path": f["path"], "sha256": f["sha256"]} for f in files],
    }
    response = await jp_fetch("codeact", "trust", method="POST", body=json.dumps(body))
    left: list[dict[str, Any]] = json.loads(response.body)["files"]
    return left


async def trust_all(jp_fetch: Any, path: str) -> None:
    """Press Trust on everything the prompt shows for notebook ``path``."""
    files = await pending(jp_fetch, path)
    assert files, "nothing to trust"
    assert await decide(jp_fetch, path, files) == []
