"""`--changed`: the files of a commit in, the Dockerfiles to check out."""
from alpineguard.changed import copied_context_files, copies_any, dockerfiles_for_changes
from conftest import run_cli
from deps_helpers import build_context

BAD = "FROM alpine:3.24\nRUN apk add curl\n"
CLEAN_COPY = "FROM alpine:3.24\nCOPY requirements.txt /app/\nRUN apk add --no-cache curl\n"


def test_dockerfiles_among_changed_files_in_order_once():
    changed = ["b/Dockerfile", "requirements.txt", "a.Dockerfile", "b/Dockerfile", "Dockerfile.dockerignore"]
    assert dockerfiles_for_changes(changed) == ["b/Dockerfile", "a.Dockerfile"]


def test_cli_checks_changed_dockerfiles_and_never_parses_other_files(tmp_path):
    (tmp_path / "Containerfile.dev").write_text(BAD)
    (tmp_path / "requirements.txt").write_text("flask==3.0\n")  # as a Dockerfile: AG001
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Dockerfile").write_text(BAD)  # not changed: not checked
    result = run_cli("--changed", "--as-of", "2026-11-26", "Containerfile.dev", "requirements.txt",
                        cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().splitlines() == [
        "Containerfile.dev:2:5: warning AG101 [apk-cache-left] `apk add curl` leaves the package index "
        "in the layer; add --no-cache"]
    assert result.stderr.decode().strip().endswith("in 1 file")


def test_cli_changed_without_dockerfiles_checks_nothing(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)  # present, but not among the changed files
    result = run_cli("--changed", "README.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


def test_cli_changed_fix_rewrites_only_the_changed_dockerfiles(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "requirements.txt").write_text("RUN apk add curl\n")
    (tmp_path / "web.Dockerfile").write_text(BAD)  # not changed: left alone
    result = run_cli("--changed", "--fix", "--as-of", "2026-11-26", "Dockerfile", "requirements.txt",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Dockerfile").read_text() == "FROM alpine:3.24\nRUN apk add --no-cache curl\n"
    assert (tmp_path / "requirements.txt").read_text() == "RUN apk add curl\n"
    assert (tmp_path / "web.Dockerfile").read_text() == BAD


def _tree(root, files: dict):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


COPIES_REQUIREMENTS = "FROM python:3.12-alpine3.24\nCOPY requirements.txt /app/\nRUN apk add curl\n"


def test_dependency_file_brings_in_the_dockerfiles_that_copy_it(tmp_path, monkeypatch):
    _tree(tmp_path, {
        "requirements.txt": "flask==3.0.3\n",
        "Dockerfile": COPIES_REQUIREMENTS,
        "all.Dockerfile": "FROM alpine:3.24\nWORKDIR /src\nCOPY *.txt ./\n",
        "ignored/Dockerfile": "FROM alpine:3.24\nCOPY . /src\n",
        "ignored/requirements.txt": "flask\n",
        "ignored/.dockerignore": "requirements.txt\n",
        "other/Dockerfile": "FROM alpine:3.24\nCOPY requirements.txt /app/\n",  # its own context
        "other/requirements.txt": "flask\n",
        "broken/Dockerfile": "FROM alpine:3.24\nRUN <<EOF\n",  # never finished: not a reason to fail
        "node_modules/x/Dockerfile": COPIES_REQUIREMENTS,  # folder search skips it
    })
    (tmp_path / "binary").mkdir()
    (tmp_path / "binary" / "Dockerfile").write_bytes(b"FROM alpine\0")  # unreadable: passed over
    monkeypatch.chdir(tmp_path)
    assert dockerfiles_for_changes(["requirements.txt", "ignored/requirements.txt"]) == [
        "Dockerfile", "all.Dockerfile"]
    assert dockerfiles_for_changes(["other/requirements.txt"]) == ["other/Dockerfile"]
    assert copies_any("other/Dockerfile", ["other/requirements.txt"])  # relative paths, as the Action passes
    assert not copies_any("other/Dockerfile", ["requirements.txt"])  # outside its context
    # a changed Dockerfile comes first and once, however many changed files it copies
    assert dockerfiles_for_changes(["all.Dockerfile", "requirements.txt"]) == ["all.Dockerfile", "Dockerfile"]
    assert dockerfiles_for_changes(["README.md"]) == []
    (tmp_path / "ignored" / "README.md").write_text("hello\n")  # `COPY . /src` takes it
    assert dockerfiles_for_changes(["ignored/README.md"]) == ["ignored/Dockerfile"]


def test_context_folder_and_config_excludes(tmp_path, monkeypatch):
    _tree(tmp_path, {
        "requirements.txt": "flask\n",
        "docker/api.Dockerfile": COPIES_REQUIREMENTS,  # built with the repository root as context
        "legacy/Dockerfile": "FROM alpine:3.24\nCOPY requirements.txt /app/\n",
    })
    monkeypatch.chdir(tmp_path)
    assert dockerfiles_for_changes(["requirements.txt"]) == []
    assert dockerfiles_for_changes(["requirements.txt"], context=".") == ["docker/api.Dockerfile",
                                                                            "legacy/Dockerfile"]
    assert dockerfiles_for_changes(["requirements.txt"], context=".", excludes=("legacy",)) == [
        "docker/api.Dockerfile"]


def test_cli_checks_the_dockerfile_a_changed_requirement_file_feeds(tmp_path):
    _tree(tmp_path, {"requirements.txt": "flask==3.0.3\n", "svc/Dockerfile": COPIES_REQUIREMENTS,
                     "svc/requirements.txt": "flask==3.0.3\n", "Dockerfile": CLEAN_COPY})
    result = run_cli("--changed", "--as-of", "2026-11-26", "svc/requirements.txt", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [line.split(" ")[0] for line in result.stdout.decode().splitlines()] == ["svc/Dockerfile:3:5:"]


# ---------------------------------------------------------------- compose and bake files changed

RELEASE_ARG = ("ARG ALPINE_VERSION=3.24\nFROM alpine:${ALPINE_VERSION}\nRUN apk add --no-cache tini\n"
               "ENTRYPOINT [\"/sbin/tini\", \"--\"]\nCMD [\"sh\"]\n")


def _git(repo, *args):
    import subprocess
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(repo), "PATH": __import__("os").environ["PATH"]}
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr


def test_a_changed_compose_file_checks_the_dockerfiles_of_its_changed_builds(tmp_path):
    for name in ("api", "web", "docs"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(RELEASE_ARG)
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api: {build: api}\n  web: {build: web}\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "builds")
    compose.write_text("services:\n"
                       "  api: {build: {context: api, args: {ALPINE_VERSION: '3.16'}}}\n"  # changed
                       "  web: {build: web}\n"  # unchanged
                       "  docs: {build: docs}\n")  # new
    result = run_cli("--changed", "--as-of", "2026-11-26", "compose.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().splitlines() == [
        "api/Dockerfile:2:6: warning AG202 [alpine-release-eol] Alpine 3.16 (`alpine:3.16`) reached end of "
        "support on 2024-05-23; move to 3.24 (service `api` in compose.yaml:2)"]
    assert result.stderr.decode().strip().endswith("in 2 files")  # api and docs; web's build is as committed


def test_a_broken_changed_compose_file_is_reported_even_when_it_names_no_dockerfile(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    build: .\n   oops: [\n")
    result = run_cli("--changed", "compose.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("compose.yaml:4:")
    assert "AG004" in result.stdout.decode()


def test_a_changed_bake_file_outside_git_counts_every_build_as_changed(tmp_path):
    (tmp_path / "Dockerfile").write_text(RELEASE_ARG)
    (tmp_path / "docker-bake.hcl").write_text('target "app" {\n  args = { ALPINE_VERSION = "3.17" }\n}\n')
    result = run_cli("--changed", "--as-of", "2026-11-26", "docker-bake.hcl", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "(bake target `app` in docker-bake.hcl:1)" in result.stdout.decode()
    off = run_cli("--changed", "--no-build-definitions", "docker-bake.hcl", cwd=tmp_path)
    assert off.returncode == 0 and off.stdout == b""


def test_copied_context_files_for_pre_commit(tmp_path):
    build_context(tmp_path, {"Dockerfile": "FROM alpine\nCOPY requirements.txt /\nCOPY src /src\n",
                             "requirements.txt": "", "src/a.py": "", "other.txt": "", ".dockerignore": "src/a.py\n"})
    dockerfile = str(tmp_path / "Dockerfile")
    assert copied_context_files(dockerfile) == {"requirements.txt"}
    assert copied_context_files(dockerfile, candidates={"other.txt", "requirements.txt"}) == {"requirements.txt"}
