"""Scoring a finished trajectory of an end-to-end task."""

from __future__ import annotations

from pytest_ecom.prepare import PreparedTask
from pytest_ecom.scoring.checks import Dimension, check_outputs, check_searches, check_state
from pytest_ecom.scoring.reference import reference_checks
from pytest_ecom.trajectory import Trajectory


def score_trajectory(prepared: PreparedTask, traj: Trajectory) -> list[Dimension]:
    """state × searches × outputs; a dimension the task does not check has ``passed=None``.

    A crashed agent also gets a failing ``agent`` dimension saying why.
    """
    assert traj.store is not None
    expect = prepared.task.expect
    dimensions = [
        check_state(traj.store, prepared.expected, expect.state),
        check_searches(prepared.searches, traj.calls, prepared.domain.tools),
        check_outputs(expect.outputs, traj.replies),
    ]
    if traj.crash is not None:
        problems = [traj.crash["message"]] + ([traj.crash["traceback"]] if traj.crash["traceback"] else [])
        dimensions.append(Dimension("agent", False, problems))
    return dimensions


def reference_trajectory_checks(prepared: PreparedTask, traj: Trajectory) -> dict[str, bool]:
    """ECom-Bench's own checks of the same trajectory (see :mod:`pytest_ecom.scoring.reference`)."""
    assert traj.store is not None
    expect = prepared.task.expect
    return reference_checks(traj.store, prepared.expected, expect.searches, expect.outputs, traj.calls, traj.replies)


def reward(dimensions: list[Dimension]) -> int:
    """1 when every checked dimension passed, else 0 (the product of the dimensions)."""
    return int(all(d.passed is not False for d in dimensions))
