"""How a run ends: the :class:`~.events.Done` for each reason, and the token budget."""

from __future__ import annotations

from typing import Any

from .events import Done
from .options import AgentOptions


def done(turn: int, reason: Any, turns: int, total_tokens: int, detail: str = "") -> Done:
    return Done(turn=turn, reason=reason, detail=detail, turns=turns, total_tokens=total_tokens)


def over_budget(options: AgentOptions, total_tokens: int) -> bool:
    budget = options.token_budget
    return budget is not None and 0 < budget <= total_tokens


def budget_spent(options: AgentOptions, turn: int, turns: int, total_tokens: int) -> Done:
    detail = f"The run used {total_tokens:,} tokens, over its budget of {options.token_budget:,}."
    return done(turn, "token_budget", turns, total_tokens, detail)


def cancelled(turn: int, turns: int, total_tokens: int, when: str) -> Done:
    return done(turn, "cancelled", turns, total_tokens, f"Stopped by the user {when}.")
