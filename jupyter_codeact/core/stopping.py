"""Stopping a run: the one place that knows how.

:class:`Stopping` belongs to one agent. While a run goes on, everything it waits for (the
model's stream, the context window's size, an action) is awaited through it, so that
:meth:`Stopping.stop` reaches whatever it waits for at that moment:

- a wait on the model is cancelled, and the run learns it as :class:`Stopped`;
- a running action is interrupted, asked twice within ``grace`` seconds (a kernel can
  swallow one interrupt in its own I/O code), and then given up on: its outcome is unknown.

An executor's own deadline (``cell_timeout``) stays the executor's: it interrupts the code
it runs and says so in the result, which is an ordinary observation for the run.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Stopped(Exception):
    """The host asked the run to stop; ``args[0]`` may carry what the run had seen."""


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
        """Run ``work`` (an action); on a stop, ``interrupt()`` it (twice if need be) and
        wait up to ``grace`` seconds in all for its result, else ``gave_up()``.

        Cancelling the caller (its host shuts down) cancels ``work`` and interrupts it in
        the background: the code must not go on running unobserved.
        """
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._requested.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            for _ in range(2):
                if task.done():
                    break
                try:
                    await interrupt()
                except Exception:
                    log.exception("interrupting the executor failed")
                await asyncio.wait({task}, timeout=grace / 2)
            if not task.done():
                task.cancel()
                return gave_up()
            return task.result()
        except asyncio.CancelledError:
            task.cancel()
            background(interrupt())
            raise
        finally:
            stopped.cancel()


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
