"""AG201-AG203 and the image classification they rest on."""
import datetime as dt

import pytest

from alpineguard.images import ImageClassifier
from alpineguard.model import ImageKind
from alpineguard.parsing.dockerfile import parse_image_ref
from conftest import lint, where


@pytest.mark.parametrize("image, kind, release", [
    ("alpine", ImageKind.ALPINE, None),
    ("alpine:3.20.3", ImageKind.ALPINE, "3.20"),
    ("docker.io/library/alpine:3.19", ImageKind.ALPINE, "3.19"),
    ("registry.example.com/mirror/alpine:3.21", ImageKind.ALPINE, "3.21"),
    ("python:3.12-alpine3.20", ImageKind.ALPINE, "3.20"),
    ("node:lts-alpine", ImageKind.ALPINE, None),
    ("eclipse-temurin:21-jdk-alpine-3.24", ImageKind.ALPINE, "3.24"),
    ("cgr.dev/chainguard/wolfi-base", ImageKind.APK_GLIBC, None),
    ("chainguard/python:latest-dev", ImageKind.APK_GLIBC, None),
    ("python:3.12-slim", ImageKind.NON_APK, None),
    ("node:20-bookworm", ImageKind.NON_APK, None),
    ("python:3.12", ImageKind.NON_APK, None),
    ("debian:trixie", ImageKind.NON_APK, None),
    ("gcr.io/distroless/static-debian12", ImageKind.NON_APK, None),
    ("ubuntu:24.04", ImageKind.NON_APK, None),
    ("scratch", ImageKind.SCRATCH, None),
    ("myorg/base:1.0", ImageKind.UNKNOWN, None),
    ("arm64v8/python:3.12", ImageKind.NON_APK, None),
    ("golang:1.7", ImageKind.NON_APK, None),  # golang had -alpine variants then: the plain tag was Debian
    ("neo4j:3.4.6-enterprise", ImageKind.UNKNOWN, None),  # nothing in the manifest said Debian
    # Unrendered parts tell nothing; the known parts still do.
    ("alpine:%%TAG%%", ImageKind.ALPINE, None),
    ("alpine:{{ .AlpineVersion }}", ImageKind.ALPINE, None),
    ("php:%%PHP_VERSION%%-alpine", ImageKind.ALPINE, None),
    ("python:3.12-alpine@PY_ALPINE@", ImageKind.ALPINE, None),
    ("php:%%PHP_VERSION%%-%%VARIANT%%", ImageKind.UNKNOWN, None),
    ("php:<version>", ImageKind.UNKNOWN, None),
    ("python:${PYTHON_TAG}", ImageKind.UNKNOWN, None),
    ("ruby:%%RUBY_VERSION%%-slim", ImageKind.NON_APK, None),
    ("myorg/app:%%ALPINE_TAG%%", ImageKind.UNKNOWN, None),
    ("resin/%%MACHINE%%-alpine", ImageKind.UNKNOWN, None),
    ("__ARCH__/alpine:3.20", ImageKind.UNKNOWN, None),
])
def test_classification(image, kind, release):
    assert ImageClassifier()(parse_image_ref(image)) == (kind, release)


def test_configured_images_win():
    classify = ImageClassifier(alpine_images=["myorg/base"], glibc_images=["corp/*"])
    assert classify(parse_image_ref("myorg/base:1")) == (ImageKind.ALPINE, None)
    assert classify(parse_image_ref("corp/alpine:3.20"))[0] is ImageKind.APK_GLIBC


# AG201 alpine-release-floating

