"""``--approve``: ask the user before each action, through ``input()``.

Widget buttons cannot work here: the kernel reads their clicks only after the cell ends,
and the cell is waiting for the answer. ``input()`` goes through the front end's stdin
prompt, which JupyterLab, Notebook, VS Code and terminal IPython all provide.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..core.events import Action

APPROVAL_SETTING = 'c.CodeAct.approval_mode = "ask"'


def no_stdin_message(*, option: bool, setting: bool) -> str:
    """Why nothing ran: approval is on (through ``--approve``, the configuration's
    ``approval_mode``, or both) but the front end cannot answer ``input()``. One sentence,
    naming what the user set and what to change."""
    if setting:
        cause = f"{APPROVAL_SETTING} (and --approve)" if option else APPROVAL_SETTING
        change = (
            'drop --approve and set approval_mode to "auto"'
            if option
            else 'set approval_mode to "auto"'
        )
        fix = (
            f'{change} (%config CodeAct.approval_mode = "auto" does it for this kernel), '
            "or run the cell from JupyterLab, Notebook or a terminal"
        )
    else:
        cause = "--approve"
        fix = "run the cell without --approve, or from JupyterLab, Notebook or a terminal"
    return (
        f"{cause} makes CodeAct ask you before each action, but this front end cannot "
        "answer input prompts (it runs cells without stdin, as nbclient and nbconvert do), "
        f"so nothing was run: {fix}."
    )


NO_STDIN_MESSAGE = no_stdin_message(option=True, setting=False)
"""The message for ``--approve`` alone."""

PROMPT = "Run this code? [Y]es / [n]o, skip it / [a]ll, stop asking / [q]uit: "


def stdin_available(shell: Any) -> bool:
    """Whether ``input()`` can reach the user now."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return sys.stdin is not None and not sys.stdin.closed
    # ipykernel records the current request's allow_stdin here (False under nbclient).
    return bool(getattr(kernel, "_allow_stdin", True))


class Approver:
    """Asks before each action of one run; ``a`` approves the rest, ``q`` stops the run."""

    def __init__(
        self,
        *,
        request_stop: Callable[[], None],
        before_asking: Callable[[Action | None], None] | None = None,
    ) -> None:
        self.request_stop = request_stop
        self.before_asking = before_asking
        self.approve_all = False

    def __call__(self, action: Action | None, code: str) -> bool:
        if self.approve_all:
            return True
        if self.before_asking is not None:
            self.before_asking(action)
        while True:
            try:
                answer = input(PROMPT).strip().lower()
            except EOFError:  # stdin closed: nobody can approve
                answer = "q"
            except Exception as error:  # StdinNotImplementedError: the front end said no
                print(f"Cannot ask for approval ({error}); stopping.", file=sys.stderr)
                answer = "q"
            if answer in ("", "y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            if answer in ("a", "all"):
                self.approve_all = True
                return True
            if answer in ("q", "quit"):
                self.request_stop()
                return False
            print("Please answer y, n, a or q.")
