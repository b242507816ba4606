"""Every model call of pytest-ecom goes through here, and through litellm.

litellm is imported on first use only (an oracle run never imports it), with its price list read
from the installed package instead of the network. Each call:

- waits for room under the model's caps (``--ecom-rate-limit``: requests in flight and per minute,
  shared by the run's processes) and, on a 429, cuts how many of the model's calls this process
  keeps in flight until answers come back fine again (:mod:`pytest_ecom.models.limits`);
- is retried by this layer alone on rate limits, timeouts, connection failures and 5xx, with
  exponential backoff and jitter, or after the time a 429/503 answer's ``Retry-After`` asks for
  (at most :data:`RETRY_AFTER_CAP_S`); litellm's and the client's own retries are off, so every
  attempt is counted once. An answer that cannot be read (no ``choices``, ...) is retried once.
  After the last attempt, or at once for any other failure, it raises :class:`ModelCallError`, a
  :class:`~pytest_ecom.errors.ProviderError`: the trial is an error, not a fail;
- adds its tokens and cost to the running trial's meter under its role (agent, customer, judge,
  vision), see :mod:`pytest_ecom.models.metering`, with every attempt it made, the failed ones
  too; a model without a known price costs "unknown";
- with a base URL, sends ``PYTEST_ECOM_API_KEY`` as the key if it is set, else the provider's
  usual variable (``OPENAI_API_KEY`` for ``openai/`` models, ``<PROVIDER>_API_KEY`` in general),
  else a placeholder (a local server that checks no key);
- is written to, or answered from, a cassette when the run records or replays
  (:mod:`pytest_ecom.models.cassettes`).

Run-wide settings (retries, sampling, prices, cassettes, caps) are set once per process with
:func:`configure`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import email.utils
import functools
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_ecom.models import metering
from pytest_ecom.errors import ProviderError
from pytest_ecom.models.cassettes import CassetteError, Player, Recorder, request_hash
from pytest_ecom.models.limits import Limits, ModelLimit


class ModelCallError(ProviderError):
    """A model call failed (network, provider, malformed answer, replay miss)."""


class MalformedAnswer(Exception):
    """The provider answered, but not with what was asked for (e.g. no ``choices``): retried once."""

    def __init__(self, problem: str, response: Any = None) -> None:
        super().__init__(problem)
        self.usage = _usage(response) if response is not None else (0, 0, False)


RETRY_AFTER_CAP_S = 60.0  # the longest a provider's Retry-After makes a call wait before its retry
MALFORMED_RETRIES = 1  # retries of an answer that cannot be read (within --ecom-retries)
KEY_VARIABLE = "PYTEST_ECOM_API_KEY"  # the key sent to a base URL, before the provider's own variable
NO_KEY = "not-needed"  # sent to a base URL when no key variable is set (the client insists on one)


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
    limits: tuple[ModelLimit, ...] = ()  # --ecom-rate-limit: per-model caps (see models/limits.py)
    limits_folder: Path | None = None  # where every process of the run shares them (None: this process only)


_SETTINGS: list[CallSettings] = [CallSettings()]
_TAPES: dict[str, Recorder | Player | None] = {"record": None, "replay": None}
_LIMITS: list[Limits] = [Limits()]


def configure(settings: CallSettings) -> None:
    """Set this process's call settings (retries, sampling, prices, cassettes)."""
    _SETTINGS[0] = settings
    _TAPES["record"] = Recorder(settings.record) if settings.record else None
    _TAPES["replay"] = Player(settings.replay) if settings.replay else None
    _LIMITS[0] = Limits(settings.limits, settings.limits_folder)


def limiter(model: str) -> Any:
    """The caps and 429 back-off of ``model`` in this process (:class:`~pytest_ecom.models.limits.Limiter`)."""
    return _LIMITS[0].limiter(model)


def settings() -> CallSettings:
    return _SETTINGS[0]


@functools.cache
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner on every failed attempt
    # litellm's own logging of each call is for its proxy and callbacks; we register none, so it
    # need not copy messages into its payload (benchmarks/litellm_overhead.py measures the rest)
    litellm.turn_off_message_logging = True
    litellm.disable_streaming_logging = True
    return litellm


def provider_key_variable(model: str) -> str | None:
    """The environment variable holding the provider's key for ``model``, as litellm names the
    provider: ``OPENAI_API_KEY`` for ``openai/...`` (and a bare ``gpt-4o-mini``), ``<PROVIDER>_API_KEY``
    for ``<provider>/...``; None when the provider cannot be told."""
    if "/" in model:
        provider = model.split("/", 1)[0]
    else:
        known = _litellm().model_cost.get(model)
        provider = known.get("litellm_provider") if isinstance(known, dict) else None
    if not provider:
        return None
    return f"{provider.upper().replace('-', '_')}_API_KEY"


def api_key(model: str) -> str:
    """The key sent with a call to a base URL (see the module's docstring)."""
    variable = provider_key_variable(model)
    for name in (KEY_VARIABLE, variable):
        if name and os.environ.get(name):
            return os.environ[name]
    return NO_KEY


