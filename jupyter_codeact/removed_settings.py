"""``CodeAct`` settings that were removed, and what to use instead.

A configuration that still sets one gets a warning naming its replacement, rather than
traitlets' generic "not recognized" or a setting that silently does nothing. They are kept
the way jupyter_server keeps its renamed options (``ServerApp.notebook_dir``): declared, with
a help saying what replaced them, and observed to warn. They change nothing else.
"""

from __future__ import annotations

import warnings
from typing import Any

from traitlets import Any as AnyTrait
from traitlets import observe
from traitlets.config import Configurable

REMOVED = {
    "replace_failed_cells": "each user chooses it in the panel (Settings → CodeAct → Replace "
    "failed cells with their fix, on by default), where the server's value never applied; "
    "the magic's --insert and the command line follow the cell rule (a fix replaces its "
    "failed cell when nothing is lost).",
    "stop_sequences": "nothing to set: the tags style stops each reply at </execute> itself "
    "(tool calls send no stop sequence), and an endpoint that refuses stop sequences is "
    "asked again without them.",
    "system_prompt": "put your rules in c.CodeAct.instructions (added to the built-in prompt, "
    "which teaches the model how to act) or in an AGENTS.md file.",
}


def _removed(name: str) -> Any:
    return AnyTrait(None, allow_none=True, help=f"Removed: {REMOVED[name]}").tag(config=True)


class RemovedSettings(Configurable):
    """The removed settings of ``CodeAct``: setting one warns, and does nothing else."""

    replace_failed_cells = _removed("replace_failed_cells")
    stop_sequences = _removed("stop_sequences")
    system_prompt = _removed("system_prompt")

    @observe(*REMOVED)
    def _warn_removed(self, change: Any) -> None:
        name = change["name"]
        message = f"c.CodeAct.{name} was removed and has no effect; {REMOVED[name]}"
        warnings.warn(message, UserWarning, stacklevel=2)
