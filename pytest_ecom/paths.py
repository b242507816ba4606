"""Where shared project files (fixtures/, personas/) are found."""

from __future__ import annotations

from pathlib import Path

# The checkout this package lives in (editable installs and the project's own tests).
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def find_near(near: Path, relative: str) -> Path | None:
    """``relative`` in the nearest ancestor folder of ``near``, else in the project checkout."""
    start = near if near.is_dir() else near.parent
    for folder in (start, *start.parents, PROJECT_ROOT):
        candidate = folder / relative
        if candidate.exists():
            return candidate
    return None
