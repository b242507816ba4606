"""Hooks pytest-ecom adds; implement them in a conftest.py or a plugin."""

from __future__ import annotations

from typing import Any


def pytest_ecom_agents() -> dict[str, Any]:
    """Return ``{name: agent}`` to make agents available to ``--agent=NAME``.

    A value is an agent callable, a class (a per-trial factory) or an
    :class:`pytest_ecom.AgentSpec`.
    """

