"""Spec → prepared task: the task checked against its domain, before any model is called.

Every problem is a :class:`SpecError` naming the file, the line and the fix:
unknown store, persona or tool; a golden call that fails when replayed; a
write task whose expected state equals the initial state; a task that checks
nothing; a golden call needing a value that neither the customer's goal and
script, the agent's context nor a required search can supply; a required phrase
with a digit that nothing the agent sees holds (nor the policy); a forbidden
phrase that a required one contains.
The expected state (base + golden actions) is computed here, once per task.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_ecom.domains import Domain, load_domain
from pytest_ecom.spec.paths import code_stamp, file_stamps
from pytest_ecom.scoring import check_outputs, check_searches, check_state
from pytest_ecom.scoring.checks import says
from pytest_ecom.spec import SpecError, Task, call_parts, load_persona, load_task, needs_confirmation
from pytest_ecom.spec.loader import find_persona_file
from pytest_ecom.tools.dates import is_iso_day
from pytest_ecom.prepare.spec_cache import Entry, SpecCache
from pytest_ecom.spec.models import Persona, PersonaDimensions
from pytest_ecom.spec.yaml_io import line_of
from pytest_ecom.store import Store
from pytest_ecom.tools.visible import Seen, unseen
from pytest_ecom.models.vision import IMAGE_TABLE, image_urls

CallSpec = tuple[str, dict[str, Any]]


@dataclass(frozen=True, eq=False)
class PreparedTask:
    """A task ready to run: its domain, normalised golden calls, persona and expected state.

    ``task``, ``persona`` and ``expected`` are built when first used: collecting a cached,
    already-checked task needs none of them.
    """

    id: str
    tags: tuple[str, ...]
    path: Path
    digest: str  # sha256 of the file: identifies this version of the task
    domain: Domain
    searches: tuple[CallSpec, ...]
    actions: tuple[CallSpec, ...]
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def record_fields(self) -> dict[str, Any]:
        t = self.task
        return {"kind": "task", "scenario": t.scenario, "store": t.store, "orientation": t.orientation,
                "stage": "end_to_end", "task_type": "conversation", "tags": list(t.tags),
                "persona": t.customer.persona}

    @property
    def task(self) -> Task:
        """The task model (a task from the cache of checked specs is parsed when first used)."""
        if "task" not in self._memo:
            self._memo["task"] = load_task(self.path)
        return self._memo["task"]

    @property
    def lookups(self) -> tuple[CallSpec, ...]:
        """The task's lookups, normalised: reads that find the values its golden calls need."""
        if "lookups" not in self._memo:
            tools = self.domain.tools
            self._memo["lookups"] = tuple((name, tools[name].normalize(args))
                                          for name, args in map(call_parts, self.task.expect.lookups))
        return self._memo["lookups"]

    @property
    def unconfirmed(self) -> tuple[CallSpec, ...]:
        """The golden writes that opted out of the confirming turn (``confirm: false``)."""
        return tuple(call for call, spec in zip(self.actions, self.task.expect.actions) if not needs_confirmation(spec))

    @property
    def golden_calls(self) -> int:
        """Tool calls on the golden path: the lookups, searches and actions."""
        return len(self.lookups) + len(self.searches) + len(self.actions)

    @property
    def max_tool_calls(self) -> int:
        """The trial's tool budget: ``limits.max_tool_calls``, else generous room around the golden path."""
        given = self.task.limits.max_tool_calls
        return given if given is not None else budget_for(self.golden_calls)

    @property
    def persona(self) -> Persona:
        """The customer's persona with the task's overrides applied."""
        if "persona" not in self._memo:
            self._memo["persona"] = _persona(self.path, self.task)
        return self._memo["persona"]

    def new_store(self) -> Store:
        """A fresh store for a trial of this task: the domain's, with the task's image notes."""
        if "base" not in self._memo:
            self._memo["base"] = task_base(self.domain, self.task)
        return Store(self._memo["base"])

    @property
    def expected(self) -> Store:
        """The base with the golden actions replayed."""
        if "expected" not in self._memo:
            store = self.new_store()
            for name, args in self.actions:
                self.domain.tools.call(store, name, args)
            self._memo["expected"] = store
        return self._memo["expected"]


