"""GitHub workflow commands (`::warning file=...::message`), one finding a line, then a
warning per note (an `--online` look-up that failed).

GitHub reads `%`, CR and LF in a command's message as escapes, and `:` and `,` as
separators inside its properties, so each is percent-encoded where it means text.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, Severity
from . import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

# Workflow commands know three levels; style findings are advice, like info.
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}
# GitHub shows at most this many annotations of each level per step and drops the rest.
PER_STEP_CAP = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding) -> str:
    props = [("file", f.path), ("line", str(f.start[0]))]
    if f.end[0] > f.start[0]:
        props.append(("endLine", str(f.end[0])))
    props.append(("col", str(f.start[1])))
    if f.end[0] == f.start[0] and f.end[1] > f.start[1]:
        props.append(("endColumn", str(f.end[1])))
    props.append(("title", f"{f.rule} {f.name}"))
    text = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{LEVELS[f.severity]} {text}::{escape_data(f.message)}"


def within_caps(findings: Iterable[Finding]) -> tuple[list[Finding], int]:
    """The findings GitHub will show (the first PER_STEP_CAP of each level), and how many it would drop."""
    shown, counts, dropped = [], {}, 0
    for f in findings:
        level = LEVELS[f.severity]
        counts[level] = counts.get(level, 0) + 1
        if counts[level] <= PER_STEP_CAP:
            shown.append(f)
        else:
            dropped += 1
    return shown, dropped


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(command(f) + "\n")
    for note in report.notes:  # a failed --online look-up: a warning without a file
        stream.write(f"::warning title=alpineguard::{escape_data(note)}\n")
