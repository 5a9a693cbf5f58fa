"""Measure AG401 against the package index: offline (embedded data) and `--online`.

    .venv/bin/python tools/audit_musl.py --ranks PYPI_RANKS.tsv [--out report.json]

Projects (the rule is fixed here, before any result is seen):
- CHOSEN: 20 projects picked by hand (well-known native packages).
- 40 projects not chosen by hand: walk the download-rank list (a TSV with the columns
  `name` and `rank_among_15000_most_downloaded`) at ranks 10, 20, 30, ... 3000 (with
  `--offset 5`: 5, 15, 25, ..., a second sample), keep each
  project whose file list shows compiled code (a platform-specific wheel in any release)
  and that is not in CHOSEN, in rank order, and take the first 40.
Versions: the latest final release, and the newest final releases uploaded at least 2.5
and 3.75 years before today (skipped when the project has none that old).
Each case is checked twice on python:3.12-alpine for linux/amd64 and linux/arm64: with no
build tools, and after `apk add build-base cargo`.

The expected answer comes from pip itself: `pip install --dry-run --only-binary :all:
--platform musllinux_1_{0,1,2}_<arch> --python-version 3.12` for each architecture says
whether a wheel installs as is; the index's file list says whether an sdist exists; the
hand-kept build facts say whether the C extension is optional. Expected AG401: none when
every architecture has a wheel (or the release excludes Python 3.12); else error without
an sdist; else error without build tools (info when the extension is optional), warning
with them. A case agrees when alpineguard's AG401 severity is the expected one.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from alpineguard.deps.wheels import normalize, parse_wheel, sdist_version  # noqa: E402
from alpineguard.knowledge.musl import python_build_facts  # noqa: E402
from alpineguard.online import PythonIndex, pip_config  # noqa: E402

CHOSEN = ["numpy", "pandas", "psycopg2", "lxml", "cryptography", "grpcio", "matplotlib", "pillow", "scipy", "orjson",
          "pydantic-core", "uvloop", "psutil", "pyyaml", "aiohttp", "mysqlclient", "confluent-kafka", "torch",
          "shapely", "h5py"]
NOT_CHOSEN = 40
RANK_STEP, RANK_LIMIT = 10, 3000
AGES_YEARS = (2.5, 3.75)
PYTHON = "3.12"
ARCHS = {"x86_64": "linux/amd64", "aarch64": "linux/arm64"}
TOOLS = "apk add --no-cache build-base cargo && "


def index_url() -> str:
    urls = [u for u in pip_config().index_urls if not u.startswith("file:")]
    return urls[0]


def project_files(index: PythonIndex, project: str) -> list[dict]:
    """The JSON simple API's file records (name, upload-time, requires-python, yanked)."""
    body, content_type = index._fetch(index.config.index_urls[0].rstrip("/") + "/" + normalize(project) + "/")
    if "json" not in content_type:
        raise SystemExit("the index does not answer in JSON (upload times are needed)")
    return json.loads(body)["files"]


def releases(project: str, files: list[dict]) -> dict[Version, dict]:
    """Final releases -> {uploaded, sdist, platform_wheel, requires_python}."""
    found: dict[Version, dict] = {}
    for record in files:
        name = record["filename"]
        wheel = parse_wheel(name)
        text = wheel.version if wheel else sdist_version(name, project)
        try:
            version = Version(text or "")
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or version.local:
            continue
        entry = found.setdefault(version, {"uploaded": "", "sdist": False, "platform_wheel": False,
                                           "requires_python": "", "yanked": True})
        uploaded = record.get("upload-time") or ""
        entry["uploaded"] = min(filter(None, (entry["uploaded"], uploaded)), default="")
        entry["sdist"] |= wheel is None
        entry["platform_wheel"] |= bool(wheel) and any(pl != "any" for _, _, pl in wheel.tags)
        entry["requires_python"] = entry["requires_python"] or record.get("requires-python") or ""
        entry["yanked"] &= bool(record.get("yanked"))
    return found


def pick_versions(found: dict[Version, dict], today: dt.date) -> list[str]:
    listed = sorted(v for v in found if not found[v]["yanked"])
    picked = [listed[-1]] if listed else []
    for years in AGES_YEARS:
        cutoff = (today - dt.timedelta(days=round(years * 365.25))).isoformat()
        older = [v for v in listed if found[v]["uploaded"] and found[v]["uploaded"][:10] <= cutoff]
        if older and older[-1] not in picked:
            picked.append(older[-1])
    return [str(v) for v in picked]


def wheel_installs(project: str, version: str, arch: str, index: str) -> bool:
    """pip's own answer: a wheel for CPython 3.12 on musl `arch` exists for this release."""
    with tempfile.TemporaryDirectory() as target:
        platforms = [arg for n in (0, 1, 2) for arg in ("--platform", f"musllinux_1_{n}_{arch}")]
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--quiet",
                               "--ignore-installed", "--no-deps", "--only-binary", ":all:", *platforms,
                               "--python-version", PYTHON, "--implementation", "cp", "--target", target,
                               "--index-url", index, f"{project}=={version}"], capture_output=True, text=True)
    return done.returncode == 0


