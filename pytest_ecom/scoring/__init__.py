"""Scoring: state / searches / outputs checks and the pass^k estimators."""

from pytest_ecom.scoring.checks import Dimension, check_outputs, check_searches, check_state, format_call
from pytest_ecom.scoring.passk import Estimate, estimate, pass_at_k, pass_hat_k

__all__ = [
    "Dimension", "Estimate", "check_outputs", "check_searches", "check_state", "estimate",
    "format_call", "pass_at_k", "pass_hat_k",
]
