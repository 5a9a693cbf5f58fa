"""Placement pieces of the Action without a server: patches, escaping, suggestions, inputs."""
from __future__ import annotations

import pytest

from alpineguard.action.comments import Entry, escape, finding_ids, message_markdown, place, suggestion
from alpineguard.action.diff import parse_patch
from alpineguard.action.event import ActionError, raw_input, read_inputs
from conftest import lint

PATCH = """@@ -1,3 +1,4 @@
 FROM alpine:3.22
-RUN apk add curl
+RUN apk update && \\
+    apk add curl
 RUN true
@@ -10,2 +11,2 @@ stage
-CMD old
+CMD new
\\ No newline at end of file"""


def test_patch_gives_added_and_context_lines_per_hunk():
    patch = parse_patch(PATCH)
    assert patch.added == {2, 3, 11}
    assert sorted(patch.hunk_of) == [1, 2, 3, 4, 11]
    assert patch.same_hunk(1, 4) and not patch.same_hunk(4, 11) and not patch.commentable(5)
    assert patch.text[3] == "    apk add curl"


def test_escape_disarms_markdown_html_and_mentions():
    text = escape("<img src=x> **b** @admin #12 [l](u)")
    assert "<" not in text and "**" not in text and "@admin" not in text and "#12" not in text
    assert "\\*\\*b\\*\\*" in text and "\\[l\\]\\(u\\)" in text


def test_code_spans_stay_code_and_cannot_be_broken_out_of():
    assert message_markdown("`apk add x` leaves") == "`apk add x` leaves"
    assert message_markdown("a ` b") == "a \\` b"
    assert message_markdown("`a|b` c|d", in_table=True) == "`a\\|b` c\\|d"


TEXT = "FROM alpine:3.22\nRUN apk update && \\\n    apk add curl\nRUN true\n"


def _entries(text=TEXT):
    findings = lint(text, select="AG1")
    lines = text.split("\n")
    return [Entry(i, f) for i, f in zip(finding_ids(findings, {"Dockerfile": lines}), findings)], lines


def test_a_safe_fix_over_two_lines_becomes_one_suggested_change():
    entries, lines = _entries()
    update = next(e for e in entries if "apk update" in e.finding.message)
    assert suggestion(update.finding, lines, parse_patch(PATCH)) == (2, 3, ["RUN apk add curl"])
    place(update, lines, parse_patch(PATCH), suggestions=True)
    assert (update.start_line, update.line) == (2, 3)
    assert "```suggestion\nRUN apk add curl\n```" in update.comment_body()


def test_no_suggestion_when_the_fix_leaves_the_hunk_or_suggestions_are_off():
    entries, lines = _entries()
    narrow = parse_patch("@@ -3,1 +3,1 @@\n-    apk add  curl\n+    apk add curl")
    update = next(e for e in entries if "apk update" in e.finding.message)
    assert suggestion(update.finding, lines, narrow) is None
    place(update, lines, narrow, suggestions=True)
    assert not update.inline and update.note == "not on a line of the diff"
    curl = next(e for e in entries if "apk add curl" in e.finding.message)
    place(curl, lines, parse_patch(PATCH), suggestions=False)
    assert curl.line == 3 and curl.suggested is None and "suggestion" not in curl.comment_body()


def test_ids_survive_moved_lines_and_tell_twins_apart():
    twice = "FROM alpine:3.22\nRUN apk add curl\nRUN apk add curl\n"
    entries, _ = _entries(twice)
    moved, _ = _entries("FROM alpine:3.22\n# note\nRUN apk add curl\nRUN apk add curl\n")
    assert [e.id for e in entries] == [e.id for e in moved]
    assert entries[0].id != entries[1].id


def test_inputs_accept_both_name_forms_and_refuse_bad_values():
    assert raw_input({"INPUT_FAIL_LEVEL": "warning"}, "fail-level") == "warning"
    assert raw_input({"INPUT_FAIL-LEVEL": "info"}, "fail-level") == "info"
    inputs = read_inputs({"INPUT_PATH": "a b,c\nd", "INPUT_FILTER-MODE": "diff-context"})
    assert inputs.paths == ["a", "b", "c", "d"] and inputs.filter_mode == "diff_context"
    with pytest.raises(ActionError, match="`review` takes true or false"):
        read_inputs({"INPUT_REVIEW": "maybe"})
