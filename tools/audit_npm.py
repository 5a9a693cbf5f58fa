"""Measure AG402/AG403 against the npm registry: offline (embedded data) and `--online`.

    .venv/bin/python tools/audit_npm.py --ranks NPM.tsv [--out report.json]

Packages (the rule is fixed here, before any result is seen):
- CHOSEN: 10 packages picked by hand (well-known native packages).
- 30 packages not chosen by hand: the rank list (a TSV with the columns `name`,
  `downloads_a_month` and `summary`), ranked by downloads, walked from the top through
  rank 20,000, keeping the packages whose summary names native code or a binary
  (SUMMARY_WORDS) and whose latest release, as `npm view` shows it, has an install
  script (preinstall/install/postinstall), a binding.gyp (`gypfile`) or platform packages
  (optionalDependencies naming linux), and is not itself a platform package (no `os`,
  `cpu` or `libc` of its own: such a package is a part that npm installs through another);
  CHOSEN left out; the first 30 (`--skip 30`: the next 30, a further sample;
  `--ranks-between 20001-60000`: a third one; `--ranks-between 20001-100000 --skip 30
  --count 40`: the fourth, S4, the 40 after S3's, within the ranks that
  tools/scan_npm_native.py scans; `--ranks-between 100001-150000`: S5, beyond them).
  (A first draw without the platform-package exclusion drew 11 of sharp's platform
  packages; it was discarded, see docs/accuracy.md.)
Versions: the latest release (`dist-tags.latest`), the newest release of the breaking line
before the latest's (the previous major; for 0.x, the previous minor) and the stable release
in the middle of the list of stable releases (oldest first), each once; prereleases never.
(S1-S3 took the newest releases published at least 2.5 and 3.75 years before today; but
the registry reachable here dates releases by when its mirror took them, mostly late 2024
and after, so that rule picked almost only latest releases. See docs/accuracy.md.)

Each case is `npm install` of that one package from a package.json on node:22-alpine3.22
(linux/amd64 and linux/arm64), with no build tools. The expected answer is derived per
architecture (npm cpu x64, arm64) from what the registry holds, through npm's own
configuration (`npm view`, `npm pack`), never from alpineguard's data or code:
1. Platform packages (the package's own: optionalDependencies whose names name linux and
   its name or scope, as `@img/sharp-linux-x64` for sharp; not `@rollup/rollup-linux-x64-gnu`
   listed by a React component, which is no binary of its own): the one npm installs
   for linux/<cpu> on musl is a package whose `os`/`cpu` match and whose `libc` does not
   exclude musl. Its native files (ELF) are read from its tarball: a package holding a
   binary linked against musl, or only static ones, loads; one holding only binaries
   linked against glibc (libc.so.6, ld-linux) is a glibc binary (AG402). No package for
   linux/<cpu> on musl: the package has no binary there and fails to load (AG402),
   unless it has an install script too (which may build one: undetermined). A platform
   package that cannot be looked up here makes the case undetermined.
2. A binding.gyp and no install script: npm runs `node-gyp rebuild` (AG403).
3. An install script (leading variable settings and `cross-env` left out) whose last
   command is `node-gyp rebuild`, with no `||`: AG403. `node-gyp-build`: the tarball's
   `prebuilds/linux-<cpu>/` is read as node-gyp-build reads it on Node 22 (ABI 127) and
   musl (tags in the file names; an untagged prebuild matches any libc): the prebuild it
   picks loads unless it is linked against glibc; then it fails to load in node-gyp-build's
   install step, which runs `node-gyp rebuild` (AG403), as it does with no prebuild.
4. No install script, no `gypfile` and no platform package: the tarball decides. A
   binding.gyp at its root (and no `gypfile: false`) makes npm run `node-gyp rebuild`
   (AG403); no native file at all is pure JavaScript (no finding); prebuilds shipped as
   they are (`prebuilds/linux-<cpu>/`, read as in 3.) load, or, linked against glibc,
   do not (AG402); other native files are undetermined.
5. Anything else (prebuild-install, node-pre-gyp, a script that downloads from a host
   outside the registry) cannot be decided from the registry: the case is "undetermined"
   and left out of the figure (listed with its script).
A case's expected finding: AG402 if either architecture gets a glibc binary, else AG403
if either compiles, else none. A case agrees when alpineguard's AG402/AG403 finding for
the package is the expected one (the rule, not the severity).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

CHOSEN = ["puppeteer", "sharp", "bcrypt", "sqlite3", "canvas", "node-sass", "esbuild", "@swc/core", "better-sqlite3",
          "argon2"]
NOT_CHOSEN = 30
RANK_LIMIT = 20000
SUMMARY_WORDS = re.compile(r"\b(native|bindings?|addons?|n-?api|node-gyp|prebuil[dt]\w*|binar(y|ies)|compiled?|"
                           r"c\+\+|rust|libvips|sqlite3?|headless|chrom(e|ium))\b", re.I)
CPUS = ("x64", "arm64")
STABLE = re.compile(r"\d+\.\d+\.\d+")  # a release, not a prerelease
NODE_IMAGE = "node:22-alpine3.22"
CPU_IN_NAME = re.compile(r"x64|x86|ia32|amd64|arm|aarch64|riscv|ppc|s390|loong|mips|wasm")
CPU_NAMES = {"x64": re.compile(r"x64|x86[-_]64|amd64"), "arm64": re.compile(r"arm64|aarch64")}
GLIBC_NEEDED = re.compile(r"\[libc\.so\.6\]|ld-linux[-\w.]*\.so\.\d")
MUSL_NEEDED = re.compile(r"\[libc\.so\]|libc\.musl-[\w.]+|ld-musl-[\w.]+")  # musl's soname is libc.so


def npm(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(["npm", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = [line for line in (done.stdout + done.stderr).splitlines() if "error" in line.lower()]
        raise RuntimeError(f"npm {' '.join(args[:2])}: {said[1] if len(said) > 1 else said[:1]}")
    return done.stdout


_VIEWS: dict[str, dict] = {}


def view(spec: str) -> dict:
    """The whole manifest of `spec` (the newest matching version), with the package's
    `time` and `dist-tags`. Asked whole: `npm view spec FIELD... --json` answers with the bare
    value, not an object, when only one of the fields is set, which reads as wrong facts."""
    if spec not in _VIEWS:
        out = npm("view", spec, "--json")
        data = json.loads(out) if out.strip() else {}
        if isinstance(data, list):  # a range matching several versions: the newest
            data = data[-1] if data else {}
        _VIEWS[spec] = data
    return _VIEWS[spec]


def qualifies(name: str) -> bool:
    try:
        record = view(name)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired):
        return False
    scripts = record.get("scripts") or {}
    if record.get("os") or record.get("cpu") or record.get("libc"):
        return False  # a platform package: installed through the package that names it
    return bool(set(scripts) & {"preinstall", "install", "postinstall"} or record.get("gypfile") is True
                or any("linux" in n for n in record.get("optionalDependencies") or {}))


def breaking_line(version: str) -> tuple[int, ...]:
    """The semver line a caret range stays within: (major,), or (0, minor) below 1.0.0."""
    major, minor = (int(n) for n in version.split(".")[:2])
    return (major,) if major else (0, minor)


def pick_versions(name: str) -> list[str]:
    record = view(name)
    stable = sorted((v for v in record.get("versions") or [] if STABLE.fullmatch(v)),
                    key=lambda v: tuple(int(n) for n in v.split(".")))
    latest = (record.get("dist-tags") or {}).get("latest")
    picked = [latest] if latest else []
    if latest in stable:
        earlier = [v for v in stable if breaking_line(v) < breaking_line(latest)]
        if earlier:
            picked.append(earlier[-1])  # the newest release of the previous line
    if stable:
        picked.append(stable[(len(stable) - 1) // 2])
    return list(dict.fromkeys(picked))


def tarball_files(spec: str, folder: str) -> Path:
    """Unpacks the package's tarball (fetched by npm) into `folder`; returns its top folder."""
    npm("pack", spec, "--pack-destination", folder, timeout=300)
    archive = next(Path(folder).glob("*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(Path(folder, "unpacked"), filter="data")
    tops = list(Path(folder, "unpacked").iterdir())
    return tops[0] if len(tops) == 1 else Path(folder, "unpacked")


def elf_libc(path: Path) -> str:
    """"glibc", "musl" or "static" for an ELF file (from its dynamic section), "" if not ELF."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"\x7fELF":
            return ""
    done = subprocess.run(["readelf", "-d", "-l", str(path)], capture_output=True, text=True)
    text = done.stdout
    if GLIBC_NEEDED.search(text):
        return "glibc"
    if MUSL_NEEDED.search(text):
        return "musl"
    return "static" if "(NEEDED)" not in text else "unlinked-libc"  # needs no libc by name: loads on musl


def native_libcs(root: Path) -> set[str]:
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            kind = elf_libc(path)
            if kind:
                found.add(kind)
    return found


def own_platform_packages(record: dict) -> list[str]:
    """The optional dependencies naming linux that are the package's own builds: their names
    hold its name (without scope) or its scope's."""
    name = record.get("name", "")
    marks = [part.lstrip("@") for part in name.split("/") if part.lstrip("@")]
    return [n for n in record.get("optionalDependencies") or {} if "linux" in n and any(m in n for m in marks)]


def platform_verdict(record: dict, cpu: str) -> tuple[str, str]:
    """(verdict, why) for linux/<cpu> on musl from the platform packages."""
    candidates = []
    for name in own_platform_packages(record):
        spec = record["optionalDependencies"][name]
        if CPU_IN_NAME.search(name) and not CPU_NAMES[cpu].search(name):
            continue  # for another OS or another architecture
        try:
            info = view(f"{name}@{spec}")
        except (RuntimeError, ValueError) as error:  # not served here: nothing can be said
            return "undetermined", f"{name}@{spec}: {error}"
        os_ok = not info.get("os") or "linux" in info["os"] or any(o.startswith("!") and o != "!linux"
                                                                    for o in info["os"])
        cpu_ok = not info.get("cpu") or cpu in info["cpu"]
        libc = info.get("libc") or []
        libc = [libc] if isinstance(libc, str) else libc
        if os_ok and cpu_ok and (not libc or "musl" in libc):
            candidates.append((f"{name}@{info.get('version', spec)}", libc))
    if not candidates:
        return "AG402", f"no platform package for linux/{cpu} on musl"
    verdicts = []
    for spec, libc in candidates:
        with tempfile.TemporaryDirectory() as folder:
            libcs = native_libcs(tarball_files(spec, folder))
        if libcs == {"glibc"}:
            verdicts.append(("AG402", f"{spec} holds binaries linked against glibc only"))
        elif libcs:
            verdicts.append(("none", f"{spec}: {'/'.join(sorted(libcs))} binaries"))
        else:
            verdicts.append(("undetermined", f"{spec} has no native file"))
    # npm installs every matching optional package: one that loads is enough when the loader
    # tries musl first; where a glibc one matches too, the package's own loader decides.
    kinds = {v for v, _ in verdicts}
    if any(w.endswith("binaries") and "musl" in w.rsplit(": ", 1)[-1] for _, w in verdicts):
        return "none", "; ".join(w for _, w in verdicts)  # builds for both libcs: the loader picks musl's
    if kinds == {"none"}:
        return "none", "; ".join(w for _, w in verdicts)
    if kinds == {"AG402"}:
        return "AG402", "; ".join(w for _, w in verdicts)
    return "undetermined", "; ".join(w for _, w in verdicts)


def expected(name: str, version: str) -> tuple[str, str]:
    """(AG402 | AG403 | none | undetermined, why) for name@version on musl x64 and arm64."""
    per_cpu = verdicts_per_cpu(name, version)
    kinds = {v for v, _ in per_cpu.values()}
    why = "; ".join(f"{cpu}: {w}" for cpu, (_, w) in per_cpu.items())
    for kind in ("undetermined", "AG402", "AG403"):
        if kind in kinds:
            return kind, why
    return "none", why


def verdicts_per_cpu(name: str, version: str) -> dict[str, tuple[str, str]]:
    """{cpu: (AG402 | AG403 | none | undetermined, why)} for name@version on musl."""
    record = view(f"{name}@{version}")
    scripts = record.get("scripts") or {}
    install = " && ".join(str(scripts[k]) for k in ("preinstall", "install", "postinstall") if scripts.get(k))
    install = re.sub(r"^(cross-env\s+)?(\w+=\S*\s+)+", "", install.strip())  # `cross-env A=1 cmd`: cmd
    per_cpu = {}
    platform = bool(own_platform_packages(record))
    for cpu in CPUS:
        if platform:
            per_cpu[cpu] = platform_verdict(record, cpu)
            if per_cpu[cpu][1].startswith("no platform package") and install:  # the script may build one
                per_cpu[cpu] = ("undetermined", f"{per_cpu[cpu][1]}; install script `{install[:120]}`")
        elif not install and record.get("gypfile") is True:
            per_cpu[cpu] = ("AG403", "binding.gyp, no install script: npm runs node-gyp rebuild")
        elif not install:
            per_cpu[cpu] = tarball_verdict(name, version, cpu, record.get("gypfile"))
        elif "||" not in install and re.search(r"(^|&&|;)\s*node-gyp rebuild\s*$", install):
            per_cpu[cpu] = ("AG403", f"install script `{install}`")
        elif re.fullmatch(r"node-gyp-build(-optional-packages)?", install.strip()):
            per_cpu[cpu] = prebuild_verdict(name, version, cpu)
        else:
            per_cpu[cpu] = ("undetermined", f"install script `{install[:120]}`")
    return per_cpu


NODE_ABI = "127"  # Node 22, the image's Node


def prebuild_tags(filename: str):
    """node-gyp-build's reading of a prebuild's name (`name.napi.armv8.musl.node`): its tags,
    None for a file that is no prebuild."""
    parts = filename.split(".")
    if parts.pop() != "node":
        return None
    tags = {"file": filename, "specificity": 0}
    for tag in parts:
        if tag in ("node", "electron", "node-webkit"):
            tags["runtime"] = tag
        elif tag == "napi":
            tags["napi"] = True
        elif tag.startswith("abi"):
            tags["abi"] = tag[3:]
        elif tag.startswith("uv"):
            tags["uv"] = tag[2:]
        elif tag.startswith("armv"):
            tags["armv"] = tag[4:]
        elif tag in ("glibc", "musl"):
            tags["libc"] = tag
        else:
            continue
        tags["specificity"] += 1
    return tags


def loaded_prebuild(files: list[Path], cpu: str):
    """The prebuild node-gyp-build picks on Node 22, musl, `cpu` (its matchTags and compareTags)."""
    def matches(tags) -> bool:
        return bool(tags) and not (
            (tags.get("runtime") and tags["runtime"] != "node" and not tags.get("napi"))
            or (tags.get("abi") and tags["abi"] != NODE_ABI and not tags.get("napi"))
            or (tags.get("uv") and tags["uv"] != "1")
            or (tags.get("armv") and tags["armv"] != ("8" if cpu == "arm64" else ""))
            or (tags.get("libc") and tags["libc"] != "musl"))
    candidates = [t for t in map(prebuild_tags, (p.name for p in files)) if matches(t)]
    candidates.sort(key=lambda t: (t.get("runtime") != "node", not t.get("abi"), -t["specificity"]))
    return candidates[0] if candidates else None


NODE_SPECIFIC = " (Node 22 only: the prebuilds are per Node ABI)"


def for_node_abi(files: list[Path], verdict: tuple[str, str]) -> tuple[str, str]:
    """`verdict`, its reason marked as holding for Node 22 only when prebuilds are built per
    Node ABI (an `abi` tag without `napi`): another Node picks another prebuild, or none."""
    tags = [t for t in map(prebuild_tags, (p.name for p in files)) if t]
    if any(t.get("abi") and not t.get("napi") for t in tags):
        return verdict[0], verdict[1] + NODE_SPECIFIC
    return verdict


def tarball_verdict(name: str, version: str, cpu: str, gypfile) -> tuple[str, str]:
    """No install script and no `gypfile` in the manifest: what the tarball holds decides.
    npm runs `node-gyp rebuild` for a binding.gyp at its root (unless `gypfile: false`);
    native files shipped as they are load or not by their links."""
    with tempfile.TemporaryDirectory() as folder:
        root = tarball_files(f"{name}@{version}", folder)
        if (root / "binding.gyp").exists() and gypfile is not False:
            return "AG403", "binding.gyp in the tarball, no install script: npm runs node-gyp rebuild"
        natives = [p for p in root.rglob("*.node") if p.is_file()]
        if not natives:
            return "none", "no install script, binding.gyp, platform package or native file"
        prebuilds = root / f"prebuilds/linux-{cpu}"
        if prebuilds.exists():
            files = list(prebuilds.iterdir())
            winner = loaded_prebuild(files, cpu)
            kind = elf_libc(prebuilds / winner["file"]) if winner else ""
            if winner and kind != "glibc":
                return for_node_abi(files, ("none", f"prebuilds/linux-{cpu}/{winner['file']} ({kind})"))
            if winner:  # nothing builds at install: the glibc prebuild fails to load when required
                return for_node_abi(files, ("AG402", f"prebuilds/linux-{cpu}/{winner['file']} is linked against "
                                                     "glibc, nothing builds"))
        return "undetermined", f"native files without a prebuilds/linux-{cpu} folder node-gyp-build reads"


def prebuild_verdict(name: str, version: str, cpu: str) -> tuple[str, str]:
    """node-gyp-build: which prebuild of prebuilds/linux-<cpu>/ it loads on musl, if any."""
    with tempfile.TemporaryDirectory() as folder:
        root = tarball_files(f"{name}@{version}", folder)
        folder_name = f"prebuilds/linux-{cpu}"
        files = list((root / folder_name).iterdir()) if (root / folder_name).exists() else []
        winner = loaded_prebuild(files, cpu)
        if winner is None:
            return for_node_abi(files, ("AG403", f"no prebuild in {folder_name} for Node 22 on musl: "
                                                 "node-gyp-build compiles"))
        kind = elf_libc(root / folder_name / winner["file"])
        if kind == "glibc":  # node-gyp-build's install step loads it, fails, and runs node-gyp rebuild
            return for_node_abi(files, ("AG403", f"{folder_name}/{winner['file']} is linked against glibc: "
                                                 "node-gyp-build compiles"))
        return for_node_abi(files, ("none", f"{folder_name}/{winner['file']} ({kind or 'not ELF'})"))


def run_alpineguard(cases: list[dict], online: bool, cache: str) -> dict[str, str]:
    """Case folder -> the AG402/AG403 rule reported for the package ("none" without one)."""
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            target = Path(folder, case["id"])
            target.mkdir()
            target.joinpath("Dockerfile").write_text(f"FROM {NODE_IMAGE}\nWORKDIR /app\nCOPY package.json .\n"
                                                     "RUN npm install\n")
            target.joinpath("package.json").write_text(json.dumps(
                {"name": "audit", "version": "1.0.0", "dependencies": {case["package"]: case["version"]}}))
        argv = [sys.executable, "-m", "alpineguard", "--select", "AG402,AG403", "--format", "json",
                "--jobs", "1", *(["--online"] if online else []), folder]
        env = dict(os.environ, XDG_CACHE_HOME=cache, PYTHONPATH=str(ROOT / "src"))
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        report = json.loads(done.stdout or "{}")
    answers = {case["id"]: "none" for case in cases}
    for finding in report.get("findings", []):
        case_id = Path(finding["path"]).parent.name
        if answers[case_id] != "AG402":  # AG402 over AG403, as the expected answer ranks them
            answers[case_id] = finding["rule"]
    for error in report.get("errors", []):
        print("alpineguard:", error, file=sys.stderr)
    return answers


def qualifying_packages(ranks: str, first_rank: int, last_rank: int, wanted: int | None = None) -> list[str]:
    """The packages of the rank walk (download order, `first_rank`..`last_rank`) whose summary
    names native code and whose latest release qualifies; stops once `wanted` are found."""
    with open(ranks, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row.get("downloads_a_month", "").isdigit()]
    rows.sort(key=lambda row: -int(row["downloads_a_month"]))
    candidates = [row["name"] for row in rows[first_rank - 1:last_rank]
                  if row["name"] not in CHOSEN and SUMMARY_WORDS.search(row.get(next(k for k in row if
                                                                                  k.startswith("summary"))) or "")]
    found: list[str] = []
    with ThreadPoolExecutor(6) as pool:
        for start in range(0, len(candidates), 12):
            batch = candidates[start:start + 12]
            found += [name for name, ok in zip(batch, pool.map(qualifies, batch)) if ok]
            if wanted is not None and len(found) >= wanted:
                break
    return found


def drawn_packages(ranks: str, skip: int, first_rank: int, last_rank: int, count: int) -> list[str]:
    return qualifying_packages(ranks, first_rank, last_rank, skip + count)[skip:skip + count]


def drawn_cases(args) -> list[dict]:
    """The sample's cases with their expected answers."""
    first_rank, last_rank = (int(n) for n in args.ranks_between.split("-"))
    drawn = drawn_packages(args.ranks, args.skip, first_rank, last_rank, args.count)
    chosen = [] if args.skip or first_rank > 1 else CHOSEN
    cases = []
    for group, names in (("chosen", chosen), ("drawn", drawn)):
        with ThreadPoolExecutor(6) as pool:
            for name, versions in zip(names, pool.map(pick_versions, names)):
                for version in versions:
                    cases.append({"group": group, "package": name, "version": version,
                                  "id": f"{name.replace('/', '__')}@{version}"})

    def judge(case):
        try:
            return expected(case["package"], case["version"])
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired, tarfile.TarError) as error:
            return "undetermined", f"look-up failed: {error}"

    with ThreadPoolExecutor(4) as pool:
        for case, (verdict, why) in zip(cases, pool.map(judge, cases)):
            case["expected"], case["why"] = verdict, why
    return cases


@lru_cache(maxsize=1)
def scanned_packages() -> dict:
    scanned = ROOT / "src/alpineguard/knowledge/musl_node_scanned.yaml"
    return yaml.safe_load(scanned.read_text())["packages"] if scanned.exists() else {}


def scan_read(case: dict) -> bool | None:
    """Whether tools/scan_npm_native.py read the case's release itself (its `source` lists
    them); None for a package the scan does not hold."""
    entry = scanned_packages().get(case["package"])
    if entry is None:
        return None
    read = re.search(r" ([^ ]+(?:, [^ ]+)*) \(\d+ stable releases?\)$", entry["source"])
    return bool(read) and case["version"] in read.group(1).split(", ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", help="TSV of npm packages with monthly downloads")
    parser.add_argument("--again", metavar="REPORT", help="the cases and expected answers of an earlier --out: "
                                                          "run alpineguard again (after a data change)")
    parser.add_argument("--out", help="write every case as JSON")
    parser.add_argument("--skip", type=int, default=0,
                        help="a further sample: skip this many qualifying packages of the walk (and the chosen ones)")
    parser.add_argument("--count", type=int, default=NOT_CHOSEN, help="how many packages to draw")
    parser.add_argument("--ranks-between", default=f"1-{RANK_LIMIT}", metavar="FIRST-LAST",
                        help="walk these download ranks (another range: a further sample, without the chosen ones)")
    args = parser.parse_args()
    if not args.ranks and not args.again:
        parser.error("--ranks or --again is needed")
    cases = json.loads(Path(args.again).read_text()) if args.again else drawn_cases(args)
    for mode, online in (("offline", False), ("online", True)):
        with tempfile.TemporaryDirectory() as cache:
            answers = run_alpineguard(cases, online, cache)
        for case in cases:
            case[mode] = answers[case["id"]]
    for group in ("chosen", "drawn"):
        names = list(dict.fromkeys(c["package"] for c in cases if c["group"] == group))
        print(f"{group}: {len(names)} packages: {', '.join(names)}")
    decided = [c for c in cases if c["expected"] != "undetermined"]
    scopes = {group: [c for c in decided if c["group"] == group] for group in ("chosen", "drawn")}
    scopes["all"] = decided
    read = {id(c): scan_read(c) for c in decided}
    scopes["scan read the release"] = [c for c in decided if read[id(c)]]
    scopes["scan did not read it"] = [c for c in decided if read[id(c)] is False]
    scopes["not in the scan"] = [c for c in decided if read[id(c)] is None]
    for mode in ("offline", "online"):
        for label, scope in scopes.items():
            agree = sum(c[mode] == c["expected"] for c in scope)
            print(f"{mode:8} {label:21}: {agree}/{len(scope)} decided cases agree "
                  f"({100 * agree / max(len(scope), 1):.1f}%)")
    print(f"undetermined: {len(cases) - len(decided)} of {len(cases)} cases")
    for case in cases:
        if case["expected"] == "undetermined":
            print(f"  undetermined: {case['id']}: {case['why']} (offline {case['offline']}, online {case['online']})")
        elif case["offline"] != case["expected"] or case["online"] != case["expected"]:
            print(f"  differs: {case['id']}: expected {case['expected']} ({case['why']}); offline {case['offline']}, "
                  f"online {case['online']}")
    if args.out:
        Path(args.out).write_text(json.dumps(cases, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
