"""The model: positions, heredocs, directives, variables, stages."""
import textwrap

from alpineguard.images import ImageClassifier
from alpineguard.model import ImageKind
from alpineguard.parsing.dockerfile import parse_dockerfile, parse_image_ref
from alpineguard.parsing.shell import ShellReadings


def parse(text, dedent=True, **kwargs):
    source = textwrap.dedent(text).lstrip("\n") if dedent else text
    return parse_dockerfile(source, classify=ImageClassifier(), **kwargs)


def argvs(instruction):
    return [[w.value for w in c.argv] for c in instruction.commands]


def test_continuations_comments_and_blank_lines_keep_positions():
    df = parse("""
        FROM alpine:3.24
        RUN apk add --no-cache \\
            # a comment inside the continuation
            curl \\

            git
        """)
    run = df.instructions[1]
    assert run.start == (2, 1) and run.end_line == 6
    words = run.commands[0].argv
    assert [(w.value, w.start) for w in words[3:]] == [("curl", (4, 5)), ("git", (6, 5))]


def test_crlf_and_bom_are_transparent():
    df = parse("\ufeffFROM alpine:3.24\r\nRUN apk add \\\r\n  curl\r\n", dedent=False)
    assert df.crlf
    run = df.instructions[1]
    assert [(w.value, w.start) for w in run.commands[0].argv] == [("apk", (2, 5)), ("add", (2, 9)), ("curl", (3, 3))]
    assert df.stages[0].image.text == "alpine:3.24"


def test_escape_directive_backtick():
    df = parse("""
        # syntax=docker/dockerfile:1
        # escape=`
        FROM alpine:3.24
        RUN apk add `
            curl
        """)
    assert df.directives == {"syntax": "docker/dockerfile:1", "escape": "`"}
    assert argvs(df.instructions[1]) == [["apk", "add", "curl"]]


def test_directive_after_a_comment_is_a_comment():
    df = parse("# hello\n# escape=`\nFROM alpine:3.24\n")
    assert df.directives == {} and df.escape == "\\"


def test_heredoc_script_is_read_as_commands_and_the_next_instruction_follows():
    df = parse("""
        FROM alpine:3.24
        RUN <<EOF
        set -eux
        apk add --no-cache \\
            curl
        EOF
        # a comment right after the terminator
        RUN echo done
        """)
    run = df.instructions[1]
    assert [h.delimiter for h in run.heredocs] == ["EOF"]
    assert argvs(run) == [["set", "-eux"], ["apk", "add", "--no-cache", "curl"]]
    assert run.commands[1].argv[3].start == (5, 5)
    assert df.instructions[2].start == (8, 1) and argvs(df.instructions[2]) == [["echo", "done"]]


def test_heredoc_strip_tabs_quoted_delimiter_and_several_heredocs():
    df = parse("FROM alpine:3.24\nRUN <<-'EOT'\n\tapk add curl\n\tEOT\nCOPY <<A <<B /etc/\none\nA\ntwo\nB\n"
               "RUN true\n", dedent=False)
    run, copy, last = df.instructions[1], df.instructions[2], df.instructions[3]
    assert run.heredocs[0].quoted and run.heredocs[0].strip_tabs
    assert run.commands[0].argv[0].start == (3, 2)
    assert [h.body.text for h in copy.heredocs] == ["one\n", "two\n"]
    assert copy.commands == []  # a COPY heredoc is file content, never commands
    assert last.start == (10, 1)


def test_heredoc_fed_to_a_program_that_is_not_a_shell_is_data():
    df = parse("""
        FROM alpine:3.24
        RUN python3 <<EOF
        apk add curl
        EOF
        RUN <<EOF bash
        apk add git
        EOF
        """)
    assert argvs(df.instructions[1]) == [["python3"]]
    assert argvs(df.instructions[2]) == [["bash"], ["apk", "add", "git"]]
    assert df.instructions[2].commands[1].interpreter == "bash"


def test_shebang_heredoc_picks_its_interpreter():
    df = parse("FROM alpine:3.24\nRUN <<EOF\n#!/usr/bin/env bash\narr=(1 2)\nEOF\n", dedent=False)
    assert {c.interpreter for c in df.instructions[1].commands} == {"bash"}


def test_unterminated_heredoc_is_a_problem_with_its_line():
    df = parse("FROM alpine:3.24\nRUN <<EOF\napk add curl\n", dedent=False)
    assert [p.start for p in df.problems] == [(2, 5)]
    assert "EOF" in df.problems[0].message


