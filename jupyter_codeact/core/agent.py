"""The CodeAct loop: ask the model, run its code, show it the outputs, until it answers.

One loop for every action style (:mod:`.styles`, picked by :mod:`.style_choice`): the
style decides what the request offers and how replies and observations are shaped as
messages; the executor, the observation's text and the reasoning stream are the same.
What happens is recorded as typed steps (:mod:`.steps`), which the model reads as
messages; before each request they are condensed to fit its context window
(:mod:`.condense`). Running an action is :mod:`.acting`'s, stopping :mod:`.stopping`'s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

from .acting import Acting, make_action
from .actions import ParsedReply
from .cells import CellBook, Placement, Refusal
from .condense import Condenser
from .endings import budget_spent, cancelled, done, over_budget
from .events import (
    AnyEvent,
    AssistantMessage,
    Condensed,
    Error,
    FinalAnswer,
    Retry,
    Thinking,
    Usage,
)
from .executor import Executor, ExecutorError
from .legacy import conversation_of
from .llm import LLM, ContextOverflow, LLMError, Message, Prompt, TokenUsage, ToolsRefused
from .options import AgentOptions, RunOptions
from .prompts import ACTION_NOT_RUN, FIX_USER_CELL, user_message_with_context
from .reply_stream import ReplyStream
from .steps import AnswerStep, CondensedStep, Conversation, NoteStep, ReplyStep, RequestStep
from .stopping import Stopped, Stopping
from .style_choice import Styles, system_prompt
from .styles import Style, ToolStyle

__all__ = ["Agent", "AgentOptions", "RunOptions"]


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
        history: Conversation | list[Message] | None = None,
        turn: int = 0,
        cells: CellBook | None = None,
    ) -> None:
        """``history`` is a conversation to go on with (bare messages: one saved before
        steps were recorded)."""
        self.llm = llm
        self.executor = executor
        self.options = options or AgentOptions()
        """As built; a run may bring its own (:attr:`RunOptions.settings`)."""
        redactor = self.options.redactor
        if isinstance(history, Conversation):
            self.conversation = history
        else:
            self.conversation = conversation_of([redactor.redact_value(m) for m in history or ()])
        self.cells = cells or CellBook()
        """The cells this conversation made and may change (with ``options.cells``)."""
        self.turn = turn
        """Turns taken in this conversation (across runs); event turns count from here."""
        self._styles = Styles()
        self._style = self._styles.pick(self.options, llm)
        self._set_system_prompt()
        self._condenser = Condenser(self.conversation, trigger=self.options.condense_at)
        self._stopping = Stopping()
        self._running = False

    @property
    def messages(self) -> list[Message]:
        """What the model is sent, as the steps render it (system prompt first)."""
        return self.conversation.messages

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
        self._set_system_prompt()

    def stop(self) -> None:
        """Stop the current run: cancel the LLM stream, interrupt a running action.

        Call it from the event loop's thread (``loop.call_soon_threadsafe`` otherwise).
        """
        if self._running:
            self._stopping.stop()

    async def run(
        self,
        message: str,
        options: RunOptions | None = None,
        *,
        context: str | None = None,
        user_cell: str = "",
    ) -> AsyncIterator[AnyEvent]:
        """Answer ``message``; yields events, always ending with :class:`Done`.

        ``options`` are this run's choices; ``context`` and ``user_cell`` are shorthands
        for theirs (see :class:`RunOptions`).
        """
        if self._running:
            raise RuntimeError("This agent is already running; stop it or wait for it to finish.")
        run = options or RunOptions(context=context, user_cell=user_cell)
        self._running = True
        self._stopping.begin()
        settings = self._settings_for(run)
        self._condenser.trigger = settings.condense_at
        self._style = self._styles.pick(settings, self.llm)
        self._set_system_prompt(settings)
        self.conversation.answer_open_action(ACTION_NOT_RUN)
        text = message
        if settings.cells:
            self.cells.replace_failed = settings.replace_failed
            self.cells.begin(user_cell=run.user_cell)
            if run.user_cell:
                fix = self._style.words(FIX_USER_CELL.format(id=run.user_cell))
                text = f"{message}\n\n{fix}"
        redactor = settings.redactor
        content = redactor.redact(user_message_with_context(text, run.context))
        self.conversation.add(
            RequestStep(
                messages=[{"role": "user", "content": content}],
                turn=self.turn,
                text=redactor.redact(message),
                context=redactor.redact(run.context) if run.context else run.context,
                user_cell=run.user_cell,
            )
        )
        acting = Acting(settings, self.executor, self.cells, self._stopping, run.executor)
        try:
            async for event in self._loop(settings, acting):
                yield redactor.redact_fields(event)
        finally:
            self._running = False
            self._stopping.cancel()

    def _settings_for(self, run: RunOptions) -> AgentOptions:
        """The options this run behaves by: the agent's (or the run's newer ones), with
        the run's choices."""
        settings = run.settings or self.options
        if run.settings is not None:  # the host's configuration changed: from now on
            prompt = self.options.system_prompt  # the host's tools and rules, as last said
            self.options = dataclasses.replace(run.settings, system_prompt=prompt)
            settings = self.options
        changes: dict[str, Any] = {}
        if run.action_style is not None:
            changes["action_style"] = run.action_style
        if run.replace_failed is not None:
            changes["replace_failed"] = run.replace_failed
        return dataclasses.replace(settings, **changes) if changes else settings

    # -- the style ---------------------------------------------------------------------------
    def _set_system_prompt(self, settings: AgentOptions | None = None) -> None:
        """The system message says how to act in the current style."""
        self.conversation.set_system(system_prompt(self._style, settings or self.options))

    def _switch_style(self, settings: AgentOptions) -> bool:
        """After the endpoint refused native tools: the style ``auto`` falls back to.
        False when there is no other style to take (tools were asked for explicitly)."""
        style = self._styles.pick(settings, self.llm)
        if style is self._style:
            return False
        self._style = style
        self._set_system_prompt(settings)
        return True

    # -- the loop ----------------------------------------------------------------------------
    async def _loop(self, options: AgentOptions, acting: Acting) -> AsyncIterator[AnyEvent]:
        total_tokens = 0
        conversation = self.conversation
        for turns in range(1, options.max_turns + 1):
            if self._stopping.requested:  # stopped between turns, with nothing to cancel
                yield cancelled(self.turn, turns - 1, total_tokens, "between two steps")
                return
            self.turn += 1
            turn = self.turn
            if over_budget(options, total_tokens):
                yield budget_spent(options, turn, turns - 1, total_tokens)
                return
            stream = ReplyStream(turn, options.redactor)
            prompts: list[Prompt] = []
            started = time.time()
            try:
                async for event in self._ask(options, turn, stream, prompts):
                    yield event
            except Stopped:
                yield cancelled(turn, turns, total_tokens, "while the model was replying")
                return
            except LLMError as error:
                yield Error(turn=turn, kind=error.kind, message=error.message)
                yield done(turn, "error", turns, total_tokens, error.message)
                return
            style = self._style
            parsed = style.read(stream.reply())
            self._learn_from(options, style, parsed)
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
            reply = self._reply_step(options, style, parsed, stream, usage, turn, started)
            conversation.add(reply)
            if parsed.code is not None:
                place: Placement | Refusal = Placement("")
                if options.cells:  # reads the cells' code with ast: not on the event loop
                    place = await asyncio.to_thread(
                        self.cells.place, parsed.attributes, parsed.code
                    )
                action = make_action(turn, parsed, place)
                reply.action_id = action.action_id
                yield action
                if isinstance(place, Refusal):
                    observation, step = acting.refused(
                        action, parsed, style, style.words(place.message)
                    )
                    conversation.add(step)
                    yield observation
                    continue
                try:
                    observation, step = await acting.act(action, parsed, style)
                except ExecutorError as error:
                    yield Error(turn=turn, kind="executor", message=str(error))
                    yield done(turn, "error", turns, total_tokens, str(error))
                    return
                conversation.add(step)
                yield observation
                if self._stopping.requested:
                    yield cancelled(turn, turns, total_tokens, "while an action was running")
                    return
                continue
            answer = parsed.solution
            if answer is None and not options.require_solution and not parsed.problem:
                answer = parsed.text.strip()
            if answer is not None:
                conversation.add(AnswerStep(turn=turn, answer=answer))
                yield FinalAnswer(turn=turn, answer=answer)
                yield done(turn, "answered", turns, total_tokens)
                return
            nudge = style.problem_messages(parsed, parsed.problem or style.no_action_nudge)
            redact = options.redactor.redact_value
            conversation.add(NoteStep(messages=[redact(m) for m in nudge], turn=turn))
        if over_budget(options, total_tokens):
            # The budget ran out on the last turn: that, not the turn count, is what to raise.
            yield budget_spent(options, self.turn, options.max_turns, total_tokens)
            return
        detail = f"The model gave no answer within {options.max_turns} turns."
        yield done(self.turn, "max_turns", options.max_turns, total_tokens, detail)

    def _reply_step(
        self,
        options: AgentOptions,
        style: Style,
        parsed: ParsedReply,
        stream: ReplyStream,
        usage: TokenUsage,
        turn: int,
        started: float,
    ) -> ReplyStep:
        """The reply as a step (redacted: the model never reads a secret back)."""
        redactor = options.redactor
        return ReplyStep(
            messages=[redactor.redact_value(style.assistant_message(parsed))],
            turn=turn,
            started=started,
            duration=time.time() - started,
            text=redactor.redact(parsed.text),
            reasoning=redactor.redact(
                "\n".join(filter(None, [stream.reasoning, parsed.reasoning]))
            ),
            code=parsed.code,
            acted=parsed.code is not None or bool(parsed.tool_calls),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            estimated=stream.usage is None,
        )

    def _learn_from(self, options: AgentOptions, style: Style, parsed: ParsedReply) -> None:
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
            self._switch_style(options)

    def _usage(self, reported: TokenUsage | None, prompt: Prompt, reply: str) -> TokenUsage:
        if reported is None:  # about four bytes a token, for endpoints that report none
            return TokenUsage(prompt_tokens=prompt.size // 4, completion_tokens=len(reply) // 4)
        self.llm.quirks.calibrate(prompt.size, reported.prompt_tokens)
        return reported

    async def _ask(
        self, options: AgentOptions, turn: int, stream: ReplyStream, prompts: list[Prompt]
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
                async for chunk in self._stopping.each(self.llm.stream(prompt)):
                    for event in stream.feed(chunk):
                        yield event
                for event in stream.finish():
                    yield event
                return
            except ToolsRefused:
                if fell_back or not self._switch_style(options):
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
                if not error.retryable or attempt == options.stream_retries:
                    raise
                attempt += 1
                yield Retry(turn=turn, reason=error.message, attempt=attempt)

    async def _prompt(self, turn: int, *, retry: bool) -> tuple[Prompt, Condensed | None]:
        """The prompt for this request, condensed to the window if need be."""
        window = await self._stopping.call(self.llm.context_window())
        prompt, condensing = self._condenser.prompt(
            window=window, tokens_per_byte=self.llm.quirks.tokens_per_byte, tools=self._style.tools
        )
        if not condensing.changed and not retry:
            return prompt, None
        marks: dict[str, Any] = {
            "turn": turn,
            "steps": condensing.steps,
            "prompt_tokens": condensing.prompt_tokens,
            "window": window,
            "retry": retry,
        }
        self.conversation.add(CondensedStep(**marks))
        event = Condensed(**marks)
        return prompt, event
