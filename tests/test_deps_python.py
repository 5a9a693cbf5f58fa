"""AG401 pip-no-musl-wheel with real build contexts and the embedded data (offline)."""
from __future__ import annotations

from deps_helpers import at, lint_context

from alpineguard.deps.python import PyRequirement
from alpineguard.deps.versions import parse_requirement
from alpineguard.knowledge.musl import ProjectFacts
from alpineguard.rules.deps_python import find_gap

REQS = {"requirements.txt": """
    # the app
    -r requirements/base.txt
    psycopg2==2.9.9 \\
        --hash=sha256:0000
    requests==2.32.3
    """, "requirements/base.txt": "-c constraints.txt\nnumpy\n", "requirements/constraints.txt": "numpy==1.26.0\n"}


def test_requirement_file_with_nested_includes_and_constraints(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine
        WORKDIR /app
        COPY requirements.txt .
        COPY requirements/ requirements/
        RUN pip install --no-cache-dir -r requirements.txt
        """, REQS)
    assert at(findings) == [("AG401", 5, 35, "error"), ("AG401", 5, 35, "error")]
    numpy, psycopg2 = sorted((f.message for f in findings))
    assert numpy.startswith("numpy 1.26.0 (requirements/base.txt:2) has no musllinux wheel for CPython 3.12 on "
                            "aarch64 (linux/arm64)")  # arm64-only gap: x86_64 had wheels from 1.26.0
    assert "upgrade to numpy 1.26.2 or later" in numpy and "gcc and musl-dev are not installed" in numpy
    assert psycopg2.startswith("psycopg2 2.9.9 (requirements.txt:3)") and "psycopg2-binary" in psycopg2
    assert "libpq-dev" in psycopg2 and "py3-psycopg2" not in psycopg2  # not Alpine's own python3


def test_file_not_copied_is_not_read(tmp_path):
    assert lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install -r requirements.txt\n", REQS) == []


def test_dockerignored_file_is_not_read(tmp_path):
    files = dict(REQS, **{".dockerignore": "requirements/\n"})
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n",
                            files)
    assert [f.message.split(" ")[0] for f in findings] == ["psycopg2"]


def test_amd64_only_target_has_no_numpy_gap(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install numpy==1.26.0\n",
                            platforms=("linux/amd64",))
    assert findings == []
    findings = lint_context(tmp_path, "FROM --platform=linux/arm64 python:3.12-alpine\nRUN pip install numpy==1.26.0\n")
    assert at(findings) == [("AG401", 2, 17, "error")]


def test_compiler_present_makes_it_a_warning(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine
        RUN apk add --no-cache --virtual .build-deps build-base libpq-dev \\
         && pip install psycopg2==2.9.9 \\
         && apk del .build-deps
        """)
    assert at(findings) == [("AG401", 3, 17, "warning")]


def test_compiler_installed_in_parent_stage_counts(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.11-alpine3.20 AS base
        RUN apk add --no-cache gcc musl-dev
        FROM base
        RUN python -m pip install "psycopg2==2.9.9"
        """)
    assert at(findings) == [("AG401", 4, 27, "warning")]


def test_no_sdist_is_an_error_even_with_a_compiler(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN apk add build-base && pip3 install torch==2.5.1\n")
    assert at(findings) == [("AG401", 2, 40, "error")]
    assert "no source distribution" in findings[0].message


def test_alpine_python3_gets_py3_remedy_and_needs_python3_dev(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM alpine:3.20
        RUN apk add --no-cache python3 py3-pip build-base
        RUN pip install --break-system-packages scikit-learn==1.5.2
        """)
    assert at(findings) == [("AG401", 3, 41, "error")]
    message = findings[0].message
    assert "CPython 3.12" in message and "apk add py3-scikit-learn" in message and "python3-dev" in message


