"""GitLab code quality report (a JSON array of issues) for merge request widgets."""
from __future__ import annotations

import json

from ..model import Severity
from . import Report
from .fingerprint import fingerprints

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor", Severity.STYLE: "info"}
CATEGORIES = {Severity.ERROR: "Bug Risk", Severity.WARNING: "Bug Risk", Severity.INFO: "Performance",
              Severity.STYLE: "Style"}


def render(report: Report, stream: TextIO) -> None:
    issues = [{
        "type": "issue",
        "check_name": f.rule,
        "description": f"{f.rule} [{f.name}] {f.message}",
        "categories": [CATEGORIES[f.severity]],
        "severity": SEVERITIES[f.severity],
        "fingerprint": fingerprint,
        "location": {"path": f.path, "lines": {"begin": f.start[0], "end": max(f.end[0], f.start[0])}},
    } for f, fingerprint in zip(report.findings, fingerprints(report.findings))]
    json.dump(issues, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
