"""The LLM customer's role-play prompt, in the task's language (English or Chinese).

The wording is ours. Every persona dimension is rendered as ``name: value — what it means``
so the model (and a reader of the request) sees the whole persona, not only its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_ecom.spec.models import Persona
from pytest_ecom.users.contracts import STOP_SIGNAL

HUMAN_SIGNAL = "###HUMAN###"  # the customer wants a human: the chat ends

DIMENSIONS = ("consumer_type", "emotion", "carefulness", "patience", "trust", "rights_awareness",
              "question_style", "speaking_style", "pace")


@dataclass(frozen=True)
class Language:
    """Everything language-specific the customer needs."""

    code: str
    template: str
    opening: str  # the first "turn" of the chat, before the customer speaks
    labels: dict[str, str]
    meanings: dict[str, dict[str, str]]
    separator: str  # between a value and what it means


_EN_TEMPLATE = """\
You are playing a customer of an online shop who is chatting with the shop's customer-service \
assistant. Stay in this role for the whole conversation: you are the customer, never the \
assistant, and you never offer help to anyone.

# Your goal
{goal}

# Who you are
{persona}

# How to play
1. Write only the customer's next chat message: plain text in English, with no narration, no \
quotation marks and no remarks about the role-play.
2. Work toward your goal one step at a time. Open with your first need; give details (order \
numbers, names, addresses, dates) when the assistant asks for them or when the conversation \
needs them, not all at once.
3. Use only the facts in your goal and what the assistant has told you. Never make up an order \
number, user id, product id, phone number or any other identifier or fact. If you are asked for \
something you were not given, say you don't have it and ask the assistant to look it up.
4. Act as described under "Who you are" in every message: tone, patience, precision and length.
5. Accept a proposal only if it serves your goal; otherwise say what you want instead. When the \
assistant lists a change (a cancellation, return, exchange, refund, payment, booking or address \
change) and asks you to confirm it, say yes only if that exact change is what your goal asks for; \
if any detail is wrong or was never asked for, say no and say what is wrong.
6. Never send the same message twice.
7. When every part of your goal is done, or the assistant has made clear it cannot be done, \
send a short closing message that ends with {stop}
8. Only if you give up on the assistant and insist on a human agent, write {human} (this ends \
the chat).
"""

_ZH_TEMPLATE = """\
你在扮演一家网店的顾客，正在和店铺的在线客服聊天。整段对话里你都只是顾客，绝不是客服，\
也不会主动为别人提供帮助。

# 你的目标
{goal}

# 你的画像
{persona}

