"""CPU per model call: litellm as pytest-ecom calls it, next to bare clients, in one run.

The tests' loopback OpenAI-compatible stub runs in a child process (its CPU is not counted) and
answers at once; this process then makes the same chat request (a system and a user message,
one tool) N times one after another with:

- ``httpx``: a bare HTTP POST and ``json()`` of the answer: the floor of any Python client;
- ``openai``: the OpenAI SDK's ``chat.completions.create`` on one shared client;
- ``litellm``: ``litellm.acompletion`` with its defaults (a fresh import's settings);
- ``pytest-ecom``: :func:`pytest_ecom.models.llm.chat`, i.e. litellm with our settings (its message
  logging off, its own price reused rather than computed again) plus our retries, metering and
  limiter.

Printed: CPU milliseconds per call of this process (``time.process_time``, all threads: litellm
prices and logs in helper threads too) and wall milliseconds. CPU per call bounds throughput: one
process can make at most ``1000 / cpu_ms`` calls a second, however many wait at once.

Usage: python benchmarks/litellm_overhead.py [--calls 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = [{"role": "system", "content": "You are a support agent."},
            {"role": "user", "content": "Where is my order 100003?"}]
TOOLS = [{"type": "function", "function": {
    "name": "get_order", "description": "Look an order up.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]


def serve(conn: Any) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from openai_stub import OpenAIStub

    with OpenAIStub() as stub:
        conn.send(stub.base_url)
        conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="calls per client and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best (least disturbed) is shown")
    opts = parser.parse_args()
    here, there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(there,), daemon=True)
    server.start()
    base = here.recv()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import httpx
    import litellm
    import openai

    from pytest_ecom.models import llm

    http = httpx.AsyncClient()
    sdk = openai.AsyncOpenAI(base_url=base, api_key="not-needed", max_retries=0)
    body = {"model": "stub-agent", "messages": MESSAGES, "tools": TOOLS, "seed": 1, "temperature": 0}

    async def bare_httpx() -> Any:
        return (await http.post(f"{base}/chat/completions", json=body)).json()

    async def bare_openai() -> Any:
        return await sdk.chat.completions.create(model="stub-agent", messages=MESSAGES, tools=TOOLS, seed=1,
                                                 temperature=0)

    async def litellm_defaults() -> Any:
        return await litellm.acompletion(model="openai/stub-agent", messages=MESSAGES, tools=TOOLS, api_base=base,
                                         api_key="not-needed", seed=1, temperature=0)

    async def ours() -> Any:
        return await llm.chat("openai/stub-agent", MESSAGES, TOOLS, base_url=base, seed=1)

    clients: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("httpx (bare POST)", bare_httpx), ("openai SDK", bare_openai), ("litellm, its defaults", litellm_defaults),
        ("pytest-ecom (litellm, our settings)", ours)]
    loop = asyncio.new_event_loop()
    best: dict[str, tuple[float, float]] = {}

    async def run(make: Callable[[], Awaitable[Any]], n: int) -> None:
        for _ in range(n):
            await make()

    for name, make in clients:
        loop.run_until_complete(run(make, 30))  # warm up: imports, clients, connection pools
    flags = ("turn_off_message_logging", "disable_streaming_logging")
    defaults = {flag: getattr(litellm, flag) for flag in flags}
    for _ in range(opts.rounds):
        for name, make in clients:
            if make is litellm_defaults:  # litellm as a fresh import sets it
                for flag in flags:
                    setattr(litellm, flag, False)
            cpu, wall = time.process_time(), time.perf_counter()
            loop.run_until_complete(run(make, opts.calls))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            for flag, value in defaults.items():
                setattr(litellm, flag, value)
            per = (cpu / opts.calls * 1000, wall / opts.calls * 1000)
            best[name] = min(best.get(name, per), per)
    here.send("stop")
    server.join(timeout=5)
    floor = best["httpx (bare POST)"][0]
    print(f"{opts.calls} sequential chat calls per client, best of {opts.rounds} rounds "
          "(the stub answers at once, in another process)")
    print(f"{'client':<38} {'CPU ms/call':>11} {'wall ms/call':>12} {'x httpx':>8} {'calls/s of CPU':>15}")
    for name, _ in clients:
        cpu, wall = best[name]
        print(f"{name:<38} {cpu:>11.2f} {wall:>12.2f} {cpu / floor:>8.1f} {1000 / cpu:>15.0f}")


if __name__ == "__main__":
    main()
