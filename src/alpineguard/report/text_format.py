"""`path:line:col: severity RULE [name] message`, one finding a line; then one
`alpineguard: note: ...` line per note (an `--online` look-up that failed)."""
from __future__ import annotations


from ..model import Severity
from . import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m",
           Severity.STYLE: "\033[35m"}
_RESET, _BOLD = "\033[0m", "\033[1m"
_NAMED = 5  # packages the one-line summary names; the notes name them all


def render(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        location = f"{f.path}:{f.start[0]}:{f.start[1]}:"
        severity = f.severity.label
        if report.color:
            location = f"{_BOLD}{location}{_RESET}"
            severity = f"{_COLORS[f.severity]}{severity}{_RESET}"
        stream.write(f"{location} {severity} {f.rule} [{f.name}] {f.message}\n")
    for note in report.notes:
        stream.write(f"alpineguard: note: {note}\n")


def summary(report: Report) -> str:
    counts = {s: 0 for s in Severity}
    for f in report.findings:
        counts[f.severity] += 1
    if not report.findings:
        text = f"no findings in {report.files} file{'s' if report.files != 1 else ''}"
    else:
        parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}" for s in reversed(Severity) if counts[s]]
        n = len(report.findings)
        text = (f"{n} finding{'s' if n != 1 else ''} ({', '.join(parts)}) in "
                f"{report.files} file{'s' if report.files != 1 else ''}")
    if report.errors:
        text += f"; {len(report.errors)} internal error{'s' if len(report.errors) != 1 else ''}"
    if report.fell_back:
        n = len(report.fell_back)
        names = ", ".join(report.fell_back[:_NAMED]) + (f" and {n - _NAMED} more" if n > _NAMED else "")
        text += f"; registry look-ups failed, embedded data used for {n} package{'s' if n != 1 else ''} ({names})"
    return text
