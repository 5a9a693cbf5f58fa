"""The repository stands on its own: no tracked file names or reads what lies beside it.

A fresh clone in an empty folder must pass `make test`. conftest.py refuses, for the whole
session, any read of a file beside the checkout; these tests cover what that cannot see:
text that names the sibling folders, and Python code that climbs out of the repository
(also in files no test runs, such as tools/ and benchmarks/).
"""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import conftest
from conftest import REPO, OutsideRepository, outside_repository

# Written in pieces, so that this file does not match them itself.
SIBLING_NAMES = re.compile(r"\.\./+" "shared\\b|(?<![\\w-])" "shared/(?:spec|data|sarif|github-api|corpus|hooks)\\b"
                           r"|/" r"work/")


def tracked_files() -> list[Path]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listing.returncode != 0:
        pytest.skip("needs git and a git checkout of alpineguard")
    return [REPO / name for name in listing.stdout.decode().split("\0") if name]


def test_no_tracked_file_names_the_folders_beside_the_repository():
    mentions = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary, or deleted in the working tree
        for number, line in enumerate(text.splitlines(), 1):
            if SIBLING_NAMES.search(line):
                mentions.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not mentions, "\n".join(mentions)


def _levels_below_root(node: ast.AST, depth: int, names: dict[str, int]):
    """How many folders below the repository root a path expression points (None: not a
    path built from `__file__`). `depth` is the number of parts of the file's own path."""
    if isinstance(node, ast.Name):
        return depth if node.id == "__file__" else names.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _levels_below_root(node.value, depth, names)
        return None if inner is None else inner - 1
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        inner = _levels_below_root(node.value.value, depth, names)
        index = node.slice.value if isinstance(node.slice, ast.Constant) else None
        return None if inner is None or not isinstance(index, int) else inner - 1 - index
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        inner = _levels_below_root(node.left, depth, names)
        if inner is None or not isinstance(node.right, ast.Constant) or not isinstance(node.right.value, str):
            return inner
        for part in node.right.value.split("/"):
            inner += -1 if part == ".." else 0 if part in ("", ".") else 1
            if inner < 0:
                return inner
        return inner
    if isinstance(node, ast.Call) and node.args:
        function = ast.unparse(node.func)
        inner = _levels_below_root(node.args[0], depth, names)
        if inner is None:
            return None
        if function.endswith("dirname"):
            return inner - 1
        if function.endswith(("Path", "abspath", "realpath")):
            return inner
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
        return _levels_below_root(node.func.value, depth, names)
    return None


def paths_leaving_the_repository(source: str, depth: int) -> list[int]:
    """Lines of `source` whose paths built from `__file__` lead above the repository root,
    except those marked `# not read:` with the reason."""
    names: dict[str, int] = {}
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            level = _levels_below_root(node.value, depth, names)
            if level is not None:
                names[node.targets[0].id] = level
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.expr):
            level = _levels_below_root(node, depth, names)
            if level is not None and level < 0:
                lines.append(node.lineno)
    text = source.splitlines()
    return sorted({n for n in lines if "# not read:" not in text[n - 1]})


def test_no_python_file_builds_a_path_above_the_repository():
    found = []
    for path in tracked_files():
        if path.suffix == ".py" and path.exists():
            relative = path.relative_to(REPO)
            found += [f"{relative}:{n}" for n in
                      paths_leaving_the_repository(path.read_text(encoding="utf-8"), len(relative.parts))]
    assert not found, found


@pytest.mark.parametrize("source, depth, leaving", [
    ("REPO = Path(__file__).resolve().parent.parent\nSHARED = REPO.parent / 'shared'", 2, [2]),
    ("X = Path(__file__).parents[2]", 2, [1]),
    ("X = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + ''", 2, []),
    ("X = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))", 2, [1]),
    ("X = Path(__file__).parent / '../..' / 'data'", 2, [1]),
    ("X = Path(__file__).parent / 'data'", 1, []),
    ("X = Path(__file__).parent.parent  # not read: a guard", 1, []),
])
def test_the_path_check_tells_inside_from_outside(source, depth, leaving):
    assert paths_leaving_the_repository(source, depth) == leaving


@pytest.mark.skipif(not conftest._SIBLINGS_KNOWN, reason="the checkout stands in / or directly in the "
                    "temporary folder, where its siblings cannot be told apart from scratch files")
def test_reading_beside_the_checkout_is_refused_for_the_whole_session():
    beside = REPO.parent / "beside-the-checkout" / "notes.md"
    assert outside_repository(str(beside))
    assert not outside_repository(str(REPO / "tests" / "data" / "README.md"))
    with pytest.raises(OutsideRepository):
        beside.read_text()
