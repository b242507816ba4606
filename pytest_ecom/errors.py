"""Errors that cross package boundaries (kept here so no two packages import each other for them)."""

from __future__ import annotations


class ProviderError(Exception):
    """Raise from an agent when the model provider or the network failed.

    The trial becomes an error (left out of pass^k), not a failure of the agent.
    Any other exception raised by an agent is the agent's failure.
    """
