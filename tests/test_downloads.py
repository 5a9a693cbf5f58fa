"""AG405 glibc-binary-download and AG406 glibc-compat-shim."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alpineguard.rules.downloads import url_path

from deps_helpers import at, lint_context


def test_linux_gnu_download_with_variables(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM alpine:3.20
        ARG RG=14.1.0
        RUN wget -q https://example.org/rg/${RG}/ripgrep-${RG}-x86_64-unknown-linux-gnu.tar.gz \\
         && curl -fsSLO https://example.org/node/v22.1.0/node-v22.1.0-linux-x64.tar.xz
        ADD https://example.org/jdk/OpenJDK21U-jdk_x64_linux_hotspot_21.0.5_11.tar.gz /opt/
        """)
    assert at(findings) == [("AG405", 3, 13, "error"), ("AG405", 4, 17, "error"), ("AG405", 5, 5, "error")]
    assert "ripgrep-14.1.0-x86_64-unknown-linux-gnu.tar.gz is a *-linux-gnu build" in findings[0].message


def test_musl_builds_and_non_alpine_stages_are_fine(tmp_path):
    assert lint_context(tmp_path, """\
        FROM alpine:3.20
        RUN wget https://example.org/ripgrep-14.1.0-x86_64-unknown-linux-musl.tar.gz \\
         && wget https://example.org/node-v22.1.0-linux-x64-musl.tar.xz
        FROM debian:12
        RUN wget https://example.org/ripgrep-14.1.0-x86_64-unknown-linux-gnu.tar.gz
        """) == []


def test_compat_layer_moves_it_to_ag406(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM alpine:3.20
        RUN apk add --no-cache libc6-compat \\
         && wget https://example.org/tool-x86_64-unknown-linux-gnu.tar.gz
        """)
    assert at(findings) == [("AG406", 2, 24, "info")]
    assert "for tool-x86_64-unknown-linux-gnu.tar.gz" in findings[0].message


def test_gcompat_alone_is_info(tmp_path):
    findings = lint_context(tmp_path, "FROM alpine:3.20\nRUN apk add --no-cache gcompat\n")
    assert at(findings) == [("AG406", 2, 24, "info")]
    assert lint_context(tmp_path, "FROM cgr.dev/chainguard/wolfi-base\nRUN apk add gcompat\n") == []


def test_glibc_built_for_alpine_is_a_compat_layer_not_a_glibc_binary(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM alpine:3.20
        ARG GLIBC=2.35-r1
        RUN wget -q -O /etc/apk/keys/sgerrand.rsa.pub https://example.org/alpine-pkg-glibc/master/sgerrand.rsa.pub \\
         && wget https://example.org/alpine-pkg-glibc/releases/download/${GLIBC}/glibc-${GLIBC}.apk \\
         && wget https://example.org/alpine-pkg-glibc/releases/download/${GLIBC}/glibc-bin-${GLIBC}.apk \\
         && apk add --no-cache glibc-${GLIBC}.apk glibc-bin-${GLIBC}.apk
        """)
    assert at(findings) == [("AG406", 4, 10, "info")]
    assert findings[0].message.startswith("glibc-2.35-r1.apk, glibc-bin-2.35-r1.apk: the glibc compatibility layer built")
    assert "say in a comment what needs it" in findings[0].message


def test_glibc_download_served_by_the_compat_layer(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM alpine:3.20
        ADD https://example.org/glibc-2.35-r1.apk /tmp/
        RUN apk add --no-cache /tmp/glibc-2.35-r1.apk
        FROM 0
        RUN wget https://example.org/tool-x86_64-unknown-linux-gnu.tar.gz
        """)
    assert at(findings) == [("AG406", 2, 5, "info")]
    assert "for tool-x86_64-unknown-linux-gnu.tar.gz" not in findings[0].message  # another stage's download
    assert lint_context(tmp_path, "FROM alpine:3.20\nRUN wget https://example.org/glibc-2.35-r1.apk.sha256\n") == []


@given(st.sampled_from(["http", "https", "ftp"]),
       st.text(alphabet="abc.-:@[]1", max_size=12),
       st.text(alphabet="/ab.-%?#=&", max_size=24))
def test_url_path_is_urlsplits_path(scheme, authority, rest):
    from urllib.parse import urlsplit
    url = f"{scheme}://{authority}{rest}"
    try:
        expected = urlsplit(url).path
    except ValueError:  # urlsplit refuses some bracketed hosts; url_path only needs the path
        return
    assert url_path(url) == expected
