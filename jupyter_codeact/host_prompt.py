"""The system prompt a host sends: the configured one, the tools in the kernel, the rules.

Hosts call this each time a run starts, so that a server that came up or went down, or an
``AGENTS.md`` that was edited, is what the model is told about on the next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rules as project_rules
from .core.prompts import DEFAULT_SYSTEM_PROMPT, system_prompt_with

if TYPE_CHECKING:
    from .config import CodeAct
    from .tools import Toolset


def system_prompt(
    settings: CodeAct, toolset: Toolset | None, rules: list[project_rules.Rule]
) -> str:
    base = settings.system_prompt or DEFAULT_SYSTEM_PROMPT
    return system_prompt_with(
        base,
        tools=toolset.prompt_section() if toolset is not None else "",
        rules=project_rules.prompt_section(rules),
    )
