"""Every model call of pytest-ecom goes through here, and through litellm.

litellm is imported on first use only (an oracle run never imports it), with its price list read
from the installed package instead of the network. Each call:

- is retried by this layer alone on rate limits, timeouts, connection failures and 5xx, with
  exponential backoff and jitter (litellm's and the client's own retries are off, so every
  attempt is counted once); after the last attempt, or at once for any other failure, it raises
  :class:`ModelCallError`, a :class:`~pytest_ecom.errors.ProviderError`: the trial is an error,
  not a fail;
- adds its tokens and cost to the running trial's meter under its role (agent, customer, judge,
  vision), see :mod:`pytest_ecom.models.metering`; a model without a known price costs "unknown";
- is written to, or answered from, a cassette when the run records or replays
  (:mod:`pytest_ecom.models.cassettes`).

Run-wide settings (retries, sampling, prices, cassettes) are set once per process with
:func:`configure`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import math
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_ecom.models import metering
from pytest_ecom.errors import ProviderError
from pytest_ecom.models.cassettes import CassetteError, Player, Recorder, request_hash


class ModelCallError(ProviderError):
    """A model call failed (network, provider, malformed answer, replay miss)."""


@dataclass(frozen=True)
class CallSettings:
    retries: int = 3  # attempts after the first, for transient failures only
    backoff_s: float = 1.0  # first wait; doubled each retry, times a jitter in [0.5, 1.5)
    timeout_s: float = 60.0  # one attempt's limit: a hung provider is a retried failure, not a slow agent
    temperature: float | None = 0.0
    max_tokens: int | None = None
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # model -> USD per 1M (in, out)
    record: Path | None = None
    replay: Path | None = None


_SETTINGS: list[CallSettings] = [CallSettings()]
_TAPES: dict[str, Recorder | Player | None] = {"record": None, "replay": None}


def configure(settings: CallSettings) -> None:
    """Set this process's call settings (retries, sampling, prices, cassettes)."""
    _SETTINGS[0] = settings
    _TAPES["record"] = Recorder(settings.record) if settings.record else None
    _TAPES["replay"] = Player(settings.replay) if settings.replay else None


def settings() -> CallSettings:
    return _SETTINGS[0]


@functools.cache
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    import litellm

    litellm.telemetry = False
    return litellm


def _kwargs(base_url: str | None) -> dict[str, Any]:
    # num_retries / max_retries: litellm and the OpenAI client must not retry behind our back
    out: dict[str, Any] = {"num_retries": 0, "max_retries": 0, "timeout": settings().timeout_s}
    if base_url:
        out["api_base"] = base_url
        out.setdefault("api_key", os.environ.get("PYTEST_ECOM_API_KEY", "not-needed"))
    return out


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: rate limit, timeout, connection failure, server error."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and (status in (408, 409, 429) or status >= 500):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"Timeout", "APITimeoutError", "APIConnectionError", "TimeoutError", "ConnectionError",
                         "RateLimitError", "InternalServerError", "ServiceUnavailableError"})


