"""Reporters only format: each module renders a finished Report to a text stream."""
from __future__ import annotations

import importlib
from typing import Optional, TextIO

from ..model import Finding
from ..record import Record

FORMATS = ("text", "json", "sarif", "github", "checkstyle", "gitlab")


class Report(Record):
    """Everything a reporter formats: findings, internal errors, file count, and what the
    run could not do that is no finding (`--online` look-ups that failed: `notes`, and the
    dependencies that fell back to the embedded data: `fell_back`)."""
    __slots__ = ("version", "findings", "errors", "files", "color", "notes", "fell_back")

    def __init__(self, version: str, findings: list[Finding], errors: Optional[list[str]] = None, files: int = 0,
                 color: bool = False, notes: Optional[list[str]] = None,
                 fell_back: Optional[list[str]] = None) -> None:
        self.version = version
        self.findings = findings
        self.errors = [] if errors is None else errors
        self.files = files
        self.color = color
        self.notes = [] if notes is None else notes
        self.fell_back = [] if fell_back is None else fell_back


def render(fmt: str, report: Report, stream: TextIO) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    importlib.import_module(f"{__name__}.{fmt}_format").render(report, stream)
