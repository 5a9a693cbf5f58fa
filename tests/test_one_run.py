"""One run, one result: the doors share `runner.lint`, its notes and its exit status."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error

import pytest
from conftest import AS_OF, run_module

from alpineguard import cli, engine
from alpineguard.config import Settings
from alpineguard.knowledge.musl import embedded_project
from alpineguard.lintcontext import RunContext
from alpineguard.online import DiskCache, PipConfig, PythonIndex, Registry
from alpineguard.rules import REGISTRY
from alpineguard.runner import PARALLEL_THRESHOLD, lint

PSYCOPG = "FROM python:3.12-alpine3.22\nRUN pip install psycopg2==2.9.9\n"
FILES = {
    "api/Dockerfile": "FROM alpine:3.22\nRUN apk update && \\\n    apk add curl\nRUN apk add build-base\n",
    "web/Dockerfile": "FROM python:3.12-alpine\nRUN apk add --no-cache tini\nCMD python app.py\n",
    "clean/Dockerfile": "FROM alpine:3.22\nRUN apk add --no-cache curl\nENTRYPOINT [\"/sbin/tini\", \"--\"]\n",
}


def write(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def unreachable_index(url):
    raise urllib.error.URLError("connection refused")


def failing_run(tmp_path) -> RunContext:
    return RunContext(Registry(cache=DiskCache(str(tmp_path / "cache")),
                               python_index=PythonIndex(PipConfig(["https://index.invalid/simple"]),
                                                        unreachable_index)))


def test_a_failed_look_up_is_named_once_in_every_file_and_knowledge_stays_unchanged(tmp_path):
    """Regression: rules appended "registry look-up failed" to the cached knowledge object,
    so the 20th file's message said it 20 times."""
    write(tmp_path, {f"s{n:02d}/Dockerfile": PSYCOPG for n in range(20)})
    before = embedded_project("psycopg2").source
    result = lint([str(tmp_path)], Settings(as_of=AS_OF, online=True, select=("AG401",)), jobs=1,
                  run=failing_run(tmp_path))
    messages = [f.message for f in result.findings]
    assert len(messages) == 20
    assert all(m.count("registry look-up failed") == 1 for m in messages), messages[-1]
    assert embedded_project("psycopg2").source == before
    assert [(f.package, "connection refused" in f.why) for f in result.fallbacks] == [("psycopg2", True)]
    assert len(result.notes) == 1 and "psycopg2" in result.notes[0]
    with pytest.raises(AttributeError):
        embedded_project("psycopg2").source = "changed"


def offline_index_env(tmp_path) -> dict[str, str]:
    """--online with a package index that refuses connections, and an empty cache."""
    return {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "PIP_CONFIG_FILE": os.devnull}


def test_cli_names_a_failed_look_up_once_in_the_twentieth_file(tmp_path):
    write(tmp_path, {f"s{n:02d}/Dockerfile": PSYCOPG for n in range(20)})
    done = run_module("--online", "--jobs", "1", "--select", "AG401", "--format", "json", "--as-of",
                      AS_OF.isoformat(), ".", cwd=tmp_path, env=offline_index_env(tmp_path))
    messages = [f["message"] for f in json.loads(done.stdout)["findings"]]
    assert len(messages) == 20 and all(m.count("registry look-up failed") == 1 for m in messages), messages[-1]


def annotations(stdout: str) -> set[tuple[str, str, int, int]]:
    found = set()
    for line in stdout.splitlines():
        match = re.match(r"::(?:error|warning|notice) file=([^,]+),line=(\d+),.*?col=(\d+),.*?title=(AG\d+) ", line)
        if match:
            found.add((match.group(4), match.group(1), int(match.group(2)), int(match.group(3))))
    return found


def test_cli_diff_and_action_agree_on_findings_and_status(tmp_path):
    workspace = tmp_path / "workspace"
    write(workspace, dict(FILES, **{".alpineguard.yaml": f"as-of: {AS_OF.isoformat()}\n"}))
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    common = ("--fail-level", "warning")
    check = run_module("--format", "json", *common, ".", cwd=workspace)
    diff = run_module("--diff", *common, ".", cwd=workspace)
    findings = {(f["rule"], f["path"], f["line"], f["column"]) for f in json.loads(check.stdout)["findings"]}
    assert len(findings) > 5 and any(f[0] == "AG101" for f in findings)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    (tmp_path / "event.json").write_text(json.dumps({"ref": "refs/heads/main"}))
    (tmp_path / "out").write_text("")
    # An event with no diff: the Action checks every Dockerfile, as the command line does.
    env.update({"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
                "GITHUB_REPOSITORY": "octo-org/service", "GITHUB_API_URL": "http://127.0.0.1:9",
                "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(tmp_path / "out"),
                "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "INPUT_FAIL-LEVEL": "warning",
                "INPUT_GITHUB-TOKEN": ""})
    action = subprocess.run([sys.executable, "-m", "alpineguard.action"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in action.stderr, action.stderr
    assert check.returncode == diff.returncode == action.returncode == 1, (check.stderr, diff.stderr, action.stdout)
    assert annotations(action.stdout) == findings
    assert f"findings={len(findings)}" in (tmp_path / "out").read_text()


def test_debug_prints_the_traceback_of_an_internal_error(tmp_path, monkeypatch, capsys):
    def broken(df, ctx):
        raise KeyError("the rule's bug")
        yield  # a generator, as rules are

    monkeypatch.setitem(REGISTRY, "AG103", REGISTRY["AG103"].__class__(
        "AG103", "apk-upgrade", REGISTRY["AG103"].severity, "s", "r", check=broken, family="apk"))
    write(tmp_path, {"Dockerfile": "FROM alpine:3.22\nRUN apk upgrade\n"})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["-q", "Dockerfile"]) == 2
    quiet = capsys.readouterr().err
    assert quiet.count("\n") == 1 and "internal error in AG103: KeyError" in quiet
    assert cli.main(["-q", "--debug", "Dockerfile"]) == 2
    loud = capsys.readouterr().err
    assert loud.startswith(quiet.rstrip("\n")) and "Traceback (most recent call last)" in loud
    assert 'raise KeyError("the rule\'s bug")' in loud


def test_nesting_too_deep_is_ag001_unless_ignored(tmp_path, monkeypatch):
    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(engine, "parse_dockerfile", too_deep)
    write(tmp_path, {"Dockerfile": "FROM alpine:3.22\n"})
    path = str(tmp_path / "Dockerfile")
    found = engine.check_file(path, Settings(as_of=AS_OF)).findings
    assert [(f.rule, f.message) for f in found] == [("AG001", "nesting too deep to read")]
    assert engine.check_file(path, Settings(as_of=AS_OF, ignore=("AG001",))).findings == []
