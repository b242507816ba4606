"""The one error type for bad input: file, line, what is wrong, how to fix it."""

from __future__ import annotations

from pathlib import Path


class SpecError(Exception):
    """A problem in a YAML file, reported as ``file:line: message`` plus a fix."""

    def __init__(self, path: Path | str, line: int | None, message: str, fix: str = "",
                 also: list[str] | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        self.fix = fix
        self.also = also or []  # further problems in the same file, each "line N: ..."
        super().__init__(self.format())

    def location(self, base: Path | None = None) -> str:
        path = self.path
        if base is not None and path.is_absolute() and path.is_relative_to(base.resolve()):
            path = path.relative_to(base.resolve())
        return f"{path}:{self.line}" if self.line else str(path)

    def format(self, base: Path | None = None) -> str:
        """``file:line: message`` and the fix; the path relative to ``base`` when inside it."""
        lines = [f"{self.location(base)}: {self.message}"]
        lines += [f"  fix: {self.fix}"] if self.fix else []
        lines += [f"  also {problem}" for problem in self.also]
        return "\n".join(lines)


class FieldProblem(ValueError):
    """Raised by a model's field check: the problem, and the fix the :class:`SpecError` will show."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix
