"""Inline pragmas: alpineguard's own, hadolint's equivalents, and AG003 for broken ones."""
from __future__ import annotations

from conftest import lint, where

from alpineguard.pragmas import HADOLINT_EQUIVALENTS
from alpineguard.rules import REGISTRY

# Two RUNs that each leave the apk index behind (AG101) and keep a compiler (AG104).
TWO_RUNS = """\
FROM alpine:3.21
{above_first}
RUN apk add gcc
{above_second}
RUN apk add make
"""


def _two_runs(above_first: str = "#", above_second: str = "#") -> str:
    return TWO_RUNS.format(above_first=above_first, above_second=above_second)


def test_ignore_hides_the_named_rules_on_the_next_instruction_only():
    findings = lint(_two_runs("# alpineguard: ignore=AG101"), select="AG1,AG003")
    assert where(findings) == [("AG104", 3, 13), ("AG101", 5, 5), ("AG104", 5, 13)]


def test_several_ids_spaces_lower_case_and_a_reason():
    findings = lint(_two_runs("# alpineguard: ignore=ag101 , AG104  gcc is needed at runtime"), select="AG1,AG003")
    assert where(findings) == [("AG101", 5, 5), ("AG104", 5, 13)]


def test_ignore_file_works_anywhere_even_at_the_end():
    text = _two_runs() + "# alpineguard: ignore-file=AG104\n"
    findings = lint(text, select="AG1,AG003")
    assert where(findings) == [("AG101", 3, 5), ("AG101", 5, 5)]


def test_pragma_covers_a_multi_line_instruction_and_its_heredoc():
    findings = lint("""\
        FROM alpine:3.21
        # alpineguard: ignore=AG101
        RUN <<EOF
        set -e
        apk add curl
        EOF
        RUN apk add \\
            jq
    """, select="AG101,AG003")
    assert where(findings) == [("AG101", 7, 5)]


def test_other_comment_lines_may_stand_between_pragma_and_instruction():
    findings = lint(_two_runs("# alpineguard: ignore=AG101\n# installs the compiler"), select="AG101,AG003")
    assert where(findings) == [("AG101", 6, 5)]


def test_a_blank_line_breaks_the_pragma_and_is_reported():
    findings = lint(_two_runs("# alpineguard: ignore=AG101\n"), select="AG101,AG003")
    assert where(findings) == [("AG003", 2, 1), ("AG101", 4, 5), ("AG101", 6, 5)]
    assert "above a blank line" in findings[0].message


def test_pragma_inside_a_continuation_is_reported_not_applied():
    findings = lint("""\
        FROM alpine:3.21
        RUN apk add \\
            # alpineguard: ignore=AG101
            curl
    """, select="AG101,AG003")
    assert where(findings) == [("AG101", 2, 5), ("AG003", 3, 5)]
    assert "inside an instruction" in findings[1].message


def test_pragma_text_inside_a_heredoc_body_is_file_content():
    findings = lint("""\
        FROM alpine:3.21
        COPY <<EOF /etc/motd
        # alpineguard: ignore-file=AG101
        # alpineguard: ignore=AG999
        EOF
        RUN apk add curl
    """, select="AG101,AG003")
    assert where(findings) == [("AG101", 6, 5)]


def test_unknown_rule_is_reported_at_its_own_column_and_the_known_one_still_applies():
    findings = lint(_two_runs("# alpineguard: ignore=AG101,AG1O4"), select="AG1,AG003")
    assert where(findings) == [("AG003", 2, 29), ("AG104", 3, 13), ("AG101", 5, 5), ("AG104", 5, 13)]
    assert findings[0].end == (2, 34)
    assert "`AG1O4`" in findings[0].message


def test_unknown_verb_and_empty_list_are_reported():
    findings = lint(_two_runs("# alpineguard: ignroe=AG101", "# alpineguard: ignore="), select="AG003")
    assert where(findings) == [("AG003", 2, 16), ("AG003", 4, 1)]
    assert "ignroe=AG101" in findings[0].message and "names no rule" in findings[1].message


def test_crlf_and_indented_pragmas():
    text = "FROM alpine:3.21\r\n    # alpineguard: ignore=AG101\r\nRUN apk add curl\r\n"
    assert where(lint(text, select="AG101,AG003", dedent=False)) == []


def test_hadolint_pragma_maps_one_to_one():
    findings = lint(_two_runs("# hadolint ignore=DL3018,DL3019"), select="AG1,AG003")
    assert where(findings) == [("AG104", 3, 13), ("AG101", 5, 5), ("AG104", 5, 13)]


def test_hadolint_global_ignore_and_unmapped_codes_pass_silently():
    findings = lint(_two_runs("# hadolint global ignore=DL3019", "# hadolint ignore=DL3018,SC2086"),
                    select="AG101,AG003")
    assert where(findings) == []
    findings = lint(_two_runs("# hadolint ignore=DL3018"), select="AG101,AG003")
    assert where(findings) == [("AG101", 3, 5), ("AG101", 5, 5)]


def test_hadolint_map_targets_are_catalog_rules_and_pinning_does_not_map():
    assert HADOLINT_EQUIVALENTS["DL3019"] == "AG101"
    assert "DL3018" not in HADOLINT_EQUIVALENTS
    assert all(target.startswith("AG") and len(target) == 5 for target in HADOLINT_EQUIVALENTS.values())
    assert HADOLINT_EQUIVALENTS["DL3017"] in REGISTRY


def test_no_inline_ignores_reports_what_pragmas_hide():
    text = _two_runs("# alpineguard: ignore=AG101", "# alpineguard: ignore-file=AG104")
    assert where(lint(text, select="AG1,AG003", inline_ignores=False)) == [
        ("AG101", 3, 5), ("AG104", 3, 13), ("AG101", 5, 5), ("AG104", 5, 13)]


def test_pragmas_hide_parse_errors_and_ag003_can_be_ignored_file_wide():
    findings = lint("""\
        # alpineguard: ignore-file=AG003
        FROM alpine:3.21
        # alpineguard: ignore=AG001
        FORM alpine
        # alpineguard: ignore=AG777
        RUN true
    """, select="AG0")
    assert where(findings) == []


def test_ag003_follows_select_and_ignore():
    text = _two_runs("# alpineguard: ignore=AG777")
    assert where(lint(text, select="AG101")) == [("AG101", 3, 5), ("AG101", 5, 5)]
    assert where(lint(text, select="AG003")) == [("AG003", 2, 23)]
