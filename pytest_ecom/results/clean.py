"""Making a record safe to keep: whatever an agent, a customer, a tool or a provider said.

Every string of a record passes through :func:`clean` before the record leaves the runner, so
the log, the JSON report, the HTML page, junit XML and the terminal all get the same safe text:

- a lone surrogate (``"\\ud83d"``, text no UTF-8 file can hold) is written as its escape;
- control characters other than tab, newline and carriage return are written as ``\\xNN``;
- a string longer than :data:`MAX_TEXT` characters is cut, saying how much was left out;
- nesting deeper than :data:`MAX_DEPTH` levels is replaced by a note;
- secrets are redacted: the value of every environment variable whose name says it holds one
  (``*KEY*``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``) and anything shaped like an API key or a
  bearer token, so a provider that echoes the key back leaks it nowhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 100_000  # characters of one string kept in a record (a 10 MB reply is cut here)
MAX_DEPTH = 32  # nesting levels kept in a record (a record's own shape needs about 8)
REDACTED = "[redacted]"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)
_SECRET_SHAPES = re.compile(
    r"(?:\b(?:sk|pk|rk|ghp|gho|xox[abp])[-_][A-Za-z0-9_\-]{12,})"  # provider API keys: sk-..., ghp_..., xoxb-...
    r"|(?:(?<=Bearer )[A-Za-z0-9._~+/=\-]{8,})"  # Authorization: Bearer <token>
    r"|(?:\bAIza[0-9A-Za-z_\-]{30,})",  # Google API keys
)
_MIN_SECRET = 8  # shorter environment values (e.g. "1", "true") are not treated as secrets


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of the environment variables whose names say they hold a secret, longest first.

    Reading ``os.environ`` costs more than cleaning a record, so its answer is kept until
    :func:`forget_secrets` (the plugin calls it as each pytest session starts)."""
    if environ is None and _SECRETS:
        return _SECRETS[0]
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if len(v) >= _MIN_SECRET and _SECRET_NAME.search(k)}
    values = tuple(sorted(found, key=len, reverse=True))
    if environ is None:
        _SECRETS[:] = [values]
    return values


_SECRETS: list[tuple[str, ...]] = []


def forget_secrets() -> None:
    """Read the environment's secrets afresh on the next record (its variables may have changed)."""
    _SECRETS.clear()
    _MEMO.clear()
    _MEMO_FOR[0] = None


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` without the environment's secrets and anything shaped like a key or token."""
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    return _SECRET_SHAPES.sub(REDACTED, text)


def clean_text(text: str, secrets: tuple[str, ...] | None = None) -> str:
    if len(text) < _MIN_SECRET and text.isascii() and text.isprintable():
        return text  # the commonest case (keys, roles, ids): nothing to cut, escape or redact
    if len(text) <= _MEMO_TEXT:
        # A trial's record repeats most of its strings (keys, tool results, the policy), and so do the
        # trials of a task: each distinct text is cleaned once per set of secrets. Records keep every
        # trial's whole trajectory, so this is most of what cleaning a record costs.
        if secrets is None:
            secrets = secret_values()
        if _MEMO_FOR[0] is not secrets:
            _MEMO.clear()
            _MEMO_FOR[0] = secrets
        found = _MEMO.get(text)
        if found is None:
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.clear()
            found = _MEMO[text] = _clean_text(text, secrets)
        return found
    return _clean_text(text, secrets)


_MEMO_TEXT = 8192  # longer texts are rare and seldom repeat: cleaned each time
_MEMO_SIZE = 20_000  # distinct texts remembered (a few MB at most)
_MEMO: dict[str, str] = {}
_MEMO_FOR: list[tuple[str, ...] | None] = [None]  # the secrets the memo was made with


def _clean_text(text: str, secrets: tuple[str, ...] | None = None) -> str:
    if len(text) > MAX_TEXT:
        text = f"{text[:MAX_TEXT]}… [{len(text) - MAX_TEXT} more characters cut]"
    if not (text.isascii() and text.isprintable()):  # the common case has neither surrogates nor controls
        if _SURROGATE.search(text):
            text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        if _CONTROL.search(text):
            text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) < _MIN_SECRET:  # too short to hold a key or a token
        return text
    return redact(text, secrets)


def clean(value: Any, secrets: tuple[str, ...] | None = None, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` (see the module's docstring); keys are cleaned like values."""
    if secrets is None:
        secrets = secret_values()
    if isinstance(value, str):
        return clean_text(value, secrets)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):  # a huge one could not even be written (Python's 4,300-digit limit)
        return value if value.bit_length() <= 64 else f"[an integer of {value.bit_length()} bits: not kept]"
    if depth >= MAX_DEPTH:
        return f"[nested deeper than {MAX_DEPTH} levels: not kept]"
    if isinstance(value, Mapping):
        return {clean_text(str(k), secrets): clean(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, secrets, depth + 1) for v in value]
    return clean_text(safe_str(value), secrets)


def safe_str(value: Any) -> str:
    """``str(value)``, or a description of it when its ``__str__`` itself fails."""
    try:
        return str(value)
    except BaseException:  # noqa: BLE001 - whatever a hostile object raises, its type still describes it
        try:
            return f"<{type(value).__name__} whose str() failed>"
        except BaseException:  # noqa: BLE001
            return "<an object whose str() failed>"