@pytest.mark.parametrize("image, suggestion", [
    ("alpine", "alpine:3.24"), ("alpine:latest", "alpine:3.24"), ("alpine:3", "alpine:3.24"),
    ("arm32v7/alpine:3", "arm32v7/alpine:3.24"),
    ("python:3.12-alpine", "python:3.12-alpine3.24"), ("node:lts-alpine", "node:lts-alpine3.24"),
    ("golang:alpine", "golang:alpine3.24"), ("library/php:8.3-fpm-alpine", "library/php:8.3-fpm-alpine3.24"),
    # eclipse-temurin spells its pinned tags with a dash before the release
    ("eclipse-temurin:21-jre-alpine", "eclipse-temurin:21-jre-alpine-3.24"),
])
def test_ag201_floating_tags_with_unsafe_fix(image, suggestion):
    finding, = lint(f"FROM {image} AS x\n", select="AG201")
    assert finding.start == (1, 6) and finding.end == (1, 6 + len(image))
    assert f"`{suggestion}`" in finding.message
    assert not finding.fix.safe and finding.fix.edits[0].replacement == suggestion


@pytest.mark.parametrize("image", ["alpine:3.24", "alpine@sha256:" + "a" * 64, "python:3.12-alpine3.23",
                                   "python:3.12-slim", "myorg/base",
                                   # no longer published: frozen, not floating (AG202's business)
                                   "golang:1.9-alpine", "node:10-alpine", "java:8-jre-alpine",
                                   # a date-stamped edge snapshot, and a tag alpine never had
                                   "alpine:20260805", "alpine:socat"])
def test_ag201_pinned_frozen_or_not_alpine(image):
    assert lint(f"FROM {image}\n", select="AG201") == []


@pytest.mark.parametrize("image", ["alpine:%%TAG%%", "alpine:{{ .Tag }}", "alpine:@ALPINE_VERSION@",
                                   "alpine:<version>", "php:%%PHP_VERSION%%-alpine", "alpine:${TAG}",
                                   "node:<%= version %>-alpine", "golang:__VERSION__-alpine"])
def test_ag201_ag202_say_nothing_about_unrendered_tags(image):
    assert lint(f"FROM {image}\nRUN apk add --no-cache curl\n", select="AG201,AG202") == []


def test_unrendered_alpine_base_still_gets_the_apk_rules():
    assert where(lint("FROM alpine:%%TAG%%\nRUN apk add curl\n", select="AG101")) == [("AG101", 2, 5)]


def test_ag201_through_arg_names_the_resolved_image_without_a_fix():
    finding, = lint("ARG GO=1.26\nFROM golang:${GO}-alpine AS build\nFROM build\n", select="AG201")
    assert finding.start == (2, 6) and "golang:1.26-alpine" in finding.message and finding.fix is None
    assert "`golang:1.26-alpine3.24`" in finding.message


@pytest.mark.parametrize("image", ["erlang:27-alpine", "maven:3-eclipse-temurin-21-alpine"])
def test_ag201_image_without_pinned_tags_gets_a_digest(image):
    finding, = lint(f"FROM {image}\n", select="AG201")
    name = image.split(":")[0]
    assert f"`{name}` publishes no tags that pin one" in finding.message
    assert f"`{image}@sha256:…`" in finding.message and finding.fix is None


def test_ag201_other_publishers_get_a_digest_and_no_made_up_tag():
    finding, = lint("FROM example/app:1.0-alpine\n", select="AG201")
    assert "`example/app:1.0-alpine@sha256:…`" in finding.message and "alpine3" not in finding.message
    assert finding.fix is None


def test_ag201_tag_newer_than_the_table_floats_without_a_guessed_tag():
    finding, = lint("FROM python:3.99-alpine\n", select="AG201")
    assert "python:3.99-alpine@sha256:" in finding.message and finding.fix is None


def test_ag201_old_patch_tag_of_a_published_line_is_frozen():
    assert lint("FROM python:3.14.0-alpine\n", select="AG201") == []


def test_ag201_reported_once_for_inherited_stages():
    assert where(lint("FROM alpine AS a\nFROM a\nFROM a AS c\n", select="AG201")) == [("AG201", 1, 6)]


def test_ag201_suggests_the_newest_release_of_the_run_date():
    finding, = lint("FROM alpine\n", select="AG201", as_of=dt.date(2025, 1, 1))
    assert "alpine:3.21" in finding.message


# AG202 alpine-release-eol

