"""One rule for the settings that both the server's configuration and the panel hold.

**The rule: a choice made in the panel wins for the requests of the person who made it;
where they made none, the server's configured value applies; and a server value that is
the safer one is a floor the panel cannot lower.** The safer values are approval ``ask``
(every action waits for a person) and untrusted agent outputs on (HTML sanitized, no
JavaScript run): an administrator who sets them in ``jupyter_server_config.py`` (on
JupyterHub, say) knows that no user's panel undoes them.

Setting by setting, with the panel's (``schema/plugin.json``) and the server's
(``c.CodeAct.*``) names:

- approval (``approvalMode`` / ``approval_mode``): the panel's mode, else the server's;
  a server's ``ask`` holds whatever the panel says.
- action style (``actionStyle`` / ``action_style``): the panel's, else the server's.
- untrusted outputs (``untrustedAgentOutputs`` / ``untrusted_agent_outputs``): on when
  either side turns it on (the server's on is a floor).
- replace failed cells (``replaceFailedCells``): the panel's alone (a per-person choice of
  how the notebook is edited; the server has no setting of it), else on.

The model and reasoning effort picked in the chat's header follow the same rule (the
pick, else ``c.CodeAct.model`` / ``reasoning_effort``); :mod:`.models` checks the pick.

:func:`resolve` is pure: the configured values and the panel's choices in, one frozen
record out, so that each request's settings are decided in one place and tested as a
table (``tests/test_resolve.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from ..config import CodeAct
from ..core.styles import ActionStyle

ApprovalMode = Literal["auto", "ask"]


@dataclass(frozen=True)
class Configured:
    """The server's configured values of the shared settings."""

    approval: ApprovalMode = "auto"
    action_style: ActionStyle = "auto"
    untrusted: bool = False

    @classmethod
    def of(cls, settings: CodeAct) -> Configured:
        return cls(
            approval="ask" if settings.approval_mode == "ask" else "auto",
            action_style=cast(ActionStyle, settings.action_style),  # an Enum of these
            untrusted=settings.untrusted_agent_outputs,
        )


@dataclass(frozen=True)
class Choices:
    """What one request's panel chose; None: it chose nothing (the server's value)."""

    approval: ApprovalMode | None = None
    action_style: ActionStyle | None = None
    replace_failed: bool | None = None
    untrusted: bool | None = None


@dataclass(frozen=True)
class Resolved:
    """The settings one request runs with."""

    approval: ApprovalMode
    action_style: ActionStyle
    replace_failed: bool
    untrusted: bool


def resolve(configured: Configured, chosen: Choices) -> Resolved:
    """The settings of one request: the panel's choice, else the configured value; the
    configured ``ask`` and untrusted outputs are floors (see the module's rule)."""
    approval: ApprovalMode = (
        "ask" if configured.approval == "ask" else (chosen.approval or configured.approval)
    )
    return Resolved(
        approval=approval,
        action_style=chosen.action_style or configured.action_style,
        replace_failed=True if chosen.replace_failed is None else chosen.replace_failed,
        untrusted=configured.untrusted or bool(chosen.untrusted),
    )
