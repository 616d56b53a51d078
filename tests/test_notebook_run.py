"""The server's notebook executor takes a request's choices with each action, never from
itself: an action given none does not run (it would run outside the user's approval mode)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_codeact.core.events import Action
from jupyter_codeact.core.executor import ExecutorError
from jupyter_codeact.server.document.log import OpLog
from jupyter_codeact.server.notebook_executor import NO_RUN, NotebookExecutor

pytestmark = pytest.mark.asyncio


class Untouchable:
    """Fails the test if the executor reaches for the notebook or its kernel."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the executor used the notebook ({name}) for an action it refused")


def executor() -> NotebookExecutor:
    return NotebookExecutor(
        chat_id="c",
        path=lambda: "n.ipynb",
        document=lambda: Untouchable(),  # type: ignore[arg-type,return-value]
        oplog=OpLog(),
        kernels=Untouchable(),  # type: ignore[arg-type]
        approvals=Untouchable(),  # type: ignore[arg-type]
        on_phase=lambda action, request_id, phase: None,
    )


@pytest.mark.parametrize("run", [None, object()])
async def test_an_action_without_its_requests_choices_does_not_run(run: object) -> None:
    action = Action(turn=1, code="x = 1", action_id="a1", cell="c1")
    with pytest.raises(ExecutorError) as raised:
        await executor().execute("x = 1", timeout=5, action=action, run=run)
    assert str(raised.value) == NO_RUN
