"""Per-model caps on model calls, shared by every process of a run, and backing off on HTTP 429.

``--ecom-rate-limit openai/gpt-4o=500/min,inflight=32`` caps that model's requests (every attempt,
retries too) at 500 a minute and 32 in flight, over all xdist workers together:

- **rate**: requests start at least ``1/rate`` apart (no bursts), so no window of ``w`` seconds
  ever holds more than ``w * rate + 1`` of them. The run keeps one small file per model holding
  the time the next request may start (the "theoretical arrival time" of the generic cell rate
  algorithm); a request takes its turn under an exclusive lock of that file, moves the time on by
  ``1/rate`` and sleeps until its turn — one lock per request, no polling.
- **in flight**: ``inflight`` slot files per model; a request holds an exclusive ``flock`` on one of
  them while it waits on the provider. A crashed process's slots are freed by the OS.
- **429**: a rate-limited answer cuts this process's in-flight cap for the model in half (once per
  burst: only a request that started after the last cut cuts again); each run of ``cap`` answers
  that come back fine raises it by one again, up to the configured cap (or, for a model without
  one, until it is no longer smaller than when it was first cut). A ``Retry-After`` pushes the
  model's next start time on, so every process pauses, not only the one that was told.

Without a shared folder (a script, or a run without ``--ecom-rate-limit``), the same rules hold
inside the process. No file is touched for a model without a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - elsewhere the caps hold within each process only
    fcntl = None  # type: ignore[assignment]

ANY_MODEL = "*"
UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
SLOT_POLL_S = 0.02  # how often a request waiting for another process's slot looks again


class LimitSyntaxError(ValueError):
    """A ``--ecom-rate-limit`` value that cannot be read."""


@dataclass(frozen=True)
class ModelLimit:
    model: str  # as the run names it (``openai/gpt-4o``), or ``*`` for every model without its own
    per_second: float | None = None  # requests started per second
    inflight: int | None = None  # requests waiting on the provider at once

    def describe(self) -> str:
        parts = []
        if self.per_second is not None:
            per_minute = self.per_second * 60
            parts.append(f"{per_minute:g}/min")
        if self.inflight is not None:
            parts.append(f"inflight={self.inflight}")
        return f"{self.model}={','.join(parts)}"


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*$")


def parse_limit(text: str) -> ModelLimit:
    """``MODEL=RATE/UNIT[,inflight=N]`` or ``MODEL=inflight=N`` (UNIT: s, min or h)."""
    model, sep, rest = text.partition("=")
    model = model.strip()
    if not sep or not model or not rest.strip():
        raise LimitSyntaxError(f"{text!r}: expected MODEL=RATE/UNIT[,inflight=N], e.g. openai/gpt-4o=500/min,inflight=32")
    per_second: float | None = None
    inflight: int | None = None
    for part in rest.split(","):
        key, eq, value = part.partition("=")
        if eq:
            if key.strip() != "inflight":
                raise LimitSyntaxError(f"{text!r}: unknown setting {key.strip()!r} (only inflight=N)")
            try:
                inflight = int(value)
            except ValueError:
                raise LimitSyntaxError(f"{text!r}: inflight must be a whole number, not {value!r}") from None
            if inflight < 1:
                raise LimitSyntaxError(f"{text!r}: inflight must be at least 1")
            continue
        found = _RATE.match(part.lower())
        if not found or found.group(2) not in UNITS:
            raise LimitSyntaxError(f"{text!r}: {part.strip()!r} is not a rate like 500/min (units: s, min, h)")
        count = float(found.group(1))
        if count <= 0:
            raise LimitSyntaxError(f"{text!r}: the rate must be above 0")
        per_second = count / UNITS[found.group(2)]
    return ModelLimit(model, per_second, inflight)


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model)[:40] + "-" + hashlib.sha256(model.encode()).hexdigest()[:10]


class _Ticket:
    """One request's place: when it started (to tell which 429s belong to one burst)."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = 0.0


