"""Golden before/after tests of each fix, run through the real core (`fix_text`)."""
import textwrap

import pytest

from alpineguard.config import Settings
from alpineguard.fix import fix_text
from alpineguard.knowledge import newest_supported
from conftest import AS_OF, lint

NEWEST = newest_supported(AS_OF).branch


def fixed(text: str, unsafe: bool = False, dedent: bool = True):
    source = textwrap.dedent(text).lstrip("\n") if dedent else text
    return fix_text(source, "Dockerfile", Settings(as_of=AS_OF), unsafe)


def rules(findings):
    return sorted(f.rule for f in findings)


# (id, before, after, rules fixed[, findings of those rules left without a fix]);
# the inputs are also part of the property corpus.
GOLDEN = [
    ("add-no-cache", """
        FROM alpine:3.24
        RUN apk add curl
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache curl
        """, ["AG101"]),
    ("drop-update-flags", """
        FROM alpine:3.24
        RUN apk add -U curl
        RUN apk --update add git
        RUN apk add --update-cache \\
              --virtual .rundeps \\
              libpq
        RUN apk -Uq add jq
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache curl
        RUN apk add --no-cache git
        RUN apk add --no-cache \\
              --virtual .rundeps \\
              libpq
        RUN apk -q add --no-cache jq
        """, ["AG101"] * 4),
    ("drop-update-and", """
        FROM alpine:3.24
        RUN set -eux; apk update && apk add curl && echo done
        """, """
        FROM alpine:3.24
        RUN set -eux; apk add --no-cache curl && echo done
        """, ["AG101", "AG101"]),
    ("continuation-with-comments", """
        FROM alpine:3.24
        RUN apk update && \\
            # refresh the index
            apk add -U curl \\
            # clean up
            && rm -rf /var/cache/apk/* \\
            && apk add --update git
        """, """
        FROM alpine:3.24
        RUN \\
            # refresh the index
            apk add --no-cache curl \\
            # clean up
            && apk add --no-cache git
        """, ["AG101"]),
    ("update-on-its-own-continuation-line", """
        FROM alpine:3.24
        RUN set -eux \\
         && apk update \\
         && apk add curl
        """, """
        FROM alpine:3.24
        RUN set -eux \\
         && apk add --no-cache curl
        """, ["AG101", "AG101"]),
    ("cache-removal-partly-kept", """
        FROM alpine:3.24
        RUN apk add a && rm -rf /var/cache/apk/* /tmp/build && apk add b
        RUN apk add c && rm -rf /var/cache/* && apk add d
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache a && rm -rf /tmp/build && apk add --no-cache b
        RUN apk add c && rm -rf /var/cache/* && apk add --no-cache d
        """, ["AG101", "AG101"]),
    ("heredoc-run", """
        FROM alpine:3.24
        RUN <<EOF
        set -eux
        apk update
        # now install
        apk add curl
        EOF
        RUN <<-EOT sh
        	apk add git
        	EOT
        """, """
        FROM alpine:3.24
        RUN <<EOF
        set -eux
        # now install
        apk add --no-cache curl
        EOF
        RUN <<-EOT sh
        	apk add --no-cache git
        	EOT
        """, ["AG101", "AG101", "AG101"]),
    ("sh-c", """
        FROM alpine:3.24
        RUN sh -c 'apk update && apk add curl'
        RUN ["/bin/sh", "-c", "apk add git"]
        """, """
        FROM alpine:3.24
        RUN sh -c 'apk add --no-cache curl'
        RUN ["/bin/sh", "-c", "apk add --no-cache git"]
        """, ["AG101", "AG101", "AG101"]),
    ("escape-backtick", """
        # escape=`
        FROM alpine:3.24
        RUN apk add gcc musl-dev libffi-dev `
            && make `
            && apk del `
               gcc `
               musl-dev `
               libffi-dev
        """, """
        # escape=`
        FROM alpine:3.24
        RUN apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev `
            && make `
            && apk del `
               .build-deps
        """, ["AG101", "AG106"]),
    ("lone-update-folded", """
        FROM python:3.12-alpine3.24
        # refresh
        RUN apk update

        RUN apk add   gcc
        """, """
        FROM python:3.12-alpine3.24
        # refresh

        RUN apk add --no-cache   gcc
        """, ["AG101", "AG102"]),
    ("lone-update-after-install", """
        FROM alpine:3.24
        RUN apk add --no-cache curl && apk update
        RUN apk add --no-cache git
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache curl
        RUN apk add --no-cache git
        """, ["AG102"]),
    ("semicolon-tabs-empty-continuation", """
        FROM alpine:3.24
        RUN apk update; apk add curl
        RUN\tapk update && \\

        \tapk add git
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache curl
        RUN\tapk add --no-cache git
        """, ["AG101"] * 4),
    ("exec-form-with-escapes-left-alone", """
        FROM alpine:3.24
        RUN ["/bin/sh", "-c", "apk add \\"curl\\""]
        RUN ["/bin/sh", "-c", "apk add git"]
        """, """
        FROM alpine:3.24
        RUN ["/bin/sh", "-c", "apk add \\"curl\\""]
        RUN ["/bin/sh", "-c", "apk add --no-cache git"]
        """, ["AG101"], ["AG101"]),
    ("lone-update-in-commented-heredoc-kept", """
        FROM alpine:3.24
        RUN <<EOF
        # refresh
        apk update
        EOF
        RUN apk add curl
        """, """
        FROM alpine:3.24
        RUN <<EOF
        # refresh
        apk update
        EOF
        RUN apk add --no-cache curl
        """, ["AG101"]),
    ("del-list-split-by-comment", """
        FROM alpine:3.24
        RUN apk add --no-cache gcc musl-dev \\
            # build
            && make \\
            && apk del gcc \\
            # headers too
            musl-dev
        """, """
        FROM alpine:3.24
        RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\
            # build
            && make \\
            && apk del \\
            # headers too
            .build-deps
        """, ["AG106"]),
    ("virtual-package", """
        FROM alpine:3.24 AS base
        RUN apk add --no-cache --virtual .build-deps make && make && apk del .build-deps
        FROM base
        RUN apk add --no-cache gcc musl-dev \\
         && make \\
         && apk del gcc musl-dev
        """, """
        FROM alpine:3.24 AS base
        RUN apk add --no-cache --virtual .build-deps make && make && apk del .build-deps
        FROM base
        RUN apk add --no-cache --virtual .build-deps-2 gcc musl-dev \\
         && make \\
         && apk del .build-deps-2
        """, ["AG106"]),
]


