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
import dataclasses
import json
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from . import error_bodies
from .error_bodies import ErrorStyle, refusal_body

__all__ = ["ErrorStyle", "RecordedRequest", "Reply", "ScriptedLLM", "refusal_body"]


@dataclass
class Reply:
    """One scripted answer (a plain string means ``Reply(content=...)``)."""

    content: str = ""
    status: int = 200
    """An HTTP error status (429, 401, 500...) sends an OpenAI-style error body instead."""
    error_message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers, e.g. ``{"retry-after-ms": "10"}``."""
    delay: float = 0.0
    """Seconds before the response starts."""
    chunk_delay: float = 0.0
    """Seconds between streamed chunks (of reasoning, then of content)."""
    chunk_size: int = 6
    """Characters of content per streamed chunk (0: all in one)."""
    cut_after: int | None = None
    """Close the connection after this many content chunks, without finishing the stream."""
    malformed: bool = False
    """Send a chunk that is not JSON after the first content chunk."""
    odd_chunks: bool = False
    """Send the odd chunks real servers send besides the content (Azure's content-filter
    chunk with no choices, a null ``choices``, a null ``delta``, a null ``content``)."""
    hang: bool = False
    """Never answer: hold the connection until the client goes away."""
    usage: bool = True
    """Report token usage when the client asks for it (``stream_options.include_usage``)."""
    reasoning: str = ""
    """Reasoning streamed before the content, as its own deltas (``<think>`` text goes in
    ``content``, as servers without a reasoning parser send it)."""
    reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    """The delta field of the reasoning: DeepSeek and vLLM's parsers send
    ``reasoning_content``; Ollama, newer vLLM and OpenRouter ``reasoning``."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native calls after the content: ``{"name": ..., "arguments": {...} or "json"}`` (an
    ``id`` is made up unless given). Streamed in pieces of ``chunk_size`` characters of
    arguments (0: each call whole, as Ollama sends them)."""
    quote: dict[str, str] = field(default_factory=dict)
    """Fill ``{name}`` in ``content`` with what the regex ``quote[name]`` captures (its first
    group, last match) in the request's messages, as a model quotes an id it was given:
    ``{"cell": r"ran in cell (c[0-9a-f]+)"}``."""

    def quoting(self, request: RecordedRequest) -> Reply:
        """This reply with its placeholders filled from ``request``."""
        if not self.quote:
            return self
        text = "\n".join(str(m.get("content", "")) for m in request.messages)
        content = self.content
        for name, pattern in self.quote.items():
            found = re.findall(pattern, text)
            content = content.replace("{" + name + "}", str(found[-1]) if found else "")
        return dataclasses.replace(self, content=content)

    @classmethod
    def of(cls, value: Reply | str | dict[str, Any]) -> Reply:
        if isinstance(value, Reply):
            return value
        if isinstance(value, str):
            return cls(content=value)
        return cls(**value)


@dataclass
class RecordedRequest:
    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    chunk_times: list[float] = field(default_factory=list)
    """Wall-clock time (time.time()) at which each content chunk was written."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return str(content)
        return ""


