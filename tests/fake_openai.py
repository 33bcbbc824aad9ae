"""A real OpenAI-compatible HTTP server on loopback, with scripted replies, for client tests.

Each POST to /v1/chat/completions pops the next action from ``script`` (or asks ``responder``):
  ("ok", text)             200 with a chat completion whose content is text
  ("status", code)         an error status with an OpenAI-style error body (429 adds Retry-After: 0)
  ("sleep", seconds, text) waits, then answers 200 (a client with a shorter timeout times out)
Every request body is kept in ``requests`` so tests can inspect what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self, script=None, responder=None) -> None:
        self.script = list(script or [])
        self.responder = responder
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(n) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    action = server.script.pop(0) if server.script else None
                if action is None:
                    action = server.responder(body) if server.responder else ("status", 500)
                kind = action[0]
                if kind == "sleep":
                    time.sleep(action[1])
                    action = ("ok", action[2])
                    kind = "ok"
                if kind == "ok":
                    payload = {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": action[1]}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    }
                    self._send(200, payload)
                else:
                    code = action[1]
                    extra = {"retry-after": "0"} if code == 429 else {}
                    self._send(code, {"error": {"message": f"scripted {code}", "type": "test", "code": code}}, extra)

            def _send(self, code, payload, headers=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
