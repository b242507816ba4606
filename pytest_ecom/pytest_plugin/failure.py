"""How a trial's failure or error reaches pytest: the exceptions the item raises and the story as
pytest's own failure representation (the story's text is ``reporting/story.py``'s)."""

from __future__ import annotations

from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback


class TrialError(Exception):
    """The trial could not be run to the end (harness, provider, customer or agent crash)."""


class TrialFailed(Exception):
    """The agent's trial was scored and failed."""


def story_repr(story: str, path: str) -> ReprExceptionInfo:
    """The trial's story as pytest's own failure representation.

    A plain string would be repeated whole in the short test summary on CI machines
    (pytest does not trim it there); this shape keeps the summary to the story's first
    line, and xdist carries it from workers to the controller unchanged.
    """
    headline = story.split("\n", 1)[0]
    entry = ReprEntryNative([story if story.endswith("\n") else story + "\n"])
    return ReprExceptionInfo(ReprTraceback([entry], None, "native"), ReprFileLocation(path, 0, headline))
