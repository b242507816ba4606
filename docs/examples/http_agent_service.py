"""A small agent service for ``--agent=http://...`` (docs/agents.md, "HTTP agents").

It answers the harness's POSTs (``pytest-ecom schema --http-agent``) with one assistant message,
asking an OpenAI-compatible model. Without MCP it returns the model's tool calls for the harness
to run. With MCP (``--ecom-mcp``: the request carries ``mcp_url``) it runs the tool loop itself over
the trial's MCP endpoint and answers with text; it keeps each conversation's tool calls under the
conversation id, since the harness sends only the conversation's text.

    python http_agent_service.py --model gpt-4o-mini --model-base-url URL   # prints its URL
    pytest tasks/ --agent=http://127.0.0.1:PORT/agent [--ecom-mcp]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mcp import Client
from openai import OpenAI

ARGS = argparse.Namespace()
HISTORIES: dict[str, list[dict[str, Any]]] = {}  # conversation id -> this service's view of it


def ask_model(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
    model = OpenAI(base_url=ARGS.model_base_url, api_key="unused-on-loopback")
    answer = model.chat.completions.create(model=ARGS.model, messages=messages, tools=tools or None)
    return answer.choices[0].message.model_dump(exclude_none=True)


async def answer_over_mcp(request: dict[str, Any]) -> dict[str, Any]:
    history = HISTORIES.setdefault(request["conversation_id"], [])
    chat = [m for m in history if m["role"] != "tool" and not m.get("tool_calls")]
    history += request["messages"][len(chat):]  # what the customer said since our last answer
    async with Client(request["mcp_url"]) as store:
        tools = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                   "parameters": t.input_schema}}
                 for t in (await store.list_tools()).tools]
        for _ in range(10):
            message = ask_model(history, tools)
            history.append(message)
            if not message.get("tool_calls"):
                return {"role": "assistant", "content": message.get("content") or ""}
            for call in message["tool_calls"]:
                result = await store.call_tool(call["function"]["name"], json.loads(call["function"]["arguments"]))
                history.append({"role": "tool", "tool_call_id": call["id"], "content": result.content[0].text})
    return {"role": "assistant", "content": "Sorry, I could not finish that."}


class Agent(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request.get("mcp_url"):
            reply = asyncio.run(answer_over_mcp(request))
        else:
            reply = ask_model(request["messages"], request["tools"])
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--model-base-url", required=True)
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.parse_args(namespace=ARGS)
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Agent)
    print(f"http://127.0.0.1:{server.server_address[1]}/agent", flush=True)
    server.serve_forever()
