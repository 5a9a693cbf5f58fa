"""The JSON contract of cli.md: other tools parse it, so keys and order are stable."""
from __future__ import annotations

import json

from ..model import Finding
from . import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

ONLINE_PREFIX = "--online: "  # starts an `errors` entry that is a failed look-up, not an internal error


def finding_dict(f: Finding) -> dict:
    item = {"rule": f.rule, "name": f.name, "severity": f.severity.label, "path": f.path,
            "line": f.start[0], "column": f.start[1], "end_line": f.end[0], "end_column": f.end[1],
            "message": f.message}
    if f.fix is not None and f.fix.safe:
        item["fix"] = {"description": f.fix.description,
                       "edits": [{"path": f.path, "line": e.start[0], "column": e.start[1], "end_line": e.end[0],
                                  "end_column": e.end[1], "replacement": e.replacement} for e in f.fix.edits]}
    return item


def render(report: Report, stream: TextIO) -> None:
    document = {"version": report.version, "findings": [finding_dict(f) for f in report.findings],
                "errors": list(report.errors) + [ONLINE_PREFIX + note for note in report.notes]}
    json.dump(document, stream, indent=2)
    stream.write("\n")
