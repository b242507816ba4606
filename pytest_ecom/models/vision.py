"""Looking at the images a customer sends.

A tool that must see an image (ECom-Bench's ``get_image_info_tool``) asks the vision model
configured for the run (``--vision-model``, through litellm); without one it answers from the
task's own notes (``images:`` in the task file, which the trial's store holds in the table
``image_annotations``), and otherwise says that no vision model is configured.

The model is set once per process, like the other run options; tools run synchronously, so a
vision call holds up the other trials of its process while it waits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IMAGE_TABLE = "image_annotations"  # url -> what the image shows, for runs without a vision model
# An image URL: up to the first image extension (Chinese text often follows without a space).
IMAGE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+?\.(?:jpe?g|png|gif|webp|bmp)",
                        re.IGNORECASE)


@dataclass(frozen=True)
class VisionModel:
    model: str
    base_url: str | None = None


_CONFIGURED: list[VisionModel | None] = [None]


def configure(model: str | None, base_url: str | None = None) -> None:
    """Set (or with ``None`` clear) the vision model of this process."""
    _CONFIGURED[0] = VisionModel(model, base_url) if model else None


def configured() -> VisionModel | None:
    return _CONFIGURED[0]


def image_urls(text: str) -> list[str]:
    """The image links in ``text``, in order, each once."""
    return list(dict.fromkeys(IMAGE_URL.findall(text)))


def describe(urls: list[str], question: str) -> str:
    """The configured model's answer to ``question`` about the images at ``urls``.

    Raises :class:`~pytest_ecom.models.llm.ModelCallError` when the provider fails (a trial error).
    """
    vision = configured()
    assert vision is not None, "describe() needs a configured vision model"
    from pytest_ecom.models import llm  # litellm is imported only when a model is used

    content = [{"type": "text", "text": question}] + [{"type": "image_url", "image_url": {"url": u}} for u in urls]
    return llm.complete_blocking(vision.model, [{"role": "user", "content": content}], vision.base_url)
