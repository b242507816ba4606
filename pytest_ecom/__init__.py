"""pytest-ecom: benchmark e-commerce customer-service agents with pytest.

The pytest plugin (``pytest_ecom.pytest_plugin``) is one way in; a script is another::

    import asyncio
    from pytest_ecom import run_trial

    record = asyncio.run(run_trial("tasks/home_appliances/returns/damaged_kettle.task.yaml", "oracle"))

``run_trial`` is the function every trial item calls: it runs a task's or sample's trial with
an agent and returns the scored :class:`TrialRecord`.
"""

from pytest_ecom.agents import AgentContext, AgentSpec, register_agent
from pytest_ecom.errors import ProviderError
from pytest_ecom.models.llm import chat  # litellm itself is imported on the first call
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.runner import TrialSettings, load_unit, run_trial
from pytest_ecom.version import __version__

__all__ = ["AgentContext", "AgentSpec", "ProviderError", "TrialRecord", "TrialSettings", "__version__", "chat",
           "load_unit", "register_agent", "run_trial"]