BUDGET_FACTOR, BUDGET_MARGIN = 3, 10  # the default tool budget: 3 × the golden calls + 10


def budget_for(golden_calls: int) -> int:
    return BUDGET_FACTOR * golden_calls + BUDGET_MARGIN


def task_base(domain: Domain, task: Task) -> dict[str, dict[str, Any]]:
    """The domain's base tables, plus the task's ``images`` as records of the image table."""
    if not task.images:
        return domain.base
    return {**domain.base, IMAGE_TABLE: {**domain.base.get(IMAGE_TABLE, {}), **task.images}}


def _err(path: Path, loc: list[str | int], message: str, fix: str) -> SpecError:
    return SpecError(path, line_of(path, loc), message, fix)


def _resolve_calls(path: Path, task: Task, domain: Domain, kind: str) -> tuple[CallSpec, ...]:
    calls = getattr(task.expect, kind)
    out = []
    for i, call in enumerate(calls):
        name, args = call_parts(call)
        loc: list[str | int] = ["expect", kind, i]
        if name not in domain.tools:
            close = difflib.get_close_matches(name, domain.tools.names(), n=1, cutoff=0.8)
            hint = f"did you mean {close[0]}? otherwise " if close else ""
            raise _err(path, loc, f"unknown tool {name!r} in store {domain.name!r}",
                       f"{hint}use one of: {', '.join(domain.tools.names())}")
        tool = domain.tools[name]
        if kind == "actions" and not tool.writes:
            raise _err(path, loc, f"{name} only reads; expect.actions lists calls that change the store",
                       "move it to expect.searches")
        checked = tool.check(args)  # one pass: the arguments as the tool runs them, and its refusals
        normalised, problems = checked.arguments, checked.problems
        if problems:
            raise _err(path, loc, f"{name}: invalid arguments: {'; '.join(problems)}",
                       "match the tool's argument schema (`pytest-ecom tools " + domain.name + "`)")
        if kind != "actions" and tool.writes and _writes(domain, name, normalised):
            # A tool that can write may still only read in this call (e.g. action: query).
            raise _err(path, loc, f"{name} changes the store here; expect.{kind} lists calls that only read",
                       "move it to expect.actions")
        if kind == "actions" and not needs_confirmation(call) and name not in domain.consequential:
            raise _err(path, loc, f"{name} needs no confirmation in store {domain.name!r}: `confirm: false` "
                       "changes nothing here", "remove `confirm: false` and `confirm_reason` from this action")
        out.append((name, normalised))
    return tuple(out)


def _writes(domain: Domain, name: str, args: dict[str, Any]) -> bool:
    """Whether this call changes a fresh store (a failing call is reported when replayed)."""
    probe = domain.new_store()
    domain.tools.call(probe, name, args)
    return bool(probe.changed())


_VALUE_FIX = ("mention it in customer.goal/script, put it in agent context, or add a required search or a lookup "
              "whose result contains it")
_DATE_FIX = ("let the customer say the date in customer.goal/script, as e.g. 'March 20th', '20 March 2026', "
             "'3月20日' or '2026-03-20' (a date without a year is in the store's today's year), or put it in "
             "agent context")


def _replay(path: Path, task: Task, domain: Domain, base: dict[str, dict[str, Any]],
            lookups: tuple[CallSpec, ...], searches: tuple[CallSpec, ...], actions: tuple[CallSpec, ...],
            results: list[str] | None = None) -> Store:
    """Replay lookups, searches and actions; check each succeeds and its values are obtainable.

    Each call's result is appended to ``results`` (what the golden path shows the agent)."""
    # As if searched in one text: the goal, the script and the agent context, then each call's result.
    # "March 20th" supplies date='2026-03-20' (tool arguments and results are ISO)
    seen = Seen([_given(task)], domain.today)
    store = Store(base)
    for kind, calls in (("lookups", lookups), ("searches", searches), ("actions", actions)):
        for i, (name, args) in enumerate(calls):
            loc: list[str | int] = ["expect", kind, i]
            for arg, value in unseen(domain.tools[name], args, seen)[:1]:
                raise _err(path, loc, f"{name} needs {arg}={value!r}, but nothing the agent can see supplies it",
                           _DATE_FIX if isinstance(value, str) and is_iso_day(value) else _VALUE_FIX)
            result = domain.tools.call(store, name, args)
            if not result.ok:
                raise _err(path, loc, f"golden call {name} fails when replayed: {result.error}",
                           "fix the arguments or the order of expect.searches/actions, or the fixture")
            seen.add(result.content)
            if results is not None:
                results.append(result.content)
    return store


