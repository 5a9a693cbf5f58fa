"""ONBUILD triggers: parsed as the instruction they register, checked by the rules that
apply to them (as child images run them), with fixes on the trigger's own line."""
from __future__ import annotations

import pytest

from alpineguard.action.comments import make_entries, place
from alpineguard.action.diff import parse_patch
from alpineguard.engine import TRIGGER_NOTE
from alpineguard.parsing.dockerfile import parse_dockerfile
from alpineguard.rules import all_rules
from conftest import REPO, apply_fix, lint, run_module, where
from deps_helpers import at, lint_context


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
    "# escape=`\nFROM alpine:3.24\nONBUILD RUN apk add `\n    flex\nRUN true\n",
    "FROM alpine:3.24\r\nONBUILD RUN apk add \\\r\n  # the lexer\r\n  flex\r\nRUN true\r\n",
    "FROM alpine:3.24\nONBUILD RUN <<-EOF sh\n\tapk add flex\n\tEOF\nRUN true\n",
]


@pytest.mark.parametrize("text", CASES)
def test_buildkit_parser_agrees_on_triggers(text):
    """BuildKit's own parser (through the `dockerfile` package) as the oracle: the same
    trigger instruction, first and last line and arguments for every ONBUILD."""
    dockerfile = pytest.importorskip("dockerfile")  # wraps BuildKit's Go parser; glibc wheels only
    theirs = [(c.sub_cmd.upper(), c.start_line, c.end_line) for c in dockerfile.parse_string(text)
              if c.cmd.upper() == "ONBUILD"]
    df = parse_dockerfile(text)
    ours = [(ins.args.text.split()[0].upper(), ins.start[0], ins.end_line) for ins in df.instructions
            if ins.keyword == "ONBUILD"]
    assert ours == theirs
    refused = {"ONBUILD", "FROM", "MAINTAINER"}
    accepted = [c for c in dockerfile.parse_string(text)
                if c.cmd.upper() == "ONBUILD" and c.sub_cmd.upper() not in refused]
    triggered = df.onbuild.instructions if df.onbuild else []
    assert len(triggered) == len(accepted)
    for trigger, command in zip(triggered, accepted):  # the same arguments, flags apart
        if command.json:
            assert [w.value for w in trigger.exec_form] == list(command.value)
        else:
            assert trigger.args.text.split() == " ".join(command.value).split()


# --- which rules check triggers ------------------------------------------------------

CHECKED = {"AG101", "AG102", "AG103", "AG105", "AG106", "AG108", "AG109", "AG203", "AG401", "AG402", "AG403",
           "AG404", "AG405", "AG406", "AG501", "AG502", "AG503"}


def test_the_registry_declares_which_rules_check_triggers_and_the_docs_say_so():
    assert {r.id for r in all_rules() if r.triggers} == CHECKED
    for rule in all_rules():
        if rule.check is None:
            continue
        page = (REPO / "docs" / "rules" / f"{rule.id}.md").read_text(encoding="utf-8")
        assert ("Also checks `ONBUILD` triggers" in page) == rule.triggers, rule.id


