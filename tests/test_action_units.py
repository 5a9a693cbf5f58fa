"""Placement pieces of the Action without a server: patches, escaping, suggestions, inputs."""
from __future__ import annotations

import pytest

from alpineguard.action.comments import (COMMENT_BUDGET, MAX_BODY, Entry, escape, finding_ids, make_entries,
                                         message_markdown, place, size)
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


def recheck(text):
    return lint(text, select="AG1", dedent=False)


def _entries(text=TEXT):
    findings = lint(text, select="AG1", dedent=False)
    return make_entries(findings, {"Dockerfile": text.split("\n")}), text


def test_findings_on_one_line_range_share_one_comment_and_one_suggestion():
    entries, text = _entries()
    assert len(entries) == 1 and sorted(f.message[:20] for f in entries[0].findings) == \
        ["`apk add curl` leave", "apk update stores th"]
    entry = entries[0]
    place(entry, text, parse_patch(PATCH), True, recheck)
    assert (entry.start_line, entry.line) == (2, 3)
    body = entry.comment_body()
    assert body.count("`AG101` apk-cache-left") == 2 and body.count("```suggestion") == 1
    assert "```suggestion\nRUN apk add --no-cache curl\n```" in body
    # the file with the suggestion applied has no AG101 left
    lines = text.split("\n")
    fixed = "\n".join(lines[:1] + entry.suggested + lines[3:])
    assert [f for f in recheck(fixed) if f.rule == "AG101"] == []


def test_one_line_two_findings_one_suggestion_that_lints_clean():
    text = "FROM alpine:3.22\nRUN apk update && apk add curl\n"
    entries, _ = _entries(text)
    assert len(entries) == 1 and len(entries[0].findings) == 2
    place(entries[0], text, parse_patch("@@ -0,0 +1,2 @@\n+FROM alpine:3.22\n+RUN apk update && apk add curl"),
          True, recheck)
    assert entries[0].line == 2 and entries[0].start_line is None
    assert entries[0].suggested == ["RUN apk add --no-cache curl"]
    assert not [f for f in recheck("FROM alpine:3.22\nRUN apk add --no-cache curl\n") if f.rule == "AG101"]


def test_no_suggestion_when_the_fix_leaves_the_hunk_or_suggestions_are_off():
    entries, text = _entries()
    narrow = parse_patch("@@ -3,1 +3,1 @@\n-    apk add  curl\n+    apk add curl")
    entry = entries[0]
    place(entry, text, narrow, True, recheck)
    assert not entry.inline and entry.note == "not on a line of the diff"
    entries, text = _entries()
    place(entries[0], text, parse_patch(PATCH), False, recheck)
    assert entries[0].line == 3 and entries[0].suggested is None and "suggestion" not in entries[0].comment_body()


def test_bodies_stay_within_githubs_limit_and_say_what_was_left_out():
    long_name = "p" * 70000
    text = f"FROM alpine:3.22\nRUN apk add {long_name}\n"
    entries, _ = _entries(text)
    entry = entries[0]
    place(entry, text, parse_patch("@@ -0,0 +1,2 @@\n+FROM alpine:3.22\n+RUN apk add " + long_name), True, recheck)
    body = entry.comment_body()
    assert size(body) <= COMMENT_BUDGET < MAX_BODY
    assert "message shortened" in body and "too long for a review comment" in body
    assert "```suggestion" not in body


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
