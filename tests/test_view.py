"""The one projection of events to what hosts show (core/view.py): each event's view, and
the type check that fails when an event type is added without one."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path
from typing import get_args

import pytest

from jupyter_codeact.core import view as view_module
from jupyter_codeact.core.events import (
    Action,
    ActionDelta,
    AnyEvent,
    AssistantMessage,
    Condensed,
    Done,
    Error,
    FinalAnswer,
    Observation,
    Retry,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Usage,
)
from jupyter_codeact.core.view import (
    Answered,
    Code,
    Ended,
    Note,
    Problem,
    Reasoning,
    Reply,
    Restarted,
    Result,
    Streamed,
    Tokens,
    View,
    view_of,
)

ACTION = Action(turn=2, code="print(1)", action_id="a1")
OBSERVED = Observation(
    turn=2, action_id="a1", status="ok", text="Observation:\n1\n", code="print(1)"
)
CONDENSED = Condensed(turn=3, steps=2, prompt_tokens=900, window=1000)

ROOT = Path(__file__).resolve().parents[1]

CASES: list[tuple[AnyEvent, View]] = [
    (TextDelta(turn=1, text="Let"), Streamed(1, "text", "Let")),
    (ThinkingDelta(turn=1, text="hm"), Streamed(1, "reasoning", "hm")),
    (ActionDelta(turn=1, text="x ="), Streamed(1, "code", "x =")),
    (Retry(turn=1, reason="broke", attempt=2), Restarted(1, 2, "broke")),
    (Thinking(turn=1, text="hm", seconds=2.6), Reasoning(1, "hm", 2.6, "Thought for 3 s")),
    (Thinking(turn=1, text="hm"), Reasoning(1, "hm", None, "Thoughts")),
    (
        AssistantMessage(turn=2, text="Counting.\n<execute>print(1)</execute>"),
        Reply(2, "Counting.\n<execute>print(1)</execute>", "Counting."),
    ),
    (ACTION, Code(2, ACTION)),
    (OBSERVED, Result(2, OBSERVED, "1")),
    (CONDENSED, Note(3, CONDENSED.describe(), 2)),
    (FinalAnswer(turn=4, answer="42"), Answered(4, "42")),
    (Error(turn=4, kind="auth", message="Set the key."), Problem(4, "auth", "Set the key.")),
    (
        Usage(turn=4, prompt_tokens=10, completion_tokens=5, total_tokens=15, run_total_tokens=40),
        Tokens(4, 10, 5, 40),
    ),
    (
        Done(turn=4, reason="answered", detail="", turns=4, total_tokens=40),
        Ended(4, "answered", "", 4, 40),
    ),
]


@pytest.mark.parametrize(("event", "expected"), CASES, ids=lambda c: type(c).__name__)
def test_each_event_has_its_view(event: AnyEvent, expected: View) -> None:
    assert view_of(event) == expected


def test_every_event_type_is_in_the_table() -> None:
    assert {type(event) for event, _ in CASES} == set(get_args(AnyEvent))


def test_an_event_type_without_a_view_fails_the_type_check(tmp_path: Path) -> None:
    """core/view.py, its events widened by one new type it does not handle: mypy --strict
    fails at its assert_never, and only there."""
    api = pytest.importorskip("mypy.api")
    source = Path(view_module.__file__).read_text(encoding="utf-8")
    source = source.replace("from .", "from jupyter_codeact.core.")
    extra = (
        "\n\n@dataclass(frozen=True)\n"
        "class Extra(_Event):\n"
        '    type: ClassVar[str] = "extra"\n\n\n'
        "def view_of(event: AnyEvent | Extra) -> View:"
    )
    widened = source.replace("\n\ndef view_of(event: AnyEvent) -> View:", extra)
    events = "from jupyter_codeact.core.events import Event as _Event\n"
    widened = widened.replace(
        "from typing import Literal\n", f"from typing import ClassVar, Literal\n\n{events}"
    )
    assert widened.count("Extra") == 2
    probe = tmp_path / "probe_view.py"
    probe.write_text(widened, encoding="utf-8")
    cache = tmp_path / "cache"
    if (ROOT / ".mypy_cache").is_dir():  # `make lint` ran: what it knows need not be redone
        # Lint's mypy runs beside the tests: a file it replaced meanwhile is left out (the rest
        # is copied), and mypy checks again whatever its cache does not match.
        with contextlib.suppress(shutil.Error):
            shutil.copytree(ROOT / ".mypy_cache", cache)
    config = str(ROOT / "pyproject.toml")
    out, err, status = api.run(["--config-file", config, "--cache-dir", str(cache), str(probe)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out + err
    assert len(errors) == 1, out
    line = int(errors[0].split(":")[1])
    assert "assert_never(event)" in widened.splitlines()[line - 1]
    assert re.search(r'"Extra"', errors[0]), errors[0]
