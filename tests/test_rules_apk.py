"""AG101-AG109: positive and negative cases, at the exact line and column."""
from conftest import lint, where


# AG101 apk-cache-left

def test_ag101_flags_apk_add_without_no_cache_at_the_apk_word():
    findings = lint("""
        FROM alpine:3.24
        RUN set -eux; \\
            apk add curl
        """, select="AG101")
    assert where(findings) == [("AG101", 3, 5)]
    assert "apk add curl" in findings[0].message


def test_ag101_inside_a_run_whose_keyword_ends_in_a_continuation():
    assert where(lint("FROM alpine:3.24\nRUN\\\n    apk add curl\n", select="AG1,AG001")) == [("AG101", 3, 5)]


def test_ag101_options_before_the_subcommand_and_update_flag():
    assert where(lint("FROM alpine:3.24\nRUN apk --no-cache add curl\n", select="AG101")) == []
    assert where(lint("FROM alpine:3.24\nRUN apk -U add curl\n", select="AG101")) == [("AG101", 2, 5)]
    assert where(lint("FROM alpine:3.24\nRUN apk add --update curl\n", select="AG101")) == [("AG101", 2, 5)]


def test_ag101_cache_removed_later_in_the_same_run_or_mounted():
    assert lint("FROM alpine:3.24\nRUN apk add curl && rm -rf /var/cache/apk/*\n", select="AG101") == []
    assert lint("FROM alpine:3.24\nRUN apk add curl && apk cache clean\n", select="AG101") == []
    assert lint("FROM alpine:3.24\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n",
                select="AG101") == []
    assert lint("FROM alpine:3.24\nRUN --mount=type=tmpfs,dst=/var/cache/apk/ apk add curl\n",
                select="AG101") == []


def test_ag101_removal_in_a_later_run_does_not_count():
    findings = lint("FROM alpine:3.24\nRUN apk add curl\nRUN rm -rf /var/cache/apk/*\n", select="AG101")
    assert where(findings) == [("AG101", 2, 5)]


def test_ag101_update_before_add_is_reported_once_with_its_fix():
    findings = lint("FROM alpine:3.24\nRUN apk update && apk add --no-cache curl\n", select="AG101")
    assert where(findings) == [("AG101", 2, 5)]
    edit, = findings[0].fix.edits
    assert (edit.start, edit.end, edit.replacement) == ((2, 5), (2, 19), "")


def test_ag101_fix_inserts_no_cache_after_the_subcommand_and_drops_update_flag():
    finding, = lint("FROM alpine:3.24\nRUN apk add -U curl\n", select="AG101")
    edits = sorted((e.start, e.end, e.replacement) for e in finding.fix.edits)
    assert edits == [((2, 12), (2, 12), " --no-cache"), ((2, 12), (2, 15), "")]


def test_ag101_in_sh_c_heredoc_and_crlf():
    assert where(lint("FROM alpine:3.24\nRUN sh -c 'apk add curl'\n", select="AG101")) == [("AG101", 2, 12)]
    assert where(lint("FROM alpine:3.24\nRUN <<EOF\napk add curl\nEOF\n", select="AG101")) == [("AG101", 3, 1)]
    assert where(lint("FROM alpine:3.24\r\nRUN apk \\\r\n  add curl\r\n", select="AG101",
                      dedent=False)) == [("AG101", 2, 5)]


def test_ag101_not_in_a_debian_stage_and_not_for_apk_del():
    assert lint("FROM debian:bookworm\nRUN apk add curl\n", select="AG101") == []
    assert lint("FROM alpine:3.24\nRUN apk del curl\n", select="AG101") == []


def test_ag101_update_names_the_command_that_follows_it():
    finding = lint("FROM alpine:3.24\nRUN apk update && apk upgrade\n", select="AG101")[0]
    assert "let the apk upgrade that follows" in finding.message


def test_ag101_no_network_fetches_no_index():
    assert lint("FROM alpine:3.24\nRUN apk add --no-network --virtual .rundeps libgcc\n", select="AG101") == []