# 扮演要求
1. 只写顾客下一条要发送的聊天消息：用中文纯文本，不要旁白，不要引号，不要对扮演本身做任何说明。
2. 一步一步地推进目标。先说出你的第一个需求；订单号、姓名、地址、日期等细节在客服询问或对话需要时再给出，不要一次全说完。
3. 只使用目标里给出的信息和客服告诉你的信息。绝不编造订单号、用户ID、商品ID、电话号码或任何其他编号和事实。\
客服要的信息你没有时，就说你没有，请客服帮你查。
4. 每条消息都要符合"你的画像"：语气、耐心、表达的准确程度和消息长短。
5. 客服提出的方案只有在符合你的目标时才接受，否则说明你真正想要的。客服列出一项变更（取消、退货、换货、退款、支付、预约、\
修改地址等）请你确认时，只有这项变更完全符合你的目标才确认；任何细节不对或并非你要求的，就拒绝并说明哪里不对。
6. 不要重复发送同一条消息。
7. 目标中的每一项都办完了，或者客服已明确表示无法办理时，发一条简短的结束语，并以 {stop} 结尾。
8. 只有当你放弃与客服沟通、坚持要找人工时，才写 {human}（对话就此结束）。
"""

_EN_MEANINGS: dict[str, dict[str, str]] = {
    "consumer_type": {
        "value_seeking": "price and getting a good deal matter most to you",
        "quality_focused": "quality and reliability matter most to you",
        "convenience_focused": "you want the quickest, least effortful solution",
        "brand_loyal": "you trust the brand and care about its reputation",
        "business_owner": "you run a shop on the platform and talk about your business",
    },
    "emotion": {
        "calm": "you stay calm and polite",
        "anxious": "you are worried and want reassurance",
        "dissatisfied": "you are unhappy with how things went and let it show",
        "angry": "you are angry: blunt, short-tempered, you complain about the trouble",
    },
    "carefulness": {
        "high": "you check every detail the assistant gives and ask about anything unclear",
        "medium": "you check the details that matter",
        "low": "you do not look at details closely",
    },
    "patience": {
        "high": "you are willing to wait and to answer the assistant's questions",
        "medium": "you accept a few questions but want to see progress",
        "low": "you want it solved right now and push back when the assistant is slow or asks too much",
    },
    "trust": {
        "high": "you believe what the assistant tells you",
        "medium": "you believe the assistant but question surprising claims",
        "low": "you doubt the assistant's claims and ask for proof or the exact rule",
    },
    "rights_awareness": {
        "high": "you know your consumer rights and cite the shop's rules",
        "medium": "you know the basics of your rights",
        "low": "you seldom think about your rights and accept what is offered",
    },
    "question_style": {
        "clear": "you say plainly and specifically what you want",
        "vague": "you describe things loosely (\"my order\", \"the thing I bought\") and give details only when asked",
    },
    "speaking_style": {
        "concise": "your messages are short and to the point",
        "wordy": "your messages are long, with background and feelings",
    },
    "pace": {
        "one_at_a_time": "you raise one point per message and wait for the answer",
        "bursts": "you pack several quick points or follow-ups into one message, like a burst of chat lines",
    },
}

_ZH_MEANINGS: dict[str, dict[str, str]] = {
    "consumer_type": {
        "value_seeking": "价格敏感型，最在意价格和是否划算",
        "quality_focused": "品质型，最在意质量和可靠性",
        "convenience_focused": "省心型，想要最快、最省事的解决办法",
        "brand_loyal": "品牌忠诚型，信任这个品牌，在意它的口碑",
        "business_owner": "在平台上开店的商家，谈的是自己店铺的事",
    },
    "emotion": {
        "calm": "平静，说话客气",
        "anxious": "焦虑，担心出问题，希望得到安抚",
        "dissatisfied": "不满，对事情的经过不高兴，并表现出来",
        "angry": "愤怒，说话直接、没耐心，会抱怨遇到的麻烦",
    },
    "carefulness": {
        "high": "细心，会核对客服给出的每个细节，不清楚就追问",
        "medium": "一般，会核对重要的细节",
        "low": "粗心，不太留意细节",
    },
    "patience": {
        "high": "有耐心，愿意等待并回答客服的问题",
        "medium": "一般，可以回答几个问题，但希望看到进展",
        "low": "没耐心，希望马上解决，客服慢了或问得太多就会催促",
    },
    "trust": {
        "high": "信任客服说的话",
        "medium": "基本信任客服，但对意外的说法会追问",
        "low": "怀疑客服的说法，要求给出依据或具体规定",
    },
    "rights_awareness": {
        "high": "维权意识强，清楚自己的消费者权益，会引用店铺规则",
        "medium": "了解基本的消费者权益",
        "low": "很少考虑自己的权益，接受对方给出的方案",
    },
    "question_style": {
        "clear": "直接具体地说出自己想要什么",
        "vague": "描述含糊（如\"我的订单\"\"我买的那个东西\"），细节要等客服问了才说",
    },
    "speaking_style": {
        "concise": "简洁，消息短而切题",
        "wordy": "啰嗦，消息长，会讲前因后果和感受",
    },
    "pace": {
        "one_at_a_time": "一次只说一件事，等回复后再说下一件",
        "bursts": "一条消息里连着抛出好几个要点或追问，像连发的聊天消息",
    },
}

LANGUAGES = {
    "en": Language(
        code="en", template=_EN_TEMPLATE,
        opening="[The chat window with the shop's customer service has opened. Write your first message.]",
        labels={d: d for d in DIMENSIONS}, meanings=_EN_MEANINGS, separator=" — "),
    "zh": Language(
        code="zh", template=_ZH_TEMPLATE,
        opening="[与店铺客服的聊天窗口已打开，请发送你的第一条消息。]",
        labels={"consumer_type": "消费者类型", "emotion": "情绪", "carefulness": "细心程度", "patience": "耐心程度",
                "trust": "信任程度", "rights_awareness": "维权意识", "question_style": "提问方式",
                "speaking_style": "发言风格", "pace": "沟通节奏"},
        meanings=_ZH_MEANINGS, separator="——"),
}


def language_of(code: str) -> Language:
    """The prompt language of a task language such as ``en``, ``zh`` or ``zh-CN`` (English otherwise)."""
    return LANGUAGES.get(code.split("-")[0].lower(), LANGUAGES["en"])


def render_persona(persona: Persona, language: Language) -> str:
    """One line per dimension the persona sets (``name: value — meaning``), then its description."""
    lines = []
    for dim in DIMENSIONS:
        value = getattr(persona, dim)
        if value is None:
            continue
        value = getattr(value, "value", value)
        meaning = language.meanings.get(dim, {}).get(value)
        shown = f"{language.labels[dim]}: {value}"
        lines.append(f"- {shown}{language.separator}{meaning}" if meaning else f"- {shown}")
    if persona.description.strip():
        lines.append(persona.description.strip())
    return "\n".join(lines)


def roleplay_prompt(goal: str, persona: Persona, language: Language) -> str:
    """The customer model's system prompt."""
    return language.template.format(goal=goal.strip(), persona=render_persona(persona, language),
                                    stop=STOP_SIGNAL, human=HUMAN_SIGNAL)


_NUMBERING = re.compile(r"^(?:#+|\d+\.)\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?:;。！？：；])\s*")


def harness_texts(language: Language) -> tuple[str, ...]:
    """What the harness itself wrote into the customer's prompt as cue or instruction: the opening
    cue, and each instruction of the template — whole lines and their sentences — with the
    goal and the persona (the task's own words) left out. A customer message made of these
    is a customer fault (see ``users/faults.py``)."""
    template = language.template.replace("{goal}", "").replace("{persona}", "")
    text = template.format(stop=STOP_SIGNAL, human=HUMAN_SIGNAL)
    out = [language.opening]
    for line in text.splitlines():
        line = _NUMBERING.sub("", line.strip())
        if not line:
            continue
        out.append(line)
        out += [s for s in _SENTENCE_END.split(line) if s and s != line]
    return tuple(dict.fromkeys(out))


HARNESS_TEXTS = tuple(dict.fromkeys(t for lang in LANGUAGES.values() for t in harness_texts(lang)))
"""Every language's harness texts: a model may repeat the English cue in a Chinese chat too."""
