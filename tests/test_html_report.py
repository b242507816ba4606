"""The self-contained HTML report (``--ecom-html``, ``pytest-ecom merge --html``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.cli import main
from pytest_ecom.reporting.html import pass_curve_svg, render_html, trial_anchor
from pytest_ecom.results.report import build_report

CHROMIUM = os.environ.get("PYTEST_ECOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SNEAKY_REPLY = '<script>alert("x")</script> 订单已取消 & done'

# Trial 1 solves its task, trial 2 cancels the wrong order and says something HTML-looking in
# Chinese, trial 3 of order_status meets a provider outage: every outcome, tool calls and a DB diff.
MIXED_AGENT = f'''
from mini_agents import Scripted, provider_down
from pytest_ecom.agents import AgentSpec
from pytest_ecom.agents.oracle import ORACLE

sneaky = Scripted([("get_order", {{"order_id": "100002"}}), ("cancel_order", {{"order_id": "100002"}})],
                  {SNEAKY_REPLY!r})


def _mixed(context, task):
    if context.trial == 2:
        return sneaky
    if context.trial == 3 and task.id == "order_status":
        return provider_down
    return ORACLE.target(context, task)


def pytest_ecom_agents():
    return {{"mixed": AgentSpec("mixed", _mixed, factory=True, needs_task=True)}}
'''
TASKS = ("cancel_kettle", "change_address", "order_status")


@pytest.fixture
def mixed_run(mini_project) -> Any:
    """The mini project run by the mixed agent: 5 passed, 3 failed, 1 error."""
    mini_project.add_conftest(MIXED_AGENT)
    result = mini_project.run("--agent=mixed", "--repeat=3", "--ecom-report=out/report.json",
                              "--ecom-html=out/report.html")
    result.assert_outcomes(passed=5, failed=3, errors=1)
    result.stdout.fnmatch_lines(["HTML report: out/report.html"])
    return mini_project


def _cards(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([^"]+)"><span class="v">([^<]*)</span>', page))


def test_the_page_shows_the_runs_totals_and_pass_hat_k(mixed_run):
    page = (mixed_run.path / "out/report.html").read_text(encoding="utf-8")
    report = mixed_run.report("out/report.json")
    assert page == render_html(report)  # the controller renders the report it wrote
    assert page.startswith("<!doctype html>")
    cards = _cards(page)
    assert {k: cards[k] for k in ("tasks", "trials", "passed", "failed", "errors")} == {
        "tasks": "3", "trials": "9", "passed": "5", "failed": "3", "errors": "1"}
    # order_status has 2 scored trials (1 pass): counted up to pass^2, left out of pass^3
    assert (cards["pass^1"], cards["pass^2"], cards["pass^3"]) == ("0.611", "0.222", "0.000")
    assert "Incomplete (fewer than 3 scored trials, left out of pass^3): order_status." in page
    for dimension in ("state", "searches", "outputs"):
        assert f"<td>{dimension}</td>" in page  # per-dimension failure rates
    assert "<figcaption>by tag</figcaption>" in page and "<figcaption>by persona</figcaption>" in page
    assert "No cost recorded" in page


def test_every_trial_has_an_anchor_and_failures_show_their_story(mixed_run):
    page = (mixed_run.path / "out/report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<details class="trial" id="([^"]+)" data-outcome="(\w+)"', page)
    assert ids == [(trial_anchor(t, i), "error" if (t, i) == ("order_status", 3) else ("fail" if i == 2 else "pass"))
                   for t in TASKS for i in (1, 2, 3)]
    failed = page[page.index('id="trial-cancel_kettle-2"'):page.index('id="trial-cancel_kettle-3"')]
    assert "get_order(order_id=&quot;100002&quot;)" in failed  # the agent's tool calls ...
    assert '<span class="who">tool get_order</span>' in failed  # ... and their results
    assert "<b>store diff</b>" in failed and "<code>orders/100001/status</code>" in failed
    assert "missing call: get_order(order_id=&quot;100001&quot;)" in failed
    errored = page[page.index('id="trial-order_status-3"'):]
    assert "error (provider)" in errored and "ProviderError: model endpoint returned 503" in errored


def test_text_is_escaped_and_the_page_needs_no_network(mixed_run):
    page = (mixed_run.path / "out/report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 订单已取消 &amp; done" in page
    assert 'alert("x")' not in page
    assert page.count("<script>") == 1  # ours, inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_merge_writes_the_html_of_the_merged_run(mixed_run, capsys):
    out, html = mixed_run.path / "all.json", mixed_run.path / "all.html"
    assert main(["merge", str(mixed_run.path / "out/report.json"), "--out", str(out), "--html", str(html)]) == 0
    assert f"and {html}" in capsys.readouterr().out
    assert _cards(html.read_text(encoding="utf-8"))["trials"] == "9"


def test_under_xdist_the_controller_writes_the_page_with_every_trial(mini_project):
    result = mini_project.run_subprocess("-n", "2", "--agent=mini_agents:half_oracle", "--repeat=2",
                                         "--ecom-html=report.html")
    result.assert_outcomes(passed=3, failed=3)
    page = (mini_project.path / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<details class="trial"', page)) == 6
    assert _cards(page)["passed"] == "3"


def _record(task: str, trial: int, outcome: str, cost: float | None, **extra: Any) -> dict[str, Any]:
    return {"task": task, "trial": trial, "repeat": 2, "outcome": outcome, "task_digest": "d", "tags": ["t<1>"],
            "scenario": None, "kind": "task", "stage": "end_to_end", "orientation": "customer",
            "task_type": "conversation", "dimensions": {"state": {"passed": outcome == "pass"}},
            "timings": {"episode_s": trial / 10}, "cost_usd": cost, "tokens": None, "transcript": None,
            "error": None, **extra}


def test_costs_gates_and_the_curve_from_a_handmade_report():
    from pytest_ecom.results.gates import Verdict

    usage = {"agent": {"calls": 3, "attempts": 3, "prompt_tokens": 900, "completion_tokens": 80, "cost_usd": 0.3}}
    records = [_record("a", 1, "pass", 0.01), _record("a", 2, "fail", 0.30, tokens=usage),
               _record("b", 1, "pass", 0.02),
               _record("b", 2, "pass", None, persona="grumpy")]
    report = build_report(records, "bot", 2, {"repeat": 2}, verdicts=[Verdict("pass^2>=0.9", False, 0.5, "0.5 < 0.9")])
    page = render_html(report)
    costly = page[page.index("most expensive trials"):]
    assert "total $0.3300 over 3 trials" in costly
    assert costly.index("$0.3000") < costly.index("$0.0200") < costly.index("$0.0100")
    assert "agent 900+80 tokens in 3 calls" in costly
    assert "<code>pass^2&gt;=0.9</code>" in page and ">FAIL<" in page
    assert "t&lt;1&gt;" in page and "<td>grumpy</td>" in page
    report["summary"]["ablation"] = [{"dimension": "emotion", "value": "angry", "variants": 2, "trials": 4,
                                      "errors": 0, "pass_hat_1": 0.5, "pass_hat_2": 0.25}]
    report["summary"]["pass_hat_k_ci"] = {"1": {"low": 0.5, "high": 1.0}}
    page = render_html(report)
    assert "persona ablation" in page and "<td>angry</td>" in page
    assert "pass^1 [0.50, 1.00]" in page
    svg = pass_curve_svg({"1": 0.75, "2": 0.5})
    assert svg.count("<circle") == 2 and "<polyline" in svg and "pass^2 = 0.500" in svg
    assert pass_curve_svg({"1": None}).count("<circle") == 0  # no estimate, no point


# -- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium. Request it after any in-process pytest run: playwright's sync API keeps
    an event loop running in this thread until it stops, and the plugin's runner needs its own."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed (pip install -e '.[browser]')")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package or set PYTEST_ECOM_CHROMIUM")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """A page that remembers console errors, uncaught exceptions and every URL it requested."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        self.page.on("request", lambda r: self.requests.append(r.url))


