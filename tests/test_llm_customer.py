"""The LLM customer (--user-model): prompt, end signals and customer-fault detection.

Model calls go through litellm over real HTTP to the loopback stub (tests/openai_stub.py),
whose customer behaviour is chosen by a word in the model name.
"""

from __future__ import annotations

import pytest

from pytest_ecom.spec.models import Persona
from pytest_ecom.trajectory import MadeCall, Trajectory
from pytest_ecom.users.faults import CustomerFault, Referee, store_ids
from pytest_ecom.users.prompts import HUMAN_SIGNAL, language_of, render_persona, roleplay_prompt
from pytest_ecom.users import STOP_SIGNAL, CustomerTurn
from test_run import section, summary_block

FULL = Persona(id="everything", description="Bought three kettles this year.", consumer_type="value_seeking",
               emotion="angry", carefulness="high", patience="low", trust="low", rights_awareness="high",
               question_style="vague", speaking_style="wordy", pace="bursts")


# -- the prompt --------------------------------------------------------------------------


def test_every_persona_dimension_is_rendered_with_its_meaning():
    text = render_persona(FULL, language_of("en"))
    assert text.splitlines() == [
        "- consumer_type: value_seeking — price and getting a good deal matter most to you",
        "- emotion: angry — you are angry: blunt, short-tempered, you complain about the trouble",
        "- carefulness: high — you check every detail the assistant gives and ask about anything unclear",
        "- patience: low — you want it solved right now and push back when the assistant is slow or asks too much",
        "- trust: low — you doubt the assistant's claims and ask for proof or the exact rule",
        "- rights_awareness: high — you know your consumer rights and cite the shop's rules",
        "- question_style: vague — you describe things loosely (\"my order\", \"the thing I bought\") "
        "and give details only when asked",
        "- speaking_style: wordy — your messages are long, with background and feelings",
        "- pace: bursts — you pack several quick points or follow-ups into one message, like a burst of chat lines",
        "Bought three kettles this year.",
    ]


def test_the_chinese_prompt_is_used_for_chinese_tasks():
    zh = language_of("zh-CN")
    prompt = roleplay_prompt("取消订单 313271663680。", FULL, zh)
    assert "你在扮演一家网店的顾客" in prompt and "取消订单 313271663680。" in prompt
    assert "- 情绪: angry——愤怒，说话直接" in prompt
    assert STOP_SIGNAL in prompt and HUMAN_SIGNAL in prompt
    assert language_of("fr") is language_of("en")  # other languages: the English prompt


def test_the_english_prompt_holds_goal_persona_and_both_signals():
    prompt = roleplay_prompt("Cancel order 100001.", FULL, language_of("en"))
    assert "# Your goal\nCancel order 100001.\n" in prompt
    assert "- patience: low —" in prompt
    assert f"ends with {STOP_SIGNAL}" in prompt and f"write {HUMAN_SIGNAL}" in prompt
    assert "Never make up an order number" in prompt


# -- the referee -------------------------------------------------------------------------


def _referee(needs_calls: bool = True) -> Referee:
    base = {"users": {"u1": {}}, "orders": {"100001": {}, "100002": {}}, "services": {"washer": {}},
            "nested": {"jd": {"shop_7": {"u_1003": {}}}}}
    return Referee("Cancel order 100001 for 9 Elm Road. Phone: 138-0013-8000.", store_ids(base), needs_calls)


def _fault(referee: Referee, text: str, *, stop: bool = False, replies: tuple[str, ...] = (),
           calls: int = 0) -> CustomerFault | None:
    traj = Trajectory(replies=list(replies), calls=[MadeCall("get_order", {}, True)] * calls)
    try:
        referee(CustomerTurn(text, stop=stop), traj)
    except CustomerFault as fault:
        return fault
    return None


def test_ids_from_the_goal_or_from_the_agent_are_fine():
    referee = _referee()
    assert _fault(referee, "Please cancel 100001.") is None
    assert _fault(referee, "Call me on 13800138000") is None  # the goal writes it with dashes
    assert _fault(referee, "Then the other one, 100002.", replies=("You also have order 100002.",)) is None
    assert _fault(referee, "I need the washer fixed") is None  # a store key without a digit is a word


