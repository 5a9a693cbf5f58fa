"""`--format github`: workflow commands with GitHub's escaping, and the per-step caps."""
from __future__ import annotations

import io

from alpineguard.model import Finding, Severity
from alpineguard.report import FORMATS, Report, render
from alpineguard.report.github_format import PER_STEP_CAP, escape_data, escape_property, within_caps
from conftest import run_module


def finding(severity=Severity.WARNING, path="Dockerfile", message="m", line=1):
    return Finding("AG101", "apk-cache-left", severity, path, (line, 5), (line, 8), message)


def test_escaping_follows_the_workflow_command_rules():
    assert escape_data("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b"
    assert escape_property("dir:a,b%\n") == "dir%3Aa%2Cb%25%0A"


def test_a_finding_becomes_one_command_with_position_and_title():
    out = io.StringIO()
    render("github", Report("1", [finding(path="odd:dir,x/Dockerfile", message="50% of `a`\nb")]), out)
    assert out.getvalue() == ("::warning file=odd%3Adir%2Cx/Dockerfile,line=1,col=5,endColumn=8,"
                              "title=AG101 apk-cache-left::50%25 of `a`%0Ab\n")


def test_levels_and_multi_line_findings():
    multi = Finding("AG104", "build-deps-left", Severity.INFO, "D", (2, 1), (4, 3), "x")
    out = io.StringIO()
    render("github", Report("1", [multi, finding(Severity.STYLE), finding(Severity.ERROR)]), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "::notice file=D,line=2,endLine=4,col=1,title=AG104 build-deps-left::x"
    assert lines[1].startswith("::notice ") and lines[2].startswith("::error ")


def test_caps_keep_the_first_of_each_level():
    findings = [finding(Severity.WARNING, line=n) for n in range(1, 15)] + [finding(Severity.ERROR)]
    shown, dropped = within_caps(findings)
    assert dropped == 14 - PER_STEP_CAP and len(shown) == PER_STEP_CAP + 1


def test_cli_offers_the_format(tmp_path):
    assert "github" in FORMATS
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.22\nRUN apk add curl\n")
    done = run_module("--format", "github", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.decode().startswith("::warning file=Dockerfile,line=2,col=5,")
