"""Checking Dockerfiles as their compose services and bake targets build them: args, targets,
contexts, inline Dockerfiles, findings named by the builds they depend on, broken definition
files, the switches that turn it off or name the files, and the imports it costs."""
from __future__ import annotations

import json
import os
import textwrap

import pytest
from conftest import AS_OF, run_cli

from alpineguard.config import Settings
from alpineguard.runner import lint


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # the repository root bounds the upward search for compose files
    monkeypatch.chdir(tmp_path)
    for name in ("ALPINE_VERSION", "PYTHON_VERSION", "TAG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def check(*paths, **options):
    settings = Settings(**{"as_of": AS_OF, **options})
    result = lint(list(paths) or ["."], settings, jobs=1)
    assert not result.errors
    return result.findings


def summary(findings, rule=None):
    return [(f.rule, f.path, f.start[0], f.message) for f in findings if rule is None or f.rule == rule]


RELEASE_ARG = """
    ARG ALPINE_VERSION=3.24
    FROM alpine:${ALPINE_VERSION}
    RUN apk add --no-cache tini
    ENTRYPOINT ["/sbin/tini", "--"]
    CMD ["sh"]
"""


def test_env_file_interpolation_makes_a_release_end_of_life(repo):
    write(repo, "Dockerfile", RELEASE_ARG)
    write(repo, ".env", "ALPINE=3.16\n")
    write(repo, "compose.yaml", """
        services:
          app:
            build:
              context: .
              args:
                ALPINE_VERSION: ${ALPINE}
    """)
    assert summary(check()) == [
        ("AG202", "Dockerfile", 2, "Alpine 3.16 (`alpine:3.16`) reached end of support on 2024-05-23; move to 3.24 "
                                   "(service `app` in compose.yaml:3)")]
    assert check(build_definitions=False) == []  # the ARG default alone is current


def test_unset_variable_leaves_the_release_unknown_instead_of_the_default(repo):
    write(repo, "Dockerfile", RELEASE_ARG.replace("3.24", "3.15"))
    write(repo, "compose.yaml", """
        services:
          app:
            build:
              context: .
              args: {ALPINE_VERSION: "${ALPINE}"}
    """)
    assert check() == []  # the default (3.15, past its end) is not what this build uses
    assert [f.rule for f in check(build_definitions=False)] == ["AG202"]


def test_args_make_a_tag_float_across_alpine_releases(repo):
    write(repo, "Dockerfile", """
        ARG PYTHON_VERSION=3.12-alpine3.24
        FROM python:${PYTHON_VERSION}
        RUN apk add --no-cache tini
        ENTRYPOINT ["/sbin/tini", "--"]
        CMD ["python"]
    """)
    write(repo, "docker-compose.yml", """
        services:
          api:
            build:
              context: .
              args: [PYTHON_VERSION=3.12-alpine]
    """)
    (finding,) = check()
    assert finding.rule == "AG201" and "`python:3.12-alpine`" in finding.message
    assert finding.message.endswith("(service `api` in docker-compose.yml:3)")


def test_two_services_sharing_one_dockerfile_with_different_args(repo):
    write(repo, "docker/Dockerfile", RELEASE_ARG)
    write(repo, "compose.yaml", """
        services:
          old:
            build:
              context: .
              dockerfile: docker/Dockerfile
              args: {ALPINE_VERSION: "3.17"}
          current:
            build:
              context: .
              dockerfile: docker/Dockerfile
          older:
            build:
              context: .
              dockerfile: docker/Dockerfile
              args: {ALPINE_VERSION: "3.16"}
          same-as-old:
            build:
              context: .
              dockerfile: docker/Dockerfile
              args: {ALPINE_VERSION: "3.17"}
    """)
    findings = check("docker/Dockerfile")  # a file given alone: compose files above it are read
    shown = os.path.join("docker", "Dockerfile")
    assert [(f.rule, f.path, f.start) for f in findings] == [("AG202", shown, (2, 6))] * 2
    messages = sorted(f.message for f in findings)
    assert messages[0].startswith("Alpine 3.16") and messages[0].endswith("(service `older` in compose.yaml:12)")
    assert messages[1].startswith("Alpine 3.17") and messages[1].endswith(
        "(service `old` in compose.yaml:3; service `same-as-old` in compose.yaml:17)")


def test_a_finding_every_build_shares_with_the_file_alone_is_reported_once_unnamed(repo):
    write(repo, "Dockerfile", RELEASE_ARG.replace("apk add --no-cache tini", "apk add tini"))
    write(repo, "compose.yaml", """
        services:
          a: {build: {context: ., args: {ALPINE_VERSION: "3.23"}}}
          b: {build: {context: ., args: {ALPINE_VERSION: "3.22"}}}
    """)
    assert summary(check()) == [("AG101", "Dockerfile", 3, "`apk add tini` leaves the package index in the layer; "
                                                         "add --no-cache")]


def test_target_that_is_not_the_last_stage(repo):
    write(repo, "Dockerfile", """
        FROM alpine:3.24 AS dev
        RUN apk add --no-cache gcc musl-dev
        CMD ["sh"]

        FROM alpine:3.24
        RUN apk add --no-cache tini
        ENTRYPOINT ["/sbin/tini", "--"]
        CMD ["sh"]
    """)
    write(repo, "compose.yaml", """
        services:
          dev:
            build:
              context: .
              target: dev
    """)
    findings = check()
    assert sorted((f.rule, f.start[0]) for f in findings) == [("AG104", 2), ("AG104", 2), ("AG301", 3)]
    assert all(f.message.endswith("(service `dev` in compose.yaml:3)") for f in findings)
    assert check(build_definitions=False) == []  # the last stage alone is clean


def test_context_at_the_repository_root_finds_the_copied_requirements(repo):
    write(repo, "services/api/requirements.txt", "psycopg2==2.9.9\n")
    write(repo, "services/api/Dockerfile", """
        FROM python:3.12-alpine3.24
        WORKDIR /app
        COPY services/api/requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
    """)
    write(repo, "compose.yaml", """
        services:
          api:
            build:
              context: .
              dockerfile: services/api/Dockerfile
    """)
    ag401 = [f for f in check() if f.rule == "AG401"]
    assert len(ag401) == 1 and ag401[0].message.startswith("psycopg2 2.9.9 (services/api/requirements.txt:1)")
    assert ag401[0].message.endswith("(service `api` in compose.yaml:3)")
    assert not [f for f in check(build_definitions=False) if f.rule == "AG401"]


def test_platforms_of_a_build_narrow_the_wheel_check(repo):
    write(repo, "Dockerfile", """
        FROM python:3.12-alpine3.24
        RUN pip install --no-cache-dir numpy==1.26.0
    """)
    write(repo, "compose.yaml", """
        services:
          amd64:
            build: {context: ., platforms: [linux/amd64]}
    """)
    assert [f for f in check() if f.rule == "AG401"] == []
    assert [f.rule for f in check(build_definitions=False) if f.rule == "AG401"] == ["AG401"]


def test_named_context_replaces_the_base_image(repo):
    write(repo, "Dockerfile", """
        FROM base
        RUN apk add curl
    """)
    write(repo, "compose.yaml", """
        services:
          pinned:
            build:
              context: .
              additional_contexts: {base: "docker-image://alpine:3.24"}
    """)
    assert [f.rule for f in check()] == ["AG101"]  # `base` is Alpine 3.24 for this build


def test_dockerfile_inline_findings_point_into_the_compose_file(repo):
    write(repo, "compose.yaml", """
        services:
          tool:
            build:
              context: .
              dockerfile_inline: |
                FROM alpine:3.24
                RUN apk add curl
    """)
    (finding,) = [f for f in check() if f.rule == "AG101"]
    assert (finding.path, finding.start) == ("compose.yaml", (7, 13))
    assert finding.fix is None and finding.message.endswith("(service `tool` in compose.yaml:3)")


def test_bake_targets_with_inherits(repo):
    write(repo, "Dockerfile", RELEASE_ARG)
    write(repo, "docker-bake.hcl", """
        variable "ALPINE_VERSION" {
          default = "3.18"
        }
        target "_args" {
          args = { ALPINE_VERSION = ALPINE_VERSION }
        }
        target "image" {
          inherits = ["_args"]
        }
    """)
    (finding,) = check()
    assert finding.rule == "AG202" and finding.message.startswith("Alpine 3.18")
    assert finding.message.endswith("(bake target `image` in docker-bake.hcl:7)")


def test_broken_yaml_is_a_finding_and_the_dockerfile_is_still_checked_alone(repo):
    write(repo, "Dockerfile", "FROM alpine:3.24\nRUN apk add curl\n")
    write(repo, "compose.yaml", """
        services:
          app:
            build: .
           oops: [
    """)
    findings = check()
    assert [(f.rule, f.path, f.start[0]) for f in findings] == [("AG101", "Dockerfile", 2),
                                                                  ("AG004", "compose.yaml", 4)]
    assert "not valid YAML" in findings[1].message
    assert [f.rule for f in check(ignore=("AG004",))] == ["AG101"]


def test_cli_switches_config_keys_and_exit_status(repo):
    write(repo, "Dockerfile", RELEASE_ARG)
    write(repo, "deploy/stack.yml", """
        services:
          app:
            build:
              context: ..
              args: {ALPINE_VERSION: "3.16"}
            profiles: [old]
          new:
            build: ..
    """)
    assert run_cli("--as-of", "2026-11-26", cwd=repo).returncode == 0  # stack.yml is no default name
    named = run_cli("--as-of", "2026-11-26", "--compose", "deploy/stack.yml", "--format", "json", cwd=repo)
    assert named.returncode == 1, named.stderr
    (finding,) = json.loads(named.stdout)["findings"]
    assert finding["rule"] == "AG202" and finding["message"].endswith(
        f"(service `app` in {os.path.join('deploy', 'stack.yml')}:3)")
    off = run_cli("--as-of", "2026-11-26", "--compose", "deploy/stack.yml", "--no-build-definitions", cwd=repo)
    assert off.returncode == 0, off.stdout
    write(repo, ".alpineguard.yaml", "compose-files: [deploy/stack.yml]\ncompose-profiles: [other]\n")
    assert run_cli("--as-of", "2026-11-26", cwd=repo / "deploy").returncode == 0  # `app` is not in the profile
    write(repo, ".alpineguard.yaml", "compose-files: [deploy/stack.yml]\ncompose-profiles: old\n")
    assert run_cli("--as-of", "2026-11-26", cwd=repo).returncode == 1
    write(repo, ".alpineguard.yaml", "compose-files: [deploy/stack.yml]\nbuild-definitions: false\n")
    assert run_cli("--as-of", "2026-11-26", cwd=repo).returncode == 0


# A run in a fresh interpreter, then the parsers it loaded (main returns; entry would leave at once).
IMPORTS = ("import sys\nfrom alpineguard.cli import main\nmain(['-q', '.'])\n"
           "print('loaded:', *(m for m in ('alpineguard.builds', 'hcl2', 'lark', 'yaml') if m in sys.modules))\n")


def _imports(folder) -> str:
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", IMPORTS], cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].removeprefix("loaded:").strip()


def test_the_plain_lint_path_imports_no_yaml_or_hcl_parser(repo):
    write(repo, "Dockerfile", "FROM alpine:3.24\nRUN apk add --no-cache tini\nENTRYPOINT [\"/sbin/tini\", \"--\"]\n")
    assert _imports(repo) == ""
    write(repo, "compose.yaml", "services:\n  app:\n    build: .\n")
    assert _imports(repo) == "alpineguard.builds yaml"
    (repo / "compose.yaml").unlink()
    write(repo, "docker-bake.hcl", 'target "app" {}\n')
    assert _imports(repo) == "alpineguard.builds hcl2 lark"


@pytest.mark.parametrize("name, text", [
    ("compose.yaml", "services: " + "[" * 50000 + "]" * 50000 + "\n"),  # deeper than Python's recursion
    ("docker-bake.hcl", 'target "a" { args = ' + "[" * 5000 + "]" * 5000 + " }\n"),
    ("compose.yaml", "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"]  # a billion laughs: aliases read once
                               + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 30)]
                               + ["services:", "  app: {build: ., x: *a29}", ""])),
])
def test_hostile_definition_files_are_findings_and_the_dockerfile_is_still_checked(repo, name, text):
    write(repo, "Dockerfile", "FROM alpine:3.24\nRUN apk add curl\n")
    (repo / name).write_text(text, encoding="utf-8")
    rules = sorted(f.rule for f in check())
    assert "AG101" in rules and set(rules) <= {"AG101", "AG004"}
