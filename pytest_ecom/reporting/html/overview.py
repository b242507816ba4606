"""The top of the page: the header with the run's totals and pass^k cards, the gates' verdicts,
the pass^k curve and the failure rate per dimension."""

from __future__ import annotations

from typing import Any

from pytest_ecom.reporting.html.format import Record, bar, e, num, pct, section, table

# -- header, gates ------------------------------------------------------------------------


def _card(label: str, value: str, metric: str, cls: str = "") -> str:
    return (f'<div class="card {cls}" data-metric="{e(metric)}">'
            f'<span class="v">{e(value)}</span><span class="l">{e(label)}</span></div>')


def header_section(report: dict[str, Any]) -> str:
    summary, fp = report["summary"], report.get("fingerprint", {})
    t = summary["trials"]
    unit = summary.get("unit", "tasks")  # a run of stage-wise samples only headlines its samples
    cards = [_card(unit, str(summary["tasks"]), unit), _card("trials", str(sum(t.values())), "trials"),
             _card("passed", str(t["pass"]), "passed", "pass" if t["pass"] else ""),
             _card("failed", str(t["fail"]), "failed", "fail" if t["fail"] else ""),
             _card("errors", str(t["error"]), "errors", "error" if t["error"] else "")]
    intervals = summary.get("pass_hat_k_ci") or {}  # bootstrap intervals, where the report has them
    cards += [_card(f"pass^{k}" + _interval(intervals.get(k)), num(v), f"pass^{k}", "metric")
              for k, v in summary["pass_hat_k"].items()]
    cards.append(_card(f"pass@{summary['k']}", num(summary.get("pass_at_k")), f"pass@{summary['k']}", "metric"))
    options = {k: v for k, v in (fp.get("options") or {}).items() if v not in (None, False, "default")}
    meta = " · ".join(f"{e(k)} <b>{e(v)}</b>" for k, v in options.items())
    return (f'<header><h1>pytest-ecom report <span class="agent">agent <b>{e(fp.get("agent"))}</b></span></h1>'
            f'<p class="muted">pytest-ecom {e(fp.get("pytest_ecom"))} · task set {e(fp.get("task_set"))}'
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
    rules = summary.get("rules") or {}
    if "without_procedure" in rules:
        notes.append("State × searches × outputs alone (ECom-Bench's dimensions, without procedure): "
                     + ", ".join(f"pass^{k} {num(v)}" for k, v in rules["without_procedure"].items())
                     + f"; {rules.get('procedure_only_failures', 0)} trial(s) failed on procedure alone.")
    spent = summary.get("efficiency")
    if spent:
        notes.append(f"Per scored trial: {spent['tool_calls']:g} tool calls ({spent['failed_calls']:g} failed), "
                     f"{spent['turns']:g} customer turns; the golden path: {spent['golden_tool_calls']:g} calls, "
                     f"{spent['golden_turns']:g} turns; {spent['over_budget']} trial(s) over the tool budget.")
    if summary.get("incomplete"):
        notes.append(f"Incomplete (fewer than {summary['k']} scored trials, left out of pass^{summary['k']}): "
                     + ", ".join(summary["incomplete"]) + ".")
    if summary.get("not_run"):
        notes.append(f"Subset: {len(summary['not_run'])} collected task(s) were deselected; "
                     f"pass^k covers the {summary['tasks']} run.")
    return "".join(f'<p class="note">{e(n)}</p>' for n in notes)


def gates_section(gates: list[dict[str, Any]]) -> str:
    if not gates:
        return ""
    rows = [[f'<span class="badge {"pass" if g["passed"] else "fail"}">{"PASS" if g["passed"] else "FAIL"}</span>',
             f"<code>{e(g['gate'])}</code>", num(g.get("value")), e(g.get("reason"))] for g in gates]
    return section("Gates", table(["verdict", "gate", "value", "reason"], rows, "stats gates"), "gates")


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


def overview_section(summary: dict[str, Any], trials: list[Record]) -> str:
    unit = "end-to-end tasks" if summary.get("unit", "tasks") == "tasks" else "stage-wise samples"
    curve = (f'<figure><figcaption>pass^k over k ({unit})</figcaption>'
             f'{pass_curve_svg(summary["pass_hat_k"], summary.get("pass_hat_k_ci"))}</figure>')
    rows = [[e(d["dimension"]), str(d["checked"]), str(d["failed"]), pct(d["rate"]), bar(d["rate"])]
            for d in dimension_rates(trials)]
    dims = (f'<figure><figcaption>failure rate per dimension (scored trials)</figcaption>'
            f'{table(["dimension", "checked", "failed", "rate", ""], rows, "stats dims")}</figure>'
            if rows else "")
    return section("Overview", f'<div class="row">{curve}{dims}</div>', "overview")
