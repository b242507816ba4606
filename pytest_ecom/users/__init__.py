"""Simulated customers: the contracts (Customer, CustomerTurn, Referee), the scripted customer
(the offline default), the LLM customer, its prompts and the referee that tells its faults from
the agent's."""

from pytest_ecom.users.contracts import STOP_SIGNAL, Customer, CustomerTurn, Referee
from pytest_ecom.users.scripted import ScriptedCustomer

__all__ = ["STOP_SIGNAL", "Customer", "CustomerTurn", "Referee", "ScriptedCustomer"]
