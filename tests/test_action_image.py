"""The Action's own image and metadata: alpineguard passes its Dockerfile, every runtime
dependency installs from a musllinux wheel, and action.yml matches what the code reads."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest
import yaml

from alpineguard.action.event import read_inputs
from conftest import REPO, lint

DOCKERFILE = (REPO / "Dockerfile").read_text()
NETWORK_TROUBLE = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
                   "Name or service not known", "Network is unreachable", "ConnectTimeout", "Read timed out",
                   "No route to host", "ProxyError")


def test_alpineguard_reports_nothing_on_the_action_image():
    assert lint(DOCKERFILE, path="Dockerfile", dedent=False) == []


def test_the_image_pins_alpine_runs_tini_and_installs_wheels_only():
    assert re.search(r"^FROM python:\d+\.\d+-alpine3\.\d+$", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["/sbin/tini", "--", "python", "-m", "alpineguard.action"]' in DOCKERFILE
    assert "apk add --no-cache" in DOCKERFILE and "--only-binary=:all:" in DOCKERFILE


def _runtime_requirements() -> list[str]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["action"]


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_every_runtime_dependency_has_a_musllinux_wheel_for_the_image_python(tmp_path, arch):
    """Needs the package registry; skipped only when it cannot be reached."""
    python = re.search(r"^FROM python:(\d+\.\d+)-alpine", DOCKERFILE, re.M).group(1)
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                           "--platform", f"musllinux_1_2_{arch}", "--python-version", python, "--implementation", "cp",
                           "--dest", str(tmp_path), *_runtime_requirements()],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and any(sign in done.stderr for sign in NETWORK_TROUBLE):
        pytest.skip("the package registry is unreachable")
    assert done.returncode == 0, done.stderr
    wheels = sorted(p.name for p in tmp_path.iterdir())
    assert wheels and all(name.endswith(".whl") for name in wheels), wheels
    for name in wheels:
        tags = name[:-4].split("-")[-1]
        assert tags == "any" or f"musllinux_1_2_{arch}" in tags or "musllinux_1_1" in tags, name
        assert zipfile.is_zipfile(tmp_path / name)
    names = {name.split("-")[0].lower() for name in wheels}
    assert {"pygithub", "pyyaml", "dockerfile_parse", "python_hcl2", "lark"} <= names


def test_action_yml_declares_what_the_action_reads():
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert action["branding"]["icon"] and action["branding"]["color"]
    assert set(action["outputs"]) == {"findings", "errors", "sarif-file"}
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    # the runner sets INPUT_<NAME> from each default: read back, they give the documented behaviour
    env = {f"INPUT_{name.upper()}": str(spec["default"]) for name, spec in action["inputs"].items()}
    env["INPUT_GITHUB-TOKEN"] = "t"
    inputs = read_inputs(env)
    assert (inputs.paths, inputs.fail_level, inputs.filter_mode, inputs.review, inputs.request_changes,
            inputs.suggestions, inputs.online, inputs.sarif_file, inputs.annotations, inputs.config,
            inputs.select, inputs.ignore, inputs.build_args, inputs.target) == \
        (["."], "error", "added", True, False, True, False, "", True, "", (), (), {}, "")
    assert {n.replace("-", "_") for n in action["inputs"]} == {n for n in vars(inputs)} - {"token", "paths"} | \
        {"github_token", "path"}


def test_plain_lint_never_imports_pygithub(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.22\n")
    code = ("import sys; from alpineguard.cli import main; main(['--format', 'github', sys.argv[1]]);"
            "assert 'github' not in sys.modules and 'requests' not in sys.modules, 'PyGithub imported'")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
