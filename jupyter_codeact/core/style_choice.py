"""Which action style a request is made in, and the system prompt that goes with it."""

from __future__ import annotations

from .actions import ActionFormat, CodeActions
from .code_tool import CallFormat, CodeTool
from .llm import LLM
from .options import AgentOptions
from .prompts import CELLS_GUIDE
from .styles import Style, TextStyle, ToolStyle


def _is_call_format(format: object) -> bool:
    return callable(getattr(format, "action", None)) and hasattr(format, "tools")


class Styles:
    """The styles one agent has used, each made once (a style learns about its endpoint)."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, bool], Style] = {}
        self._format: ActionFormat | CallFormat | None = None

    def pick(self, options: AgentOptions, llm: LLM) -> Style:
        """The style for the next request: the host's format, or the configured style
        (``auto`` resolved by what the endpoint is known to accept)."""
        if options.action_format is not None:
            key = "format"
            if options.action_format is not self._format:  # another host format
                self._made.pop(("format", options.cells), None)
                self._format = options.action_format
        elif options.action_style == "auto":
            key = "tags" if llm.quirks.tools is False else "auto-tools"
        else:
            key = options.action_style
        made = (key, options.cells)
        if made not in self._made:
            self._made[made] = _make(key, options)
        return self._made[made]


def _make(key: str, options: AgentOptions) -> Style:
    custom = options.action_format
    if key == "format" and custom is not None:
        if _is_call_format(custom):
            return ToolStyle(custom)  # type: ignore[arg-type]
        return TextStyle(custom)  # type: ignore[arg-type]
    if key == "tags":
        return TextStyle(CodeActions())
    code_tool = CodeTool(cell_targeting=options.cells)
    return ToolStyle(code_tool, text_fallback=key == "auto-tools")


def system_prompt(style: Style, options: AgentOptions) -> str:
    """The system message in ``style`` (how cells work, where the host keeps actions as
    cells), redacted."""
    prompt = style.system_prompt(options.system_prompt)
    if options.cells:
        prompt = prompt.rstrip("\n") + "\n" + style.words(CELLS_GUIDE)
    return options.redactor.redact(prompt)
