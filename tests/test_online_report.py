"""`--online` with registries that cannot be reached: the real command line, pip's and
npm's own configuration pointed at a closed port on this machine, an empty cache (a
first cold run). The report itself must say which packages fell back to the embedded
data, in every format, with and without worker processes."""
from __future__ import annotations

import json
import os
import socket

import pytest
from conftest import AS_OF, run_module

from alpineguard.runner import PARALLEL_THRESHOLD

PYTHON = "FROM python:3.12-alpine3.22\nRUN pip install psycopg2==2.9.9\n"
NODE = "FROM node:22-alpine3.22\nRUN npm install left-pad@1.3.0\n"
FELL_BACK = ("psycopg2", "left-pad@1.3.0")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_registries(tmp_path) -> dict[str, str]:
    """pip and npm configured, through their own variables, for an index and a registry that
    refuse connections; an empty alpineguard cache."""
    port = closed_port()
    return {"PIP_INDEX_URL": f"http://127.0.0.1:{port}/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
            "PIP_CONFIG_FILE": os.devnull, "npm_config_registry": f"http://127.0.0.1:{port}/",
            "npm_config_fetch_retries": "0", "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "ALPINEGUARD_CACHE_DIR": "", "CI": "true"}  # an empty ALPINEGUARD_CACHE_DIR is unset


def write_files(root, count: int) -> None:
    for n in range(count):
        folder = root / f"s{n:02d}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(PYTHON if n % 2 == 0 else NODE)


def check(tmp_path, fmt: str, jobs: str, count: int = 2):
    project = tmp_path / "project"
    project.mkdir()
    write_files(project, count)
    done = run_module("--online", "--select", "AG401,AG403", "--as-of", AS_OF.isoformat(), "--format", fmt,
                      "--jobs", jobs, ".", cwd=project, env=unreachable_registries(tmp_path))
    assert "Traceback" not in done.stderr.decode(), done.stderr
    assert done.returncode == 1, done.stderr  # psycopg2's AG401 error, from the embedded data
    return done.stdout.decode(), done.stderr.decode()


def names_every_fallback(lines: list[str]) -> None:
    """One line per cause, each naming its packages; together they name every package once."""
    assert lines and all("registry look-up failed for" in line and "used the embedded data" in line
                         for line in lines), lines
    for package in FELL_BACK:
        assert sum(package in line for line in lines) == 1, (package, lines)
    assert any(line.startswith("registry look-up failed for Python package psycopg2 (") for line in lines), lines
    assert any(line.startswith("registry look-up failed for npm package left-pad@1.3.0 (") for line in lines), lines


SIZES = [pytest.param("1", 2, id="serial"), pytest.param("2", PARALLEL_THRESHOLD, id="workers")]


@pytest.mark.parametrize("jobs,count", SIZES)
def test_text_report_and_summary_name_what_fell_back(tmp_path, jobs, count):
    stdout, stderr = check(tmp_path, "text", jobs, count)
    notes = [line.removeprefix("alpineguard: note: ") for line in stdout.splitlines()
             if line.startswith("alpineguard: note: ")]
    names_every_fallback(notes)
    assert "alpineguard: note:" not in stderr  # in the report, not twice on the terminal
    summary = stderr.strip().splitlines()[-1]
    assert summary.endswith("; registry look-ups failed, embedded data used for 2 packages (psycopg2, "
                            "left-pad@1.3.0)") or summary.endswith(
        "; registry look-ups failed, embedded data used for 2 packages (left-pad@1.3.0, psycopg2)"), summary
    findings = [line for line in stdout.splitlines() if ": error AG401 " in line]
    assert len(findings) == (count + 1) // 2 and all("registry look-up failed]" in f for f in findings)


@pytest.mark.parametrize("jobs,count", SIZES)
def test_json_errors_name_what_fell_back(tmp_path, jobs, count):
    stdout, stderr = check(tmp_path, "json", jobs, count)
    document = json.loads(stdout)
    assert all(error.startswith("--online: ") for error in document["errors"]), document["errors"]
    names_every_fallback([error.removeprefix("--online: ") for error in document["errors"]])
    assert len(document["findings"]) == (count + 1) // 2
    assert "alpineguard: note: registry look-up failed" in stderr  # machine output: people read standard error


@pytest.mark.parametrize("jobs,count", SIZES)
def test_sarif_notifications_name_what_fell_back(tmp_path, jobs, count):
    stdout, _ = check(tmp_path, "sarif", jobs, count)
    invocation = json.loads(stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True  # the run completed, with embedded data for those
    notifications = invocation["toolExecutionNotifications"]
    assert {n["level"] for n in notifications} == {"warning"}
    names_every_fallback([n["message"]["text"] for n in notifications])


def test_diff_leaves_the_notes_to_standard_error(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    write_files(project, 2)
    done = run_module("--online", "--diff", "--as-of", AS_OF.isoformat(), ".", cwd=project,
                      env=unreachable_registries(tmp_path))
    notes = [line.removeprefix("alpineguard: note: ") for line in done.stderr.decode().splitlines()
             if line.startswith("alpineguard: note: ")]
    names_every_fallback(notes)
    assert "registry look-up" not in done.stdout.decode()  # the diff stays a diff


@pytest.mark.registry
def test_a_first_cold_online_run_succeeds_or_says_what_failed(tmp_path):
    """With this machine's own pip and npm configuration and an empty cache: either every
    answer came from the registries, or the report names the look-ups that failed."""
    project = tmp_path / "project"
    project.mkdir()
    write_files(project, 2)
    done = run_module("--online", "--select", "AG401,AG403", "--as-of", AS_OF.isoformat(), "--format", "json",
                      "--jobs", "1", ".", cwd=project,
                      env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "ALPINEGUARD_CACHE_DIR": ""})
    document = json.loads(done.stdout)
    psycopg2 = [f["message"] for f in document["findings"] if f["message"].startswith("psycopg2 ")]
    assert len(psycopg2) == 1, document
    failed = [error.removeprefix("--online: ") for error in document["errors"]]
    assert all(e.startswith("registry look-up failed for ") and "used the embedded data" in e for e in failed)
    if any(" psycopg2 (" in e for e in failed):
        assert "registry look-up failed]" in psycopg2[0]
    else:  # answered by the index: no word of the embedded data
        assert "[embedded data" not in psycopg2[0], psycopg2
