"""Per-trial checks: state / searches / outputs, the stage-wise scorers, model-given scores and
the reference benchmarks' own rules. Each check reads a finished trajectory's parts and returns a
:class:`Dimension`; combining them into a trial's verdict is the runner's job."""

from pytest_ecom.scoring.checks import Dimension, check_outputs, check_searches, check_state, format_call

__all__ = ["Dimension", "check_outputs", "check_searches", "check_state", "format_call"]
