"""The sarif, checkstyle and gitlab reporters, on findings from the real core."""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from conftest import DATA, lint, run_module

from alpineguard.docs import help_uri
from alpineguard.model import Finding, Severity
from alpineguard.report import FORMATS, Report, render
from alpineguard.report.fingerprint import fingerprints
from alpineguard.report.sarif_format import FINGERPRINT_KEY
from alpineguard.report.text_format import summary
from alpineguard.rules import REGISTRY, all_rules

DOCKERFILE = """\
    FROM python:3.12-alpine AS build
    RUN apk add gcc musl-dev && \\
        pip wheel -w /w cryptography

    FROM alpine:3.21
    RUN apk update && apk upgrade
    RUN apk add --allow-untrusted "curl" && apk del gcc
"""


@pytest.fixture(scope="module")
def report():
    findings = lint(DOCKERFILE, path="svc/Dockerfile")
    assert {f.rule for f in findings} >= {"AG101", "AG103", "AG109", "AG201"}
    assert any(f.fix is not None for f in findings)
    return Report("1.2.3", findings, errors=[], files=1)


def rendered(fmt: str, report: Report) -> str:
    stream = io.StringIO()
    render(fmt, report, stream)
    return stream.getvalue()


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(document, schema):
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_formats_are_offered():
    assert {"sarif", "checkstyle", "gitlab"} <= set(FORMATS)


def test_sarif_validates_against_the_official_schema(report, sarif_schema):
    validate(json.loads(rendered("sarif", report)), sarif_schema)


def test_schema_validation_can_fail(report, sarif_schema):
    document = json.loads(rendered("sarif", report))
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        validate(document, sarif_schema)


def test_sarif_meets_github_code_scanning_requirements(report):
    document = json.loads(rendered("sarif", report))
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "alpineguard" and driver["version"] == "1.2.3"
    # every rule, with the metadata GitHub shows on an alert
    assert [r["id"] for r in driver["rules"]] == [r.id for r in all_rules()]
    for descriptor in driver["rules"]:
        rule = REGISTRY[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert 0 < len(descriptor["shortDescription"]["text"]) <= 1024
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and rule.rationale.split()[0] in descriptor["help"]["markdown"]
        assert descriptor["helpUri"] == help_uri(rule) and descriptor["helpUri"].startswith("https://")
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert 0 < len(descriptor["properties"]["tags"]) <= 20
    assert len(run["results"]) == len(report.findings)
    for result, finding in zip(run["results"], report.findings):
        assert result["ruleId"] == finding.rule
        assert driver["rules"][result["ruleIndex"]]["id"] == finding.rule
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note",
                                   "style": "note"}[finding.severity.label]
        assert result["message"]["text"] == finding.message
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "svc/Dockerfile"
        region = location["region"]
        assert (region["startLine"], region["startColumn"]) == finding.start
        assert (region["endLine"], region["endColumn"]) == finding.end
        assert len(result["partialFingerprints"][FINGERPRINT_KEY]) == 64
    assert len({r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]}) == len(run["results"])


def test_sarif_fixes_are_exact_replacements(report):
    run = json.loads(rendered("sarif", report))["runs"][0]
    fixed = [(f, r) for f, r in zip(report.findings, run["results"]) if f.fix is not None and f.fix.safe]
    assert fixed
    for finding, result in fixed:
        change = result["fixes"][0]["artifactChanges"][0]
        assert result["fixes"][0]["description"]["text"] == finding.fix.description
        assert change["artifactLocation"]["uri"] == "svc/Dockerfile"
        for edit, replacement in zip(finding.fix.edits, change["replacements"], strict=True):
            deleted = replacement["deletedRegion"]
            assert (deleted["startLine"], deleted["startColumn"]) == edit.start
            assert (deleted["endLine"], deleted["endColumn"]) == edit.end  # also when empty: an insertion
            assert replacement["insertedContent"]["text"] == edit.replacement
    assert all("fixes" not in r for f, r in zip(report.findings, run["results"]) if f.fix is None)


def test_sarif_paths_and_internal_errors(sarif_schema):
    findings = [Finding("AG001", "parse-error", Severity.ERROR, "./deploy/my app/Dockerfile", (3, 1), (3, 1), "x"),
                Finding("AG002", "unreadable-file", Severity.ERROR, "/abs/Dockerfile", (1, 1), (1, 1), "y")]
    document = json.loads(rendered("sarif", Report("0", findings, errors=["a: internal error in AG101: boom"])))
    validate(document, sarif_schema)
    run = document["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["deploy/my%20app/Dockerfile", "file:///abs/Dockerfile"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 1}
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].endswith("boom")


FAILED_LOOK_UP = "registry look-up failed for Python package numpy (refused); used the embedded data for it"


def test_failed_look_ups_in_every_report_that_has_a_place_for_them(sarif_schema):
    report = Report("0", [], errors=["a: internal error in AG101: boom"], files=1, notes=[FAILED_LOOK_UP],
                    fell_back=["numpy"])
    document = json.loads(rendered("sarif", report))
    validate(document, sarif_schema)
    notifications = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notifications] == [
        ("error", "a: internal error in AG101: boom"), ("warning", FAILED_LOOK_UP)]
    assert json.loads(rendered("json", report))["errors"] == ["a: internal error in AG101: boom",
                                                              "--online: " + FAILED_LOOK_UP]
    assert rendered("text", report) == f"alpineguard: note: {FAILED_LOOK_UP}\n"
    assert rendered("github", report) == f"::warning title=alpineguard::{FAILED_LOOK_UP}\n"
    assert summary(report) == ("no findings in 1 file; 1 internal error; registry look-ups failed, embedded data "
                               "used for 1 package (numpy)")
    many = Report("0", [], files=2, fell_back=[f"p{n}" for n in range(7)])
    assert summary(many).endswith("embedded data used for 7 packages (p0, p1, p2, p3, p4 and 2 more)")


