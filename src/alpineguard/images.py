"""Image references: is a base Alpine (musl + apk), apk on glibc, or known not to use apk?"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Optional

from .knowledge import image_lists
from .model import ImageKind, ImageRef

_ALPINE_RELEASE_IN_TAG = re.compile(r"alpine-?(\d+\.\d+)")
_RELEASE_TAG = re.compile(r"(\d+\.\d+)(?:\.\d+)?(?:$|[-_])")


def image_matches(ref: ImageRef, patterns: Iterable[str]) -> bool:
    full = f"{ref.registry}/{ref.path}" if ref.registry else ref.path
    return any(fnmatch.fnmatchcase(full, p) or fnmatch.fnmatchcase(ref.path, p) for p in patterns)


def alpine_release_of(ref: ImageRef) -> Optional[str]:
    """The Alpine branch a tag pins (`3.20` for `alpine:3.20.3` or `python:3.12-alpine3.20`)."""
    tag = ref.tag.lower()
    if ref.name == "alpine":
        match = _RELEASE_TAG.match(tag)
        return match.group(1) if match else None
    match = _ALPINE_RELEASE_IN_TAG.search(tag)
    return match.group(1) if match else None


def is_alpine_tagged(ref: ImageRef) -> bool:
    return ref.name == "alpine" or "alpine" in ref.tag.lower()


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

    def __call__(self, ref: ImageRef) -> tuple[ImageKind, Optional[str]]:
        if ref.path == "scratch" and not ref.registry:
            return ImageKind.SCRATCH, None
        if image_matches(ref, self.alpine):
            return ImageKind.ALPINE, alpine_release_of(ref)
        if image_matches(ref, self.apk_glibc):
            return ImageKind.APK_GLIBC, None
        if is_alpine_tagged(ref):
            return ImageKind.ALPINE, alpine_release_of(ref)
        tag_words = set(re.split(r"[-_.]", ref.tag.lower())) if ref.tag else set()
        if image_matches(ref, self.non_apk) or tag_words & self.non_apk_tag_words:
            return ImageKind.NON_APK, None
        if not ref.registry and ref.path in self.debian_by_default:
            return ImageKind.NON_APK, None
        return ImageKind.UNKNOWN, None
