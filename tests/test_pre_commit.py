"""The pre-commit hooks, run by the real pre-commit in throw-away git repositories.

The hooks install alpineguard from a commit of this repository. On a clean checkout (CI)
that is `git rev-parse HEAD` of the repository itself; on a checkout with uncommitted
work the tests commit a snapshot of the working tree to a temporary repository first,
so they always exercise the code in front of them. Hook environments live in one
PRE_COMMIT_HOME per test session and are built once (this needs the package index).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alpineguard.discovery import DEFINITION_NAMES, is_dockerfile_name
from conftest import NETWORK_TROUBLE, REPO

pytestmark = pytest.mark.registry  # pip builds the hook environment from the package index

MANIFEST = REPO / ".pre-commit-hooks.yaml"
AS_OF = "2026-11-26"
BAD = "FROM alpine:3.24\nRUN apk add curl\n"
CLEAN = "FROM alpine:3.24\nRUN apk add --no-cache curl\n"


def _hooks() -> dict[str, dict]:
    return {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text())}


def _git(*args: str, cwd: Path, env: dict | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _clean_env(**extra: str) -> dict:
    """No GIT_* from a surrounding git hook, a fixed identity, no commit signing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
               GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="commit.gpgsign", GIT_CONFIG_VALUE_0="false",
               NO_COLOR="1", **extra)
    return env


# ---------------------------------------------------------------- the manifest itself

@pytest.mark.parametrize("name", [
    "Dockerfile", "Containerfile", "api.Dockerfile", "api.dockerfile", "api.containerfile",
    "Dockerfile.prod", "Dockerfile.", "Containerfile.dev", ".dockerfile",
    "Dockerfile.dockerignore", "api.Dockerfile.dockerignore", ".dockerignore",
    "Dockerfiles", "MyDockerfile", "dockerfile", "Dockerfile-prod", "requirements.txt",
    "package.json", "Containerfile.dockerignore", "api.containerfile.bak", "Dockerfile.d",
    "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.override.yaml", "compose.override.yml",
    "docker-bake.hcl", "docker-bake.json", "docker-bake.override.hcl", "compose.prod.yaml", "my-compose.yml",
    "docker-bake.custom.hcl", ".env",
])
@pytest.mark.parametrize("folder", ["", "svc/", "Dockerfile.d/", "a.Dockerfile/"])
def test_hook_file_patterns_match_discovery(name, folder):
    """pre-commit passes exactly the files that folder discovery would check or read for builds."""
    for hook in _hooks().values():
        path = folder + name
        passed = bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)
        assert passed == (is_dockerfile_name(name) or name in DEFINITION_NAMES), (hook["id"], path)


def test_manifest_declares_the_three_hooks():
    hooks = _hooks()
    assert {h: (hooks[h]["language"], hooks[h]["entry"]) for h in hooks} == {
        "alpineguard": ("python", "alpineguard --changed"),
        "alpineguard-fix": ("python", "alpineguard --changed --fix"),
        "alpineguard-docker": ("docker", "alpineguard --changed"),
    }
    # pre-commit builds the docker hook's image from the repository's own Dockerfile, which
    # pip-installs this package: its console script is the entry's executable.
    assert (REPO / "Dockerfile").is_file()
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert all(hook["entry"].split()[0] in scripts for hook in hooks.values())