def price(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for the tokens: the run's own price for the model, else litellm's list, else None (unknown)."""
    given = settings().prices.get(model)
    if given is not None:
        return (prompt_tokens * given[0] + completion_tokens * given[1]) / 1_000_000
    try:
        prompt_cost, completion_cost = _litellm().cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    except Exception:  # litellm raises for a model it has no price for
        return None
    return prompt_cost + completion_cost


@dataclass
class _Outcome:
    value: Any
    prompt_tokens: int
    completion_tokens: int
    counted: bool = True  # the provider reported its usage

async def _call(role: str, model: str, request: dict[str, Any],
                send: Callable[[], Awaitable[Any]], read: Callable[[Any], _Outcome]) -> Any:
    """One model call with retries, metering and cassettes; returns ``read(response).value``."""
    meter = metering.current()
    number = meter.next_call() if meter is not None else 0
    digest = request_hash({"model": model, **request})
    player, recorder = _TAPES["replay"], _TAPES["record"]
    if isinstance(player, Player):
        if meter is None:
            raise ModelCallError(f"replay: a {role} model call outside any trial cannot be replayed")
        try:
            entry = player.answer(*meter.key, number, digest)
        except CassetteError as exc:
            raise ModelCallError(str(exc)) from None
        meter.add(role, entry["prompt_tokens"], entry["completion_tokens"], entry["cost_usd"], 1)
        return entry["value"]
    outcome, attempts = await _attempts(model, send, read)
    # no usage in the answer: its cost is unknown, not $0
    cost = price(model, outcome.prompt_tokens, outcome.completion_tokens) if outcome.counted else None
    if meter is not None:
        meter.add(role, outcome.prompt_tokens, outcome.completion_tokens, cost, attempts)
        if isinstance(recorder, Recorder):
            _record(recorder, meter, number, {"role": role, "model": model, "request_hash": digest,
                                              "value": outcome.value, "prompt_tokens": outcome.prompt_tokens,
                                              "completion_tokens": outcome.completion_tokens, "cost_usd": cost})
    return outcome.value


def _record(recorder: Recorder, meter: metering.TrialMeter, number: int, entry: dict[str, Any]) -> None:
    try:
        recorder.write(*meter.key, number, entry)
    except CassetteError as exc:  # the harness failed, not the agent: a trial error
        raise ModelCallError(str(exc)) from None


async def _attempts(model: str, send: Callable[[], Awaitable[Any]],
                    read: Callable[[Any], _Outcome]) -> tuple[_Outcome, int]:
    policy = settings()
    for attempt in range(policy.retries + 1):
        try:
            return read(await send()), attempt + 1
        except Exception as exc:
            if not _transient(exc):
                raise ModelCallError(f"model {model}: {type(exc).__name__}: {exc}") from exc
            if attempt == policy.retries:
                raise ModelCallError(f"model {model}: {type(exc).__name__} after {attempt + 1} attempt(s): "
                                     f"{exc}") from exc
            await asyncio.sleep(policy.backoff_s * 2 ** attempt * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def _usage(response: Any) -> tuple[int, int, bool]:
    """Prompt and completion tokens, and whether the provider reported them at all."""
    usage = getattr(response, "usage", None)
    if not usage:
        return 0, 0, False
    get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
    return int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0), True


def _sampling(seed: int | None) -> dict[str, Any]:
    policy = settings()
    out: dict[str, Any] = {"seed": seed}
    if policy.temperature is not None:
        out["temperature"] = policy.temperature
    if policy.max_tokens is not None:
        out["max_tokens"] = policy.max_tokens
    return out


async def embed(model: str, texts: Sequence[str], base_url: str | None = None,
                role: str = "judge") -> list[list[float]]:
    """Embedding vectors of ``texts``, in order."""

    def read(response: Any) -> _Outcome:
        data = sorted(response.data, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
        vectors = [list(d["embedding"] if isinstance(d, dict) else d.embedding) for d in data]
        prompt, _, counted = _usage(response)
        return _Outcome(vectors, prompt, 0, counted)

    return await _call(role, model, {"input": list(texts)},
                       lambda: _litellm().aembedding(model=model, input=list(texts), **_kwargs(base_url)), read)


def _read_text(response: Any) -> _Outcome:
    return _Outcome(response.choices[0].message.content or "", *_usage(response))


async def complete(model: str, messages: list[dict[str, Any]], base_url: str | None = None,
                   seed: int | None = None, role: str = "judge") -> str:
    """The text of one chat completion (temperature 0 unless the run says otherwise)."""
    sampling = _sampling(seed)
    # drop_params: a provider without a seed parameter gets the call without it
    return await _call(role, model, {"messages": messages, **sampling},
                       lambda: _litellm().acompletion(model=model, messages=messages, drop_params=True,
                                                      **sampling, **_kwargs(base_url)), _read_text)


def complete_blocking(model: str, messages: list[dict[str, Any]], base_url: str | None = None,
                      role: str = "vision") -> str:
    """:func:`complete` for synchronous callers (a tool): it blocks the calling thread, and runs in
    the caller's context so the call counts for the caller's trial."""
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, complete(model, messages, base_url, role=role)).result()


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _read_message(response: Any) -> _Outcome:
    message = response.choices[0].message
    out: dict[str, Any] = {"role": "assistant", "content": message.content}
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.function.name, "arguments": c.function.arguments or "{}"}}
                             for c in calls]
    return _Outcome(out, *_usage(response))


async def chat(model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
               base_url: str | None = None, seed: int | None = None, role: str = "agent") -> dict[str, Any]:
    """One assistant message (text and/or tool calls) from a chat model, in OpenAI format."""
    sampling = _sampling(seed)
    return await _call(role, model, {"messages": messages, "tools": tools, **sampling},
                       lambda: _litellm().acompletion(model=model, messages=messages, tools=tools or None,
                                                      drop_params=True, **sampling, **_kwargs(base_url)),
                       _read_message)
