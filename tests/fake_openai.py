"""A scriptable OpenAI-compatible server on 127.0.0.1 for grader tests over real HTTP.

Implements ``POST /v1/chat/completions`` and ``GET /v1/models``. Each chat request takes the next
entry of ``queue``: a :class:`Reply`, or a callable ``(request_body) -> Reply`` for replies that
depend on the request (e.g. reject ``json_schema`` but accept ``json_object``). With the queue
empty, ``default`` answers (if set), else the server returns HTTP 500 so a test bug is loud.
Every request received is recorded in ``requests``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON, str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content_type: str = "application/json"
    cut_after: int | None = None  # send only this many body bytes, then drop the connection


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def prompt(self) -> str:
        """All message contents joined: what the model was shown."""
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format") if isinstance(self.body, dict) else None


Script = Reply | Callable[[dict[str, Any]], Reply]


def chat(
    content: str | dict | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = "fake-model",
    prompt_tokens: int = 900,
    completion_tokens: int = 250,
    delay_s: float = 0.0,
) -> Reply:
    """A chat completion reply; a dict content is JSON-encoded like a model's output."""
    if isinstance(content, dict):
        content = json.dumps(content)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return Reply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
        delay_s=delay_s,
    )


def error(status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    kind = {400: "invalid_request_error", 401: "authentication_error", 404: "invalid_request_error",
            429: "rate_limit_error"}.get(status, "server_error")
    return Reply(
        status=status,
        body={"error": {"message": message, "type": kind, "param": None, "code": code}},
        headers=headers or {},
    )


class _Server(ThreadingHTTPServer):
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to whatever sys.stderr is *now*: a reply delayed past its
        # own test would land in a later test's captured CLI output. Keep it with its server.
        with self.fake._lock:
            self.fake.errors.append(sys.exc_info()[1])  # type: ignore[arg-type]


class FakeOpenAI:
    def __init__(self, models: list[str] | None = None) -> None:
        self.models = models if models is not None else ["fake-model"]
        self.queue: deque[Script] = deque()
        self.default: Script | None = None
        self.require_key: str | None = None  # when set, any other bearer token gets a 401
        self.requests: list[Received] = []
        self.errors: list[BaseException] = []  # exceptions raised while answering (a test bug)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.fake = self
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *scripts: Script) -> None:
        self.queue.extend(scripts)

    @property
    def chat_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # --- request handling --------------------------------------------------------------------

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            script = self.queue.popleft() if self.queue else self.default
        if script is None:
            return error(500, "fake server: no reply scripted for this request")
        return script(body) if callable(script) else script

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers + body in two writes cost ~40 ms (delayed ACK)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body or {})
                raw = data.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(raw)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if reply.cut_after is not None:
                        self.wfile.write(raw[: reply.cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)  # a reply cut mid-way
                        return
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout tests)
                    pass

            def _record(self, body: Any) -> None:
                with fake._lock:
                    fake.requests.append(Received(self.command, self.path, dict(self.headers), body))

            def _authorised(self) -> bool:
                if fake.require_key is None:
                    return True
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if token == fake.require_key:
                    return True
                # Echo the key back, as some servers do, to prove the client scrubs it.
                self._send(error(401, f"Incorrect API key provided: {token}", code="invalid_api_key"))
                return False

            def do_GET(self) -> None:
                self._record(None)
                if not self._authorised():
                    return
                if self.path.rstrip("/") in ("/v1/models", "/models"):
                    data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in fake.models]
                    self._send(Reply(body={"object": "list", "data": data}))
                else:
                    self._send(error(404, f"no route {self.path}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = raw.decode("utf-8", "replace")
                self._record(body)
                if not self._authorised():
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(error(404, f"no route {self.path}"))
                    return
                model = body.get("model") if isinstance(body, dict) else None
                if fake.models and model not in fake.models:
                    self._send(error(404, f"model '{model}' not found", code="model_not_found"))
                    return
                self._send(fake._next(body if isinstance(body, dict) else {}))

        return Handler
