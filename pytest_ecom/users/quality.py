"""How well a model played the customer: figures of one conversation, for the report's summary.

**Unoffered confirmation** — the customer assents to something the agent never put to it. The
rule, checkable by eye on the transcript:

- the customer's message *starts* with an assent (``CONFIRM``: "yes", "yeah", "yep", "confirm",
  "I confirm", "go ahead", "please proceed", "proceed", "do it"; "是的", "是啊", "对的", "确认"
  (not "确认一下", "please check"), "我确认", "同意", "就这么办", "请办理"), and
- it answers an agent reply that asked nothing and offered nothing: no question mark (``?``,
  ``？``) and none of ``OFFERS`` ("would you like", "shall i", "do you want", "please confirm",
  "要不要", "是否", "需要我", "吗", …).

An acknowledgement ("ok", "thanks", "好的", "好的，谢谢") is not an assent: answering "Your order
is cancelled." with "OK, thanks" is how customers close. The customer's first message answers no
reply and is never counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_ecom.users.faults import normalised

CONFIRM = re.compile(
    r"^(?:(?:yes|yeah|yep|confirm(?:ed)?|i confirm|go ahead|please (?:do|proceed|go ahead)|proceed|do it)\b"
    r"|是的|是啊|对的|确认(?!一下|下)|我确认|同意|就这么办|请办理)")
OFFERS = ("?", "？", "would you like", "do you want", "shall i", "should i", "may i", "can i", "want me to",
          "let me know", "please confirm", "to confirm", "if you agree", "if you'd like", "if you want",
          "吗", "呢", "要不要", "是否", "需要我", "请确认", "确认一下", "您看", "可以为您", "如果您同意", "如果需要")


def confirms(text: str) -> bool:
    """The customer's message starts with an assent."""
    return CONFIRM.match(normalised(text).lstrip("\"'“‘([【「 ")) is not None


_OFFER = re.compile("|".join(rf"\b{re.escape(o)}\b" if o[0].isascii() and o[0].isalpha() else re.escape(o)
                             for o in OFFERS))


def offers(reply: str) -> bool:
    """The agent's reply asks a question or puts something to the customer."""
    return _OFFER.search(normalised(reply)) is not None


def unoffered_confirmations(transcript: Iterable[Mapping[str, Any]]) -> list[str]:
    """The customer's messages that assent to an agent reply which asked and offered nothing."""
    found: list[str] = []
    last_reply: str | None = None
    for entry in transcript:
        role, content = entry.get("role"), entry.get("content")
        if role == "assistant" and isinstance(content, str) and not entry.get("tool_calls"):
            last_reply = content
        elif role == "user" and isinstance(content, str):
            if last_reply is not None and confirms(content) and not offers(last_reply):
                found.append(content)
            last_reply = None
    return found


def customer_messages(transcript: Iterable[Mapping[str, Any]]) -> int:
    """Messages the customer sent, its closing (stop) message and a faulty one included."""
    return sum(entry.get("role") == "user" for entry in transcript)