def test_rust_package_needs_cargo(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN apk add build-base && pip install tiktoken==0.8.0\n")
    assert at(findings) == [("AG401", 2, 39, "error")] and "cargo (Rust)" in findings[0].message


def test_wheels_built_in_builder_stage_are_not_findings(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine AS build
        RUN apk add --no-cache build-base libpq-dev
        COPY requirements.txt .
        RUN pip wheel --wheel-dir /wheels -r requirements.txt
        FROM python:3.12-alpine
        COPY --from=build /wheels /wheels
        COPY requirements.txt .
        RUN pip install --no-index --find-links=/wheels -r requirements.txt \\
         && pip install /wheels/*.whl
        """, {"requirements.txt": "psycopg2==2.9.9\n"})
    assert findings == []


def test_pip_wheel_without_compiler_is_still_an_error(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine AS build\nRUN pip wheel -w /w psycopg2==2.9.9\n")
    assert at(findings) == [("AG401", 2, 21, "error")]


def test_wolfi_and_debian_stages_are_never_checked(tmp_path):
    for image in ("cgr.dev/chainguard/python:latest-dev", "python:3.12-slim", "wolfi-base"):
        assert lint_context(tmp_path, f"FROM {image}\nRUN pip install psycopg2==2.9.9 torch\n") == []


def test_wheels_available_no_finding(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install numpy==2.1.3 'pandas>=2' lxml\n")
    assert findings == []


def test_marker_excludes_architecture(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine
        RUN pip install "matplotlib==3.9.2; platform_machine == 'x86_64'"
        """)
    assert findings == []  # only aarch64 lacks the wheel, and the marker skips aarch64


def test_urls_paths_and_variables_are_not_looked_up(tmp_path):
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine
        ARG PKG
        RUN pip install ./vendor/psycopg2 git+https://example.org/x.git "$PKG" psycopg2@https://example.org/p.zip
        """)
    assert findings == []


def test_uv_pip_sh_c_heredoc_and_crlf(tmp_path):
    dockerfile = ("FROM python:3.12-alpine\r\n"
                  "RUN sh -c 'uv pip install --system mysqlclient==2.2.6'\r\n"
                  "RUN <<EOF\r\nset -e\r\npip install python-ldap==3.4.4\r\nEOF\r\n")
    findings = lint_context(tmp_path, dockerfile)
    assert at(findings) == [("AG401", 2, 36, "error"), ("AG401", 5, 13, "error")]


def test_pyproject_dependencies_and_extras(tmp_path):
    files = {"pyproject.toml": """
        [project]
        name = "app"
        version = "1"
        dependencies = [
          "requests",
          "psycopg2==2.9.9",
        ]
        [project.optional-dependencies]
        ml = ["torch==2.5.1"]
        """}
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nWORKDIR /src\nCOPY . .\nRUN pip install -e '.[ml]'\n",
                            files)
    assert at(findings) == [("AG401", 4, 20, "error"), ("AG401", 4, 20, "error")]
    assert sorted(f.message.split(" (")[1].split(")")[0] for f in findings) == ["pyproject.toml:6", "pyproject.toml:9"]


def test_poetry_lock(tmp_path):
    files = {"pyproject.toml": "[tool.poetry]\nname='x'\n", "poetry.lock": """
        [[package]]
        name = "numpy"
        version = "1.26.0"
        groups = ["main"]

        [[package]]
        name = "psycopg2"
        version = "2.9.9"
        groups = ["dev"]
        """}
    dockerfile = "FROM python:3.12-alpine\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install {}\n"
    findings = lint_context(tmp_path, dockerfile.format(""), files)
    assert sorted(f.message.split(" (")[0] for f in findings) == ["numpy 1.26.0", "psycopg2 2.9.9"]
    assert {f.start for f in findings} == {(4, 12)}
    assert "(poetry.lock:2)" in sorted(f.message for f in findings)[0]
    findings = lint_context(tmp_path, dockerfile.format("--only main"), files)
    assert [f.message.split(" (")[0] for f in findings] == ["numpy 1.26.0"]


def test_pipfile_lock_and_uv_lock(tmp_path):
    files = {"Pipfile.lock": '{"default": {"psycopg2": {"version": "==2.9.9"}},'
                             ' "develop": {"torch": {"version": "==2.5.1"}}}',
             "uv.lock": """
        version = 1
        [[package]]
        name = "app"
        version = "0.1.0"
        source = { editable = "." }

        [[package]]
        name = "mysqlclient"
        version = "2.2.6"
        source = { registry = "https://example.org/simple" }
        """}
    findings = lint_context(tmp_path, """\
        FROM python:3.12-alpine
        COPY Pipfile.lock uv.lock /app/
        WORKDIR /app
        RUN pipenv install --system --deploy
        RUN uv sync --frozen
        """, files)
    assert [(f.start, f.message.split(" (")[0]) for f in findings] == [((4, 12), "psycopg2 2.9.9"),
                                                                        ((5, 8), "mysqlclient 2.2.6")]


def test_unknown_release_and_unknown_package_are_quiet_offline(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install psycopg2==99.0 some-private-pkg==1.0\n")
    assert findings == []


# -- versions outside the embedded window, PEP 440 matching (issue 15)

def test_pin_older_than_the_data_is_answered_when_the_data_decides(tmp_path):
    # numpy 1.19.5 is older than the embedded window and older than numpy's first wheel for CPython 3.12
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install numpy==1.19.5\n")
    assert at(findings) == [("AG401", 2, 17, "error")]
    assert findings[0].message.startswith("numpy 1.19.5, older than the embedded data, has no musllinux wheel for "
                                          "CPython 3.12 on any target architecture (x86_64, aarch64); no release before ")


def _facts(last_fit: str, yanked=frozenset(), fitting=("2.1.0", "2.2.0")) -> ProjectFacts:
    versions = ["2.0.0", "2.1.0", "2.2.0"]
    return ProjectFacts("demo", versions, set(versions), {("3.12", "x86_64"): set(fitting)}, {}, "embedded data",
                        yanked=frozenset(yanked), older_fit={("3.12", "x86_64"): last_fit})


def _gap(requirement: str, facts: ProjectFacts):
    name, spec, marker = parse_requirement(requirement)
    req = PyRequirement(name, spec, marker, None, requirement)
    return find_gap(req, _Call(), facts, "3.12", ["x86_64"])


class _Call:
    constraints: dict = {}
    prefer_binary = only_binary = False


def test_older_pins_are_answered_from_the_newest_older_run_of_wheels():
    # 1.2.0 to 1.4.0 are the newest older releases with a musl wheel: 1.5.0 has none, nor (wheels
    # appear and stay) anything before 1.2.0
    gap = _gap("demo==1.5.0", _facts("1.2.0..1.4.0"))
    assert gap.missing == ["x86_64"] and gap.older == "the last older release with one is 1.4.0"
    assert _gap("demo==1.1.9", _facts("1.2.0..1.4.0")).older == "its musllinux wheels for CPython 3.12 start at 1.2.0"
    assert _gap("demo==1.4.0", _facts("1.2.0..1.4.0")) is None and _gap("demo==1.3", _facts("1.2.0..1.4.0")) is None
    assert _gap("demo==1.5.*", _facts("1.2.0..1.4.0")) is not None and _gap("demo~=1.4.0", _facts("1.2.0..1.4.0")) is None
    assert _gap("demo<1.6", _facts("1.2.0..1.4.0")) is None  # pip may pick 1.4.0
    assert _gap("demo==0.1", _facts("none")).older == "no release before 2.0.0 has one"
    assert _gap("demo<1.6", _facts("none")).version == "<1.6"
    assert _gap("demo==2.*", _facts("none")) is None  # selects 2.2.0, which has a wheel
    assert _gap("demo>=1.0", _facts("none")) is None
    assert _gap("demo==9.0", _facts("none")) is None  # newer than the data, or a typo


def test_yanked_releases_count_only_for_exact_pins():
    facts = _facts("none", yanked={"2.1.0", "2.2.0"}, fitting=("2.0.0", "2.1.0"))
    assert _gap("demo==2.2.0", facts).version == "2.2.0"  # pip installs a yanked release when pinned
    assert _gap("demo>=2.0", facts) is None  # ... and skips it otherwise: 2.0.0 has a wheel


def test_prerelease_pin_is_not_truncated_to_the_final_release(tmp_path):
    # 1.26.0 has no arm64 musl wheel, but 1.26.0rc1 is not 1.26.0: the data does not know it
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install numpy==1.26.0rc1\n")
    assert findings == []


def test_python2_and_unknown_bases_never_name_a_cpython(tmp_path):
    for dockerfile in ("FROM python:2-alpine3.7\nRUN pip install psycopg2==2.9.9\n",
                       "FROM alpine:3.8\nRUN apk add --no-cache py2-pip && pip install psycopg2==2.9.9\n"):
        for finding in lint_context(tmp_path, dockerfile):
            assert "CPython" not in finding.message, finding.message


def test_alpine_release_python3_is_used(tmp_path):
    findings = lint_context(tmp_path, "FROM alpine:3.20\nRUN apk add --no-cache python3 py3-pip && "
                            "pip install --break-system-packages psycopg2==2.9.9\n")
    assert "CPython 3.12" in findings[0].message and "python3-dev" in findings[0].message


def test_unknown_third_party_base_gets_a_warning_not_a_missing_compiler_error(tmp_path):
    findings = lint_context(tmp_path, "FROM example.org/team/builder:1.0-alpine\nRUN pip install psycopg2==2.9.9\n")
    assert [f.severity.label for f in findings] == ["warning"]
    assert "the image's Python" not in findings[0].message or "any CPython" in findings[0].message
    assert "not installed at this point" not in findings[0].message


def test_optional_c_extension_without_compiler_is_not_an_error(tmp_path):
    findings = lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install PyYAML==6.0.1\n")
    assert at(findings) == [("AG401", 2, 17, "info")]
    assert "pure-Python fallback" in findings[0].message


def test_base_named_for_python2_and_pip_version_flag(tmp_path):
    assert lint_context(tmp_path, "FROM example/alpine-python2:1\nRUN apk add python3 && pip install psycopg2\n") == []
    assert lint_context(tmp_path, "FROM python:3.12-alpine\nRUN pip install --version psycopg2==2.9.9\n") == []
