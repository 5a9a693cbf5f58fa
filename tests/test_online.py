"""--online: recorded registry answers (unit), and one test against the real registries."""
from __future__ import annotations

import json
import time
import urllib.error
from pathlib import Path

import pytest

from alpineguard import online
from alpineguard.knowledge.musl import online_project
from alpineguard.lintcontext import RunContext
from alpineguard.online import DiskCache, Fallback, LookupError_, PipConfig, PythonIndex, Registry, parse_pip_config

from deps_helpers import at, check_context, lint_context

RECORDED = Path(__file__).parent / "fixtures" / "registry"
INDEX = "https://index.invalid/simple"  # a placeholder: tests never reach it


def recorded_fetch(url: str):
    project = url.rstrip("/").rsplit("/", 1)[-1]
    path = RECORDED / f"simple-{project}.json"
    if not path.exists():
        raise urllib.error.HTTPError(url, 404, "not found", None, None)
    return path.read_bytes(), "application/vnd.pypi.simple.v1+json"


def recorded_npm(spec: str):
    path = RECORDED / f"npm-{spec}.json"
    if not path.exists():
        raise LookupError_(f"no recorded answer for {spec}")
    return [json.loads(path.read_text())]


@pytest.fixture
def online_run(tmp_path):
    """A run whose --online client asks recorded (or failing) registries."""
    def make(fetch=recorded_fetch, npm=recorded_npm, time_box=10.0) -> RunContext:
        return RunContext(Registry(cache=DiskCache(str(tmp_path / "cache")),
                                   python_index=PythonIndex(PipConfig([INDEX]), fetch), npm=npm, time_box=time_box))
    return make


def test_pip_config_listing_precedence():
    listing = ("global.index-url='https://a.invalid/simple'\n:env:.index-url='https://b.invalid/simple'\n"
               "global.extra-index-url='file:///x https://c.invalid'\nglobal.find-links='/wheels'\n")
    options = parse_pip_config(listing)
    assert options["index-url"] == "https://b.invalid/simple"
    assert options["extra-index-url"].split() == ["file:///x", "https://c.invalid"]


def test_recorded_index_answers_are_exact():
    files = PythonIndex(PipConfig([INDEX]), recorded_fetch).files("psutil")
    facts = online_project("psutil", files)
    assert facts.fits("7.2.2", "3.12", "aarch64") and facts.fits("7.2.2", "3.12", "x86_64")
    assert facts.fits("6.1.0", "3.12", "x86_64") is False and "6.1.0" in facts.sdists
    assert facts.fits("7.2.2", "3.12", "riscv64") is False  # any architecture, not only the embedded two


def test_online_ag401_uses_registry_answers(tmp_path, online_run):
    result = check_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install psutil==6.1.0 psycopg2==2.9.9\n",
                           run=online_run(), online=True)
    findings = result.findings
    assert at(findings) == [("AG401", 2, 17, "error"), ("AG401", 2, 31, "error")]
    assert all("[embedded data" not in f.message for f in findings)
    assert "upgrade to psutil 7.2.0 or later" in findings[0].message
    assert result.notes == [] and result.fallbacks == []


def test_online_npm_unknown_package_that_always_compiles(tmp_path, online_run):
    lock = json.dumps({"lockfileVersion": 3, "packages": {
        "node_modules/bignum": {"version": "0.13.1", "hasInstallScript": True},
        "node_modules/left-pad": {"version": "1.3.0"}}})
    findings = lint_context(tmp_path, "FROM node:22-alpine\nCOPY package-lock.json .\nRUN npm ci\n",
                            {"package-lock.json": lock}, run=online_run(), online=True)
    assert at(findings) == [("AG403", 3, 9, "error")]
    assert findings[0].message.startswith("bignum 0.13.1") and "[package registry]" in findings[0].message
    offline = lint_context(tmp_path, "FROM node:22-alpine\nCOPY package-lock.json .\nRUN npm ci\n")
    assert offline == []  # unknown to the embedded data


def test_failure_falls_back_to_embedded_data_with_a_note(tmp_path, online_run):
    def unreachable(url):
        raise urllib.error.URLError("connection refused")
    result = check_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install psycopg2==2.9.9\n",
                           run=online_run(fetch=unreachable), online=True)
    assert at(result.findings) == [("AG401", 2, 17, "error")]
    assert "registry look-up failed" in result.findings[0].message
    assert [(f.ecosystem, f.package) for f in result.fallbacks] == [("Python", "psycopg2")]
    assert "connection refused" in result.fallbacks[0].why


def test_time_box(tmp_path, online_run):
    def slow(url):
        time.sleep(2)
        return recorded_fetch(url)
    started = time.monotonic()
    result = check_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install psycopg2==2.9.9\n",
                           run=online_run(fetch=slow, time_box=0.2), online=True)
    assert time.monotonic() - started < 1.5
    assert "registry look-up failed" in result.findings[0].message
    assert result.fallbacks == [Fallback("Python", "psycopg2", "no answer within the 0.2s time box")]


