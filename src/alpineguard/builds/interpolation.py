"""Compose variable interpolation and the project's `.env` file, as the Compose Specification
defines them (`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
`${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nesting, `$$`).

One difference on purpose: where Compose substitutes an empty string for a variable that
is not set (or stops with an error for `?`), the value here is unknown (`None`). The
environment alpineguard runs in is not the one the image is built in, so a value that
depends on a variable missing here is never guessed.

A variable mapping holds str for a known value and None for a variable that is set to a
value that is itself unknown (a `.env` line that refers to a missing variable).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

Variables = Mapping[str, str | None]

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class InterpolationError(ValueError):
    """`${...}` that Compose rejects (an empty or invalid name, no closing brace)."""


class _Unknown(Exception):
    """The value depends on a variable that is not set here."""


def interpolate(text: str, variables: Variables) -> str | None:
    """`text` with its variables substituted; None when a variable it needs is unknown."""
    if "$" not in text:
        return text
    try:
        return _expand(text, variables)
    except _Unknown:
        return None


def _expand(text: str, variables: Variables) -> str:
    out = []
    i, n = 0, len(text)
    while i < n:
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            i = dollar + 2
        elif following == "{":
            close = _closing_brace(text, dollar + 2)
            out.append(_braced(text[dollar + 2:close], variables))
            i = close + 1
        else:
            match = _NAME.match(text, dollar + 1)
            if match is None:  # `$1`, `$ `, a `$` at the end: kept as written
                out.append("$")
                i = dollar + 1
            else:
                out.append(_value(match.group(0), variables))
                i = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` that closes the `${` before `start`, nested `${...}` skipped."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise InterpolationError(f"`${{` without a closing `}}` in {text!r}")


def _braced(inner: str, variables: Variables) -> str:
    match = _NAME.match(inner)
    if match is None:
        raise InterpolationError(f"invalid interpolation `${{{inner}}}`: no variable name")
    name, rest = match.group(0), inner[match.end():]
    if not rest:
        return _value(name, variables)
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise InterpolationError(f"invalid interpolation `${{{inner}}}` (Compose knows :-, -, :?, ?, :+ and +)")
    operand = rest[len(operator):]
    is_set = name in variables
    value = variables.get(name)
    if operator in ("-", "?", "+"):
        if not is_set:
            if operator == "-":
                return _expand(operand, variables)
            if operator == "?":
                raise _Unknown
            return ""
        if operator == "+":
            return _expand(operand, variables)
        if value is None:
            raise _Unknown
        return value
    # The colon forms also treat an empty value as missing.
    if is_set and value is None:
        raise _Unknown
    present = bool(value)
    if operator == ":-":
        return value if present else _expand(operand, variables)
    if operator == ":?":
        if not present:
            raise _Unknown
        return value
    return _expand(operand, variables) if present else ""


def _value(name: str, variables: Variables) -> str:
    value = variables.get(name)
    if value is None:
        raise _Unknown
    return value


class DotenvError(ValueError):
    """A `.env` line Compose cannot read; `line` is 1-based."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


# `\$` keeps a dollar from interpolation, as `$$` does.
_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$"}
_DOTENV_KEY = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*([=:])?")


def read_dotenv(text: str, environment: Mapping[str, str]) -> dict[str, str | None]:
    """The variables a `.env` file sets, in the Compose rules for env files: `#` comments,
    `export` prefixes, unquoted values (a ` #` starts a comment), double quotes (escapes,
    interpolation, several lines) and single quotes (taken literally). Values are
    interpolated with the variables above them, then `environment`."""
    result: dict[str, str | None] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        line_number, line = index + 1, lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_KEY.match(line)
        if match is None or match.group(2) is None:
            raise DotenvError(f"expected KEY=VALUE, got {stripped[:40]!r}", line_number)
        key, raw = match.group(1), line[match.end():].lstrip()
        lookup = _Chain(result, environment)
        if raw.startswith("'"):
            value, index = _quoted(raw, "'", lines, index, line_number)
            result[key] = value.replace("\\'", "'")
        elif raw.startswith('"'):
            value, index = _quoted(raw, '"', lines, index, line_number)
            unescaped = re.sub(r"\\(.)", lambda m: _DOUBLE_QUOTE_ESCAPES.get(m.group(1), m.group(0)), value)
            try:
                expanded = interpolate(unescaped, lookup)
            except InterpolationError as error:
                raise DotenvError(str(error), line_number) from None
            result[key] = expanded
        else:
            comment = re.search(r"\s#", raw)
            value = (raw[:comment.start()] if comment else raw).strip()
            try:
                result[key] = interpolate(value, lookup)
            except InterpolationError as error:
                raise DotenvError(str(error), line_number) from None
    return result


def _quoted(raw: str, quote: str, lines: list[str], index: int, line_number: int) -> tuple[str, int]:
    """The text inside the quotes that open `raw` (continuing over later lines), and the
    index of the line after the closing quote."""
    body = raw[1:]
    while True:
        close = _unescaped(body, quote)
        if close >= 0:
            return body[:close], index
        if index >= len(lines):
            raise DotenvError(f"{quote} opened here is never closed", line_number)
        body += "\n" + lines[index]
        index += 1


def _unescaped(text: str, quote: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


class _Chain(Mapping):
    """The `.env` file's variables so far, then the environment: lookups in that order."""

    def __init__(self, first: Mapping, second: Mapping):
        self.first, self.second = first, second

    def __getitem__(self, key):
        return self.first[key] if key in self.first else self.second[key]

    def __contains__(self, key):
        return key in self.first or key in self.second

    def __iter__(self):
        return iter({**self.second, **self.first})

    def __len__(self):
        return len({**self.second, **self.first})
