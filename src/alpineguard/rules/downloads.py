"""AG405 / AG406: prebuilt glibc binaries downloaded into Alpine, and glibc shims."""
from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from functools import lru_cache
from typing import Optional

from ..config import Settings
from ..deps.common import musl_runs
from ..knowledge.musl import download_facts
from ..model import Dockerfile, Stage, Word
from ..parsing.apk import apk_calls, installed_packages, package_name
from ..parsing.shell import split_words
from .registry import Hit, rule

_URL = re.compile(r"^(https?|ftp)://", re.I)
_DOWNLOADERS = frozenset({"curl", "wget", "aria2c"})


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, dict]]:
    return [(re.compile(row["pattern"], re.I), row) for row in download_facts()["patterns"]]


def glibc_download(url: str) -> Optional[dict]:
    """The pattern row a URL's file name (or, for unanchored patterns, its path) matches."""
    path = urllib.parse.urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    for regex, row in _patterns():
        if regex.search(name) or (not row["pattern"].startswith("^") and regex.search(path)):
            return row
    return None


def _downloads(df: Dockerfile) -> Iterator[tuple[Stage, Word, dict]]:
    for stage, _ins, command in musl_runs(df):
        if command.name in _DOWNLOADERS:
            for word in command.effective_argv()[1:]:
                if _URL.match(word.value):
                    row = glibc_download(word.value)
                    if row is not None:
                        yield stage, word, row
    for stage in df.stages:
        if not stage.is_musl:
            continue
        for ins in stage.instructions:
            if ins.keyword != "ADD":
                continue
            words = ins.exec_form if ins.exec_form else split_words(ins.args, ins.env)
            for word in words[:-1]:
                row = glibc_download(word.value) if _URL.match(word.value) else None
                if row is not None:
                    yield stage, word, row


def _compat(stage: Stage) -> set[str]:
    return installed_packages(stage) & set(download_facts()["compat_packages"])


@rule("AG405", "glibc-binary-download", "error",
      "A prebuilt binary built for glibc is downloaded into an Alpine stage.",
      triggers=True,
      rationale="""
A program linked against glibc does not start on Alpine: the kernel reports "not found"
because `/lib64/ld-linux-x86-64.so.2` is missing. `curl`/`wget`/`aria2c` URLs and `ADD
<url>` are matched on their file name (or path): `*-linux-gnu*`, `glibc`, `manylinux`,
and known glibc-only distributions (the official Node.js Linux tarball, AWS CLI v2,
.NET linux-x64, Temurin linux builds, Google Chrome). Most projects publish a musl or
static build (`*-linux-musl*`, `alpine-linux`) or Alpine packages it. A stage that
installs a compatibility layer (`gcompat`, `libc6-compat`) is left to AG406.""",
      bad="FROM alpine:3.20\nRUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-gnu.tar.gz",
      good="FROM alpine:3.20\nRUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-musl.tar.gz",
      fix="Download the musl (or static) build, or install the Alpine package.")
def glibc_binary_download(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    for stage, word, row in _downloads(df):
        if _compat(stage):
            continue
        name = urllib.parse.urlsplit(word.value).path.rsplit("/", 1)[-1] or word.value
        yield Hit.at(word, f"{name} is {row['what']}: it does not run on Alpine (musl); use {row['musl']}")


@rule("AG406", "glibc-compat-shim", "info",
      "gcompat / libc6-compat is installed: a partial glibc shim.",
      triggers=True,
      rationale="""
`gcompat` (and `libc6-compat`, which pulls it in on current releases) maps part of the
glibc ABI onto musl. Programs that use fortified (`__*_chk`) or versioned glibc symbols
still fail, sometimes only at run time on a rarely used path. Say what the shim is for,
or replace the glibc binary with a musl build. The message names the glibc download of
the stage it serves, when there is one.""",
      bad="FROM alpine:3.20\nRUN apk add --no-cache gcompat",
      good="FROM alpine:3.20\nRUN apk add --no-cache tool  # the Alpine build of the tool")
def glibc_compat_shim(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    compat = set(download_facts()["compat_packages"])
    served: dict[int, list[str]] = {}
    for stage, word, _row in _downloads(df):
        served.setdefault(id(stage), []).append(urllib.parse.urlsplit(word.value).path.rsplit("/", 1)[-1])
    for stage, _ins, command in musl_runs(df):
        for call in apk_calls([command]):
            if call.subcommand != "add":
                continue
            for word in call.packages:
                name = package_name(word)
                if name not in compat:
                    continue
                downloads = served.get(id(stage))
                purpose = (f" for {', '.join(downloads)}; prefer a musl build of it" if downloads else
                           "; say in a comment what needs it, or use musl builds")
                yield Hit.at(word, f"{name} is a partial glibc shim ({download_facts()['compat_note']})" + purpose)
