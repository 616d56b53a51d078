"""How a ``%%codeact`` run looks: live ipywidgets in a notebook, plain text elsewhere.

Both views are driven on the main thread, by batches of events (a burst of streamed text
makes one widget update). The model's prose and answers are markdown (made safe:
:mod:`.markdown`), code a highlighted block, both rendered by the front end's own
markdown renderer. When the run ends, the live widgets give way to the run as static
markdown, so that a notebook saved and reopened without a kernel or widget state still
shows it (the steps, their code and outputs, the answer).
"""

from __future__ import annotations

import html
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from ..cli.view import LiveView
from ..core import view as views
from ..core.actions import prose
from ..core.events import Action, AnyEvent, Observation
from .history import RunRecord, describe_done
from .markdown import run_markdown
from .safe import fenced, safe_markdown

_STATUS_COLOURS = {
    "ok": "var(--jp-success-color1, #2e7d32)",
    "error": "var(--jp-error-color1, #c62828)",
    "timeout": "var(--jp-warn-color1, #ef6c00)",
    "interrupted": "var(--jp-warn-color1, #ef6c00)",
    "died": "var(--jp-error-color1, #c62828)",
    "skipped": "var(--jp-ui-font-color2, #757575)",
    "refused": "var(--jp-warn-color1, #ef6c00)",
}
# ipywidgets' HTML sets a line height of a whole widget row (28px): text is single-spaced.
# The theme's text on a tint of its error colour: readable in light and dark themes alike
# (the error-color3 background is light pink in the dark theme too, under light text).
_ERROR = (
    "white-space: pre-wrap; line-height: normal; margin: 6px 0; padding: 8px 12px; "
    "border-left: 4px solid var(--jp-error-color1, #c62828); "
    "color: var(--jp-ui-font-color1, #212121); "
    "background: color-mix(in srgb, var(--jp-error-color1, #c62828) 12%, "
    "var(--jp-layout-color1, #ffffff));"
)
_MUTED = (
    "color: var(--jp-ui-font-color2, #757575); font-size: 90%; margin: 4px 0; line-height: normal;"
)
_THOUGHT = f"white-space: pre-wrap; {_MUTED}"


class RunView(Protocol):
    """What the session needs from a view (all on the main thread)."""

    def start(self) -> None: ...

    def show(self, events: Sequence[AnyEvent]) -> None: ...

    def action_outputs(self, action: Action | None) -> AbstractContextManager[Any]:
        """Where the outputs of ``action`` go while it runs."""
        ...

    def awaiting_approval(self, action: Action | None) -> None: ...

    def note(self, text: str) -> None: ...

    def finish(self, record: RunRecord) -> None:
        """The run is over, however it ended: ``record.failure`` says if it broke off."""
        ...


def widgets_available(shell: Any) -> bool:
    """ipywidgets need a kernel (terminal IPython has none) and the package itself.

    A kernel cannot know whether its front end renders widgets; for those that do not
    (nbconvert, nbclient), the widget view carries a plain-text form of the run too.
    """
    if getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def make_view(shell: Any, request: str) -> RunView:
    if widgets_available(shell):
        return WidgetView(shell, request)
    return TextView()


class TextView:
    """The run as text, as ``jupyter codeact run`` prints it: the model's words as they
    stream, a line per step, the answer. The actions print their own outputs as they run,
    so a step's line only gives its status."""

    def __init__(self) -> None:
        self._live = LiveView(out=sys.stdout, err=sys.stderr)

    def start(self) -> None:
        pass

    def show(self, events: Sequence[AnyEvent]) -> None:
        for event in events:
            match views.view_of(event):
                case views.Result(observation=observation):
                    self._live.status_line(observation.status)
                case view:
                    self._live.render(view)

    def action_outputs(self, action: Action | None) -> AbstractContextManager[Any]:
        return nullcontext()

    def awaiting_approval(self, action: Action | None) -> None:
        pass

    def note(self, text: str) -> None:
        self._live.line(self._live.style(text, "2"))

    def finish(self, record: RunRecord) -> None:
        if record.failure is not None:
            self._live.error(record.failure)


@dataclass
class _Step:
    number: int
    accordion: Any
    output: Any
    status: Any


