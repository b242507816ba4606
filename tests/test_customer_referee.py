"""The referee on what real small models did when they played the customer, replayed directly
(no model): each case a customer message, what the agent had said and done before it, and the
fault it must be (or None: a near miss a real customer could write, which must not be flagged).
Also the rule behind the report's "unoffered confirmations" (users/quality.py).
"""

from __future__ import annotations

import pytest

from pytest_ecom.trajectory import MadeCall, Trajectory
from pytest_ecom.users import STOP_SIGNAL, CustomerTurn
from pytest_ecom.users.faults import ECHO_MIN_WIDTH, CustomerFault, Referee, echoes, harness_share, store_ids
from pytest_ecom.users.prompts import HARNESS_TEXTS, HUMAN_SIGNAL, LANGUAGES, harness_texts
from pytest_ecom.users.quality import confirms, offers, unoffered_confirmations

CUE = LANGUAGES["en"].opening
ZH_CUE = LANGUAGES["zh"].opening
GOAL = "Cancel order 100001 for 9 Elm Road."
REFEREE = Referee(GOAL, store_ids({"orders": {"100001": {}}, "users": {"u1": {}}}), needs_calls=True)


def review(text: str, *, replies: tuple[str, ...] = (), calls: int = 0, stop: bool = False,
           end_reason: str = "customer_stop", referee: Referee = REFEREE) -> CustomerFault | None:
    traj = Trajectory(replies=list(replies), calls=[MadeCall("get_order", {}, True)] * calls)
    try:
        referee(CustomerTurn(text, stop=stop, end_reason=end_reason), traj)
    except CustomerFault as fault:
        return fault
    return None


AFTER = {"replies": ("Done. cancelled",), "calls": 2}  # the agent acted and answered

CASES = [
    # -- the harness's own cue and instructions ------------------------------------------------
    ("the cue, verbatim (seen: every home_appliances trial)", CUE, {}, "harness text"),
    ("the cue, other case and whitespace", " the CHAT window with the shop's customer service  has opened.\n"
                                           "Write your first message.", {}, "harness text"),
    ("the cue, later in the chat", CUE, AFTER, "harness text"),
    ("the cue as the bulk of the message", f"{CUE} Hi there", {}, "harness text"),
    ("the Chinese cue", ZH_CUE, {}, "harness text"),
    ("the English cue in a Chinese chat", CUE.strip("[]"), {}, "harness text"),
    ("an instruction", "Never send the same message twice.", AFTER, "harness text"),
    ("a piece of an instruction", "write your first message", {}, "harness text"),
    ("a Chinese instruction", "不要重复发送同一条消息。", AFTER, "harness text"),
    ("a whole instruction line with its signal", f"send a short closing message that ends with {STOP_SIGNAL}",
     AFTER, "harness text"),
    ("near miss: its goal, said as its need (the task's words, not the harness's)", GOAL, {}, None),
    ("near miss: a real first message", "Hi, I need help with my order 100001.", {}, None),
    ("near miss: words of the cue in a real message",
     "I can't find the chat window for returns. Can you cancel my order 100001?", {}, None),
    ("near miss: an instruction quoted in a longer real message",
     "Never send the same message twice. I've been waiting three days for an answer about order 100001 "
     "and nobody has replied to me at all.", AFTER, None),
    ("near miss: a heading's words", "Your goal?", AFTER, None),
    # -- a human, or the stop signal, before the agent answered at all -------------------------
    ("a human before the agent spoke (seen on ECom-Bench)", f"I want a person {HUMAN_SIGNAL}",
     {"stop": True, "end_reason": "customer_human"}, "premature human"),
    ("the stop signal before the agent spoke", f"Never mind {STOP_SIGNAL}", {"stop": True}, "premature stop"),
    ("near miss: a human after the agent talked but never acted (the agent's failure)",
     f"Forget it, a person please {HUMAN_SIGNAL}",
     {"stop": True, "end_reason": "customer_human", "replies": ("Sorry, I can't do that.",)}, None),
    ("near miss: a human after the agent acted", f"Get me a manager {HUMAN_SIGNAL}",
     {"stop": True, "end_reason": "customer_human", "calls": 1}, None),
    ("near miss: giving up on a talking agent", f"forget it {STOP_SIGNAL}",
     {"stop": True, "replies": ("Sorry, I cannot help with orders.",)}, None),
    # -- echoing the agent ----------------------------------------------------------------------
    ("echo of the agent's reply (seen)", "Done. cancelled", AFTER, "echoed reply"),
    ("echo, other case, spaces and punctuation", "done,   CANCELLED!", AFTER, "echoed reply"),
    ("echo with the stop signal", f"Done. cancelled {STOP_SIGNAL}", {**AFTER, "stop": True}, "echoed reply"),
    ("a Chinese echo", "您的订单已经取消成功了。", {"replies": ("您的订单已经取消成功了。",), "calls": 1}, "echoed reply"),
    ("near miss: 'ok' after 'ok'", "ok", {"replies": ("OK",), "calls": 1}, None),
    ("near miss: 'thanks' after 'Thanks!'", "thanks", {"replies": ("Thanks!",), "calls": 1}, None),
    ("near miss: 'yes' after 'Yes.'", "Yes", {"replies": ("Yes.",), "calls": 1}, None),
    ("near miss: a short Chinese reply said back", "好的，谢谢", {"replies": ("好的，谢谢。",), "calls": 1}, None),
    ("near miss: the agent's words inside a real answer", "Done? It still says not cancelled in my app.",
     AFTER, None),
    # -- talking like the assistant, in both languages ------------------------------------------
    ("a Chinese assistant's message (seen)", "好的，我明白了。请问你想要什么？", AFTER, "broken role"),
    ("请问您需要什么帮助", "您好！请问您需要什么帮助？", {}, "broken role"),
    ("请问您想要什么, full-width and half-width punctuation", "请问您想要什么?", AFTER, "broken role"),
    ("很高兴为你服务", "你好，很高兴为你服务。", {}, "broken role"),
    ("作为一个语言模型", "作为一个语言模型，我无法下单。", {}, "broken role"),
    ("what can I do for you", "Hello! What can I do for you today?", {}, "broken role"),
    ("as an AI, with a curly apostrophe", "I\u2019m an AI and cannot shop.", {}, "broken role"),
    ("near miss: 我明白了，请问 … (a customer's question)", "我明白了，请问退款什么时候到账？", AFTER, None),
    ("near miss: 请问你想要什么信息 (answering the agent)", "请问你想要什么信息？我有订单号 100001。",
     {"replies": ("请提供一下信息。",)}, None),
    ("near miss: asking the shop for help", "你们有什么可以帮我的吗？我的订单 100001 还没发货。", {}, None),
    ("near miss: an English customer asking", "How do I get help with my order 100001?", {}, None),
]


