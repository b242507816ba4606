"""ECom-Bench's folder → ``<out>/<NNN>_<scenario>.task.yaml`` (``pytest-ecom import ecom-bench``).

The input is the benchmark's folder: ``tasks.json`` (an array of tasks ``{index, user_id, shop_id,
platform, instruction, metadata: {actions, searches, outputs}}``), ``tools.json`` (the tools as
served, names ending in ``_tool``) and ``data/`` (the store's tables: the store itself is the
``ecom_bench`` domain's fixture; the folder's tables are read to find each user's orders and to
replay every task's golden actions with our tools, so a call that fails on the data is refused).

Each task becomes one end-to-end task on store ``ecom_bench``:

- the persona's tagged sections (``<情绪>…<\\情绪>`` — closing tags carry a backslash) become
  ``customer.overrides`` of the neutral persona ``ecom_bench_customer``; a value no rule
  recognises is left to the base persona and counted in the summary;
- the goal section (the numbered intents) is ``customer.goal`` verbatim; when a golden call needs a
  product id the instruction only gives inside a product link, a sentence listing those ids is
  added; ``customer.script`` is the intents' texts, one message each;
- golden ``actions`` get the served names (``manage_order`` → ``manage_order_tool``); ``searches``
  and ``outputs`` are copied as they are.

Chinese text is kept as is. A structural problem (missing file or field, bad JSON, a call to a
tool ``tools.json`` does not serve, an argument the tool does not take) or a golden action that
fails on the data is an error naming the task's position and field, and nothing is written.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from pytest_ecom.importers.common import BadInput, dump_yaml, model_problem, write_files
from pytest_ecom.importers.confirmations import CONFIRM_LINES, with_confirmations
from pytest_ecom.spec import TASK_SUFFIX
from pytest_ecom.spec.models import Task
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.models.vision import IMAGE_URL, image_urls

BENCHMARK = "ECom-Bench"
ID_PREFIX = "ecombench"
STORE = "ecom_bench"
PERSONA = "ecom_bench_customer"
TOOL_SUFFIX = "_tool"
FIELDS = ("index", "user_id", "shop_id", "platform", "instruction", "metadata")
METADATA = ("actions", "searches", "outputs")
QUERY = "查询"  # the read-only value of a write tool's ``action`` argument
# A task without golden actions whose required searches query one of these tools: the customer asked
# for that change and the right answer is no (e.g. a cashback claimed with a photo that is no review).
# Saying the change was made is then a false claim: these phrases become the task's expect.forbidden.
REFUSED_CLAIMS = {
    "register_cashback_by_review_tool": ["登记成功", "已为您登记"],  # "registered successfully", "registered it for you"
    "manage_exchange_tool": ["换货成功", "已为您换货"],  # "exchanged successfully", "exchanged it for you"
}
# "(only required when action is X)": an argument a query of the same tool does not take
_ONLY_FOR_ACTIONS = re.compile(r"仅在action为([^时]*)时")
CONTEXT = ("platform", "shop_id", "user_id")  # what the deployment knows: shown to the agent
DATA_FILES = ("discount", "invoices", "logistics", "orders", "products", "register_cashback",
              "service", "users_info")
DESCRIPTION_MAX = 60  # characters of the first intent kept as the description

# -- reading the instruction -------------------------------------------------------------

GOAL_HEADER = re.compile(r"#+\s*这是你的目标[：:]?[ \t]*\n?")
_INTENT_OPEN = re.compile(r"<(意图[一二三四五六七八九十百零〇\d]+)>")
_INTENT_CLOSE = re.compile(r"<[\\/]意图[一二三四五六七八九十百零〇\d]+>")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
_PRODUCT_LINK = re.compile(r"https?://item\.jd\.com/(\d+)\.html[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*")


def tagged(text: str, tag: str) -> str | None:
    """The text of ``<tag>…<\\tag>`` (or ``</tag>``), stripped; None when the section is absent."""
    m = re.search(rf"<{re.escape(tag)}>(.*?)<[\\/]{re.escape(tag)}>", text, re.DOTALL)
    return m.group(1).strip() if m else None


def goal_section(instruction: str) -> str:
    """The instruction's goal part (after ``### 这是你的目标：``; else from the first intent), verbatim
    but for surrounding blank space."""
    m = GOAL_HEADER.search(instruction)
    if m:
        return instruction[m.end():].strip()
    first = _INTENT_OPEN.search(instruction)
    return instruction[first.start():].strip() if first else ""


def intents(instruction: str) -> list[str]:
    """The intents' texts in order: each runs from its opening tag to its closing tag, or to the
    next intent's opening tag when the closing one is missing or misspelt (the data has both)."""
    goal = goal_section(instruction)
    opens = list(_INTENT_OPEN.finditer(goal))
    texts = []
    for i, m in enumerate(opens):
        end = opens[i + 1].start() if i + 1 < len(opens) else len(goal)
        body = goal[m.end():end]
        close = _INTENT_CLOSE.search(body)
        text = (body[:close.start()] if close else body).strip()
        if text:
            texts.append(text)
    return texts