# Each: a trigger the rule reports (line 2, column), and its harmless form.
POSITIVE_NEGATIVE = {
    "AG101": ("FROM alpine:3.24\nONBUILD RUN apk add flex\n", 13,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache flex\n"),
    "AG102": ("FROM alpine:3.24\nONBUILD RUN apk update\n", 13,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache flex\n"),
    "AG103": ("FROM alpine:3.24\nONBUILD RUN apk upgrade --no-cache\n", 13,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache flex\n"),
    "AG105": ("FROM alpine:3.24\nONBUILD RUN apk del gcc\nRUN apk add --no-cache gcc\n", 21,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache gcc && make && apk del gcc\n"),
    "AG106": ("FROM alpine:3.24\nONBUILD RUN apk add --no-cache gcc make && make && apk del gcc make\n", 52,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache --virtual .b gcc make && make && apk del .b\n"),
    "AG108": ("FROM alpine:3.24\nONBUILD RUN apk add --no-cache foo@edge\n", 32,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache foo\n"),
    "AG109": ("FROM alpine:3.24\nONBUILD RUN apk add --no-cache --allow-untrusted /tmp/x.apk\n", 32,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache /tmp/x.apk\n"),
    "AG203": ("FROM alpine:3.24\nONBUILD RUN apt-get install -y git\n", 13,
              "FROM alpine:3.24\nONBUILD RUN apk add --no-cache git\n"),
    "AG501": ("FROM alpine:3.24\nONBUILD RUN mkdir -p /opt/{bin,lib}\n", 27,
              "FROM alpine:3.24\nONBUILD RUN mkdir -p /opt/bin /opt/lib\n"),
    "AG502": ("FROM alpine:3.24\nONBUILD RUN bash -c 'echo hi'\n", 13,
              "FROM alpine:3.24\nONBUILD RUN bash -c 'echo hi'\nRUN apk add --no-cache bash\n"),
    "AG503": ("FROM alpine:3.24\nONBUILD RUN useradd -m app\n", 13,
              "FROM alpine:3.24\nONBUILD RUN adduser -D app\n"),
}


@pytest.mark.parametrize("rule", sorted(POSITIVE_NEGATIVE))
def test_rules_that_check_triggers_report_them_for_child_images(rule):
    bad, column, good = POSITIVE_NEGATIVE[rule]
    findings = lint(bad, select=rule)
    assert where(findings) == [(rule, 2, column)]
    assert findings[0].message.startswith(TRIGGER_NOTE)
    assert lint(good, select=rule) == []


def test_the_same_command_in_this_image_has_no_trigger_note():
    finding, = lint("FROM alpine:3.24\nRUN apk add flex\n", select="AG101")
    assert not finding.message.startswith(TRIGGER_NOTE) and "ONBUILD" not in finding.message


DEPENDENCY_CASES = [
    ("FROM python:3.12-alpine\nONBUILD RUN pip install psycopg2==2.9.9\n", ("AG401", 2, 25),
     "FROM python:3.12-alpine\nONBUILD RUN pip install requests==2.32.3\n"),
    ("FROM node:22-alpine\nONBUILD RUN npm install -g puppeteer@23.9.0\n", ("AG402", 2, 28),
     "FROM node:22-alpine\nONBUILD RUN npm install -g express@4.21.1\n"),
    ("FROM node:22-alpine\nONBUILD RUN npm install canvas@2.11.2\n", ("AG403", 2, 25),
     "FROM node:22-alpine\nONBUILD RUN apk add --no-cache python3 make g++ cairo-dev pango-dev \\\n"
     " && npm install canvas@2.11.2\n"),
    ("FROM golang:1.23-alpine\nONBUILD RUN go test -race ./...\n", ("AG404", 2, 21),
     "FROM golang:1.23-alpine\nONBUILD RUN go test ./...\n"),
    ("FROM alpine:3.24\nONBUILD RUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-gnu.tar.gz\n",
     ("AG405", 2, 18), "FROM alpine:3.24\nONBUILD RUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-musl.tar.gz\n"),
    ("FROM alpine:3.24\nONBUILD RUN apk add --no-cache gcompat\n", ("AG406", 2, 32),
     "FROM alpine:3.24\nONBUILD RUN apk add --no-cache musl\n"),
]


@pytest.mark.parametrize("bad, expected, good", DEPENDENCY_CASES, ids=[case[1][0] for case in DEPENDENCY_CASES])
def test_dependency_rules_check_trigger_command_lines(tmp_path, bad, expected, good):
    findings = lint_context(tmp_path / "bad", bad, select=expected[0])
    assert [f[:3] for f in at(findings)] == [expected]
    assert findings[0].message.startswith(TRIGGER_NOTE)
    assert lint_context(tmp_path / "good", good, select=expected[0]) == []


def test_files_a_trigger_copies_come_from_the_child_context_and_are_not_read(tmp_path):
    text = "FROM python:3.12-alpine\nONBUILD COPY requirements.txt .\nONBUILD RUN pip install -r requirements.txt\n"
    assert lint_context(tmp_path, text, {"requirements.txt": "psycopg2==2.9.9\n"}) == []
    same_in_image = text.replace("ONBUILD ", "")
    assert where(lint_context(tmp_path, same_in_image, {"requirements.txt": "psycopg2==2.9.9\n"})) == [
        ("AG401", 3, 20)]


def test_installs_in_triggers_and_in_the_image_count_where_they_run():
    # The trigger runs after the whole image: the image's bash is there for it ...
    assert lint("FROM alpine:3.24\nONBUILD RUN bash -c true\nRUN apk add --no-cache bash\n", select="AG502") == []
    # ... but a trigger's install is not in this image.
    findings = lint("FROM alpine:3.24\nONBUILD RUN apk add --no-cache bash\nRUN bash -c true\n", select="AG502")
    assert where(findings) == [("AG502", 3, 5)] and not findings[0].message.startswith(TRIGGER_NOTE)
    # A trigger's SHELL and an earlier trigger's install count for later triggers.
    assert lint('FROM alpine:3.24\nONBUILD RUN apk add --no-cache bash\nONBUILD SHELL ["/bin/bash", "-c"]\n'
                "ONBUILD RUN echo {a,b}\n", select="AG5") == []


def test_a_stage_built_from_a_stage_with_triggers_runs_them_first():
    """As BuildKit does for `FROM <stage>` in the same file: the triggers' ENV, installs and
    CMD are there in the stage built on it (and only once: not in stages built on that)."""
    text = ('FROM alpine:3.24 AS base\nONBUILD ENV PKG=bash\nONBUILD RUN apk add --no-cache $PKG tini\n'
            'ONBUILD ENTRYPOINT ["/sbin/tini", "--"]\n'
            'FROM base AS app\nRUN bash -c "echo $PKG"\nCMD ["app"]\n')
    df = parse_dockerfile(text)
    app = df.stages[1]
    assert app.parent is df.onbuild.stages[0] and app.parent.parent is df.stages[0]
    assert app.instructions[0].env["PKG"] == "bash" and app.root is df.stages[0]
    assert lint(text, select="AG3,AG5") == []
    base_only = text.replace("FROM base AS app", "FROM alpine:3.24 AS app")
    assert where(lint(base_only, select="AG502")) == [("AG502", 6, 5)]


def test_rules_about_this_image_ignore_triggers():
    assert lint("FROM alpine:3.24\nONBUILD RUN apk add --no-cache gcc musl-dev && make\n", select="AG104") == []
    assert lint("FROM alpine:3.24\nONBUILD RUN apk add --no-cache --virtual .b gcc && make\n",
                select="AG107") == []
    assert lint("FROM alpine:3.24\nONBUILD ENTRYPOINT app --serve\n", select="AG303") == []
    assert where(lint("FROM alpine:3.24\nENTRYPOINT app --serve\n", select="AG303")) == [("AG303", 2, 12)]
    init = lint('FROM alpine:3.24\nONBUILD RUN apk add --no-cache tini\nENTRYPOINT ["tini", "--", "app"]\n',
                select="AG302")
    assert where(init) == [("AG302", 3, 13)]  # the trigger's tini is not in this image


def test_triggers_of_a_stage_with_an_unknown_base_and_debian():
    assert lint("FROM debian:bookworm\nONBUILD RUN apk add flex\n", select="AG101") == []
    assert where(lint("FROM debian:bookworm\nONBUILD RUN apk add flex\n", select="AG203")) == [("AG203", 2, 13)]
    # An unknown base whose triggers run apk: taken as Alpine in the child, as for RUN.
    assert where(lint("FROM example/base\nONBUILD RUN apk add flex\n", select="AG101")) == [("AG101", 2, 13)]


def test_pragma_above_the_onbuild_hides_its_trigger_findings():
    assert lint("FROM alpine:3.24\n# alpineguard: ignore=AG101\nONBUILD RUN apk add flex\n", select="AG1") == []


# --- fixes -----------------------------------------------------------------------------

def test_fix_rewrites_the_trigger_in_place():
    text = "FROM alpine:3.24\nONBUILD RUN apk update && apk add -U flex\n"
    update, add = lint(text, select="AG101")
    assert apply_fix(text, update.fix) == "FROM alpine:3.24\nONBUILD RUN apk add -U flex\n"
    assert apply_fix(text, add.fix) == "FROM alpine:3.24\nONBUILD RUN apk update && apk add --no-cache flex\n"


def test_fix_on_a_continued_heredoc_and_crlf_trigger():
    heredoc = "FROM alpine:3.24\nONBUILD RUN <<EOF\napk add \\\n  flex\nEOF\n"
    finding, = lint(heredoc, select="AG101")
    assert apply_fix(heredoc, finding.fix) == "FROM alpine:3.24\nONBUILD RUN <<EOF\napk add --no-cache \\\n  flex\nEOF\n"
    crlf = "FROM alpine:3.24\r\nONBUILD RUN apk add \\\r\n  # the lexer\r\n  flex\r\n"
    finding, = lint(crlf, select="AG101", dedent=False)
    assert apply_fix(crlf, finding.fix) == "FROM alpine:3.24\r\nONBUILD RUN apk add --no-cache \\\r\n  # the lexer\r\n  flex\r\n"


def test_removing_a_whole_trigger_takes_its_onbuild_along():
    text = "FROM alpine:3.24\nONBUILD \\\n  RUN apk update\nONBUILD RUN apk add flex\n"
    finding, = lint(text, select="AG102")
    assert apply_fix(text, finding.fix) == "FROM alpine:3.24\nONBUILD RUN apk add --no-cache flex\n"


def test_fix_through_the_command_line(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.24\nONBUILD RUN apk update && apk add -U flex\n")
    done = run_module("--fix", "Dockerfile", cwd=tmp_path)
    assert path.read_text() == "FROM alpine:3.24\nONBUILD RUN apk add --no-cache flex\n"
    assert done.returncode == 0, done.stderr


def test_pull_request_suggestion_on_a_trigger_line():
    text = "FROM alpine:3.24\nONBUILD RUN apk add flex\n"
    finding, = lint(text, select="AG101")
    patch = parse_patch("@@ -1,1 +1,2 @@\n FROM alpine:3.24\n+ONBUILD RUN apk add flex")
    entry, = make_entries([finding], {"Dockerfile": text.split("\n")})
    place(entry, text, patch, True, lambda fixed: lint(fixed, select="AG101", dedent=False))
    assert (entry.start_line, entry.line, entry.suggested) == (None, 2, ["ONBUILD RUN apk add --no-cache flex"])
