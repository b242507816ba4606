"""The page itself: the skeleton around the sections, with the stylesheet and script read from
the package's ``report.css`` and ``report.js``; :func:`write_html` saves it atomically."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pytest_ecom.reporting.html.breakdowns import breakdown_section
from pytest_ecom.reporting.html.costs import cost_section
from pytest_ecom.reporting.html.format import Record, e
from pytest_ecom.reporting.html.overview import gates_section, header_section, overview_section
from pytest_ecom.reporting.html.trials import trials_section


@cache
def _asset(name: str) -> str:
    """A file shipped next to this module (``report.css``, ``report.js``), read once."""
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def render_html(report: dict[str, Any]) -> str:
    """The whole page for a report dict (format ``pytest-ecom/report``)."""
    trials: list[Record] = report.get("trials") or []
    summary: dict[str, Any] = report["summary"]
    agent = report.get("fingerprint", {}).get("agent")
    sections = [
        header_section(report),
        gates_section(report.get("gates") or []),
        overview_section(summary, trials),
        breakdown_section(summary, trials),
        cost_section(trials),
        trials_section(trials),
    ]
    body = "\n".join(s for s in sections if s)
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="icon" href="data:,">\n'  # served over HTTP, no favicon request (and 404)
            f"<title>pytest-ecom report: {e(agent)}</title>\n<style>{_asset('report.css')}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n<script>{_asset('report.js')}</script>\n</body>\n</html>\n")


def write_html(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(report), encoding="utf-8", errors="backslashreplace")
    tmp.replace(path)  # a reader never sees half a page
