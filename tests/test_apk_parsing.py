"""Reading apk command lines and what a stage has installed at a point."""
from alpineguard.parsing.apk import installed_packages, is_build_only
from test_parsing import parse


def test_parse_apk_options_anywhere_and_values():
    df = parse("FROM alpine:3.24\nRUN apk --no-cache -X https://r/edge/main add -t .deps=1.0 gcc curl@edge=8.0-r0\n")
    call = df.instructions[1].commands[0].apk
    assert call.subcommand == "add" and call.has("no-cache")
    assert [w.value for w in call.values["repository"]] == ["https://r/edge/main"]
    assert call.virtual.value == ".deps=1.0"
    assert [w.value for w in call.packages] == ["gcc", "curl@edge=8.0-r0"]


def test_parse_apk_combined_short_flags_and_inline_values():
    df = parse("FROM alpine:3.24\nRUN apk add -Uq --virtual=.v --repository=https://r/x make\n")
    call = df.instructions[1].commands[0].apk
    assert call.has("update-cache") and call.has("quiet")
    assert call.virtual.value == ".v" and [w.value for w in call.packages] == ["make"]


def test_installed_packages_follow_adds_deletes_virtuals_and_inheritance():
    df = parse("""
        FROM alpine:3.24 AS base
        RUN apk add --no-cache bash && apk add --no-cache -t .b gcc musl-dev
        FROM base
        RUN apk del .b && apk add --no-cache shadow
        RUN useradd x
        """)
    final = df.stages[1]
    run_del, run_user = final.instructions
    assert installed_packages(final, before=run_del) == {"bash", ".b", "gcc", "musl-dev"}
    assert installed_packages(final, before=run_del, before_command=run_del.commands[1]) == {"bash"}
    assert installed_packages(final, before=run_user) == {"bash", "shadow"}


def test_build_only_names():
    assert all(map(is_build_only, ["gcc", "build-base", "openssl-dev", "clang19", "linux-headers"]))
    assert not any(map(is_build_only, ["libstdc++", "curl", "python3", "tini"]))
