"""The "Trials" section: the filters, then every trial grouped by task, each a collapsible block
with its metadata, error, dimensions, store diff and conversation."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_ecom.reporting.html.format import (Record, badge, duration, e, section, secs, table, tokens_text,
                                               trial_anchor)
from pytest_ecom.reporting.transcript import call_text, content_text, speaker
from pytest_ecom.results.record import OUTCOMES
from pytest_ecom.results.summary import STAGE_ORDER


def _filters(trials: list[Record]) -> str:
    counts = {o: sum(r["outcome"] == o for r in trials) for o in OUTCOMES}
    boxes = "".join(f'<label class="{o}"><input type="checkbox" class="f-outcome" value="{o}" checked> '
                    f'{o} ({counts[o]})</label>' for o in OUTCOMES)
    tags = sorted({t for r in trials for t in r.get("tags") or []})
    options = '<option value="">all tags</option>' + "".join(f'<option value="{e(t)}">{e(t)}</option>'
                                                             for t in tags)
    return (f'<div class="filters">{boxes}<label>tag <select id="f-tag">{options}</select></label>'
            f'<input type="search" id="f-text" placeholder="task id contains…" aria-label="task id">'
            f'<span id="shown" class="muted"></span></div>')


def trials_section(trials: list[Record]) -> str:
    by_task: dict[str, list[Record]] = {}
    for r in trials:
        by_task.setdefault(r["task"], []).append(r)
    # End-to-end tasks (the headline) first, then stage-wise samples stage by stage.
    order = sorted(by_task, key=lambda t: (STAGE_ORDER.get(by_task[t][0].get("stage", ""), 9), t))
    groups = [_task_group(task, by_task[task]) for task in order]
    return section("Trials", _filters(trials) + "".join(groups), "trials")


def _task_group(task: str, rs: list[Record]) -> str:
    first = rs[0]
    scored = [r for r in rs if r["outcome"] != "error"]
    passed = sum(r["outcome"] == "pass" for r in rs)
    where = " · ".join(e(v) for v in (first.get("stage"), first.get("task_type"), first.get("scenario")) if v)
    tags = "".join(f'<span class="tag">{e(t)}</span>' for t in first.get("tags") or [])
    return (f'<div class="task"><h3>{e(task)} <span class="muted">{where} · {passed}/{len(scored)} passed'
            f'</span> {tags}</h3>{"".join(_trial(r) for r in rs)}</div>')


def _dim_chips(r: Record) -> str:
    chips = []
    for name, d in (r.get("dimensions") or {}).items():
        state = {True: "pass", False: "fail"}.get(d.get("passed"), "skip")
        chips.append(f'<span class="chip {state}" title="{e(name)}: {state}">{e(name)}</span>')
    said = forbidden_said(r)
    if said:
        chips.append(f'<span class="chip fail forbidden" title="forbidden phrases said: {e(", ".join(said))}">'
                     f'said {len(said)} forbidden</span>')
    return "".join(chips)


def forbidden_said(r: Record) -> list[str]:
    """The task's forbidden phrases the agent said in this trial (the outputs dimension's detail)."""
    detail = ((r.get("dimensions") or {}).get("outputs") or {}).get("detail")
    said = detail.get("forbidden_said") if isinstance(detail, dict) else None
    return [str(p) for p in said] if isinstance(said, list) else []


def _trial(r: Record) -> str:
    anchor = trial_anchor(r["task"], r["trial"])
    summary = (f'<summary>{badge(r["outcome"])} <b>{e(r["task"])}</b> '
               f'<span class="muted">[{e(r["trial"])}-{e(r.get("repeat"))}]</span> {_dim_chips(r)} '
               f'<span class="dur">{secs(duration(r))}</span> '
               f'<a class="self" href="#{e(anchor)}" title="link to this trial">#</a></summary>')
    body = _trial_meta(r) + _trial_error(r.get("error")) + _dimensions(r) + _conversation(r)
    return (f'<details class="trial" id="{e(anchor)}" data-outcome="{e(r["outcome"])}" '
            f'data-task="{e(r["task"])}" data-tags="{e(json.dumps(r.get("tags") or []))}">'
            f'{summary}<div class="body">{body}</div></details>')


def _trial_meta(r: Record) -> str:
    timings = r.get("timings") or {}
    golden = r.get("golden") or {}
    calls = r.get("tool_calls")
    if calls is not None and r.get("failed_calls"):
        calls = f"{calls} ({r['failed_calls']} failed)"
    items = [("seed", r.get("seed")), ("ended by", r.get("end_reason")),
             ("turns", _vs(r.get("turns"), golden.get("turns"))), ("tool calls", _vs(calls, golden.get("tool_calls"))),
             ("tool budget", golden.get("max_tool_calls")), ("store", r.get("store")), ("persona", r.get("persona")),
             ("orientation", r.get("orientation")),
             ("timings", ", ".join(f"{k.removesuffix('_s')} {v:.3f}s" for k, v in timings.items())),
             ("tokens", tokens_text(r.get("tokens")) or None),
             ("cost", None if r.get("cost_usd") is None else f"${r['cost_usd']:.4f}")]
    return '<p class="meta">' + " · ".join(f"{e(k)} <b>{e(v)}</b>" for k, v in items if v not in (None, "")) + "</p>"


def _vs(value: Any, golden: Any) -> Any:
    """A trial's figure next to the golden path's (``3 / golden 2``)."""
    return value if golden is None or value is None else f"{value} / golden {golden}"


def _trial_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    trace = error.get("traceback")
    return (f'<div class="error-box"><b>error ({e(error.get("source"))})</b>: {e(error.get("message"))}'
            + (f"<pre>{e(trace)}</pre>" if trace else "") + "</div>")


def _dimensions(r: Record) -> str:
    dims = r.get("dimensions") or {}
    if not dims:
        return ""
    rows = []
    for name, d in dims.items():
        verdict = {True: "pass", False: "fail"}.get(d.get("passed"), "not checked")
        problems = "".join(f"<li>{e(p)}</li>" for p in d.get("problems") or [])
        detail = d.get("detail")
        if name == "procedure" and isinstance(detail, dict):
            extra = _writes(detail.get("writes") or [])
        elif name == "outputs" and forbidden_said(r):
            extra = ('<p class="forbidden-said"><b>forbidden phrases said</b>: '
                     + ", ".join(f"<mark>{e(p)}</mark>" for p in forbidden_said(r)) + "</p>")
        elif isinstance(detail, dict) and detail.get("diff"):
            extra = _diff(detail["diff"])
        else:
            extra = f"<code>{e(json.dumps(detail, ensure_ascii=False))}</code>" if detail is not None else ""
        shown = badge(verdict) if verdict != "not checked" else '<span class="muted">not checked</span>'
        rows.append([e(name), shown,
                     (f"<ul>{problems}</ul>" if problems else "") + extra])
    return table(["dimension", "verdict", "problems"], rows, "dims-of-trial")


_CONFIRM = {"confirmed": "pass", "missing": "fail", "opted out": "skip", "not needed": "skip"}


def _writes(writes: list[dict[str, Any]]) -> str:
    """The procedure's writes: which rule each broke (informed: its values seen first; confirmed)."""
    if not writes:
        return ""
    rows = []
    for w in writes:
        unseen = ", ".join(w.get("unseen") or [])
        informed = (badge("pass") if w.get("informed")
                    else f'{badge("fail")} <span class="muted">unseen: {e(unseen)}</span>')
        confirm = w.get("confirm", "")
        rows.append([e(w.get("call")), f"<code>{e(w.get('tool'))}</code>", informed,
                     f'<span class="chip {_CONFIRM.get(confirm, "skip")}">{e(confirm)}</span>'])
    shown = table(["call", "tool", "informed", "confirmed"], rows, "stats writes")
    return f'<div class="writes"><b>writes</b>{shown}</div>'


