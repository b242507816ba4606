"""The async episode loop and trial orchestration (no pytest here)."""

from pytest_ecom.runner.episode import EpisodeError, EpisodeSetup, Trajectory, run_episode, system_prompt
from pytest_ecom.runner.pool import TrialPool
from pytest_ecom.runner.trial import TrialRun, agent_context, run_trial, trial_seed

__all__ = [
    "EpisodeError", "EpisodeSetup", "TrialPool", "TrialRun", "Trajectory", "agent_context", "run_episode",
    "run_trial", "system_prompt", "trial_seed",
]
