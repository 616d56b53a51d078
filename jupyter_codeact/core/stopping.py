"""Stopping a run, and interrupting an action: the one place that knows how.

:class:`Stopping` belongs to one agent. While a run goes on, everything it waits for (the
model's stream, the context window's size, an action) is awaited through it, so that
:meth:`Stopping.stop` reaches whatever it waits for at that moment: a wait on the model is
cancelled, and the run learns it as :class:`Stopped`; a running action is interrupted.

Interrupting an action is :class:`Escalation`'s, written once for both of its causes: a
user's stop, and the action's deadline (``cell_timeout``, kept by the executor, which
knows when the code starts: an approval is not part of it). Either begins it: the code is
interrupted, interrupted again half the grace later (a kernel can swallow one interrupt in
its own I/O code), and given up on when the grace has run out. Whatever comes second joins
the escalation under way, so a stop during a deadline's escalation waits out the same
grace, never a second one. An agent's action carries its escalation (with the agent's
``interrupt_grace``) to the executor as :func:`Escalation.current`; an executor used on its
own makes one with its own grace. Giving up is the owner's: after a deadline the executor
makes itself usable again (a kernel is restarted, and the result says so); after a stop the
action's outcome is unknown.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

Cause = Literal["deadline", "stop"]

INTERRUPT_GRACE = 10.0
"""Seconds an interrupted action has to come back before it is given up on (the default
of :attr:`~.options.AgentOptions.interrupt_grace` and of the kernel executor's)."""

GAVE_UP = "The action did not stop when interrupted; its outcome is unknown."

_CURRENT: contextvars.ContextVar[Escalation | None] = contextvars.ContextVar(
    "codeact_escalation", default=None
)


class Stopped(Exception):
    """The host asked the run to stop; ``args[0]`` may carry what the run had seen."""


class Escalation:
    """The interrupting of one action: begun by its deadline or by a stop, whichever comes
    first; ``interrupt()`` twice within ``grace`` seconds, then given up on."""

    def __init__(self, interrupt: Callable[[], Awaitable[None]], grace: float) -> None:
        self.grace = grace
        self.cause: Cause | None = None
        """What began it (None: nothing yet)."""
        self.stopped = False
        """A stop came (first, or during a deadline's escalation)."""
        self._interrupt = interrupt
        self._task: asyncio.Task[None] | None = None
        self._expired = asyncio.Event()
        self._on_expiry: list[Callable[[], None]] = []

    @staticmethod
    def current() -> Escalation | None:
        """The escalation of the action being run in this task, if its caller keeps one."""
        return _CURRENT.get()

    @property
    def expired(self) -> bool:
        """The grace ran out: the action is to be given up on."""
        return self._expired.is_set()

    def begin(self, cause: Cause) -> None:
        """Start interrupting (once: a second cause joins the escalation under way)."""
        if cause == "stop":
            self.stopped = True
        if self._task is None:
            self.cause = cause
            self._task = asyncio.ensure_future(self._escalate())

    async def _escalate(self) -> None:
        for _ in range(2):
            try:
                await self._interrupt()
            except Exception:
                log.exception("interrupting the action failed")
            await asyncio.sleep(self.grace / 2)
        self._expired.set()
        for callback in list(self._on_expiry):
            callback()

    def on_expiry(self, callback: Callable[[], None], *, add: bool = True) -> None:
        """Call ``callback`` when the grace runs out (``add=False``: no longer)."""
        if add:
            self._on_expiry.append(callback)
        else:
            self._on_expiry.remove(callback)

    def close(self) -> None:
        """The action ended: interrupt nothing more."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def until(self, work: asyncio.Future[Any], *, stop: asyncio.Event | None = None) -> bool:
        """Wait for ``work``, beginning when ``stop`` is set; True once it ended, False if
        the grace ran out first."""
        watched: dict[asyncio.Future[Any], str] = {work: "work"}
        watched[asyncio.ensure_future(self._expired.wait())] = "expired"
        if stop is not None:
            watched[asyncio.ensure_future(stop.wait())] = "stop"
        try:
            while not work.done() and not self.expired:
                done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for future in [f for f in done if watched[f] == "stop"]:
                    self.begin("stop")
                    del watched[future]
            return work.done()
        finally:
            for future, name in watched.items():
                if name != "work":
                    future.cancel()


class Deadline:
    """An executor's deadline for the code it awaits in this task (``with`` around it).

    ``seconds`` after entering, it begins ``escalation`` (the caller's, or the executor's
    own). Once an escalation the deadline began has run out of grace, the awaiting task is
    cancelled, and leaving the block swallows that: :attr:`gave_up` says it happened (the
    executor then makes itself usable again). The code runs in the caller's own task: no
    task per execution.
    """

    def __init__(self, escalation: Escalation, seconds: float | None) -> None:
        self.escalation = escalation
        self.seconds = seconds
        self.gave_up = False
        self._task: asyncio.Task[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def __enter__(self) -> Deadline:
        self._task = asyncio.current_task()
        if self.seconds:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.seconds, self.escalation.begin, "deadline")
        self.escalation.on_expiry(self._expire)
        return self

    def _expire(self) -> None:
        if self.escalation.cause == "deadline" and self._task is not None:
            self.gave_up = True
            self._task.cancel()

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        self.escalation.on_expiry(self._expire, add=False)
        if self.gave_up and kind is asyncio.CancelledError:
            if self._task is not None and sys.version_info >= (3, 11):
                self._task.uncancel()  # our cancel ends here
            return True
        return False


class Stopping:
    """The stop of one agent's runs (one run at a time)."""

    def __init__(self) -> None:
        self._requested = asyncio.Event()
        self._waiting: set[asyncio.Future[Any]] = set()
        self._parked: asyncio.Task[Any] | None = None
        """The run's own task while it waits in :meth:`each` for the next item."""

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def begin(self) -> None:
        """A run starts: no stop is pending."""
        self._requested = asyncio.Event()

    def stop(self) -> None:
        """Stop what the run waits for now (from the event loop's thread)."""
        if self._requested.is_set():
            return
        self._requested.set()
        self.cancel()

    def cancel(self) -> None:
        """Cancel every wait (the run has ended, or is being stopped)."""
        for future in list(self._waiting):
            future.cancel()
        if self._parked is not None:
            self._parked.cancel()

    async def call(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``; a stop meanwhile raises :class:`Stopped`."""
        task = asyncio.ensure_future(awaitable)
        self._waiting.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if task.cancelled() and self._requested.is_set():
                raise Stopped() from None
            raise
        finally:
            self._waiting.discard(task)

    async def each(self, source: AsyncIterator[T]) -> AsyncIterator[T]:
        """Iterate ``source``; a stop meanwhile raises :class:`Stopped` (and closes it).

        The run's own task awaits each item: a stop cancels it only while it waits here
        (no task per item, no pump or queue between the source and the run).
        """
        iterator = aiter(source)
        me = asyncio.current_task()
        try:
            while True:
                if self._requested.is_set():
                    raise Stopped()
                self._parked = me
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not self._requested.is_set():
                        raise
                    if me is not None and sys.version_info >= (3, 11):
                        me.uncancel()  # the stop's cancel ends here
                    raise Stopped() from None
                finally:
                    self._parked = None
                yield item
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # a stream broken by the cancel: nothing left to read
                    log.debug("closing a stopped stream failed", exc_info=True)

    async def interruptible(
        self,
        work: Coroutine[Any, Any, T],
        interrupt: Callable[[], Awaitable[None]],
        *,
        grace: float,
        gave_up: Callable[[], T],
    ) -> T:
        """Run ``work`` (an action) with an :class:`Escalation` that a stop begins, and
        that the executor's deadline joins (it is ``work``'s :meth:`Escalation.current`).

        Given up on after a stop, the action's outcome is unknown: ``gave_up()``. Given up
        on after its deadline, the executor ends it its own way (a kernel is restarted),
        which ``work`` returns. Cancelling the caller (its host shuts down) cancels ``work``
        and interrupts it in the background: the code must not go on running unobserved.
        """
        escalation = Escalation(interrupt, grace)
        token = _CURRENT.set(escalation)
        try:
            task = asyncio.ensure_future(work)  # the task's context holds the escalation
        finally:
            _CURRENT.reset(token)
        try:
            ended = await escalation.until(task, stop=self._requested)
            if not ended and escalation.cause == "deadline":
                await asyncio.wait({task})  # the executor gives up its own way
            if not task.done():
                task.cancel()
                return gave_up()
            return task.result()
        except asyncio.CancelledError:
            task.cancel()
            background(interrupt())
            raise
        finally:
            escalation.close()


_BACKGROUND: set[asyncio.Future[Any]] = set()


def background(awaitable: Awaitable[Any]) -> None:
    """Run ``awaitable`` to its end without anyone awaiting it (kept referenced, errors logged)."""
    future = asyncio.ensure_future(awaitable)
    _BACKGROUND.add(future)

    def done(future: asyncio.Future[Any]) -> None:
        _BACKGROUND.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("background interrupt failed: %s", future.exception())

    future.add_done_callback(done)
