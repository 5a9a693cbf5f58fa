"""AG2xx: base image and Alpine release."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..config import Settings
from ..images import is_alpine_tagged, official_name
from ..knowledge import branch_key, is_end_of_life, newest_supported, release_info
from ..lintcontext import FileContext
from ..model import Dockerfile, Edit, Fix, ImageKind, ImageRef, Pos, Stage
from .registry import Hit, rule

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from ..knowledge.official_images import EndedTag

_OTHER_MANAGERS = ("apt-get", "apt", "yum", "dnf", "microdnf", "zypper")
_PROBES = frozenset({"command", "which", "type", "hash"})


def _direct_alpine_stages(df: Dockerfile) -> Iterator[Stage]:
    """Stages whose own FROM names an Alpine image (not an earlier stage)."""
    for stage in df.stages:
        if stage.parent is None and stage.kind is ImageKind.ALPINE and not stage.kind_inferred \
                and stage.image_word is not None:
            yield stage


def pinned_reference(text: str, tag: str, name: str, branch: str) -> str | None:
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
development branch and is reported too.

For the official images the suggestion is a tag that is published: the embedded table of
their tags (generated from docker-library/official-images) tells how each image spells
its pinned tags (`python:3.12-alpine3.24`, but `eclipse-temurin:21-jre-alpine-3.24`) and
which release a floating tag points at. Images that publish no pinned tags (`erlang`,
`maven`), and images from other publishers, whose tags the table does not know, get a
digest as the advice. A tag that is no longer published (`golang:1.9-alpine`, an old
patch release) does not float: it stays on the release it was last built on, which
AG202 reports when that release is past its support. Tags with an unfilled template
placeholder or a variable without a value (`alpine:%%TAG%%`, `alpine:${TAG}`) are not
reported: the value may well pin a release.

Nor is a base the same organisation builds (`FROM acme/base:alpine` in a repository of
`acme`, from the config's `repository`, `--repository` or the checkout's git remote), or
an official parent in a repository an official image is built from: the release is
pinned, or not, where that image is built.""",
      bad="FROM python:3.12-alpine",
      good="FROM python:3.12-alpine3.24",
      fix="The published tag that pins the release the floating tag points at "
          "(`alpine:3.NN`, `python:3.12-alpine3.NN`); none where only a digest can pin it.",
      fixes="unsafe")
