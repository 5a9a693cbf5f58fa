"""Reading compose and bake files into builds: context, Dockerfile, args, target, platforms,
named contexts; merging, inheritance, interpolation, and clear problems for broken files."""
from __future__ import annotations

import textwrap

import pytest

from alpineguard.builds.bake import BakeProject, bake_files_in
from alpineguard.builds.compose import ComposeProject, compose_files_in


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def compose(folder, environment=None, profiles=()):
    files = compose_files_in(str(folder), [p.name for p in folder.iterdir()])
    project = ComposeProject(files, environment or {}, profiles)
    return {build.name: build for build in project.builds()}, project.problems


def bake(folder, environment=None):
    files = bake_files_in(str(folder), [p.name for p in folder.iterdir()])
    project = BakeProject(files, environment or {})
    return {build.name: build for build in project.builds()}, project.problems


def test_compose_file_names_in_docker_compose_order(tmp_path):
    names = ["docker-compose.yml", "compose.yml", "docker-compose.override.yaml", "compose.override.yml"]
    assert compose_files_in("p", names) == ["p/compose.yml", "p/compose.override.yml"]
    assert compose_files_in("p", ["docker-compose.yaml", "docker-compose.override.yaml"]) == \
        ["p/docker-compose.yaml", "p/docker-compose.override.yaml"]
    assert compose_files_in("p", ["compose.override.yaml", "Dockerfile"]) == []


def test_build_as_a_string_and_as_a_mapping(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          web:
            build: ./web
          api:
            build:
              context: .
              dockerfile: services/api/Dockerfile.prod
              args:
                PYTHON_VERSION: 3.10
                DEBUG: "true"
              target: runtime
              platforms: [linux/arm64]
              additional_contexts:
                base: docker-image://alpine:3.20
                assets: ./assets
          cache:
            image: redis:7-alpine
    """)
    builds, problems = compose(tmp_path)
    assert problems == []
    assert sorted(builds) == ["api", "web"]
    web = builds["web"]
    assert (web.dockerfile, web.context, web.line) == (str(tmp_path / "web" / "Dockerfile"), str(tmp_path / "web"), 3)
    api = builds["api"]
    assert api.dockerfile == str(tmp_path / "services" / "api" / "Dockerfile.prod")
    assert api.context == str(tmp_path)
    assert api.args == (("DEBUG", "true"), ("PYTHON_VERSION", "3.10"))  # as written: 3.10, not 3.1
    assert (api.target, api.platforms) == ("runtime", ("linux/arm64",))
    assert api.named_contexts == (("assets", None), ("base", "alpine:3.20"))
    assert api.label == f"service `api` in {tmp_path / 'compose.yaml'}:5"


def test_args_as_a_list_and_from_the_environment(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          app:
            build:
              context: .
              args:
                - ALPINE=3.19
                - FROM_ENV
                - NOT_IN_ENV
                - EMPTY=
    """)
    builds, _ = compose(tmp_path, {"FROM_ENV": "env-value"})
    assert builds["app"].args == (("ALPINE", "3.19"), ("EMPTY", ""), ("FROM_ENV", "env-value"), ("NOT_IN_ENV", None))


def test_interpolation_with_the_project_env_file_below_the_environment(tmp_path):
    write(tmp_path, ".env", """
        ALPINE_VERSION=3.16
        TARGET=prod
        # the environment wins over this one
        SHADOWED=from-file
    """)
    write(tmp_path, "compose.yaml", """
        services:
          app:
            build:
              context: ${APP_DIR:-app}
              dockerfile: Dockerfile.${TARGET}
              target: $TARGET
              args:
                ALPINE_VERSION: ${ALPINE_VERSION}
                SHADOWED: ${SHADOWED}
                UNSET: ${NOT_SET}
                REQUIRED: ${NOT_SET:?set it}
                LITERAL: $$HOME
    """)
    builds, problems = compose(tmp_path, {"SHADOWED": "from-env"})
    assert problems == []
    app = builds["app"]
    assert app.dockerfile == str(tmp_path / "app" / "Dockerfile.prod") and app.target == "prod"
    assert dict(app.args) == {"ALPINE_VERSION": "3.16", "SHADOWED": "from-env", "UNSET": None, "REQUIRED": None,
                              "LITERAL": "$HOME"}


