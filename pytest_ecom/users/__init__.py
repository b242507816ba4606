"""Simulated customers: the contracts (Customer, CustomerTurn, Referee), the scripted customer
(the offline default), the LLM customer, its prompts, the referee that tells its faults from
the agent's (``faults``) and the figures of how well it played (``quality``)."""

from pytest_ecom.users.contracts import STOP_SIGNAL, Customer, CustomerTurn, Referee
from pytest_ecom.users.scripted import ScriptedCustomer

__all__ = ["STOP_SIGNAL", "Customer", "CustomerTurn", "Referee", "ScriptedCustomer"]