def alpine_release_floating(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    newest = newest_supported(ctx.settings.as_of).branch
    for stage in _direct_alpine_stages(df):
        image, word = stage.image, stage.image_word
        if stage.alpine_release or image.digest or not image.resolved or not is_alpine_tagged(image):
            continue
        verdict = _floating(image, newest)
        if verdict is None or _built_alongside(image, df, ctx.settings):
            continue
        suggestion, advice = verdict
        via = f" (from {word.raw})" if word.expanded else ""
        name = official_name(image)
        if image.tag.lower() == "edge" and name == "alpine":
            yield Hit.at(word, f"`{image.text}`{via} is Alpine's development branch; {advice}")
            continue
        if name is None:  # another publisher's tag: whether and when it moves is theirs to say
            yield Hit.at(word, f"`{image.text}`{via} names no Alpine release: it is on whatever release its "
                         f"publisher last built it on, and moves when they rebuild; {advice}")
            continue
        fix = None
        if suggestion and not word.expanded and word.raw == word.value:
            fix = Fix(f"pin `{suggestion}`", (Edit(word.start, word.end, suggestion),), safe=False)
        yield Hit.at(word, f"`{image.text}`{via} floats across Alpine releases; {advice}", fix)


def _built_alongside(image: ImageRef, df: Dockerfile, settings: Settings) -> bool:
    """Whether the base comes from the organisation that keeps this Dockerfile (its owner is
    the image's namespace: `myorg/base` in a `myorg/...` repository), or this is the source
    of an official image built on an official parent: then the tag follows that build
    on purpose, and its release is pinned, or not, where the parent is built."""
    from ..repository import repository_of  # rarely needed: only for a tag that would be reported
    repository = settings.repository or repository_of(df.source_path)
    if not repository:
        return False
    if official_name(image) is not None:
        from ..knowledge.official_images import official_sources
        return repository.lower() in official_sources()
    namespace, slash, _ = image.path.partition("/")
    return bool(slash) and namespace == repository.split("/", 1)[0].lower()


def _digest_advice(image: ImageRef) -> str:
    return f"pin a digest (`{image.text}@sha256:…`)"


def _floating(image: ImageRef, newest: str) -> tuple[str | None, str] | None:
    """(suggested reference, advice) for a tag that moves to new Alpine releases; None when it
    does not (no longer published) or the tag is not known well enough to say."""
    from ..knowledge.official_images import official_image, version_line  # loaded on first need
    name = official_name(image)
    tag = image.tag
    if name == "alpine":
        if tag.lower() == "edge":
            return None, f"pin a release such as `{pinned_reference(image.text, tag, 'alpine', newest)}`"
        if tag and tag.lower() != "latest" and not (tag.isdigit() and len(tag) <= 2):
            return None  # a date-stamped or other tag the table of releases does not know
        suggestion = pinned_reference(image.text, tag, "alpine", newest)
        return suggestion, f"pin one, e.g. `{suggestion}` (newest supported: {newest})"
    if name is None:
        return None, f"{_digest_advice(image)}, or a release-pinned tag if the publisher has one"
    facts = official_image(name)
    if facts is None or facts.ended_tag(tag):
        return None  # never published as an Alpine tag, or no longer published (AG202)
    if tag.lower() in facts.floating:
        pinned = facts.pinned_tag(tag)
        if pinned:
            suggestion = image.text[: len(image.text) - len(tag)] + pinned
            return suggestion, f"pin one, e.g. `{suggestion}`"
        return None, f"`{name}` publishes no tags that pin one: {_digest_advice(image)}"
    line = version_line(tag)
    published = [version_line(t) for t in facts.floating]
    known = [branch_key(found) for found in published if found]
    if line is None or not known or branch_key(line) <= max(known):
        return None  # an older patch tag (no longer rebuilt) or a tag the table does not know
    return None, f"{_digest_advice(image)} or the `{name}` tag that pins a release"


def _tag_position(stage: Stage) -> tuple[Pos, Pos]:
    word = stage.image_word
    if word.expanded or word.raw != word.value or not stage.image.tag or word.start[0] != word.end[0]:
        return word.start, word.end  # no column arithmetic across a line continuation
    offset = len(word.value) - len(stage.image.tag) - (len(stage.image.digest) + 1 if stage.image.digest else 0)
    line, col = word.start
    return (line, col + offset), (line, col + offset + len(stage.image.tag))


@rule("AG202", "alpine-release-eol", "warning",
      "The pinned Alpine release is past its end of support.",
      rationale="""
An Alpine branch gets security fixes in `main` for about two years. Past that date the
image keeps the vulnerabilities found since. The embedded release table says when each
branch ended; `--as-of` sets the date of the check.

An official image's tag that is no longer published (`golang:1.9-alpine`, `node:10-alpine`)
is pinned too, in effect: it stays on the Alpine release of its last build, which the
embedded table of official image tags knows (or bounds by the date of that build). It is
reported when that release is past its support.""",
      bad="FROM python:3.11-alpine3.18",
      good="FROM python:3.11-alpine3.24")
def alpine_release_eol(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    newest = newest_supported(ctx.settings.as_of).branch
    for stage in _direct_alpine_stages(df):
        branch = stage.alpine_release
        start, end = _tag_position(stage)
        if branch:
            if not is_end_of_life(branch, ctx.settings.as_of):
                continue
            yield Hit(start, end, f"Alpine {branch} (`{stage.image.text}`) reached end of support"
                      f"{_eol_date(branch)}; move to {newest}")
            continue
        ended = _ended(stage.image)
        if ended is None or not ended.release or not is_end_of_life(ended.release, ctx.settings.as_of):
            continue
        release = f"Alpine {ended.release} or older" if ended.at_most else f"Alpine {ended.release}"
        when = "" if ended.at_most else _eol_date(ended.release)
        listed = f"its {ended.line} line was last listed" if ended.line else "last listed"
        yield Hit(start, end, f"`{stage.image.text}` is no longer published ({listed} {ended.last_listed}): "
                  f"it stays on {release}, past end of support{when}; move to a maintained tag pinned to "
                  f"Alpine {newest}")


def _eol_date(branch: str) -> str:
    info = release_info(branch)
    return f" on {info.eol.isoformat()}" if info else ""


def _ended(image: ImageRef) -> EndedTag | None:
    """The last listing of an official image's Alpine tag that is no longer published."""
    name = official_name(image)
    if name is None or name == "alpine" or not image.resolved or image.digest:
        return None
    from ..knowledge.official_images import official_image
    facts = official_image(name)
    return facts.ended_tag(image.tag) if facts else None


def _probed(commands) -> frozenset[str]:
    """Programs the RUN checks for (`command -v apt-get`, `which apk`) before using them."""
    return frozenset(w.value.rsplit("/", 1)[-1] for command in commands
                     if command.argv and command.argv[0].value in _PROBES for w in command.argv[1:])


def _installed_by_hand(stage: Stage, ins, command) -> frozenset[str]:
    """Programs an earlier command of the stage puts in place as a path (`mv apk.static
    /usr/local/bin/apk`): the build brings its own copy."""
    names = set()
    for run in (i for s in reversed(stage.lineage()) for i in s.instructions if i.keyword == "RUN"):
        for earlier in run.commands:
            if run is ins and earlier is command:
                return frozenset(names)
            names.update(w.value.rsplit("/", 1)[-1] for w in earlier.argv[1:] if "/" in w.value)
    return frozenset(names)


@rule("AG203", "wrong-package-manager", "error",
      "A package manager the base image does not have.",
      triggers=True,
      rationale="""
Alpine has apk and no apt-get, yum, dnf or zypper; Debian, Ubuntu and the RHEL family
have no apk. The RUN fails with `not found`. Often the base image was switched to or from
Alpine and the install line was not.

Reported once per RUN, at the first call: the build stops there. Only against a base
whose distribution is known: not for an unfilled template (`php:%%VERSION%%-%%VARIANT%%`),
an unknown image, or an old tag of an official image whose listing never said which
distribution it was built on (neo4j 3.4 was Alpine-based; its tag does not say so).""",
      bad="FROM python:3.12-alpine3.24\nRUN apt-get update && apt-get install -y curl",
      good="FROM python:3.12-alpine3.24\nRUN apk add --no-cache curl")
def wrong_package_manager(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage in df.stages:
        if stage.kind not in (ImageKind.ALPINE, ImageKind.APK_GLIBC, ImageKind.NON_APK) or stage.root.kind_inferred:
            continue  # an inferred kind comes from the apk calls themselves: nothing to hold them against
        for ins in stage.instructions:
            if ins.keyword != "RUN":
                continue
            probed = None  # read on the first package manager call only
            calls = []
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
                if name not in probed and name not in _installed_by_hand(stage, ins, command):
                    calls.append((name, argv[0]))
            if not calls:
                continue  # one finding per RUN: the first call fails the build, the rest never run
            name, word = calls[0]
            more = f" ({len(calls) - 1} more call{'s' if len(calls) > 2 else ''} in this RUN)" if len(calls) > 1 else ""
            root = stage.root
            base = f"`{root.image.text}`" + (f" (from {root.image_word.raw})" if root.image_word.expanded else "")
            if name == "apk":
                yield Hit.at(word, f"`apk` does not exist in {base}, which is not "
                             f"Alpine; use its own package manager or an -alpine tag{more}")
            else:
                yield Hit.at(word, f"`{name}` does not exist in {base} (apk-based); use apk add --no-cache{more}")
