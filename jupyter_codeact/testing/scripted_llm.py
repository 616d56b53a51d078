"""A scripted OpenAI-compatible server, for tests, benchmarks and demos.

It speaks the real wire protocol (``/v1/chat/completions`` streamed as server-sent events
or not, ``/v1/models``), answers from a script, records every request, and can inject
faults: error statuses with Retry-After, delays, a stream cut mid-way, malformed chunks,
a reply that never comes. Like real servers it ends the content at a stop sequence the
request sends, streams reasoning as ``reasoning_content`` (or ``reasoning``) deltas,
streams native tool calls as ``delta.tool_calls[i]`` pieces (the id and name first, then
the arguments in pieces, ending with ``finish_reason: "tool_calls"``), and can refuse
request parameters, ``tools`` included, with the bodies of OpenAI, vLLM, Ollama or
llama.cpp (``rejects``; see :mod:`.error_bodies`). With a ``context_window`` it reports the
window in ``/v1/models`` as the server of its ``error_style`` does and refuses a longer
prompt with that server's context-length error (Ollama's style cuts it silently);
``report_window=False`` keeps the window to itself. A prompt's tokens are its messages'
and tools' JSON characters over four.

In-process::

    with ScriptedLLM(["<execute>print(1)</execute>", "<solution>1</solution>"]) as llm:
        ...  # point the openai client at llm.url

As a process (the browser tests drive it over HTTP)::

    python -m jupyter_codeact.testing.scripted_llm --port 8765
    curl -X POST localhost:8765/_control/script -d '{"replies": ["<solution>hi</solution>"]}'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .error_bodies import ErrorStyle, refusal_body
from .scripted_http import LLMHandler, LLMServer, prompt_tokens
from .scripted_replies import RecordedRequest, Reply, Responder

__all__ = [
    "ErrorStyle",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedLLM",
    "prompt_tokens",
    "refusal_body",
]


class ScriptedLLM:
    """The server. Replies come from ``script`` in order, or from a ``responder`` callable."""

    def __init__(
        self,
        script: Iterable[Reply | str | dict[str, Any]] | Responder | None = None,
        *,
        models: Iterable[str | dict[str, Any]] = ("scripted-model",),
        required_key: str | None = None,
        rejects: tuple[str, ...] = (),
        error_style: ErrorStyle = "openai",
        context_window: int | None = None,
        report_window: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._initial_models = tuple(models)
        self.set_models(self._initial_models)
        self.required_key = required_key
        self.context_window = context_window
        """Tokens a prompt may have (None: no limit)."""
        self.report_window = report_window
        self.rejects = rejects
        """Request parameters this server refuses (with HTTP 400, before any reply is
        used): ``("temperature", "stop")`` is an OpenAI reasoning model. ``temperature`` is
        refused unless it is 1, the only value those models take."""
        self.error_style: ErrorStyle = error_style
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Condition()
        self._closing = threading.Event()
        self._script: list[Reply] = []
        self._responder: Responder | None = None
        self.set_script(script)
        self._server = LLMServer((host, port), LLMHandler)
        self._server.llm = self
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give the openai client (ends in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def set_models(self, models: Iterable[str | dict[str, Any]]) -> None:
        """The models served: names, or ``/v1/models`` entries (``{"id": ..., **fields}``,
        e.g. ``supported_parameters``, as OpenRouter lists them)."""
        entries = [m if isinstance(m, dict) else {"id": m} for m in models]
        self.model_entries = {str(entry["id"]): entry for entry in entries}
        self.models = tuple(self.model_entries)

    def set_script(self, script: Iterable[Reply | str | dict[str, Any]] | Responder | None) -> None:
        with self._lock:
            if callable(script):
                self._responder, self._script = script, []
            else:
                self._responder = None
                self._script = [Reply.of(item) for item in (script or [])]

    def push(self, *replies: Reply | str | dict[str, Any]) -> None:
        with self._lock:
            self._script.extend(Reply.of(item) for item in replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until ``count`` completion requests have arrived."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise TimeoutError(f"got {len(self.requests)} requests, expected {count}")
            return list(self.requests)

    def start(self) -> ScriptedLLM:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler -----------------------------------------------------------
    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> RecordedRequest:
        with self._lock:
            request = RecordedRequest(len(self.requests), path, headers, body, time.time())
            self.requests.append(request)
            self._lock.notify_all()
            return request

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            responder = self._responder
            if responder is None:
                if not self._script:
                    return Reply(
                        status=400,
                        error_message=f"The scripted server has no reply left "
                        f"(request #{request.index + 1}).",
                    )
                return self._script.pop(0).quoting(request)
        return Reply.of(responder(request)).quoting(request)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a scripted OpenAI-compatible endpoint.")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--port-file", help="write the chosen port to this file")
    parser.add_argument("--model", action="append", help="model names to serve")
    parser.add_argument("--script", help="a JSON file with a list of replies")
    args = parser.parse_args(argv)
    script = json.loads(Path(args.script).read_text()) if args.script else []
    llm = ScriptedLLM(script, models=tuple(args.model or ["scripted-model"]), port=args.port)
    if args.port_file:
        Path(args.port_file).write_text(str(llm.port))
    print(f"scripted LLM serving at {llm.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        llm._server.serve_forever()


if __name__ == "__main__":
    main()
