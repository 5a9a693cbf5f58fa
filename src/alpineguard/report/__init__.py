"""Reporters only format: each module renders a finished Report to a text stream."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TextIO

from ..model import Finding

FORMATS = ("text", "json", "sarif", "github", "checkstyle", "gitlab")


@dataclass
class Report:
    """Everything a reporter formats: findings, internal errors, file count."""
    version: str
    findings: list[Finding]
    errors: list[str] = field(default_factory=list)
    files: int = 0
    color: bool = False


def render(fmt: str, report: Report, stream: TextIO) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    importlib.import_module(f"{__name__}.{fmt}_format").render(report, stream)
