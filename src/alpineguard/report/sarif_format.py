"""SARIF 2.1.0 for GitHub code scanning: every rule with its docs, results with regions,
fingerprints and fixes."""
from __future__ import annotations

import json
import os
from urllib.parse import quote

from ..docs import REPOSITORY_URL, help_text, help_uri, rule_markdown
from ..model import Finding, Pos, Severity
from ..rules import Rule, all_rules
from . import Report
from .fingerprint import fingerprints

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "alpineguardFindingHash/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note"}
# GitHub code scanning sorts and filters non-security alerts by this property.
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation",
                     Severity.STYLE: "recommendation"}


def artifact_uri(path: str) -> str:
    """A relative URI for a path as given (code scanning resolves it against the checkout)."""
    if os.path.isabs(path):
        return "file://" + quote(path.replace(os.sep, "/"))
    posix = path.replace(os.sep, "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix)


def region(start: Pos, end: Pos | None, empty_allowed: bool = False) -> dict:
    """SARIF regions count lines and columns from 1, end column exclusive, like ours."""
    result = {"startLine": max(start[0], 1), "startColumn": max(start[1], 1)}
    if end is not None and (end > start or (empty_allowed and end == start)):
        result["endLine"] = max(end[0], 1)
        result["endColumn"] = max(end[1], 1)
    return result


def rule_descriptor(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.rationale.split())},
        "helpUri": help_uri(rule),
        "help": {"text": help_text(rule), "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["dockerfile", "alpine", rule.family],
                       "problem.severity": _PROBLEM_SEVERITY[rule.severity]},
    }


def _fixes(f: Finding, uri: str) -> list[dict]:
    if f.fix is None or not f.fix.safe:
        return []
    replacements = [{"deletedRegion": region(e.start, e.end, empty_allowed=True),
                     "insertedContent": {"text": e.replacement}} for e in f.fix.edits]
    return [{"description": {"text": f.fix.description},
             "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}]}]


def result(f: Finding, rule_index: int, fingerprint: str) -> dict:
    uri = artifact_uri(f.path)
    item = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region(f.start, f.end)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    fixes = _fixes(f, uri)
    if fixes:
        item["fixes"] = fixes
    return item


def sarif_document(report: Report) -> dict:
    rules = all_rules()
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [result(f, index[f.rule], fingerprint)
               for f, fingerprint in zip(report.findings, fingerprints(report.findings))]
    # A failed --online look-up is a warning: the run completed, with embedded data for those packages.
    invocation = {"executionSuccessful": not report.errors}
    notifications = [{"level": "error", "message": {"text": error}} for error in report.errors]
    notifications += [{"level": "warning", "message": {"text": note}} for note in report.notes]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "alpineguard", "version": report.version,
                                "informationUri": REPOSITORY_URL, "rules": [rule_descriptor(r) for r in rules]}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(report: Report, stream: TextIO) -> None:
    json.dump(sarif_document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
