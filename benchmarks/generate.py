"""Write a deterministic corpus of realistic Dockerfiles for the benchmark.

Every file comes from a seeded random generator, so the same count and seed give the
same bytes on every machine: multi-stage builds for Python, Node, Go, Ruby and plain
Alpine services, long `&&` RUN chains over continuation lines (with comments inside),
heredoc scripts, apk / pip / npm installs, `sh -c`, ARG-templated FROM lines, and a
share of mistakes (no `--no-cache`, build deps left behind, `apt-get` on Alpine).

A blank line follows every heredoc terminator: hadolint 2.x cannot find the next
instruction without it, and the benchmark must time both tools on files both can read.

    python benchmarks/generate.py OUT_DIR [--count 2000] [--seed 9]
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

ALPINE_RELEASES = ("3.18", "3.19", "3.20", "3.21")
APK_RUNTIME = ("ca-certificates", "tzdata", "curl", "tini", "libstdc++", "libgcc", "libpq", "libffi",
               "openssl", "su-exec", "bash", "git", "jq", "imagemagick", "ffmpeg", "nginx", "postgresql-client",
               "sqlite-libs", "zlib", "libjpeg-turbo", "libpng", "libxml2", "libxslt", "icu-libs", "gettext")
APK_BUILD = ("build-base", "gcc", "g++", "musl-dev", "libffi-dev", "openssl-dev", "postgresql-dev",
             "linux-headers", "make", "cmake", "cargo", "rust", "zlib-dev", "jpeg-dev", "libxml2-dev",
             "libxslt-dev", "python3-dev", "autoconf", "automake", "libtool", "pkgconf")
PIP_PACKAGES = ("flask==3.0.3", "django==5.0.6", "fastapi==0.111.0", "uvicorn[standard]==0.30.1",
                "gunicorn==22.0.0", "psycopg2==2.9.9", "psycopg[binary]==3.1.19", "cryptography==42.0.8",
                "numpy==1.26.4", "pandas==2.2.2", "lxml==5.2.2", "pillow==10.3.0", "orjson==3.10.3",
                "uvloop==0.19.0", "grpcio==1.64.1", "pydantic==2.7.4", "requests==2.32.3", "celery==5.4.0",
                "redis==5.0.6", "sqlalchemy==2.0.31")
NPM_PACKAGES = ("sharp", "bcrypt", "canvas", "puppeteer", "esbuild", "node-sass", "sqlite3", "argon2",
                "@swc/core", "prisma", "typescript", "pm2", "nodemon", "express")
NON_ALPINE_BASES = ("debian:bookworm-slim", "ubuntu:24.04", "python:3.12-slim", "node:20-bookworm-slim")


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lines: list[str] = []

    def add(self, *lines: str):
        self.lines.extend(lines)

    def chain(self, keyword: str, commands: list[str], flags: str = ""):
        """One instruction whose commands are joined by `&&` over continuation lines."""
        head = f"{keyword} {flags}{commands[0]}"
        if len(commands) == 1:
            self.add(head)
            return
        self.add(head + " \\")
        for index, command in enumerate(commands[1:], start=1):
            if self.rng.random() < 0.06:
                self.add("    # the next step needs the previous one")
            tail = "" if index == len(commands) - 1 else " \\"
            self.add(f" && {command}{tail}")

    def heredoc(self, head: str, body: list[str], delimiter: str = "EOF", tail: str = ""):
        self.add(f"{head}<<{delimiter}{tail}", *body, delimiter, "")


def _packages(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> list[str]:
    return rng.sample(pool, rng.randint(low, min(high, len(pool))))


def _apk_add(rng: random.Random, packages: list[str], virtual: str = "") -> list[str]:
    """`apk add` as a command whose packages are one a line, as long lists are written."""
    cache = "--no-cache " if rng.random() < 0.75 else ""
    option = f"--virtual {virtual} " if virtual else ""
    if len(packages) <= 4:
        return [f"apk add {cache}{option}{' '.join(packages)}"]
    lines = [f"apk add {cache}{option}\\"]
    lines += [f"        {name} \\" for name in packages[:-1]]
    lines.append(f"        {packages[-1]}")
    return ["\n".join(lines)]


def _run_apk(w: _Writer, runtime: bool):
    rng = w.rng
    commands = []
    if rng.random() < 0.2:
        commands.append("apk update")
    pool = APK_RUNTIME if runtime else APK_RUNTIME + APK_BUILD
    commands += _apk_add(rng, _packages(rng, pool, 2, 14))
    if rng.random() < 0.3:
        commands.append("rm -rf /var/cache/apk/*")
    if rng.random() < 0.3:
        commands.append("addgroup -S app && adduser -S -G app -h /srv app")
    w.chain("RUN", commands)


def _run_pip(w: _Writer):
    rng = w.rng
    build = _packages(rng, APK_BUILD, 2, 8)
    virtual = rng.random() < 0.6
    commands = _apk_add(rng, build, ".build-deps" if virtual else "")
    commands.append("pip install --no-cache-dir --upgrade pip setuptools wheel")
    pins = _packages(rng, PIP_PACKAGES, 2, 9)
    commands.append("pip install --no-cache-dir \\\n" + " \\\n".join(f"        {p}" for p in pins))
    if rng.random() < 0.5:
        commands.append("pip install --no-cache-dir -r requirements.txt")
    if virtual and rng.random() < 0.8:
        commands.append("apk del .build-deps")
    commands.append("find /usr/local -depth -type d -name __pycache__ -exec rm -rf '{}' +")
    w.chain("RUN", commands)


def _run_npm(w: _Writer):
    rng = w.rng
    commands = _apk_add(rng, ["python3", "make", "g++"], ".gyp" if rng.random() < 0.5 else "")
    commands.append(rng.choice(("npm ci --omit=dev", "npm ci", "npm install --production", "yarn install --frozen-lockfile")))
    extra = _packages(rng, NPM_PACKAGES, 0, 3)
    if extra:
        commands.append("npm install --no-save " + " ".join(extra))
    commands.append("npm cache clean --force")
    if rng.random() < 0.6:
        commands.append("apk del .gyp" if ".gyp" in commands[0] else "apk del python3 make g++")
    w.chain("RUN", commands, flags="--mount=type=cache,target=/root/.npm " if rng.random() < 0.3 else "")


def _run_script(w: _Writer):
    rng = w.rng
    kind = rng.randrange(4)
    if kind == 0:
        w.heredoc("RUN ", ["set -eux", "for dir in /srv/data /srv/logs /srv/tmp; do",
                           '  mkdir -p "$dir"', '  chown app:app "$dir"', "done",
                           'case "$(apk --print-arch)" in', "  x86_64) echo amd64 > /etc/arch ;;",
                           "  aarch64) echo arm64 > /etc/arch ;;", "esac"])
    elif kind == 1:
        w.add("RUN sh -c 'set -e; cd /srv && if [ -f setup.cfg ]; then python -m compileall -q . ; fi'")
    elif kind == 2:
        w.add("RUN set -eux; \\",
              '    arch="$(apk --print-arch)"; \\',
              '    url="https://example.invalid/tool-${TOOL_VERSION:-1.4.2}-${arch}.tar.gz"; \\',
              '    wget -qO /tmp/tool.tgz "$url"; \\',
              "    tar -xzf /tmp/tool.tgz -C /usr/local/bin; \\",
              "    rm -f /tmp/tool.tgz; \\",
              "    tool --version")
    else:
        w.heredoc("COPY --chmod=0755 ", ["#!/bin/sh", "set -e", 'exec "$@"'], delimiter="SCRIPT",
                  tail=" /usr/local/bin/entrypoint.sh")


def _stage(w: _Writer, index: int, last: bool, language: str, alpine: str):
    rng = w.rng
    if not last and language in ("python", "node", "go"):
        base = {"python": f"python:3.12-alpine{alpine}", "node": f"node:20-alpine{alpine}",
                "go": f"golang:1.22-alpine{alpine}"}[language]
    elif rng.random() < 0.07:
        base = rng.choice(NON_ALPINE_BASES)
    elif language == "python":
        base = "python:${PYTHON_VERSION}-alpine" + (alpine if rng.random() < 0.6 else "")
    elif language == "node":
        base = rng.choice((f"node:20-alpine{alpine}", "node:lts-alpine", "node:${NODE_VERSION}-alpine"))
    elif language == "ruby":
        base = f"ruby:3.3-alpine{alpine}"
    else:
        base = rng.choice((f"alpine:{alpine}", "alpine:latest", "alpine", f"alpine:{alpine}.2"))
    name = f" AS stage{index}" if not last else (" AS runtime" if rng.random() < 0.5 else "")
    w.add("", f"FROM {base}{name}")
    if rng.random() < 0.5:
        w.add("ARG APP_HOME=/srv/app")
    w.add("WORKDIR /srv/app")
    if rng.random() < 0.6:
        w.add("ENV LANG=C.UTF-8 \\", "    TZ=UTC \\", "    APP_ENV=production")
    if base.startswith(NON_ALPINE_BASES):
        w.chain("RUN", ["apt-get update", "apt-get install -y --no-install-recommends curl ca-certificates",
                        "rm -rf /var/lib/apt/lists/*"])
    else:
        _run_apk(w, runtime=last)
    w.add("COPY . .")
    if language == "python":
        _run_pip(w)
    elif language == "node":
        w.add("COPY package.json package-lock.json ./")
        _run_npm(w)
    elif language == "go" and not last:
        w.chain("RUN", ["go mod download", "CGO_ENABLED=0 go build -ldflags='-s -w' -o /out/app ./cmd/app"],
                flags="--mount=type=cache,target=/go/pkg/mod ")
    for _ in range(rng.randint(0, 3)):
        rng.choice((_run_script, _run_apk_runtime, _run_script))(w)
    if index > 0 and rng.random() < 0.7:
        w.add(f"COPY --from=stage{index - 1} /srv/app /srv/app")
    if last:
        w.add("EXPOSE 8080", "USER app")
        if rng.random() < 0.5:
            w.add("HEALTHCHECK --interval=30s CMD wget -qO- http://127.0.0.1:8080/healthz || exit 1")
        w.add(rng.choice(('ENTRYPOINT ["/sbin/tini", "--"]', 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]', "")))
        w.add(rng.choice(('CMD ["python", "-m", "app"]', 'CMD ["node", "server.js"]', "CMD /srv/app/run.sh")))


def _run_apk_runtime(w: _Writer):
    _run_apk(w, runtime=True)


def dockerfile(rng: random.Random) -> str:
    w = _Writer(rng)
    language = rng.choice(("python", "python", "node", "node", "go", "ruby", "plain"))
    alpine = rng.choice(ALPINE_RELEASES)
    w.add("# syntax=docker/dockerfile:1", f"# generated {language} service")
    if language == "python":
        w.add("ARG PYTHON_VERSION=3.12")
    if language == "node":
        w.add("ARG NODE_VERSION=20")
    stages = rng.choice((1, 2, 2, 3, 3, 4))
    for index in range(stages):
        _stage(w, index, index == stages - 1, language, alpine)
    return "\n".join(w.lines) + "\n"


def generate(out_dir: Path, count: int = 2000, seed: int = 9) -> list[Path]:
    """Write `count` Dockerfiles under `out_dir` (100 to a folder); return their paths."""
    rng = random.Random(seed)
    paths = []
    for number in range(count):
        folder = out_dir / f"group{number // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"service{number:04d}.Dockerfile"
        path.write_text(dockerfile(rng), encoding="utf-8")
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    paths = generate(args.out_dir, args.count, args.seed)
    print(f"wrote {len(paths)} Dockerfiles under {args.out_dir}")


if __name__ == "__main__":
    main()
