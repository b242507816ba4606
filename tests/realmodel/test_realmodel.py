"""The real-model tier: the ``litellm`` agent and the LLM customer, both played by a real small
chat model (SmolLM2-135M-Instruct on CPU, served by llama.cpp on loopback: no network, no key),
on one task of each store and a few stage-wise samples.

Each run is a ``pytest`` subprocess from the repo root, as a user would type it, recording every
model call; then the same command replays the cassettes against a base URL where nothing listens.
The tests check what the harness owes, never what the model achieves (a 135M model solves
nothing): the run completes, every trial is a pass, a fail or an error whose source is the
customer or the provider (never the harness, the scoring or a tool), tokens are recorded, failed
and errored trials keep their conversation, and the replay gives the same outcomes offline.

Run it with ``pytest tests/realmodel -m realmodel`` (see the README's "real-model tier").
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .llama_server import MODEL_NAME, LlamaServer

pytestmark = pytest.mark.realmodel

MODEL = f"openai/{MODEL_NAME}"

# One short task of each store, and stage-wise samples of four task types (label and free text).
RUNS: dict[str, tuple[str, ...]] = {
    "stagewise": (
        "tasks/stagewise/attitude_cls/att_shop_firm_refusal.sample.yaml",
        "tasks/stagewise/scenario_route/route_ads_gone_by_afternoon.sample.yaml",
        "tasks/stagewise/intent_recognition/intent_wrong_phone_on_order.sample.yaml",
        "tasks/stagewise/RAG_QA/rag_paypal_refund_timing.sample.yaml",
    ),
    "home_appliances": ("tasks/home_appliances/orders/cancel_unshipped_blender.task.yaml",),
    "seller_support": ("tasks/seller_support/balance_refund/open_account_refund_refused.task.yaml",),
    "ecom_bench": ("tasks/ecom-bench/041_register_cashback_by_review.task.yaml",),
}

# A CPU-served model is slow: each attempt of a call may take up to CALL_TIMEOUT_S, a trial up to
# TRIAL_TIMEOUT_S (no trial should come near it: one that timed out could not be replayed alike).
# Short answers keep it quick.
CALL_TIMEOUT_S = 180
TRIAL_TIMEOUT_S = 900
MAX_TOKENS = 96
RUN_TIMEOUT_S = 1500  # the subprocess as a whole

# What an error may be blamed on with a real model: the customer it played (a fault), or the
# model server (the provider). Never pytest-ecom itself.
ERROR_SOURCES = {"customer", "provider"}
SUMMARY = re.compile(r"agent litellm: \d+ (?:tasks|samples), (\d+) trials: (\d+) passed, (\d+) failed, (\d+) errors")


@dataclass
class Run:
    name: str
    command: list[str]
    returncode: int
    output: str
    report: dict[str, Any]
    wall_s: float

    @property
    def trials(self) -> list[dict[str, Any]]:
        return self.report["trials"]

    def by_trial(self) -> dict[tuple[str, int], dict[str, Any]]:
        return {(t["task"], t["trial"]): t for t in self.trials}

    def explain(self) -> str:
        return f"{' '.join(self.command)}\n(exit code {self.returncode}, {self.wall_s:.0f} s)\n{self.output[-6000:]}"


def ecom_command(paths: tuple[str, ...], base_url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:benchmark", *paths,
            "--agent=litellm", f"--agent-model={MODEL}", f"--agent-base-url={base_url}",
            f"--user-model={MODEL}", f"--user-base-url={base_url}",
            "--repeat=1", f"--model-max-tokens={MAX_TOKENS}",
            f"--ecom-call-timeout={CALL_TIMEOUT_S}", f"--ecom-timeout={TRIAL_TIMEOUT_S}", *extra]


def run_pytest(name: str, command: list[str], root: Path, report: Path) -> Run:
    env = {**os.environ, "PYTEST_ECOM_API_KEY": "not-needed",  # no real key ever goes to the loopback server
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.pop("PYTEST_XDIST_WORKER", None)  # the run is a session of its own, also under xdist
    began = time.monotonic()
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    wall = time.monotonic() - began
    output = proc.stdout + proc.stderr
    loaded = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    run = Run(name, command, proc.returncode, output, loaded, wall)
    print(f"\n{name}: exit code {proc.returncode} in {wall:.1f} s")
    return run


def dead_base_url() -> str:
    """A loopback URL where nothing listens: a replay that sent anything would fail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@dataclass
class Tier:
    recorded: Run
    replayed: Run
    expected_trials: int


