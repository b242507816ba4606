"""Which files are task files, and the rule that no two of them share a task id.

Records, seeds and pass^k are keyed by task id, so an id must name one file. The scope of
that rule is a project's *task set*: every ``*.task.yaml`` / ``*.sample.yaml`` under its root
(pytest's rootdir; for ``pytest-ecom validate`` the same kind of folder, see :func:`find_root`)
plus every file loaded in the same run (e.g. a shipped suite run with ``--pyargs``). So a
duplicate is found whether its file runs alone or with the other, and the error is the same
text either way: both files, in path order, none blamed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pytest_ecom.spec.errors import SpecError
from pytest_ecom.spec.loader import TASK_SUFFIX
from pytest_ecom.spec.samples import SAMPLE_SUFFIX
from pytest_ecom.spec.yaml_io import line_of

SUFFIXES = (TASK_SUFFIX, SAMPLE_SUFFIX)
# Refused, not collected: one spelling keeps globs (editor schemas, CI paths, docs) simple.
MISSPELT = {".task.yml": TASK_SUFFIX, ".sample.yml": SAMPLE_SUFFIX}

# pytest's default norecursedirs: what `validate` skips when it scans a project like pytest does.
DEFAULT_SKIP = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
_ROOT_MARKERS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def misspelt_suffix(path: Path) -> SpecError | None:
    """The error for ``x.task.yml`` / ``x.sample.yml`` (read by neither pytest nor validate)."""
    for wrong, right in MISSPELT.items():
        if path.name.endswith(wrong):
            fixed = path.name[: -len(wrong)] + right
            return SpecError(path, None, f"pytest-ecom reads *{right} files, not *{wrong}", f"rename it to {fixed}")
    return None


def find_root(paths: Sequence[Path], cwd: Path | None = None) -> Path:
    """The project folder of ``paths``, found as pytest finds its rootdir: the nearest ancestor of
    their common folder holding pytest.ini, pyproject.toml, tox.ini or setup.cfg; else the common
    folder of them and the working directory."""
    here = os.path.abspath(cwd or os.getcwd())
    folders = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths] or [here]
    common = Path(os.path.commonpath(folders))
    for folder in (common, *common.parents):
        if any((folder / marker).is_file() for marker in _ROOT_MARKERS):
            return folder
    return Path(os.path.commonpath([*folders, here]))


# A top-level `id:` line (the format puts it at column 0); quoted or not, a comment after it.
_ID_LINE = re.compile(r"""^id:[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#'"][^\s#]*))[ \t]*(?:#.*)?$""", re.MULTILINE)


def task_id_in(path: Path) -> str | None:
    """The task id of a file, read without parsing it (a whole project is scanned per run)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = _ID_LINE.search(text)
    return next((g for g in m.groups() if g is not None), None) if m else None


def _skipped(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def task_files_under(root: Path, skip: Sequence[str] = DEFAULT_SKIP) -> list[Path]:
    """Every task and sample file under ``root``, in path order, skipping folders like pytest
    does (``skip`` patterns, virtualenvs)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d, skip)
                         and not os.path.isfile(os.path.join(folder, d, "pyvenv.cfg")))
        found += [Path(folder, f) for f in files if f.endswith(SUFFIXES)]
    return sorted(found)


class TaskIds:
    """The task ids of one task set, and which files hold each."""

    def __init__(self, root: Path | None = None, skip: Sequence[str] = DEFAULT_SKIP,
                 shown_from: Path | None = None) -> None:
        self._root, self._skip = root, tuple(skip)
        self._shown_from = shown_from  # paths in messages are relative to this folder
        self._id_of: dict[Path, str] | None = None  # scanned lazily: only a run with task files pays
        self._files: dict[str, set[Path]] = {}

    def _scan(self) -> None:
        self._id_of = {}
        for path in task_files_under(self._root, self._skip) if self._root is not None else ():
            task_id = task_id_in(path)
            if task_id is not None:
                self._put(Path(os.path.abspath(path)), task_id)

    def _put(self, path: Path, task_id: str) -> None:
        assert self._id_of is not None
        old = self._id_of.get(path)
        if old is not None:
            self._files[old].discard(path)
        self._id_of[path] = task_id
        self._files.setdefault(task_id, set()).add(path)

    def claim(self, task_id: str, path: Path) -> None:
        """Note that ``path`` holds ``task_id`` (as loaded); raise when another file of the set does too."""
        if self._id_of is None:
            self._scan()
        path = Path(os.path.abspath(path))
        self._put(path, task_id)
        holders = sorted(self._files[task_id])
        if len(holders) > 1:
            shown = ", ".join(self._show(p) for p in holders)
            raise SpecError(path, line_of(path, ["id"]), f"task id {task_id!r} is used by {len(holders)} files: {shown}",
                            "give each task file its own id (ids are unique across the project's task files)")

    def _show(self, path: Path) -> str:
        if self._shown_from is not None:
            for base, shown in ((Path(os.path.abspath(self._shown_from)), path),
                                (self._shown_from.resolve(), path.resolve())):
                if shown.is_relative_to(base):
                    return str(shown.relative_to(base))
        return str(path)


def expand(paths: Iterable[str]) -> list[Path]:
    """Task and sample files (misspelt ones too, to be refused) of files and folders, in path order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.y*ml") if p.is_file()
                          and p.name.endswith((*SUFFIXES, *MISSPELT)))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(raw)
    return out
