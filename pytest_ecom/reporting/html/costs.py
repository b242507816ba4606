"""The "Slowest and most expensive" section: the longest trials with their agent and tool time,
and the trials that cost most with their token counts."""

from __future__ import annotations

from pytest_ecom.reporting.html.format import (TOP_SHOWN, Record, badge, duration, e, section, secs, table,
                                               tokens_text, trial_link)


def cost_section(trials: list[Record]) -> str:
    if not trials:
        return ""
    slow = sorted(trials, key=lambda r: (-duration(r), r["task"], r["trial"]))[:TOP_SHOWN]
    cells = [[trial_link(r), badge(r["outcome"]), secs(duration(r)),
              secs((r.get("timings") or {}).get("agent_s")), secs((r.get("timings") or {}).get("tools_s"))]
             for r in slow]
    parts = [f"<figure><figcaption>slowest trials</figcaption>"
             f"{table(['trial', 'outcome', 'duration', 'agent', 'tools'], cells)}</figure>"]
    parts.append(_costliest(trials))
    return section("Slowest and most expensive", f'<div class="row">{"".join(parts)}</div>', "cost")


def _costliest(trials: list[Record]) -> str:
    costed = [r for r in trials if isinstance(r.get("cost_usd"), int | float)]
    if not costed:
        metered = sum(bool(r.get("tokens")) for r in trials)
        if metered:  # tokens were counted; only the price was not known
            return (f'<p class="muted">Cost unknown: {metered} trial(s) recorded their tokens, but their models have '
                    'no known price (give one with --ecom-price MODEL=IN,OUT).</p>')
        return '<p class="muted">No cost recorded: no model was called (no tokens).</p>'
    total = sum(r["cost_usd"] for r in costed)
    top = sorted(costed, key=lambda r: (-r["cost_usd"], r["task"], r["trial"]))[:TOP_SHOWN]
    cells = [[trial_link(r), badge(r["outcome"]), f"${r['cost_usd']:.4f}", e(tokens_text(r.get("tokens")))]
             for r in top]
    return (f"<figure><figcaption>most expensive trials (total ${total:.4f} over {len(costed)} trials)"
            f"</figcaption>{table(['trial', 'outcome', 'cost', 'tokens'], cells)}</figure>")
