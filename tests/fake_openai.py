"""A real OpenAI-compatible HTTP server on loopback, with scripted replies, for client tests.

Each POST to /v1/chat/completions pops the next action from ``script`` (or asks ``responder``):
  ("ok", text)             200 with a chat completion whose content is text
  ("ok", text, "length")   the same, cut at the token limit (finish_reason "length")
  ("status", code)         an error status with an OpenAI-style error body (429 adds Retry-After: 0)
  ("status", code, msg)    the same with that message
  ("sleep", seconds, text) waits, then answers 200 (a client with a shorter timeout times out)
  ("drip", seconds, text)  answers 200 one byte every `seconds` (never trips a per-read timeout)
GET /v1/models lists one model.
Every request body is kept in ``requests`` so tests can inspect what was sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fdacli.core.score.judges.local import as_event, relation
from fdacli.core.text import grammar


def extract_events(text: str) -> list[str]:
    return [e.text for e in grammar.extract(text)]


def opposite(a: str, b: str) -> bool:
    return relation(as_event(a), as_event(b))[0] == "opposite"


class FakeOpenAI:
    def __init__(self, script=None, responder=None) -> None:
        self.script = list(script or [])
        self.responder = responder
        self.requests: list[dict] = []
        self.echo_auth = False
        self.headers: list[dict] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._send(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})

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
                if kind in ("ok", "drip"):
                    text = action[1] if kind == "ok" else action[2]
                    finish = action[2] if kind == "ok" and len(action) > 2 else "stop"
                    payload = {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    }
                    self._send(200, payload, drip=action[1] if kind == "drip" else None)
                else:
                    code = action[1]
                    extra = {"retry-after": "0"} if code == 429 else {}
                    msg = action[2] if len(action) > 2 else f"scripted {code}"
                    if server.echo_auth:  # a server that echoes what it was sent, far into a long message
                        msg += " " + "x" * 190 + f" authorization: {self.headers.get('authorization')}"
                    self._send(code, {"error": {"message": msg, "type": "test", "code": code}}, extra)

            def _send(self, code, payload, headers=None, drip=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    if drip is None:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        time.sleep(drip)
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


def fec_judge(body):
    """A judge that answers the supplement's prompts the way a careful LLM would."""
    text = body["messages"][0]["content"]
    if "FAILME" in text:
        return ("status", 500)
    if text.startswith("Below is a description of a video clip"):
        cap = text.split("Video Description: ", 1)[1].split("\n\nExtract", 1)[0]
        return ("ok", repr({"events": extract_events(cap)}))  # a Python dict string, as the prompt asks
    if "List 1 (Pred Events)" in text:
        def items(block):
            return [re.sub(r"^\d+\. ", "", x) for x in block.strip().splitlines() if x.strip()]
        pred = items(text.split("List 1 (Pred Events):", 1)[1].split("List 2 (GT Events):", 1)[0])
        gt = items(text.split("List 2 (GT Events):", 1)[1].split("Output a JSON", 1)[0])
        pairs = [{"pred_event": p, "gt_events": [
            {"gt_event": g, "relationship": "Same Meaning" if p == g else "Opposite Meaning" if opposite(p, g) else "No Relation"}
            for g in gt]} for p in pred]
        return ("ok", "```json\n" + json.dumps({"event_pairs": pairs}) + "\n```")
    if text.startswith("Below is a description of a video and a numbered list of events"):
        desc = text.split("Description: ", 1)[1].split("\n\nEvents:", 1)[0]
        events = [re.sub(r"^\d+\. ", "", x) for x in text.split("Events:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
        have = set(extract_events(desc))
        return ("ok", json.dumps({"labels": ["entailment" if e in have else "neutral" for e in events]}))
    if text.startswith("You are an AI assistant that reformats"):
        return ("ok", text.split("Generated Text: ", 1)[1])
    if "Give an integer score" in text:
        return ("ok", '{"score": 4}')
    return ("status", 400)


if __name__ == "__main__":
    # README's pre-annotation and review examples: a loopback server that answers every request with a fixed
    # caption, or with FEC-Bench reference captions in turn (--refs), so the examples run without a vision model.
    import argparse
    import itertools

    ap = argparse.ArgumentParser(description="a loopback OpenAI-compatible server with scripted captions; prints its URL")
    ap.add_argument("seconds", nargs="?", type=float, default=600.0, help="serve this long (default 600)")
    ap.add_argument("--refs", help="answer with the captions of this FEC-Bench JSON file, one per request, in turn")
    args = ap.parse_args()
    if args.refs:
        captions = itertools.cycle([r["caption"] for r in json.loads(open(args.refs, encoding="utf-8").read())])
        lock = threading.Lock()

        def reply(body):
            with lock:
                return ("ok", next(captions))
    else:
        def reply(body):
            return ("ok", "The man looks straight at the camera with a broad, relaxed smile; "
                          "his eyebrows lift slightly, then his mouth closes.")
    with FakeOpenAI(responder=reply) as srv:
        print(srv.base_url, flush=True)
        time.sleep(args.seconds)
