"""Where shared project files (fixtures/, personas/) are found."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

# The checkout this package lives in (editable installs and the project's own tests).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_ROOT.parent
# An installed wheel's copy of the checkout's fixtures/ and personas/ (hatch_build.py puts them
# there; a checkout has no such folder): built-in stores and personas are found by name anywhere.
SHIPPED_ROOT = PACKAGE_ROOT / "_shipped"
# Where to look after the tasks' own folders. In an installed wheel PROJECT_ROOT is site-packages,
# whose top-level folders are not ours: it counts only when it is a checkout.
_FALLBACKS = ((PROJECT_ROOT,) if (PROJECT_ROOT / "pyproject.toml").is_file() else ()) + (SHIPPED_ROOT,)


def find_near(folder: Path, relative: str) -> Path | None:
    """``relative`` in ``folder`` or its nearest ancestor holding it, else in the project checkout,
    else among the files an installed wheel ships."""
    key = (os.fspath(folder), relative)  # str keys: hashing a new Path object each time is slow
    found = _FOUND.get(key)
    if found is not None and found.exists():
        return found
    for parent in (folder, *folder.parents, *_FALLBACKS):
        candidate = parent / relative
        if candidate.exists():
            _FOUND[key] = candidate
            return candidate
    return None


# Tasks of one folder share the answer, and collection asks once per file; only hits are kept,
# so a file created later is still found.
_FOUND: dict[tuple[str, str], Path] = {}


def file_stamps(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of each existing file: equal stamps mean unchanged files."""
    out = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.cache
def code_stamp() -> tuple[tuple[str, int, int], ...]:
    """Stamps of pytest-ecom's own modules: cached checks are void when its code changes."""
    return file_stamps(sorted(PACKAGE_ROOT.rglob("*.py")))
