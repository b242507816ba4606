"""What the episode expects of a simulated customer, and of the referee that judges it.

A :class:`Customer` answers the agent's last reply with a :class:`CustomerTurn`; a
:class:`Referee` reviews each turn of a model-played customer against the trajectory so far
and raises :class:`~pytest_ecom.users.faults.CustomerFault` when the customer, not the agent,
went wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pytest_ecom.trajectory import Trajectory

STOP_SIGNAL = "###STOP###"


@dataclass(frozen=True)
class CustomerTurn:
    text: str
    stop: bool = False
    end_reason: str = "customer_stop"  # the trajectory's end reason when ``stop`` (e.g. customer_repeat)


class Customer(Protocol):
    async def next_message(self, agent_reply: str | None) -> CustomerTurn: ...


# Reviews each customer message; raises CustomerFault when the simulated customer is at fault.
Referee = Callable[[CustomerTurn, Trajectory], None]