@pytest.mark.parametrize("text, before, kind", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_referee_catches_what_real_models_do_and_nothing_a_customer_says(text, before, kind):
    fault = review(text, **before)
    assert (fault and fault.kind) == kind, fault
    if fault is not None:
        assert fault.text == text  # the offending message, kept as evidence


def test_the_stop_or_human_rule_needs_a_task_with_tool_calls():
    relaxed = Referee(GOAL, frozenset(), needs_calls=False)
    assert review(f"a person {HUMAN_SIGNAL}", stop=True, end_reason="customer_human", referee=relaxed) is None
    assert review(f"bye {STOP_SIGNAL}", stop=True, referee=relaxed) is None


def test_harness_texts_are_the_prompts_instructions_not_the_tasks_words():
    en = harness_texts(LANGUAGES["en"])
    assert en[0] == CUE
    assert "Never send the same message twice." in en
    assert any("insist on a human agent, write ###HUMAN###" in t for t in en)  # signals filled in
    assert not any("{" in t for t in HARNESS_TEXTS)  # no placeholder left, goal and persona out
    assert ZH_CUE in HARNESS_TEXTS and "不要重复发送同一条消息。" in HARNESS_TEXTS


def test_the_thresholds():
    assert harness_share(CUE) == 1.0 and harness_share("Hi, my kettle broke.") == 0.0
    assert 0 < harness_share("Never send the same message twice. " + "x" * 40) < 0.5
    assert ECHO_MIN_WIDTH == 12
    assert not echoes("thank you!", "Thank you.")  # 8 letters
    assert not echoes("thank you all", "Thank you all.")  # 11 letters: not yet
    assert echoes("thank you, all!", "Thank you all2.") is False  # not the same letters
    assert echoes("Order cancels", "order cancels.")  # 12 letters
    assert echoes("好的我明白了", "好的，我明白了。")  # 6 Chinese characters are 12 wide


# -- unoffered confirmations ---------------------------------------------------------------------

CONFIRMATIONS = [
    ("Your order is cancelled.", "Yes, please cancel it.", True),
    ("Here is your tracking number: TRK42.", "Yes, go ahead.", True),
    ("Your refund has been confirmed.", "Confirm.", True),  # a statement, not a request to confirm
    ("订单已为您取消。", "确认", True),
    ("订单已为您取消。", "是的，就这么办", True),
    ("Would you like me to cancel it?", "Yes", False),  # offered
    ("I can cancel it. Shall I", "Yes", False),
    ("I can cancel it for you if you want.", "Yes please", False),
    ("Please confirm the order number.", "Confirmed, 100001.", False),
    ("Your order is cancelled.", "OK, thanks", False),  # an acknowledgement
    ("Your order is cancelled.", "Yesterday I asked for this.", False),
    ("订单已取消。", "好的，谢谢", False),
    ("需要我帮您取消吗", "确认", False),
    ("是否为您办理退款", "同意", False),
    ("订单已为您查到。", "确认一下地址对不对", False),  # 确认一下: "please check"
]


@pytest.mark.parametrize("reply, message, counted", CONFIRMATIONS)
def test_an_unoffered_confirmation_is_an_assent_to_a_reply_that_asked_and_offered_nothing(reply, message, counted):
    transcript = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": reply},
                  {"role": "user", "content": message}]
    assert unoffered_confirmations(transcript) == ([message] if counted else [])
    assert (confirms(message) and not offers(reply)) == counted


def test_only_a_reply_right_before_counts_and_never_the_first_message():
    transcript = [
        {"role": "user", "content": "Yes, cancel it."},  # answers no reply
        {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
        {"role": "tool", "content": "{}"},
        {"role": "assistant", "content": "Cancelled."},
        {"role": "user", "content": "Yes, thanks", "stop": True},
    ]
    assert unoffered_confirmations(transcript) == ["Yes, thanks"]
