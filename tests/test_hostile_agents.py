"""Nothing kills a run and nothing vanishes: hostile text, misbehaving agents, secrets in errors.

Each agent here is written only against the agent contract, as a hostile user would write it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_run import summary_block

CANCEL_ONLY = ("-k", "cancel_kettle")
SURROGATE = "\ud83d"

HOSTILE_AGENTS = '''
import asyncio, json, time
from pytest_ecom import register_agent

def _call(name, arguments):
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}]}

def _first_step(messages):
    return not any(m["role"] == "assistant" for m in messages)

@register_agent("surrogates")
def surrogates(messages, tools, context):
    if _first_step(messages):
        return _call("get_order\\ud83d", json.dumps({"order_id": "1\\ud83d"}, ensure_ascii=False))
    return "Sorry \\ud83d\\x00\\x1b[31m " + "x" * 2_000_000

@register_agent("deep_arguments")
def deep_arguments(messages, tools, context):
    if _first_step(messages):
        return _call("get_order", "[" * 100_000 + "]" * 100_000)
    return "done"

@register_agent("cancels_itself")
async def cancels_itself(messages, tools, context):
    raise asyncio.CancelledError()

class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")

@register_agent("unprintable")
def unprintable(messages, tools, context):
    raise Unprintable()

@register_agent("exits")
def exits(messages, tools, context):
    raise SystemExit(3)

@register_agent("sleeper")
def sleeper(messages, tools, context):
    if context.trial == 1:
        time.sleep(3)  # far past --ecom-timeout: its thread outlives the trial
    return "Your order 100001 is cancelled."
'''


@pytest.fixture
def hostile(mini_project):
    mini_project.add_conftest(HOSTILE_AGENTS)
    return mini_project


def _trials(project, name="r.json"):
    return project.report(name)["trials"]


def test_hostile_text_is_recorded_and_reported_and_the_agent_is_scored(hostile):
    result = hostile.run("--agent=surrogates", "--repeat=2", "--ecom-report=r.json", "--ecom-log=r.jsonl",
                         "--ecom-html=r.html", "--junitxml=r.xml")
    assert "INTERNALERROR" not in hostile.output(result)
    result.assert_outcomes(failed=6)  # every trial scored, as the agent's doing
    trials = _trials(hostile)
    assert len(trials) == 6 and {t["outcome"] for t in trials} == {"fail"}
    text = json.dumps(trials, ensure_ascii=False)
    assert "\\ud83d" in text and SURROGATE not in text  # escaped, not lost
    reply = next(e["content"] for e in trials[0]["transcript"] if e["role"] == "assistant" and e.get("content"))
    assert "\\x00" in reply and "\\x1b" in reply and "more characters cut" in reply
    assert len(reply) < 200_000
    log = (hostile.path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(log) == 1 + 6
    page = (hostile.path / "r.html").read_text(encoding="utf-8")
    assert "\\ud83d" in page and SURROGATE not in page


def test_arguments_nested_deeply_are_the_agents_failure_not_the_harness(hostile):
    result = hostile.run("--agent=deep_arguments", *CANCEL_ONLY, "--ecom-report=r.json", "--ecom-html=r.html")
    result.assert_outcomes(failed=1, deselected=2)
    [trial] = _trials(hostile)
    assert trial["outcome"] == "fail" and trial["error"] is None
    tool = next(e for e in trial["transcript"] if e["role"] == "tool")
    assert "nested too deeply" in tool["content"]
    assert (hostile.path / "r.html").exists()
    assert any(line.startswith("agent deep_arguments:") for line in summary_block(result))


@pytest.mark.parametrize("agent, said", [
    ("cancels_itself", "the agent raised CancelledError"),
    ("unprintable", "the agent raised Unprintable: <Unprintable whose str() failed>"),
    ("exits", "the agent raised SystemExit: 3"),
])
def test_any_exception_out_of_agent_code_is_a_recorded_failure(hostile, agent, said):
    result = hostile.run(f"--agent={agent}", "--repeat=2", "--ecom-report=r.json", "--ecom-log=r.jsonl")
    result.assert_outcomes(failed=6)
    trials = _trials(hostile)
    assert len(trials) == 6, "no trial may vanish"
    assert all(said in t["dimensions"]["agent"]["problems"][0] for t in trials)
    assert len((hostile.path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 1 + 6
    assert not any("left no record" in line for line in result.stdout.lines)


def test_a_trial_without_its_record_is_reported_loudly(hostile):
    hostile.add_conftest(
        "import pytest\n"
        "@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after pytest-ecom attached the record\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    report = yield\n"
        "    if item.name.endswith('[1-2]') and hasattr(report, 'ecom_record'):\n"
        "        del report.ecom_record  # a record lost on its way to the controller\n"
        "    return report\n")
    result = hostile.run("--agent=oracle", "--repeat=2", *CANCEL_ONLY)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert any("1 trial(s) ran but left no record: tasks/cancel.task.yaml::cancel_kettle[1-2]" in line
               for line in result.stdout.lines), result.stdout.str()


def test_a_timed_out_sync_agent_holds_no_slot_and_the_session_does_not_wait(hostile):
    """Trial 1 sleeps past the timeout; the other trials, run one at a time, still get their turn."""
    result = hostile.run("--agent=sleeper", "--repeat=6", *CANCEL_ONLY, "--ecom-timeout=0.5",
                         "--ecom-concurrency=1", "--ecom-report=r.json")
    ends = [t["end_reason"] for t in _trials(hostile)]
    assert ends[0] == "timeout" and all(e != "timeout" for e in ends[1:]), ends
    assert any("1 sync agent call(s) still running after their trial timed out" in line
               for line in result.stdout.lines), result.stdout.str()


class _EchoesTheKey(BaseHTTPRequestHandler):
    """A provider that answers 401 and echoes the Authorization header back, as some do."""

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"error": {"message": f"invalid key: {self.headers.get('Authorization')}",
                                     "type": "invalid_request_error"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def litellm_imported() -> None:
    """litellm imported before pytester snapshots sys.modules (see ``model_server`` in conftest.py):
    imported inside an in-process run, it is dropped afterwards and the next in-process run in this
    worker cannot load the plugin ("unrecognized arguments: --agent")."""
    from pytest_ecom.models.llm import _litellm

    _litellm()


def test_a_provider_that_echoes_the_key_leaks_it_into_no_artifact(litellm_imported, mini_project, monkeypatch):
    key = "sk-this-key-must-never-be-written-1234"
    monkeypatch.setenv("PYTEST_ECOM_API_KEY", key)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoesTheKey)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        result = mini_project.run("--agent=litellm", "--agent-model=openai/stub", f"--agent-base-url={url}",
                                  "--ecom-retries=0", *CANCEL_ONLY, "--ecom-report=r.json", "--ecom-log=r.jsonl",
                                  "--ecom-html=r.html", "--junitxml=r.xml")
    finally:
        server.shutdown()
    result.assert_outcomes(errors=1, deselected=2)
    [trial] = _trials(mini_project)
    assert trial["error"]["source"] == "provider" and "[redacted]" in trial["error"]["message"]
    for artifact in ("r.json", "r.jsonl", "r.html", "r.xml"):
        assert key not in (mini_project.path / artifact).read_text(encoding="utf-8"), artifact
    assert key not in mini_project.output(result)


def test_a_lone_surrogate_is_recorded_in_a_cassette_and_replayed_as_it_was(tmp_path):
    """Text a cassette could not hold used to fail the model call: 'the agent raised UnicodeEncodeError'."""
    from pytest_ecom.models.cassettes import Player, Recorder, request_hash

    request = {"messages": [{"role": "user", "content": f"hi {SURROGATE}"}]}
    digest = request_hash(request)
    assert digest != request_hash({"messages": [{"role": "user", "content": "hi "}]})
    Recorder(tmp_path).write("t", 1, 1, {"request_hash": digest, "value": {"content": f"ok {SURROGATE}"},
                                         "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": None})
    (cassette,) = tmp_path.rglob("*.jsonl")
    cassette.read_text(encoding="utf-8")  # valid UTF-8 on disk
    assert Player(tmp_path).answer("t", 1, 1, digest)["value"]["content"] == f"ok {SURROGATE}"


def test_secrets_are_read_afresh_once_forgotten(monkeypatch):
    from pytest_ecom.results.clean import clean_text, forget_secrets

    monkeypatch.setenv("SHOP_API_TOKEN", "tok-value-that-is-secret")
    forget_secrets()
    assert clean_text("echo: tok-value-that-is-secret") == "echo: [redacted]"
    monkeypatch.delenv("SHOP_API_TOKEN")
    forget_secrets()
    assert clean_text("echo: tok-value-that-is-secret") == "echo: tok-value-that-is-secret"
