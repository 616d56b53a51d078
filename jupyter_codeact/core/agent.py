"""The CodeAct loop: ask the model, run its code, show it the outputs, until it answers.

One loop for every action style (:mod:`.styles`): the style decides what the request
offers and how replies and observations are shaped as messages; the executor, the
observation's text and the reasoning stream are the same. Before each request the
conversation is condensed to fit the model's context window (:mod:`.condense`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .actions import ActionFormat, CodeActions, ParsedReply
from .cells import CellBook, Placement, Refusal
from .code_tool import CallFormat, CodeTool
from .condense import Condenser
from .events import (
    Action,
    AnyEvent,
    AssistantMessage,
    Condensed,
    Done,
    Error,
    FinalAnswer,
    Observation,
    Retry,
    Thinking,
    Usage,
)
from .executor import ExecutionResult, Executor, ExecutorError
from .llm import LLM, ContextOverflow, LLMError, Message, Prompt, TokenUsage, ToolsRefused
from .observation import format_observation
from .prompts import (
    ACTION_NOT_RUN,
    CELLS_GUIDE,
    DEFAULT_SYSTEM_PROMPT,
    FIX_USER_CELL,
    IGNORED_SOLUTION_NOTE,
    REFUSED_BY_HOST,
    STOPPED_BEFORE_RUN,
    user_message_with_context,
)
from .redact import Redactor
from .reply_stream import ReplyStream
from .styles import ActionStyle, Style, TextStyle, ToolStyle, answer_open_calls

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentOptions:
    """How one agent behaves; hosts build it from the ``CodeAct`` configuration."""

    max_turns: int = 10
    """Model replies allowed per user message."""
    cell_timeout: float | None = 120.0
    """Seconds an action may run before it is interrupted (None: no limit)."""
    max_observation_chars: int = 8000
    """Bound on the text of one observation (head and tail are kept)."""
    token_budget: int | None = None
    """Tokens (prompt + completion) one run may use (None: no limit)."""
    include_images: bool = False
    """Send images from outputs to the model (for vision-capable models)."""
    require_solution: bool = True
    """True: a reply without code or ``<solution>`` is nudged and the loop goes on
    (headless runs). False: such a reply is the answer to the user (chat hosts). In the
    tools style a reply without a call is the answer either way."""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    """The system prompt, as written for the tags style (the tools style rewrites the
    built-in instructions on how to act, :func:`~.prompts.tools_system_prompt`)."""
    stream_retries: int = 2
    """Times a reply whose stream broke mid-way is requested again."""
    interrupt_grace: float = 10.0
    """Seconds to wait for an interrupted action to come back before giving up on it."""
    action_style: ActionStyle = "tags"
    """How the model acts: ``tags`` (code in ``<execute>``), ``tools`` (native tool calls
    with one function whose argument is the code), ``auto`` (tools where the endpoint takes
    them for this model, learned once, else tags)."""
    action_format: ActionFormat | CallFormat | None = None
    """A format of the host's own instead of the style's (the evaluation harness's JSON,
    text and native tool calls): a text format (``parse``) or a native one (``tools`` and
    ``action``)."""
    condense_at: float = 0.75
    """Share of the context window past which older steps are condensed for the model."""
    cells: bool = False
    """The host keeps each action as a cell (the notebook, the magic's ``--insert``): the
    model learns cell ids, a fix replaces the failed cell, earlier cells can be revised
    (the rule is :mod:`.cells`)."""
    replace_failed: bool = True
    """With ``cells``: the action after a failed one replaces the failed cell (rule 3)."""
    redactor: Redactor = field(default_factory=Redactor)
    """Secrets and patterns replaced by ``[redacted]`` in everything the model reads and
    every event (the code of an action still runs as written)."""


class _Stopped(Exception):
    """Internal: the host asked the run to stop."""


_END = object()


def _is_call_format(format: object) -> bool:
    return callable(getattr(format, "action", None)) and hasattr(format, "tools")


class Agent:
    """One conversation with the model, acting through one executor.

    ``run`` may be called again with a follow-up message: the conversation (and the
    executor's state) carry over, as in a chat.
    """

    def __init__(
        self,
        llm: LLM,
        executor: Executor,
        options: AgentOptions | None = None,
        *,
        history: list[Message] | None = None,
        turn: int = 0,
        cells: CellBook | None = None,
    ) -> None:
        self.llm = llm
        self.executor = executor
        self.options = options or AgentOptions()
        redactor = self.options.redactor
        self.messages: list[Message] = [redactor.redact_value(m) for m in history or ()] or [
            {"role": "system", "content": ""}
        ]
        self.cells = cells or CellBook()
        """The cells this conversation made and may change (with ``options.cells``)."""
        self.turn = turn
        """Turns taken in this conversation (across runs); event turns count from here."""
        self._styles: dict[str, Style] = {}
        self._styles_of = self.options
        self._style = self._current_style()
        self._set_system_prompt(self._style)
        self._condenser = Condenser(self.messages, trigger=self.options.condense_at)
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def action_style(self) -> str:
        """The style of the last request (``tags`` or ``tools``), for hosts' records."""
        return self._style.name

    @property
    def offered_tools(self) -> list[dict[str, Any]]:
        """The functions the last request offered (none in the tags style), for records
        that a trainer reads with the messages."""
        return [dict(tool) for tool in self._style.tools]

    def use_system_prompt(self, prompt: str) -> None:
        """Send ``prompt`` as the system prompt from the next request on (a host's tools or
        rules changed between runs); the rest of the conversation is kept. It is written as
        for the tags style; the tools style rewrites its instructions on how to act."""
        self.options = dataclasses.replace(self.options, system_prompt=prompt)
        if not self.messages or self.messages[0].get("role") != "system":
            self.messages.insert(0, {"role": "system", "content": ""})
        self._set_system_prompt(self._style)

    def stop(self) -> None:
        """Stop the current run: cancel the LLM stream, interrupt a running action.

        Call it from the event loop's thread (``loop.call_soon_threadsafe`` otherwise).
        """
        if not self._running or self._stop.is_set():
            return
        self._stop.set()
        for task in list(self._tasks):
            task.cancel()

    async def run(
        self, message: str, *, context: str | None = None, user_cell: str = ""
    ) -> AsyncIterator[AnyEvent]:
        """Answer ``message``; yields events, always ending with :class:`Done`.

        ``user_cell`` is the id of a cell of the user's that this request is about (Fix the
        Error): with ``options.cells``, the model may propose a change to it.
        """
        if self._running:
            raise RuntimeError("This agent is already running; stop it or wait for it to finish.")
        self._running = True
        self._stop = asyncio.Event()
        if self.options is not self._styles_of:  # a host changed the options between runs
            self._styles, self._styles_of = {}, self.options
            self._condenser.trigger = self.options.condense_at
        self._style = self._current_style()
        self._set_system_prompt(self._style)
        answer_open_calls(self.messages, ACTION_NOT_RUN)
        if self.options.cells:
            self.cells.replace_failed = self.options.replace_failed
            self.cells.begin(user_cell=user_cell)
            if user_cell:
                fix = self._style.words(FIX_USER_CELL.format(id=user_cell))
                message = f"{message}\n\n{fix}"
        redact = self.options.redactor.redact
        self.messages.append(
            {
                "role": "user",
                "content": redact(user_message_with_context(message, context)),
            }
        )
        try:
            async for event in self._loop():
                yield self.options.redactor.redact_fields(event)
        finally:
            self._running = False
            for task in list(self._tasks):
                task.cancel()

    # -- the style ---------------------------------------------------------------------------
    def _current_style(self) -> Style:
        """The style for the next request: the host's format, or the configured style
        (``auto`` resolved by what the endpoint is known to accept)."""
        options = self.options
        if options.action_format is not None:
            key = "format"
        elif options.action_style == "auto":
            key = "tags" if self.llm.quirks.tools is False else "auto-tools"
        else:
            key = options.action_style
        if key not in self._styles:
            self._styles[key] = self._make_style(key)
        return self._styles[key]

    def _make_style(self, key: str) -> Style:
        custom = self.options.action_format
        if key == "format" and custom is not None:
            if _is_call_format(custom):
                return ToolStyle(custom)  # type: ignore[arg-type]
            return TextStyle(custom)  # type: ignore[arg-type]
        if key == "tags":
            return TextStyle(CodeActions())
        code_tool = CodeTool(cell_targeting=self.options.cells)
        return ToolStyle(code_tool, text_fallback=key == "auto-tools")

    def _set_system_prompt(self, style: Style) -> None:
        """The system message says how to act in ``style`` (and follows the settings)."""
        prompt = style.system_prompt(self.options.system_prompt)
        if self.options.cells:  # how cells work, where the host keeps actions as cells
            prompt = prompt.rstrip("\n") + "\n" + style.words(CELLS_GUIDE)
        content = self.options.redactor.redact(prompt)
        first = self.messages[0]
        if first.get("role") == "system" and first.get("content") != content:
            self.messages[0] = {"role": "system", "content": content}

    def _switch_style(self) -> bool:
        """After the endpoint refused native tools: the style ``auto`` falls back to.
        False when there is no other style to take (tools were asked for explicitly)."""
        style = self._current_style()
        if style is self._style:
            return False
        self._style = style
        self._set_system_prompt(style)
        return True

    # -- the loop ----------------------------------------------------------------------------
    async def _loop(self) -> AsyncIterator[AnyEvent]:
        options = self.options
        total_tokens = 0
        for turns in range(1, options.max_turns + 1):
            if self._stop.is_set():  # stopped between turns, with nothing to cancel
                yield self._cancelled(self.turn, turns - 1, total_tokens, "between two steps")
                return
            self.turn += 1
            turn = self.turn
            if self._over_budget(total_tokens):
                yield self._budget_spent(turn, turns - 1, total_tokens)
                return
            stream = ReplyStream(turn, options.redactor)
            prompts: list[Prompt] = []
            try:
                async for event in self._ask(turn, stream, prompts):
                    yield event
            except _Stopped:
                yield self._cancelled(turn, turns, total_tokens, "while the model was replying")
                return
            except LLMError as error:
                yield Error(turn=turn, kind=error.kind, message=error.message)
                yield Done(
                    turn=turn,
                    reason="error",
                    detail=error.message,
                    turns=turns,
                    total_tokens=total_tokens,
                )
                return
            style = self._style
            parsed = style.read(stream.reply())
            self._learn_from(style, parsed)
            if parsed.reasoning:
                # Reasoning the stream could not tell apart (not at the start of the reply).
                yield Thinking(turn=turn, text=parsed.reasoning)
            yield AssistantMessage(turn=turn, text=parsed.text)
            usage = self._usage(stream.usage, prompts[-1], stream.reply().text)
            total_tokens += usage.total_tokens
            yield Usage(
                turn=turn,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
                run_total_tokens=total_tokens,
                estimated=stream.usage is None,
            )
            self._record(style.assistant_message(parsed))
            if parsed.code is not None:
                place: Placement | Refusal = Placement("")
                if options.cells:  # reads the cells' code with ast: not on the event loop
                    place = await asyncio.to_thread(
                        self.cells.place, parsed.attributes, parsed.code
                    )
                action = _action(turn, parsed, place)
                yield action
                if isinstance(place, Refusal):
                    yield self._refused(action, parsed, style, style.words(place.message))
                    continue
                try:
                    yield await self._act(action, parsed, style)
                except _Stopped as stopped:
                    yield from_stopped(stopped)
                    yield self._cancelled(turn, turns, total_tokens, "while an action was running")
                    return
                except ExecutorError as error:
                    yield Error(turn=turn, kind="executor", message=str(error))
                    yield Done(
                        turn=turn,
                        reason="error",
                        detail=str(error),
                        turns=turns,
                        total_tokens=total_tokens,
                    )
                    return
                continue
            answer = parsed.solution
            if answer is None and not options.require_solution and not parsed.problem:
                answer = parsed.text.strip()
            if answer is not None:
                yield FinalAnswer(turn=turn, answer=answer)
                yield Done(turn=turn, reason="answered", turns=turns, total_tokens=total_tokens)
                return
            self._record(*style.problem_messages(parsed, parsed.problem or style.no_action_nudge))
        if self._over_budget(total_tokens):
            # The budget ran out on the last turn: that, not the turn count, is what to raise.
            yield self._budget_spent(self.turn, options.max_turns, total_tokens)
            return
        yield Done(
            turn=self.turn,
            reason="max_turns",
            detail=f"The model gave no answer within {options.max_turns} turns.",
            turns=options.max_turns,
            total_tokens=total_tokens,
        )

    def _record(self, *messages: Message) -> None:
        """Add to the conversation (redacted: the model never reads a secret back)."""
        self.messages.extend(self.options.redactor.redact_value(m) for m in messages)

    def _learn_from(self, style: Style, parsed: ParsedReply) -> None:
        quirks = self.llm.quirks
        if parsed.tool_calls:
            quirks.tools_work()
        elif (
            isinstance(style, ToolStyle)
            and style.text_fallback
            and style.wrote_call_in_text(parsed)
        ):
            # It was run as written; from the next request on, this model acts through tags.
            quirks.refuse_tools("the model wrote its tool call in the reply's text")
            self._switch_style()

    def _usage(self, reported: TokenUsage | None, prompt: Prompt, reply: str) -> TokenUsage:
        if reported is None:  # about four bytes a token, for endpoints that report none
            return TokenUsage(prompt_tokens=prompt.size // 4, completion_tokens=len(reply) // 4)
        self.llm.quirks.calibrate(prompt.size, reported.prompt_tokens)
        return reported

    def _over_budget(self, total_tokens: int) -> bool:
        budget = self.options.token_budget
        return budget is not None and 0 < budget <= total_tokens

    def _budget_spent(self, turn: int, turns: int, total_tokens: int) -> Done:
        return Done(
            turn=turn,
            reason="token_budget",
            detail=f"The run used {total_tokens:,} tokens, over its budget of "
            f"{self.options.token_budget:,}.",
            turns=turns,
            total_tokens=total_tokens,
        )

    def _cancelled(self, turn: int, turns: int, total_tokens: int, when: str) -> Done:
        return Done(
            turn=turn,
            reason="cancelled",
            detail=f"Stopped by the user {when}.",
            turns=turns,
            total_tokens=total_tokens,
        )

    async def _ask(
        self, turn: int, stream: ReplyStream, prompts: list[Prompt]
    ) -> AsyncIterator[AnyEvent]:
        """Stream one reply into ``stream``: retry a stream that broke mid-way, fall back to
        tags where the endpoint refuses tools (style ``auto``), and condense harder once
        where it refuses the prompt as too long. ``prompts`` gets each prompt sent."""
        attempt, fell_back, condensed_harder = 0, False, False
        prompt = None
        while True:
            if prompt is None:
                prompt, condensed = await self._prompt(turn, retry=condensed_harder)
                if condensed is not None:
                    yield condensed
            prompts.append(prompt)
            stream.reset(self._style.streamed_argument)
            try:
                async for chunk in self._cancellable_iter(self.llm.stream(prompt)):
                    for event in stream.feed(chunk):
                        yield event
                for event in stream.finish():
                    yield event
                return
            except ToolsRefused:
                if fell_back or not self._switch_style():
                    raise
                fell_back, prompt = True, None
            except ContextOverflow as error:
                if condensed_harder:
                    raise
                condensed_harder, prompt = True, None
                if error.overflow.prompt_tokens:
                    self.llm.quirks.calibrate(prompts[-1].size, error.overflow.prompt_tokens)
                self._condenser.harder()
            except LLMError as error:
                if not error.retryable or attempt == self.options.stream_retries:
                    raise
                attempt += 1
                yield Retry(turn=turn, reason=error.message, attempt=attempt)

    async def _prompt(self, turn: int, *, retry: bool) -> tuple[Prompt, Condensed | None]:
        """The prompt for this request, condensed to the window if need be."""
        window = await self._cancellable(self.llm.context_window())
        style = self._style
        prompt, condensing = self._condenser.prompt(
            window=window, tokens_per_byte=self.llm.quirks.tokens_per_byte, tools=style.tools
        )
        if not condensing.changed and not retry:
            return prompt, None
        event = Condensed(
            turn=turn,
            steps=condensing.steps,
            prompt_tokens=condensing.prompt_tokens,
            window=window,
            retry=retry,
        )
        return prompt, event

    async def _cancellable(self, awaitable: Awaitable[T]) -> T:
        """Await in a task of its own so that :meth:`stop` can cancel it."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if task.cancelled() and self._stop.is_set():
                raise _Stopped() from None
            raise
        finally:
            self._tasks.discard(task)

    async def _cancellable_iter(self, source: AsyncIterator[T]) -> AsyncIterator[T]:
        """Iterate ``source`` in a task of its own so that :meth:`stop` can cancel it."""
        queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for item in source:
                    queue.put_nowait((item, None))
            except BaseException as error:  # the consumer re-raises it, cancellation included
                queue.put_nowait((_END, error))
            else:
                queue.put_nowait((_END, None))

        def unstarted(task: asyncio.Future[None]) -> None:
            # A Stop can cancel the task before pump() first runs: then nothing else would
            # ever reach the queue.
            if task.cancelled():
                queue.put_nowait((_END, asyncio.CancelledError()))

        task = asyncio.ensure_future(pump())
        task.add_done_callback(unstarted)
        self._tasks.add(task)
        try:
            while True:
                item, error = await queue.get()
                if item is _END:
                    if isinstance(error, asyncio.CancelledError) and self._stop.is_set():
                        raise _Stopped()
                    if error is not None:
                        raise error
                    return
                yield item
        finally:
            self._tasks.discard(task)
            task.cancel()

    async def _act(self, action: Action, parsed: ParsedReply, style: Style) -> Observation:
        """Run the action; return its observation (and record it for the model).

        Raises :class:`_Stopped` carrying the observation when the user stopped the run
        while the action was running: the model still learns what happened.
        """
        result = self._redacted(await self._execute(action))
        formatted = format_observation(
            result,
            max_chars=self.options.max_observation_chars,
            timeout=self.options.cell_timeout,
            include_images=self.options.include_images,
        )
        if parsed.ignored_solution:
            formatted.text += "\n" + IGNORED_SOLUTION_NOTE
        cell, replaced = "", False
        if self.options.cells:
            cell, replaced = await asyncio.to_thread(self.cells.record, action, result)
            if note := self.cells.note(cell, replaced, action):
                formatted.text += "\n" + style.words(note)
            if result.status == "refused":  # the host would not change the cell it named
                formatted.text += "\n" + style.words(REFUSED_BY_HOST)
        ran = result.code or action.code
        if ran != action.code and ran != self.options.redactor.redact(action.code):
            formatted.text = (
                f"The user edited the code before running it; what ran was:\n{ran}\n\n"
                f"{formatted.text}"
            )
        self._record(*style.observation_messages(parsed, formatted))
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
        if self._stop.is_set():
            raise _Stopped(observation)
        return observation

    def _refused(
        self, action: Action, parsed: ParsedReply, style: Style, reason: str
    ) -> Observation:
        """The observation of an action the cell rule refused: nothing ran."""
        result = self._redacted(ExecutionResult(status="refused", code=action.code, note=reason))
        formatted = format_observation(result, max_chars=self.options.max_observation_chars)
        self._record(*style.observation_messages(parsed, formatted))
        return Observation(
            turn=action.turn,
            action_id=action.action_id,
            status="refused",
            text=formatted.text,
            code=result.code,
        )

    def _redacted(self, result: ExecutionResult) -> ExecutionResult:
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

    async def _execute(self, action: Action) -> ExecutionResult:
        """Run the action; on :meth:`stop`, interrupt it and wait (a while) for its outputs."""
        if self._stop.is_set():
            # Stopped after the reply was complete but before its code went out: never send it.
            return ExecutionResult(status="skipped", code=action.code, note=STOPPED_BEFORE_RUN)
        task = asyncio.ensure_future(
            self.executor.execute(action.code, timeout=self.options.cell_timeout, action=action)
        )
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            # A kernel can miss an interrupt (one landing in its own I/O code is swallowed),
            # so ask twice before giving up on the action.
            for _ in range(2):
                if task.done():
                    break
                try:
                    await self.executor.interrupt()
                except Exception:
                    log.exception("interrupting the executor failed")
                await asyncio.wait({task}, timeout=self.options.interrupt_grace / 2)
            if not task.done():
                task.cancel()
                return ExecutionResult(
                    status="interrupted",
                    code=action.code,
                    note="The action did not stop when interrupted; its outcome is unknown.",
                )
            return task.result()
        except asyncio.CancelledError:
            # The run itself was cancelled (its host is shutting down): the code must not go
            # on running unobserved.
            task.cancel()
            _background(self.executor.interrupt())
            raise
        finally:
            stopped.cancel()


_BACKGROUND: set[asyncio.Future[Any]] = set()


def _background(awaitable: Any) -> None:
    """Run ``awaitable`` to its end without anyone awaiting it (kept referenced, errors logged)."""
    future = asyncio.ensure_future(awaitable)
    _BACKGROUND.add(future)

    def done(future: asyncio.Future[Any]) -> None:
        _BACKGROUND.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("background interrupt failed: %s", future.exception())

    future.add_done_callback(done)


def _action(turn: int, parsed: ParsedReply, place: Placement | Refusal) -> Action:
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


def from_stopped(stopped: _Stopped) -> Observation:
    observation = stopped.args[0]
    assert isinstance(observation, Observation)
    return observation