def linked_product_ids(text: str) -> list[str]:
    """Product ids of ``https://item.jd.com/<id>.html`` links, in order of appearance."""
    return list(dict.fromkeys(_PRODUCT_LINK.findall(text)))


def ids_only_in_links(instruction: str, values: list[str]) -> list[str]:
    """Of ``values``, the product ids the instruction gives only inside a product link."""
    linked = linked_product_ids(instruction)
    outside = _URL.sub(" ", instruction)
    return [v for v in dict.fromkeys(values) if v in linked and v not in outside]


# -- persona dimensions ---------------------------------------------------------------------

# tag → dimension
PERSONA_TAGS = {
    "消费者类型": "consumer_type",
    "情绪": "emotion",
    "细心程度": "carefulness",
    "耐心程度": "patience",
    "信任程度": "trust",
    "维权意识": "rights_awareness",
    "提问方式": "question_style",
    "发言风格": "speaking_style",
    "沟通节奏": "pace",
}
LEVELS = ("carefulness", "patience", "trust", "rights_awareness")

# Checked in order; the first rule whose word occurs wins.
_EMOTION = (
    ("angry", ("易怒", "愤怒", "激动", "暴躁", "恼火", "火大")),
    ("dissatisfied", ("不满", "失望", "生气", "抱怨")),
    ("anxious", ("急躁", "焦虑", "烦躁", "着急", "焦急", "急切", "担心", "困扰")),
    ("calm", ("平和", "冷静", "平静", "平稳", "乐观", "理智", "理性", "稳定", "友好", "积极", "礼貌")),
)
_LEVEL = (
    ("low", ("偏下", "到低", "偏低", "低", "弱", "差", "不太", "缺乏")),
    ("high", ("偏上",)),
    ("medium", ("一般", "中等", "适中", "中", "一版", "普通", "还行")),
    ("high", ("高", "强", "好", "细致", "细心", "充足", "良好")),
)
_CLEAR = ("直接", "具体", "明确", "明了", "清晰", "清楚", "目标明确", "目的性强")
_CONCISE = ("简洁", "简短", "简练", "简单", "精简", "单字", "短句", "无修饰", "无废话", "没有过多", "切题")
_BURSTS = ("连续", "多条", "短时间", "密集", "频繁", "短且多", "多个短句", "紧凑", "紧密")
_NEGATED = re.compile(r"不(?:会|要|太|用|再)?")  # "不会频繁追问": the word right after it does not count

# consumer type (Chinese) → slug; checked in order, the first word found wins.
CONSUMER_TYPES = (
    ("价格质量", "price_quality_sensitive"),
    ("价格敏感", "price_sensitive"),
    ("性价比", "value_for_money"),
    ("价值", "value_seeking"),
    ("质量", "quality_focused"),
    ("品质", "quality_focused"),
    ("冲动", "impulsive"),
    ("实用", "practical"),
    ("理性", "rational"),
    ("问题导向", "problem_oriented"),
)


def _head(text: str) -> str:
    """The value's first clause: ``较高，会详细询问…`` → ``较高``."""
    return re.split(r"[，,。.;；:：(（]", text.strip(), maxsplit=1)[0].strip()