# -- store diff -----------------------------------------------------------------------------

_DIFF_LABELS = {"values_changed": "changed", "type_changes": "changed type", "dictionary_item_added": "unexpected",
                "dictionary_item_removed": "missing", "iterable_item_added": "unexpected item",
                "iterable_item_removed": "missing item"}


def _diff(diff: dict[str, Any] | list[dict[str, Any]]) -> str:
    """The DB diff (expected → actual store): one row per difference. A list of ``{record, path,
    expected, got}`` (a side without the value has no key); reports written before it hold
    deepdiff's dict."""
    rows = []
    if isinstance(diff, list):
        for change in diff:
            if not isinstance(change, dict):
                continue
            where = "/".join(filter(None, (str(change.get("record", "")), str(change.get("path", "")))))
            if "more" in change:
                rows.append(["", f"<code>{e(where)}</code>", f"and {e(str(change['more']))} more", ""])
                continue
            kind = "missing" if "got" not in change else "unexpected" if "expected" not in change else "changed"
            rows.append([e(kind), f"<code>{e(where)}</code>", _json_cell(change.get("expected", _ABSENT)),
                         _json_cell(change.get("got", _ABSENT))])
        return f'<div class="diff"><b>store diff</b>{table(["", "record", "expected", "got"], rows, "stats diff")}</div>'
    for kind, changes in diff.items():
        entries = changes.items() if isinstance(changes, dict) else ((c, None) for c in changes)
        for path, change in entries:
            if isinstance(change, dict) and ("old_value" in change or "new_value" in change):
                expected, got = change.get("old_value", _ABSENT), change.get("new_value", _ABSENT)
            elif kind.endswith("removed"):
                expected, got = change, _ABSENT
            else:
                expected, got = _ABSENT, change
            rows.append([e(_DIFF_LABELS.get(kind, kind)), f"<code>{e(_path(path))}</code>",
                         _json_cell(expected), _json_cell(got)])
    differences = table(["", "record", "expected", "got"], rows, "stats diff")
    return f'<div class="diff"><b>store diff</b>{differences}</div>'


