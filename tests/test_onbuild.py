"""ONBUILD triggers: parsed as the instruction they register."""
from __future__ import annotations

import pytest

from alpineguard.parsing.dockerfile import parse_dockerfile
from conftest import lint, where


def triggers(text: str):
    df = parse_dockerfile(text)
    return df, (df.onbuild.instructions if df.onbuild else [])


def argvs(ins):
    return [[(w.value, w.start) for w in command.argv] for command in ins.commands]


# --- parsing -----------------------------------------------------------------------

def test_trigger_is_its_instruction_at_its_place_inside_the_onbuild():
    df, (run,) = triggers("FROM alpine:3.24\nonbuild  run --mount=type=cache,target=/root/.cache apk add flex\n")
    onbuild = df.stages[0].instructions[0]
    assert (onbuild.keyword, onbuild.trigger, run.onbuild) == ("ONBUILD", run, onbuild)
    assert (run.keyword, run.start, run.end_line) == ("RUN", (2, 10), 2)
    assert run.flag("mount").value == "type=cache,target=/root/.cache"
    assert argvs(run) == [[("apk", (2, 53)), ("add", (2, 57)), ("flex", (2, 61))]]
    # Not part of this image: its stage has the ONBUILD, never a RUN.
    assert [ins.keyword for ins in df.stages[0].instructions] == ["ONBUILD"]
    assert not df.problems


def test_trigger_with_continuation_comment_and_blank_line():
    _, (run,) = triggers("FROM alpine:3.24\nONBUILD RUN apk add \\\n  # the lexer\n\n  flex\nRUN true\n")
    assert argvs(run) == [[("apk", (2, 13)), ("add", (2, 17)), ("flex", (5, 3))]]
    assert run.end_line == 5


def test_onbuild_continued_before_its_trigger_keyword():
    _, (run,) = triggers("FROM alpine:3.24\nONBUILD \\\n    RUN apk add flex\n")
    assert run.start == (3, 5) and argvs(run)[0][0] == ("apk", (3, 9))


def test_trigger_with_heredoc_is_a_script_and_the_next_instruction_follows():
    df, (run, copy) = triggers("FROM alpine:3.24\nONBUILD RUN <<EOF\nset -e\napk add flex\nEOF\n"
                               "ONBUILD COPY <<EOF /etc/motd\nhello\nEOF\nRUN true\n")
    assert argvs(run) == [[("set", (3, 1)), ("-e", (3, 5))], [("apk", (4, 1)), ("add", (4, 5)), ("flex", (4, 9))]]
    assert (run.end_line, copy.start, copy.heredocs[0].body.text) == (5, (6, 9), "hello\n")
    assert [ins.keyword for ins in df.stages[0].instructions] == ["ONBUILD", "ONBUILD", "RUN"]


def test_crlf_and_escape_directive():
    _, (run,) = triggers("# escape=`\r\nFROM alpine:3.24\r\nONBUILD RUN apk add `\r\n    flex\r\n")
    assert argvs(run) == [[("apk", (3, 13)), ("add", (3, 17)), ("flex", (4, 5))]]


def test_triggers_run_with_the_env_and_shell_the_image_ends_with():
    df, (run,) = triggers('FROM alpine:3.24\nONBUILD RUN apk add $PKGS\nENV PKGS="flex bison"\n'
                          'RUN apk add --no-cache bash\nSHELL ["/bin/bash", "-c"]\n')
    assert [w.value for w in run.commands[0].argv] == ["apk", "add", "flex", "bison"]
    assert run.shell_name == "bash"
    child = df.onbuild.stages[0]
    assert child.parent is df.stages[0] and run.stage is child


@pytest.mark.parametrize("trigger, message", [
    ("ONBUILD RUN true", "`ONBUILD ONBUILD`: Docker does not allow chaining triggers; the build fails"),
    ("FROM alpine:3.24", "`ONBUILD FROM`: Docker does not allow FROM as an ONBUILD trigger; the build fails"),
    ("maintainer me", "`ONBUILD MAINTAINER`: Docker does not allow MAINTAINER as an ONBUILD trigger; "
                      "the build fails"),
    ("BOGUS x", "unknown instruction `BOGUS` in ONBUILD: builds FROM this image fail"),
    ("RUN", "`ONBUILD RUN` has no arguments"),
])
def test_triggers_docker_refuses_are_parse_errors_at_the_trigger(trigger, message):
    findings = lint(f"FROM alpine:3.24\nONBUILD {trigger}\nRUN apk add curl\n", select="AG0,AG101")
    assert where(findings) == [("AG001", 2, 9), ("AG101", 3, 5)]  # the rest of the file is still checked
    assert findings[0].message == message
    assert parse_dockerfile(f"FROM alpine:3.24\nONBUILD {trigger}\n").onbuild is None


def test_onbuild_without_anything_is_a_parse_error():
    assert where(lint("FROM alpine:3.24\nONBUILD  \n", select="AG001")) == [("AG001", 2, 1)]


CASES = [
    "FROM alpine:3.24\nONBUILD RUN apk add flex\n",
    "FROM alpine:3.24\nonbuild run   --mount=type=cache,target=/x  apk add x\n",
    "FROM alpine:3.24\nONBUILD RUN apk add \\\n  flex \\\n# comment\n  bison\nRUN true\n",
    "FROM alpine:3.24\nONBUILD RUN <<EOF\napk add flex\nEOF\nONBUILD COPY <<EOF /x\nhi\nEOF\nRUN true\n",
    "FROM alpine:3.24\nONBUILD \\\n RUN apk add x\nRUN true\n",
    'FROM alpine:3.24\nONBUILD RUN ["apk", "add", "x"]\n',
    "FROM alpine:3.24\nONBUILD ONBUILD RUN x\nONBUILD FROM x\nONBUILD MAINTAINER x\n",
]


@pytest.mark.parametrize("text", CASES)
def test_buildkit_parser_agrees_on_trigger_keywords_and_lines(text):
    """BuildKit's own parser (through the `dockerfile` package) as the oracle: the same
    trigger instruction and the same first and last line for every ONBUILD."""
    dockerfile = pytest.importorskip("dockerfile")  # wraps BuildKit's Go parser; glibc wheels only
    theirs = [(c.sub_cmd.upper(), c.start_line, c.end_line) for c in dockerfile.parse_string(text)
              if c.cmd.upper() == "ONBUILD"]
    df = parse_dockerfile(text)
    ours = [(ins.args.text.split()[0].upper(), ins.start[0], ins.end_line) for ins in df.instructions
            if ins.keyword == "ONBUILD"]
    assert ours == theirs
    refused = {"ONBUILD", "FROM", "MAINTAINER"}
    assert len(df.onbuild.instructions if df.onbuild else []) == len([t for t in theirs if t[0] not in refused])