def _says(text: str, words: tuple[str, ...]) -> bool:
    """Some word occurs in ``text`` and is not negated (``不会频繁催促`` is not 频繁)."""
    for word in words:
        for m in re.finditer(re.escape(word), text):
            before = text[max(0, m.start() - 2):m.start()]
            if not _NEGATED.search(before):
                return True
    return False


def _first_rule(text: str, rules: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    for value, words in rules:
        if any(w in text for w in words):
            return value
    return None


def dimension_value(dimension: str, text: str) -> str | None:
    """One persona section's text → the dimension's value; None when no rule recognises it."""
    text = text.strip()
    if not text:
        return None
    if dimension == "consumer_type":
        slug = _first_rule(text, tuple((s, (w,)) for w, s in CONSUMER_TYPES))
        return slug or text.rstrip("。. ")
    if dimension == "emotion":
        return _first_rule(_head(text), _EMOTION) or _first_rule(text, _EMOTION)
    if dimension in LEVELS:
        return _first_rule(_head(text), _LEVEL)
    if dimension == "question_style":
        return "clear" if _says(text, _CLEAR) else "vague"
    if dimension == "speaking_style":
        return "concise" if _says(text, _CONCISE) else "wordy"
    if dimension == "pace":
        return "bursts" if _says(text, _BURSTS) else "one_at_a_time"
    raise KeyError(dimension)  # pragma: no cover


def persona_overrides(instruction: str) -> tuple[dict[str, str], list[str]]:
    """The dimensions the instruction sets, in the persona's order, and the dimensions whose
    section is present but not recognised (left to the base persona)."""
    found: dict[str, str] = {}
    unrecognised: list[str] = []
    for tag, dimension in PERSONA_TAGS.items():
        text = tagged(instruction, tag)
        if text is None:
            continue
        value = dimension_value(dimension, text)
        if value is None:
            unrecognised.append(dimension)
        else:
            found[dimension] = value
    order = ("consumer_type", "emotion", *LEVELS, "question_style", "speaking_style", "pace")
    return {d: found[d] for d in order if d in found}, unrecognised


# -- reading the folder ----------------------------------------------------------------------


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput([f"{path}: no such file ({what})"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput([f"{path}: cannot read it as UTF-8 text ({exc})"]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput([f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from None


def read_tools(path: Path) -> dict[str, dict[str, Any]]:
    """``tools.json`` → {served name: JSON Schema of its arguments}."""
    raw = _read_json(path, "the tools as served to the agent")
    if not isinstance(raw, list):
        raise BadInput([f"{path}: expected a JSON array of tools, found a {type(raw).__name__}"])
    tools: dict[str, dict[str, Any]] = {}
    problems = []
    for i, tool in enumerate(raw):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            problems.append(f"{path}: tool [{i}]: field 'name' is missing or not a string")
            continue
        schema = tool.get("inputSchema", tool.get("parameters", {}))
        if not isinstance(schema, dict):
            problems.append(f"{path}: tool [{i}] ({tool['name']}): field 'inputSchema' must be an object")
            continue
        tools[tool["name"]] = schema
    if problems:
        raise BadInput(problems)
    return tools


def check_data(folder: Path) -> dict[str, dict[str, Any]]:
    """``data/`` holds the store's tables, each a JSON object: {table name: table}."""
    if not folder.is_dir():
        tables = ", ".join(f"{name}.json" for name in DATA_FILES)
        raise BadInput([f"{folder}: no such folder (the store's tables: {tables})"])
    problems = []
    tables = {}
    for name in DATA_FILES:
        try:
            table = _read_json(folder / f"{name}.json", "one of the store's tables")
        except BadInput as exc:
            problems += exc.problems
            continue
        if not isinstance(table, dict):
            problems.append(f"{folder / f'{name}.json'}: expected a JSON object, found a {type(table).__name__}")
        tables[name] = table
    if problems:
        raise BadInput(problems)
    return tables


def read_folder(folder: Path) -> tuple[list[Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The folder's tasks (unchecked), tools and tables."""
    if not folder.is_dir():
        raise BadInput([f"{folder}: no such folder (expected ECom-Bench's tasks.json, tools.json and data/)"])
    tasks = _read_json(folder / "tasks.json", "the benchmark's tasks")
    if not isinstance(tasks, list):
        raise BadInput([f"{folder / 'tasks.json'}: expected a JSON array of tasks, found a {type(tasks).__name__}"])
    tools = read_tools(folder / "tools.json")
    return tasks, tools, check_data(folder / "data")


# -- checking one task -------------------------------------------------------------------------


def _where(position: int, entry: Any) -> str:
    index = entry.get("index") if isinstance(entry, dict) else None
    return f"task [{position}] (index {index})" if isinstance(index, int) else f"task [{position}]"


def _call_problems(where: str, kind: str, calls: Any, tools: dict[str, dict[str, Any]]) -> list[str]:
    if not isinstance(calls, list):
        return [f"{where}: field 'metadata.{kind}' must be a list"]
    problems = []
    for j, call in enumerate(calls):
        loc = f"metadata.{kind}[{j}]"
        if not isinstance(call, dict):
            problems.append(f"{where}: field '{loc}' must be an object {{name, arguments}}")
            continue
        problems += [f"{where}: field '{loc}.{key}' is missing" for key in ("name", "arguments") if key not in call]
        name, args = call.get("name"), call.get("arguments")
        if "arguments" in call and not isinstance(args, dict):
            problems.append(f"{where}: field '{loc}.arguments' must be an object")
            args = None
        if "name" in call and (not isinstance(name, str) or not name):
            problems.append(f"{where}: field '{loc}.name' must be a tool name")
            continue
        if not isinstance(name, str):
            continue
        served = served_name(kind, name)
        if served not in tools:
            known = sorted(n.removesuffix(TOOL_SUFFIX) if kind == "actions" else n for n in tools)
            problems.append(f"{where}: field '{loc}.name': no tool {served!r} in tools.json for {name!r} "
                            f"(known: {', '.join(known)})")
            continue
        if args is None:
            continue
        schema = tools[served]
        props = schema.get("properties")
        if isinstance(props, dict):
            problems += [f"{where}: field '{loc}.arguments.{a}': {served} takes no argument {a!r} "
                         f"(it takes {', '.join(props) or 'none'})" for a in args if a not in props]
        required = schema.get("required", [])
        if isinstance(required, list):
            problems += [f"{where}: field '{loc}.arguments.{r}' is missing ({served} requires it)"
                         for r in required if r not in args]
    return problems


def served_name(kind: str, name: str) -> str:
    """Golden actions name tools without the served suffix; searches already carry it."""
    return name + TOOL_SUFFIX if kind == "actions" and not name.endswith(TOOL_SUFFIX) else name


def entry_problems(position: int, entry: Any, tools: dict[str, dict[str, Any]]) -> list[str]:
    """What is structurally wrong with one task, each naming the task and the field."""
    where = _where(position, entry)
    if not isinstance(entry, dict):
        return [f"{where}: expected an object with keys {', '.join(FIELDS)}, found a {type(entry).__name__}"]
    problems = [f"{where}: field {key!r} is missing" for key in FIELDS if key not in entry]
    if "index" in entry and (not isinstance(entry["index"], int) or isinstance(entry["index"], bool)
                             or entry["index"] < 0):
        problems.append(f"{where}: field 'index' must be a non-negative integer, found {entry['index']!r}")
    for key in (*CONTEXT, "instruction"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            problems.append(f"{where}: field {key!r} must be a non-empty string, found {entry[key]!r}")
    if isinstance(entry.get("instruction"), str) and entry["instruction"].strip() and not intents(entry["instruction"]):
        problems.append(f"{where}: field 'instruction' has no intent (<意图一>…<\\意图一>)")
    if "metadata" not in entry:
        return problems
    meta = entry["metadata"]
    if not isinstance(meta, dict):
        return problems + [f"{where}: field 'metadata' must be an object with keys {', '.join(METADATA)}"]
    problems += [f"{where}: field 'metadata.{key}' is missing" for key in METADATA if key not in meta]
    for kind in ("actions", "searches"):
        if kind in meta:
            problems += _call_problems(where, kind, meta[kind], tools)
    outputs = meta.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(o, str) and o for o in outputs):
        problems.append(f"{where}: field 'metadata.outputs' must be a list of non-empty strings")
    return problems


# -- converting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    index: int
    relpath: str
    data: dict[str, Any]
    unrecognised: tuple[str, ...]  # persona dimensions left to the base persona
    link_ids: tuple[str, ...]  # product ids added to the goal (given only as links)
    has_image: bool


def _scenario(actions: list[str], searches: list[str]) -> str:
    """The first golden action's tool (else the first required search's), without the suffix."""
    first = actions[:1] or [name.removesuffix(TOOL_SUFFIX) for name in searches[:1]]
    return first[0] if first else "mixed"


def _description(first_intent: str) -> str:
    text = IMAGE_URL.sub("[图片]", first_intent)
    text = _URL.sub("[链接]", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1].rstrip() + "…"


def _needed_strings(calls: list[dict[str, Any]]) -> list[str]:
    out = []
    for call in calls:
        for value in call["arguments"].values():
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, (str, int)) and not isinstance(v, bool):
                    out.append(str(v))
    return out


def _query_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any] | None:
    """The same call with ``action: 查询`` and without the arguments only other actions take,
    or None when the tool has no query action."""
    props = schema.get("properties", {})
    if QUERY not in props.get("action", {}).get("enum", ()) or arguments.get("action") == QUERY:
        return None
    kept = {}
    for name, prop in props.items():
        only = _ONLY_FOR_ACTIONS.search(str(prop.get("description", "")))
        if only is not None and QUERY not in only.group(1):
            continue  # an argument of the other actions
        if name in arguments:
            kept[name] = arguments[name]
        elif only is not None and "必填" in prop.get("description", ""):
            return None  # the query needs what this call does not have (e.g. a new order's id)
    return kept | {"action": QUERY}


def lookups(entry: dict[str, Any], tools: dict[str, dict[str, Any]], orders: dict[str, Any]) -> list[dict[str, Any]]:
    """Reads the reference's agent makes to find ids, names and phones: not required (not scored),
    but what they return counts as what the agent can see.

    The user's record; the user's order ids (when the user has orders); each golden call's order
    read with ``manage_order_tool``'s query (its products' ids); and before each golden write of a
    tool with a query action, that query (e.g. the exchange options before an exchange).
    """
    context = {key: entry[key] for key in CONTEXT}
    mine = _walk_dict(orders, entry["platform"], entry["shop_id"], entry["user_id"])
    calls = entry["metadata"]["actions"] + entry["metadata"]["searches"]
    found: list[dict[str, Any]] = [{"get_user_info_tool": {"user_id": entry["user_id"]}}]
    if mine:
        found.append({"get_user_orders_info_tool": context})
    named = dict.fromkeys(str(c["arguments"]["order_id"]) for c in calls if "order_id" in c["arguments"])
    found += [{"manage_order_tool": context | {"action": QUERY, "order_id": order}} for order in named if order in mine]
    for call in entry["metadata"]["actions"]:
        name = served_name("actions", call["name"])
        query = _query_arguments(tools.get(name, {}), call["arguments"])
        if query is not None and ("order_id" not in query or str(query["order_id"]) in mine):  # not a new order
            found.append({name: query})
    unique = {json.dumps(call, ensure_ascii=False, sort_keys=True): call for call in found}
    return list(unique.values())


def refused_claims(meta: dict[str, Any]) -> list[str]:
    """The claims a refusal implies are false (see :data:`REFUSED_CLAIMS`): only for a task without
    golden actions, and only for the tools whose query it requires."""
    if meta["actions"]:
        return []
    queried = [c["name"] for c in meta["searches"] if c["arguments"].get("action") == QUERY]
    return list(dict.fromkeys(claim for name in queried for claim in REFUSED_CLAIMS.get(name, ())))


def _walk_dict(tree: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree if isinstance(tree, dict) else {}


def convert_entry(entry: dict[str, Any], tools: dict[str, dict[str, Any]], orders: dict[str, Any]) -> Converted:
    """One checked task → the task file's fields (in the order they are written)."""
    index = entry["index"]
    instruction = entry["instruction"]
    meta = entry["metadata"]
    actions = [{served_name("actions", c["name"]): dict(c["arguments"])} for c in meta["actions"]]
    searches = [{c["name"]: dict(c["arguments"])} for c in meta["searches"]]
    action_tools = [c["name"].removesuffix(TOOL_SUFFIX) for c in meta["actions"]]
    scenario = _scenario(action_tools, [c["name"] for c in meta["searches"]])
    overrides, unrecognised = persona_overrides(instruction)
    steps = intents(instruction)
    goal = goal_section(instruction)
    link_ids = ids_only_in_links(instruction, _needed_strings(meta["actions"] + meta["searches"]))
    if link_ids:
        goal += f"\n\n（商品链接中的商品ID：{'、'.join(link_ids)}）"
    has_image = bool(image_urls(instruction))
    tags = ["ecom_bench", *dict.fromkeys(action_tools)]
    if has_image:
        tags.append("has_image")
    customer: dict[str, Any] = {"persona": PERSONA}
    if overrides:
        customer["overrides"] = overrides
    customer["goal"] = goal
    customer["script"] = steps
    expect: dict[str, Any] = {}
    if actions:
        expect["actions"] = actions
    if searches:
        expect["searches"] = searches
    if meta["outputs"]:
        expect["outputs"] = list(meta["outputs"])
    forbidden = refused_claims(meta)
    if forbidden:
        expect["forbidden"] = forbidden
    expect["lookups"] = lookups(entry, tools, orders)
    data = {
        "schema_version": 1,
        "id": f"{ID_PREFIX}_{index:03d}",
        "scenario": f"{ID_PREFIX}_{scenario}",
        "language": "zh",
        "description": _description(steps[0]),
        "tags": tags,
        "orientation": "customer",
        "store": STORE,
        "customer": customer,
        "agent": {key: entry[key] for key in CONTEXT},
        "expect": expect,
    }
    relpath = f"{index:03d}_{scenario}{TASK_SUFFIX}"
    return Converted(index, relpath, data, tuple(unrecognised), tuple(link_ids), has_image)


def replay_problems(entries: list[dict[str, Any]], tables: dict[str, dict[str, Any]]) -> list[str]:
    """Each task's golden actions, replayed in order by our ``ecom_bench`` tools on the folder's data."""
    from pytest_ecom.domains.ecom_bench import DOMAIN  # the tools only: the data is the folder's

    tools = ToolSet(DOMAIN.tools)
    problems = []
    for i, entry in enumerate(entries):
        store = Store(tables)
        for j, call in enumerate(entry["metadata"]["actions"]):
            name = served_name("actions", call["name"])
            field_ = f"{_where(i, entry)}: field 'metadata.actions[{j}]': {name}"
            try:
                result = tools.call(store, name, call["arguments"])
            except Exception as exc:  # data our tools cannot read (a record missing a field, ...)
                problems.append(f"{field_} cannot run on the data in data/: {type(exc).__name__}: {exc}")
                break
            if not result.ok:
                problems.append(f"{field_} fails on the data: {result.error}")
    return problems


def confirm_changes(data: dict[str, Any], tables: dict[str, dict[str, Any]]) -> None:
    """Give the scripted customer a confirming line wherever the oracle, following the procedure,
    lists a change and asks (the reference's policy: 变更操作需用户确认)."""
    from pytest_ecom.domains.ecom_bench import DOMAIN  # the tools only: the data is the folder's

    tools = ToolSet(DOMAIN.tools)
    expect = data["expect"]

    def normalised(kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(name, tools[name].normalize(args)) for call in expect.get(kind, []) for name, args in call.items()]

    reads = normalised("lookups") + normalised("searches")
    customer = data["customer"]
    customer["script"] = with_confirmations(customer["script"], data["agent"], reads, normalised("actions"), tools,
                                            DOMAIN.consequential, tables, CONFIRM_LINES["zh"])


def convert(entries: list[Any], tools: dict[str, dict[str, Any]],
            tables: dict[str, dict[str, Any]]) -> list[Converted]:
    """Every task converted and validated as a :class:`Task`, or :class:`BadInput` listing every
    structural problem and every golden action that fails on the data."""
    problems = [p for i, entry in enumerate(entries) for p in entry_problems(i, entry, tools)]
    seen: dict[int, int] = {}
    for i, entry in enumerate(entries):
        index = entry.get("index") if isinstance(entry, dict) else None
        if isinstance(index, int) and not isinstance(index, bool):
            if index in seen:
                problems.append(f"{_where(i, entry)}: field 'index': {index} is also the index of task [{seen[index]}]")
            seen.setdefault(index, i)
    if problems:
        raise BadInput(problems)
    problems = replay_problems(entries, tables)
    converted = []
    for i, entry in enumerate(entries):
        task = convert_entry(entry, tools, tables["orders"])
        if not problems:  # the golden writes run on the data: the customer can confirm them
            confirm_changes(task.data, tables)
        problem = model_problem(Task, task.data, _where(i, entry), "task")
        if problem:
            problems.append(problem)
        converted.append(task)
    if problems:
        raise BadInput(problems)
    return converted


def render(task: Converted) -> str:
    header = (f"# Imported from {BENCHMARK} tasks.json, index {task.index} (Apache-2.0), by "
              "`pytest-ecom import ecom-bench`.\n")
    return header + dump_yaml(task.data)


@dataclass
class EcomBenchResult:
    out: Path
    written: int = 0  # task files the input yields
    unchanged: int = 0  # of those, files that already held exactly these bytes (left alone)
    by_scenario: dict[str, int] = field(default_factory=dict)
    checks_nothing: list[str] = field(default_factory=list)  # task ids with no actions, searches or outputs
    no_actions: list[str] = field(default_factory=list)  # task ids without golden actions
    with_outputs: int = 0
    with_images: int = 0
    link_ids: int = 0  # tasks whose goal got the product ids of its links
    unrecognised: dict[str, int] = field(default_factory=dict)  # dimension → tasks left to the base persona


def import_ecom_bench(folder: Path, out: Path) -> EcomBenchResult:
    """Convert the benchmark in ``folder`` and write one task file per task under ``out``
    (all or nothing)."""
    entries, tools, tables = read_folder(folder)
    try:
        converted = convert(entries, tools, tables)
    except BadInput as exc:
        raise BadInput([f"{folder / 'tasks.json'}: {problem}" for problem in exc.problems]) from None
    files = {c.relpath: render(c) for c in converted}
    _, unchanged = write_files(out, files)
    result = EcomBenchResult(out, written=len(files), unchanged=unchanged)
    result.by_scenario = dict(Counter(c.data["scenario"] for c in converted))
    result.checks_nothing = [c.data["id"] for c in converted if not set(METADATA) & set(c.data["expect"])]
    result.no_actions = [c.data["id"] for c in converted if "actions" not in c.data["expect"]]
    result.with_outputs = sum(1 for c in converted if "outputs" in c.data["expect"])
    result.with_images = sum(1 for c in converted if c.has_image)
    result.link_ids = sum(1 for c in converted if c.link_ids)
    result.unrecognised = dict(Counter(d for c in converted for d in c.unrecognised))
    return result


def summary(result: EcomBenchResult) -> str:
    """What the command prints."""
    lines = [f"{result.written} task(s) written to {result.out}"
             + (f" ({result.unchanged} unchanged)" if result.unchanged else "")]
    if result.by_scenario:
        lines.append("  by scenario: " + ", ".join(f"{s.removeprefix(ID_PREFIX + '_')} {n}"
                                                  for s, n in sorted(result.by_scenario.items())))
    lines.append(f"  {result.with_images} with an image URL (tag has_image), {result.with_outputs} with required "
                 f"outputs, {result.link_ids} with product ids from links added to the goal")
    if result.no_actions:
        lines.append(f"  {len(result.no_actions)} without golden actions (no state change expected): "
                     + ", ".join(result.no_actions))
    if result.checks_nothing:
        lines.append(f"{len(result.checks_nothing)} check nothing (no actions, searches or outputs; "
                     "`pytest-ecom validate` refuses them): " + ", ".join(result.checks_nothing))
    if result.unrecognised:
        lines.append("persona values not recognised (left to the base persona): "
                     + ", ".join(f"{d} {n}" for d, n in sorted(result.unrecognised.items())))
    return "\n".join(lines)