def test_ag202_points_at_the_tag():
    finding, = lint("FROM python:3.11-alpine3.18\n", select="AG202")
    assert (finding.start, finding.end) == ((1, 13), (1, 28))
    assert "2025-05-09" in finding.message and "3.24" in finding.message


def test_ag202_depends_on_the_date():
    assert lint("FROM alpine:3.21\n", select="AG202", as_of=dt.date(2026, 10, 31)) == []
    assert where(lint("FROM alpine:3.21\n", select="AG202", as_of=dt.date(2026, 11, 2))) == [("AG202", 1, 13)]
    assert where(lint("FROM alpine:3.8\n", select="AG202")) == [("AG202", 1, 13)]
    assert lint("FROM alpine:3.99\n", select="AG202") == []


def test_ag202_frozen_line_on_an_ended_release():
    finding, = lint("FROM golang:1.9-alpine AS build\n", select="AG202")
    assert (finding.start, finding.end) == ((1, 13), (1, 23))
    assert "`golang:1.9-alpine` is no longer published (last listed 2018-08)" in finding.message
    assert "Alpine 3.8, past end of support" in finding.message


def test_ag202_frozen_patch_tag_is_bounded_by_its_line():
    finding, = lint("FROM node:10.16.3-alpine\n", select="AG202")
    assert "its 10.16 line was last listed 2019-10" in finding.message and "Alpine 3.10 or older" in finding.message


def test_ag202_frozen_on_a_supported_release_is_not_reported():
    # node 20 ended in 2026-04 on Alpine 3.23, supported until 2027-11
    assert lint("FROM node:20-alpine\n", select="AG201,AG202") == []


def test_ag202_with_arg_and_build_arg():
    text = "ARG ALPINE=3.16\nFROM alpine:${ALPINE}\n"
    assert where(lint(text, select="AG202")) == [("AG202", 2, 6)]
    assert lint(text, select="AG202", build_args={"ALPINE": "3.24"}) == []


# AG203 wrong-package-manager

def test_ag203_apt_in_alpine_and_apk_in_debian():
    finding, = lint("FROM python:3.12-alpine3.24\nRUN apt-get update && apt-get install -y curl \\\n"
                    "  && apt-get clean\n", select="AG203")
    assert finding.start == (2, 5) and finding.message.endswith("(2 more calls in this RUN)")
    finding, = lint("FROM node:20-bookworm-slim\nRUN apk add --no-cache curl\n", select="AG203")
    assert finding.start == (2, 5) and "node:20-bookworm-slim" in finding.message


def test_ag203_multi_stage_inheritance_and_probes():
    text = """
        FROM debian:bookworm AS build
        RUN apt-get update
        FROM alpine:3.24 AS run
        RUN apk add --no-cache curl
        FROM run
        RUN sudo yum install x
        """
    assert where(lint(text, select="AG203")) == [("AG203", 6, 10)]
    assert lint("FROM alpine:3.24\nRUN if command -v apt-get; then apt-get update; fi\n", select="AG203") == []
    assert lint("FROM myorg/base\nRUN apt-get update\n", select="AG203") == []


@pytest.mark.parametrize("image", ["php:%%PHP_VERSION%%-%%VARIANT%%", "{{ .Base }}", "php:${PHP_TAG}",
                                   "neo4j:3.4.6-enterprise"])
def test_ag203_says_nothing_when_the_base_is_not_known(image):
    assert lint(f"FROM {image}\nRUN apk add --no-cache curl\n", select="AG203") == []


def test_ag203_inferred_alpine_is_not_held_against_apt():
    text = "FROM myorg/base\nRUN apk add --no-cache curl || apt-get install -y curl\n"
    assert lint(text, select="AG203") == []


def test_ag203_old_official_tag_known_to_be_debian():
    assert where(lint("FROM golang:1.7\nRUN apk add --no-cache git\n", select="AG203")) == [("AG203", 2, 5)]


def test_ag203_base_from_an_arg_names_the_arg():
    finding, = lint("ARG PHP=8.3-cli\nFROM php:${PHP}\nRUN apk add --no-cache git\n", select="AG203")
    assert "`php:8.3-cli` (from php:${PHP})" in finding.message