@pytest.mark.parametrize("text, invented", [
    ("Cancel order 100002 too.", "'100002'"),  # a digit run not given
    ("My phone is 13912345678", "'13912345678'"),
    ("I'm user u1.", "'u1'"),  # a store key with a digit
    ("账号是u_1003，谢谢", "'u_1003'"),  # found between Chinese characters
])
def test_an_id_the_customer_could_not_know_is_its_fault(text, invented):
    fault = _fault(_referee(), text)
    assert fault is not None and fault.kind == "invented id" and invented in str(fault)


def test_a_stop_before_the_agent_did_anything_is_a_fault_only_when_the_task_needs_calls():
    assert _fault(_referee(), f"bye {STOP_SIGNAL}", stop=True).kind == "premature stop"
    assert _fault(_referee(), f"thanks {STOP_SIGNAL}", stop=True, calls=1) is None
    assert _fault(_referee(needs_calls=False), f"bye {STOP_SIGNAL}", stop=True) is None


def test_giving_up_on_an_agent_that_talks_but_never_acts_is_the_agents_failure():
    """Counting it as the customer's error would leave the agent's worst trials out of pass^k."""
    stalling = ("Sorry, I cannot help with orders.", "Sorry, I cannot help with orders.")
    assert _fault(_referee(), f"forget it {STOP_SIGNAL}", stop=True, replies=stalling) is None


@pytest.mark.parametrize("text", ["Hello! How can I help you today?", "As an AI, I cannot shop.", "您好，有什么可以帮您？"])
def test_talking_like_the_assistant_breaks_the_role(text):
    fault = _fault(_referee(), text)
    assert fault is not None and fault.kind == "broken role"


def test_an_empty_message_is_a_fault():
    assert _fault(_referee(), "  ").kind == "empty message"


# -- through pytest, litellm and HTTP --------------------------------------------------


def _run(mini_project, stub, customer: str, *args: str, agent: str = "oracle"):
    stub.requests.clear()
    return mini_project.run(f"--agent={agent}", f"--user-model=openai/{customer}", f"--user-base-url={stub.base_url}",
                            "-k", "order_status", "--ecom-report=report.json", *args)


def test_the_customer_plays_its_goal_and_persona_through_the_model(mini_project, stub):
    result = _run(mini_project, stub, "stub-customer", "--agent-model=openai/stub-agent",
                  f"--agent-base-url={stub.base_url}", agent="litellm")
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert trial["end_reason"] == "customer_stop" and trial["tool_calls"] == 1
    asked = stub.chat_requests("stub-customer")
    assert len(asked) == 3  # opener, the order number, the stop signal
    assert trial["tokens"]["customer"]["calls"] == 3  # counted apart from the agent's
    system = asked[0]["messages"][0]["content"]
    assert "Ask where order 100003 is and get its tracking number." in system  # the task's goal
    assert "- emotion: calm — you stay calm and polite" in system  # tests/mini/personas/calm_clear.yaml
    assert "- patience: high — " in system and "- question_style: clear — " in system
    # the customer sees the agent's replies as the other party, its own messages as its own
    assert [m["role"] for m in asked[-1]["messages"][1:]] == ["user", "assistant", "user", "assistant", "user"]
    agent_saw = [b for p, b in stub.requests if b.get("tools")][0]["messages"]
    assert agent_saw[-1] == {"role": "user", "content": "Hi, I need help with my order."}


def test_the_persona_changes_what_the_customer_says(mini_project, stub):
    result = _run(mini_project, stub, "stub-customer", "--ecom-persona-grid=emotion=angry")
    result.assert_outcomes(passed=1)
    [first, *_, last] = stub.chat_requests("stub-customer")
    assert "- emotion: angry — you are angry" in first["messages"][0]["content"]
    assert last["messages"][2] == {"role": "assistant", "content": "This is ridiculous, I need help with my order!"}
    assert "- patience: high — " in first["messages"][0]["content"]  # the rest of the task's persona stays
    [trial] = mini_project.report()["trials"]
    assert trial["persona_variant"] == {"emotion": "angry"}


