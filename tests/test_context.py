"""The build-context reader: what COPY/ADD bring into a stage, and where."""
from __future__ import annotations

from alpineguard.context import IgnoreRules, ImageFiles
from alpineguard.parsing.dockerfile import parse_dockerfile

from deps_helpers import build_context


def image_files(root, dockerfile: str) -> ImageFiles:
    """What the last stage holds once all its instructions ran."""
    df = parse_dockerfile(dockerfile)
    return ImageFiles(df.stages[-1], str(root), dockerfile_path=str(root / "Dockerfile"))


def test_copy_dot_workdir_relative(tmp_path):
    build_context(tmp_path, {"requirements.txt": "x\n", "src/app.py": "", "node_modules/a/package.json": "{}"})
    files = image_files(tmp_path, "FROM alpine\nWORKDIR /app\nCOPY . .\n")
    assert files.lookup("/app/requirements.txt").rel_path == "requirements.txt"
    assert files.lookup("/app/src/app.py").rel_path == "src/app.py"
    assert files.lookup("/requirements.txt") is None


def test_single_file_to_file_and_to_folder(tmp_path):
    build_context(tmp_path, {"reqs/prod.txt": "x\n"})
    files = image_files(tmp_path, "FROM alpine\nCOPY reqs/prod.txt /tmp/requirements.txt\nCOPY reqs/prod.txt /opt/\n")
    assert files.lookup("/tmp/requirements.txt").rel_path == "reqs/prod.txt"
    assert files.lookup("/opt/prod.txt").rel_path == "reqs/prod.txt"


def test_folder_copies_its_contents(tmp_path):
    build_context(tmp_path, {"deps/requirements.txt": "x\n"})
    files = image_files(tmp_path, "FROM alpine\nCOPY deps /srv/\n")
    assert files.lookup("/srv/requirements.txt").rel_path == "deps/requirements.txt"
    assert files.lookup("/srv/deps/requirements.txt") is None


def test_globs(tmp_path):
    build_context(tmp_path, {"requirements.txt": "", "requirements-dev.txt": "", "setup.py": ""})
    files = image_files(tmp_path, "FROM alpine\nWORKDIR /w\nCOPY requirements*.txt ./\n")
    assert files.lookup("/w/requirements-dev.txt").rel_path == "requirements-dev.txt"
    assert files.lookup("/w/setup.py") is None


def test_copy_from_another_stage_is_not_the_context(tmp_path):
    build_context(tmp_path, {"requirements.txt": ""})
    files = image_files(tmp_path, "FROM alpine AS a\nFROM alpine\nCOPY --from=a /requirements.txt /requirements.txt\n")
    assert files.lookup("/requirements.txt") is None


def test_dockerignore_with_exception(tmp_path):
    build_context(tmp_path, {".dockerignore": "*.txt\n!keep.txt\nsecret/\n", "drop.txt": "", "keep.txt": "",
                             "secret/requirements.txt": ""})
    files = image_files(tmp_path, "FROM alpine\nCOPY . /c/\n")
    assert files.lookup("/c/drop.txt") is None
    assert files.lookup("/c/keep.txt") is not None
    assert files.lookup("/c/secret/requirements.txt") is None


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    build_context(tmp_path, {".dockerignore": "", "Dockerfile.dockerignore": "requirements.txt\n",
                             "requirements.txt": ""})
    files = image_files(tmp_path, "FROM alpine\nCOPY . /c/\n")
    assert files.lookup("/c/requirements.txt") is None


def test_double_star_pattern():
    rules = IgnoreRules(["**/*.pyc", "docs"])
    assert rules.excluded("a/b/c.pyc") and rules.excluded("c.pyc")
    assert rules.excluded("docs/index.md") and not rules.excluded("src/docs.py")


def test_exclude_flag(tmp_path):
    build_context(tmp_path, {"a/requirements.txt": "", "a/b.txt": ""})
    files = image_files(tmp_path, "FROM alpine\nCOPY --exclude=*.txt a /x/\n")
    assert files.lookup("/x/requirements.txt") is None


def test_heredoc_copy_is_file_content(tmp_path):
    files = image_files(tmp_path, "FROM alpine\nCOPY <<EOF /app/requirements.txt\nnumpy==1.0\nEOF\n")
    found = files.lookup("/app/requirements.txt")
    assert found.rel_path is None and found.read() == "numpy==1.0\n"


def test_later_copy_wins_and_inherited_stage(tmp_path):
    build_context(tmp_path, {"one/r.txt": "1", "two/r.txt": "2"})
    files = image_files(tmp_path, "FROM alpine AS base\nCOPY one/r.txt /r.txt\nFROM base\nCOPY two/r.txt /r.txt\n")
    assert files.lookup("/r.txt").rel_path == "two/r.txt"


def test_before_limits_to_earlier_instructions(tmp_path):
    build_context(tmp_path, {"r.txt": ""})
    df = parse_dockerfile("FROM alpine\nRUN true\nCOPY r.txt /r.txt\n")
    stage = df.stages[0]
    assert ImageFiles(stage, str(tmp_path), before=stage.instructions[0]).lookup("/r.txt") is None
    assert ImageFiles(stage, str(tmp_path)).lookup("/r.txt") is not None

