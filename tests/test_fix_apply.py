"""Applying edits to text: coordinates, line endings, conflicts between fixes."""
import pytest

from alpineguard.fix import EditError, apply_edits, choose_fixes
from alpineguard.model import Edit, Finding, Fix, Severity


def finding(rule, line, col, *edits, safe=True):
    return Finding(rule, "name", Severity.WARNING, "Dockerfile", (line, col), (line, col + 1), "m",
                   Fix("fix", tuple(edits), safe))


def test_columns_are_one_based_and_end_exclusive():
    assert apply_edits("RUN apk add curl\n", [Edit((1, 12), (1, 12), " --no-cache")]) == \
        "RUN apk add --no-cache curl\n"
    assert apply_edits("ab\ncd\n", [Edit((1, 2), (2, 2), "X")]) == "aXd\n"


def test_whole_line_deletion_and_end_of_file():
    text = "FROM a\nRUN b\nRUN c\n"
    assert apply_edits(text, [Edit((2, 1), (3, 1), "")]) == "FROM a\nRUN c\n"
    assert apply_edits(text, [Edit((4, 1), (4, 1), "CMD d\n")]) == text + "CMD d\n"
    assert apply_edits("FROM a", [Edit((1, 7), (1, 7), " AS b")]) == "FROM a AS b"


def test_crlf_kept_and_newlines_in_replacements_follow_the_line():
    text = "FROM a\r\nRUN b\r\n"
    # column 6 of line 2 is just before its \r\n
    assert apply_edits(text, [Edit((2, 6), (2, 6), " \\\n  && c")]) == "FROM a\r\nRUN b \\\r\n  && c\r\n"
    assert apply_edits(text, [Edit((1, 1), (2, 1), "")]) == "RUN b\r\n"
    mixed = "FROM a\nRUN b\r\n"
    assert apply_edits(mixed, [Edit((1, 7), (1, 7), "\nX"), Edit((2, 6), (2, 6), "\nY")]) == \
        "FROM a\nX\nRUN b\r\nY\r\n"


def test_bom_stays_before_line_one():
    assert apply_edits("\ufeffFROM a\n", [Edit((1, 1), (1, 5), "from")]) == "\ufefffrom a\n"


@pytest.mark.parametrize("edit", [
    Edit((0, 1), (1, 1), ""),  # line 0
    Edit((3, 1), (3, 1), "x"),  # past the end
    Edit((1, 9), (1, 9), "x"),  # past the end of line 1 ("FROM a" + newline)
    Edit((1, 3), (1, 2), ""),  # ends before it starts
])
def test_edits_that_do_not_fit_are_errors(edit):
    with pytest.raises(EditError):
        apply_edits("FROM a\n", [edit])


def test_overlapping_edits_are_an_error_but_identical_ones_apply_once():
    with pytest.raises(EditError):
        apply_edits("abcdef\n", [Edit((1, 1), (1, 4), ""), Edit((1, 3), (1, 5), "")])
    with pytest.raises(EditError):
        apply_edits("abcdef\n", [Edit((1, 2), (1, 2), "x"), Edit((1, 2), (1, 2), "y")])
    same = Edit((1, 2), (1, 2), "x")
    assert apply_edits("abcdef\n", [same, same]) == "axbcdef\n"


def test_insertion_at_a_deletion_boundary_lands_before_what_follows():
    assert apply_edits("abcdef\n", [Edit((1, 2), (1, 4), ""), Edit((1, 2), (1, 2), "X")]) == "aXdef\n"
    assert apply_edits("abcdef\n", [Edit((1, 2), (1, 4), ""), Edit((1, 4), (1, 4), "X")]) == "aXdef\n"


def test_conflicting_fixes_first_in_file_order_wins_and_the_rest_are_skipped():
    text = "RUN apk add curl\n"
    late = finding("AG999", 1, 9, Edit((1, 9), (1, 12), "del"))
    early = finding("AG101", 1, 5, Edit((1, 5), (1, 12), "apk add"), Edit((1, 12), (1, 12), " --no-cache"))
    shares = finding("AG102", 1, 6, Edit((1, 12), (1, 12), " --no-cache"))
    other_insert = finding("AG106", 1, 7, Edit((1, 12), (1, 12), " --virtual .x"))
    for order in ([late, early, shares, other_insert], [other_insert, shares, early, late]):
        chosen, skipped = choose_fixes(text, order)
        assert chosen == [early, shares]
        assert skipped == [other_insert, late]


def test_unsafe_fixes_only_when_asked_and_a_broken_fix_is_skipped():
    text = "FROM alpine\n"
    unsafe = finding("AG201", 1, 6, Edit((1, 6), (1, 12), "alpine:3.24"), safe=False)
    broken = finding("AG101", 1, 1, Edit((5, 1), (5, 1), "x"))
    assert choose_fixes(text, [unsafe]) == ([], [])
    assert choose_fixes(text, [unsafe, broken], unsafe=True) == ([unsafe], [broken])