def test_a_repeated_message_ends_the_conversation(mini_project, stub):
    result = _run(mini_project, stub, "customer-repeat", "--agent-model=openai/stub-agent",
                  f"--agent-base-url={stub.base_url}", agent="litellm")
    result.assert_outcomes(failed=1)  # the agent never got an order number: scored, and it failed
    [trial] = mini_project.report()["trials"]
    assert trial["end_reason"] == "customer_repeat" and trial["turns"] == 1
    assert trial["transcript"][-1] == {"role": "user", "content": "Hello? Is anyone there?", "stop": True,
                                       "t_ms": trial["transcript"][-1]["t_ms"]}
    assert len(stub.chat_requests("customer-repeat")) == 2


def test_a_request_for_a_human_ends_the_conversation(mini_project, stub):
    """After the agent answered (asking for an order number the customer never gives): scored, the agent's failure."""
    result = _run(mini_project, stub, "customer-giveup", "--agent-model=openai/stub-agent",
                  f"--agent-base-url={stub.base_url}", agent="litellm")
    result.assert_outcomes(failed=1)
    [trial] = mini_project.report()["trials"]
    assert trial["end_reason"] == "customer_human" and trial["turns"] == 1 and trial["tool_calls"] == 0
    assert trial["transcript"][-1]["content"] == "Forget it, get me a real person. ###HUMAN###"
    assert trial["customer"]["fault"] is None and "customer_attempts" not in trial


def test_a_request_for_a_human_before_the_agent_spoke_is_the_customers_fault(mini_project, stub):
    """Seen on ECom-Bench: "ended by customer_human, 0 customer turns, 0 tool calls" was scored as the agent's."""
    result = _run(mini_project, stub, "customer-human")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["error"]["source"] == "customer"
    assert trial["error"]["message"].startswith("customer fault (premature human): the customer asked for a human "
                                                "before the agent answered at all")
    assert trial["transcript"][-1]["fault"] == "premature human"


@pytest.mark.parametrize("customer, kind, evidence", [
    ("customer-invent", "invented id", "the customer stated '999999', found neither in its goal"),
    ("customer-breaks-role", "broken role", "the customer spoke like the assistant ('how can i help you')"),
    ("customer-quitter", "premature stop", "the customer sent the stop signal before the agent answered at all"),
    ("customer-cue", "harness text", "the customer repeated the harness's own cue or instructions"),
    ("customer-zhassist", "broken role", "the customer spoke like the assistant ('请问你想要什么')"),
])
def test_a_customer_at_fault_makes_the_trial_a_customer_error(mini_project, stub, customer, kind, evidence):
    result = _run(mini_project, stub, customer)
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["outcome"] == "error" and trial["error"]["source"] == "customer"
    assert trial["error"]["message"].startswith(f"customer fault ({kind}): {evidence}")
    assert trial["transcript"][-1]["fault"] == kind  # the offending message is kept as evidence
    story = section(result, "ERROR at setup of trial order_status[1-1]")
    assert f"trial error (customer): customer fault ({kind}): {evidence}" in story
    assert f"  customer ({kind}): " in story  # the offending message, marked
    assert f"--user-model=openai/{customer} --user-base-url={stub.base_url}" in story  # the rerun command
    assert summary_block(result)[0].endswith("0 passed, 0 failed, 1 errors")


def test_a_failing_customer_model_makes_the_trial_an_error(mini_project, stub):
    result = _run(mini_project, stub, "broken-customer")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["error"]["source"] == "provider"
    assert trial["error"]["message"].startswith("the customer's model failed: ModelCallError: model openai/broken-customer:")


def test_the_customer_model_is_part_of_the_fingerprint(mini_project, stub):
    _run(mini_project, stub, "stub-customer").assert_outcomes(passed=1)
    assert mini_project.report()["fingerprint"]["options"]["user_model"] == "openai/stub-customer"


def test_a_customer_base_url_needs_a_customer_model(mini_project):
    result = mini_project.run("--agent=oracle", "--user-base-url=http://127.0.0.1:9/v1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--user-base-url needs --user-model" in result.stderr.str()
