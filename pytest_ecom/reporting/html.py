"""The HTML report (``--ecom-html``): one self-contained file a person reads when a run says no.

Built from the JSON report's dict (:func:`~pytest_ecom.results.report.build_report`), so
a run and a merge of shard reports give the same page. Inline CSS, a small vanilla script and
an SVG drawn here: it opens from disk or a CI artifact with no network at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path
from typing import Any

from pytest_ecom.reporting.transcript import call_text, content_text, speaker
from pytest_ecom.results.counts import task_counts
from pytest_ecom.results.passk import estimate
from pytest_ecom.results.record import OUTCOMES, TrialRecord
from pytest_ecom.results.summary import STAGE_ORDER

TOP_SHOWN = 10
Record = TrialRecord


def trial_anchor(task: str, trial: int) -> str:
    """The element id of a trial: ``report.html#trial-<task>-<trial>`` opens it."""
    return f"trial-{task}-{trial}"


def render_html(report: dict[str, Any]) -> str:
    """The whole page for a report dict (format ``pytest-ecom/report``)."""
    trials: list[Record] = report.get("trials") or []
    summary: dict[str, Any] = report["summary"]
    agent = report.get("fingerprint", {}).get("agent")
    sections = [
        _header(report),
        _gates(report.get("gates") or []),
        _overview(summary, trials),
        _breakdowns(summary, trials),
        _slowest_and_costliest(trials),
        _trials(trials),
    ]
    body = "\n".join(s for s in sections if s)
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="icon" href="data:,">\n'  # served over HTTP, no favicon request (and 404)
            f"<title>pytest-ecom report: {_e(agent)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def write_html(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a page


# -- small formatting helpers -----------------------------------------------------------


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


_NUMBER = re.compile(r"(n/a|\$?-?[\d.]+(%| s)?|\d+/\d+)")


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "stats") -> str:
    """A table; ``head`` is plain text, cells are HTML the caller escaped. Numbers align right."""
    rows = [list(row) for row in rows]
    numeric = [bool(rows) and all(i < len(r) and _NUMBER.fullmatch(r[i]) for r in rows) for i in range(len(head))]
    th = "".join(f'<th class="n">{_e(h)}</th>' if n else f"<th>{_e(h)}</th>" for h, n in zip(head, numeric))
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if _NUMBER.fullmatch(c) else f"<td>{c}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _section(title: str, inner: str, sid: str) -> str:
    return f'<section id="{sid}"><h2>{_e(title)}</h2>\n{inner}\n</section>'


def _badge(outcome: str) -> str:
    return f'<span class="badge {_e(outcome)}">{_e(outcome)}</span>'


def _trial_link(r: Record) -> str:
    anchor = trial_anchor(r["task"], r["trial"])
    return f'<a href="#{_e(anchor)}">{_e(r["task"])} [{_e(r["trial"])}-{_e(r.get("repeat", "?"))}]</a>'


def _bar(rate: float | None) -> str:
    width = 0.0 if rate is None else max(0.0, min(1.0, rate)) * 100
    return f'<span class="bar"><span style="width:{width:.1f}%"></span></span>'


# -- header, gates ------------------------------------------------------------------------


def _card(label: str, value: str, metric: str, cls: str = "") -> str:
    return (f'<div class="card {cls}" data-metric="{_e(metric)}">'
            f'<span class="v">{_e(value)}</span><span class="l">{_e(label)}</span></div>')