def test_ag101_only_the_final_stage_and_its_ancestors():
    findings = lint("""
        FROM alpine:3.24 AS build
        RUN apk add build-base
        FROM alpine:3.24 AS base
        RUN apk add curl
        FROM base
        COPY --from=build /out /out
        """, select="AG101")
    assert where(findings) == [("AG101", 4, 5)]


# AG102 apk-update-own-layer

def test_ag102_lone_update():
    findings = lint("FROM alpine:3.24\nRUN apk update\nRUN apk add --no-cache curl\n", select="AG10")
    assert where(findings) == [("AG102", 2, 5)]


def test_ag102_update_followed_by_add_in_the_same_run_is_not_a_finding():
    assert where(lint("FROM alpine:3.24\nRUN apk update && apk add curl\n", select="AG102")) == []
    assert where(lint("FROM alpine:3.24\nRUN apk add curl && apk update\n", select="AG102")) == [("AG102", 2, 21)]


def test_ag102_update_that_leaves_no_index():
    assert lint("FROM alpine:3.24\nRUN apk update --no-cache\n", select="AG102") == []
    assert lint("FROM alpine:3.24\nRUN apk update && rm -rf /var/cache/apk/*\n", select="AG102") == []
    assert lint("FROM alpine:3.24\nRUN --mount=type=cache,target=/var/cache/apk apk update\n", select="AG102") == []
    assert where(lint("FROM alpine:3.24\nRUN rm -rf /var/cache/apk/* && apk update\n",
                      select="AG102")) == [("AG102", 2, 32)]


# AG103 apk-upgrade

def test_ag103_upgrade_is_info():
    finding, = lint("FROM alpine:3.24\nRUN apk upgrade --no-cache\n", select="AG103")
    assert (finding.start, finding.severity.label) == ((2, 5), "info")
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache --upgrade curl\n", select="AG103") == []


# AG104 build-deps-left

def test_ag104_build_tools_in_the_final_stage_at_the_package_word():
    findings = lint("FROM python:3.12-alpine3.24\nRUN apk add --no-cache gcc musl-dev libpq && pip install x\n",
                    select="AG104")
    assert where(findings) == [("AG104", 2, 24), ("AG104", 2, 28)]
    assert "`gcc`" in findings[0].message and "runtime package" not in findings[0].message
    assert "runtime package" not in findings[1].message  # musl-dev: the C library stays anyway
    dev, = lint("FROM alpine:3.24\nRUN apk add --no-cache postgresql-dev\n", select="AG104")
    assert "install the library's runtime package on its own, or apk del takes it along" in dev.message


def test_ag104_deleted_in_the_same_run_or_in_a_builder_stage_is_fine():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache gcc && make && apk del gcc\n", select="AG104") == []
    assert lint("""
        FROM alpine:3.24 AS build
        RUN apk add --no-cache build-base
        FROM alpine:3.24
        COPY --from=build /x /x
        """, select="AG104") == []


def test_ag104_inherited_builder_stage_counts():
    findings = lint("""
        FROM alpine:3.24 AS base
        RUN apk add --no-cache build-base
        FROM base
        CMD ["x"]
        """, select="AG104")
    assert where(findings) == [("AG104", 2, 24)]


def test_ag104_variable_package_list_and_runtime_packages():
    findings = lint("""
        FROM alpine:3.24
        ARG BUILD_DEPS="gcc linux-headers"
        RUN apk add --no-cache $BUILD_DEPS libstdc++
        """, select="AG104")
    assert [(f.start, f.message.split("`")[1]) for f in findings] == [((3, 24), "gcc"), ((3, 24), "linux-headers")]


def test_ag104_a_package_named_twice_is_reported_once():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache gcc musl-dev gcc && apk add --no-cache gcc\n",
                    select="AG104")
    assert where(findings) == [("AG104", 2, 24), ("AG104", 2, 28)]