@pytest.fixture(scope="module", params=list(RUNS))
def tier(request: pytest.FixtureRequest, llama_server: LlamaServer, repo_root: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Tier:
    """One store's run against the model, recorded, then replayed with no server to answer."""
    name = request.param
    paths = RUNS[name]
    out = tmp_path_factory.mktemp(f"realmodel-{name}")
    cassettes = out / "cassettes"
    recorded = run_pytest(f"{name} (recorded)", ecom_command(
        paths, llama_server.base_url, f"--ecom-record={cassettes}", f"--ecom-report={out / 'recorded.json'}"),
        repo_root, out / "recorded.json")
    replayed = run_pytest(f"{name} (replayed)", ecom_command(
        paths, dead_base_url(), f"--ecom-replay={cassettes}", f"--ecom-report={out / 'replayed.json'}"),
        repo_root, out / "replayed.json")
    return Tier(recorded, replayed, expected_trials=len(paths))


def test_the_run_completes(tier: Tier) -> None:
    """Exit code 0 or 1 (some trial failed or errored), never 2/3/4 (interrupted, internal error,
    usage error); the summary line and the JSON report account for every trial."""
    run = tier.recorded
    assert run.returncode in (0, 1), run.explain()
    summary = SUMMARY.search(run.output)
    assert summary, run.explain()
    trials, passed, failed, errors = map(int, summary.groups())
    assert trials == tier.expected_trials == len(run.trials), run.explain()
    assert passed + failed + errors == trials
    assert "left no record" not in run.output, run.explain()


def test_every_trial_is_scored_or_a_classified_error(tier: Tier) -> None:
    for record in tier.recorded.trials:
        where = f"{record['task']}[{record['trial']}]: {json.dumps(record['error'])[:2000]}"
        assert record["outcome"] in ("pass", "fail", "error"), where
        if record["outcome"] == "error":
            assert record["error"]["source"] in ERROR_SOURCES, where
            assert record["error"]["message"].strip(), where
            assert record["verdicts"] is None, where
        else:
            assert record["error"] is None, where
            assert record["dimensions"] and record["verdicts"] is not None, where


def test_tokens_are_recorded(tier: Tier) -> None:
    """Every call the model answered counts its tokens, per role, in the record and the summary."""
    for record in tier.recorded.trials:
        tokens = record["tokens"] or {}
        where = f"{record['task']}: {tokens}"
        roles = {"agent"} if record["kind"] == "sample" else {"customer"}  # the customer speaks first
        if record["kind"] == "task" and record["turns"] > 0:
            roles.add("agent")
        for role in roles:
            assert tokens.get(role, {}).get("calls", 0) >= 1, where
            assert tokens[role]["prompt_tokens"] > 0, where
            assert tokens[role]["attempts"] >= tokens[role]["calls"], where
    usage = tier.recorded.report["summary"]["usage"]["roles"]
    for role in ("agent", "customer"):
        total = sum((t["tokens"] or {}).get(role, {}).get("prompt_tokens", 0) for t in tier.recorded.trials)
        assert usage.get(role, {}).get("prompt_tokens", 0) == total


def test_failed_trials_keep_their_conversation(tier: Tier) -> None:
    """The report keeps the transcript of every failed or errored trial (and only of those)."""
    for record in tier.recorded.trials:
        if record["outcome"] == "pass":
            assert record["transcript"] is None, record["task"]
            continue
        transcript = record["transcript"]
        assert transcript, f"{record['task']} ({record['outcome']}) has no transcript"
        if record["kind"] == "task":  # what the model said as the customer is there
            assert any(m.get("role") == "user" and (m.get("content") or "").strip() for m in transcript), transcript
        elif record["outcome"] == "fail":  # the prompt and the model's one reply
            assert transcript[-1].get("role") == "assistant", transcript


def test_the_replay_gives_the_same_outcomes_offline(tier: Tier) -> None:
    """``--ecom-replay`` answers every call from the cassettes (no server behind its base URL):
    same outcomes, end reasons, error texts, dimensions and tokens. (A call that failed was never
    recorded: a trial the provider failed replays as an error of the provider too, a missing
    cassette entry, so only its outcome and source are compared.)"""
    recorded, replayed = tier.recorded, tier.replayed
    assert replayed.returncode == recorded.returncode, replayed.explain()
    before, after = recorded.by_trial(), replayed.by_trial()
    assert before.keys() == after.keys(), replayed.explain()

    def essence(record: dict[str, Any]) -> dict[str, Any]:
        error = record["error"]
        if error is not None and error["source"] == "provider":
            return {"outcome": record["outcome"], "source": "provider"}
        return {"outcome": record["outcome"], "end_reason": record["end_reason"], "turns": record["turns"],
                "tool_calls": record["tool_calls"],
                "error": None if error is None else (error["source"], error["message"]),
                "dimensions": {name: d["passed"] for name, d in record["dimensions"].items()},
                "tokens": {role: (u["calls"], u["prompt_tokens"], u["completion_tokens"])
                           for role, u in (record["tokens"] or {}).items()}}

    for key in before:
        assert essence(after[key]) == essence(before[key]), f"{key}\n{replayed.explain()}"
