"""The ``%codeact`` / ``%%codeact`` IPython magic: the agent inside any notebook cell.

``%load_ext jupyter_codeact`` (or ``c.InteractiveShellApp.extensions``) calls
:func:`load_ipython_extension`.
"""

from __future__ import annotations

from typing import Any

from .history import Answer, History
from .magics import CodeActMagics

__all__ = ["Answer", "CodeActMagics", "History", "load_ipython_extension"]

_loaded: dict[int, CodeActMagics] = {}


def load_ipython_extension(ipython: Any) -> None:
    magics = CodeActMagics(ipython)
    ipython.register_magics(magics)
    _loaded[id(ipython)] = magics


def unload_ipython_extension(ipython: Any) -> None:
    magics = _loaded.pop(id(ipython), None)
    if magics is not None:
        magics.session.close()
        for kind in ("line", "cell"):
            ipython.magics_manager.magics[kind].pop("codeact", None)