def _kwargs(model: str, base_url: str | None) -> dict[str, Any]:
    # num_retries / max_retries: litellm and the OpenAI client must not retry behind our back
    out: dict[str, Any] = {"num_retries": 0, "max_retries": 0, "timeout": settings().timeout_s}
    if base_url:
        out["api_base"] = base_url
        out["api_key"] = api_key(model)
    return out


def _headers(exc: BaseException) -> Mapping[str, str]:
    """The HTTP headers of the failed answer, as litellm keeps them on its exception."""
    for headers in (getattr(exc, "litellm_response_headers", None),
                    getattr(getattr(exc, "response", None), "headers", None)):
        if headers:
            try:
                return {str(k).lower(): str(v) for k, v in dict(headers).items()}
            except (TypeError, ValueError):
                continue
    return {}


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait before the next attempt as the provider asks (``retry-after-ms``, or
    ``Retry-After`` in seconds or as an HTTP date), at most :data:`RETRY_AFTER_CAP_S`; None when
    it does not say. ``headers`` has lower-case names."""
    wait: float | None = None
    if "retry-after-ms" in headers:
        try:
            wait = float(headers["retry-after-ms"]) / 1000
        except ValueError:
            wait = None
    if wait is None and "retry-after" in headers:
        value = headers["retry-after"].strip()
        try:
            wait = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when is None:
                return None
            wait = when.timestamp() - (time.time() if now is None else now)
    if wait is None or not math.isfinite(wait):
        return None
    return min(max(0.0, wait), RETRY_AFTER_CAP_S)


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: rate limit, timeout, connection failure, server error."""
    status = _status(exc)
    if status is not None and (status in (408, 409, 429) or status >= 500):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"Timeout", "APITimeoutError", "APIConnectionError", "TimeoutError", "ConnectionError",
                         "RateLimitError", "InternalServerError", "ServiceUnavailableError"})


def _timeout_hint(exc: BaseException, policy: CallSettings) -> str:
    """What to raise when every attempt ran out of time (a slow local model, say)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if not names & {"Timeout", "APITimeoutError", "TimeoutError"}:
        return ""
    return (f" (each attempt may take --ecom-call-timeout={policy.timeout_s:g} s: raise it for a slow model, "
            "and --ecom-timeout for the whole trial)")


def price(model: str, prompt_tokens: int, completion_tokens: int, priced: float | None = None) -> float | None:
    """USD for the tokens: the run's own price for the model, else what litellm already priced the
    answer at (``priced``: litellm computes it for every answer, so it is not computed twice), else
    litellm's list, else None (unknown)."""
    given = settings().prices.get(model)
    if given is not None:
        return (prompt_tokens * given[0] + completion_tokens * given[1]) / 1_000_000
    if priced is not None and priced > 0:  # 0 may mean "no price known" to litellm: asked again below
        return priced
    if model in _UNPRICED:
        return None
    try:
        prompt_cost, completion_cost = _litellm().cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    except Exception:  # litellm raises for a model it has no price for (slowly: asked once a process)
        _UNPRICED.add(model)
        return None
    return prompt_cost + completion_cost


_UNPRICED: set[str] = set()  # models litellm has no price for


@dataclass
class _Outcome:
    value: Any
    prompt_tokens: int
    completion_tokens: int
    counted: bool = True  # the provider reported its usage
    priced: float | None = None  # litellm's own price of the answer, when it gave one

async def _call(role: str, model: str, request: dict[str, Any],
                send: Callable[[], Awaitable[Any]], read: Callable[[Any], _Outcome]) -> Any:
    """One model call with retries, metering and cassettes; returns ``read(response).value``."""
    meter = metering.current()
    number = meter.next_call() if meter is not None else 0
    player, recorder = _TAPES["replay"], _TAPES["record"]
    # hashed before the call (the caller's messages grow after it), and only for a cassette
    digest = request_hash({"model": model, **request}) if player is not None or recorder is not None else ""
    if isinstance(player, Player):
        if meter is None:
            raise ModelCallError(f"replay: a {role} model call outside any trial cannot be replayed")
        try:
            entry = player.answer(*meter.key, number, digest)
        except CassetteError as exc:
            raise ModelCallError(str(exc)) from None
        meter.add(role, entry["prompt_tokens"], entry["completion_tokens"], entry["cost_usd"], 1)
        return entry["value"]
    tally = _Tally()
    try:
        outcome = await _attempts(model, send, read, tally)
    except BaseException:  # the call failed or was cancelled: the attempts it made count all the same
        if meter is not None:
            cost = price(model, tally.prompt_tokens, tally.completion_tokens) if tally.counted else 0.0
            meter.add(role, tally.prompt_tokens, tally.completion_tokens, cost, tally.attempts)
        raise
    # no usage in the answer: its cost is unknown, not $0
    cost = price(model, outcome.prompt_tokens, outcome.completion_tokens,
                 outcome.priced if not tally.counted else None) if outcome.counted else None
    if meter is not None:
        meter.add(role, outcome.prompt_tokens, outcome.completion_tokens, cost, tally.attempts)
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