def test_ag104_a_comment_that_says_why_the_package_stays():
    assert lint("""
        FROM alpine:3.24
        RUN apk add --no-cache \\
            curl \\
            # jlink --strip-debug needs objcopy
            # (error: cannot run program "objcopy")
            binutils
        """, select="AG104") == []
    assert lint("""
        FROM alpine:3.24
        # libmagic-dev: python-magic loads the unversioned libmagic.so at runtime
        RUN apk add --no-cache libmagic-dev
        """, select="AG104") == []


def test_ag104_a_comment_that_gives_a_build_reason_or_none_keeps_the_finding():
    findings = lint("""
        FROM alpine:3.24
        RUN apk add --no-cache \\
            # needed to build greenlet
            gcc \\
            # headers
            musl-dev \\
            make
        # make is used in the entrypoint? no: this comment names no reason to keep it
        """, select="AG104")
    assert [f.message.split("`")[1] for f in findings] == ["gcc", "musl-dev", "make"]
    below = lint("FROM alpine:3.24\nRUN apk add --no-cache \\\n    # keep curl at runtime\n    gcc curl\n",
                 select="AG104")
    assert [f.message.split("`")[1] for f in below] == ["gcc"]  # the comment is about another line's word


def test_ag104_images_whose_purpose_is_building():
    tools = "RUN apk add --no-cache gcc musl-dev\n"
    assert lint("FROM golang:1.22-alpine3.20\n" + tools, select="AG104") == []  # a toolchain extended
    assert lint("FROM mcr.microsoft.com/dotnet/sdk:8.0-alpine\n" + tools, select="AG104") == []
    assert lint("FROM alpine:3.24\nENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo\n" + tools,
                select="AG104") == []
    assert lint("FROM alpine:3.24\n" + tools + 'ENTRYPOINT ["cargo"]\n', select="AG104") == []
    assert lint("FROM alpine:3.24\nENV RUBY_DOWNLOAD_SHA256=0123\nRUN apk add --no-cache gmp-dev\n",
                select="AG104") == []  # the Ruby image itself keeps headers for native gems
    for path in (".devcontainer/Dockerfile", "ci/Dockerfile", "docker/Dockerfile.build", "dev.Dockerfile"):
        assert lint("FROM alpine:3.24\n" + tools, select="AG104", path=path) == [], path
    assert lint("FROM alpine:3.24\n" + tools + 'ENTRYPOINT ["esy"]\n', select="AG104") == []
    assert lint("FROM alpine:3.24\n" + tools + "COPY run_tests.sh /run.sh\nENTRYPOINT LEVEL=1 /run.sh\n",
                select="AG104") == []  # a CI image: it builds what it tests when it starts
    assert lint("FROM alpine:3.24\n" + tools + 'CMD ["pytest", "-q"]\n', select="AG104") == []
    # An application run on a toolchain image, or a Makefile as task runner, is still checked.
    assert len(lint("FROM alpine:3.24\n" + tools + "COPY tests/ .\nCMD ./app\n", select="AG104")) == 2
    assert len(lint("FROM golang:1.22-alpine3.20\n" + tools + 'CMD ["/app"]\n', select="AG104")) == 2
    assert len(lint("FROM alpine:3.24\n" + tools + "CMD make serve\n", select="AG104")) == 2
    assert len(lint("FROM alpine:3.24\n" + tools, select="AG104", path="build/app/Dockerfile")) == 2


# AG105 apk-del-later-layer

def test_ag105_delete_in_a_later_run():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache gcc\nRUN make && apk del gcc\n", select="AG105")
    assert where(findings) == [("AG105", 3, 21)]
    assert "line 2" in findings[0].message


def test_ag105_same_run_and_inherited_stage():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache gcc && apk del gcc\n", select="AG105") == []
    findings = lint("""
        FROM alpine:3.24 AS base
        RUN apk add --no-cache --virtual .deps gcc
        FROM base
        RUN apk del .deps
        """, select="AG105")
    assert where(findings) == [("AG105", 4, 13)]


