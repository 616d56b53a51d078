"""jupyter-codeact: a notebook-native CodeAct agent for JupyterLab.

Hosts: the JupyterLab sidebar (server extension + labextension), the ``%codeact`` magic
(``%load_ext jupyter_codeact``) and the command line (``jupyter codeact``).
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # a checkout that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../labextension", "dest": "jupyter-codeact"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import CodeActExtension

    return [{"module": "jupyter_codeact", "app": CodeActExtension}]


# IPython extension hooks: imported lazily, so that the server never imports IPython.
def load_ipython_extension(ipython: Any) -> None:
    from .magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magic import unload_ipython_extension as unload

    unload(ipython)