def test_sh_c_is_read_recursively_with_file_positions():
    df = parse("""FROM alpine:3.24\nRUN sh -c 'apk update && apk add "curl"'\n""", dedent=False)
    commands = df.instructions[1].commands
    assert [c.depth for c in commands] == [0, 1, 1]
    assert [(w.value, w.start) for w in commands[2].argv] == [("apk", (2, 26)), ("add", (2, 30)), ("curl", (2, 34))]


def test_exec_form_run_and_nested_shell():
    df = parse('FROM alpine:3.24\nRUN ["/bin/sh", "-ec", "apk add curl"]\n', dedent=False)
    commands = df.instructions[1].commands
    assert argvs(df.instructions[1]) == [["/bin/sh", "-ec", "apk add curl"], ["apk", "add", "curl"]]
    assert commands[1].argv[2].start == (2, 33)


def test_shell_readings_are_found_by_the_variables_values_not_by_the_mapping_object():
    """The parser keeps its readings of the scripts for the rules: a mapping with the same
    values finds them; one changed since, or with other values, is read anew, never stale."""
    readings = ShellReadings()
    df = parse_dockerfile("FROM alpine:3.22\nARG PKG=curl\nRUN apk add $PKG\n", readings=readings)
    run = df.stages[0].instructions[-1]
    tokens, commands = readings.read(run.args, dict(run.env))  # equal values, another object
    assert commands is run.commands
    env = dict(run.env)
    assert readings.read(run.args, env)[1] is run.commands
    env["PKG"] = "wget"  # the same object, changed
    assert [w.value for w in readings.read(run.args, env)[1][0].argv] == ["apk", "add", "wget"]
    assert [w.value for w in readings.read(run.args, {"PKG": "jq"})[1][0].argv] == ["apk", "add", "jq"]
    assert readings.read(run.args, run.env) == (tokens, run.commands)  # the parser's reading is still there


def test_variables_expand_from_arg_and_env_with_field_splitting():
    df = parse("""
        FROM alpine:3.24
        ARG EXTRA=jq
        ENV BUILD_DEPS="gcc musl-dev" \\
            TOOL=curl
        RUN apk add $BUILD_DEPS "${TOOL}" ${EXTRA:-x} ${MISSING:-fallback} $UNKNOWN
        """)
    words = df.instructions[3].commands[0].argv
    assert [w.value for w in words[2:]] == ["gcc", "musl-dev", "curl", "jq", "fallback", "$UNKNOWN"]
    assert words[2].start == words[3].start == (5, 13)


def test_arg_in_from_build_arg_override_and_stage_inheritance():
    text = """
        ARG BASE=alpine
        ARG TAG=3.20
        FROM ${BASE}:${TAG} AS base
        ENV PATH=/opt/bin:$PATH
        FROM base AS final
        RUN echo $PATH
        """
    df = parse(text)
    base, final = df.stages
    assert base.image.text == "alpine:3.20" and base.alpine_release == "3.20"
    assert final.parent is base and final.kind is ImageKind.ALPINE and final.is_final and base.feeds_final
    assert final.instructions[0].commands[0].argv[1].value == "/opt/bin:$PATH"
    assert parse(text, build_args={"TAG": "3.24"}).stages[0].alpine_release == "3.24"


def test_target_picks_the_final_stage():
    df = parse("FROM alpine:3.24 AS a\nFROM alpine:3.24 AS b\n", target="a")
    assert [s.is_final for s in df.stages] == [True, False]


def test_flags_are_split_from_arguments():
    df = parse("FROM --platform=$BUILDPLATFORM alpine:3.24\n"
               "RUN --mount=type=cache,target=/var/cache/apk --network=none apk add curl\n", dedent=False)
    run = df.instructions[1]
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/var/cache/apk"),
                                                      ("network", "none")]
    assert df.stages[0].platform == "$BUILDPLATFORM"
    assert argvs(run) == [["apk", "add", "curl"]]


def test_compound_commands_yield_their_simple_commands():
    df = parse("""
        FROM alpine:3.24
        RUN set -e; if [ "$A" = 1 ]; then apk add a; else apk add b; fi; \\
            for p in x y; do echo "$p"; done; case "$X" in a|b) apk add c ;; *) true ;; esac; \\
            { apk add d; } && (apk add e) | tee /log 2>&1
        """)
    assert argvs(df.instructions[1]) == [
        ["set", "-e"], ["[", "$A", "=", "1", "]"], ["apk", "add", "a"], ["apk", "add", "b"],
        ["echo", "$p"], ["apk", "add", "c"], ["true"], ["apk", "add", "d"], ["apk", "add", "e"], ["tee", "/log"]]


