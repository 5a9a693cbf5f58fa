"""The command-line contract of cli.md: formats, options, exit codes, discovery, bad input."""
import json
import os

import pytest

from alpineguard import __version__
from alpineguard.cli import main
from conftest import run_module

BAD = "FROM alpine:3.24\nRUN apk add curl\n"
CLEAN = "FROM alpine:3.24\nRUN apk add --no-cache curl\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(BAD)
    (tmp_path / "web.Dockerfile").write_text(CLEAN)
    (tmp_path / "Containerfile").write_text(CLEAN)
    (tmp_path / "Dockerfile.dev").write_text(CLEAN)
    (tmp_path / "Dockerfile.dockerignore").write_text("*\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "Dockerfile").write_text(BAD)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "Dockerfile").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_output_and_summary(project, capsys):
    assert main(["--as-of", "2026-11-26"]) == 1
    out, err = capsys.readouterr()
    assert out == ("svc/Dockerfile:2:5: warning AG101 [apk-cache-left] `apk add curl` leaves the package "
                   "index in the layer; add --no-cache\n")
    assert err.strip() == "1 finding (1 warning) in 4 files"


def test_json_contract(project, capsys):
    assert main(["--format", "json", "svc/Dockerfile"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == __version__ and document["errors"] == []
    finding, = document["findings"]
    assert finding == {
        "rule": "AG101", "name": "apk-cache-left", "severity": "warning", "path": "svc/Dockerfile",
        "line": 2, "column": 5, "end_line": 2, "end_column": 8,
        "message": finding["message"],
        "fix": {"description": "add --no-cache", "edits": [
            {"path": "svc/Dockerfile", "line": 2, "column": 12, "end_line": 2, "end_column": 12,
             "replacement": " --no-cache"}]}}


def test_json_omits_unsafe_fixes_and_sorts(tmp_path, capsys):
    (tmp_path / "b").write_text("FROM alpine\nRUN apk add x\n")
    (tmp_path / "a").write_text("FROM alpine:3.24\nRUN apk upgrade\n")
    assert main(["--format", "json", str(tmp_path / "b"), str(tmp_path / "a")]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(os.path.basename(f["path"]), f["line"], f["rule"]) for f in findings] == [
        ("a", 2, "AG101"), ("a", 2, "AG103"), ("b", 1, "AG201"), ("b", 2, "AG101")]
    assert "fix" not in findings[2]


def test_select_ignore_and_fail_level(project, capsys):
    assert main(["--ignore", "AG1"]) == 0
    assert main(["--select", "AG2"]) == 0
    assert main(["--fail-level", "error"]) == 0
    assert main(["--fail-level", "never", "svc"]) == 0
    assert main(["--fail-level", "style", "svc"]) == 1
    capsys.readouterr()
    assert main(["--select", "AG9"]) == 2
    assert "no rule matches 'AG9'" in capsys.readouterr().err


def test_build_arg_target_and_as_of(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("ARG V=3.18\nFROM alpine:${V} AS old\nFROM alpine:3.24 AS new\n")
    assert main([str(path), "--select", "AG202", "--as-of", "2026-11-26"]) == 1
    assert main([str(path), "--select", "AG202", "--build-arg", "V=3.24"]) == 0
    assert main([str(path), "--select", "AG202", "--as-of", "2025-01-01"]) == 0
    capsys.readouterr()
    assert main([str(path), "--as-of", "yesterday"]) == 2
    assert main([str(path), "--build-arg", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_list_rules_explain_and_version(capsys):
    assert main(["--list-rules"]) == 0
    listing = capsys.readouterr().out
    assert "AG101  warning  apk-cache-left" in listing and "AG203" in listing
    assert main(["--explain", "ag104"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("AG104 build-deps-left (warning)") and "Bad:" in text and "Good:" in text
    assert main(["--explain", "AG999"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"alpineguard {__version__}"


def test_output_file(project, capsys):
    assert main(["--format", "json", "--output", "report.json", "svc"]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((project / "report.json").read_text())["findings"][0]["rule"] == "AG101"


def test_standard_input(tmp_path):
    result = run_module("-", "--format", "json", cwd=tmp_path, stdin=BAD.encode())
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"][0]["path"] == "-"


def test_bad_files_are_findings_and_the_others_are_still_checked(tmp_path):
    (tmp_path / "binary").write_bytes(b"FROM alpine\x00\x01")
    (tmp_path / "latin1").write_bytes(b"FROM alpine:3.24\nLABEL a=\xe9\n")
    (tmp_path / "broken").write_text("FROM alpine:3.24\nRUN <<EOF\napk add x\n")
    (tmp_path / "good").write_text(BAD)
    result = run_module("binary", "latin1", "broken", "missing", "good", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    found = {(f["path"], f["rule"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert found >= {("binary", "AG002", 1), ("latin1", "AG002", 2), ("broken", "AG001", 2),
                     ("missing", "AG002", 1), ("good", "AG101", 2)}


def test_usage_errors_are_one_line_without_traceback(tmp_path):
    result = run_module("--format", "yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1 and b"Traceback" not in result.stderr


def test_no_color_in_pipes(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    result = run_module(cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert b"\033[" not in result.stdout