def expected(project: str, info: dict, fits: dict[str, bool], tools: bool) -> str:
    try:
        if info["requires_python"] and not SpecifierSet(info["requires_python"]).contains(PYTHON + ".0"):
            return "none"  # pip refuses the release itself on this Python: not AG401's question
    except InvalidSpecifier:
        pass
    if all(fits.values()):
        return "none"
    if not info["sdist"]:
        return "error"
    if tools:
        return "warning"
    return "info" if python_build_facts().get(project, {}).get("optional_c") else "error"


def run_alpineguard(cases: list[dict], online: bool, cache: str, src: str = "") -> dict[str, str]:
    """Dockerfile name -> AG401 severity ("none" without a finding), one run over all files."""
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            text = f"FROM python:{PYTHON}-alpine\nRUN {TOOLS if case['tools'] else ''}pip install " \
                   f"{case['project']}=={case['version']}\n"
            Path(folder, case["file"]).write_text(text)
        argv = [sys.executable, "-m", "alpineguard", "--select", "AG401", "--format", "json"]
        argv += ["--online"] if online else []
        env = dict(os.environ, XDG_CACHE_HOME=cache, **({"PYTHONPATH": src} if src else {}))
        done = subprocess.run(argv + [folder], capture_output=True, text=True, env=env)
        report = json.loads(done.stdout or "{}")
    severities = {case["file"]: "none" for case in cases}
    for finding in report.get("findings", []):
        severities[Path(finding["path"]).name] = finding["severity"]
    if report.get("errors"):
        print("alpineguard errors:", report["errors"], file=sys.stderr)
    return severities


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", required=True, help="TSV of projects with download ranks")
    parser.add_argument("--out", help="write every case as JSON")
    parser.add_argument("--offset", type=int, default=0, help="start the rank walk this many ranks earlier")
    parser.add_argument("--baseline", default="", help="also measure the alpineguard in this source folder")
    args = parser.parse_args()
    index = index_url()
    config = pip_config()
    config.index_urls, config.find_links = [index], []
    client = PythonIndex(config)
    with open(args.ranks, encoding="utf-8", newline="") as handle:
        ranked = {int(row["rank_among_15000_most_downloaded"]): normalize(row["name"])
                  for row in csv.DictReader(handle, delimiter="\t") if row["rank_among_15000_most_downloaded"]}
    sampled = [ranked[r] for r in range(RANK_STEP - args.offset, RANK_LIMIT + 1, RANK_STEP) if r in ranked]
    with ThreadPoolExecutor(8) as pool:
        listings = dict(zip(sampled, pool.map(lambda p: releases(p, project_files(client, p)), sampled)))
    drawn = [p for p in sampled if p not in CHOSEN and any(r["platform_wheel"] for r in listings[p].values())]
    drawn = drawn[:NOT_CHOSEN]
    with ThreadPoolExecutor(8) as pool:
        listings.update(zip(CHOSEN, pool.map(lambda p: releases(p, project_files(client, p)), CHOSEN)))
    today = dt.date.today()
    cases = []
    for group, projects in (("chosen", CHOSEN), ("drawn", drawn)):
        for project in projects:
            for version in pick_versions(listings[project], today):
                for tools in (False, True):
                    cases.append({"group": group, "project": project, "version": version, "tools": tools,
                                  "file": f"{project}-{version}-{'tools' if tools else 'bare'}.Dockerfile"})
    pairs = sorted({(c["project"], c["version"]) for c in cases})
    jobs = [(p, v, a) for p, v in pairs for a in ARCHS]
    with ThreadPoolExecutor(6) as pool:
        answers = dict(zip(jobs, pool.map(lambda job: wheel_installs(*job, index), jobs)))
    for case in cases:
        fits = {arch: answers[(case["project"], case["version"], arch)] for arch in ARCHS}
        case["expected"] = expected(case["project"], listings[case["project"]][Version(case["version"])], fits,
                                    case["tools"])
    modes = [("offline", False, ""), ("online", True, "")]
    if args.baseline:
        modes += [("baseline offline", False, args.baseline), ("baseline online", True, args.baseline)]
    for mode, online, src in modes:
        with tempfile.TemporaryDirectory() as cache:  # a cold cache for each
            answered = run_alpineguard(cases, online=online, cache=cache, src=src)
        for case in cases:
            case[mode] = answered[case["file"]]
    first = RANK_STEP - args.offset
    print(f"projects: {len(CHOSEN)} chosen, {len(drawn)} drawn (ranks {first}, {first + RANK_STEP}, ... with "
          f"compiled code): {', '.join(drawn)}")
    for mode, _, _ in modes:
        for group in ("chosen", "drawn", None):
            scope = [c for c in cases if group is None or c["group"] == group]
            agree = sum(c[mode] == c["expected"] for c in scope)
            print(f"{mode:16} {group or 'all':6}: {agree}/{len(scope)} cases agree ({100 * agree / len(scope):.1f}%)")
    for case in cases:
        if case["offline"] != case["expected"] or case["online"] != case["expected"]:
            print(f"  differs: {case['file']}: expected {case['expected']}, offline {case['offline']}, "
                  f"online {case['online']}")
    if args.out:
        Path(args.out).write_text(json.dumps(cases, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