class Limiter:
    """The caps of one model in this process (see the module's docstring)."""

    def __init__(self, limit: ModelLimit | None, folder: Path | None = None) -> None:
        self.limit = limit
        self._lock = threading.Lock()  # a vision tool calls from a thread of its own
        self.in_flight = 0
        self.ceiling = limit.inflight if limit is not None else None
        self.cap: int | None = self.ceiling  # the adaptive cap, None for no cap
        self._cut_from: int | None = None  # a model without a ceiling: the cap it recovers to
        self._last_cut = 0.0
        self._fine = 0  # answers fine since the cap last moved
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._next_start = 0.0  # in-process clock of the rate (without a folder)
        shared = folder is not None and fcntl is not None and limit is not None
        self._clock_file = folder / f"{_slug(limit.model)}.next" if shared and limit is not None else None
        self._slots = ([folder / f"{_slug(limit.model)}.slot{i}" for i in range(limit.inflight)]
                       if shared and limit is not None and limit.inflight and folder is not None else [])
        self.throttles = 0  # 429s seen (for the tests and the curious)

    # in-process room -------------------------------------------------------------------------
    def _room(self) -> bool:
        return self.cap is None or self.in_flight < self.cap

    async def _enter(self) -> None:
        while True:
            with self._lock:
                if self._room() and not self._waiters:
                    self.in_flight += 1
                    return
                loop = asyncio.get_running_loop()
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            try:
                await waiter  # woken with its place already taken (see _wake)
                return
            except asyncio.CancelledError:
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))
                    else:  # its place was taken for it as it was cancelled: give the place back
                        self.in_flight -= 1
                        self._wake_locked()
                raise

    def _wake_locked(self) -> None:
        while self._waiters and self._room():
            loop, waiter = self._waiters.popleft()
            if loop.is_closed():
                continue
            self.in_flight += 1
            loop.call_soon_threadsafe(_settle, waiter)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self._wake_locked()

    # shared slots and clock ------------------------------------------------------------------
    async def _take_slot(self) -> int:
        """An exclusive lock on one of the model's slot files (any process's free one)."""
        first = int.from_bytes(os.urandom(2), "big")  # spread processes over the slots
        while True:
            for n in range(len(self._slots)):
                path = self._slots[(first + n) % len(self._slots)]
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                return fd
            await asyncio.sleep(SLOT_POLL_S)

    def _turn(self, pause_until: float | None = None) -> float:
        """Take this request's turn (or, with ``pause_until``, only push the clock on); returns
        the seconds to wait before starting."""
        step = 1.0 / self.limit.per_second if self.limit is not None and self.limit.per_second else 0.0
        if self._clock_file is None:
            with self._lock:
                return self._advance_local(step, pause_until)
        fd = os.open(self._clock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            text = os.pread(fd, 64, 0).decode(errors="replace").strip()
            try:
                next_start = float(text) if text else 0.0
            except ValueError:
                next_start = 0.0
            now = time.time()  # one clock for every process of the machine
            start = max(next_start, now)
            if pause_until is not None:
                new, wait = max(next_start, pause_until), 0.0
            else:
                new, wait = start + step, start - now
            if new != next_start:
                data = repr(new).encode()
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
            return wait
        finally:
            os.close(fd)  # releases the lock

    def _advance_local(self, step: float, pause_until: float | None) -> float:
        now = time.time()
        if pause_until is not None:
            self._next_start = max(self._next_start, pause_until)
            return 0.0
        start = max(self._next_start, now)
        self._next_start = start + step
        return start - now

    # the request -----------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[_Ticket]:
        """Wait for room (in this process, then across processes) and for the rate's turn; the
        body is one request to the provider."""
        ticket = _Ticket()
        await self._enter()
        slot = None
        try:
            if self._slots:
                slot = await self._take_slot()
            wait = self._turn()
            if wait > 0:
                await asyncio.sleep(wait)
            ticket.started = time.monotonic()
            yield ticket
        finally:
            if slot is not None:
                os.close(slot)  # releases the slot's lock
            self._leave()

    def throttled(self, ticket: _Ticket, retry_after: float | None) -> None:
        """A 429 for a request: cut the cap (once per burst) and pause the model if it was asked."""
        with self._lock:
            self.throttles += 1
            if ticket.started >= self._last_cut:
                current = self.cap if self.cap is not None else max(1, self.in_flight + 1)
                if self._cut_from is None and self.ceiling is None:
                    self._cut_from = current
                self.cap = max(1, current // 2)
                self._last_cut = time.monotonic()
                self._fine = 0
        if retry_after is not None and retry_after > 0:
            self._turn(pause_until=time.time() + retry_after)

    def succeeded(self) -> None:
        """An answer came back: after ``cap`` of them in a row, one more may be in flight."""
        with self._lock:
            if self.cap is None:
                return
            self._fine += 1
            if self._fine >= self.cap:
                self._fine = 0
                self.cap += 1
                target = self.ceiling if self.ceiling is not None else self._cut_from
                if target is not None and self.cap >= target:
                    self.cap = self.ceiling  # back to the configured cap, or to none
                    self._cut_from = None
                self._wake_locked()


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Limits:
    """The limiters of a process's models, made on first use."""

    def __init__(self, limits: Iterable[ModelLimit] = (), folder: Path | None = None) -> None:
        self.by_model = {limit.model: limit for limit in limits}
        self.folder = folder
        self._limiters: dict[str, Limiter] = {}
        self._lock = threading.Lock()

    def limiter(self, model: str) -> Limiter:
        with self._lock:
            found = self._limiters.get(model)
            if found is None:
                limit = self.by_model.get(model) or self.by_model.get(ANY_MODEL)
                if limit is not None and limit.model == ANY_MODEL:
                    limit = ModelLimit(model, limit.per_second, limit.inflight)  # each model its own caps
                found = self._limiters[model] = Limiter(limit, self.folder)
            return found
