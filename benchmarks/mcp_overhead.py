"""What serving a trial's tools over MCP costs, next to the harness running the same calls, in
the same run.

Prints, on loopback:

1. per tool call (``get_order`` on the task's store, recorded in a trajectory either way): the
   harness running it (the episode's own path), and an MCP client calling the trial's endpoint
   (the official SDK's ``Client``, connection open, both protocol eras), and the same call as a
   plain JSON-RPC POST (the endpoint's share, without the SDK client's own work); the difference
   is the MCP overhead per call (target: at most 2 ms). Wall and CPU time: client and server
   both run in this process, and on a shared machine the wall time also holds the wait for a core;
2. per trial: the oracle on one task with the harness running its calls, and over MCP (which adds
   the endpoint, a client connection and the tool listing once per trial).

Usage: python benchmarks/mcp_overhead.py [--task PATH] [--calls N] [--trials N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from mcp import Client
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.runner import EpisodeSetup, TrialSettings, agent_context, run_trial
from pytest_ecom.runner.episode import _Clock, _served_call, run_tool_call
from pytest_ecom.serving.mcp_host import close_host, trial_endpoint
from pytest_ecom.trajectory import Trajectory
from pytest_ecom.users import ScriptedCustomer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TASK = "tasks/home_appliances/returns/damaged_kettle.task.yaml"
REPEATS = 5  # each figure: the median of this many runs of N calls (the machine may be shared)


def _setup(prepared, served=None) -> EpisodeSetup:
    context = agent_context(prepared, 1, {})
    return EpisodeSetup(None, prepared.domain.tools, prepared.new_store(), ScriptedCustomer(["hi"]), context,
                        20, 30, 300.0, served=served)


def _a_read(prepared) -> tuple[str, dict]:
    """The task's first required search (a read), or its first golden call."""
    name, arguments = ([*prepared.searches, *prepared.actions])[0]
    return name, dict(arguments)


class Timer:
    """Wall time and this process's CPU time (client and server both run here: on a shared
    machine the CPU time is the cost, the wall time also holds the wait for a core)."""

    def __enter__(self) -> "Timer":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def per(self, n: int) -> tuple[float, float]:
        return self.wall / n * 1000, self.cpu / n * 1000


async def harness_call_ms(prepared, calls: int) -> tuple[float, float]:
    name, arguments = _a_read(prepared)
    setup, traj, clock = _setup(prepared), Trajectory(), _Clock()
    with Timer() as timer:
        for i in range(calls):
            run_tool_call(setup, traj, clock, f"c{i}", name, arguments)
    return timer.per(calls)


async def mcp_call_ms(prepared, calls: int, mode: str) -> tuple[float, float]:
    name, arguments = _a_read(prepared)
    async with trial_endpoint(prepared.domain.tools) as endpoint:
        setup, traj, clock = _setup(prepared, endpoint), Trajectory(), _Clock()
        endpoint.call = lambda n, a: _served_call(setup, traj, clock, n, a)
        async with Client(endpoint.url, mode=mode) as client:
            await client.call_tool(name, arguments)  # warm: the connection is open
            with Timer() as timer:
                for _ in range(calls):
                    await client.call_tool(name, arguments)
        assert len(traj.calls) == calls + 1 and all(c.ok for c in traj.calls)
    return timer.per(calls)


async def raw_call_ms(prepared, calls: int) -> tuple[float, float]:
    """The endpoint's own share: the same call as one plain JSON-RPC POST (what the SDK's client
    sends, over one kept-alive connection), without the SDK client's work."""
    import httpx

    name, arguments = _a_read(prepared)
    meta = {"io.modelcontextprotocol/protocolVersion": LATEST_MODERN_VERSION,
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": arguments, "_meta": meta}}
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": LATEST_MODERN_VERSION,
               "mcp-method": "tools/call", "mcp-name": name}
    async with trial_endpoint(prepared.domain.tools) as endpoint:
        setup, traj, clock = _setup(prepared, endpoint), Trajectory(), _Clock()
        endpoint.call = lambda n, a: _served_call(setup, traj, clock, n, a)
        async with httpx.AsyncClient(trust_env=False) as http:
            answer = await http.post(endpoint.url, json=body, headers=headers)
            assert answer.status_code == 200 and "error" not in answer.json(), answer.text
            with Timer() as timer:
                for _ in range(calls):
                    await http.post(endpoint.url, json=body, headers=headers)
        assert len(traj.calls) == calls + 1
    return timer.per(calls)


async def trial_ms(prepared, trials: int, mcp: bool) -> tuple[float, float]:
    with Timer() as timer:
        for i in range(1, trials + 1):
            record = await run_trial(prepared, "oracle", i, repeat=trials, settings=TrialSettings(mcp=mcp))
            assert record["outcome"] == "pass", record
    return timer.per(trials)


def median(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


def line(label: str, figure: tuple[float, float], unit: str, base: tuple[float, float] | None = None,
         target: float | None = None) -> str:
    text = f"{label:<42} wall {figure[0]:8.3f}  cpu {figure[1]:8.3f} {unit}"
    if base is not None:
        text += f"   overhead wall {figure[0] - base[0]:7.3f}  cpu {figure[1] - base[1]:7.3f}"
    if target is not None:
        text += f"  (target <= {target:g} ms: {'met' if figure[1] - base[1] <= target else 'NOT met'} on cpu)"
    return text


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    prepared = load_prepared(ROOT / args.task)
    await trial_ms(prepared, 1, True)  # warm: imports, the server's start
    harness = median([await harness_call_ms(prepared, args.calls) for _ in range(REPEATS)])
    modern = median([await mcp_call_ms(prepared, args.calls, LATEST_MODERN_VERSION) for _ in range(REPEATS)])
    legacy = median([await mcp_call_ms(prepared, args.calls, "legacy") for _ in range(REPEATS)])
    raw = median([await raw_call_ms(prepared, args.calls) for _ in range(REPEATS)])
    plain_trial = median([await trial_ms(prepared, args.trials, False) for _ in range(3)])
    mcp_trial = median([await trial_ms(prepared, args.trials, True) for _ in range(3)])
    await close_host()
    name, _ = _a_read(prepared)
    print(f"task: {args.task}; tool call: {name}; medians of {REPEATS} runs of {args.calls} calls (ms)")
    print(line("harness runs the call", harness, "ms/call"))
    print(line(f"over MCP, {LATEST_MODERN_VERSION} (stateless)", modern, "ms/call", harness, 2))
    print(line(f"over MCP, {LATEST_HANDSHAKE_VERSION} (handshake era)", legacy, "ms/call", harness, 2))
    print(line("plain JSON-RPC POST (the endpoint's share)", raw, "ms/call", harness, 2))
    print(line(f"oracle trial, harness runs its calls", plain_trial, "ms/trial"))
    print(line("oracle trial over MCP", mcp_trial, "ms/trial", plain_trial))


if __name__ == "__main__":
    asyncio.run(main())