def _header(report: dict[str, Any]) -> str:
    summary, fp = report["summary"], report.get("fingerprint", {})
    t = summary["trials"]
    cards = [_card("tasks", str(summary["tasks"]), "tasks"), _card("trials", str(sum(t.values())), "trials"),
             _card("passed", str(t["pass"]), "passed", "pass" if t["pass"] else ""),
             _card("failed", str(t["fail"]), "failed", "fail" if t["fail"] else ""),
             _card("errors", str(t["error"]), "errors", "error" if t["error"] else "")]
    intervals = summary.get("pass_hat_k_ci") or {}  # bootstrap intervals, where the report has them
    cards += [_card(f"pass^{k}" + _interval(intervals.get(k)), _num(v), f"pass^{k}", "metric")
              for k, v in summary["pass_hat_k"].items()]
    cards.append(_card(f"pass@{summary['k']}", _num(summary.get("pass_at_k")), f"pass@{summary['k']}", "metric"))
    options = {k: v for k, v in (fp.get("options") or {}).items() if v not in (None, False, "default")}
    meta = " · ".join(f"{_e(k)} <b>{_e(v)}</b>" for k, v in options.items())
    return (f'<header><h1>pytest-ecom report <span class="agent">agent <b>{_e(fp.get("agent"))}</b></span></h1>'
            f'<p class="muted">pytest-ecom {_e(fp.get("pytest_ecom"))} · task set {_e(fp.get("task_set"))}'
            f'{" · " + meta if meta else ""}</p>'
            f'<div class="cards" id="totals">{"".join(cards)}</div>{_notes(summary)}</header>')


def _interval(ci: Any) -> str:
    if isinstance(ci, dict) and ci.get("low") is not None and ci.get("high") is not None:
        return f" [{ci['low']:.2f}, {ci['high']:.2f}]"
    return ""


def _notes(summary: dict[str, Any]) -> str:
    notes = []
    method = summary.get("ci_method")
    if summary.get("pass_hat_k_ci") and isinstance(method, dict):
        notes.append(f"pass^k intervals [low, high]: {method.get('level', 0.95):.0%} {method.get('method', '')}.")
    samples = summary.get("samples")
    if samples:
        notes.append(f"Stage-wise samples, counted apart from the pass^k above: {samples['items']} samples, "
                     f"{samples['pass']} passed, {samples['fail']} failed, {samples['error']} errors.")
    if summary.get("incomplete"):
        notes.append(f"Incomplete (fewer than {summary['k']} scored trials, left out of pass^{summary['k']}): "
                     + ", ".join(summary["incomplete"]) + ".")
    if summary.get("not_run"):
        notes.append(f"Subset: {len(summary['not_run'])} collected task(s) were deselected; "
                     f"pass^k covers the {summary['tasks']} run.")
    return "".join(f'<p class="note">{_e(n)}</p>' for n in notes)


def _gates(gates: list[dict[str, Any]]) -> str:
    if not gates:
        return ""
    rows = [[f'<span class="badge {"pass" if g["passed"] else "fail"}">{"PASS" if g["passed"] else "FAIL"}</span>',
             f"<code>{_e(g['gate'])}</code>", _num(g.get("value")), _e(g.get("reason"))] for g in gates]
    return _section("Gates", _table(["verdict", "gate", "value", "reason"], rows, "stats gates"), "gates")


# -- pass^k curve and dimensions ----------------------------------------------------------


