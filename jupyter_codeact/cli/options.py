"""What the subcommands of ``jupyter codeact`` share without importing one another: their
exit statuses (documented in the README)."""

from __future__ import annotations

EXIT_ANSWERED = 0
"""Done: the task was answered, the export written."""
EXIT_UNANSWERED = 1
EXIT_USAGE = 2
"""A usage or configuration error (nothing was done)."""
EXIT_LLM = 3
EXIT_CANCELLED = 130
