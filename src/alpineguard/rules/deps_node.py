"""AG402 / AG403: npm packages that need glibc binaries or compile native addons on musl."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..deps.common import StageFiles, env_at, musl_runs, target_archs
from ..deps.node import NodeDeps, NodeInstall, NodePackage, version_key
from ..knowledge.musl import node_facts, scanned_node_facts
from ..lintcontext import FileContext
from ..model import Dockerfile, Instruction, Stage
from ..parsing.apk import installed_packages
from ..record import Record
from .registry import Hit, rule

_NPM_CPU = {"x86_64": "x64", "aarch64": "arm64", "armv7l": "arm", "i686": "ia32"}
# node-gyp before 7 ran Python 2: an image that installs `python` / `python2` for it is not missing Python
_NODE_GYP_TOOLS = (("python3", ("python3", "python3-dev", "python", "python2")), ("make", ("make", "build-base")),
                   ("g++", ("g++", "build-base", "clang")))
_ONLINE_NPM_LIMIT = 40


class NodeVerdict(Record, frozen=True):
    """Whether an npm package breaks on musl, why, and what fixes it."""
    __slots__ = ("kind", "archs", "facts", "source")

    def __init__(self, kind: str, archs: tuple[str, ...], facts: dict, source: str) -> None:
        self.kind = kind  # glibc-binary, builds, ok
        self.archs = archs  # npm cpu names concerned (all targets when the fact is not per-arch)
        self.facts = facts
        self.source = source


def _entry_matches(entry: dict, version: str | None, cpu: str) -> bool:
    if entry.get("archs") and cpu not in entry["archs"]:
        return False
    if version is None:
        return "until" not in entry
    key = version_key(version)
    if "since" in entry and key < version_key(str(entry["since"])):
        return False
    return not ("until" in entry and key >= version_key(str(entry["until"])))


def _entry_for(facts: dict, version: str | None, cpu: str, node: int | None) -> dict | None:
    """The first range entry that applies; None when it depends on a Node major not known."""
    for entry in facts.get("ranges", []):
        if not _entry_matches(entry, version, cpu):
            continue
        if "nodes" not in entry:
            return entry
        if node is None:
            return None
        if node in entry["nodes"]:
            return entry
    return None


def stage_node_major(stage: Stage) -> int | None:
    """The Node.js major of `node:22-alpine` / `node:22.11-alpine3.20`; None when not told."""
    image = stage.root.image
    match = re.match(r"^(\d+)(?:\.|-|$)", image.tag) if image.name == "node" else None
    return int(match.group(1)) if match else None


def embedded_verdict(package: NodePackage, cpus: list[str], node: int | None = None) -> NodeVerdict | None:
    """Per architecture, from the hand-kept facts, or, where they say nothing of this
    release, the scanned ones."""
    layers = [facts for facts in (node_facts().get(package.name), scanned_node_facts().get(package.name)) if facts]
    by_kind: dict[str, list[str]] = {}
    source_of: dict[str, dict] = {}
    for cpu in cpus:
        for facts in layers:
            entry = _entry_for(facts, package.version, cpu, node)
            if entry is None:
                continue
            if not entry.get("unverified"):
                by_kind.setdefault(entry["kind"], []).append(cpu)
                source_of.setdefault(entry["kind"], facts)
            break
    for kind in ("glibc-binary", "builds", "ok"):
        if kind in by_kind:
            archs = tuple(by_kind[kind]) if kind != "ok" else tuple(cpus)
            return NodeVerdict(kind, archs, source_of[kind], "embedded data")
    return None


def online_verdict(records: list[dict], cpus: list[str], lock_says_install_script: bool) -> NodeVerdict | None:
    """From `npm view`: a node-gyp build with no musl platform package for a target.

    npm runs `node-gyp rebuild` for a package with a binding.gyp and no install script;
    the registry does not show that implicit script, but the lock file's
    `hasInstallScript` does.
    """
    if not records:
        return None
    record = records[-1]
    optional = record.get("optionalDependencies") or {}
    scripts = record.get("scripts") or {}
    install = " ".join(str(scripts.get(k, "")) for k in ("preinstall", "install", "postinstall")).strip()
    lacking = [cpu for cpu in cpus
               if not any(re.search(rf"linux-?{cpu}-musl|linuxmusl-{cpu}|linux-musl-{cpu}", n) for n in optional)]
    prebuilt = re.search(r"prebuild|node-gyp-build|node-pre-gyp|\|\|", install)
    implicit_gyp = not install and (record.get("gypfile") is True or lock_says_install_script)
    always_builds = (bool(re.search(r"(^|&&|;)\s*node-gyp rebuild\s*$", install)) and not prebuilt) or implicit_gyp
    if lacking and always_builds:
        how = f"install script `{install}`" if install else "binding.gyp, no prebuild"
        return NodeVerdict("builds", tuple(lacking), {"what": f"compiles a native addon with node-gyp ({how})"},
                           "package registry")
    return None


def _toolchain_missing(installed: set[str]) -> list[str]:
    return [tool for tool, providers in _NODE_GYP_TOOLS if not installed.intersection(providers)]


def _where(package: NodePackage) -> str:
    place = package.at.describe()
    version = f" {package.version}" if package.version and place else (f"@{package.version}" if package.version else "")
    return f"{package.name}{version}" + (f" ({place})" if place else "")


def _node_installs(df: Dockerfile) -> list[tuple[Stage, Instruction, NodeInstall]]:
    """The npm/yarn/pnpm installs of musl stages (AG402 and AG403 read them once: FileContext.derived)."""
    reader = NodeDeps(StageFiles(df))
    found = []
    for stage, ins, command in musl_runs(df):
        install = reader.install(stage, ins, command)
        if install is not None and install.packages:
            found.append((stage, ins, install))
    return found


def _verdicts(found, ctx: FileContext) -> dict[tuple[str, str | None, int | None], NodeVerdict | None]:
    """One verdict per (package, version, Node major): embedded facts first, the registry for the rest."""
    verdicts: dict[tuple[str, str | None, int | None], NodeVerdict | None] = {}
    cpus_all = sorted({_NPM_CPU.get(a, a) for stage, _, _ in found for a in target_archs(stage, ctx.settings)})
    unknown = []
    for stage, _, install in found:
        node = stage_node_major(stage)
        for package in install.packages:
            key = (package.name, package.version, node)
            if key in verdicts:
                continue
            verdicts[key] = embedded_verdict(package, cpus_all, node)
            if verdicts[key] is None and (package.has_install_script or not package.at.file
                                          or package.at.file.endswith("package.json")):
                unknown.append((package, node))
    if ctx.settings.online and unknown:
        registry = ctx.run.registry()
        specs: dict[str, list] = {}
        for package, node in unknown:
            spec = f"{package.name}@{package.version}" if package.version else package.name
            if spec in specs or len(specs) < _ONLINE_NPM_LIMIT:
                specs.setdefault(spec, []).append((package, node))
        wanted = {(p.name, p.version) for p, _ in unknown}
        if len(wanted) > _ONLINE_NPM_LIMIT:
            ctx.note(f"asked the npm registry about the first {_ONLINE_NPM_LIMIT} of {len(wanted)} "
                     "unknown packages with install scripts")
        ctx.fell_back(registry.look_up(npm_specs=specs))
        answers = registry.answers
        for spec, uses in specs.items():
            for package, node in uses if spec in answers.npm else ():
                verdicts[(package.name, package.version, node)] = online_verdict(answers.npm[spec], cpus_all,
                                                                                 package.has_install_script)
    return verdicts


def _arch_note(verdict: NodeVerdict, cpus: list[str]) -> str:
    concerned = [c for c in cpus if c in verdict.archs]
    return "" if len(concerned) == len(cpus) else f" on {' and '.join(concerned)}"


def _workaround_in_place(facts: dict, env: dict[str, str], installed: set[str]) -> tuple[bool, str]:
    workaround = facts.get("workaround") or {}
    names = workaround.get("env") or []
    wanted = workaround.get("env_value")
    skipped = any((env.get(n, "").strip().lower() == wanted) if wanted else
                  env.get(n, "").strip().lower() not in ("", "0", "false", "no", "off") for n in names)
    if not skipped:
        return False, ""
    missing = [p for p in workaround.get("apk") or [] if p not in installed]
    return not missing, ", ".join(missing)


@rule("AG402", "npm-glibc-binary", "error",
      "An npm package downloads or ships a glibc-only binary in an Alpine stage.",
      triggers=True,
      rationale="""