def test_sarif_with_no_findings_still_lists_the_rules(sarif_schema):
    document = json.loads(rendered("sarif", Report("0", [])))
    validate(document, sarif_schema)
    assert document["runs"][0]["results"] == [] and document["runs"][0]["tool"]["driver"]["rules"]


def test_fingerprints_survive_moved_lines_and_tell_twins_apart():
    def finding(line, message):
        return Finding("AG105", "apk-del-later-layer", Severity.WARNING, "Dockerfile", (line, 5), (line, 8), message)
    before = fingerprints([finding(9, "apk del `gcc` removes a package added by the RUN at line 6"),
                           finding(12, "same"), finding(14, "same")])
    after = fingerprints([finding(11, "apk del `gcc` removes a package added by the RUN at line 8"),
                          finding(13, "same"), finding(20, "same")])
    assert before == after and len(set(before)) == 3


def test_checkstyle_xml(report):
    text = rendered("checkstyle", report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="4.3">')
    root = ET.fromstring(text.encode("utf-8"))
    files = root.findall("file")
    assert [f.get("name") for f in files] == ["svc/Dockerfile"]
    errors = files[0].findall("error")
    assert [(int(e.get("line")), int(e.get("column"))) for e in errors] == [f.start for f in report.findings]
    assert [e.get("message") for e in errors] == [f.message for f in report.findings]
    assert [e.get("source") for e in errors] == [f"alpineguard.{f.rule}.{f.name}" for f in report.findings]
    assert {e.get("severity") for e in errors} <= {"error", "warning", "info"}


def test_checkstyle_escapes_markup_and_control_characters():
    findings = [Finding("AG001", "parse-error", Severity.STYLE, 'a&b/"Docker<file>"', (1, 1), (1, 2),
                        "unknown instruction `<x>` & \x1b[31m \"quoted\"")]
    root = ET.fromstring(rendered("checkstyle", Report("0", findings)).encode("utf-8"))
    error = root.find("file/error")
    assert root.find("file").get("name") == 'a&b/"Docker<file>"'
    assert error.get("message") == "unknown instruction `<x>` & \ufffd[31m \"quoted\""
    assert error.get("severity") == "info"


def test_checkstyle_without_findings_is_an_empty_document():
    root = ET.fromstring(rendered("checkstyle", Report("0", [])).encode("utf-8"))
    assert root.tag == "checkstyle" and list(root) == []


def test_gitlab_code_quality(report):
    issues = json.loads(rendered("gitlab", report))
    assert len(issues) == len(report.findings)
    for issue, finding in zip(issues, report.findings):
        assert issue["type"] == "issue" and issue["check_name"] == finding.rule
        assert finding.message in issue["description"] and finding.rule in issue["description"]
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"] == {"path": "svc/Dockerfile",
                                     "lines": {"begin": finding.start[0], "end": finding.end[0]}}
        assert isinstance(issue["categories"], list) and issue["categories"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    severities = {f.severity.label: i["severity"] for f, i in zip(report.findings, issues)}
    assert severities["warning"] == "major" and severities["info"] == "minor"


@pytest.mark.parametrize("fmt", ["sarif", "checkstyle", "gitlab"])
def test_cli_writes_each_format_to_output_file(tmp_path, fmt):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.21\nRUN apk add curl\n", encoding="utf-8")
    result = run_module("--format", fmt, "--output", "report.out", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == b""
    text = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert "AG101" in text
    if fmt == "checkstyle":
        ET.fromstring(text.encode("utf-8"))
    else:
        json.loads(text)


def _documented_keys(markdown: str) -> list[dict[str, str]]:
    """Each `| key | type | meaning |` table of docs/json-format.md as {key: type}."""
    tables, current = [], None
    for line in markdown.splitlines():
        if line.startswith("| key | type |"):
            current = {}
            tables.append(current)
        elif current is not None and line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            for key in cells[0].split(","):
                current[key.strip().strip("`")] = cells[1]
        elif not line.startswith("|"):
            current = None
    return tables


def test_json_output_matches_its_documentation(report):
    document = json.loads(rendered("json", report))
    tables = _documented_keys((DATA.parent.parent / "docs" / "json-format.md").read_text(encoding="utf-8"))
    top, finding, fix, edit = tables
    kinds = {"string": str, "integer": int, "array of strings": list, "array of objects": list, "object": dict}
    fixed = next(f for f in document["findings"] if "fix" in f)
    for documented, actual in ((top, document), (finding, fixed), (fix, fixed["fix"]),
                               (edit, fixed["fix"]["edits"][0])):
        assert set(actual) == set(documented)
        for key, kind in documented.items():
            assert isinstance(actual[key], kinds[kind]), (key, kind)
    assert all(set(f) == set(finding) - {"fix"} for f in document["findings"] if "fix" not in f)
    assert {f["severity"] for f in document["findings"]} <= {s.label for s in Severity}