def test_manifest_passes_pre_commit_validation(tmp_path):
    """The docker hook cannot run here (no Docker engine); pre-commit's own schema checks it."""
    validate = [sys.executable, "-m", "pre_commit", "validate-manifest"]
    result = subprocess.run([*validate, str(MANIFEST)], capture_output=True, text=True, env=_clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    # the same check rejects a broken hook, so the pass above means something
    broken = tmp_path / "hooks.yaml"
    broken.write_text(MANIFEST.read_text().replace("language: docker", "language: dockr"))
    result = subprocess.run([*validate, str(broken)], capture_output=True, text=True, env=_clean_env())
    assert result.returncode != 0 and "dockr" in result.stdout + result.stderr


# ---------------------------------------------------------------- the real pre-commit

def _dirty(repo: Path) -> bool:
    return bool(_git("status", "--porcelain", "--untracked-files=normal", cwd=repo).strip())


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory) -> tuple[str, str]:
    """(repo, rev) for `.pre-commit-config.yaml`: this repository at HEAD, or a snapshot of its work."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of alpineguard")
    if not _dirty(REPO):
        return str(REPO), _git("rev-parse", "HEAD", cwd=REPO).strip()
    snapshot = tmp_path_factory.mktemp("alpineguard-snapshot")
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / rel)
    env = _clean_env()
    _git("init", "-q", cwd=snapshot, env=env)
    _git("add", "-A", cwd=snapshot, env=env)
    _git("commit", "-q", "-m", "working tree snapshot", cwd=snapshot, env=env)
    return str(snapshot), _git("rev-parse", "HEAD", cwd=snapshot).strip()


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory) -> dict:
    return _clean_env(PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")))


class Project:
    """A throw-away git repository that uses the alpineguard hooks."""

    def __init__(self, path: Path, env: dict, hook_source: tuple[str, str]):
        self.path, self.env, self.hook_source = path, env, hook_source

    def use(self, *hooks: str, **options) -> None:
        """Write and stage a `.pre-commit-config.yaml` with these hooks (and hook options)."""
        repo, rev = self.hook_source
        config = {"repos": [{"repo": repo, "rev": rev, "hooks": [
            {"id": hook, "args": ["--as-of", AS_OF], **options} for hook in hooks]}]}
        self.write(".pre-commit-config.yaml", yaml.safe_dump(config, sort_keys=False))
        self.git("add", ".pre-commit-config.yaml")

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def git(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True,
                              timeout=900)

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=self.path, env=self.env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0 and any(sign in done.stdout + done.stderr for sign in NETWORK_TROUBLE):
            pytest.skip("pre-commit could not build the hook environment: the package index is unreachable")
        return done

    def commits(self) -> int:
        result = self.git("rev-list", "--count", "--all")
        return int(result.stdout) if result.returncode == 0 and result.stdout.strip() else 0


@pytest.fixture
def project(tmp_path, hook_source, pre_commit_env) -> Project:
    project = Project(tmp_path / "project", pre_commit_env, hook_source)
    project.path.mkdir()
    assert project.git("init", "-q").returncode == 0
    return project


def _output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_bad_dockerfile_fails_the_commit(project):
    project.use("alpineguard")
    installed = project.pre_commit("install")
    assert installed.returncode == 0, _output(installed)
    project.write("Dockerfile", BAD)
    project.git("add", "Dockerfile")
    committed = project.git("commit", "-m", "add a Dockerfile")
    output = _output(committed)
    assert committed.returncode != 0, output
    assert "Dockerfile:2:5: warning AG101 [apk-cache-left] `apk add curl`" in output
    assert project.commits() == 0


def test_clean_dockerfiles_commit(project):
    project.use("alpineguard")
    assert project.pre_commit("install").returncode == 0
    project.write("docker/Dockerfile.prod", CLEAN)
    project.write("api.Dockerfile", CLEAN)
    project.write("Dockerfile.dockerignore", "*\n!src\n")  # not a Dockerfile: never passed
    project.write("notes.txt", "RUN apk add curl\n")
    project.git("add", "-A")
    committed = project.git("commit", "-m", "clean Dockerfiles")
    output = _output(committed)
    assert committed.returncode == 0, output
    assert re.search(r"^alpineguard\.+Passed$", output, re.M), output
    assert project.commits() == 1


def test_fix_hook_rewrites_then_the_check_passes(project):
    project.use("alpineguard-fix", "alpineguard")
    dockerfile = project.write("Dockerfile", BAD)
    project.git("add", "-A")
    fixed = project.pre_commit("run", "alpineguard-fix", "--files", "Dockerfile")
    assert fixed.returncode == 1, _output(fixed)  # pre-commit fails a hook that changed files
    assert "apk add --no-cache curl" in dockerfile.read_text()
    checked = project.pre_commit("run", "alpineguard", "--files", "Dockerfile")
    assert checked.returncode == 0, _output(checked)


def test_try_repo(project, hook_source):
    """`pre-commit try-repo` on this checkout (or its snapshot: try-repo leaves untracked files out)."""
    project.write("svc/Containerfile", BAD)
    project.git("add", "-A")
    tried = project.pre_commit("try-repo", hook_source[0], "alpineguard", "--files", "svc/Containerfile")
    output = _output(tried)
    assert tried.returncode == 1, output
    assert "svc/Containerfile:2:5: warning AG101" in output


def _readme_dependency_files_pattern() -> str:
    """The `files` the README tells users to copy when they opt in to dependency files."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("Dependency files are opt-in"):]
    block = section[section.index("```yaml\n") + 8:section.index("```\n", section.index("```yaml\n") + 8)]
    hook, = yaml.safe_load(block)
    return hook["files"]


def test_opted_in_requirement_file_checks_the_dockerfile_that_copies_it(project):
    pattern = _readme_dependency_files_pattern()
    assert re.search(pattern, "svc/requirements.txt") and re.search(pattern, "web/Dockerfile.prod")
    project.use("alpineguard", files=pattern)
    project.write("svc/Dockerfile", "FROM python:3.12-alpine3.24\nCOPY requirements.txt /app/\nRUN apk add curl\n")
    project.write("svc/requirements.txt", "flask==3.0.3\n")
    project.write("web/Dockerfile", BAD)  # copies nothing in
    project.git("add", "-A")
    assert project.git("commit", "-m", "before the hook").returncode == 0
    assert project.pre_commit("install").returncode == 0
    project.write("svc/requirements.txt", "flask==3.0.3\ngunicorn==22.0.0\n")
    project.git("add", "-A")
    committed = project.git("commit", "-m", "only a requirement changes")
    output = _output(committed)
    assert committed.returncode != 0, output
    assert "svc/Dockerfile:3:5: warning AG101" in output
    assert "web/Dockerfile" not in output and "requirements.txt:" not in output


def test_a_changed_compose_file_checks_the_dockerfile_its_changed_build_uses(project):
    project.use("alpineguard")
    project.write("api/Dockerfile", "ARG ALPINE_VERSION=3.24\nFROM alpine:${ALPINE_VERSION}\nRUN apk add --no-cache tini\n"
                                    "ENTRYPOINT [\"/sbin/tini\", \"--\"]\nCMD [\"sh\"]\n")
    project.write("compose.yaml", "services:\n  api:\n    build: api\n")
    project.git("add", "-A")
    assert project.git("commit", "-m", "before the hook").returncode == 0
    assert project.pre_commit("install").returncode == 0
    project.write("compose.yaml", "services:\n  api:\n    build:\n      context: api\n"
                                  "      args: {ALPINE_VERSION: \"3.16\"}\n")
    project.git("add", "-A")
    committed = project.git("commit", "-m", "only the compose file changes")
    output = _output(committed)
    assert committed.returncode != 0, output
    assert "api/Dockerfile:2:6: warning AG202" in output and "(service `api` in compose.yaml:3)" in output
