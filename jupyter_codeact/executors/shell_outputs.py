"""Record what an IPython shell shows while code runs, as nbformat outputs, without stopping
it from being shown.

The hooks sit at the IPython level, so they work alike in a kernel and in terminal IPython:
the ``write`` of ``sys.stdout`` / ``sys.stderr`` (patched on the stream object, as IPython
itself does, because ipykernel's streams must stay the objects they are; ipykernel's
capture of file descriptors writes through the same method, so output of subprocesses is
seen too), the display publisher (``display()``, ``clear_output()``), the display hook
(the value of the last expression) and the shell's traceback display (errors).
"""

from __future__ import annotations

import base64
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core.executor import Output
from .outputs import DEFAULT_MAX_STREAM_CHARS, OutputCollector

_MISSING = object()


class ShellOutputCapture:
    """A context manager; ``outputs()`` gives what was shown inside it."""

    def __init__(self, shell: Any, *, max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS) -> None:
        self.shell = shell
        self._collector = OutputCollector(max_stream_chars=max_stream_chars)
        self._lock = threading.Lock()
        self._quiet = threading.local()
        self._undo: list[Callable[[], None]] = []
        self.error: dict[str, Any] | None = None

    # -- results ---------------------------------------------------------------------
    def outputs(self) -> list[Output]:
        with self._lock:
            return self._collector.outputs()

    def add_error(self, error: BaseException) -> None:
        """Record an exception the shell did not display itself."""
        self._add("error", {"ename": type(error).__name__, "evalue": str(error), "traceback": []})

    # -- installing the hooks ----------------------------------------------------------------
    def __enter__(self) -> ShellOutputCapture:
        shell = self.shell
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not None:
                self._patch(stream, "write", self._stream_writer(name, stream.write))
        publisher = shell.display_pub
        self._patch(publisher, "publish", self._publisher(publisher.publish))
        self._patch(publisher, "clear_output", self._clearer(publisher.clear_output))
        hook = shell.displayhook
        self._patch(hook, "write_format_data", self._result_writer(hook.write_format_data))
        self._patch(shell, "_showtraceback", self._traceback_shower(shell._showtraceback))
        return self

    def __exit__(self, *exc: object) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch(self, target: Any, name: str, replacement: Callable[..., Any]) -> None:
        """Set ``target.name`` on the instance; undone in reverse order on exit."""
        own = vars(target).get(name, _MISSING) if hasattr(target, "__dict__") else _MISSING
        try:
            setattr(target, name, replacement)
        except (AttributeError, TypeError):
            return  # a stream that takes no attributes: its output is shown, not recorded

        def undo() -> None:
            if own is _MISSING:
                vars(target).pop(name, None)
            else:
                setattr(target, name, own)

        self._undo.append(undo)

    # -- the hooks ---------------------------------------------------------------------
    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """While the shell itself shows something (terminal IPython prints displays and
        tracebacks to stdout), stream writes on this thread are not recorded twice."""
        depth = getattr(self._quiet, "depth", 0)
        self._quiet.depth = depth + 1
        try:
            yield
        finally:
            self._quiet.depth = depth

    def _is_quiet(self) -> bool:
        if getattr(self._quiet, "depth", 0):
            return True
        if threading.current_thread() is not threading.main_thread():
            return False
        shell = self.shell
        # IPython's own markers for the same thing (the output prompt, "Out[n]: ").
        return bool(
            getattr(shell.displayhook, "is_active", False)
            or getattr(shell.display_pub, "is_publishing", False)
            or getattr(shell, "showing_traceback", False)
        )

    def _add(self, msg_type: str, content: dict[str, Any]) -> None:
        with self._lock:
            self._collector.add(msg_type, content)
            if msg_type == "error":
                self.error = content

    def _stream_writer(self, name: str, write: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(text: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(text, str) and text and not self._is_quiet():
                self._add("stream", {"name": name, "text": text})
            return write(text, *args, **kwargs)

        return hooked

    def _publisher(self, publish: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(data: dict[str, Any], metadata: Any = None, *args: Any, **kwargs: Any) -> Any:
            kind = "update_display_data" if kwargs.get("update") else "display_data"
            content = {
                "data": _jsonable_bundle(data),
                "metadata": dict(metadata or {}),
                "transient": dict(kwargs.get("transient") or {}),
            }
            self._add(kind, content)
            with self._quietly():
                return publish(data, metadata, *args, **kwargs)

        return hooked

    def _clearer(self, clear_output: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(wait: bool = False, *args: Any, **kwargs: Any) -> Any:
            self._add("clear_output", {"wait": wait})
            with self._quietly():
                return clear_output(wait, *args, **kwargs)

        return hooked

    def _result_writer(self, write_format_data: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(format_dict: dict[str, Any], md_dict: Any = None) -> Any:
            hook = self.shell.displayhook
            content = {
                "data": _jsonable_bundle(format_dict),
                "metadata": dict(md_dict or {}),
                # The number shown with the output ("Out[n]"), as the display hook gives it.
                "execution_count": getattr(hook, "prompt_count", self.shell.execution_count),
            }
            self._add("execute_result", content)
            with self._quietly():
                return write_format_data(format_dict, md_dict)

        return hooked

    def _traceback_shower(self, show: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(etype: type[BaseException], evalue: BaseException, stb: list[str]) -> Any:
            content = {"ename": etype.__name__, "evalue": str(evalue), "traceback": list(stb)}
            self._add("error", content)
            with self._quietly():
                return show(etype, evalue, stb)

        return hooked


def _jsonable_bundle(data: dict[str, Any]) -> dict[str, Any]:
    """A MIME bundle as a notebook stores it: binary images as base64 text."""
    bundle: dict[str, Any] = {}
    for mime, value in (data or {}).items():
        if isinstance(value, (bytes, bytearray)):
            if mime.startswith("text/") or mime.endswith(("+xml", "json")):
                value = bytes(value).decode("utf-8", errors="replace")
            else:
                value = base64.b64encode(bytes(value)).decode("ascii")
        bundle[mime] = value
    return bundle
