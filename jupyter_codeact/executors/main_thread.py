"""Hand work to the main thread from an event loop running on another thread.

The magic's agent loop runs on a worker thread (see :mod:`jupyter_codeact.executors.shell`),
but a cell's code, its display and ``input()`` must happen on the kernel's main thread, which
waits in :meth:`MainThreadQueue.serve` for as long as the run lasts.
"""

from __future__ import annotations

import collections
import concurrent.futures
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# How often the waiting main thread checks that the run is still alive.
_POLL_SECONDS = 0.25


class InterruptedOnMainThread(Exception):
    """A call was interrupted (KeyboardInterrupt) on the main thread.

    It replaces the KeyboardInterrupt in the caller's future: a KeyboardInterrupt raised
    inside an asyncio task would escape its event loop.
    """


@dataclass
class _Call(Generic[T]):
    fn: Callable[[], T]
    future: concurrent.futures.Future[T]


_END = object()


class MainThreadQueue:
    """Items and calls posted from any thread, served in order by the main thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def post(self, item: object) -> None:
        """Queue ``item`` for the main thread's handler (an event to show)."""
        self._queue.put(item)

    def end(self) -> None:
        """Tell :meth:`serve` that nothing more will come."""
        self._queue.put(_END)

    def call(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn()`` on the main thread; the future gets its result.

        The future can be cancelled until the main thread starts the call.
        """
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put(_Call(fn, future))
        return future

    def serve(
        self,
        handle: Callable[[list[Any]], None],
        *,
        until: concurrent.futures.Future[Any],
        on_interrupt: Callable[[], None],
    ) -> None:
        """On the main thread: pass posted items to ``handle`` (in batches, so a burst of
        text makes one update) and run calls, in order, until :meth:`end`.

        A KeyboardInterrupt (the front end's Stop) calls ``on_interrupt`` and serving goes
        on, so the run can wind down cleanly. ``until`` is the run itself: if it finished
        without calling :meth:`end` (a bug), serving stops once the queue is empty.
        """
        pending: collections.deque[Any] = collections.deque()
        while True:
            try:
                if not pending:
                    try:
                        pending.append(self._queue.get(timeout=_POLL_SECONDS))
                    except queue.Empty:
                        if until.done():
                            return
                        continue
                while True:  # take the whole burst
                    try:
                        pending.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if self._drain(pending, handle):
                    return
            except KeyboardInterrupt:
                on_interrupt()

    def _drain(self, pending: collections.deque[Any], handle: Callable[[list[Any]], None]) -> bool:
        """Handle ``pending`` in order; True once the end was reached."""
        items: list[Any] = []
        while pending:
            item = pending[0]
            if item is not _END and not isinstance(item, _Call):
                items.append(pending.popleft())
                continue
            if items:  # what came before is shown before the call runs
                batch, items = items, []
                handle(batch)
            pending.popleft()
            if isinstance(item, _Call):
                self._run(item)
            else:
                return True
        if items:
            handle(items)
        return False

    @staticmethod
    def _run(call: _Call[Any]) -> None:
        if not call.future.set_running_or_notify_cancel():
            return  # cancelled before it started
        try:
            result = call.fn()
        except KeyboardInterrupt:
            call.future.set_exception(InterruptedOnMainThread())
            raise
        except Exception as error:
            call.future.set_exception(error)
        except BaseException as error:  # SystemExit and the like: not for the event loop
            call.future.set_exception(RuntimeError(f"{type(error).__name__} on the main thread"))
            raise
        else:
            call.future.set_result(result)
