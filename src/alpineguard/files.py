"""Reading a file to check: bytes to text, with a clear reason when it cannot be checked.

The bottom of the package beside `discovery`: the engine, `--fix` and `--changed` all
read Dockerfiles through here, and it imports nothing of alpineguard.
"""
from __future__ import annotations

import os
import stat

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class Unreadable(Exception):
    """The file cannot be checked; `line` points at the cause where one is known."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def decode(data: bytes, max_size: int) -> str:
    if len(data) > max_size:
        raise Unreadable(f"larger than the {max_size}-byte limit; not checked")
    if data.startswith(_UTF16_BOMS):
        raise Unreadable("UTF-16 text; Docker reads a Dockerfile as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise Unreadable(f"binary file (NUL byte at offset {nul}); not a Dockerfile", data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise Unreadable(f"not UTF-8: byte 0x{data[error.start]:02x} at line {line} cannot be decoded", line)


def read_file(path: str, max_size: int) -> str:
    try:
        info = os.stat(path)
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode) \
            else "not a regular file"
        raise Unreadable(f"cannot check {kind}")
    if info.st_size > max_size:
        raise Unreadable(f"larger than the {max_size}-byte limit ({info.st_size} bytes); not checked")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}")
    return decode(data, max_size)
