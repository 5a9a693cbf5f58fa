"""AG405 / AG406: prebuilt glibc binaries downloaded into Alpine, and glibc shims."""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..deps.common import musl_runs
from ..knowledge.musl import download_facts
from ..lintcontext import FileContext
from ..model import Dockerfile, Stage, Word
from ..parsing.apk import apk_calls, installed_packages, package_name
from ..parsing.shell import split_words
from ..record import Record
from . import DOWNLOADERS
from .registry import Hit, rule
from ..patterns import LazyPattern

_URL = LazyPattern(r"^(https?|ftp)://", re.I)
_CHECKSUMS = (".sha256", ".sha512", ".sha1", ".md5", ".asc", ".sig", ".sha256sum", ".sha512sum")


def url_path(url: str) -> str:
    """The path of a `scheme://authority/path?query#fragment` URL, as `urllib.parse.urlsplit`
    finds it (importing urllib.parse costs more start-up time than checking a file)."""
    rest = url.partition("://")[2].partition("#")[0].partition("?")[0]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else ""


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, dict]]:
    return [(re.compile(row["pattern"], re.I), row) for row in download_facts()["patterns"]]


def glibc_download(url: str) -> dict | None:
    """The pattern row a URL's file name (or, for unanchored patterns, its path) matches."""
    path = url_path(url)
    name = path.rsplit("/", 1)[-1]
    if name.lower().endswith(_CHECKSUMS):
        return None  # the checksum or signature of a download is no program
    for regex, row in _patterns():
        if regex.search(name) or (not row["pattern"].startswith("^") and regex.search(path)):
            return row
    return None


def _urls(df: Dockerfile) -> Iterator[tuple[Stage, Word]]:
    """Every URL an Alpine stage downloads (curl/wget/aria2c in a RUN, ADD <url>)."""
    for stage, _ins, command in musl_runs(df):
        if command.name in DOWNLOADERS:
            for word in command.effective_argv()[1:]:
                if _URL.match(word.value):
                    yield stage, word
    for stage in df.stages:
        if not stage.is_musl:
            continue
        for ins in stage.instructions:
            if ins.keyword != "ADD":
                continue
            words = ins.exec_form if ins.exec_form else split_words(ins.args, ins.env)
            for word in words[:-1]:
                if _URL.match(word.value):
                    yield stage, word


def is_compat_layer(url: str) -> bool:
    """A download of the glibc compatibility layer built for Alpine (sgerrand's glibc-*.apk)."""
    return _layer_pattern().search(url_path(url)) is not None


@lru_cache(maxsize=1)
def _layer_pattern() -> re.Pattern:
    return re.compile(download_facts()["compat_layer_pattern"], re.I)


class _Fetched(Record):
    """What an image's stages download: glibc builds (with their pattern row) and, per
    stage (by id), the glibc compatibility layer."""
    __slots__ = ("glibc", "layers")

    def __init__(self) -> None:
        self.glibc: list[tuple[Stage, Word, dict]] = []
        self.layers: dict[int, tuple[Stage, list[Word]]] = {}


def _fetched(df: Dockerfile) -> _Fetched:
    fetched = _Fetched()
    for stage, word in _urls(df):
        if is_compat_layer(word.value):
            fetched.layers.setdefault(id(stage), (stage, []))[1].append(word)
        else:
            row = glibc_download(word.value)
            if row is not None:
                fetched.glibc.append((stage, word, row))
    return fetched


def _compat(stage: Stage, layers: dict[int, tuple[Stage, list[Word]]]) -> bool:
    """The stage (or one it inherits from) installs a glibc compatibility layer."""
    if installed_packages(stage) & set(download_facts()["compat_packages"]):
        return True
    return any(id(current) in layers for current in stage.lineage())


def _file_name(url: str) -> str:
    return url_path(url).rsplit("/", 1)[-1] or url


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
installs a compatibility layer (`gcompat`, `libc6-compat`, or the glibc built for Alpine
by sgerrand/alpine-pkg-glibc, `glibc-*.apk`) is left to AG406; so are the `glibc-*.apk`
downloads themselves, which are that layer and not glibc programs.""",
      bad="FROM alpine:3.20\nRUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-gnu.tar.gz",
      good="FROM alpine:3.20\nRUN wget https://example.org/rg-14.1.0-x86_64-unknown-linux-musl.tar.gz",
      fix="Download the musl (or static) build, or install the Alpine package.")
def glibc_binary_download(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    fetched = ctx.derived(_fetched, df)  # once for AG405 and AG406
    for stage, word, row in fetched.glibc:
        if _compat(stage, fetched.layers):
            continue
        yield Hit.at(word, f"{_file_name(word.value)} is {row['what']}: it does not run on Alpine (musl); "
                     f"use {row['musl']}")


@rule("AG406", "glibc-compat-shim", "info",
      "gcompat / libc6-compat, or the glibc built for Alpine (glibc-*.apk), is installed.",
      triggers=True,
      rationale="""
`gcompat` (and `libc6-compat`, which pulls it in on current releases) maps part of the
glibc ABI onto musl. Programs that use fortified (`__*_chk`) or versioned glibc symbols
still fail, sometimes only at run time on a rarely used path. Say what the shim is for,
or replace the glibc binary with a musl build. The message names the glibc download of
the stage it serves, when there is one. The glibc packages built for Alpine by
sgerrand/alpine-pkg-glibc (`glibc-2.35-r1.apk`, `glibc-bin-*.apk`, downloaded and
installed with `apk add`) are a full glibc beside musl, built outside Alpine: reported
once per stage, at the first package downloaded.""",
      bad="FROM alpine:3.20\nRUN apk add --no-cache gcompat",
      good="FROM alpine:3.20\nRUN apk add --no-cache tool  # the Alpine build of the tool")
def glibc_compat_shim(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    compat = set(download_facts()["compat_packages"])
    served: dict[int, list[str]] = {}
    fetched = ctx.derived(_fetched, df)  # once for AG405 and AG406
    for stage, word, _row in fetched.glibc:
        served.setdefault(id(stage), []).append(_file_name(word.value))
    for stage_id, (_stage, words) in fetched.layers.items():
        names = list(dict.fromkeys(_file_name(word.value) for word in words if word.value.endswith(".apk")))
        if not names:
            continue  # only its signing key
        first = next(word for word in words if word.value.endswith(".apk"))
        downloads = served.get(stage_id)
        purpose = (f" for {', '.join(downloads)}; prefer a musl build of it" if downloads else
                   "; say in a comment what needs it, or use musl builds")
        yield Hit.at(first, f"{', '.join(names)}: the glibc compatibility layer built for Alpine (alpine-pkg-glibc) "
                     f"({download_facts()['compat_layer_note']})" + purpose)
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
                yield Hit.at(word, f"{name} is a partial glibc shim ({download_facts()['compat_packages'][name]})" + purpose)