def test_an_unknown_context_or_dockerfile_name_drops_the_build(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          a:
            build: ${SRC}
          b:
            build:
              dockerfile: ${NAME}
          remote:
            build: https://github.com/example/app.git#main
          known:
            build: .
    """)
    builds, problems = compose(tmp_path)
    assert sorted(builds) == ["known"] and problems == []


def test_override_file_merges_into_the_base_and_paths_stay_relative_to_the_project(tmp_path):
    write(tmp_path, "docker-compose.yml", """
        services:
          api:
            build:
              context: api
              args: {A: "1", B: "1"}
          db:
            image: postgres
    """)
    write(tmp_path, "docker-compose.override.yml", """
        services:
          api:
            build:
              args: {B: "2"}
              target: dev
          db:
            build: db
    """)
    builds, _ = compose(tmp_path)
    assert builds["api"].args == (("A", "1"), ("B", "2")) and builds["api"].target == "dev"
    assert builds["api"].context == str(tmp_path / "api")
    assert builds["api"].source.endswith("docker-compose.override.yml")
    assert builds["db"].dockerfile == str(tmp_path / "db" / "Dockerfile")


def test_anchors_merge_keys_and_extends(tmp_path):
    write(tmp_path, "compose.yaml", """
        x-build: &build
          context: .
          args: {ALPINE: "3.18"}
        services:
          one:
            build:
              <<: *build
              dockerfile: one.Dockerfile
          base:
            build: {context: base, target: slim}
          child:
            extends: base
          child2:
            extends: {service: base}
    """)
    builds, _ = compose(tmp_path)
    assert builds["one"].args == (("ALPINE", "3.18"),)
    assert builds["one"].dockerfile == str(tmp_path / "one.Dockerfile")
    assert builds["child"] == builds["base"] == builds["child2"]  # the same build, named three ways
    assert builds["child"].target == "slim"


def test_profiles_choose_services_only_when_configured(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          always: {build: a}
          debug: {build: d, profiles: [debug]}
          tools: {build: t, profiles: [tools, ci]}
    """)
    assert sorted(compose(tmp_path)[0]) == ["always", "debug", "tools"]
    assert sorted(compose(tmp_path, profiles=("ci",))[0]) == ["always", "tools"]


def test_dockerfile_inline_maps_its_lines_back_to_the_compose_file(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          tool:
            build:
              context: .
              dockerfile_inline: |
                FROM alpine:3.20
                RUN apk add curl && echo $${HOME}
          short:
            build:
              dockerfile_inline: "FROM alpine:3.20"
    """)
    builds, _ = compose(tmp_path)
    inline = builds["tool"].inline
    assert builds["tool"].dockerfile is None
    assert inline.text == "FROM alpine:3.20\nRUN apk add curl && echo ${HOME}\n"
    assert inline.position((1, 6)) == (6, 14)  # `alpine` on line 6, indented 8
    assert inline.position((2, 5)) == (7, 9)  # interpolation changed line 2: its start
    assert builds["short"].inline.position((1, 6)) == (10, 26)  # any other style: the value's start


def test_broken_yaml_is_a_problem_at_its_line(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          api:
            build: .
           args: [oops
    """)
    builds, problems = compose(tmp_path)
    assert builds == {}
    assert len(problems) == 1 and problems[0].line == 4 and "not valid YAML" in problems[0].message


@pytest.mark.parametrize("text, message", [
    ("- a list\n", "a compose file is a mapping"),
    ("services: [a, b]\n", "`services` must be a mapping"),
    ("services:\n  api: just-a-string\n", "service `api` must be a mapping"),
    ("services:\n  api:\n    build: [x]\n", "`build` must be a path or a mapping"),
    ("services:\n  api:\n    build:\n      args: {A: \"${}\"}\n", "invalid interpolation"),
])
def test_malformed_compose_files_are_problems(tmp_path, text, message):
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    _, problems = compose(tmp_path)
    assert len(problems) == 1 and message in problems[0].message


def test_broken_env_file_is_a_problem_and_the_builds_still_come(tmp_path):
    write(tmp_path, ".env", "A=1\nthis is not a pair\n")
    write(tmp_path, "compose.yaml", "services:\n  app:\n    build: .\n")
    builds, problems = compose(tmp_path)
    assert list(builds) == ["app"]
    assert problems[0].path.endswith(".env") and problems[0].line == 2