Headless browsers and their drivers (puppeteer, playwright, chromedriver), Electron,
Cypress, onnxruntime-node and tfjs-node fetch or bundle binaries linked against glibc:
on Alpine they fail to start ("not found", missing `ld-linux`). Besides these facts kept
by hand, a scan of the registry's files (as for AG403) knows the packages whose platform
packages or prebuilds are glibc builds only. Read from `npm` / `yarn` / `pnpm` install
arguments, and, for a bare install, the lock file the build
copies in (package-lock.json, yarn.lock, pnpm-lock.yaml, so transitive packages count)
or else package.json; `npx playwright install` counts too. The known workaround is not
a finding: the download skipped through the package's variable (ENV, ARG, `export` or a
command prefix) plus the Alpine package that replaces it (`apk add chromium` with
PUPPETEER_SKIP_DOWNLOAD). Findings point at the package argument, or at the install
word for packages from a file (the message names file and line).""",
      bad="FROM node:22-alpine\nRUN npm install puppeteer",
      good="FROM node:22-alpine\nENV PUPPETEER_SKIP_DOWNLOAD=true PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium-browser\n"
           "RUN apk add --no-cache chromium && npm install puppeteer",
      fix="Use the Alpine package (chromium, chromium-chromedriver) and skip the download, or a glibc base image.")
def npm_glibc_binary(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage, ins, command in musl_runs(df):
        browser = NodeDeps.browser_install(command)
        if browser is not None:
            facts = node_facts().get("playwright", {})
            yield Hit.at(browser.word, f"`playwright install` downloads browser builds for glibc that do not run "
                         f"on Alpine: {facts.get('workaround', {}).get('hint', 'use a glibc base image')}")
    found = ctx.derived(_node_installs, df)
    if not found:
        return
    verdicts = _verdicts(found, ctx)
    for stage, ins, install in found:
        env = env_at(ins, install.command)
        installed = installed_packages(stage)
        for package in install.packages:
            verdict = verdicts.get((package.name, package.version, stage_node_major(stage)))
            if verdict is None or verdict.kind != "glibc-binary":
                continue
            in_place, missing_apk = _workaround_in_place(verdict.facts, env, installed)
            if in_place:
                continue
            hint = (verdict.facts.get("workaround") or {}).get("hint")
            if missing_apk:
                message = (f"{_where(package)} skips its download, but {missing_apk} is not installed in this "
                           f"stage: {hint}")
            else:
                message = f"{_where(package)} {verdict.facts.get('what', 'installs a glibc binary')}: it does not " \
                          f"run on Alpine" + (f"; {hint}" if hint else "; use a glibc-based image")
            yield Hit.at(package.at.word, message)


@rule("AG403", "node-native-no-toolchain", "error",
      "An npm package compiles a native addon (node-gyp) with no musl prebuild, and python3/make/g++ are missing.",
      triggers=True,
      rationale="""
