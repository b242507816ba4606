"""Every model call of pytest-ecom goes through here, and through litellm.

litellm is imported on first use only (an oracle run never imports it), with
its price list read from the installed package instead of the network.
Any failure of the provider becomes :class:`ModelCallError`, a
:class:`~pytest_ecom.agents.ProviderError`: the trial is an error, not a fail.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from typing import Any

from pytest_ecom.agents.protocol import ProviderError


class ModelCallError(ProviderError):
    """A model call failed (network, provider, malformed answer)."""


@functools.cache
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    import litellm

    litellm.telemetry = False
    return litellm


def _kwargs(base_url: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if base_url:
        out["api_base"] = base_url
        out.setdefault("api_key", os.environ.get("PYTEST_ECOM_API_KEY", "not-needed"))
    return out


async def embed(model: str, texts: Sequence[str], base_url: str | None = None) -> list[list[float]]:
    """Embedding vectors of ``texts``, in order."""
    try:
        response = await _litellm().aembedding(model=model, input=list(texts), **_kwargs(base_url))
        data = sorted(response.data, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
        return [list(d["embedding"] if isinstance(d, dict) else d.embedding) for d in data]
    except Exception as exc:
        raise ModelCallError(f"embedding model {model}: {type(exc).__name__}: {exc}") from exc


async def complete(model: str, messages: list[dict[str, Any]], base_url: str | None = None,
                   seed: int | None = None) -> str:
    """The text of one chat completion at temperature 0."""
    try:
        # drop_params: a provider without a seed parameter gets the call without it
        response = await _litellm().acompletion(model=model, messages=messages, temperature=0, seed=seed,
                                                drop_params=True, **_kwargs(base_url))
        return response.choices[0].message.content or ""
    except Exception as exc:
        raise ModelCallError(f"model {model}: {type(exc).__name__}: {exc}") from exc


def complete_blocking(model: str, messages: list[dict[str, Any]], base_url: str | None = None) -> str:
    """:func:`complete` for synchronous callers (a tool): it blocks the calling thread."""
    try:
        response = _litellm().completion(model=model, messages=messages, temperature=0, drop_params=True,
                                         **_kwargs(base_url))
        return response.choices[0].message.content or ""
    except Exception as exc:
        raise ModelCallError(f"model {model}: {type(exc).__name__}: {exc}") from exc


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


async def chat(model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
               base_url: str | None = None, seed: int | None = None) -> dict[str, Any]:
    """One assistant message (text and/or tool calls) from a chat model, in OpenAI format."""
    try:
        response = await _litellm().acompletion(model=model, messages=messages, tools=tools or None, seed=seed,
                                                drop_params=True, **_kwargs(base_url))
        message = response.choices[0].message
    except Exception as exc:
        raise ModelCallError(f"model {model}: {type(exc).__name__}: {exc}") from exc
    out: dict[str, Any] = {"role": "assistant", "content": message.content}
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.function.name, "arguments": c.function.arguments or "{}"}}
                             for c in calls]
    return out