def _path(path: str) -> str:
    """``root['orders']['100001']['status']`` → ``orders/100001/status``."""
    return path.removeprefix("root").replace("']['", "/").replace("'][", "/").replace("][", "/").strip("[]'")


_ABSENT = object()  # no value on this side of the diff (not JSON null)


def _json_cell(value: Any) -> str:
    if value is _ABSENT:
        return '<span class="muted">—</span>'
    return f"<code>{e(json.dumps(value, ensure_ascii=False, default=str))}</code>"


# -- conversation ---------------------------------------------------------------------------


def _conversation(r: Record) -> str:
    transcript = r.get("transcript")
    if not transcript:
        note = ("not kept: the report keeps the conversations of failed and errored trials "
                "(--ecom-transcripts=all keeps every one; the --ecom-log file always does)"
                if r["outcome"] == "pass" else "empty")
        return f'<p class="muted conv-note">Conversation {note}.</p>'
    said = _phrases_pattern(forbidden_said(r))
    return '<ol class="conv">' + "".join(_message(m, said) for m in transcript) + "</ol>"


def _phrases_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """The phrases as the outputs check finds them: any case, any run of spaces between words."""
    if not phrases:
        return None
    parts = sorted((r"\s+".join(map(re.escape, p.split())) for p in phrases if p.split()), key=len, reverse=True)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _marked(text: str, said: re.Pattern[str] | None) -> str:
    """``text`` escaped, with each forbidden phrase in it marked."""
    if said is None:
        return e(text)
    out, at = [], 0
    for found in said.finditer(text):
        out += [e(text[at:found.start()]), f'<mark class="forbidden" title="forbidden phrase">{e(found.group())}</mark>']
        at = found.end()
    return "".join(out) + e(text[at:])


def _message(m: dict[str, Any], said: re.Pattern[str] | None = None) -> str:
    role = m.get("role", "?")
    when = f'<span class="t">{m["t_ms"]:.0f} ms</span>' if isinstance(m.get("t_ms"), int | float) else ""
    if role == "user" and m.get("stop"):
        said = f'<div class="text">{e(m["content"])}</div>' if m.get("content") else ""
        return (f'<li class="msg stop">{when}<span class="who">customer</span>{said}'
                f'<span class="muted">and ends the conversation</span></li>')
    if role == "tool":
        ok = m.get("ok", True)
        return (f'<li class="msg tool{"" if ok else " bad"}">{when}<span class="who">{e(speaker(m))}'
                f'{"" if ok else " (error)"}</span><pre>{e(content_text(m.get("content")))}</pre></li>')
    calls = "".join(f'<div class="call">→ <code>{e(call_text(c))}</code></div>' for c in m.get("tool_calls") or [])
    marks = said if role == "assistant" else None  # only the agent's words can say a forbidden phrase
    text = f'<div class="text">{_marked(str(m["content"]), marks)}</div>' if m.get("content") else ""
    return f'<li class="msg {e(role)}">{when}<span class="who">{e(speaker(m))}</span>{text}{calls}</li>'
