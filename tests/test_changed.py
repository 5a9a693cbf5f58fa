"""`--changed`: the files of a commit in, the Dockerfiles to check out."""
from alpineguard.changed import dockerfiles_for_changes
from conftest import run_module

BAD = "FROM alpine:3.24\nRUN apk add curl\n"


def test_dockerfiles_among_changed_files_in_order_once():
    changed = ["b/Dockerfile", "requirements.txt", "a.Dockerfile", "b/Dockerfile", "Dockerfile.dockerignore"]
    assert dockerfiles_for_changes(changed) == ["b/Dockerfile", "a.Dockerfile"]


def test_cli_checks_changed_dockerfiles_and_never_parses_other_files(tmp_path):
    (tmp_path / "Containerfile.dev").write_text(BAD)
    (tmp_path / "requirements.txt").write_text("flask==3.0\n")  # as a Dockerfile: AG001
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Dockerfile").write_text(BAD)  # not changed: not checked
    result = run_module("--changed", "--as-of", "2026-11-26", "Containerfile.dev", "requirements.txt",
                        cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().splitlines() == [
        "Containerfile.dev:2:5: warning AG101 [apk-cache-left] `apk add curl` leaves the package index "
        "in the layer; add --no-cache"]
    assert result.stderr.decode().strip().endswith("in 1 file")


def test_cli_changed_without_dockerfiles_checks_nothing(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)  # present, but not among the changed files
    result = run_module("--changed", "README.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


def test_cli_changed_fix_rewrites_only_the_changed_dockerfiles(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "requirements.txt").write_text("RUN apk add curl\n")
    (tmp_path / "web.Dockerfile").write_text(BAD)  # not changed: left alone
    result = run_module("--changed", "--fix", "--as-of", "2026-11-26", "Dockerfile", "requirements.txt",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Dockerfile").read_text() == "FROM alpine:3.24\nRUN apk add --no-cache curl\n"
    assert (tmp_path / "requirements.txt").read_text() == "RUN apk add curl\n"
    assert (tmp_path / "web.Dockerfile").read_text() == BAD
