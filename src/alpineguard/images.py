"""Image references: is a base Alpine (musl + apk), apk on glibc, or known not to use apk?"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from .knowledge import image_lists
from .model import ImageKind, ImageRef, without_unrendered
from .patterns import LazyPattern

_ALPINE_RELEASE_IN_TAG = LazyPattern(r"alpine-?(\d+\.\d+)")
_RELEASE_TAG = LazyPattern(r"(\d+\.\d+)(?:\.\d+)?(?:$|[-_])")
_DOCKER_HUB = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io"})
# Docker Hub namespaces that republish the official images for one architecture (`arm64v8/alpine`).
_ARCH_NAMESPACES = frozenset({"amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "ppc64le", "riscv64",
                              "s390x", "mips64le", "windows-amd64"})


def official_name(ref: ImageRef) -> str | None:
    """`python` for `python`, `library/python`, `docker.io/python`, `arm64v8/python`; None otherwise."""
    if ref.registry not in _DOCKER_HUB or not ref.name_known:
        return None
    namespace, _, name = ref.path.rpartition("/")
    return name if not namespace or namespace in _ARCH_NAMESPACES else None


def image_matches(ref: ImageRef, patterns: Iterable[str]) -> bool:
    full = f"{ref.registry}/{ref.path}" if ref.registry else ref.path
    return any(fnmatch.fnmatchcase(full, p) or fnmatch.fnmatchcase(ref.path, p) for p in patterns)


def alpine_release_of(ref: ImageRef) -> str | None:
    """The Alpine branch a tag pins (`3.20` for `alpine:3.20.3` or `python:3.12-alpine3.20`)."""
    if not ref.tag_known:
        return None
    tag = ref.tag.lower()
    if ref.name == "alpine":
        match = _RELEASE_TAG.match(tag)
        return match.group(1) if match else None
    match = _ALPINE_RELEASE_IN_TAG.search(tag)
    return match.group(1) if match else None


def is_alpine_tagged(ref: ImageRef) -> bool:
    """The name is `alpine`, or the known part of the tag says `alpine`."""
    return ref.name == "alpine" or "alpine" in (ref.tag if ref.tag_known else without_unrendered(ref.tag)).lower()


class ImageClassifier:
    """Classifies references with the embedded lists plus the user's own."""

    def __init__(self, alpine_images: Iterable[str] = (), glibc_images: Iterable[str] = (),
                 non_apk_images: Iterable[str] = ()):
        lists = image_lists()
        self.alpine = tuple(alpine_images)
        self.apk_glibc = tuple(glibc_images) + tuple(lists["apk_glibc"])
        self.non_apk = tuple(non_apk_images) + tuple(lists["non_apk"])
        self.non_apk_tag_words = frozenset(lists["non_apk_tag_words"])
        self.debian_by_default = frozenset(lists["debian_by_default"])

    def __call__(self, ref: ImageRef) -> tuple[ImageKind, str | None]:
        """What the known parts of `ref` tell; an unrendered name or tag tells nothing."""
        if not ref.name_known:
            return ImageKind.UNKNOWN, None
        if ref.path == "scratch" and not ref.registry:
            return ImageKind.SCRATCH, None
        if image_matches(ref, self.alpine):
            return ImageKind.ALPINE, alpine_release_of(ref)
        if image_matches(ref, self.apk_glibc):
            return ImageKind.APK_GLIBC, None
        if is_alpine_tagged(ref):
            return ImageKind.ALPINE, alpine_release_of(ref)
        tag_words = set(re.split(r"[-_. ]", without_unrendered(ref.tag).lower())) if ref.tag else set()
        if image_matches(ref, self.non_apk) or tag_words & self.non_apk_tag_words:
            return ImageKind.NON_APK, None
        name = official_name(ref)
        if name in self.debian_by_default and ref.tag_known:
            from .knowledge.official_images import official_image  # only for these images
            facts = official_image(name)
            if facts is not None and facts.base_unknown(ref.tag):
                return ImageKind.UNKNOWN, None  # an old line that may not have been Debian-based
            return ImageKind.NON_APK, None
        return ImageKind.UNKNOWN, None