def pass_curve_svg(pass_hat: dict[str, float | None], intervals: dict[str, Any] | None = None,
                   width: int = 360, height: int = 200) -> str:
    """pass^k over k as an inline SVG line chart (y from 0 to 1), with confidence intervals as
    error bars where ``intervals`` (k → {low, high}) has them."""
    left, right, top, bottom = 40, 16, 22, 30
    pad = 18  # keeps the first and last points clear of the axis labels
    plot_w, plot_h = width - left - right, height - top - bottom
    ks = [int(k) for k in pass_hat]
    span = max(ks[-1] - ks[0], 1) if ks else 1

    def x(k: int) -> float:
        return left + (plot_w / 2 if len(ks) == 1 else pad + (k - ks[0]) / span * (plot_w - 2 * pad))

    def y(v: float) -> float:
        return top + (1 - v) * plot_h

    parts = [f'<svg class="curve" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="pass^k over k">']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    points = [(k, v) for k, v in ((int(k), v) for k, v in pass_hat.items()) if v is not None]
    for k in ks:
        parts.append(f'<text x="{x(k):.1f}" y="{height - 10}" text-anchor="middle">k={k}</text>')
    if len(points) > 1:
        path = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in points)
        parts.append(f'<polyline points="{path}" class="line"/>')
    for k, _ in points:
        ci = (intervals or {}).get(str(k))
        if _interval(ci):
            low, high, cx = y(ci["low"]), y(ci["high"]), x(k)
            parts.append(f'<path d="M{cx:.1f} {low:.1f}V{high:.1f}M{cx - 4:.1f} {low:.1f}h8M{cx - 4:.1f} {high:.1f}h8" '
                         f'class="ci"><title>pass^{k} {ci["low"]:.3f} to {ci["high"]:.3f}</title></path>')
    for k, v in points:
        parts.append(f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="4" class="dot"><title>pass^{k} = {v:.3f}</title>'
                     f'</circle><text x="{x(k):.1f}" y="{y(v) - 8:.1f}" text-anchor="middle" class="val">'
                     f'{v:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def dimension_rates(trials: list[Record]) -> list[dict[str, Any]]:
    """Per dimension, over scored trials where it was checked: how often it failed."""
    seen: dict[str, list[int]] = {}
    for r in trials:
        if r.get("outcome") == "error":
            continue
        for name, d in (r.get("dimensions") or {}).items():
            counts = seen.setdefault(name, [0, 0])
            if d.get("passed") is not None:
                counts[0] += 1
                counts[1] += d["passed"] is False
    return [{"dimension": n, "checked": c, "failed": f, "rate": f / c if c else None} for n, (c, f) in seen.items()]


def _overview(summary: dict[str, Any], trials: list[Record]) -> str:
    curve = (f'<figure><figcaption>pass^k over k (end-to-end tasks)</figcaption>'
             f'{pass_curve_svg(summary["pass_hat_k"], summary.get("pass_hat_k_ci"))}</figure>')
    rows = [[_e(d["dimension"]), str(d["checked"]), str(d["failed"]), _pct(d["rate"]), _bar(d["rate"])]
            for d in dimension_rates(trials)]
    dims = (f'<figure><figcaption>failure rate per dimension (scored trials)</figcaption>'
            f'{_table(["dimension", "checked", "failed", "rate", ""], rows, "stats dims")}</figure>'
            if rows else "")
    return _section("Overview", f'<div class="row">{curve}{dims}</div>', "overview")


# -- breakdowns ---------------------------------------------------------------------------


def group_rows(trials: list[Record], keys: Callable[[Record], Iterable[str]], k: int) -> list[dict[str, Any]]:
    """Items, outcomes, accuracy and pass^k per group; a record may be in several groups (tags)."""
    groups: dict[str, list[Record]] = {}
    for r in trials:
        for key in keys(r):
            groups.setdefault(key, []).append(r)
    rows = []
    for name in sorted(groups):
        rs = groups[name]
        counts = {o: sum(r["outcome"] == o for r in rs) for o in OUTCOMES}
        scored = counts["pass"] + counts["fail"]
        rows.append({"group": name, "items": len({r["task"] for r in rs}), "trials": len(rs), **counts,
                     "accuracy": counts["pass"] / scored if scored else None,
                     "pass_hat_k": estimate(task_counts(rs), k).value})
    return rows


def _group_table(title: str, rows: list[dict[str, Any]], k: int) -> str:
    cells = [[_e(r["group"]), str(r["items"]), str(r["trials"]), str(r["pass"]), str(r["fail"]), str(r["error"]),
              _num(r["accuracy"]), _num(r["pass_hat_k"])] for r in rows]
    head = [title, "items", "trials", "passed", "failed", "errors", "accuracy", f"pass^{k}"]
    return f"<figure><figcaption>by {_e(title)}</figcaption>{_table(head, cells)}</figure>"


def _stage_table(summary: dict[str, Any]) -> str:
    k = summary["k"]
    rows = summary.get("by_stage") or []
    with_ref = any(r.get("reference_accuracy") is not None for r in rows)
    head = ["stage", "orientation", "task type", "items", "trials", "errors", "accuracy", f"pass^{k}"]
    cells = []
    for r in rows:
        cell = [_e(r["stage"]), _e(r["orientation"]), _e(r["task_type"]), str(r["items"]), str(r["trials"]),
                str(r["errors"]), _num(r["accuracy"]), _num(r.get(f"pass_hat_{k}"))]
        cells.append(cell + ([_num(r.get("reference_accuracy"))] if with_ref else []))
    table = _table(head + (["reference accuracy"] if with_ref else []), cells)
    return f"<figure><figcaption>by stage</figcaption>{table}</figure>" if rows else ""


def _ablation_table(summary: dict[str, Any]) -> str:
    """pass^1 and pass^k per persona dimension value (runs with persona-grid variants only)."""
    k, rows = summary["k"], summary.get("ablation") or []
    cells = [[_e(r.get("dimension")), _e(r.get("value")), str(r.get("variants", "")), str(r.get("trials", "")),
              str(r.get("errors", "")), _num(r.get("pass_hat_1")), _num(r.get(f"pass_hat_{k}"))] for r in rows]
    head = ["persona dimension", "value", "variants", "trials", "errors", "pass^1", f"pass^{k}"]
    return f"<figure><figcaption>persona ablation</figcaption>{_table(head, cells)}</figure>" if cells else ""


def _scenario_table(summary: dict[str, Any]) -> str:
    scenarios: dict[str, dict[str, float]] = summary.get("scenarios") or {}
    stages = sorted({s for row in scenarios.values() for s in row}, key=lambda s: (STAGE_ORDER.get(s, 9), s))
    cells = [[_e(name)] + [_num(row.get(s)) for s in stages] for name, row in scenarios.items()]
    return (f"<figure><figcaption>accuracy per scenario and stage</figcaption>"
            f"{_table(['scenario', *stages], cells)}</figure>") if cells else ""


def _worst_table(summary: dict[str, Any], trials: list[Record]) -> str:
    first_bad = {}
    for r in trials:
        if r["outcome"] != "pass":
            first_bad.setdefault(r["task"], r)
    cells = []
    for w in (summary.get("worst") or [])[:TOP_SHOWN]:
        r = first_bad.get(w["task"])
        name = _trial_link(r) if r else _e(w["task"])
        failing = ", ".join(f"{d} ×{n}" for d, n in w.get("failing", {}).items())
        cells.append([name, f"{w['pass']}/{w['scored']}", str(w["error"]), _e(failing)])
    return (f"<figure><figcaption>worst tasks</figcaption>"
            f"{_table(['task (first failed trial)', 'passed', 'errors', 'failing dimensions'], cells)}</figure>"
            if cells else "")


def _breakdowns(summary: dict[str, Any], trials: list[Record]) -> str:
    k = summary["k"]
    parts = [_worst_table(summary, trials), _stage_table(summary)]
    for title, keys in (("orientation", lambda r: [r["orientation"]] if r.get("orientation") else []),
                        ("persona", lambda r: [r["persona"]] if r.get("persona") else []),
                        ("tag", lambda r: r.get("tags") or [])):
        rows = group_rows(trials, keys, k)
        if rows:
            parts.append(_group_table(title, rows, k))
    parts.append(_ablation_table(summary))
    parts.append(_scenario_table(summary))
    inner = "".join(p for p in parts if p)
    return _section("Breakdown", f'<div class="row">{inner}</div>', "breakdown") if inner else ""


# -- slowest and most expensive ------------------------------------------------------------


def _duration(r: Record) -> float:
    timings = r.get("timings") or {}
    return float(timings.get("episode_s", sum(v for v in timings.values() if isinstance(v, int | float))))


def _slowest_and_costliest(trials: list[Record]) -> str:
    if not trials:
        return ""
    slow = sorted(trials, key=lambda r: (-_duration(r), r["task"], r["trial"]))[:TOP_SHOWN]
    cells = [[_trial_link(r), _badge(r["outcome"]), _secs(_duration(r)),
              _secs((r.get("timings") or {}).get("agent_s")), _secs((r.get("timings") or {}).get("tools_s"))]
             for r in slow]
    parts = [f"<figure><figcaption>slowest trials</figcaption>"
             f"{_table(['trial', 'outcome', 'duration', 'agent', 'tools'], cells)}</figure>"]
    parts.append(_costliest(trials))
    return _section("Slowest and most expensive", f'<div class="row">{"".join(parts)}</div>', "cost")


def _costliest(trials: list[Record]) -> str:
    costed = [r for r in trials if isinstance(r.get("cost_usd"), int | float)]
    if not costed:
        return '<p class="muted">No cost recorded: the agent and the customer reported none.</p>'
    total = sum(r["cost_usd"] for r in costed)
    top = sorted(costed, key=lambda r: (-r["cost_usd"], r["task"], r["trial"]))[:TOP_SHOWN]
    cells = [[_trial_link(r), _badge(r["outcome"]), f"${r['cost_usd']:.4f}", _e(_tokens(r.get("tokens")))]
             for r in top]
    return (f"<figure><figcaption>most expensive trials (total ${total:.4f} over {len(costed)} trials)"
            f"</figcaption>{_table(['trial', 'outcome', 'cost', 'tokens'], cells)}</figure>")


def _tokens(tokens: Any) -> str:
    """``{"agent": {"prompt_tokens": 900, "completion_tokens": 80, "calls": 3, ...}}`` →
    ``agent 900+80 tokens in 3 calls``; flat counts as ``name value``."""
    if not isinstance(tokens, dict):
        return "" if tokens is None else str(tokens)
    parts = []
    for role, usage in tokens.items():
        if isinstance(usage, dict):
            calls = f" in {usage['calls']} calls" if usage.get("calls") else ""
            parts.append(f"{role} {usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens{calls}")
        else:
            parts.append(f"{role} {usage}")
    return ", ".join(parts)


# -- every trial ----------------------------------------------------------------------------


def _filters(trials: list[Record]) -> str:
    counts = {o: sum(r["outcome"] == o for r in trials) for o in OUTCOMES}
    boxes = "".join(f'<label class="{o}"><input type="checkbox" class="f-outcome" value="{o}" checked> '
                    f'{o} ({counts[o]})</label>' for o in OUTCOMES)
    tags = sorted({t for r in trials for t in r.get("tags") or []})
    options = '<option value="">all tags</option>' + "".join(f'<option value="{_e(t)}">{_e(t)}</option>'
                                                             for t in tags)
    return (f'<div class="filters">{boxes}<label>tag <select id="f-tag">{options}</select></label>'
            f'<input type="search" id="f-text" placeholder="task id contains…" aria-label="task id">'
            f'<span id="shown" class="muted"></span></div>')


def _trials(trials: list[Record]) -> str:
    by_task: dict[str, list[Record]] = {}
    for r in trials:
        by_task.setdefault(r["task"], []).append(r)
    # End-to-end tasks (the headline) first, then stage-wise samples stage by stage.
    order = sorted(by_task, key=lambda t: (STAGE_ORDER.get(by_task[t][0].get("stage", ""), 9), t))
    groups = [_task_group(task, by_task[task]) for task in order]
    return _section("Trials", _filters(trials) + "".join(groups), "trials")


def _task_group(task: str, rs: list[Record]) -> str:
    first = rs[0]
    scored = [r for r in rs if r["outcome"] != "error"]
    passed = sum(r["outcome"] == "pass" for r in rs)
    where = " · ".join(_e(v) for v in (first.get("stage"), first.get("task_type"), first.get("scenario")) if v)
    tags = "".join(f'<span class="tag">{_e(t)}</span>' for t in first.get("tags") or [])
    return (f'<div class="task"><h3>{_e(task)} <span class="muted">{where} · {passed}/{len(scored)} passed'
            f'</span> {tags}</h3>{"".join(_trial(r) for r in rs)}</div>')


def _dim_chips(r: Record) -> str:
    chips = []
    for name, d in (r.get("dimensions") or {}).items():
        state = {True: "pass", False: "fail"}.get(d.get("passed"), "skip")
        chips.append(f'<span class="chip {state}" title="{_e(name)}: {state}">{_e(name)}</span>')
    return "".join(chips)


def _trial(r: Record) -> str:
    anchor = trial_anchor(r["task"], r["trial"])
    summary = (f'<summary>{_badge(r["outcome"])} <b>{_e(r["task"])}</b> '
               f'<span class="muted">[{_e(r["trial"])}-{_e(r.get("repeat"))}]</span> {_dim_chips(r)} '
               f'<span class="dur">{_secs(_duration(r))}</span> '
               f'<a class="self" href="#{_e(anchor)}" title="link to this trial">#</a></summary>')
    body = _trial_meta(r) + _trial_error(r.get("error")) + _dimensions(r) + _conversation(r)
    return (f'<details class="trial" id="{_e(anchor)}" data-outcome="{_e(r["outcome"])}" '
            f'data-task="{_e(r["task"])}" data-tags="{_e(json.dumps(r.get("tags") or []))}">'
            f'{summary}<div class="body">{body}</div></details>')


def _trial_meta(r: Record) -> str:
    timings = r.get("timings") or {}
    items = [("seed", r.get("seed")), ("ended by", r.get("end_reason")), ("turns", r.get("turns")),
             ("tool calls", r.get("tool_calls")), ("store", r.get("store")), ("persona", r.get("persona")),
             ("orientation", r.get("orientation")),
             ("timings", ", ".join(f"{k.removesuffix('_s')} {v:.3f}s" for k, v in timings.items())),
             ("tokens", _tokens(r.get("tokens")) or None),
             ("cost", None if r.get("cost_usd") is None else f"${r['cost_usd']:.4f}")]
    return '<p class="meta">' + " · ".join(f"{_e(k)} <b>{_e(v)}</b>" for k, v in items if v not in (None, "")) + "</p>"


def _trial_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    trace = error.get("traceback")
    return (f'<div class="error-box"><b>error ({_e(error.get("source"))})</b>: {_e(error.get("message"))}'
            + (f"<pre>{_e(trace)}</pre>" if trace else "") + "</div>")


def _dimensions(r: Record) -> str:
    dims = r.get("dimensions") or {}
    if not dims:
        return ""
    rows = []
    for name, d in dims.items():
        verdict = {True: "pass", False: "fail"}.get(d.get("passed"), "not checked")
        problems = "".join(f"<li>{_e(p)}</li>" for p in d.get("problems") or [])
        detail = d.get("detail")
        extra = _diff(detail["diff"]) if isinstance(detail, dict) and detail.get("diff") else (
            f"<code>{_e(json.dumps(detail, ensure_ascii=False))}</code>" if detail is not None else "")
        shown = _badge(verdict) if verdict != "not checked" else '<span class="muted">not checked</span>'
        rows.append([_e(name), shown,
                     (f"<ul>{problems}</ul>" if problems else "") + extra])
    return _table(["dimension", "verdict", "problems"], rows, "dims-of-trial")


_DIFF_LABELS = {"values_changed": "changed", "type_changes": "changed type", "dictionary_item_added": "unexpected",
                "dictionary_item_removed": "missing", "iterable_item_added": "unexpected item",
                "iterable_item_removed": "missing item"}


def _diff(diff: dict[str, Any]) -> str:
    """The DB diff (deepdiff of expected → actual store): one row per difference."""
    rows = []
    for kind, changes in diff.items():
        entries = changes.items() if isinstance(changes, dict) else ((c, None) for c in changes)
        for path, change in entries:
            if isinstance(change, dict) and ("old_value" in change or "new_value" in change):
                expected, got = change.get("old_value", _ABSENT), change.get("new_value", _ABSENT)
            elif kind.endswith("removed"):
                expected, got = change, _ABSENT
            else:
                expected, got = _ABSENT, change
            rows.append([_e(_DIFF_LABELS.get(kind, kind)), f"<code>{_e(_path(path))}</code>",
                         _json_cell(expected), _json_cell(got)])
    table = _table(["", "record", "expected", "got"], rows, "stats diff")
    return f'<div class="diff"><b>store diff</b>{table}</div>'


def _path(path: str) -> str:
    """``root['orders']['100001']['status']`` → ``orders/100001/status``."""
    return path.removeprefix("root").replace("']['", "/").replace("'][", "/").replace("][", "/").strip("[]'")


_ABSENT = object()  # no value on this side of the diff (not JSON null)


def _json_cell(value: Any) -> str:
    if value is _ABSENT:
        return '<span class="muted">—</span>'
    return f"<code>{_e(json.dumps(value, ensure_ascii=False, default=str))}</code>"


def _conversation(r: Record) -> str:
    transcript = r.get("transcript")
    if not transcript:
        note = ("not kept: the report keeps the conversations of failed and errored trials"
                if r["outcome"] == "pass" else "empty")
        return f'<p class="muted conv-note">Conversation {note}.</p>'
    return '<ol class="conv">' + "".join(_message(m) for m in transcript) + "</ol>"


def _message(m: dict[str, Any]) -> str:
    role = m.get("role", "?")
    when = f'<span class="t">{m["t_ms"]:.0f} ms</span>' if isinstance(m.get("t_ms"), int | float) else ""
    if role == "user" and m.get("stop"):
        return f'<li class="msg stop">{when}<span class="who">customer</span> ends the conversation</li>'
    if role == "tool":
        ok = m.get("ok", True)
        return (f'<li class="msg tool{"" if ok else " bad"}">{when}<span class="who">{_e(speaker(m))}'
                f'{"" if ok else " (error)"}</span><pre>{_e(content_text(m.get("content")))}</pre></li>')
    calls = "".join(f'<div class="call">→ <code>{_e(call_text(c))}</code></div>' for c in m.get("tool_calls") or [])
    text = f'<div class="text">{_e(m["content"])}</div>' if m.get("content") else ""
    return f'<li class="msg {_e(role)}">{when}<span class="who">{_e(speaker(m))}</span>{text}{calls}</li>'


# -- page assets ----------------------------------------------------------------------------

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--error:#9a6700;--muted:#656d76;--line:#d0d7de;--bg2:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;
color:#1f2328;background:#fff}
main{max-width:1200px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:4px 0}h1 .agent{font-weight:400;font-size:16px;color:var(--muted);margin-left:8px}
h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:28px 0 10px}
h3{font-size:14px;margin:14px 0 4px}
.muted{color:var(--muted)}.note{margin:4px 0;color:var(--muted)}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:84px;background:var(--bg2)}
.card .v{display:block;font-size:20px;font-weight:600}.card .l{color:var(--muted);font-size:12px}
.card.pass .v{color:var(--pass)}.card.fail .v{color:var(--fail)}.card.error .v{color:var(--error)}
.row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600}
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:120px;height:8px;background:var(--bg2);border:1px solid var(--line);border-radius:4px}
.bar span{display:block;height:100%;background:var(--fail);border-radius:4px}
.curve text{font-size:11px;fill:var(--muted)}.curve .val{fill:#1f2328;font-weight:600}
.curve .grid{stroke:var(--line)}.curve .ci{stroke:#54aeff;stroke-width:1.5;fill:none}
.curve .line{fill:none;stroke:#0969da;stroke-width:2}.curve .dot{fill:#0969da}
.badge{display:inline-block;min-width:40px;text-align:center;border-radius:10px;padding:0 7px;font-size:12px;
font-weight:600;color:#fff}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.error{background:var(--error)}
.chip{display:inline-block;border-radius:3px;padding:0 5px;margin-left:3px;font-size:11px;border:1px solid}
.chip.pass{color:var(--pass)}.chip.fail{color:var(--fail)}.chip.skip{color:var(--muted)}
.tag{display:inline-block;background:#ddf4ff;color:#0550ae;border-radius:10px;padding:0 7px;font-size:11px;
font-weight:400;margin-left:3px}
.filters{position:sticky;top:0;z-index:1;background:#fff;padding:8px 0;border-bottom:1px solid var(--line);
display:flex;flex-wrap:wrap;gap:14px;align-items:center}
.filters label.pass{color:var(--pass)}.filters label.fail{color:var(--fail)}.filters label.error{color:var(--error)}
.task{margin-bottom:6px}
details.trial{border:1px solid var(--line);border-radius:6px;margin:3px 0 3px 12px;scroll-margin-top:56px}
details.trial>summary{cursor:pointer;padding:3px 8px;list-style-position:inside}
details.trial[open]>summary{background:var(--bg2);border-bottom:1px solid var(--line)}
details.trial:target{outline:2px solid #0969da}
.dur{color:var(--muted);font-size:12px;margin-left:6px}
a.self{color:var(--muted);text-decoration:none;margin-left:6px}
.body{padding:6px 12px 10px}.meta{margin:2px 0 8px;color:var(--muted)}.meta b{color:#1f2328;font-weight:500}
.dims-of-trial{margin-bottom:8px}.dims-of-trial ul{margin:0;padding-left:18px}
.diff{margin-top:6px}
.error-box{border-left:3px solid var(--error);background:#fff8c5;padding:6px 10px;margin:6px 0}
.error-box pre{max-height:240px;overflow:auto;margin:6px 0 0}
.conv{list-style:none;padding:0;margin:0}
.msg{border-left:3px solid var(--line);padding:3px 10px;margin:4px 0;white-space:pre-wrap;word-break:break-word}
.msg .who{font-weight:600;font-size:12px;margin-right:6px}.msg .t{float:right;color:var(--muted);font-size:11px}
.msg.user{border-color:#8250df;background:#fbefff}.msg.assistant{border-color:#0969da;background:#f1f8ff}
.msg.tool{border-color:var(--muted);background:var(--bg2)}.msg.tool.bad{border-color:var(--fail)}
.msg.stop{color:var(--muted);font-style:italic}
.msg pre{margin:2px 0 0;max-height:220px;overflow:auto;white-space:pre-wrap}
.call code{background:#fff;border:1px solid var(--line);border-radius:3px;padding:0 4px}
[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  "use strict";
  var trials = Array.prototype.slice.call(document.querySelectorAll("details.trial"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("div.task"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.f-outcome"));
  var tag = document.getElementById("f-tag");
  var text = document.getElementById("f-text");
  var shown = document.getElementById("shown");
  function wanted(el, outcomes) {
    if (!outcomes[el.dataset.outcome]) return false;
    if (tag && tag.value && JSON.parse(el.dataset.tags).indexOf(tag.value) < 0) return false;
    var needle = text ? text.value.trim().toLowerCase() : "";
    return !needle || el.dataset.task.toLowerCase().indexOf(needle) >= 0;
  }
  function apply() {
    var outcomes = {}, count = 0;
    boxes.forEach(function (b) { outcomes[b.value] = b.checked; });
    trials.forEach(function (el) { el.hidden = !wanted(el, outcomes); if (!el.hidden) count++; });
    groups.forEach(function (g) { g.hidden = !g.querySelector("details.trial:not([hidden])"); });
    if (shown) shown.textContent = count + " of " + trials.length + " trials shown";
  }
  function showAll() {
    boxes.forEach(function (b) { b.checked = true; });
    if (tag) tag.value = "";
    if (text) text.value = "";
    apply();
  }
  function openTarget() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id && document.getElementById(id);
    if (!el || !el.classList.contains("trial")) return;
    if (el.hidden) showAll();
    el.open = true;
    el.scrollIntoView({block: "start"});
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (tag) tag.addEventListener("change", apply);
  if (text) text.addEventListener("input", apply);
  window.addEventListener("hashchange", openTarget);
  apply();
  openTarget();
})();
"""
