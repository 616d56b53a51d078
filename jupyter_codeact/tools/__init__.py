"""Tools from the ecosystem as Python in the agent's kernel: MCP servers and the user's own
functions (see :mod:`.toolset`), shared by every host and by the eval suites' ``tools.py``
(see :mod:`.spec`)."""

from .spec import ToolGroup, ToolSpec, compact_listing, spec_of
from .toolset import KernelToolHost, Toolset, ToolSettings

__all__ = [
    "KernelToolHost",
    "ToolGroup",
    "ToolSettings",
    "ToolSpec",
    "Toolset",
    "compact_listing",
    "spec_of",
]