def test_ag203_not_for_a_package_manager_the_build_puts_in_place():
    text = """
        FROM debian:bookworm-slim
        RUN wget -O /tmp/apk.apk https://example.org/apk-tools-static.apk \\
            && tar -xzf /tmp/apk.apk -C /usr/local/ && mv /usr/local/sbin/apk.static /usr/local/bin/apk
        RUN apk --version
        """
    assert lint(text, select="AG203") == []
    assert where(lint("FROM debian:bookworm-slim\nRUN apk --version && mv x /usr/local/bin/apk\n",
                      select="AG203")) == [("AG203", 2, 5)]


# AG201 and the repository the Dockerfile is kept in

def test_ag201_silent_for_images_of_the_repository_owner():
    text = "FROM myorg/base:alpine\nFROM other/base:alpine\n"
    assert where(lint(text, select="AG201", repository="MyOrg/images")) == [("AG201", 2, 6)]
    assert where(lint(text, select="AG201")) == [("AG201", 1, 6), ("AG201", 2, 6)]
    assert lint("FROM ghcr.io/myorg/base:alpine\n", select="AG201", repository="myorg/images") == []


def test_ag201_silent_for_official_parents_in_an_official_image_source():
    text = "FROM php:8.3-fpm-alpine\n"
    assert lint(text, select="AG201", repository="docker-library/wordpress") == []
    assert where(lint(text, select="AG201", repository="myorg/site")) == [("AG201", 1, 6)]


def _git(*args, cwd):
    import subprocess
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_repository_read_from_the_checkout_and_its_worktrees(tmp_path):
    from alpineguard.engine import check_file
    from alpineguard.config import Settings
    from alpineguard.repository import repository_of
    checkout = tmp_path / "images"
    (checkout / "php").mkdir(parents=True)
    _git("init", "-q", cwd=checkout)
    _git("remote", "add", "upstream", "https://gitlab.example.com/someone/fork", cwd=checkout)
    _git("remote", "add", "origin", "git@github.com:MyOrg/images.git", cwd=checkout)
    dockerfile = checkout / "php" / "Dockerfile"
    dockerfile.write_text("FROM myorg/base:alpine\n")
    assert repository_of(str(dockerfile)) == "MyOrg/images"
    assert check_file(str(dockerfile), Settings(select=("AG201",))).findings == []
    (checkout / "README").write_text("x\n")
    _git("add", "README", cwd=checkout)
    _git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x", cwd=checkout)
    _git("worktree", "add", "-q", str(tmp_path / "wt"), cwd=checkout)
    assert repository_of(str(tmp_path / "wt" / "Dockerfile")) == "MyOrg/images"
    assert repository_of(str(tmp_path / "elsewhere" / "Dockerfile")) is None


def test_repository_on_the_command_line_and_in_the_config(tmp_path):
    from conftest import run_cli
    (tmp_path / "Dockerfile").write_text("FROM myorg/base:alpine\n")
    done = run_cli("--select", "AG201", "--repository", "myorg", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 2 and b"--repository takes OWNER/NAME, got 'myorg'" in done.stderr
    assert run_cli("--select", "AG201", "Dockerfile", cwd=tmp_path).returncode == 1
    assert run_cli("--select", "AG201", "--repository", "myorg/images", "Dockerfile",
                      cwd=tmp_path).returncode == 0
    (tmp_path / ".alpineguard.yaml").write_text("repository: myorg/images\n")
    assert run_cli("--select", "AG201", "Dockerfile", cwd=tmp_path).returncode == 0
    (tmp_path / ".alpineguard.yaml").write_text("repository: [myorg]\n")
    done = run_cli("--select", "AG201", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 2 and b"`repository` must be a repository as OWNER/NAME" in done.stderr
def test_eol_release_split_by_a_line_continuation_points_at_the_whole_image():
    text = "FROM alpine:3\\\n.18\nRUN true\n"
    finding, = lint(text, select="AG202", dedent=False)
    assert (finding.start, finding.end) == ((1, 6), (2, 4))
