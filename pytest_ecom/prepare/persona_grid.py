"""Persona grids: run every task once per combination of persona dimension values.

``--ecom-persona-grid "emotion=calm,angry patience=high,low style=clear,vague"`` makes 8
variants of each task. A variant is the task with those dimensions set on its persona
(over the task's own persona and overrides); everything else — store, golden calls,
expected state, seeds — is the task's. Each variant counts as a task of its own in pass^k
(``cancel_kettle@calm-high-clear``), and the report adds pass^1 / pass^k per dimension
value (the ablation of ECom-Bench's Table 3).

Only a model-played customer (``--user-model``) reads the persona; the scripted customer
says its script whatever the variant.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pytest_ecom.prepare.task import PreparedTask
from pytest_ecom.spec.models import Persona, PersonaDimensions, Task
from pytest_ecom.store import Store

ALIASES = {"style": "question_style"}  # the paper's "style" axis is the question style
VALUE_ALIASES = {"patience": {"patient": "high", "impatient": "low"}}
_FREE_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # consumer_type takes any such word


class GridSyntaxError(ValueError):
    """A persona-grid expression that cannot be used; the message names the valid choices."""


def dimension_values() -> dict[str, tuple[str, ...] | None]:
    """Each persona dimension and its allowed values (None: any word), in the model's order."""
    out: dict[str, tuple[str, ...] | None] = {}
    for name, field in PersonaDimensions.model_fields.items():
        enum = next((a for a in getattr(field.annotation, "__args__", ()) if isinstance(a, type)
                     and issubclass(a, Enum)), None)
        out[name] = tuple(m.value for m in enum) if enum else None
    return out


@dataclass(frozen=True)
class PersonaVariant:
    """One combination of values, in the grid's dimension order."""

    values: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        """The values joined by dashes (``calm-high-clear``): readable in item ids."""
        return "-".join(value for _, value in self.values)

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class PersonaGrid:
    axes: tuple[tuple[str, tuple[str, ...]], ...]  # (dimension, values), as given

    @property
    def expression(self) -> str:
        """The canonical expression (full dimension names): parses back to the same grid."""
        return " ".join(f"{dim}={','.join(values)}" for dim, values in self.axes)

    def variants(self) -> list[PersonaVariant]:
        dims = [dim for dim, _ in self.axes]
        return [PersonaVariant(tuple(zip(dims, combo, strict=True)))
                for combo in itertools.product(*(values for _, values in self.axes))]


def _usage(dims: dict[str, tuple[str, ...] | None]) -> str:
    names = ", ".join(dims) + ", style (= question_style)"
    return f'write DIMENSION=VALUE,VALUE ... e.g. "emotion=calm,angry patience=high,low style=clear,vague"; dimensions: {names}'


def _value(dim: str, raw: str, allowed: tuple[str, ...] | None) -> str:
    value = VALUE_ALIASES.get(dim, {}).get(raw, raw)
    if allowed is None:
        if not _FREE_VALUE.match(value):
            raise GridSyntaxError(f"{dim} value {raw!r}: use letters, digits and underscores")
        return value
    if value not in allowed:
        aliases = VALUE_ALIASES.get(dim, {})
        also = f" (or {', '.join(f'{a}={v}' for a, v in aliases.items())})" if aliases else ""
        raise GridSyntaxError(f"{dim} has no value {raw!r}; use one of: {', '.join(allowed)}{also}")
    return value


def parse_grid(text: str) -> PersonaGrid:
    """Parse ``"emotion=calm,angry patience=high,low style=clear,vague"``."""
    dims = dimension_values()
    normalised = re.sub(r"\s*([=,])\s*", r"\1", text.strip())
    if not normalised:
        raise GridSyntaxError(f"empty persona grid: {_usage(dims)}")
    axes: list[tuple[str, tuple[str, ...]]] = []
    for part in normalised.split():
        name, eq, raw_values = part.partition("=")
        if not eq or not name or not raw_values:
            raise GridSyntaxError(f"{part!r}: {_usage(dims)}")
        dim = ALIASES.get(name, name)
        if dim not in dims:
            raise GridSyntaxError(f"unknown persona dimension {name!r}: {_usage(dims)}")
        if any(d == dim for d, _ in axes):
            raise GridSyntaxError(f"persona dimension {dim!r} is given twice; list all its values once")
        values = [_value(dim, raw, dims[dim]) for raw in raw_values.split(",") if raw]
        if len(set(values)) != len(values):
            raise GridSyntaxError(f"{dim}: a value is listed twice")
        axes.append((dim, tuple(values)))
    return PersonaGrid(tuple(axes))


def variant_id(task_id: str, variant: PersonaVariant) -> str:
    return f"{task_id}@{variant.label}"


@dataclass(frozen=True, eq=False)
class VariantTask(PreparedTask):
    """A task whose persona is changed by a grid variant; all else is the base task's (shared)."""

    base: PreparedTask | None = None
    variant: PersonaVariant | None = None

    @property
    def task(self) -> Task:
        assert self.base is not None
        return self.base.task

    @property
    def expected(self) -> Store:
        assert self.base is not None
        return self.base.expected

    def new_store(self) -> Store:
        assert self.base is not None
        return self.base.new_store()  # on the base task's data, like its expected store

    @property
    def persona(self) -> Persona:
        """The task's persona with the variant's values; its description is dropped when a value
        changes, since it was written for the old values ("a relaxed customer" made angry)."""
        assert self.base is not None and self.variant is not None
        if "persona" not in self._memo:
            base = self.base.persona
            merged = {**base.model_dump(mode="json"), **self.variant.as_dict()}
            if merged != base.model_dump(mode="json"):
                merged["description"] = ""
            self._memo["persona"] = Persona.model_validate(merged)
        return self._memo["persona"]

    def record_fields(self) -> dict[str, Any]:
        assert self.base is not None and self.variant is not None
        return {**self.base.record_fields(), "base_task": self.base.id, "persona_variant": self.variant.as_dict()}


def variant_task(base: PreparedTask, variant: PersonaVariant) -> VariantTask:
    return VariantTask(variant_id(base.id, variant), base.tags, base.path, base.digest, base.domain,
                       base.searches, base.actions, base=base, variant=variant)
