"""The offline customer: says its script in order, then the stop signal."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_ecom.users.contracts import STOP_SIGNAL, CustomerTurn


class ScriptedCustomer:
    """Ignores what the agent says; one scripted message per turn."""

    def __init__(self, script: Sequence[str]) -> None:
        self._script = list(script)
        self._i = 0

    async def next_message(self, agent_reply: str | None) -> CustomerTurn:
        if self._i >= len(self._script):
            return CustomerTurn(STOP_SIGNAL, stop=True)
        text = self._script[self._i]
        self._i += 1
        return CustomerTurn(text)