def test_ag105_builder_stage_is_not_checked_and_the_advice_is_to_merge():
    assert lint("""
        FROM alpine:3.24 AS build
        RUN apk add --no-cache gcc
        RUN make && apk del gcc
        FROM alpine:3.24
        COPY --from=build /out /out
        """, select="AG105") == []
    finding, = lint("FROM alpine:3.24\nRUN apk add --no-cache gcc\nRUN make && apk del gcc\n", select="AG105")
    assert "merge the two RUNs" in finding.message


def test_ag105_one_finding_per_earlier_run_at_its_first_package():
    findings = lint("""
        FROM alpine:3.24
        RUN apk add --no-cache gcc make musl-dev
        RUN apk add --no-cache git
        RUN make && apk del gcc make musl-dev git
        """, select="AG105")
    assert where(findings) == [("AG105", 4, 21), ("AG105", 4, 39)]
    assert "apk del removes packages added by the RUN at line 2 (gcc, make, musl-dev)" in findings[0].message
    assert "apk del `git` removes a package added by the RUN at line 3" in findings[1].message


# AG106 apk-del-repeats-list

def test_ag106_two_repeated_packages():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache gcc g++ make && make && apk del gcc g++\n",
                    select="AG106")
    assert where(findings) == [("AG106", 2, 48)]
    assert findings[0].severity.label == "style"


def test_ag106_one_package_or_a_virtual_is_fine():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache gcc && apk del gcc\n", select="AG106") == []
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache -t .b gcc g++ && apk del .b\n", select="AG106") == []


def test_ag106_cites_each_apk_add_the_packages_came_from():
    finding, = lint("""
        FROM alpine:3.24
        RUN apk add --no-cache gcc \\
         && apk add --no-cache musl-dev \\
         && make && apk del gcc musl-dev gcc
        """, select="AG106")
    assert "repeats gcc, musl-dev from the apk adds at lines 2 and 3" in finding.message


# AG107 virtual-not-deleted

def test_ag107_build_virtual_never_deleted_at_the_virtual_name():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache --virtual .build-deps gcc && make\n",
                    select="AG107")
    assert where(findings) == [("AG107", 2, 34)]


def test_ag107_runtime_virtual_builder_stage_and_short_option():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache --virtual .python-rundeps libpq libffi\n",
                select="AG107") == []
    assert lint("FROM alpine:3.24 AS b\nRUN apk add --no-cache -t .b gcc\nFROM alpine:3.24\n", select="AG107") == []
    assert where(lint("FROM alpine:3.24\nRUN apk add --no-cache -t .b gcc\n", select="AG107")) == [("AG107", 2, 27)]


def test_ag107_delete_of_an_undefined_virtual():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache --virtual .build gcc && apk del .build-deps\n",
                    select="AG107")
    assert [(f.start, "undefined" if "no virtual" in f.message else "kept") for f in findings] == [
        ((2, 34), "kept"), ((2, 56), "undefined")]


def test_ag107_virtual_packages_kept_on_purpose():
    for name in (".ruby-rundeps", ".varnish-run-deps", ".persistent-deps", "runtime-tools"):
        assert lint(f"FROM alpine:3.24\nRUN apk add --no-cache --virtual {name} make libffi-dev\n",
                    select="AG107") == [], name
    assert lint("FROM golang:1.22-alpine3.20\nRUN apk add --no-cache -t .b gcc\n", select="AG107") == []


def test_ag107_mostly_runtime_set_abbreviated_option_and_third_party_base():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache --virtual .certbot-deps py3-pip libffi augeas-libs binutils\n",
                select="AG107") == []
    assert where(lint("FROM alpine:3.24\nRUN apk add --no-cache --virtual .build-deps py3-pip libffi gcc\n",
                      select="AG107")) == [("AG107", 2, 34)]
    # apk takes an unambiguous prefix of a long option: `--virt` is `--virtual`
    assert lint("FROM alpine:3.24\nRUN apk add --virt .dep g++ && make && apk del .dep\n", select="AG107") == []
    # a base image other than alpine may define the virtual package a child deletes
    assert lint("FROM example/ml-base:1\nRUN apk del .build-deps\n", select="AG107") == []
    assert where(lint("FROM alpine:3.24\nRUN apk del .build-deps\n", select="AG107")) == [("AG107", 2, 13)]