def test_disk_cache_and_expiry(tmp_path):
    calls = []

    def counting(url):
        calls.append(url)
        return recorded_fetch(url)
    cache = DiskCache(str(tmp_path / "c"))
    Registry(cache=cache, python_index=PythonIndex(PipConfig([INDEX]), counting)).prefetch(["psycopg2"])
    second = Registry(cache=cache, python_index=PythonIndex(PipConfig([INDEX]), counting))
    assert second.prefetch(["psycopg2"]).python["psycopg2"] and len(calls) == 1
    expired = Registry(cache=DiskCache(str(tmp_path / "c"), ttl=-1), python_index=PythonIndex(PipConfig([INDEX]), counting))
    expired.prefetch(["psycopg2"])
    assert len(calls) == 2


def test_local_html_index_and_find_links(tmp_path):
    project = tmp_path / "simple" / "psycopg2"
    project.mkdir(parents=True)
    (project / "index.html").write_text(
        '<html><body><a href="../../f/psycopg2-2.9.9.tar.gz#sha256=0" data-requires-python="&gt;=3.7">'
        'psycopg2-2.9.9.tar.gz</a><a href="x" data-yanked="">psycopg2-2.9.8.tar.gz</a></body></html>')
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "psycopg2-2.9.9-cp312-cp312-musllinux_1_2_x86_64.whl").write_bytes(b"")
    index = PythonIndex(PipConfig([(tmp_path / "simple").as_uri()], [str(wheels)]))
    facts = online_project("psycopg2", index.files("psycopg2"))
    assert facts.versions == ("2.9.8", "2.9.9") and facts.requires_python["2.9.9"] == ">=3.7"
    assert facts.yanked == {"2.9.8"}  # kept, marked: pip still installs it for an exact pin
    assert facts.fits("2.9.9", "3.12", "x86_64") and facts.fits("2.9.9", "3.12", "aarch64") is False


@pytest.mark.registry
def test_real_registries(tmp_path):
    """Asks the registries the local pip and npm are configured for; skipped only when unreachable."""
    registry = Registry(cache=DiskCache(str(tmp_path / "cache")), time_box=60)
    notes = registry.look_up(["psycopg2", "psutil"], ["canvas@2.11.2"])
    answers = registry.answers
    if notes and not answers.python and not answers.npm:
        pytest.skip("registries unreachable: " + "; ".join(notes))
    assert notes == []
    psycopg2 = online_project("psycopg2", answers.python["psycopg2"])
    assert "2.9.9" in psycopg2.sdists and psycopg2.fits("2.9.9", "3.12", "x86_64") is False
    assert online_project("psutil", answers.python["psutil"]).fits("7.2.2", "3.12", "aarch64")
    record = answers.npm["canvas@2.11.2"][-1]
    assert record["version"] == "2.11.2" and "node-pre-gyp" in record["scripts"]["install"]


def test_time_box_stops_running_lookups(tmp_path):
    started = []

    def hanging_npm(spec):
        started.append(spec)
        return online._run(["sleep", "30"], 60)

    registry = Registry(cache=DiskCache(str(tmp_path / "cache")), npm=hanging_npm, time_box=1.0)
    begun = time.monotonic()
    answers = registry.prefetch(npm_specs=["slow-package@1.0.0"])
    assert time.monotonic() - begun < 5 and started == ["slow-package@1.0.0"]
    stopped = list(online._CHILDREN)
    assert all(process.wait(timeout=5) == -9 for process in stopped)  # the sleep was killed, not awaited
    assert answers.notes == ["registry look-up failed for npm package slow-package@1.0.0 (no answer within the 1s "
                             "time box); used the embedded data for it"]


def test_each_package_is_asked_once_per_run_even_by_other_workers(tmp_path):
    calls = []

    def failing_npm(spec):
        calls.append(spec)
        raise LookupError_("registry unreachable")

    cache = str(tmp_path / "cache")
    first = Registry(cache=DiskCache(cache), npm=failing_npm)
    first.prefetch(npm_specs=["a@1.0.0", "b@2.0.0"])
    first.prefetch(npm_specs=["a@1.0.0"])  # the next file of the same run
    other_worker = Registry(cache=DiskCache(cache), npm=failing_npm)
    other_worker.prefetch(npm_specs=["b@2.0.0"])
    assert sorted(calls) == ["a@1.0.0", "b@2.0.0"]
    assert first.answers.notes == ["registry look-up failed for npm packages a@1.0.0, b@2.0.0 (registry unreachable); "
                                   "used the embedded data for them"]
    assert other_worker.answers.notes == ["registry look-up failed for npm package b@2.0.0 (registry unreachable); "
                                          "used the embedded data for it"]


def test_pip_configuration_is_read_once_for_the_run(tmp_path, monkeypatch):
    reads = []
    real = online.pip_config
    monkeypatch.setattr(online, "pip_config", lambda: reads.append(1) or real())
    cache = DiskCache(str(tmp_path / "cache"))
    first, second = online.shared_pip_config(cache), online.shared_pip_config(DiskCache(cache.folder))
    assert first == second and first.index_urls and len(reads) == 1
