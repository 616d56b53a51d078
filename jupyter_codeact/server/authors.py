"""Who asked: a request's author, from jupyter_server's identity provider.

A module of its own: the handlers read it, and the session keeps it, without either
importing the other.
"""

from __future__ import annotations

from typing import Any

Author = dict[str, str]
"""Who asked (:data:`author_of`)."""


def author_of(user: Any) -> Author | None:
    """The author of a request, from jupyter_server's user (its identity provider's)."""
    if user is None:
        return None
    fields = ("username", "name", "display_name", "initials", "color")
    found = {key: getattr(user, key, None) for key in fields}
    author = {key: value for key, value in found.items() if isinstance(value, str) and value}
    return author if author.get("username") else None
