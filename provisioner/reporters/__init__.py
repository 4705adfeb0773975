"""Formatters: `render(Analysis) -> str`. They return text and do no I/O."""

from __future__ import annotations

from collections.abc import Callable

from provisioner.model import Analysis
from provisioner.reporters import json_report, markdown, table

Renderer = Callable[[Analysis], str]

FORMATS: dict[str, Renderer] = {
    "table": table.render,
    "json": json_report.render,
    "markdown": markdown.render,
}

__all__ = ["FORMATS", "Renderer"]
