"""Start-up stays light: the knowledge cache spares the YAML parser, and checking one file
imports neither YAML, PyGithub nor the multiprocessing machinery."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from alpineguard import knowledge

from conftest import REPO

LIGHT_PATH_PROBE = """
import sys
from alpineguard.cli import main
main(["-q", sys.argv[1]])
print(",".join(sorted(sys.modules)))
"""


def _modules_after_one_check(cache_dir) -> set[str]:
    env = dict(os.environ, ALPINEGUARD_CACHE_DIR=str(cache_dir))
    # in a folder without a config file: this checkout's pyproject.toml would be read (tomllib)
    run = subprocess.run([sys.executable, "-c", LIGHT_PATH_PROBE, str(REPO / "benchmarks" / "latency.Dockerfile")],
                         capture_output=True, text=True, env=env, timeout=60, check=True, cwd=cache_dir)
    return set(run.stdout.strip().rsplit("\n", 1)[-1].split(","))


def test_one_file_check_imports_nothing_heavy(tmp_path):
    first = _modules_after_one_check(tmp_path)
    assert "yaml" in first  # the cold start parses the data files and fills the cache
    warm = _modules_after_one_check(tmp_path)
    heavy = {"yaml", "github", "multiprocessing", "concurrent.futures", "importlib.resources", "asyncio",
             "typing", "urllib.parse"}
    assert not heavy & warm, heavy & warm


def test_one_file_check_imports_neither_dataclasses_nor_inspect(tmp_path):
    # On Python 3.11 `dataclasses` imports `inspect`; both cost more start-up than a check.
    _modules_after_one_check(tmp_path)  # fills the knowledge cache
    warm = _modules_after_one_check(tmp_path)
    assert {"alpineguard.model", "alpineguard.rules.deps_python"} <= warm  # the probe did lint
    assert not {"dataclasses", "inspect"} & warm, {"dataclasses", "inspect"} & warm


def test_cached_data_equals_the_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPINEGUARD_CACHE_DIR", str(tmp_path))
    for name in ("alpine_releases.yaml", "images.yaml"):
        parsed = knowledge.load_data(name)  # a miss: parsed and stored
        stored = list((tmp_path / "knowledge").glob(f"{name}.*.json"))
        assert len(stored) == 1
        assert knowledge.load_data(name) == parsed == knowledge.frozen(knowledge._parse_yaml(
            (REPO / "src" / "alpineguard" / "knowledge" / name).read_bytes()))


def test_knowledge_is_read_only():
    releases = knowledge.load_data("alpine_releases.yaml")
    with pytest.raises(TypeError):
        releases["releases"] = ()
    with pytest.raises(TypeError):
        releases["releases"][0]["eol"] = None
    assert isinstance(releases["releases"], tuple)


def test_damaged_or_unwritable_cache_falls_back_to_the_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPINEGUARD_CACHE_DIR", str(tmp_path))
    expected = knowledge.load_data("alpine_releases.yaml")
    [stored] = (tmp_path / "knowledge").glob("alpine_releases.yaml.*.json")
    for damage in ("{not json", '{"$date": 5}', '{"releases": [{"released": {"$date": "yesterday"}}]}'):
        stored.write_text(damage)
        assert knowledge.load_data("alpine_releases.yaml") == expected
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ALPINEGUARD_CACHE_DIR", str(blocker / "below-a-file"))
    assert knowledge.load_data("alpine_releases.yaml") == expected


def test_data_json_cannot_hold_is_not_cached(tmp_path):
    path = tmp_path / "x.json"
    knowledge._store(str(path), {1: "an integer key would come back as a string"})
    knowledge._store(str(path), {"when": object()})
    assert not path.exists()
    knowledge._store(str(path), {"a": [1, "b"]})
    assert json.loads(path.read_text()) == {"a": [1, "b"]}


def _wheels_as_parsed() -> dict:
    return knowledge._parse_yaml((REPO / "src" / "alpineguard" / "knowledge" / "musl_python_wheels.yaml").read_bytes())


def test_table_cache_reads_back_every_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPINEGUARD_CACHE_DIR", str(tmp_path))
    parsed = _wheels_as_parsed()
    knowledge.load_table("musl_python_wheels.yaml", "packages")  # a miss: parsed and stored
    [stored] = (tmp_path / "knowledge").glob("musl_python_wheels.yaml.*.table")
    cached = knowledge.load_table("musl_python_wheels.yaml", "packages")
    assert type(cached["packages"]).__name__ == "_Table"  # read back from the cache, entry by entry
    assert cached == knowledge.frozen(parsed)
    assert list(cached["packages"]) == list(parsed["packages"])
    with pytest.raises(TypeError):
        cached["packages"]["numpy"]["releases"] = ""
    stored.write_bytes(stored.read_bytes()[:-10])  # truncated: the YAML is read again
    assert knowledge.load_table("musl_python_wheels.yaml", "packages") == knowledge.frozen(parsed)


def test_wheel_data_keys_are_normalized_names():
    # embedded_project looks a project up by its normalized name, with no scan of the table
    from alpineguard.deps.wheels import normalize
    names = list(_wheels_as_parsed()["packages"])
    assert names and all(normalize(name) == name for name in names)


def _modules_after_checking(tmp_path, dockerfile: str) -> set[str]:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    env = dict(os.environ, ALPINEGUARD_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):  # the second run is warm: the knowledge cache spares the YAML parser
        run = subprocess.run([sys.executable, "-c", LIGHT_PATH_PROBE, str(tmp_path / "Dockerfile")], capture_output=True,
                             text=True, env=env, timeout=60, check=True, cwd=tmp_path)
    return set(run.stdout.strip().rsplit("\n", 1)[-1].split(","))


DEPENDENCY_RULES = {"alpineguard.rules.deps_python", "alpineguard.rules.deps_node", "alpineguard.rules.deps_go"}


def test_a_file_without_dependencies_loads_no_dependency_rules_online_or_yaml(tmp_path):
    loaded = _modules_after_checking(tmp_path, "FROM alpine:3.22\nRUN apk add --no-cache curl\n"
                                               "CMD [\"curl\", \"--version\"]\n")
    assert {"alpineguard.rules.apk", "alpineguard.rules.init"} <= loaded  # the probe did lint
    unwanted = DEPENDENCY_RULES | {"alpineguard.online", "yaml", "typing", "urllib.parse"}
    assert not unwanted & loaded, unwanted & loaded


def test_a_file_loads_the_families_of_the_programs_it_runs(tmp_path):
    bare = _modules_after_checking(tmp_path, "FROM alpine:3.22\nUSER nobody\n")
    assert "alpineguard.rules.base_image" in bare
    assert not {"alpineguard.rules.apk", "alpineguard.rules.downloads"} & bare
    pip = _modules_after_checking(tmp_path, "FROM python:3.12-alpine3.22\nRUN pip install numpy\n")
    assert "alpineguard.rules.deps_python" in pip and not {"alpineguard.rules.deps_node", "alpineguard.rules.deps_go"} & pip


def test_an_edited_data_file_is_read_again(tmp_path, monkeypatch):
    # the cache is keyed by the version and the file's size and mtime, not its bytes
    monkeypatch.setenv("ALPINEGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(knowledge, "_HERE", str(tmp_path))
    data = tmp_path / "facts.yaml"
    data.write_text("answer: 41\n")
    assert knowledge.load_data("facts.yaml")["answer"] == 41
    assert knowledge.load_data("facts.yaml")["answer"] == 41  # from the cache
    data.write_text("answer: 42\n")  # the same size
    stat = data.stat()
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert knowledge.load_data("facts.yaml")["answer"] == 42


def test_a_table_json_cannot_hold_is_not_cached(tmp_path):
    path = tmp_path / "x.table"
    store = knowledge._store_table("packages")
    store(str(path), {"packages": {"a": {1: "an integer key would come back as a string"}}})
    store(str(path), {"generated": {2: "nor here"}, "packages": {"a": {"releases": "1.0"}}})
    assert not path.exists()
    store(str(path), {"generated": "2026-11-30", "packages": {"a": {"releases": "1.0"}}})
    assert knowledge._read_table("packages")(str(path))["packages"]["a"] == {"releases": "1.0"}
