"""Checkstyle XML, which many CI systems and review bots read."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import Severity
from . import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

# Checkstyle knows error, warning, info (and ignore).
SEVERITIES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info", Severity.STYLE: "info"}
# XML 1.0 cannot carry most control characters, even escaped; a message quoting a
# Dockerfile may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def render(report: Report, stream: TextIO) -> None:
    root = ET.Element("checkstyle", version="4.3")
    files: dict[str, ET.Element] = {}
    for f in report.findings:
        element = files.get(f.path)
        if element is None:
            element = files[f.path] = ET.SubElement(root, "file", name=_text(f.path))
        ET.SubElement(element, "error", line=str(f.start[0]), column=str(f.start[1]),
                      severity=SEVERITIES[f.severity], message=_text(f.message),
                      source=f"alpineguard.{f.rule}.{f.name}")
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
