"""One action of the loop: where its code goes, running it, and what the model is told."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

from .actions import ParsedReply
from .cells import CellBook, Placement, Refusal
from .events import Action, Observation
from .executor import ExecutionResult, Executor
from .observation import FormattedObservation, format_observation
from .options import AgentOptions
from .prompts import IGNORED_SOLUTION_NOTE, REFUSED_BY_HOST, STOPPED_BEFORE_RUN
from .steps import ObservationStep
from .stopping import GAVE_UP, Stopping
from .styles import Style


def make_action(turn: int, parsed: ParsedReply, place: Placement | Refusal) -> Action:
    assert parsed.code is not None
    action_id = uuid.uuid4().hex[:12]
    if isinstance(place, Refusal):
        # Shown like any action (the user sees what the model asked), never run.
        target = parsed.attributes.get("replace", "")
        return Action(turn=turn, code=parsed.code, action_id=action_id, replaces=target)
    return Action(
        turn=turn,
        code=parsed.code,
        action_id=action_id,
        cell=place.cell,
        replaces=place.replaces,
        or_new=place.or_new,
        keeps=place.keeps,
        trim_to=place.trim_to,
        note=place.note,
    )


class Acting:
    """Runs the actions of one run with its options."""

    def __init__(
        self,
        options: AgentOptions,
        executor: Executor,
        cells: CellBook,
        stopping: Stopping,
        run: object | None = None,
    ) -> None:
        """``run`` is the host's value for this run, given to each execution as it is
        (:attr:`.options.RunOptions.executor`)."""
        self.options = options
        self.executor = executor
        self.cells = cells
        self.stopping = stopping
        self.run = run

    async def act(
        self, action: Action, parsed: ParsedReply, style: Style
    ) -> tuple[Observation, ObservationStep]:
        """Run the action: its observation, and the step that tells the model."""
        started = time.time()
        result = self.redacted(await self.execute(action))
        options = self.options
        formatted = format_observation(
            result,
            max_chars=options.max_observation_chars,
            timeout=options.cell_timeout,
            include_images=options.include_images,
        )
        if parsed.ignored_solution:
            formatted.text += "\n" + IGNORED_SOLUTION_NOTE
        cell, replaced = "", False
        if options.cells:
            cell, replaced = await asyncio.to_thread(self.cells.record, action, result)
            if note := self.cells.note(cell, replaced, action):
                formatted.text += "\n" + style.words(note)
            if result.status == "refused":  # the host would not change the cell it named
                formatted.text += "\n" + style.words(REFUSED_BY_HOST)
        ran = result.code or action.code
        if ran != action.code and ran != options.redactor.redact(action.code):
            formatted.text = (
                f"The user edited the code before running it; what ran was:\n{ran}\n\n"
                f"{formatted.text}"
            )
        observation = Observation(
            turn=action.turn,
            action_id=action.action_id,
            status=result.status,
            text=formatted.text,
            code=ran,
            outputs=result.outputs,
            execution_count=result.execution_count,
            cell=cell,
            replaced=replaced,
        )
        step = self.step(action, parsed, style, formatted, observation, started)
        return observation, step

    def refused(
        self, action: Action, parsed: ParsedReply, style: Style, reason: str
    ) -> tuple[Observation, ObservationStep]:
        """The observation of an action the cell rule refused: nothing ran."""
        result = self.redacted(ExecutionResult(status="refused", code=action.code, note=reason))
        formatted = format_observation(result, max_chars=self.options.max_observation_chars)
        observation = Observation(
            turn=action.turn,
            action_id=action.action_id,
            status="refused",
            text=formatted.text,
            code=result.code,
        )
        return observation, self.step(action, parsed, style, formatted, observation, time.time())

    def step(
        self,
        action: Action,
        parsed: ParsedReply,
        style: Style,
        formatted: FormattedObservation,
        observation: Observation,
        started: float,
    ) -> ObservationStep:
        redact = self.options.redactor.redact_value
        cell = self.cells.get(observation.cell) if observation.cell else None
        failure = cell.failure if cell is not None else None
        return ObservationStep(
            messages=[redact(m) for m in style.observation_messages(parsed, formatted)],
            turn=action.turn,
            started=started,
            duration=time.time() - started,
            action_id=action.action_id,
            status=observation.status,
            code=observation.code,
            cell=observation.cell,
            replaced=observation.replaced,
            keeps=action.keeps,
            trim_to=action.trim_to,
            failure=dataclasses.asdict(failure) if failure is not None else None,
        )

    def redacted(self, result: ExecutionResult) -> ExecutionResult:
        """The result with secrets out of its outputs, code and note, before the model or
        any host sees it."""
        redactor = self.options.redactor
        if not redactor:
            return result
        return dataclasses.replace(
            result,
            outputs=redactor.redact_value(result.outputs),
            code=redactor.redact(result.code),
            note=redactor.redact(result.note),
        )

    async def execute(self, action: Action) -> ExecutionResult:
        """Run the action; a stop interrupts it, and so does its deadline, in one
        escalation (:meth:`.Stopping.interruptible`)."""
        if self.stopping.requested:
            # Stopped after the reply was complete but before its code went out: never send it.
            return ExecutionResult(status="skipped", code=action.code, note=STOPPED_BEFORE_RUN)
        timeout = self.options.cell_timeout
        if self.run is None:  # an executor that takes no per-run value need not know `run`
            running = self.executor.execute(action.code, timeout=timeout, action=action)
        else:
            running = self.executor.execute(
                action.code, timeout=timeout, action=action, run=self.run
            )
        return await self.stopping.interruptible(
            running,
            self.executor.interrupt,
            grace=self.options.interrupt_grace,
            gave_up=lambda: ExecutionResult(status="interrupted", code=action.code, note=GAVE_UP),
        )
