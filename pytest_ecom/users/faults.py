"""Telling a faulty simulated customer from a failing agent.

A model playing the customer can go wrong in ways that would wrongly count
against the agent. Each check below is deliberately simple, so a reader of the
error can verify it by eye. Texts are compared *normalised*: Unicode NFKC
(full-width ``，`` is ``,``), case folded, whitespace collapsed; "letters" below
means that form with everything but letters and digits dropped, and a text's
*width* counts a Chinese character as two.

- **empty message**: it said nothing;
- **harness text**: the message is, or is mostly (at least half its letters),
  text the harness itself wrote into the customer's prompt as cue or instruction
  (:data:`~pytest_ecom.users.prompts.HARNESS_TEXTS`: the opening cue ``[The chat
  window … Write your first message.]``, each line and sentence of the role-play
  instructions; not the task's goal or persona). A harness text counts when its
  letters are at least 16 wide (headings such as "Your goal" do not), and a
  message made of a piece of one when its letters are at least 16 wide;
- **broken role**: it talks like the assistant ("How can I help you?",
  "请问您需要什么帮助", ``ROLE_BREAK_PHRASES`` anywhere in the message; "请问你想要什么"
  and the other ``ROLE_BREAK_QUESTIONS`` only as a whole question, not "请问你想要什么信息")
  or like a language model ("As an AI ...");
- **echoed reply**: the message (stop and human signals aside) has the same letters as the
  agent's last reply, and they are at least 12 wide (``ECHO_MIN_WIDTH``: "ok", "thanks",
  "yes", "好的，谢谢" are not echoes; "Done. cancelled" is);
- **invented id**: the customer states an identifier — a run of 6 or more
  digits (order, user, product numbers, phones) or a record key of the store
  that contains a digit (``u_1003``, ``p_kettle_2l``) — that appears neither
  in what it was given (goal, persona, the task's context) nor in anything the
  agent has said so far;
- **premature stop** / **premature human**: it sends the stop signal, or asks for a human,
  before the agent answered at all (no reply and no tool call yet), on a task that needs
  tool calls. Giving up on an agent that talks but never acts stays that agent's failure.

A fault raises :class:`CustomerFault`; the episode turns it into a trial error
with source ``customer`` and the evidence, left out of pass^k.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_ecom.trajectory import Trajectory
from pytest_ecom.users.contracts import STOP_SIGNAL, CustomerTurn
from pytest_ecom.users.prompts import HARNESS_TEXTS, HUMAN_SIGNAL

DIGIT_RUN = re.compile(r"(?<![\d.])\d{6,}(?!\d)")
# The assistant's words, anywhere in a message (matched normalised). Chinese ones are openers a
# shop's agent uses and a customer does not: not "我明白了，请问…", which a customer says too
# ("我明白了，请问退款什么时候到账？").
ROLE_BREAK_PHRASES = (
    "how can i help you", "how may i help you", "how can i assist you", "how may i assist you",
    "what can i do for you", "what can i help you with",
    "is there anything else i can help", "as an ai", "i am an ai", "i'm an ai", "as a language model",
    "i am a customer service", "i'm a customer service",
    "有什么可以帮您", "有什么可以帮你", "有什么能帮您", "很高兴为您服务", "很高兴为你服务", "我是客服", "我是您的客服",
    "请问您需要什么帮助", "请问你需要什么帮助", "您需要什么帮助", "请问有什么需要帮助", "请问有什么需要帮忙",
    "请问您遇到了什么问题", "请问您遇到什么问题",
    "作为ai", "作为一个ai", "作为人工智能", "作为语言模型", "作为一个语言模型", "我是人工智能", "我是一个人工智能",
)
# The assistant's questions, only as a whole question (followed by the end, punctuation, 呢 or
# 吗): "请问你想要什么？" is the assistant's, "请问你想要什么信息？" a customer's answer to it.
ROLE_BREAK_QUESTIONS = ("请问你想要什么", "请问您想要什么", "请问你想了解什么", "请问您想了解什么",
                        "请问你想咨询什么", "请问您想咨询什么")
ECHO_MIN_WIDTH = 12  # an echo of the agent's reply must be at least this wide (letters; a Chinese character is 2)
HARNESS_MIN_WIDTH = 16  # a harness text (or a piece of one) counts from this width (letters)
_SEPARATORS = re.compile(r"[\s\-]+")
_MAX_DEPTH = 5  # nested tables (platform → shop → user → order) keep their ids a few levels down


class CustomerFault(Exception):
    """The simulated customer, not the agent, went wrong; ``text`` is the offending message."""

    def __init__(self, kind: str, evidence: str, text: str) -> None:
        super().__init__(f"customer fault ({kind}): {evidence}")
        self.kind = kind
        self.evidence = evidence
        self.text = text


def _looks_like_id(key: str) -> bool:
    return any(c.isdigit() for c in key) and (len(key) >= 6 if key.isdigit() else len(key) >= 2)


def _keys(value: Any, depth: int) -> Iterable[str]:
    if depth > _MAX_DEPTH or not isinstance(value, Mapping):
        return
    for key, inner in value.items():
        if isinstance(key, str) and _looks_like_id(key):
            yield key
        yield from _keys(inner, depth + 1)


_STORE_IDS: dict[int, tuple[Any, frozenset[str]]] = {}


def store_ids(base: Mapping[str, Any]) -> frozenset[str]:
    """Record keys of a store that look like ids; computed once per loaded store."""
    cached = _STORE_IDS.get(id(base))
    if cached is None or cached[0] is not base:
        cached = (base, frozenset(k for table in base.values() for k in _keys(table, 1)))
        _STORE_IDS[id(base)] = cached
    return cached[1]


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.casefold())


def normalised(text: str) -> str:
    """NFKC, case folded, curly quotes straight, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def letters(text: str) -> str:
    """The normalised text's letters and digits only (no spaces, punctuation or signal marks)."""
    return "".join(c for c in normalised(text) if c.isalnum())


