"""Core events become chat entries here (the one place that does it for the panel): a
live view and a reloaded one are the same entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ..core import view as views
from ..core.events import Action, AnyEvent, Done, Observation
from ..core.observation import status_note
from .entries import ChatEntries
from .entry_outputs import entry_outputs
from .protocol import ChatState

_LIMIT_ADVICE = {
    "max_turns": "ask it to go on, or raise c.CodeAct.max_turns.",
    "token_budget": "ask it to go on, or raise c.CodeAct.token_budget.",
}


class EventProjector:
    """Turns the events of one chat's runs into its entries."""

    def __init__(
        self,
        entries: ChatEntries,
        *,
        broadcast: Callable[[dict[str, Any]], None],
        set_state: Callable[[ChatState | None], None],
        cell_timeout: Callable[[], float | None],
    ) -> None:
        self.entries = entries
        self._broadcast = broadcast
        self._set_state = set_state
        self._cell_timeout = cell_timeout
        self.tokens = 0
        self._assistant_id: str | None = None
        self._thinking_id: str | None = None
        self._prose: dict[int, str] = {}
        self.round_trip: Callable[[], Any] = lambda: None
        """The executor's last round trip (request id, duration, cell) for observations."""

    def prose_of(self, turn: int) -> str:
        """What the panel shows of the reply of ``turn`` (its explanation of the action)."""
        return self._prose.get(turn, "")

    def begin(self) -> None:
        self.tokens = 0
        self._prose.clear()

    def end(self) -> None:
        """The run ended: close what is still open."""
        self._assistant_id = None
        self._end_thinking()

    def apply(self, event: AnyEvent) -> None:
        match views.view_of(event):
            case views.Streamed(part="reasoning") as view:
                self._reasoning(view)
            case views.Streamed() as view:
                self._streamed(view)
            case views.Reasoning() as view:
                self._thought(view)
            case views.Note(turn=turn, text=text):
                self.entries.add({"role": "condensed", "turn": turn, "text": text})
            case views.Restarted():
                if self._assistant_id is not None:
                    self.entries.get(self._assistant_id).pop("code", None)
                    self.entries.replace(self._assistant_id, text="")
                self._end_thinking(text="")  # the retried reply thinks afresh
            case views.Reply() as view:
                self._replied(view)
            case views.Tokens(run_total=total):
                self.tokens = total
                self._set_state(None)  # the same state, with the tokens
            case views.Code(action=action):
                self.entries.add(
                    {
                        "id": f"action-{action.action_id}",
                        "role": "action",
                        "turn": action.turn,
                        "code": action.code,
                        "action_id": action.action_id,
                        "phase": "pending",
                        "replaces": action.replaces,
                        **(
                            {"keeps": action.keeps, "trim_to": action.trim_to, "note": action.note}
                            if action.keeps
                            else {}
                        ),
                    }
                )
            case views.Result(observation=observation):
                self._observed(observation)
            case views.Answered(turn=turn, text=text):
                self.entries.add({"role": "final", "turn": turn, "text": text})
            case views.Problem(kind=kind, message=message):
                self.entries.add({"role": "error", "kind": kind, "text": message})
            case views.Ended():
                pass  # the run's end is :meth:`done`'s (the chat's state after it)

    def phase(
        self, action: Action, request_id: str, phase: Literal["waiting_approval", "running"]
    ) -> None:
        """The executor's news of an action: it waits for approval, or runs."""
        entry_id = f"action-{action.action_id}"
        if self.entries.has(entry_id):
            self.entries.replace(entry_id, request_id=request_id, phase=phase)
        self._set_state(phase)

    def _replied(self, view: views.Reply) -> None:
        self._end_thinking()
        self._prose[view.turn] = view.prose
        if self._assistant_id is None:
            self.entries.add(
                {"role": "assistant", "turn": view.turn, "text": view.text, "prose": view.prose}
            )
        else:
            self.entries.get(self._assistant_id).pop("code", None)  # its action has it
            self.entries.replace(
                self._assistant_id, text=view.text, prose=view.prose, streaming=False
            )
        self._assistant_id = None

    def _streamed(self, view: views.Streamed) -> None:
        """A piece of the reply: its text, or the code of its tool call."""
        if self._assistant_id is None:
            entry = self.entries.add(
                {"role": "assistant", "turn": view.turn, "text": "", "streaming": True},
                save=False,
            )
            self._assistant_id = entry["id"]
        current = self.entries.get(self._assistant_id)
        key: Literal["text", "code"] = "code" if view.part == "code" else "text"
        current[key] = current.get(key, "") + view.text
        message: dict[str, Any] = {"type": "delta", "id": self._assistant_id, "text": view.text}
        if key == "code":
            message["field"] = "code"
        self._broadcast(message)

    def _reasoning(self, view: views.Streamed) -> None:
        """Reasoning gets an entry of its own: streamed live, then complete with its time."""
        if self._thinking_id is None:
            entry = self.entries.add(
                {"role": "thinking", "turn": view.turn, "text": "", "streaming": True},
                save=False,
            )
            self._thinking_id = entry["id"]
        current = self.entries.get(self._thinking_id)
        current["text"] = current.get("text", "") + view.text
        self._broadcast({"type": "delta", "id": self._thinking_id, "text": view.text})

    def _thought(self, view: views.Reasoning) -> None:
        done: dict[str, Any] = {"text": view.text, "streaming": False}
        if view.seconds is not None:
            done["duration_ms"] = round(view.seconds * 1000, 1)
        if self._thinking_id is None:
            self.entries.add({"role": "thinking", "turn": view.turn, **done})
        else:
            self.entries.replace(self._thinking_id, **done)
            self._thinking_id = None

    def _end_thinking(self, **changes: Any) -> None:
        """Close a reasoning entry still streaming (its reply broke off, or the run ended)."""
        if self._thinking_id is not None:
            self.entries.replace(self._thinking_id, streaming=False, **changes)
            self._thinking_id = None

    def _observed(self, event: Observation) -> None:
        action_entry = self.entries.get(f"action-{event.action_id}")
        trip = self.round_trip()
        if trip is not None and trip.request_id != action_entry.get("request_id"):
            trip = None  # nothing ran for this action (refused, or skipped before it ran)
        cell_id = trip.cell_id if trip else None
        self.entries.replace(
            action_entry["id"],
            phase="finished",
            cell_id=cell_id,
            cell=event.cell,
            replaced=event.replaced,
        )
        entry: dict[str, Any] = {  # the store adds its time
            "id": f"observation-{event.action_id}",
            "role": "observation",
            "turn": event.turn,
            "action_id": event.action_id,
            "status": event.status,
            "text": event.text,
            "code": event.code,
            "outputs": entry_outputs(event.outputs),
            "execution_count": event.execution_count,
            "cell_id": cell_id,
        }
        if trip is not None:
            entry["duration_ms"] = round(trip.duration_ms, 2)
        if note := status_note(event.status, self._cell_timeout()):
            entry["note"] = note
        self.entries.add(entry)
        self._set_state("thinking")

    def done(self, event: Done) -> ChatState:
        """Record how the run ended; the state the chat is in after it."""
        if event.reason == "answered":
            return "done"
        if event.reason == "cancelled":
            self.entries.add({"role": "error", "kind": "stopped", "text": event.detail})
            return "idle"
        if event.reason in _LIMIT_ADVICE:
            text = f"{event.detail} To continue, {_LIMIT_ADVICE[event.reason]}"
            self.entries.add({"role": "error", "kind": event.reason, "text": text})
        return "error"
