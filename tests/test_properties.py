"""Property tests: whatever text comes in, the checker answers without raising, every
finding points inside the file, and the JSON report parses.

Two sources of input: Dockerfiles assembled from the pieces that make parsing hard
(quotes, expansions, heredocs, continuations, `sh -c`, apk options), and real files
(the examples, the benchmark files) mutated at random.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alpineguard.config import Settings
from alpineguard.engine import check_file, check_text
from alpineguard.report import Report, render

from conftest import REPO

SEEDS = sorted(p.read_text(encoding="utf-8") for p in [*REPO.glob("examples/*/Dockerfile"),
                                                        REPO / "benchmarks" / "latency.Dockerfile"])

KEYWORDS = ["FROM", "RUN", "ARG", "ENV", "COPY", "ADD", "CMD", "ENTRYPOINT", "SHELL", "WORKDIR",
            "USER", "LABEL", "EXPOSE", "HEALTHCHECK", "ONBUILD", "STOPSIGNAL", "VOLUME", "from", "run",
            "MAINTAINER", "BOGUS", "#", "# escape=`", "# syntax=docker/dockerfile:1"]
TOKENS = ["apk", "add", "del", "update", "upgrade", "--no-cache", "--virtual", ".build-deps", "-U", "-X",
          "--repository=https://x/edge/main", "curl@edge", "gcc", "musl-dev", "apt-get", "install",
          "sh", "-c", "bash", "-ec", "'", '"', "\\", "$", "${", "}", "${A:-b}", "${A:+x}", "$A", "$(", ")", "(",
          "`", "&&", "||", ";", "|", "&", ">", "2>&1", "<<", "<<EOF", "<<-EOF", "<<'EOF'", "EOF", "\t", " ",
          "#", "if", "then", "fi", "case", "in", "esac", "for", "do", "done", "{", "}", "!", "=", "A=1",
          "alpine", "alpine:3.20", "python:3.12-alpine", "node:lts-alpine", "debian", "scratch", "AS", "b",
          "--from=b", "--mount=type=cache,target=/var/cache/apk", "[", "]", '["sh", "-c", "apk add x"]',
          ",", "rm", "-rf", "/var/cache/apk/*", "cache", "clean", "command", "-v", "which", "sudo", "env",
          "\u00e9", "\u2603", "\r", "\ufeff", "\x0b", "[\"a\\", "\\\n", "#!/bin/sh"]

_line = st.builds(lambda keyword, words, tail: " ".join([keyword, *words]) + tail,
                  st.sampled_from(KEYWORDS), st.lists(st.sampled_from(TOKENS), max_size=12),
                  st.sampled_from(["", "", "", " \\", "\\", "\r", " # note"]))
assembled = st.lists(st.one_of(_line, st.sampled_from(TOKENS)), max_size=25).map("\n".join)

_mutation = st.tuples(st.sampled_from(["delete", "insert", "duplicate", "cut", "swap"]),
                      st.floats(0, 1), st.floats(0, 1), st.sampled_from(TOKENS + ["\n", "\\\n", "EOF\n"]))


def _mutate(text: str, mutations) -> str:
    for kind, where, other, token in mutations:
        i = int(where * len(text))
        j = int(other * len(text))
        if kind == "delete":
            text = text[:i] + text[i + 1 + j % 20:]
        elif kind == "insert":
            text = text[:i] + token + text[i:]
        elif kind == "duplicate":
            text = text[:i] + text[i:i + j % 200] + text[i:]
        elif kind == "cut":
            text = text[:min(i, j)] + text[max(i, j):]
        else:
            lines = text.split("\n")
            a, b = int(where * (len(lines) - 1)), int(other * (len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


mutated = st.builds(_mutate, st.sampled_from(SEEDS), st.lists(_mutation, min_size=1, max_size=8))
dockerfiles = st.one_of(assembled, mutated)

SETTINGS = Settings(as_of=dt.date(2026, 11, 26))
FUZZ = settings(max_examples=int(os.environ.get("ALPINEGUARD_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _file_lines(text: str) -> list[str]:
    """The lines positions count in: as the parser reads them (BOM dropped, CR trimmed)."""
    text = text[1:] if text.startswith("\ufeff") else text
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    return lines or [""]


def _inside(lines: list[str], pos, what: str):
    line, column = pos
    assert 1 <= line <= len(lines), f"{what} line {line} outside 1..{len(lines)}"
    assert 1 <= column <= len(lines[line - 1]) + 1, \
        f"{what} column {column} outside line {line} of {len(lines[line - 1])} characters"


def _check(text: str):
    result = check_text(text, "Dockerfile", SETTINGS)
    assert not result.errors, result.errors  # a rule that raised: a bug to fix, not input to forgive
    lines = _file_lines(text)
    for finding in result.findings:
        _inside(lines, finding.start, f"{finding.rule} start")
        _inside(lines, finding.end, f"{finding.rule} end")
        assert finding.start <= finding.end, f"{finding.rule} ends before it starts"
        if finding.fix is not None:
            for edit in finding.fix.edits:
                _inside(lines, edit.start, f"{finding.rule} fix start")
                _inside(lines, edit.end, f"{finding.rule} fix end")
                assert edit.start <= edit.end
    return result


@FUZZ
@given(dockerfiles)
@example("FROM alpine\nRUN <<EOF\n")
@example("RUN \\")
@example("FROM alpine:3.20\nRUN sh -c 'apk add \\\ncurl'")
@example('FROM alpine\nRUN ["sh", "-c", "apk add \\"x\\""]')
def test_any_text_is_checked_without_raising_and_findings_point_inside(text):
    _check(text)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_checked_or_refused_without_raising(data):
    result = check_file("Dockerfile", SETTINGS, data=data)
    assert not result.errors, result.errors
    if result.findings and result.findings[0].rule == "AG002":
        return
    _check(data.decode("utf-8"))


@FUZZ
@given(dockerfiles, st.text(max_size=30))
def test_json_report_always_parses(text, path):
    result = check_text(text, path or "Dockerfile", SETTINGS)
    stream = io.StringIO()
    render("json", Report("0", result.findings, result.errors, 1), stream)
    document = json.loads(stream.getvalue())
    assert len(document["findings"]) == len(result.findings)
    assert all(item["path"] == (path or "Dockerfile") for item in document["findings"])