BAKE = """
    variable "ALPINE_VERSION" {
      default = "3.18"
    }
    variable "TAG" {}
    variable "DERIVED" {
      default = "py-${ALPINE_VERSION}"
    }
    group "default" {
      targets = ["app", "base"]
    }
    target "_common" {
      args = {
        ALPINE_VERSION = ALPINE_VERSION
        DERIVED = "${DERIVED}"
        NUMBER = 3
      }
      platforms = ["linux/amd64", "linux/arm64"]
    }
    target "base" {
      inherits = ["_common"]
      context = "."
      dockerfile = "docker/Dockerfile"
      target = "base"
    }
    target "app" {
      inherits = ["base"]
      target = "runtime"
      args = {
        TAG = TAG
        ESCAPED = "a\\tb $${NOT_A_VARIABLE}"
        COMPUTED = lower("X")
      }
      contexts = {
        alpine = "docker-image://alpine:3.20"
      }
    }
    target "tool" {
      dockerfile-inline = <<EOT
    FROM alpine:${ALPINE_VERSION}
    RUN apk add --no-cache curl
    EOT
    }
    target "remote" {
      context = "https://github.com/example/app.git"
    }
"""


def test_bake_targets_with_inherits_variables_and_groups(tmp_path):
    write(tmp_path, "docker-bake.hcl", BAKE)
    builds, problems = bake(tmp_path)
    assert problems == []
    # _common is only inherited from; base is inherited but a group names it; remote is elsewhere
    assert sorted(builds) == ["app", "base", "tool"]
    app, base = builds["app"], builds["base"]
    assert app.dockerfile == str(tmp_path / "docker" / "Dockerfile") and app.context == str(tmp_path)
    assert dict(app.args) == {"ALPINE_VERSION": "3.18", "DERIVED": "py-3.18", "NUMBER": "3", "TAG": None,
                              "ESCAPED": "a\tb ${NOT_A_VARIABLE}", "COMPUTED": None}
    assert (app.target, base.target) == ("runtime", "base")
    assert app.platforms == ("linux/amd64", "linux/arm64")
    assert app.named_contexts == (("alpine", "alpine:3.20"),)
    assert app.label == f"bake target `app` in {tmp_path / 'docker-bake.hcl'}:25"
    assert builds["tool"].inline.text == "FROM alpine:3.18\nRUN apk add --no-cache curl\n"


def test_bake_variables_from_the_environment_and_override_files(tmp_path):
    write(tmp_path, "docker-bake.hcl", BAKE)
    write(tmp_path, "docker-bake.override.hcl", """
        target "app" {
          args = { EXTRA = "1" }
        }
    """)
    builds, _ = bake(tmp_path, {"ALPINE_VERSION": "3.15", "TAG": "v1"})
    assert dict(builds["app"].args)["ALPINE_VERSION"] == "3.15"
    assert dict(builds["app"].args)["DERIVED"] == "py-3.15"
    assert dict(builds["app"].args)["TAG"] == "v1"
    assert dict(builds["app"].args)["EXTRA"] == "1"
    assert builds["app"].source.endswith("docker-bake.override.hcl")


def test_bake_json(tmp_path):
    write(tmp_path, "docker-bake.json", """
        {
          "variable": {"V": {"default": "3.17"}},
          "target": {
            "web": {"context": "web", "args": {"ALPINE_VERSION": "${V}", "QUOTE": "a\\"b"}, "target": "final"}
          }
        }
    """)
    builds, problems = bake(tmp_path)
    assert problems == []
    assert builds["web"].args == (("ALPINE_VERSION", "3.17"), ("QUOTE", 'a"b'))
    assert builds["web"].dockerfile == str(tmp_path / "web" / "Dockerfile")
    assert builds["web"].line == 4


@pytest.mark.parametrize("name, text, message", [
    ("docker-bake.hcl", 'target "a" {\n  context = \n}\n', "not valid HCL"),
    ("docker-bake.json", '{"target": {', "not valid JSON"),
    ("docker-bake.json", '[1]', "a bake file is a JSON object"),
])
def test_malformed_bake_files_are_problems(tmp_path, name, text, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    builds, problems = bake(tmp_path)
    assert builds == {}
    assert len(problems) == 1 and message in problems[0].message and problems[0].line >= 1


def test_inherits_cycles_and_unknown_bases_do_not_loop(tmp_path):
    write(tmp_path, "docker-bake.hcl", """
        group "default" { targets = ["a", "b"] }
        target "a" { inherits = ["b"] }
        target "b" { inherits = ["a", "missing"] }
    """)
    builds, problems = bake(tmp_path)
    assert problems == [] and sorted(builds) == ["a", "b"]
