"""`pytest --help` shows pytest-ecom's options in four groups, in a stable order."""

from __future__ import annotations

import re

import pytest

from pytest_ecom.pytest_plugin.options import GROUPS, OPTION_GROUP, _Grouped


def _sections(lines: list[str]) -> dict[str, list[str]]:
    """Group title -> the long options listed under it."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        elif current is not None and (m := re.match(r"  (--[\w-]+)", line)):
            sections[current].append(m.group(1))
    return sections


def test_help_lists_our_options_in_run_models_reports_ci_order(pytester: pytest.Pytester):
    result = pytester.runpytest("--help")
    sections = _sections(result.stdout.lines)
    ours = [title for title in sections if title.startswith("pytest-ecom")]
    assert ours == [title for _, title in GROUPS]
    assert [key for key, _ in GROUPS] == ["run", "models", "reports", "ci"]
    placed = {option: title for title in ours for option in sections[title]}
    assert set(placed) == set(OPTION_GROUP)  # every option shown once, nothing unplaced
    titles = dict(GROUPS)
    assert all(placed[option] == titles[key] for option, key in OPTION_GROUP.items())
    assert placed["--agent"] == titles["run"] and placed["--user-model"] == titles["models"]
    assert placed["--ecom-html"] == titles["reports"] and placed["--ecom-shard"] == titles["ci"]


def test_an_option_without_a_group_is_refused_naming_the_table():
    class Parser:
        def getgroup(self, name: str, description: str = "") -> object:
            return self

    with pytest.raises(KeyError, match="--ecom-new-thing has no group: add it to OPTION_GROUP"):
        _Grouped(Parser()).addoption("--ecom-new-thing")  # type: ignore[arg-type]