node-gyp needs python3, make and g++; `node:*-alpine` ships none of them. A package
that has no musl prebuild (no `-linux-<arch>-musl` platform package, no `musl.node`
file) compiles on install and fails without them. Packages come from install arguments
or the copied lock file / package.json (as for AG402); the tools count when installed
earlier in the same RUN or in the stage or its ancestors. Offline the embedded data
decides: facts kept by hand, and a scan of the registry's files (platform packages,
prebuilds and their ELF links, binding.gyp) release range by release range for the
native packages among the 100,000 most-downloaded; `--online` also asks `npm view`
about unknown packages that the lock file says have install scripts (a bare `node-gyp
rebuild` or a `binding.gyp` with no install script always compiles). An architecture
only some targets lack is named.""",
      bad="FROM node:22-alpine\nRUN npm install node-rdkafka",
      good="FROM node:22-alpine\nRUN apk add --no-cache --virtual .gyp python3 make g++ && npm install node-rdkafka "
           "&& apk del .gyp",
      fix="Install python3 make g++ in a virtual package before the install and delete it after, or use a package "
          "with musl prebuilds.")
def node_native_no_toolchain(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    found = ctx.derived(_node_installs, df)
    if not found:
        return
    verdicts = _verdicts(found, ctx)
    for stage, ins, install in found:
        cpus = [_NPM_CPU.get(a, a) for a in target_archs(stage, ctx.settings)]
        missing = _toolchain_missing(installed_packages(stage, before=ins, before_command=install.command))
        if not missing:
            continue
        for package in install.packages:
            verdict = verdicts.get((package.name, package.version, stage_node_major(stage)))
            if verdict is None or verdict.kind != "builds" or not set(verdict.archs) & set(cpus):
                continue
            facts = verdict.facts
            deps = " ".join(["python3", "make", "g++", *facts.get("build_deps", [])])
            message = (f"{_where(package)} {facts.get('what', 'compiles a native addon with node-gyp')}"
                       f"{_arch_note(verdict, cpus)}, but {', '.join(missing)} "
                       f"{'is' if len(missing) == 1 else 'are'} not installed: "
                       f"`apk add --no-cache --virtual .gyp {deps}` before it and `apk del .gyp` after")
            if facts.get("alternative"):
                message += f"; or use {facts['alternative']}"
            if verdict.source != "embedded data":
                message += f" [{verdict.source}]"
            yield Hit.at(package.at.word, message)
