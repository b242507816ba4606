"""pytest-ecom: benchmark e-commerce customer-service agents with pytest."""

__version__ = "0.1.0"

from pytest_ecom.agents import AgentContext, AgentSpec, ProviderError, register_agent  # noqa: E402
from pytest_ecom.models.llm import chat  # noqa: E402  (litellm itself is imported on the first call)

__all__ = ["AgentContext", "AgentSpec", "ProviderError", "__version__", "chat", "register_agent"]
