"""Regenerate src/alpineguard/knowledge/official_images.yaml from docker-library/official-images.

Reads the `library/<image>` manifests (Tags, SharedTags, Directory per entry) of a local
clone or bare mirror of the official-images repository, at every commit of its history
that changed one, and records per official image:

- `pin`: how its Alpine-pinned tags are spelled (`alpine{}`: `3.12-alpine3.24`,
  `alpine-{}`: `21-jre-alpine-3.24`); absent when it publishes none;
- `floating`: its current Alpine tags that name no release, by the release they point at;
- `ended`: version lines whose Alpine tags are no longer published: the month they were
  last listed and the Alpine release of that last build (`<=3.7` when only the date tells:
  the newest Alpine release listed in `library/alpine` that month);
- `named`: the same for ended Alpine tags without a version (`jre-alpine`);
- `unknown_base`: for images whose other tags are Debian-based today, the version lines
  last published when nothing in the manifest said which distribution they were built on
  (no `alpine` or Debian/Ubuntu word in their tags or folder, and no `-alpine` variant
  beside them): their base is unknown, not Debian;

and `built_from`, the repositories the current official images are built from (GitRepo).

Run: .venv/bin/python tools/gen_official_images.py GIT_DIR
(GIT_DIR: the .git folder of a clone of docker-library/official-images, or a bare mirror of it)
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from alpineguard.knowledge import branch_key, image_lists  # noqa: E402
from alpineguard.knowledge.official_images import version_line  # noqa: E402
from alpineguard.repository import owner_and_name  # noqa: E402

OUTPUT = Path(__file__).resolve().parent.parent / "src" / "alpineguard" / "knowledge" / "official_images.yaml"
RELEASE = re.compile(r"alpine-?(\d+\.\d+)(?![\d])")
RELEASE_FOLDER = re.compile(r"alpine/(\d+\.\d+)(?:/|$)")
# Words in a tag or folder that name a distribution without apk.
NON_APK_WORD = re.compile(
    r"(?:^|[-_./])(slim|wheezy|jessie|stretch|buster|bullseye|bookworm|trixie|forky|sid|precise|trusty|xenial|"
    r"bionic|focal|jammy|noble|resolute|ubuntu|debian|centos\d*|windowsservercore\S*|nanoserver\S*|ltsc\d+|"
    r"ubi\d*|oraclelinux\d*|amazonlinux\d*|al2\d*|fedora|rockylinux\d*|windows)(?:$|[-_./\d])")


def git(mirror: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={mirror}", *args], input=data, capture_output=True,
                          check=True).stdout


def history(mirror: str) -> list[tuple[str, str, str | None]]:
    """(date, path, blob or None when deleted) of every change to library/, oldest first."""
    log = git(mirror, "log", "--reverse", "--first-parent", "--diff-merges=first-parent", "--format=C %cs",
              "--raw", "--no-abbrev", "--", "library/").decode()
    changes, date = [], ""
    for line in log.splitlines():
        if line.startswith("C "):
            date = line[2:]
        elif line.startswith(":"):
            meta, path = line.split("\t", 1)
            fields = meta.split()
            changes.append((date, path.split("\t")[-1], None if fields[4].startswith("D") else fields[3]))
    return changes


def blobs(mirror: str, ids: list[str]) -> dict[str, str]:
    out = git(mirror, "cat-file", "--batch", data="\n".join(ids).encode() + b"\n")
    texts, pos = {}, 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        sha, _, size = out[pos:header_end].split()
        start = header_end + 1
        texts[sha.decode()] = out[start:start + int(size)].decode("utf-8", "replace")
        pos = start + int(size) + 1
    return texts


def entries(text: str) -> list[tuple[list[str], str]]:
    """(tags including shared ones, folder) per entry, in either manifest format."""
    if re.search(r"(?m)^Tags:", text):
        found = []
        for block in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            key = None
            for line in block.splitlines():
                if line.startswith("#"):
                    continue
                if line[:1].isspace() and key:
                    fields[key] += " " + line.strip()
                elif ":" in line:
                    key, _, value = line.partition(":")
                    key = key.strip()
                    fields[key] = value.strip()
            tags = [t.strip() for f in ("Tags", "SharedTags") for t in fields.get(f, "").split(",") if t.strip()]
            if fields.get("Tags"):
                found.append((tags, fields.get("Directory", "")))
        return found
    groups: dict[tuple[str, str], list[str]] = {}  # the 2014-2015 format: `tag: url@commit folder`
    for line in text.splitlines():
        match = re.match(r"\s*([^#:\s]+):\s*(\S+)(?:\s+(\S+))?", line)
        if match:
            groups.setdefault((match.group(2), match.group(3) or ""), []).append(match.group(1))
    return [(tags, folder) for (_, folder), tags in groups.items()]


def entry_facts(tags: list[str], folder: str, file_has_alpine: bool) -> tuple[str, str | None]:
    """(base, release): base is alpine, other or unknown."""
    words = (" ".join(tags) + " " + folder).lower()
    if "alpine" in words:
        for text in [*tags, folder]:
            match = RELEASE.search(text.lower()) or RELEASE_FOLDER.search(text.lower())
            if match:
                return "alpine", match.group(1)
        return "alpine", None
    if NON_APK_WORD.search(words) or file_has_alpine:
        return "other", None
    return "unknown", None


def month(date: str) -> str:
    return date[:7]


def collect(mirror: str) -> tuple[dict, dict[str, str], str]:
    """Per image: tag -> facts of its last listing; and Alpine releases by first month listed."""
    changes = history(mirror)
    texts = blobs(mirror, sorted({blob for _, _, blob in changes if blob}))
    images: dict[str, dict] = {}
    alpine_first: dict[str, str] = {}
    for date, path, blob in changes:
        image = path.split("/", 1)[1]
        info = images.setdefault(image, {"tags": {}, "current": set()})
        listed: set[str] = set()
        found = entries(texts[blob]) if blob else []
        file_has_alpine = any("alpine" in (" ".join(tags) + folder).lower() for tags, folder in found)
        for tags, folder in found:
            base, release = entry_facts(tags, folder, file_has_alpine)
            for tag in tags:
                if tag in listed:
                    continue  # a shared tag names its first entry
                listed.add(tag)
                info["tags"][tag] = {"base": base, "release": release, "last": date, "entry": tags}
                if image == "alpine" and re.fullmatch(r"\d+\.\d+", tag):
                    alpine_first.setdefault(tag, month(date))
        for tag in info["current"] - listed:
            info["tags"][tag]["last"] = date
        info["current"] = listed
    head = git(mirror, "log", "-1", "--format=%H %cs").decode().split()
    return images, alpine_first, f"{head[0][:12]} ({head[1]})"


def source_repositories(mirror: str) -> list[str]:
    """`owner/name` of every repository the current official images are built from (GitRepo)."""
    listing = git(mirror, "ls-tree", "HEAD", "library/").decode().split("\n")
    ids = [line.split()[2] for line in listing if line.strip()]
    found = set()
    for text in blobs(mirror, ids).values():
        for url in re.findall(r"(?m)^GitRepo:\s*(\S+)", text):
            pair = owner_and_name(url)
            if pair:
                found.add(pair.lower())
    return sorted(found)


def newest_alpine_by(alpine_first: dict[str, str], when: str) -> str | None:
    released = [branch for branch, first in alpine_first.items() if first <= when]
    return max(released, key=branch_key) if released else None


def is_floating(tag: str) -> bool:
    lower = tag.lower()
    return "alpine" in lower and not RELEASE.search(lower)


def summarise(image: str, info: dict, alpine_first: dict[str, str], debian_default: bool) -> dict:
    tags, current = info["tags"], info["current"]
    entry: dict = {}
    pins = set()
    floating: dict[str, list[str]] = {}
    for tag in sorted(current):
        if not is_floating(tag):
            continue
        facts = tags[tag]
        pinned = [sibling for sibling in facts["entry"]
                  if RELEASE.search(sibling.lower()) and RELEASE.sub("alpine", sibling.lower()) == tag.lower()]
        for sibling in pinned:
            pins.add("alpine-{}" if f"alpine-{facts['release']}" in sibling else "alpine{}")
        # `?`: no pinned tag beside it, so none to suggest (whatever the image does for others)
        floating.setdefault(facts["release"] if pinned and facts["release"] else "?", []).append(tag)
    if len(pins) > 1:
        raise SystemExit(f"{image}: two pinned tag schemes {pins}")
    if pins:
        entry["pin"] = pins.pop()
    if floating:
        entry["floating"] = "; ".join(f"{release}: {' '.join(names)}" for release, names in floating.items())

    current_lines = {version_line(t) for t in current if "alpine" in t.lower()}
    ended: dict[str, tuple[str, str | None]] = {}
    named: dict[str, tuple[str, str | None]] = {}
    for tag, facts in tags.items():
        if tag in current or not is_floating(tag) or facts["base"] != "alpine":
            continue
        line = version_line(tag)
        into, key = (ended, line) if line else (named, tag.lower())
        if line in current_lines:
            continue  # an older patch tag of a line still published
        last = into.get(key)
        if last is None or facts["last"] > last[0]:
            into[key] = (facts["last"], facts["release"])
    for into in (ended, named):
        for key, (last, release) in into.items():
            if release is None:
                newest = newest_alpine_by(alpine_first, month(last))
                release = f"<={newest}" if newest else "?"
            into[key] = f"{month(last)} {release}"
    # A minor line that ended on the same release as its ended major line adds nothing (looked up
    # through the major, it reads as "that release or older").
    ended = {line: text for line, text in ended.items()
             if "." not in line or ended.get(line.split(".")[0], " ").split(" ")[1] != text.split(" ")[1]}
    if ended:
        entry["ended"] = ", ".join(f"{line} {text}" for line, text in
                                   sorted(ended.items(), key=lambda item: [int(p) for p in item[0].split(".")]))
    if named:
        entry["named"] = ", ".join(f"{tag} {text}" for tag, text in sorted(named.items()))

    if debian_default:
        other_current = {version_line(t) for t in current if "alpine" not in t.lower()}
        last_base: dict[str, tuple[str, str]] = {}
        for tag, facts in tags.items():
            line = version_line(tag)
            if tag in current or line is None or "alpine" in tag.lower() or line in other_current:
                continue
            if line not in last_base or facts["last"] > last_base[line][0]:
                last_base[line] = (facts["last"], facts["base"])
        unknown = [line for line, (_, base) in last_base.items() if base == "unknown"]
        if unknown:
            entry["unknown_base"] = " ".join(sorted(unknown, key=lambda x: [int(p) for p in x.split(".")]))
    return entry


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.rsplit("Run: ", 1)[1])
    mirror = sys.argv[1]
    images, alpine_first, head = collect(mirror)
    debian_default = set(image_lists()["debian_by_default"])
    result = {}
    for image in sorted(images):
        if image == "alpine":
            continue
        entry = summarise(image, images[image], alpine_first, image in debian_default)
        if entry:
            result[image] = entry
    header = (
        "# GENERATED by tools/gen_official_images.py; do not edit by hand.\n"
        "# Alpine tags of the official images, from the library/ manifests of docker-library/official-images\n"
        "# and their history. Per image: `pin`, how Alpine-pinned tags are spelled ({} is the release;\n"
        "# absent: none are published); `floating`, `RELEASE: TAG...; ...`, current tags without a release\n"
        "# by the release they point at (`?`: not told); `ended`, `LINE MONTH RELEASE, ...`, version lines\n"
        "# whose Alpine tags are no longer published, the month last listed and the Alpine release of that\n"
        "# build (`<=X`: at most X, from the date); `named`, the same for tags without a version;\n"
        "# `unknown_base`, version lines of a Debian-by-default image whose last listing did not say which\n"
        "# distribution they were built on. Strings, not mappings: read for the one image asked about.\n"
        "# `built_from`: the repositories (owner/name, GitRepo) the current official images are built from.\n")
    body = {"source": f"docker-library/official-images {head}",
            "alpine_releases": dict(sorted(alpine_first.items(), key=lambda item: branch_key(item[0]))),
            "built_from": " ".join(source_repositories(mirror)),
            "images": result}
    OUTPUT.write_text(header + yaml.safe_dump(body, sort_keys=False, width=110), encoding="utf-8")
    print(f"{OUTPUT.relative_to(Path.cwd()) if OUTPUT.is_relative_to(Path.cwd()) else OUTPUT}: "
          f"{len(result)} images, {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