Responder = Callable[[RecordedRequest], "Reply | str | dict[str, Any]"]


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
        self._server = _Server((host, port), _Handler)
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    llm: ScriptedLLM


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle + delayed ACK add ~40 ms to every small write on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def llm(self) -> ScriptedLLM:
        return self.server.llm

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _authorized(self) -> bool:
        key = self.llm.required_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(
            401,
            {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
        return False

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/_control/requests":
            with self.llm._lock:
                self._json(200, [asdict(r) for r in self.llm.requests])
            return
        if self.path.rstrip("/").endswith("/models"):
            if self._authorized():
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {
                                "object": "model",
                                "created": 0,
                                "owned_by": "scripted",
                                **self._window_fields(),
                                **entry,
                            }
                            for entry in self.llm.model_entries.values()
                        ],
                    },
                )
            return
        self._json(404, {"error": {"message": f"No route for GET {self.path}"}})

    def do_POST(self) -> None:
        path = self.path.rstrip("/")
        try:
            body = self._read_body()
        except ValueError:
            self._json(400, {"error": {"message": "The request body is not JSON."}})
            return
        if path == "/_control/script":
            if "required_key" in body:
                self.llm.required_key = body["required_key"]
            if "rejects" in body:
                self.llm.rejects = tuple(body["rejects"])
            if "error_style" in body:
                self.llm.error_style = body["error_style"]
            if "context_window" in body:
                self.llm.context_window = body["context_window"]
            if "models" in body:
                self.llm.set_models(body["models"])
            if body.get("append"):
                self.llm.push(*body.get("replies", []))
            else:
                self.llm.set_script(body.get("replies", []))
            self._json(200, {"remaining": self.llm.remaining})
            return
        if path == "/_control/reset":
            with self.llm._lock:
                self.llm.requests.clear()
            self.llm.set_script([])
            self.llm.required_key = body.get("required_key")
            self.llm.rejects = tuple(body.get("rejects", ()))
            self.llm.error_style = body.get("error_style", "openai")
            self.llm.context_window = body.get("context_window")
            self.llm.set_models(body.get("models") or self.llm._initial_models)
            self._json(200, {})
            return
        if not path.endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"No route for POST {self.path}"}})
            return
        if not self._authorized():
            return
        request = self.llm._record(path, {k.lower(): v for k, v in self.headers.items()}, body)
        if body.get("model") not in self.llm.models:
            self._json(
                404,
                {
                    "error": {
                        "message": f"The model `{body.get('model')}` does not exist.",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
            return
        style = self.llm.error_style
        if "tools" in self.llm.rejects and body.get("tools"):
            self._json(*error_bodies.tools_refusal(body, style))
            return
        refused = refusal_body(body, self.llm.rejects, style)
        if refused is not None:
            self._json(400, refused)
            return
        window = self.llm.context_window
        if window is not None and (tokens := prompt_tokens(body)) > window:
            too_long = error_bodies.overflow(window, tokens, style)
            if too_long is not None:
                self._json(*too_long)
                return
        reply = self.llm._next_reply(request)
        if reply.delay and self.llm._closing.wait(reply.delay):
            return
        if reply.hang:
            self._hold()
            return
        if reply.status != 200:
            self._json(
                reply.status,
                {"error": {"message": reply.error_message or f"HTTP {reply.status}"}},
                reply.headers,
            )
            return
        if body.get("stream"):
            self._stream(request, reply)
        else:
            self._complete(request, reply)

    def _hold(self) -> None:
        """Keep the connection open until the client drops it or the server stops."""
        while not self.llm._closing.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return

    def _window_fields(self) -> dict[str, Any]:
        window = self.llm.context_window
        if window is None or not self.llm.report_window:
            return {}
        return error_bodies.window_fields(window, self.llm.error_style)

    def _usage(self, request: RecordedRequest, reply: Reply) -> dict[str, int]:
        prompt = prompt_tokens(request.body)
        calls = len(json.dumps(_calls(reply)))
        completion = max((len(reply.reasoning) + len(_content(request, reply)) + calls) // 4, 1)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _complete(self, request: RecordedRequest, reply: Reply) -> None:
        self._json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": _content(request, reply),
                            **({reply.reasoning_field: reply.reasoning} if reply.reasoning else {}),
                            **({"tool_calls": _calls(reply)} if reply.tool_calls else {}),
                        },
                        "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    }
                ],
                "usage": self._usage(request, reply),
            },
            reply.headers,
        )

    def _stream(self, request: RecordedRequest, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.body.get("model"),
        }

        def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        content = _content(request, reply)
        size = reply.chunk_size or max(len(reply.reasoning), len(content), 1)
        thought = [reply.reasoning[i : i + size] for i in range(0, len(reply.reasoning), size)]
        pieces = [content[i : i + size] for i in range(0, len(content), size)]
        try:
            self._event(choice({"role": "assistant", "content": ""}))
            if reply.odd_chunks:
                self._event({**base, "choices": [], "prompt_filter_results": []})
                self._event({**base, "choices": None})
                self._event({**base, "choices": [{"index": 0, "delta": None}]})
                self._event(choice({"content": None, "tool_calls": None}))
            for piece in thought:
                self._event(choice({"content": None, reply.reasoning_field: piece}))
                if reply.chunk_delay and self.llm._closing.wait(reply.chunk_delay):
                    return
            for count, piece in enumerate(pieces):
                if reply.cut_after is not None and count >= reply.cut_after:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if count and reply.chunk_delay and self.llm._closing.wait(reply.chunk_delay):
                    return
                request.chunk_times.append(time.time())
                self._event(choice({"content": piece}))
                if reply.malformed and count == 0:
                    self._raw(b'data: {"choices": [{"delta": {"content": "tru\n\n')
            for index, call in enumerate(_calls(reply)):
                for delta in _call_pieces(index, call, reply.chunk_size):
                    if reply.chunk_delay and self.llm._closing.wait(reply.chunk_delay):
                        return
                    self._event(choice({"tool_calls": [delta]}))
            self._event(choice({}, "tool_calls" if reply.tool_calls else "stop"))
            options = request.body.get("stream_options") or {}
            if reply.usage and options.get("include_usage"):
                self._event({**base, "choices": [], "usage": self._usage(request, reply)})
            self._raw(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _event(self, data: dict[str, Any]) -> None:
        self._raw(f"data: {json.dumps(data)}\n\n".encode())

    def _raw(self, payload: bytes) -> None:
        self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")


def prompt_tokens(body: dict[str, Any]) -> int:
    """A prompt's size in tokens, as this server counts it: JSON characters over four."""
    size = len(json.dumps(body.get("messages", [])))
    if body.get("tools"):
        size += len(json.dumps(body["tools"]))
    return size // 4


def _calls(reply: Reply) -> list[dict[str, Any]]:
    """The reply's calls in the wire form (``arguments`` as JSON text), ids made up once."""
    calls = []
    for number, call in enumerate(reply.tool_calls):
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        call.setdefault("id", f"call_{uuid.uuid4().hex[:20]}{number}")
        calls.append(
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": arguments},
            }
        )
    return calls


def _call_pieces(index: int, call: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """A call as streamed deltas: id and name first, then the arguments in pieces."""
    arguments = call["function"]["arguments"]
    head = {"index": index, "id": call["id"], "type": "function"}
    if not size:
        return [{**head, "function": {"name": call["function"]["name"], "arguments": arguments}}]
    pieces = [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]
    for start in range(0, len(arguments), size):
        pieces.append({"index": index, "function": {"arguments": arguments[start : start + size]}})
    return pieces


def _content(request: RecordedRequest, reply: Reply) -> str:
    """The reply's content as a real server sends it: ended before the first stop sequence
    of the request (which is not sent)."""
    stop = request.body.get("stop") or []
    stops = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str) and s]
    cut = min((i for i in (reply.content.find(s) for s in stops) if i >= 0), default=-1)
    return reply.content if cut < 0 else reply.content[:cut]


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
