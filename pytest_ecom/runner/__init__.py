"""Running trials: the async episode loop, a task's and a sample's trial, their scoring, the pool
that overlaps trials on the session's one event loop, and :func:`run_trial`, the one function that
runs a trial and scores it into its record (no pytest here)."""

from pytest_ecom.runner.episode import EpisodeError, EpisodeSetup, run_episode, system_prompt
from pytest_ecom.runner.pool import TrialPool
from pytest_ecom.runner.run import NOT_RUN, TrialSettings, Unit, load_unit, make_record, run_trial
from pytest_ecom.runner.trial import TrialRun, agent_context, run_task, trial_seed

__all__ = [
    "NOT_RUN", "EpisodeError", "EpisodeSetup", "TrialPool", "TrialRun", "TrialSettings", "Unit", "agent_context",
    "load_unit", "make_record", "run_episode", "run_task", "run_trial", "system_prompt", "trial_seed",
]
