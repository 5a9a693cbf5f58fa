"""AG501-AG503: BusyBox shell and userland.

AG501's list of constructs is proven, not believed: every construct the rule flags and
every construct it lets through runs in a real BusyBox ash (Debian's `busybox` package,
installed by the fixture when missing) next to bash.
"""
from __future__ import annotations

import subprocess

import pytest

from conftest import apply_fix, lint, where


def findings(text, rule, **settings):
    return [f for f in lint(text, select=rule, **settings) if f.rule == rule]


def run(shell: list[str], script: str) -> tuple[int, str, str]:
    done = subprocess.run(shell + ["-c", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=30, cwd="/")
    return done.returncode, done.stdout, done.stderr


# (script, the flagged text): bash runs the script cleanly; BusyBox ash rejects it or
# prints something else.
FLAGGED = [
    ("a=(1 2) && echo ok", "a=("),
    ("a=x; echo ${a[0]}", "${a[0]}"),
    ("a=x; echo ${#a[@]}", "${#a[@]}"),
    ("a[1]=x && echo ok", "a[1]="),
    ("declare -r x=1; echo $x", "declare"),
    ("typeset x=1; echo $x", "typeset"),
    ("shopt -s nullglob && echo ok", "shopt"),
    ("mapfile -t lines < /dev/null && echo ok", "mapfile"),
    ("readarray -t lines < /dev/null && echo ok", "readarray"),
    ("x=1; ((x=x+1)); echo $x", "(("),
    ("for ((i=0; i<2; i++)); do echo $i; done", "(("),
    ("echo {a,b}", "{a,b}"),
    ("echo {1..3}", "{1..3}"),
    ("echo /etc/hostname{,.bak}", "{,.bak}"),
    ("echo $(echo {a,b})", "{a,b}"),
    ("cat <<< hello", "<<<"),
    ("echo hi |& cat", "|&"),
    ("a=b; b=c; echo ${!a}", "${!a}"),
    ("v=abc; echo ${v^^}", "${v^^}"),
    ("v=ABC; echo ${v,,}", "${v,,}"),
    ("echo 1 | { select x in a b; do echo got $x; break; done; } 2>/dev/null", "select"),
    ("printf -v x %s hi; echo \"[$x]\"", "-v"),
]

# Scripts AG501 lets through (the catalog's accepted bash-isms, and near misses of the
# flagged ones): BusyBox ash runs them exactly like bash.
ACCEPTED = [
    "[[ a == a ]] && echo yes",
    "[[ abc == a* ]] && echo match",
    "source /dev/null && echo sourced",
    "function f { echo hi; }; f",
    "f() { local x=1; echo $x; }; f",
    "v=aXbXc; echo ${v//X/-}",
    "v=abcdef; echo ${v:1:3}",
    "set -o pipefail; false | true; echo $?",
    "echo \"{a,b}\" '{c,d}' {} {a} a,b",
    "x=; echo ${x:-a,b} $((1+2)) ${#x}",
    "( (echo nested) )",
    "case a in a) echo a;; esac",
    "find /dev/null -maxdepth 0 -exec echo {} \\;",
    "awk 'BEGIN { print 1, 2 }'",
    "x=a; echo \"${x}\" $x",
]


@pytest.mark.apt
@pytest.mark.parametrize("script,construct", FLAGGED, ids=[s for s, _ in FLAGGED])
def test_flagged_construct_breaks_in_busybox_ash(busybox, script, construct):
    bash = run(["bash"], script)
    ash = run([busybox, "ash"], script)
    assert bash[0] == 0 and bash[1].strip() and not bash[2], bash
    assert ash[0] != 0 or ash[2] or ash[1] != bash[1], (ash, bash)
    # ... and AG501 reports it at the exact place, with its text.
    found = findings(f"FROM alpine:3.20\nRUN {script}\n", "AG501")
    column = 5 + script.index(construct)
    assert [(f.start, f.end) for f in found] == [((2, column), (2, column + len(construct)))]
    assert f"`{construct}`" in found[0].message


@pytest.mark.apt
@pytest.mark.parametrize("script", ACCEPTED)
def test_accepted_construct_works_in_busybox_ash(busybox, script):
    bash = run(["bash"], script)
    ash = run([busybox, "ash"], script)
    assert bash[0] == 0 and bash[1].strip() and not bash[2], bash
    assert ash == bash
    assert findings(f"FROM alpine:3.20\nRUN {script}\n", "AG501") == []


@pytest.mark.apt
def test_curl_expands_the_braces_ash_leaves_in_its_urls(busybox, curl, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).write_text(name.upper())
    script = f"{curl} -s file://{tmp_path}/{{a,b}}"
    assert run([busybox, "ash"], script) == (0, "AB", "")  # ash left the braces, curl fetched both
    text = f"FROM alpine:3.20\nRUN curl -fsSLO https://example.org/v1/{{app,app.sha256}} && echo {{a,b}}\n"
    assert [f.start for f in findings(text, "AG501")] == [(2, 65)]  # echo's braces only
    globoff = "FROM alpine:3.20\nRUN curl -g -O https://example.org/{a,b}\n"
    assert len(findings(globoff, "AG501")) == 1


@pytest.mark.apt
def test_busybox_is_real(busybox):
    version = subprocess.run([busybox], capture_output=True, text=True).stdout.split("\n", 1)[0]
    assert version.startswith("BusyBox v1."), version


# --- AG501 in its contexts -------------------------------------------------------------

def test_heredoc_script_positions():
    text = """
        FROM alpine:3.20
        RUN <<EOF
        set -eu
        for f in /etc/{passwd,group}; do
          declare -r x=1
        done
        EOF
    """
    assert where(findings(text, "AG501")) == [("AG501", 4, 15), ("AG501", 5, 3)]


def test_sh_c_body_positions_and_no_duplicates():
    single = "FROM alpine:3.20\nRUN sh -c 'echo {a,b}'\n"
    double = "FROM alpine:3.20\nRUN sh -c \"echo ${v^^}\"\n"
    exec_form = 'FROM alpine:3.20\nRUN ["/bin/sh", "-c", "echo {a,b} |& cat"]\n'
    assert where(findings(single, "AG501")) == [("AG501", 2, 17)]
    assert where(findings(double, "AG501")) == [("AG501", 2, 17)]
    assert where(findings(exec_form, "AG501")) == [("AG501", 2, 29), ("AG501", 2, 35)]


def test_continuation_comment_and_crlf():
    text = "FROM alpine:3.20\r\nRUN set -eux; \\\r\n    # split it\r\n    echo {x,y} \\\r\n    && cat <<< z\r\n"
    assert where(findings(text, "AG501", dedent=False)) == [("AG501", 4, 10), ("AG501", 5, 12)]


def test_bash_reads_the_run_so_no_finding():
    bash_shell = """
        FROM alpine:3.20
        RUN apk add --no-cache bash
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        RUN echo {a,b}
    """
    shebang = """
        FROM alpine:3.20
        RUN apk add --no-cache bash
        RUN <<EOF
        #!/bin/bash
        echo {a,b}
        EOF
    """
    fed = """
        FROM alpine:3.20
        RUN apk add --no-cache bash
        RUN <<EOF bash
        echo {a,b}
        EOF
    """
    bash_c = "FROM alpine:3.20\nRUN apk add --no-cache bash && bash -c 'echo {a,b}'\n"
    for text in (bash_shell, shebang, fed, bash_c):
        assert findings(text, "AG501") == [], text


def test_sh_inside_bash_is_checked_again():
    text = "FROM alpine:3.20\nRUN apk add --no-cache bash && bash -c \"sh -c 'echo {a,b}'\"\n"
    assert where(findings(text, "AG501")) == [("AG501", 2, 53)]


def test_data_heredocs_and_other_stages_are_not_checked():
    data = """
        FROM alpine:3.20
        RUN cat <<EOF > /etc/app.conf
        names={a,b}
        EOF
        COPY <<EOF /x.sh
        declare -a x=(1 2)
        EOF
    """
    debian = "FROM debian:12\nRUN echo {a,b}\n"
    assert findings(data, "AG501") == []
    assert findings(debian, "AG501") == []


def test_every_alpine_stage_is_checked():
    text = """
        FROM alpine:3.20 AS build
        RUN echo {a,b}
        FROM build AS more
        RUN echo ${!x}
        FROM debian:12
        RUN echo {c,d}
    """
    assert where(findings(text, "AG501")) == [("AG501", 2, 10), ("AG501", 4, 10)]


# --- AG502 shell-not-installed ---------------------------------------------------------

def test_shell_instruction_without_bash():
    text = 'FROM alpine:3.20\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
    found = findings(text, "AG502")
    assert where(found) == [("AG502", 2, 8)]
    assert "apk add --no-cache bash" in found[0].message


def test_bash_installed_before_counts():
    before = 'FROM alpine:3.20\nRUN apk add --no-cache bash\nSHELL ["/bin/bash", "-c"]\n'
    same_run = "FROM alpine:3.20\nRUN apk add --no-cache bash && bash -c 'echo hi'\n"
    parent = 'FROM alpine:3.20 AS base\nRUN apk add --no-cache bash zsh\nFROM base\nSHELL ["/bin/zsh", "-c"]\n'
    bash_image = "FROM bash:5.2-alpine3.20\nRUN bash -c 'echo hi'\n"
    for text in (before, same_run, parent, bash_image):
        assert findings(text, "AG502") == [], text


def test_bash_called_before_it_is_installed_or_after_it_is_deleted():
    after = "FROM alpine:3.20\nRUN bash -c 'echo hi' && apk add --no-cache bash\n"
    deleted = "FROM alpine:3.20\nRUN apk add --no-cache bash\nRUN apk del bash\nRUN bash x.sh\n"
    other_stage = "FROM alpine:3.20 AS a\nRUN apk add --no-cache bash\nFROM alpine:3.20\nRUN bash x.sh\n"
    piped = "FROM alpine:3.20\nRUN wget -qO- https://example.org/install.sh | bash\n"
    assert where(findings(after, "AG502")) == [("AG502", 2, 5)]
    assert where(findings(deleted, "AG502")) == [("AG502", 4, 5)]
    assert where(findings(other_stage, "AG502")) == [("AG502", 4, 5)]
    assert where(findings(piped, "AG502")) == [("AG502", 2, 48)]


def test_bash_in_heredocs_and_exec_form():
    shebang = "FROM alpine:3.20\nRUN <<EOF\n#!/usr/bin/env bash\necho hi\nEOF\n"
    fed = "FROM alpine:3.20\nRUN <<EOF zsh\necho hi\nEOF\n"
    exec_form = 'FROM alpine:3.20\nRUN ["/bin/bash", "-c", "echo hi"]\n'
    nested = "FROM alpine:3.20\nRUN sh -c 'bash -c true'\n"
    assert where(findings(shebang, "AG502")) == [("AG502", 3, 3)]
    assert where(findings(fed, "AG502")) == [("AG502", 2, 11)]
    assert where(findings(exec_form, "AG502")) == [("AG502", 2, 6)]
    assert where(findings(nested, "AG502")) == [("AG502", 2, 12)]


def test_no_shell_check_outside_alpine():
    for base in ("debian:12", "mycorp/base:1"):
        text = f'FROM {base}\nRUN apk add --no-cache curl\nSHELL ["/bin/bash", "-c"]\n'
        assert findings(text, "AG502") == [], base


@pytest.mark.parametrize("base,bash_missing,shadow_missing", [
    ("alpine:3.20", True, True), ("docker.io/library/alpine:3.20", True, True),
    ("python:3.12-alpine3.20", True, True), ("node:22-alpine", True, True),
    ("postgres:17-alpine", False, True), ("bash:5.2-alpine3.20", False, True),
    ("webdevops/php:8.3-alpine", False, False), ("registry.example.com/team/php:8-alpine", False, False),
    ("${BASE}:alpine", False, False),
])
def test_only_bases_known_to_lack_the_program_are_checked(base, bash_missing, shadow_missing):
    text = f"FROM {base}\nRUN bash -c 'echo hi' && useradd -m app\n"
    assert len(findings(text, "AG502")) == bash_missing, base
    assert len(findings(text, "AG503")) == shadow_missing, base
    inherited = f"FROM {base} AS base\nFROM base\nSHELL [\"/bin/bash\", \"-c\"]\n"
    assert len(findings(inherited, "AG502")) == bash_missing, base


# --- AG503 shadow-tools-missing --------------------------------------------------------

def test_useradd_without_shadow_with_busybox_fix():
    text = """
        FROM alpine:3.20
        RUN addgroup -S app && useradd -r -m -u 1000 -g app -s /sbin/nologin -c "App user" app
    """
    found = findings(text, "AG503")
    assert where(found) == [("AG503", 2, 24)]
    fix = found[0].fix
    assert not fix.safe
    fixed = apply_fix(text, fix)
    assert fixed.split("\n")[1] == ('RUN addgroup -S app && adduser -D -S -u 1000 -G app -s /sbin/nologin '
                                    '-g "App user" app')
    assert findings(fixed, "AG503") == []


def test_groupadd_fix_and_long_options():
    text = "FROM alpine:3.20\nRUN groupadd --system --gid=101 web && useradd --uid 101 --no-create-home web\n"
    found = findings(text, "AG503")
    assert where(found) == [("AG503", 2, 5), ("AG503", 2, 40)]
    fixed = apply_fix(apply_fix(text, found[1].fix), found[0].fix)
    assert fixed.split("\n")[1] == "RUN addgroup -S -g 101 web && adduser -D -u 101 -H web"


def test_no_fix_without_a_plain_equivalent():
    for command in ("useradd -G wheel,audio app", "usermod -aG wheel app", "useradd -p x app", "userdel app"):
        found = findings(f"FROM alpine:3.20\nRUN {command}\n", "AG503")
        assert where(found) == [("AG503", 2, 5)] and found[0].fix is None, command


def test_shadow_installed_counts():
    before = "FROM alpine:3.20\nRUN apk add --no-cache shadow && useradd -m app\n"
    parent = "FROM alpine:3.20 AS base\nRUN apk add --no-cache shadow\nFROM base\nRUN usermod -aG wheel app\n"
    debian = "FROM debian:12\nRUN useradd -m app\n"
    for text in (before, parent, debian):
        assert findings(text, "AG503") == [], text
    later = "FROM alpine:3.20\nRUN useradd -m app; apk add --no-cache shadow\n"
    assert where(findings(later, "AG503")) == [("AG503", 2, 5)]


def test_useradd_in_sh_c_heredoc_and_crlf():
    sh_c = "FROM alpine:3.20\nRUN sh -c 'useradd -m app'\n"
    found = findings(sh_c, "AG503")
    assert where(found) == [("AG503", 2, 12)]
    assert apply_fix(sh_c, found[0].fix).split("\n")[1] == "RUN sh -c 'adduser -D app'"
    heredoc = "FROM alpine:3.20\nRUN <<EOF\nset -e\nuseradd -u 1000 \\\n  app\nEOF\n"
    found = findings(heredoc, "AG503")
    assert where(found) == [("AG503", 4, 1)]
    assert apply_fix(heredoc, found[0].fix).split("\n")[3] == "adduser -D -u 1000 app"
    crlf = "FROM alpine:3.20\r\nRUN useradd app\r\n"
    assert where(findings(crlf, "AG503", dedent=False)) == [("AG503", 2, 5)]


def test_escaped_sh_c_gets_no_fix():
    text = 'FROM alpine:3.20\nRUN sh -c "useradd -c \\"A B\\" app"\n'
    found = findings(text, "AG503")
    assert where(found) == [("AG503", 2, 12)] and found[0].fix is None
