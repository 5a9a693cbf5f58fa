"""The config file: discovery, keys, types, per-path overrides, and the command line winning."""
from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import textwrap

import pytest
from conftest import run_cli

from alpineguard.cli import build_parser, settings_from
from alpineguard.config import ConfigError, Settings, build_settings, glob_matches, load_config
from alpineguard.model import Severity

LEAKY = "FROM alpine:3.21\nRUN apk add gcc\n"  # AG101 at 2:5 and AG104 at 2:13


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def findings(result):
    return [(f["rule"], f["path"], f["severity"]) for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()  # bounds the upward search, as a repository root does
    write(tmp_path, "Dockerfile", LEAKY)
    return tmp_path


def test_yaml_found_upwards_from_a_subfolder(repo):
    write(repo, ".alpineguard.yaml", """
        select: [AG1]
        ignore: AG104
        severity: {AG101: error}
        fail-level: never
        alpine-images: ["registry.example.com/base/*"]
        glibc-images: [cgr.dev/chainguard/*]
        init-images: [ghcr.io/acme/with-tini]
        require-init: false
        build-args: {PY: 3.12, FLAG: "on"}
        platforms: linux/amd64
        online: false
        as-of: 2026-01-31
        max-file-size: 4096
        exclude: [vendor, /legacy/old]
    """)
    (repo / "sub" / "deeper").mkdir(parents=True)
    config = load_config(cwd=str(repo / "sub" / "deeper"))
    assert config.path == os.path.join("..", "..", ".alpineguard.yaml")
    settings = build_settings({}, config)
    assert settings.select == ("AG1",) and settings.ignore == ("AG104",)
    assert settings.severity == {"AG101": Severity.ERROR} and settings.fail_level is None
    assert settings.alpine_images == ("registry.example.com/base/*",)
    assert settings.glibc_images == ("cgr.dev/chainguard/*",) and settings.init_images == ("ghcr.io/acme/with-tini",)
    assert settings.require_init is False and settings.online is False
    assert settings.build_args == {"PY": "3.12", "FLAG": "on"}
    assert settings.platforms == ("linux/amd64",) and settings.as_of == dt.date(2026, 1, 31)
    assert settings.max_file_size == 4096
    assert settings.exclude == ("vendor", str(repo / "legacy" / "old"))


def test_search_stops_at_the_repository_root(tmp_path):
    write(tmp_path, ".alpineguard.yaml", "select: [AG1]\n")
    (tmp_path / "project" / ".git").mkdir(parents=True)
    assert load_config(cwd=str(tmp_path / "project")) is None


def test_pyproject_table_and_nearest_config_wins(repo):
    write(repo, ".alpineguard.yaml", "ignore: [AG104]\n")
    write(repo, "svc/pyproject.toml", """
        [project]
        name = "svc"

        [tool.alpineguard]
        ignore = ["AG101"]
        as-of = 2026-02-01

        [tool.alpineguard.severity]
        AG104 = "error"

        [tool.alpineguard.overrides."legacy/*"]
        select = ["AG2"]
    """)
    config = load_config(cwd=str(repo / "svc"))
    assert config.path == "pyproject.toml [tool.alpineguard]"
    settings = build_settings({}, config)
    assert settings.ignore == ("AG101",) and settings.severity == {"AG104": Severity.ERROR}
    assert settings.as_of == dt.date(2026, 2, 1)
    assert config.overrides == [("legacy/*", {"select": ("AG2",)})]


def test_pyproject_without_our_table_is_skipped(repo):
    write(repo, "svc/pyproject.toml", "[project]\nname = 'svc'\n")
    write(repo, ".alpineguard.yaml", "ignore: [AG104]\n")
    assert load_config(cwd=str(repo / "svc")).path == os.path.join("..", ".alpineguard.yaml")


def test_command_line_wins_and_mappings_merge(repo):
    write(repo, ".alpineguard.yaml", """
        ignore: [AG101]
        fail-level: error
        build-args: {A: file, B: file}
    """)
    result = run_cli("--format", "json", "--ignore", "AG2", "Dockerfile", cwd=repo)
    assert findings(result) == [("AG101", "Dockerfile", "warning"), ("AG104", "Dockerfile", "warning")]
    assert result.returncode == 0  # fail-level error from the file still applies
    assert run_cli("--fail-level", "warning", "-q", "Dockerfile", cwd=repo).returncode == 1
    args = build_settings({"build_args": {"B": "cli"}}, load_config(cwd=str(repo))).build_args
    assert args == {"A": "file", "B": "cli"}


def test_settings_are_read_only_once_made(repo):
    """One run's files, builds and workers share the settings: nothing may change them after the fact."""
    build_args = {"A": "1"}
    settings = Settings(select=("AG1",), build_args=build_args, severity={"AG101": Severity.ERROR})
    with pytest.raises(AttributeError, match="read-only"):
        settings.select = ("AG2",)
    with pytest.raises(TypeError):
        settings.build_args["A"] = "2"
    with pytest.raises(TypeError):
        settings.severity["AG104"] = Severity.STYLE
    build_args["A"] = "changed by the caller"
    assert settings.build_args == {"A": "1"}
    changed = settings.replaced(select=("AG2",), build_args={"B": "2"})
    assert (changed.select, dict(changed.build_args), settings.select) == (("AG2",), {"B": "2"}, ("AG1",))
    with pytest.raises(TypeError, match="no selct"):
        settings.replaced(selct=("AG2",))
    assert pickle.loads(pickle.dumps(settings)) == settings  # as worker processes receive them
    write(repo, ".alpineguard.yaml", "build-args: {A: file}\noverrides: {legacy: {ignore: [AG101]}}\n")
    loaded = build_settings({"build_args": {"B": "cli"}}, load_config(cwd=str(repo)))
    for each in (loaded, loaded.for_path(str(repo / "legacy" / "Dockerfile"))):
        with pytest.raises(AttributeError):
            each.ignore = ()
    assert loaded.for_path(str(repo / "legacy" / "Dockerfile")).ignore == ("AG101",)


def test_explicit_config_file(repo, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cfg")
    write(elsewhere, "strict.yaml", "severity: {AG104: error}\nselect: [AG104]\n")
    write(repo, ".alpineguard.yaml", "select: [AG101]\n")
    result = run_cli("--format", "json", "--config", str(elsewhere / "strict.yaml"), "Dockerfile", cwd=repo)
    assert findings(result) == [("AG104", "Dockerfile", "error")]


def test_overrides_apply_by_path_below_the_command_line(repo):
    write(repo, ".alpineguard.yaml", """
        select: [AG101, AG104]
        overrides:
          legacy:
            ignore: [AG101]
          "services/*/Dockerfile.prod":
            severity: {AG104: style}
    """)
    write(repo, "legacy/a/Dockerfile", LEAKY)
    write(repo, "services/api/Dockerfile.prod", LEAKY)
    result = run_cli("--format", "json", ".", cwd=repo)
    assert findings(result) == [
        ("AG101", "Dockerfile", "warning"), ("AG104", "Dockerfile", "warning"),
        ("AG104", "legacy/a/Dockerfile", "warning"),
        ("AG101", "services/api/Dockerfile.prod", "warning"), ("AG104", "services/api/Dockerfile.prod", "style")]
    result = run_cli("--format", "json", "--ignore", "AG104", "legacy", cwd=repo)
    assert findings(result) == [("AG101", "legacy/a/Dockerfile", "warning")]  # --ignore replaces the override's


def test_exclude_globs_skip_files_found_in_folders(repo):
    write(repo, ".alpineguard.yaml", "exclude: [vendor, /third_party/*/Dockerfile, '*.dev.Dockerfile']\n")
    for name in ("vendor/x/Dockerfile", "third_party/lib/Dockerfile", "app/third_party/lib/Dockerfile",
                 "app/test.dev.Dockerfile"):
        write(repo, name, LEAKY)
    (repo / "app").mkdir(exist_ok=True)
    result = run_cli("--format", "json", "--select", "AG101", ".", cwd=repo / "app")
    assert [path for _, path, _ in findings(result)] == ["third_party/lib/Dockerfile"]
    result = run_cli("--format", "json", "--select", "AG101", ".", cwd=repo)
    assert [path for _, path, _ in findings(result)] == ["Dockerfile", "app/third_party/lib/Dockerfile"]


def test_glob_matching_is_gitignore_like():
    assert glob_matches("legacy/a/Dockerfile", "legacy")
    assert glob_matches("x/legacy/Dockerfile", "legacy/")
    assert not glob_matches("x/legacy/Dockerfile", "/legacy")
    assert glob_matches("services/api/Dockerfile", "services/*/Dockerfile")
    assert glob_matches("a/b.Dockerfile", "*.Dockerfile")
    assert not glob_matches("legacy2/Dockerfile", "legacy")


@pytest.mark.parametrize("text, message", [
    ("selct: [AG1]\n", "unknown key `selct`; did you mean `select`?"),
    ("fail_level: error\n", "unknown key `fail_level`; did you mean `fail-level`?"),
    ("colour: true\n", "unknown key `colour` (known: select, ignore,"),
    ("select: 3\n", "`select` must be a list of strings, got the number 3"),
    ("select: [AG9]\n", "`select`: no rule matches 'AG9'"),
    ("severity: {AG101: fatal}\n", "`severity.AG101` must be one of error, warning, info, style, got the string 'fatal'"),
    ("severity: {AG1: error}\n", "`severity`: no rule 'AG1'"),
    ("fail-level: warn\n", "`fail-level` must be one of error, warning, info, style, never"),
    ("require-init: 'no'\n", "`require-init` must be true or false, got the string 'no'"),
    ("build-args: [A=1]\n", "`build-args` must be a mapping of ARG name to value, got a list"),
    ("build-args: {A: [1]}\n", "`build-args.A` must be a string or a number, got a list"),
    ("as-of: 31.01.2026\n", "`as-of` must be a date as YYYY-MM-DD"),
    ("max-file-size: -1\n", "`max-file-size` must be a positive whole number, got the number -1"),
    ("online: null\n", "`online` must be true or false, got nothing (null)"),
    ("overrides: {legacy: {fail-level: never}}\n", "unknown key `overrides.legacy.fail-level`"),
    ("overrides: {legacy: [AG101]}\n", "`overrides.legacy` must be a mapping of settings"),
    ("- select\n", "the config must be a mapping of keys to values, got a list"),
    ("select: [AG1\n", "not valid YAML: "),
    ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML: "),
])
def test_config_errors_name_the_key_and_the_file_and_exit_2(repo, text, message):
    write(repo, ".alpineguard.yaml", text)
    result = run_cli("Dockerfile", cwd=repo)
    stderr = result.stderr.decode()
    assert result.returncode == 2 and result.stdout == b""
    assert stderr.startswith("alpineguard: error: .alpineguard.yaml: "), stderr
    assert message in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr


def test_pyproject_errors_name_the_table(repo):
    write(repo, "pyproject.toml", "[tool.alpineguard]\nignore = 'AG101'\nextra = 1\n")
    result = run_cli("Dockerfile", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.decode() == ("alpineguard: error: pyproject.toml [tool.alpineguard]: unknown key `extra`"
                                      " (known: select, ignore, severity, fail-level, alpine-images, glibc-images,"
                                      " init-images, require-init, build-args, platforms, online, as-of,"
                                      " max-file-size, exclude, build-definitions, compose-files, bake-files,"
                                      " compose-profiles, repository, overrides)\n")
    write(repo, "pyproject.toml", "[tool.alpineguard\n")
    assert b"pyproject.toml: not valid TOML" in run_cli("Dockerfile", cwd=repo).stderr


def test_missing_or_unreadable_explicit_config(repo):
    result = run_cli("--config", "nope.yaml", "Dockerfile", cwd=repo)
    assert (result.returncode, result.stderr) == (2, b"alpineguard: error: nope.yaml: config file not found\n")
    write(repo, "other.toml", "[project]\n")
    result = run_cli("--config", "other.toml", "Dockerfile", cwd=repo)
    assert result.stderr == b"alpineguard: error: other.toml: no [tool.alpineguard] table\n"
    (repo / "bad.yaml").write_bytes(b"select: [\xff]\n")
    assert run_cli("--config", "bad.yaml", cwd=repo).stderr == b"alpineguard: error: bad.yaml: not UTF-8 text\n"


def test_an_empty_config_is_the_defaults(repo):
    write(repo, ".alpineguard.yaml", "# nothing yet\n")
    assert build_settings({}, load_config(cwd=str(repo))).fail_level is Severity.WARNING


def test_config_error_class_is_what_the_loader_raises(repo):
    write(repo, ".alpineguard.yaml", "online: yes please\n")
    with pytest.raises(ConfigError, match="online"):
        load_config(cwd=str(repo))


def test_offline_flag_beats_online_in_the_file(repo, monkeypatch):
    write(repo, ".alpineguard.yaml", "online: true\nrequire-init: false\n")
    monkeypatch.chdir(repo)
    assert settings_from(build_parser().parse_args([])).online is True
    assert settings_from(build_parser().parse_args(["--offline"])).online is False
    assert settings_from(build_parser().parse_args(["--offline"])).require_init is False


def test_no_inline_ignores_on_the_command_line(repo):
    write(repo, "Dockerfile", "FROM alpine:3.21\n# alpineguard: ignore=AG101\nRUN apk add curl\n")
    assert findings(run_cli("--format", "json", "--select", "AG101", "Dockerfile", cwd=repo)) == []
    result = run_cli("--format", "json", "--select", "AG101", "--no-inline-ignores", "Dockerfile", cwd=repo)
    assert findings(result) == [("AG101", "Dockerfile", "warning")]


def test_without_a_toml_reader_the_pyproject_table_is_a_clear_error(repo, monkeypatch):
    import alpineguard.config as config
    monkeypatch.setattr(config, "_toml_module", lambda: None)  # Python 3.10 without tomli
    write(repo, "pyproject.toml", "[tool.alpineguard]\nignore = ['AG101']\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: reading \[tool.alpineguard\] needs Python 3.11"):
        load_config(cwd=str(repo))
    write(repo, "pyproject.toml", "[project]\nname = 'x'\n")  # not ours: no reader needed
    assert load_config(cwd=str(repo)) is None
