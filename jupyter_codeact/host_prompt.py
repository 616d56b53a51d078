"""The system prompt a host sends: the built-in one, the tools in the kernel, the rules.

Hosts call this each time a run starts, so that a server that came up or went down, or an
``AGENTS.md`` that was edited, is what the model is told about on the next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rules as project_rules
from .core.prompts import DEFAULT_SYSTEM_PROMPT, system_prompt_with

if TYPE_CHECKING:
    from .tools import Toolset


def system_prompt(toolset: Toolset | None, rules: list[project_rules.Rule]) -> str:
    return system_prompt_with(
        DEFAULT_SYSTEM_PROMPT,
        tools=toolset.prompt_section() if toolset is not None else "",
        rules=project_rules.prompt_section(rules),
    )
