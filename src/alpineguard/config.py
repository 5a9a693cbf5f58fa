"""Settings of one run: what the command line (and, later, the config file) asks for."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from .model import Severity

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024


@dataclass
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_level: Optional[Severity] = Severity.WARNING  # None: never fail
    build_args: dict[str, str] = field(default_factory=dict)
    target: Optional[str] = None
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    as_of: dt.date = field(default_factory=dt.date.today)
    context: Optional[str] = None
    online: bool = False
    alpine_images: tuple[str, ...] = ()
    glibc_images: tuple[str, ...] = ()
    init_images: tuple[str, ...] = ()
    require_init: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    inline_ignores: bool = True

    def rule_enabled(self, rule_id: str) -> bool:
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)