def _given(task: Task) -> str:
    """What the task itself puts before the agent: the customer's goal and script, the agent context."""
    return "\n".join([task.customer.goal, *task.customer.script, *task.agent.values()])


# The ASCII tokens of a text that carry a digit: an amount (12.50), a date (2026-03-20), an id or a
# code (INV-100211, SS40310422), a count ("7" of "7 days"). Letters around CJK text are cut off by
# the class itself, so "满300减50" gives 300 and 50.
_DIGIT_TOKEN = re.compile(r"[A-Za-z0-9]*[0-9][A-Za-z0-9]*(?:[-.:/][A-Za-z0-9]+)*")


_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def _number(token: str) -> str | None:
    """One spelling of a plain number (12, 12.0 and 12.00 are one amount), or None."""
    try:
        value = float(token)
    except ValueError:
        return None
    return repr(value) if value == value and abs(value) != float("inf") else None


def _tokens(text: str) -> set[str]:
    """The digit tokens of a text, their parts (the year of 2027-02-18) and their numbers' spellings."""
    found = {t.casefold() for t in _DIGIT_TOKEN.findall(text)}
    found |= {part for t in found for part in re.split(r"[-:/]", t) if part}
    return found | {n for t in found if (n := _number(t)) is not None}


def _check_phrases(path: Path, task: Task, domain: Domain, results: list[str]) -> None:
    """Required phrases with a digit must be grounded; forbidden ones must not be required.

    A required amount, date, id, code or count is something the agent has to find: if neither a
    golden call's result, the policy, the customer's goal and script nor the agent context holds it,
    only an agent told the answer could say it (an impossible phrase, or one that contradicts the
    golden actions). The same idea as the check of golden-call arguments above, for phrases.
    """
    expect = task.expect
    spoken = " ".join(" ".join(p.split()).casefold() for p in expect.outputs)
    for i, phrase in enumerate(expect.forbidden):
        if says(spoken, phrase):
            raise _err(path, ["expect", "forbidden", i],
                       f"forbidden phrase {phrase!r} is part of the required phrases: no reply can pass",
                       "remove it from expect.forbidden, or reword the required phrase in expect.outputs")
    if any(url not in task.images for url in image_urls(_given(task))):
        return  # an image the task does not describe may show any number: only a vision model knows
    visible: set[str] | None = None
    for i, phrase in enumerate(expect.outputs):
        # "20th" of "March 20th" is the day 20 (tool results write dates as 2026-03-20)
        needed = {_ORDINAL.sub(r"\1", t.casefold()) for t in _DIGIT_TOKEN.findall(phrase)}
        if not needed:
            continue
        if visible is None:  # most phrases carry no digit: read the texts only when one does
            visible = set().union(*map(_tokens, [_given(task), domain.policy, *task.images.values(), *results]))
        missing = sorted(t for t in needed if t not in visible and _number(t) not in visible)
        if missing:
            raise _err(path, ["expect", "outputs", i],
                       f"required phrase {phrase!r} contains {', '.join(map(repr, missing))}, but nothing the agent "
                       "can see holds it: no golden call's result, the store's policy, the customer's goal or "
                       "script, nor the agent context",
                       "fix the phrase if it contradicts the golden actions; otherwise add the search or lookup "
                       "whose result shows it, or say it in customer.goal/script or agent context")


def _persona(path: Path, task: Task) -> Persona:
    try:
        base = load_persona(task.customer.persona, path.parent)
    except LookupError:
        raise _err(path, ["customer", "persona"], f"unknown persona {task.customer.persona!r}",
                   f"add personas/{task.customer.persona}.yaml or use an existing persona id") from None
    if task.customer.overrides == _NO_OVERRIDES:
        return base
    return base.model_copy(update=task.customer.overrides.model_dump(exclude_none=True))


_NO_OVERRIDES = PersonaDimensions()


