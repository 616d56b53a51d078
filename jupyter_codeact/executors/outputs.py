"""Build nbformat outputs from a kernel's IOPub messages, with bounded memory."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from ..core.executor import Output

DEFAULT_MAX_STREAM_CHARS = 1_000_000


class _BoundedText:
    """Text that keeps its head and its tail once it passes ``limit`` characters.

    Pieces are kept in lists and joined once, at the end: a chatty cell sends many small
    stream messages, and re-copying a long string for each would be quadratic.
    """

    def __init__(self, limit: int) -> None:
        self.half = max(limit // 2, 1)
        self._head: list[str] = []
        self._head_len = 0
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._dropped = 0

    def add(self, text: str) -> None:
        if self._head_len < self.half:
            piece = text[: self.half - self._head_len]
            self._head.append(piece)
            self._head_len += len(piece)
            text = text[len(piece) :]
        if not text:
            return
        self._tail.append(text)
        self._tail_len += len(text)
        # Drop whole pieces that the tail no longer needs; value() trims the rest.
        while self._tail_len - len(self._tail[0]) >= self.half:
            self._dropped += len(self._tail[0])
            self._tail_len -= len(self._tail.popleft())

    def value(self) -> str:
        head = "".join(self._head)
        tail = "".join(self._tail)
        excess = max(len(tail) - self.half, 0)
        dropped = self._dropped + excess
        if not dropped:
            return head + tail
        return f"{head}\n... [{dropped:,} characters of output dropped] ...\n{tail[excess:]}"


class OutputListener(Protocol):
    """Told of each change of the outputs as it happens (a host that shows them live)."""

    def counted(self, execution_count: int | None) -> None:
        """The kernel started the code under this execution count."""
        ...

    def cleared(self) -> None:
        """Every output so far is gone (``clear_output``)."""
        ...

    def added(self, index: int, output: Output) -> None:
        """A new output (not a stream) at ``index``."""
        ...

    def appended(self, index: int, name: str, offset: int, text: str) -> None:
        """``text`` written to the stream output at ``index`` (new when ``offset`` is 0),
        after ``offset`` characters of it (all that arrived, bounded or not)."""
        ...

    def replaced(self, index: int, output: Output) -> None:
        """The output at ``index`` changed (``update_display_data``)."""
        ...


class OutputCollector:
    """Accumulates the outputs of one execution the way a notebook would show them."""

    def __init__(
        self,
        *,
        max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS,
        listener: OutputListener | None = None,
    ) -> None:
        self.max_stream_chars = max_stream_chars
        self.listener = listener
        self._outputs: list[Output | _BoundedText] = []
        self._stream_names: dict[int, str] = {}
        self._displays: dict[str, list[int]] = {}
        self._clear_on_next = False
        self._received: dict[int, int] = {}  # stream output index -> characters written
        self.execution_count: int | None = None
        self.error: dict[str, Any] | None = None

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        """Take one IOPub message (already known to belong to this execution)."""
        if msg_type == "execute_input":
            self.execution_count = content.get("execution_count")
            if self.listener is not None:
                self.listener.counted(self.execution_count)
            return
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_on_next = True
            else:
                self._clear()
            return
        if msg_type == "update_display_data":
            self._update_display(content)
            return
        if msg_type not in ("stream", "display_data", "execute_result", "error"):
            return
        if self._clear_on_next:
            self._clear()
        if msg_type == "stream":
            self._add_stream(content.get("name", "stdout"), content.get("text", ""))
        elif msg_type == "error":
            self.error = content
            error: Output = {
                "output_type": "error",
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
                "traceback": list(content.get("traceback", [])),
            }
            self._outputs.append(error)
            if self.listener is not None:
                self.listener.added(len(self._outputs) - 1, error)
        else:
            output: Output = {
                "output_type": msg_type,
                "data": content.get("data", {}),
                "metadata": content.get("metadata", {}),
            }
            if msg_type == "execute_result":
                output["execution_count"] = content.get("execution_count")
            display_id = (content.get("transient") or {}).get("display_id")
            if display_id:
                self._displays.setdefault(display_id, []).append(len(self._outputs))
            self._outputs.append(output)
            if self.listener is not None:
                self.listener.added(len(self._outputs) - 1, output)

    def _clear(self) -> None:
        self._outputs.clear()
        self._stream_names.clear()
        self._displays.clear()
        self._received.clear()
        self._clear_on_next = False
        if self.listener is not None:
            self.listener.cleared()

    def _add_stream(self, name: str, text: str) -> None:
        # Consecutive writes to one stream make one output, as in a notebook.
        last = len(self._outputs) - 1
        if last >= 0 and self._stream_names.get(last) == name:
            bounded = self._outputs[last]
            assert isinstance(bounded, _BoundedText)
        else:
            bounded = _BoundedText(self.max_stream_chars)
            self._stream_names[len(self._outputs)] = name
            self._outputs.append(bounded)
            last = len(self._outputs) - 1
        bounded.add(text)
        offset = self._received.get(last, 0)
        self._received[last] = offset + len(text)
        if self.listener is not None:
            self.listener.appended(last, name, offset, text)

    def _update_display(self, content: dict[str, Any]) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        for index in self._displays.get(display_id or "", []):
            output = self._outputs[index]
            if isinstance(output, dict):
                output["data"] = content.get("data", {})
                output["metadata"] = content.get("metadata", {})
                if self.listener is not None:
                    self.listener.replaced(index, output)

    def stream_value(self, index: int) -> Output:
        """The stream output at ``index`` as it is now (bounded)."""
        bounded = self._outputs[index]
        assert isinstance(bounded, _BoundedText)
        return {"output_type": "stream", "name": self._stream_names[index], "text": bounded.value()}

    def outputs(self) -> list[Output]:
        """The outputs in nbformat v4 form."""
        result: list[Output] = []
        for index, output in enumerate(self._outputs):
            if isinstance(output, _BoundedText):
                name = self._stream_names[index]
                result.append({"output_type": "stream", "name": name, "text": output.value()})
            else:
                result.append(output)
        return result
