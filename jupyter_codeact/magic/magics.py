"""The ``%codeact`` line magic and ``%%codeact`` cell magic."""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import TraitError

from ..config import CodeAct, ConfigError, NoModelError
from .approval import no_stdin_message, stdin_available
from .history import Answer, History
from .options import parse_line
from .session import RunError, RunOptions, ShellSession

USAGE = (
    "Give the agent a request: `%codeact <request>`, or a `%%codeact` cell whose body is "
    "the request (`%codeact?` lists the options)."
)


KERNEL_NO_MODEL_MESSAGE = (
    "No model is configured in this kernel. JupyterLab's server may have a key, but the "
    "kernels it starts do not get it, by design: code the model writes runs in the kernel and "
    "could read it. Give this kernel a model in one of three ways: c.CodeAct.api_key (or "
    "c.CodeAct.base_url for a local server) in ipython_config.py; %config CodeAct.api_key = "
    "'...' in the notebook (then the key is in the notebook); or "
    "c.CodeAct.share_key_with_kernels = True in jupyter_server_config.py, then restart the "
    "Jupyter server and this kernel."
)
"""One line: why the magic has no model, and the three ways to give it one."""


def invalid_config_message(error: TraitError) -> str:
    """One line for a bad ``c.CodeAct`` value (traitlets says which and why)."""
    return (
        f"CodeAct: invalid configuration: {str(error).rstrip('.')}; correct it in "
        "ipython_config.py (or with %config CodeAct.<name> = <value>) and run the cell again."
    )


def _say(message: str) -> None:
    """One line on stderr in one write: a notebook shows it as one output (``print`` writes
    the line and its end apart, which a busy kernel may send as two)."""
    sys.stderr.write(f"{message}\n")


@magics_class
class CodeActMagics(Magics):
    """Registered by ``%load_ext jupyter_codeact``; one agent (and conversation) per shell."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.session = ShellSession(shell)

    @magic_arguments()
    @argument("--model", metavar="NAME", help="model for this request (default: c.CodeAct.model)")
    @argument("--max-turns", type=int, metavar="N", help="model replies allowed for this request")
    @argument(
        "--timeout", type=float, metavar="SECONDS", help="seconds one action may run (0: no limit)"
    )
    @argument("--approve", action="store_true", help="ask before running each action")
    @argument(
        "--action-style",
        choices=["auto", "tags", "tools"],
        help="how the model acts: <execute> tags, native tool calls, or auto (default: "
        "c.CodeAct.action_style)",
    )
    @argument(
        "--insert",
        action="store_true",
        help="also put the code of the steps into a new cell below, fixes in place of what "
        "they fixed when nothing needed is lost (front ends that support it)",
    )
    @argument(
        "--trust-project",
        action="store_true",
        help="trust the working directory's .jupyter/mcp.json and AGENTS.md files as they "
        "are now (remembered until one changes); without it, project files you have not "
        "trusted are not used, and a note names them",
    )
    @argument("--new", action="store_true", help="forget the conversation and start a new one")
    @argument(
        "--history",
        action="store_true",
        help="return the conversation so far (a History object) instead of running",
    )
    @argument(
        "request",
        nargs="*",
        help="what to do, in plain words, after the options (in a %%%%codeact cell, the body)",
    )
    @line_cell_magic
    def codeact(self, line: str, cell: str | None = None) -> Answer | History | None:
        """Ask the CodeAct agent to do something, in this kernel, with your variables.

        ``%codeact <request>`` or a ``%%codeact`` cell whose body is the request. The agent
        writes Python, runs it here (variables it makes stay in your namespace; plots and
        tables show inline), reads the output, fixes its own errors, and answers. The answer
        is the cell's value (``answer = _``). A follow-up request continues the same
        conversation; ``--new`` starts over. Stop the cell (interrupt the kernel) to stop
        the agent.

        ``--insert``: the code of the steps goes into one new cell below (IPython keeps one
        next-input per cell), as a notebook would keep it: a fix in place of the step that
        failed unless it would lose what that step
        defined before its error (then the step stays, cut to what ran, or whole inside
        ``try``), a revised step in place of the earlier one, steps that still fail left
        out. The code still runs, because the agent needs its output.

        Settings come from the ``CodeAct`` section of ``ipython_config.py`` (for example
        ``c.CodeAct.model = "gpt-4o"``), with $OPENAI_API_KEY, $OPENAI_BASE_URL and
        $CODEACT_MODEL as defaults.
        """
        args, request = parse_line(self.codeact.parser, line, cell)
        session = self.session
        if session.busy:
            raise UsageError("CodeAct is already running in this kernel.")
        if args.history:
            if request:
                raise UsageError("--history takes no request.")
            return session.history
        if args.new:
            session.forget()
            if not request:
                print("CodeAct: started a new conversation.")
                return None
        if not request:
            raise UsageError(USAGE)
        try:
            settings = self._settings(args)
        except TraitError as error:  # a bad value in ipython_config.py or %config
            _say(invalid_config_message(error))
            return None
        configured = settings.approval_mode == "ask"
        approve = args.approve or configured
        if approve and not stdin_available(self.shell):
            _say(no_stdin_message(option=args.approve, setting=configured))
            return None
        try:
            options = RunOptions(
                approve=approve, insert=args.insert, trust_project=args.trust_project
            )
            answer = session.run(request, settings, options)
        except NoModelError:
            _say(f"CodeAct: {KERNEL_NO_MODEL_MESSAGE}")
            return None
        except (ConfigError, RunError) as error:
            _say(f"CodeAct: {error}")
            return None
        return answer.shown_in_view(self.shell) if answer is not None else None

    def _settings(self, args: Any) -> CodeAct:
        """``CodeAct`` from the shell's configuration, then this call's options."""
        settings = CodeAct(parent=self.shell)
        if args.model:
            settings.model = args.model
        if args.max_turns is not None:
            settings.max_turns = args.max_turns
        if args.timeout is not None:
            settings.cell_timeout = args.timeout
        if args.action_style:
            settings.action_style = args.action_style
        return settings
