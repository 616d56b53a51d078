"""The HTTP side of the scripted OpenAI-compatible server (:mod:`.scripted_llm`): the
routes, the error bodies, streaming as server-sent events, tool calls in pieces."""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import error_bodies
from .error_bodies import refusal_body
from .scripted_replies import RecordedRequest, Reply

if TYPE_CHECKING:
    from .scripted_llm import ScriptedLLM


class LLMServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    llm: ScriptedLLM


class LLMHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LLMServer

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