@dataclass
class _Tally:
    """What a call's attempts so far used: attempts, and the tokens of answers it could not use."""

    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    counted: bool = False  # some unusable answer reported its usage


def _read_answer(read: Callable[[Any], _Outcome], response: Any) -> _Outcome:
    try:
        return read(response)
    except MalformedAnswer:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:  # not the shape asked for
        raise MalformedAnswer(f"{type(exc).__name__}: {exc}", response) from exc


def _litellm_malformed(exc: BaseException) -> bool:
    """litellm turns a 200 answer without ``choices`` into an InternalServerError of its own."""
    return _status(exc) == 500 and "no 'choices'" in str(exc)


async def _attempts(model: str, send: Callable[[], Awaitable[Any]], read: Callable[[Any], _Outcome],
                    tally: _Tally) -> _Outcome:
    policy = settings()
    limits = limiter(model)
    malformed = 0
    for attempt in range(policy.retries + 1):
        tally.attempts += 1
        ticket = None
        try:
            async with limits.request() as ticket:  # room in flight and the model's rate, across processes
                response = await send()
            outcome = _read_answer(read, response)
        except Exception as exc:
            if _status(exc) == 429 and ticket is not None:  # fewer in flight, and everyone waits as asked
                limits.throttled(ticket, retry_after(_headers(exc)))
            if isinstance(exc, MalformedAnswer) or _litellm_malformed(exc):
                malformed += 1
                if isinstance(exc, MalformedAnswer) and exc.usage[2]:  # the provider billed it all the same
                    tally.prompt_tokens += exc.usage[0]
                    tally.completion_tokens += exc.usage[1]
                    tally.counted = True
                if malformed > MALFORMED_RETRIES or attempt == policy.retries:
                    raise ModelCallError(f"model {model}: the provider's answer is malformed ({exc}) after "
                                         f"{attempt + 1} attempt(s)") from exc
            elif not _transient(exc):
                raise ModelCallError(f"model {model}: {type(exc).__name__}: {exc}") from exc
            elif attempt == policy.retries:
                raise ModelCallError(f"model {model}: {type(exc).__name__} after {attempt + 1} attempt(s): "
                                     f"{exc}{_timeout_hint(exc, policy)}") from exc
            asked = retry_after(_headers(exc)) if _status(exc) in (429, 503) else None
            await asyncio.sleep(asked if asked is not None
                                else policy.backoff_s * 2 ** attempt * random.uniform(0.5, 1.5))
        else:
            limits.succeeded()
            outcome.priced = _litellm_price(response)
            outcome.prompt_tokens += tally.prompt_tokens
            outcome.completion_tokens += tally.completion_tokens
            return outcome
    raise AssertionError("unreachable")


def _litellm_price(response: Any) -> float | None:
    """The cost litellm put on the answer (``_hidden_params["response_cost"]``), if it is a number."""
    hidden = getattr(response, "_hidden_params", None)
    cost = hidden.get("response_cost") if isinstance(hidden, dict) else getattr(hidden, "response_cost", None)
    return float(cost) if isinstance(cost, (int, float)) and math.isfinite(cost) else None


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
        found = getattr(response, "data", None) or []
        if len(found) != len(texts):
            raise MalformedAnswer(f"{len(found)} embedding(s) for {len(texts)} text(s)", response)
        data = sorted(found, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
        vectors = [list(d["embedding"] if isinstance(d, dict) else d.embedding) for d in data]
        prompt, _, counted = _usage(response)
        return _Outcome(vectors, prompt, 0, counted)

    return await _call(role, model, {"input": list(texts)},
                       lambda: _litellm().aembedding(model=model, input=list(texts), **_kwargs(model, base_url)),
                       read)


def _first_message(response: Any) -> Any:
    choices = getattr(response, "choices", None)
    if not choices:
        raise MalformedAnswer("no choices in the answer", response)
    message = getattr(choices[0], "message", None)
    if message is None:
        raise MalformedAnswer("no message in the answer's first choice", response)
    return message


def _read_text(response: Any) -> _Outcome:
    return _Outcome(_first_message(response).content or "", *_usage(response))


async def complete(model: str, messages: list[dict[str, Any]], base_url: str | None = None,
                   seed: int | None = None, role: str = "judge", temperature: float | None = None) -> str:
    """The text of one chat completion (temperature 0 unless the run, or ``temperature``, says otherwise)."""
    sampling = _sampling(seed) if temperature is None else {**_sampling(seed), "temperature": temperature}
    # drop_params: a provider without a seed parameter gets the call without it
    return await _call(role, model, {"messages": messages, **sampling},
                       lambda: _litellm().acompletion(model=model, messages=messages, drop_params=True,
                                                      **sampling, **_kwargs(model, base_url)), _read_text)


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
    message = _first_message(response)
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
                                                      drop_params=True, **sampling, **_kwargs(model, base_url)),
                       _read_message)
