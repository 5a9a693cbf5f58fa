"""Compose interpolation and `.env` files, case by case as the Compose Specification defines them;
a variable that is not set here makes the value unknown (None) instead of empty."""
from __future__ import annotations

import pytest

from alpineguard.builds.interpolation import DotenvError, InterpolationError, interpolate, read_dotenv

VARIABLES = {"SET": "value", "EMPTY": "", "OTHER": "other", "LATER": None}


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("${SET}", "value"),
    ("$SET", "value"),
    ("pre-$SET-post", "pre-value-post"),
    ("$SET_x", None),  # the name runs on: SET_x is not set
    ("${SET}_x", "value_x"),
    ("${SET:-d}", "value"), ("${EMPTY:-d}", "d"), ("${UNSET:-d}", "d"),
    ("${SET-d}", "value"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"),
    ("${SET:?err}", "value"), ("${EMPTY:?err}", None), ("${UNSET:?err}", None),
    ("${SET?err}", "value"), ("${EMPTY?err}", ""), ("${UNSET?err}", None),
    ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${UNSET:+alt}", ""),
    ("${SET+alt}", "alt"), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
    ("${UNSET:-${OTHER}}", "other"),
    ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("${UNSET?$OTHER}", None),
    ("${UNSET:-${ALSO_UNSET}}", None),
    ("${SET:-${ALSO_UNSET}}", "value"),  # the default is only read when needed
    ("$$SET", "$SET"), ("$${SET}", "${SET}"), ("a$$b", "a$b"),
    ("$", "$"), ("$1 and $ sign", "$1 and $ sign"), ("cost: 5$", "cost: 5$"),
    ("${UNSET}", None), ("$UNSET", None), ("x-${UNSET}-y", None),
    ("${LATER}", None), ("${LATER-d}", None), ("${LATER+alt}", "alt"), ("${LATER:+alt}", None),
    ("${SET:-a:b}", "value"), ("${UNSET:-a}b}", "ab}"),
])
def test_interpolation(text, expected):
    assert interpolate(text, VARIABLES) == expected


@pytest.mark.parametrize("text", ["${}", "${1A}", "${SET", "${SET/a/b}", "${SET:=x}", "${ SET}"])
def test_invalid_braced_expressions_are_errors_as_in_compose(text):
    with pytest.raises(InterpolationError):
        interpolate(text, VARIABLES)


def test_dotenv_syntax():
    text = "\n".join([
        "# a comment",
        "",
        "PLAIN=3.19",
        "SPACED = spaced value  ",
        "COMMENTED=abc # comment",
        "HASH=abc#not-a-comment",
        "export EXPORTED=yes",
        "DOUBLE=\"a # b\\tc\" # comment",
        "SINGLE='${PLAIN} $$ \\n'",
        "USES=py${PLAIN}",
        "USES_ENV=${FROM_ENV:-none}",
        "MISSING=${NOT_ANYWHERE}",
        "MULTI=\"one",
        "two\"",
        "ESCAPED=\"\\$PLAIN\"",
        "EMPTY=",
        "COLON: yaml-like",
        "",
    ])
    assert read_dotenv(text, {"FROM_ENV": "env"}) == {
        "PLAIN": "3.19", "SPACED": "spaced value", "COMMENTED": "abc", "HASH": "abc#not-a-comment",
        "EXPORTED": "yes", "DOUBLE": "a # b\tc", "SINGLE": "${PLAIN} $$ \\n", "USES": "py3.19",
        "USES_ENV": "env", "MISSING": None, "MULTI": "one\ntwo", "ESCAPED": "$PLAIN", "EMPTY": "",
        "COLON": "yaml-like",
    }


def test_dotenv_reads_crlf():
    assert read_dotenv("A=1\r\nB=2\r\n", {}) == {"A": "1", "B": "2"}


@pytest.mark.parametrize("text, line", [("A=1\nnot a pair\n", 2), ("A=1\nB=\"open\nC=2\n", 2), ("X=${\n", 1)])
def test_dotenv_errors_name_the_line(text, line):
    with pytest.raises(DotenvError) as error:
        read_dotenv(text, {})
    assert error.value.line == line