def _domain(path: Path, task: Task) -> Domain:
    try:
        return load_domain(task.store, path.parent)
    except LookupError as exc:
        raise _err(path, ["store"], str(exc), "fix `store:` or add the domain's fixture") from None


def prepare(task: Task, path: Path) -> PreparedTask:
    """Check ``task`` (loaded from ``path``) against its domain and compute its expected state."""
    if not task.checks_something:
        raise _err(path, ["expect"], "the task checks nothing: no actions, searches, outputs or state",
                   "add expect.actions (writes), expect.searches (required reads) or expect.outputs (phrases)")
    domain = _domain(path, task)
    persona = _persona(path, task)
    lookups = _resolve_calls(path, task, domain, "lookups")
    searches = _resolve_calls(path, task, domain, "searches")
    actions = _resolve_calls(path, task, domain, "actions")
    base = task_base(domain, task)  # one object: stores compare by overlay only on the same base
    results: list[str] = []
    expected = _replay(path, task, domain, base, lookups, searches, actions, results)
    _check_phrases(path, task, domain, results)
    if actions and not expected.changed():
        raise _err(path, ["expect", "actions"], "replaying the golden actions leaves the store unchanged",
                   "a task whose right outcome is no write should list no actions (check searches/outputs instead)")
    bad = check_state(expected, expected, task.expect.state)
    if not bad.passed:
        raise _err(path, ["expect", "state"], f"the expected state contradicts expect.state: {bad.problems[0]}",
                   "fix the assertion or the golden actions")
    idle = [check_state(Store(base), expected, task.expect.state, explain=False),
            check_searches(searches, [], domain.tools), check_outputs(task.expect.outputs, [])]
    if all(d.passed is not False for d in idle):
        raise _err(path, ["expect"], "an agent that does nothing would pass this task",
                   "require a search or a phrase, or an action that changes the store")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return PreparedTask(task.id, tuple(task.tags), path, digest, domain, searches, actions,
                        {"task": task, "persona": persona, "base": base, "expected": expected})


def _depends(store: str, persona_id: str, path: Path) -> tuple[Any, ...]:
    """Stamps of everything the checks of a task read besides its own file.

    Read once per process and file (collection asks for every task): a run does not
    expect its stores or personas to change while it collects.
    """
    persona = find_persona_file(persona_id, path.parent)
    return (code_stamp(), load_domain(store, path.parent).stamp, _stamp_once(persona))


_STAMPS: dict[Path | None, Any] = {None: ()}


def forget_dependency_stamps() -> None:
    """A new run (e.g. a second pytest.main in one process) must look at stores and personas again."""
    _STAMPS.clear()
    _STAMPS[None] = ()


def _stamp_once(path: Path | None) -> Any:
    if path not in _STAMPS:
        _STAMPS[path] = file_stamps([path])  # type: ignore[list-item]
    return _STAMPS[path]


def _from_cache(entry: Entry, path: Path) -> PreparedTask | None:
    """The prepared task of a cache entry whose checks still hold, without running them again."""
    try:
        if entry.depends != _depends(entry.store, entry.persona, path):
            return None
        domain = load_domain(entry.store, path.parent)
        return PreparedTask(entry.id, entry.tags, path, entry.digest, domain, entry.searches, entry.actions)
    except (LookupError, SpecError):
        return None  # something it relies on moved: check the file again


_MEMO: dict[Path, tuple[tuple[int, int], PreparedTask]] = {}


def load_prepared(path: Path, cache: SpecCache | None = None) -> PreparedTask:
    """Load, validate and prepare a task file once per process (again when it changes).

    With a :class:`SpecCache`, a file whose checks passed in an earlier run and whose
    inputs are unchanged is not parsed or checked again.
    """
    path = Path(os.path.abspath(path))
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    memo = _MEMO.get(path)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    entry = cache.get(path) if cache is not None else None
    prepared = _from_cache(entry, path) if entry is not None and entry.stamp == stamp else None
    if prepared is None:
        prepared = prepare(load_task(path), path)
        if cache is not None:
            task = prepared.task
            cache.put(path, Entry(stamp, _depends(task.store, task.customer.persona, path), prepared.digest,
                                  task.id, prepared.tags, task.store, task.customer.persona,
                                  prepared.searches, prepared.actions))
    _MEMO[path] = (stamp, prepared)
    return prepared

