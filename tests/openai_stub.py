"""A tiny OpenAI-compatible server on loopback, for model calls made through litellm in tests.

- ``POST /v1/embeddings``: a deterministic bag-of-words vector per input text;
- ``POST /v1/chat/completions``: with tools, a support agent that looks up the 6-digit order
  number the customer gave (``get_order``) and then reports the tool's answer (with ``notools`` in
  the model name, it answers without looking anything up); without tools and
  with a model name containing ``customer``, a simulated customer (see ``customer_content``);
  otherwise a judge giving ``{"score": 2}`` when the reply to grade holds the reference answer's
  first three words, else ``{"score": 0}``; with a model name containing ``vision``, a vision
  model naming the images it was sent (``vision_content``);
- any model whose name contains ``broken`` gets HTTP 401 (a provider failure); ``fail()`` makes the
  next requests of a model fail with a chosen status, ``latency_s`` delays every request (and
  ``most_in_flight`` then tells how many waited at once).
Every request is kept in ``requests`` so tests can see what was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DIMENSIONS = 64


def bag_of_words(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    return vector


def agent_message(messages: list[dict[str, Any]], model: str = "") -> dict[str, Any]:
    """The support agent; with ``notools`` in the model name, one that never looks anything up."""
    if "notools" in model:
        return {"role": "assistant", "content": "Your order is on its way, I am sure."}
    last = messages[-1]
    if last["role"] == "tool":
        return {"role": "assistant", "content": f"Here is what I found: {last['content']}"}
    found = re.search(r"\b\d{6}\b", last.get("content") or "")
    if not found:
        return {"role": "assistant", "content": "Could you give me your order number?"}
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_order", "arguments": json.dumps({"order_id": found.group()})}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


# Customers that go wrong on purpose, chosen by a word in the model name: a message; a list of
# messages (the i-th for its i-th turn, the last one repeated); or a function of the messages it
# was sent. With ``once`` in the name too (``customer-once-cue``), only the first conversation of
# that model since the stub's requests were cleared goes wrong, the later ones play the normal
# customer: a customer at fault on a trial's first attempt and fine on its re-run.
FAULTY_CUSTOMERS = {
    "repeat": "Hello? Is anyone there?",  # says the same thing every turn
    "invent": "Please cancel order 999999 right away.",  # an order id its goal does not hold
    "role": "Hello! How can I help you today?",  # talks like the assistant
    "quitter": "Never mind. ###STOP###",  # leaves before the agent did anything
    "human": "I want to talk to a real person. ###HUMAN###",  # asks for a human before the agent said anything
    # replays the harness's opening cue (users/prompts.py) as its own first message
    "cue": "[The chat window with the shop's customer service has opened. Write your first message.]",
    # says the agent's last reply back to it word for word
    "echo": lambda messages: messages[-1]["content"] if len(messages) > 2 else "Hi, I need help with my order.",
    "zhassist": "好的，我明白了。请问你想要什么？",  # a Chinese assistant's words
    # asks for a human after the agent answered (and asked for an order number it never gets)
    "giveup": ["Hi, I need help with my order.", "Forget it, get me a real person. ###HUMAN###"],
    # says yes to a reply that asked nothing (an unoffered confirmation, users/quality.py), then stops
    "yesman": ["Hi, where is my order 100003?", "Yes, do it. ###STOP###"],
}


def customer_content(model: str, messages: list[dict[str, Any]], conversation: int = 0) -> str:
    """A customer following the role-play prompt: it asks for help (angrily when its persona says
    ``emotion: angry``), gives the first 6-digit number of its goal when asked, then stops.
    ``conversation``: how many conversations of this model the stub saw before this one."""
    said = sum(m["role"] == "assistant" for m in messages)  # the customer's own earlier messages
    for word, text in FAULTY_CUSTOMERS.items():
        if word in model and not ("once" in model and conversation > 0):
            if callable(text):
                return text(messages)
            return text[min(said, len(text) - 1)] if isinstance(text, list) else text
    system = messages[0]["content"]
    order = re.search(r"\b\d{6}\b", system)
    opener = "This is ridiculous, I need help with my order!" if "emotion: angry" in system else "Hi, I need help with my order."
    script = [opener, f"It's order {order.group() if order else 'unknown'}.", "Thanks, that's all. ###STOP###"]
    return script[min(said, len(script) - 1)]


def _conversations_before(requests: list[tuple[str, dict[str, Any]]], model: str) -> int:
    """Conversations of ``model`` that started (a request without the customer's own messages)
    before the last request."""
    started = [b for p, b in requests if p.endswith("/chat/completions") and b.get("model") == model
               and not any(m.get("role") == "assistant" for m in b.get("messages", []))]
    return max(len(started) - 1, 0)


def vision_content(messages: list[dict[str, Any]]) -> str:
    """A vision model: names the images it was shown (``image_url`` parts) and the question."""
    parts = messages[-1]["content"]
    urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
    question = " ".join(p["text"] for p in parts if p.get("type") == "text")
    return f"图片显示：晒图送吹风机 ({len(urls)} image(s): {', '.join(urls)}; asked: {question})"


def judge_content(messages: list[dict[str, Any]]) -> str:
    user = messages[-1]["content"]
    if not isinstance(user, str) or "Reference answer:\n" not in user:
        return "A"  # not a grading request (e.g. a stage-wise sample sent to an agent): a short answer
    reference = user.split("Reference answer:\n", 1)[1].split("\n\nReply to grade:", 1)[0]
    reply = user.split("Reply to grade:\n", 1)[1].lower()
    key_words = re.findall(r"\w+", reference.lower())[:3]
    return json.dumps({"score": 2 if all(w in reply for w in key_words) else 0})


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        self.server.requests.append((self.path, body))
        model = body.get("model", "")
        self.server.authorizations.append((model, self.headers.get("Authorization")))
        self.server.arrivals.append((model, time.monotonic()))
        if self.server.latency_s:
            with self.server.lock:
                self.server.in_flight += 1
                self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
            time.sleep(self.server.latency_s)
            with self.server.lock:
                self.server.in_flight -= 1
        planned = self.server.failures.get(model)
        if planned and planned[0] > 0:  # injected by fail(): a rate limit, a server error, ...
            planned[0] -= 1
            headers = {} if planned[2] is None else {"Retry-After": planned[2]}
            self._send(planned[1], {"error": {"message": f"injected HTTP {planned[1]}", "type": "server_error"}},
                       headers)
            return
        empty = self.server.malformed.get(model)
        if empty and empty[0] > 0 and self.path.endswith("/chat/completions"):  # injected by malformed()
            empty[0] -= 1
            self._send(200, {"id": "stub", "object": "chat.completion", "created": 0, "model": model, "choices": [],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            return
        if "broken" in model:
            self._send(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
        elif self.path.endswith("/embeddings"):
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": bag_of_words(t)} for i, t in enumerate(texts)]
            self._send(200, {"object": "list", "data": data, "model": model,
                             "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        elif self.path.endswith("/chat/completions"):
            if body.get("tools"):
                message = agent_message(body["messages"], model)
            elif "vision" in model:
                message = {"role": "assistant", "content": vision_content(body["messages"])}
            elif "customer" in model:
                message = {"role": "assistant", "content": customer_content(
                    model, body["messages"], _conversations_before(list(self.server.requests), model))}
            else:
                message = {"role": "assistant", "content": judge_content(body["messages"])}
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            self._send(200, {"id": "stub", "object": "chat.completion", "created": 0, "model": model,
                             "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})


class OpenAIStub:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.server.failures = {}  # model -> [failures left, HTTP status, Retry-After or None]
        self.server.malformed = {}  # model -> [answers with empty choices left]
        self.server.authorizations = []  # (model, Authorization header) of every request
        self.server.arrivals = []  # (model, time.monotonic()) of every request
        self.server.latency_s = 0.0  # every request waits this long
        self.server.lock = threading.Lock()
        self.server.in_flight = 0  # requests waiting out their latency now
        self.server.most_in_flight = 0  # the most seen at once
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def fail(self, model: str, times: int, status: int = 429, retry_after: str | None = None) -> None:
        """The next ``times`` requests for ``model`` (as sent, e.g. ``stub-agent``) get HTTP ``status``,
        with a ``Retry-After`` header when one is given."""
        self.server.failures[model] = [times, status, retry_after]

    def malformed(self, model: str, times: int) -> None:
        """The next ``times`` chat answers for ``model`` are HTTP 200 with empty ``choices``."""
        self.server.malformed[model] = [times]

    def reset(self) -> None:
        """No requests seen, no failures or malformed answers planned, no latency."""
        self.server.requests.clear()
        self.server.failures.clear()
        self.server.malformed.clear()
        self.server.authorizations.clear()
        self.server.arrivals.clear()
        self.server.latency_s = 0.0

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        return self.server.requests

    def chat_requests(self, model: str) -> list[dict[str, Any]]:
        """The bodies of the chat completions sent for ``model`` (as sent, e.g. ``stub-agent``)."""
        return [body for path, body in self.requests if path.endswith("/chat/completions") and body["model"] == model]

    def __enter__(self) -> OpenAIStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