def test_instruction_before_from_is_a_problem():
    df = parse("RUN echo hi\nENV A=1\nFROM alpine:3.24\n", dedent=False)
    assert [(p.message, p.start) for p in df.problems] == [
        ("`RUN` before the first FROM: only ARG may come before it", (1, 1))]  # once, not per line


def test_problems_do_not_stop_the_parse():
    df = parse("FOO bar\nFROM alpine:3.24\nWORKDIR\nBOGUS x\nRUN echo ok\n", dedent=False)
    assert [p.message for p in df.problems] == ["unknown instruction `FOO`",
                                               "`WORKDIR` has no arguments", "unknown instruction `BOGUS`"]
    assert argvs(df.instructions[-1]) == [["echo", "ok"]]


def test_image_references():
    ref = parse_image_ref("registry.example.com:5000/team/python:3.12-alpine3.20@sha256:abc")
    assert (ref.registry, ref.path, ref.tag, ref.digest) == ("registry.example.com:5000", "team/python",
                                                             "3.12-alpine3.20", "sha256:abc")
    assert parse_image_ref("docker.io/library/alpine").path == "alpine"
    assert parse_image_ref("localhost/x:1").registry == "localhost"


def test_empty_expansions():
    df = parse('FROM alpine:3.24\nARG EMPTY=""\nRUN apk add $EMPTY curl "" \'\'\n', dedent=False)
    assert argvs(df.instructions[2]) == [["apk", "add", "curl", "", ""]]


# Fidelity to BuildKit's parser (tests/test_buildkit_parity.py checks the same against it)

def test_keyword_followed_by_a_continuation_is_an_instruction():
    df = parse("FROM alpine:3.24\nRUN\\\n    apk add curl\n", dedent=False)
    assert not df.problems
    assert argvs(df.instructions[1]) == [["apk", "add", "curl"]]
    assert df.instructions[1].commands[0].argv[0].start == (3, 5)


def test_from_with_extra_words_is_one_problem_and_the_stage_still_counts():
    df = parse("FROM alpine:3.24 # pinned\nRUN apk add curl\n", dedent=False)
    assert [(p.start, p.message) for p in df.problems] == [
        ((1, 18), "FROM takes an image and optionally `AS name`, not `# pinned` "
                  "(a `#` after an instruction starts no comment)")]
    assert df.stages[0].image.text == "alpine:3.24" and len(df.stages[0].instructions) == 1


def test_from_with_a_placeholder_is_one_image_word_not_shell_syntax():
    df = parse("FROM <REPO>/app:base-<SHA1>\nENV A=1\nRUN true\n", dedent=False)
    assert not df.problems  # BuildKit accepts the syntax; the image is simply unknown
    assert df.stages[0].image_word.value == "<REPO>/app:base-<SHA1>"
    assert len(df.stages[0].instructions) == 2


def test_invalid_stage_name():
    df = parse("FROM alpine:3.24 AS 1st\n", dedent=False)
    assert [p.start for p in df.problems] == [(1, 21)] and "stage name `1st`" in df.problems[0].message


def test_copy_and_add_need_a_source_and_a_destination():
    df = parse('FROM alpine:3.24\nCOPY --chown=app app.py\nADD ["x.tar"]\nCOPY a b\nCOPY <<EOF /etc/motd\nhi\nEOF\n',
               dedent=False)
    assert [(p.start[0], p.message) for p in df.problems] == [
        (2, "COPY needs a source and a destination; it names only `app.py`"),
        (3, 'ADD needs a source and a destination; it names only `["x.tar"]`')]


def test_a_file_without_instructions_is_a_problem():
    for text in ("", "\n\n", "# just a note\n", "# syntax=docker/dockerfile:1\n"):
        assert [(p.start, p.message) for p in parse(text, dedent=False).problems] == [
            ((1, 1), "no instructions: the file is empty or holds only comments")], text


def test_heredoc_markers_are_whole_words_as_buildkit_reads_them():
    df = parse("FROM alpine:3.24\nRUN adduser -D -u <<UID>> app\nRUN apk add curl\n", dedent=False)
    assert [(p.start, p.message) for p in df.problems] == [
        ((2, 19), "unterminated heredoc: no line `UID>>` closes the `<<UID>>` opened here")]
    quoted = parse('FROM alpine:3.24\nRUN echo "a <<EOF b"\nRUN cat << END\nx\nEND\n', dedent=False)
    assert not quoted.problems
    assert [[h.delimiter for h in i.heredocs] for i in quoted.instructions] == [[], [], ["END"]]
