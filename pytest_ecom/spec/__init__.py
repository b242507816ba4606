"""Specs: pydantic models of YAML tasks and personas, loading with file:line errors."""

from pytest_ecom.spec.errors import SpecError
from pytest_ecom.spec.loader import TASK_SUFFIX, load_persona, load_task, parse_model
from pytest_ecom.spec.models import (Call, Customer, Expect, Limits, Persona, PersonaDimensions, Task, call_parts,
                                     needs_confirmation)

__all__ = [
    "TASK_SUFFIX", "Call", "Customer", "Expect", "Limits", "Persona", "PersonaDimensions", "SpecError", "Task",
    "call_parts", "load_persona", "needs_confirmation", "load_task", "parse_model",
]