def width(text: str) -> int:
    """Characters, a wide (Chinese, Japanese, Korean) character counting as two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _without_signals(text: str) -> str:
    return text.replace(STOP_SIGNAL, " ").replace(HUMAN_SIGNAL, " ")


_PHRASES = tuple((p, normalised(p)) for p in ROLE_BREAK_PHRASES)
_QUESTIONS = tuple((q, re.compile(re.escape(normalised(q)) + r"(?=$|[\s?？!！.。,，~～…]|呢|吗)"))
                   for q in ROLE_BREAK_QUESTIONS)


def role_break(text: str) -> str | None:
    """The assistant's phrase the message holds, if any."""
    plain = normalised(text)
    found = next((p for p, n in _PHRASES if n in plain), None)
    return found or next((q for q, pattern in _QUESTIONS if pattern.search(plain)), None)


def _harness_units(texts: Iterable[str]) -> tuple[str, ...]:
    units = {letters(_without_signals(t)) for t in texts}
    return tuple(sorted((u for u in units if width(u) >= HARNESS_MIN_WIDTH), key=len, reverse=True))


_HARNESS_UNITS = _harness_units(HARNESS_TEXTS)


def harness_share(text: str, units: tuple[str, ...] = _HARNESS_UNITS) -> float:
    """How much of the message (its letters) is harness text: 1.0 when it is a piece of one."""
    said = letters(_without_signals(text))
    if not said:
        return 0.0
    if width(said) >= HARNESS_MIN_WIDTH and any(said in u for u in units):
        return 1.0
    covered = [False] * len(said)
    for unit in units:
        start = said.find(unit)
        while start != -1:
            covered[start:start + len(unit)] = [True] * len(unit)
            start = said.find(unit, start + 1)
    return sum(covered) / len(said)


def echoes(text: str, reply: str) -> bool:
    """The message is the agent's reply again, word for word (normalised) and not a short one."""
    said = letters(_without_signals(text))
    return said == letters(reply) and width(said) >= ECHO_MIN_WIDTH


def _stated(key: str, text: str) -> bool:
    """``key`` occurs in ``text`` as a whole id (not inside a longer ASCII word or number)."""
    if key not in text:
        return False
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", text) is not None


PREMATURE = {"customer_stop": ("premature stop", "sent the stop signal"),
             "customer_human": ("premature human", "asked for a human")}


@dataclass(frozen=True)
class Referee:
    """Reviews each message of an LLM customer against what that customer could know."""

    given: str  # goal, persona and context: everything the customer was told
    ids: frozenset[str]  # the store's record keys that look like ids
    needs_calls: bool  # the task cannot be solved without tool calls
    harness: tuple[str, ...] = _HARNESS_UNITS  # the letters of the harness's cues and instructions

    def __call__(self, turn: CustomerTurn, traj: Trajectory) -> None:
        text = turn.text
        if not text.strip():
            raise CustomerFault("empty message", "the customer's model returned an empty message", text)
        if harness_share(text, self.harness) >= 0.5:
            raise CustomerFault("harness text", "the customer repeated the harness's own cue or instructions "
                                                "to it instead of writing a message", text)
        phrase = role_break(text)
        if phrase is not None:
            raise CustomerFault("broken role", f"the customer spoke like the assistant ({phrase!r})", text)
        if traj.replies and echoes(text, traj.replies[-1]):
            raise CustomerFault("echoed reply", "the customer repeated the agent's last reply word for word", text)
        invented = self.invented_ids(text, traj.replies)
        if invented:
            shown = ", ".join(repr(i) for i in invented)
            raise CustomerFault("invented id", f"the customer stated {shown}, found neither in its goal, persona "
                                               "or context nor in anything the agent said", text)
        premature = PREMATURE.get(turn.end_reason) if turn.stop else None
        if premature and self.needs_calls and not (traj.calls or traj.replies):
            # Only before the agent said or did anything: a customer who gives up on an agent that
            # talks but never acts is that agent's failure, and is scored as one.
            kind, did = premature
            raise CustomerFault(kind, f"the customer {did} before the agent answered at all "
                                      "(the task needs tool calls)", text)

    def invented_ids(self, text: str, agent_said: Iterable[str]) -> list[str]:
        """Ids in ``text`` the customer could not have known, in order of appearance."""
        heard = "\n".join([self.given, *agent_said])
        known, known_compact = heard.casefold(), _compact(heard)
        found = [m.group() for m in DIGIT_RUN.finditer(text)]
        found += sorted((k for k in self.ids if _stated(k, text)), key=text.index)
        out: list[str] = []
        for candidate in found:
            if candidate in out or candidate.casefold() in known or _compact(candidate) in known_compact:
                continue
            out.append(candidate)
        return out
