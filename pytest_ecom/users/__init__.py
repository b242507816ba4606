"""Simulated customers. The scripted customer is the offline default."""

from pytest_ecom.users.scripted import STOP_SIGNAL, CustomerTurn, ScriptedCustomer

__all__ = ["STOP_SIGNAL", "CustomerTurn", "ScriptedCustomer"]
