"""AG2xx: base image and Alpine release."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Optional

from ..config import Settings
from ..images import is_alpine_tagged
from ..knowledge import is_end_of_life, newest_supported, release_info
from ..model import Dockerfile, Edit, Fix, ImageKind, Pos, Stage
from .registry import Hit, rule

_OTHER_MANAGERS = ("apt-get", "apt", "yum", "dnf", "microdnf", "zypper")
_PROBES = frozenset({"command", "which", "type", "hash"})


def _direct_alpine_stages(df: Dockerfile) -> Iterator[Stage]:
    """Stages whose own FROM names an Alpine image (not an earlier stage)."""
    for stage in df.stages:
        if stage.parent is None and stage.kind is ImageKind.ALPINE and not stage.kind_inferred \
                and stage.image_word is not None:
            yield stage


def pinned_reference(text: str, tag: str, name: str, branch: str) -> Optional[str]:
    """`python:3.12-alpine` -> `python:3.12-alpine3.24`; `alpine` -> `alpine:3.24`."""
    if name == "alpine":
        base = text[: len(text) - len(tag) - 1] if tag else text
        return f"{base}:{branch}"
    new_tag, count = re.subn(r"alpine(?![\d.-]*\d)$|alpine(?=-[a-z])", f"alpine{branch}", tag, count=1)
    if not count:
        return None
    return text[: len(text) - len(tag)] + new_tag


@rule("AG201", "alpine-release-floating", "warning",
      "The image tag does not pin an Alpine release.",
      rationale="""
`alpine`, `alpine:latest`, `alpine:3`, `python:3.12-alpine` and `node:lts-alpine` move to
the next Alpine release when it comes out: package names, versions and the musl and
OpenSSL ABIs change under an unchanged Dockerfile. Pin the release in the tag
(`alpine:3.24`, `python:3.12-alpine3.24`), or pin a digest. `alpine:edge` is the
development branch and is reported too.""",
      bad="FROM python:3.12-alpine",
      good="FROM python:3.12-alpine3.24",
      fix="Unsafe: pin the newest supported release (`-alpine3.NN`, `alpine:3.NN`); check the tag exists.")
def alpine_release_floating(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    newest = newest_supported(settings.as_of).branch
    for stage in _direct_alpine_stages(df):
        image, word = stage.image, stage.image_word
        if stage.alpine_release or image.digest or not is_alpine_tagged(image):
            continue
        if image.name == "alpine" and image.tag == "edge":
            yield Hit.at(word, f"`{image.text}` is Alpine's development branch; pin a release such as "
                         f"`alpine:{newest}`")
            continue
        suggestion = pinned_reference(image.text, image.tag, image.name, newest)
        fix = None
        if suggestion and not word.expanded and word.raw == word.value:
            fix = Fix(f"pin Alpine {newest}", (Edit(word.start, word.end, suggestion),), safe=False)
        hint = f", e.g. `{suggestion}`" if suggestion else ""
        via = f" (from {word.raw})" if word.expanded else ""
        yield Hit.at(word, f"`{image.text}`{via} floats across Alpine releases; pin one{hint} "
                     f"(newest supported: {newest})", fix)


def _tag_position(stage: Stage) -> tuple[Pos, Pos]:
    word = stage.image_word
    if word.expanded or word.raw != word.value or not stage.image.tag:
        return word.start, word.end
    offset = len(word.value) - len(stage.image.tag) - (len(stage.image.digest) + 1 if stage.image.digest else 0)
    line, col = word.start
    return (line, col + offset), (line, col + offset + len(stage.image.tag))


@rule("AG202", "alpine-release-eol", "warning",
      "The pinned Alpine release is past its end of support.",
      rationale="""
An Alpine branch gets security fixes in `main` for about two years. Past that date the
image keeps the vulnerabilities found since. The embedded release table says when each
branch ended; `--as-of` sets the date of the check.""",
      bad="FROM python:3.11-alpine3.18",
      good="FROM python:3.11-alpine3.24")
def alpine_release_eol(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    newest = newest_supported(settings.as_of).branch
    for stage in _direct_alpine_stages(df):
        branch = stage.alpine_release
        if not branch or not is_end_of_life(branch, settings.as_of):
            continue
        info = release_info(branch)
        when = f" on {info.eol.isoformat()}" if info else ""
        start, end = _tag_position(stage)
        yield Hit(start, end, f"Alpine {branch} (`{stage.image.text}`) reached end of support{when}; "
                  f"move to {newest}")


def _probed(commands) -> frozenset[str]:
    """Programs the RUN checks for (`command -v apt-get`, `which apk`) before using them."""
    return frozenset(w.value.rsplit("/", 1)[-1] for command in commands
                     if command.argv and command.argv[0].value in _PROBES for w in command.argv[1:])


@rule("AG203", "wrong-package-manager", "error",
      "A package manager the base image does not have.",
      triggers=True,
      rationale="""
Alpine has apk and no apt-get, yum, dnf or zypper; Debian, Ubuntu and the RHEL family
have no apk. The RUN fails with `not found`. Often the base image was switched to or from
Alpine and the install line was not.""",
      bad="FROM python:3.12-alpine3.24\nRUN apt-get update && apt-get install -y curl",
      good="FROM python:3.12-alpine3.24\nRUN apk add --no-cache curl")
def wrong_package_manager(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    for stage in df.stages:
        if stage.kind not in (ImageKind.ALPINE, ImageKind.APK_GLIBC, ImageKind.NON_APK):
            continue
        for ins in stage.instructions:
            if ins.keyword != "RUN":
                continue
            probed = None  # read on the first package manager call only
            for command in ins.commands:
                argv = command.effective_argv()
                if not argv:
                    continue
                name = command.name
                if not ((stage.uses_apk and name in _OTHER_MANAGERS)
                        or (stage.kind is ImageKind.NON_APK and name == "apk")):
                    continue
                if probed is None:
                    probed = _probed(ins.commands)
                if name in probed:
                    continue
                if name == "apk":
                    yield Hit.at(argv[0], f"`apk` does not exist in `{stage.root.image.text}`, which is not "
                                 "Alpine; use its own package manager or an -alpine tag")
                else:
                    yield Hit.at(argv[0], f"`{name}` does not exist in `{stage.root.image.text}` "
                                 "(apk-based); use apk add --no-cache")