def test_ag107_deleted_in_a_later_run_is_left_to_ag105():
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache -t .b gcc\nRUN make && apk del .b\n", select="AG10")
    assert where(findings) == [("AG105", 3, 21)]
    findings = lint("FROM alpine:3.24\nRUN apk add --no-cache gcc\nRUN make && apk del gcc\n", select="AG10")
    assert where(findings) == [("AG105", 3, 21)]  # and no AG104 for the same gcc
    findings = lint("FROM alpine:3.24 AS base\nRUN apk add --no-cache -t .b gcc\nFROM base\nRUN apk del .b\n",
                    select="AG10")
    assert where(findings) == [("AG105", 4, 13)]


# AG108 apk-edge-repository

def test_ag108_edge_repository_and_tag():
    findings = lint("""
        FROM alpine:3.24
        RUN apk add --no-cache -X https://dl-cdn.example/alpine/edge/testing foo \\
         && apk add --no-cache bar@edge baz
        """, select="AG108")
    assert where(findings) == [("AG108", 2, 27), ("AG108", 3, 24)]


def test_ag108_stable_repository_and_edge_image_are_fine():
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache --repository=https://x/alpine/v3.24/community foo\n",
                select="AG108") == []
    assert lint("FROM alpine:edge\nRUN apk add --no-cache --repository=https://x/alpine/edge/testing foo\n",
                select="AG108") == []


def test_ag108_names_the_branch():
    messages = [f.message for f in lint("""
        FROM alpine:3.24
        RUN apk add --no-cache -X https://dl-cdn.alpinelinux.org/alpine/edge/main musl \\
         && apk add --no-cache --repository=https://dl-cdn.alpinelinux.org/alpine/edge/testing foo
        """, select="AG108")]
    assert ["(edge/main)" in messages[0], "(edge/testing)" in messages[1]] == [True, True]


# AG109 apk-allow-untrusted

def test_ag109_allow_untrusted():
    assert where(lint("FROM alpine:3.24\nRUN apk add --no-cache --allow-untrusted /tmp/x.apk\n",
                      select="AG109")) == [("AG109", 2, 24)]
    assert lint("FROM alpine:3.24\nRUN apk add --no-cache /tmp/x.apk\n", select="AG109") == []


def test_unknown_base_using_apk_is_taken_as_alpine():
    assert where(lint("FROM registry.example/base:1\nRUN apk add curl\n", select="AG101")) == [("AG101", 2, 5)]


def test_ag109_more_packages_than_shown_end_in_an_ellipsis():
    finding, = lint("FROM alpine:3.24\nRUN apk add --no-cache --allow-untrusted a b c d\n", select="AG109")
    assert "installs a, b, c, ... without" in finding.message


def test_ag109_packages_built_in_the_file_are_not_downloads():
    assert lint("""
        FROM alpine:3.24
        RUN abuild -r
        RUN apk add --allow-untrusted /home/builder/packages/main/x86_64/*.apk
        """, select="AG109") == []
    assert lint("""
        FROM alpine:3.24 AS builder
        RUN make abuild-module-geoip && cp ~/packages/*/*/*.apk /tmp/packages/
        FROM alpine:3.24
        RUN --mount=type=bind,target=/tmp/packages/,source=/tmp/packages/,from=builder \\
            apk add --no-cache --allow-untrusted /tmp/packages/nginx-module-geoip-*.apk
        """, select="AG109") == []
    assert len(lint("FROM alpine:3.24\nRUN wget https://example.org/foo.apk && apk add --allow-untrusted /foo.apk\n",
                    select="AG109")) == 1
