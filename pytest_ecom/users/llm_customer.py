"""The LLM customer: a model plays the customer, from the task's goal and persona.

Chosen with ``--user-model`` (and ``--user-base-url``); the scripted customer stays the
offline default. The model sees the chat from the customer's side: our role-play prompt
as system message, the agent's replies as the other party's messages, its own earlier
messages as its own. The conversation ends when it sends the stop signal, asks for a
human (``HUMAN_SIGNAL``) or repeats its previous message word for word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_ecom.models.llm import complete
from pytest_ecom.spec.models import Persona
from pytest_ecom.users.prompts import HUMAN_SIGNAL, language_of, roleplay_prompt
from pytest_ecom.users.contracts import STOP_SIGNAL, CustomerTurn


@dataclass(frozen=True)
class CustomerModel:
    """The model that plays the customer (any litellm model)."""

    model: str
    base_url: str | None = None


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class LLMCustomer:
    def __init__(self, model: CustomerModel, goal: str, persona: Persona, language: str,
                 seed: int | None = None, temperature: float | None = None) -> None:
        self.model = model
        self.seed = seed
        self.temperature = temperature  # None: the run's (--model-temperature)
        lang = language_of(language)
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": roleplay_prompt(goal, persona, lang)},
            {"role": "user", "content": lang.opening},
        ]
        self._last: str | None = None

    async def next_message(self, agent_reply: str | None) -> CustomerTurn:
        if agent_reply is not None:
            self.messages.append({"role": "user", "content": agent_reply})
        text = (await complete(self.model.model, list(self.messages), self.model.base_url, seed=self.seed,
                               role="customer", temperature=self.temperature)).strip()  # counted as the customer's
        self.messages.append({"role": "assistant", "content": text})
        if STOP_SIGNAL in text:
            return CustomerTurn(text, stop=True)
        if HUMAN_SIGNAL in text:
            return CustomerTurn(text, stop=True, end_reason="customer_human")
        if self._last is not None and _same(text, self._last):
            return CustomerTurn(text, stop=True, end_reason="customer_repeat")
        self._last = text
        return CustomerTurn(text)