class WidgetView:
    """Live widgets: streamed text per turn, a collapsible step per action (code, its
    outputs, status), the answer highlighted, turns and tokens at the end."""

    def __init__(self, shell: Any, request: str) -> None:
        import ipywidgets

        self._widgets = ipywidgets
        self.shell = shell
        self.request = request
        self.body = ipywidgets.VBox()
        self.footer = ipywidgets.HTML()
        self.root = ipywidgets.VBox([self.body, self.footer])
        self._texts: dict[int, list[str]] = {}
        self._text_widgets: dict[int, Any] = {}
        self._final_turns: set[int] = set()
        self._dirty: set[int] = set()
        self._steps: dict[str, _Step] = {}
        self._thought: tuple[Any, Any, list[str]] | None = None
        """The reasoning being streamed: its accordion, its text widget and its pieces."""
        self._draft: tuple[Any, list[str]] | None = None
        """The code of a native tool call being streamed: its widget and its pieces."""
        self._handle: Any = None

    # -- the view ----------------------------------------------------------------------
    def start(self) -> None:
        from IPython.display import display

        bundle = self._bundle(f"CodeAct: {self.request}")
        self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]

    def show(self, events: Sequence[AnyEvent]) -> None:
        for event in events:
            self._apply(event)
        for turn in self._dirty - self._final_turns:
            _set_markdown(self._text_widgets[turn], prose("".join(self._texts[turn])))
        self._dirty.clear()
        if self._thought is not None:
            _, text, pieces = self._thought
            text.value = _html(_THOUGHT, "".join(pieces))
        if self._draft is not None:
            widget, pieces = self._draft
            _set_markdown(widget, fenced("".join(pieces), "python"))

    def action_outputs(self, action: Action | None) -> AbstractContextManager[Any]:
        step = self._steps.get(action.action_id) if action else None
        if step is None:
            return nullcontext()
        step.accordion.set_title(0, f"Step {step.number} · running")  # approved, if asked
        return _outputs_into(step.output, self.shell)

    def awaiting_approval(self, action: Action | None) -> None:
        step = self._steps.get(action.action_id) if action else None
        if step is not None:
            step.accordion.set_title(0, f"Step {step.number} · waiting for your approval")

    def note(self, text: str) -> None:
        self._append(self._widgets.HTML(_html(_THOUGHT, text)))

    def finish(self, record: RunRecord) -> None:
        """Nothing is left saying "running"; the display becomes the run as static markdown
        (and plain text), which any front end shows, with a kernel or without."""
        if record.failure is not None:
            # The steps as the record has them (a failing view may have missed some).
            statuses = {o.action_id: o.status for o in record.observations}
            for action_id, step in self._steps.items():
                status = statuses.get(action_id, "did not finish")
                step.status.value = _html(_MUTED, status)
                step.accordion.set_title(0, f"Step {step.number} · {status}")
            self._append(self._widgets.HTML(_html(_ERROR, record.failure)))
        summary = record.summary()  # as the Done event said, if the view could show it
        self.footer.value = _html(_MUTED, summary[:1].upper() + summary[1:])
        if self._handle is not None:
            static = {"text/markdown": run_markdown(record), "text/plain": record.text()}
            self._handle.update(static, raw=True)

    # -- events ------------------------------------------------------------------------
    def _apply(self, event: AnyEvent) -> None:
        widgets = self._widgets
        match views.view_of(event):
            case views.Streamed(part="reasoning", text=text):
                if self._thought is None:
                    shown = widgets.HTML()
                    accordion = widgets.Accordion(
                        children=[shown], titles=("Thinking…",), selected_index=0
                    )
                    self._thought = (accordion, shown, [])
                    self._append(accordion)
                self._thought[2].append(text)
            case views.Streamed(part="text", turn=turn, text=text):
                self._text_widget(turn)
                self._texts[turn].append(text)
                self._dirty.add(turn)
            case views.Streamed(text=text):  # the code of a native tool call
                if self._draft is None:
                    self._draft = (widgets.Output(), [])
                    self._append(self._draft[0])
                self._draft[1].append(text)
            case views.Reasoning() as view:
                self._end_thought(view)
            case views.Restarted(turn=turn):
                self._text_widget(turn)
                self._texts[turn] = []
                self._dirty.add(turn)
                self._end_draft()
                if self._thought is not None:
                    self._thought[0].layout.display = "none"
                    self._thought = None
            case views.Reply(turn=turn, prose=text):
                self._end_draft()  # its step follows with the code, if the call was usable
                widget = self._text_widget(turn)
                self._final_turns.add(turn)
                _set_markdown(widget, text)
                widget.layout.display = None if text else "none"
            case views.Note(text=text):
                self._append(widgets.HTML(_html(_MUTED, text)))
            case views.Code(action=action):
                self._end_draft()
                self._add_step(action)
            case views.Result(observation=observation):
                self._finish_step(observation)
            case views.Answered(text=text):
                answer = widgets.Output(
                    layout=widgets.Layout(
                        border_left="4px solid var(--jp-success-color1, #2e7d32)",
                        padding="0 0 0 8px",
                        margin="6px 0",
                    )
                )
                _set_markdown(answer, text)
                self._append(answer)
            case views.Problem(message=message):
                self._append(widgets.HTML(_html(_ERROR, message)))
            case views.Ended() as view:
                summary = describe_done(view)
                self.footer.value = _html(_MUTED, summary[:1].upper() + summary[1:])
            case views.Tokens():
                pass

    def _end_draft(self) -> None:
        """The streamed code is complete (its step shows it now) or was discarded."""
        if self._draft is not None:
            self._draft[0].layout.display = "none"
            self._draft = None

    def _end_thought(self, view: views.Reasoning) -> None:
        """Reasoning done: folded away under "Thought for N s" (click to read it)."""
        if self._thought is None:
            text = self._widgets.HTML()
            accordion = self._widgets.Accordion(children=[text], titles=("",))
            self._append(accordion)
        else:
            accordion, text, _ = self._thought
            self._thought = None
        text.value = _html(_THOUGHT, view.text)
        accordion.set_title(0, view.label)
        accordion.selected_index = None

    def _text_widget(self, turn: int) -> Any:
        if turn not in self._text_widgets:
            self._texts[turn] = []
            self._text_widgets[turn] = self._widgets.Output()
            self._append(self._text_widgets[turn])
        return self._text_widgets[turn]

    def _add_step(self, action: Action) -> None:
        widgets = self._widgets
        number = len(self._steps) + 1
        code = widgets.Output()
        code.outputs = (_markdown_output(fenced(action.code, "python")),)
        output = widgets.Output()
        status = widgets.HTML(_html(_MUTED, "running…"))
        accordion = widgets.Accordion(
            children=[widgets.VBox([code, output, status])],
            titles=(f"Step {number} · running",),
            selected_index=0,
        )
        self._steps[action.action_id] = _Step(number, accordion, output, status)
        self._append(accordion)

    def _finish_step(self, observation: Observation) -> None:
        step = self._steps.get(observation.action_id)
        if step is None:
            return
        colour = _STATUS_COLOURS.get(observation.status, "inherit")
        step.status.value = (
            f'<div style="{_MUTED}"><b style="color: {colour}">{observation.status}</b></div>'
        )
        step.accordion.set_title(0, f"Step {step.number} · {observation.status}")
        rich = any(o.get("output_type") != "stream" for o in observation.outputs)
        if observation.status == "ok" and not rich:
            step.accordion.selected_index = None  # nothing to look at: fold it away

    def _append(self, widget: Any) -> None:
        self.body.children = (*self.body.children, widget)

    def _bundle(self, text: str) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.root._repr_mimebundle_())
        bundle["text/plain"] = text
        return bundle


@contextmanager
def _outputs_into(output: Any, shell: Any) -> Iterator[None]:
    """Send what the shell shows into an Output widget, the way ``with output:`` does, but
    without swallowing exceptions (a KeyboardInterrupt must reach the executor)."""
    parent = shell.get_parent() if hasattr(shell, "get_parent") else None
    msg_id = ((parent or {}).get("header") or {}).get("msg_id")
    if not msg_id:
        yield
        return
    _flush_streams()
    output.msg_id = msg_id
    try:
        yield
    finally:
        _flush_streams()  # buffered text must reach the widget before it stops capturing
        output.msg_id = ""


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _html(style: str, text: str) -> str:
    return f'<div style="{style}">{html.escape(text)}</div>'


def _markdown_output(markdown: str) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"text/markdown": markdown}, "metadata": {}}


def _set_markdown(widget: Any, text: str) -> None:
    """Show model text in an Output widget as markdown, made safe (its outputs are trusted)."""
    widget.outputs = (_markdown_output(safe_markdown(text)),) if text else ()