@pytest.mark.parametrize("before,after,fixed_rules,left", [(*g[1:4], g[4] if len(g) > 4 else [])
                                                          for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_golden(before, after, fixed_rules, left):
    outcome = fixed(before)
    assert outcome.text == textwrap.dedent(after).lstrip("\n")
    assert rules(outcome.fixed) == fixed_rules
    assert rules(f for f in outcome.result.findings if f.rule in fixed_rules) == left
    assert fixed(outcome.text, dedent=False).text == outcome.text


def test_crlf_file_stays_crlf():
    before = "FROM alpine:3.24\r\nRUN apk update && \\\r\n    apk add curl\r\nRUN apk add  git\r\n"
    outcome = fixed(before, dedent=False)
    assert outcome.text == "FROM alpine:3.24\r\nRUN apk add --no-cache curl\r\nRUN apk add --no-cache  git\r\n"
    assert not lint(outcome.text, select="AG1", dedent=False)


def test_crlf_comment_kept_in_continuation():
    before = "FROM alpine:3.24\r\nRUN apk update && \\\r\n    # why\r\n    apk add curl\r\n"
    assert fixed(before, dedent=False).text == "FROM alpine:3.24\r\nRUN \\\r\n    # why\r\n    apk add --no-cache curl\r\n"


@pytest.mark.parametrize("before", [
    # `||` makes the update conditional: dropping it would change what runs
    "FROM alpine:3.24\nRUN false || apk update && apk add --no-cache curl\n",
    # quoting: the subcommand as written is not the word apk sees
    "FROM alpine:3.24\nRUN apk \"add\" curl\n",
    # the lone update feeds an apk search: the index is needed
    "FROM alpine:3.24\nRUN apk update\nRUN apk search curl\nRUN apk add --no-cache curl\n",
    # nothing installs after the lone update
    "FROM alpine:3.24\nRUN apk update\n",
    # apk add keeps curl: a virtual package would delete it with the build tools
    "FROM alpine:3.24\nRUN apk add --no-cache curl gcc musl-dev && make && apk del gcc musl-dev\n",
    # an if body: dropping the update would leave `then fi`
    "FROM alpine:3.24\nRUN if true; then apk update; fi && apk add --no-cache curl\n",
])
def test_no_fix_where_it_is_not_safe(before):
    findings = lint(before, select="AG1", dedent=False)
    assert findings, "the case must have a finding"
    outcome = fixed(before, dedent=False)
    assert outcome.text == before
    assert rules(outcome.result.findings) == rules(findings)


def test_base_image_pin_is_unsafe():
    before = """
        FROM python:3.12-alpine AS build
        FROM alpine:latest
        FROM node:lts-alpine
        """
    assert fixed(before).text == textwrap.dedent(before).lstrip("\n")
    outcome = fixed(before, unsafe=True)
    assert outcome.text == (f"FROM python:3.12-alpine{NEWEST} AS build\nFROM alpine:{NEWEST}\n"
                            f"FROM node:lts-alpine{NEWEST}\n")
    assert rules(outcome.fixed) == ["AG201"] * 3


def test_update_in_one_run_and_fix_in_several_findings_at_once():
    # Both findings of the RUN rewrite the same apk calls: their shared edits apply once.
    before = """
        FROM alpine:3.24
        RUN apk add a && rm -rf /var/cache/apk/* && apk add b && apk add c
        """
    outcome = fixed(before)
    assert outcome.text == "FROM alpine:3.24\nRUN apk add --no-cache a && apk add --no-cache b && apk add --no-cache c\n"
    assert rules(outcome.fixed) == ["AG101", "AG101"]
