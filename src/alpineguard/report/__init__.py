"""Reporters only format: each module renders a finished Report to a text stream."""
from __future__ import annotations

import importlib

from ..model import Finding
from ..record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

FORMATS = ("text", "json", "sarif", "github", "checkstyle", "gitlab")


class Report(Record):
    """Everything a reporter formats: findings, internal errors, file count, and what the
    run could not do that is no finding (`--online` look-ups that failed: `notes`, and the
    dependencies that fell back to the embedded data: `fell_back`)."""
    __slots__ = ("version", "findings", "errors", "files", "color", "notes", "fell_back")

    def __init__(self, version: str, findings: list[Finding], errors: list[str] | None = None, files: int = 0,
                 color: bool = False, notes: list[str] | None = None,
                 fell_back: list[str] | None = None) -> None:
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