def test_in_chromium_the_page_shows_totals_expands_a_linked_trial_and_filters(mixed_run, browser):
    url = (mixed_run.path / "out/report.html").as_uri()
    tab = Tab(browser)
    page = tab.page
    page.goto(url + "#trial-cancel_kettle-2")
    assert page.inner_text('[data-metric="passed"] .v') == "5"
    assert page.inner_text('[data-metric="errors"] .v') == "1"
    linked = page.locator("#trial-cancel_kettle-2")
    assert linked.evaluate("el => el.open") is True
    assert linked.locator("ol.conv").is_visible()
    assert "订单已取消" in linked.locator("ol.conv").inner_text()
    assert not page.locator("#trial-cancel_kettle-1 .body").is_visible()  # the others stay closed
    assert page.inner_text("#shown") == "9 of 9 trials shown"

    page.uncheck('input.f-outcome[value="fail"]')
    assert page.inner_text("#shown") == "6 of 9 trials shown"
    assert not linked.is_visible()
    assert page.locator("#trial-cancel_kettle-1").is_visible()

    page.select_option("#f-tag", "status")
    assert page.inner_text("#shown") == "2 of 9 trials shown"  # order_status's pass and error
    assert page.locator('details.trial:visible').evaluate_all("els => els.map(e => e.id)") == [
        "trial-order_status-1", "trial-order_status-3"]

    page.evaluate("location.hash = 'trial-change_address-2'")  # a link to a trial the filters hide
    page.wait_for_function("document.getElementById('trial-change_address-2').open")
    assert page.locator("#trial-change_address-2 ol.conv").is_visible()
    assert page.inner_text("#shown") == "9 of 9 trials shown"
    page.fill("#f-text", "Address")
    assert page.inner_text("#shown") == "3 of 9 trials shown"

    assert tab.problems == []
    assert {u.split("#")[0] for u in tab.requests} == {url}  # nothing but the file itself
    page.close()
