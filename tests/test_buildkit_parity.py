"""The parser against BuildKit's own (through the `dockerfile` package): what BuildKit
rejects is an AG001, what it accepts parses without one, and instructions and heredocs
start and end on the same lines."""
import pytest

from alpineguard.parsing.dockerfile import parse_dockerfile
from buildkit_oracle import verdict

TRICKY = {
    "keyword continued": "FROM alpine:3.24\nRUN\\\n    apk add --no-cache curl\n",
    "keyword continued with blanks": "FROM alpine:3.24\nRUN \\\n  # note\n\n  apk add curl\n",
    "from with a trailing comment": "FROM alpine:3.24 # pinned\nRUN true\n",
    "from as": "FROM alpine:3.24 AS build\nFROM build\n",
    "from as, two words": "FROM alpine:3.24 AS\n",
    "from placeholder": "FROM <REPO>/app:<SHA>\nRUN true\nCOPY a /b\n",
    "copy one argument": "FROM alpine:3.24\nCOPY app.py\n",
    "copy json one argument": 'FROM alpine:3.24\nCOPY ["app.py"]\n',
    "copy flags only count once": "FROM alpine:3.24\nCOPY --chown=1:1 app.py\n",
    "add two arguments": "FROM alpine:3.24\nADD app.tar /srv/\n",
    "copy heredoc": "FROM alpine:3.24\nCOPY <<EOF /etc/motd\nhi\nEOF\nRUN true\n",
    "empty": "",
    "only comments": "# nothing\n\n# here\n",
    "only a directive": "# syntax=docker/dockerfile:1\n",
    "env before from": "ENV A=1\nLABEL x=y\nFROM alpine:3.24\n",
    "arg before from": "ARG TAG=3.24\nFROM alpine:$TAG\n",
    "unknown instruction": "FROM alpine:3.24\nRNU apk add curl\n",
    "unterminated heredoc": "FROM alpine:3.24\nRUN <<EOF\napk add curl\n",
    "template uid is a heredoc": "FROM alpine:3.24\nRUN adduser -D -u <<UID>> app\nRUN true\n",
    "heredoc name with semicolon": "FROM alpine:3.24\nRUN cat <<EOF; echo\nx\nEOF;\n",
    "quoted heredoc marker is text": 'FROM alpine:3.24\nRUN echo "a <<EOF b"\nRUN true\n',
    "unclosed quote hides heredocs": "FROM alpine:3.24\nRUN echo 'x <<EOF\nRUN true\n",
    "fd heredoc": "FROM alpine:3.24\nRUN cat 2<<EOF\nx\nEOF\n",
    "quoted heredoc name": 'FROM alpine:3.24\nRUN cat <<"E O"\nx\nE O\nRUN true\n',
    "partly quoted heredoc name": 'FROM alpine:3.24\nRUN cat <<E"O"F\nx\nEOF\n',
    "glued heredoc is no heredoc": "FROM alpine:3.24\nRUN cat<<EOF\n",
    "exec form has no heredoc": 'FROM alpine:3.24\nRUN ["cat", "<<EOF"]\n',
    "two heredocs": "FROM alpine:3.24\nRUN <<A cat - <<-B\nx\nA\n\ty\n\tB\nRUN true\n",
    "crlf": "FROM alpine:3.24\r\nRUN apk add \\\r\n  curl\r\n",
    "backtick escape": "# escape=`\nFROM alpine:3.24\nRUN apk add `\n  curl\n",
    "bad escape": "# escape=x\nFROM alpine:3.24\n",
    "continuation at the end": "FROM alpine:3.24\nRUN apk add curl \\\n",
    "lowercase keyword": "from alpine:3.24\nrun apk add curl\n",
    "empty run, cmd and entrypoint": "FROM alpine:3.24\nRUN\nCMD\nENTRYPOINT\n",
    "empty workdir": "FROM alpine:3.24\nWORKDIR\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_agrees_with_buildkit(name):
    text = TRICKY[name]
    rejected_at, commands = verdict(text)
    df = parse_dockerfile(text)
    assert bool(df.problems) == (rejected_at is not None), (df.problems, rejected_at)
    if rejected_at is not None and rejected_at > 0:
        assert df.problems[0].start[0] == rejected_at
    if commands and rejected_at is None:
        assert [(i.start[0], i.end_line) for i in df.instructions] == [(c.start_line, c.end_line) for c in commands]
        assert [[h.delimiter for h in i.heredocs] for i in df.instructions] == \
            [[h.name for h in c.heredocs] for c in commands]


def test_blank_after_heredoc_arrows_follows_buildkit_1_16():
    # BuildKit's frontend 1.16 (May 2025) reads `<< EOF` as a heredoc; the parser inside
    # the `dockerfile` package predates that, so this case is pinned here instead.
    df = parse_dockerfile("FROM alpine:3.24\nRUN cat << EOF\nx\nEOF\nRUN true\n")
    assert not df.problems
    assert [h.delimiter for h in df.instructions[1].heredocs] == ["EOF"]
    assert [i.start[0] for i in df.instructions] == [1, 2, 5]
