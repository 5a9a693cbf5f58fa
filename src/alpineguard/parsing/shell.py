"""Read RUN text as POSIX shell: simple commands with positioned words.

This is not a full shell grammar. It splits on the list and pipeline operators,
understands quoting, comments, here-documents inside the script, compound-command
keywords (`if`, `for`, `case`, `{ }`, subshells) and expands `$VAR`/`${VAR}` from the
variables the Dockerfile declares. `sh -c '...'` and `bash -c` are read recursively,
keeping the positions of the inner words in the file. Command substitutions stay
opaque parts of a word.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from ..model import Command, Pos, Redirect, SourceText, Word
from .apk import read_apk
from ..patterns import LazyPattern

SHELLS = frozenset({"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh"})

_PLAIN = re.compile(r"[^\s'\"\\$`;&|<>()#]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_OPERATORS = ("&&", "||", ";;", "|&", ";&", ";", "&", "|", "(", ")")
_REDIRECTS = ("<<<", "<<-", "<<", "<>", ">>", ">|", ">&", "<&", ">", "<")
_WORD_ENDS = frozenset(" \t\r\n;&|<>()")
_OPERATOR_STARTS = frozenset("0123456789&|;()<>")
_KEYWORDS_SEPARATING = frozenset({"then", "else", "elif", "fi", "do", "done", "{", "}", "!",
                                  "if", "while", "until", "esac"})


class _Token:
    """A word (one or more fields after splitting), an operator, a newline or a redirection.

    `index` is where the token starts in the lexed source's text.
    """
    __slots__ = ("kind", "text", "words", "start", "redirect", "index")

    def __init__(self, kind: str, text: str, start: Pos, words: list[Word] | None = None,
                 redirect: Redirect | None = None):
        self.kind = kind  # "word", "op", "newline", "redirect"
        self.text = text
        self.start = start
        self.words = words or []
        self.redirect = redirect
        self.index = 0

    @property
    def word(self) -> Word:
        return self.words[0]


Token = _Token  # the public name, for rules that look at shell syntax itself


class _WordBuilder:
    """Accumulates a word's value with per-character origins.

    `splittable` marks the characters an unquoted expansion brought in; it stays None
    until such text holds a blank, so plain words skip field splitting entirely.
    """
    __slots__ = ("chars", "origins", "splittable", "quoted", "expanded")

    def __init__(self):
        self.chars: list[str] = []
        self.origins: list[Pos] = []
        self.splittable: list[bool] | None = None
        self.quoted = False
        self.expanded = False

    def add(self, text: str, origins: list[Pos], splittable: bool = False):
        if self.splittable is None and splittable and any(c in " \t\n" for c in text):
            self.splittable = [False] * len(self.origins)
        if self.splittable is not None:
            self.splittable.extend([splittable] * len(text))
        self.chars.append(text)
        self.origins.extend(origins)

    def words(self, raw: str, start: Pos, end: Pos) -> list[Word]:
        value = "".join(self.chars)
        if not value and not self.quoted:
            return []
        if self.splittable is None:
            return [Word(value, raw, start, end, self.origins, self.quoted, self.expanded)]
        # Field splitting of an unquoted expansion: `apk add $BUILD_DEPS`.
        words, current, current_origins = [], [], []
        for char, origin, split in zip(value, self.origins, self.splittable):
            if split and char in " \t\n":
                if current:
                    words.append((current, current_origins))
                current, current_origins = [], []
            else:
                current.append(char)
                current_origins.append(origin)
        if current:
            words.append((current, current_origins))
        return [Word("".join(chars), raw, origins[0], end, origins, self.quoted, True)
                for chars, origins in words]


def expand_parameter(inner: str, env: Mapping[str, str]) -> str | None:
    """Value of `${inner}` (`NAME`, `NAME:-default`, `NAME:+alt`), or None when unknown."""
    match = _NAME.match(inner)
    if not match:
        return None
    name, rest = match.group(), inner[match.end():]
    known = name in env
    value = env.get(name, "")
    if rest == "":
        return value if known else None
    for op in (":-", "-", ":=", "="):
        if rest.startswith(op):
            default = rest[len(op):]
            if known and (value or not op.startswith(":")):
                return value
            return default if "$" not in default else None
    for op in (":+", "+"):
        if rest.startswith(op):
            if not known:
                return None
            return rest[len(op):] if (value or op == "+") else ""
    return None


_VARIABLE = LazyPattern(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_variables(text: str, env: Mapping[str, str]) -> str:
    """Expand `$NAME` and `${...}` in an already unquoted value; unknown ones stay as written."""
    def substitute(match: re.Match) -> str:
        if match.group(2) is not None:
            return env.get(match.group(2), match.group(0))
        value = expand_parameter(match.group(1), env)
        return match.group(0) if value is None else value
    return _VARIABLE.sub(substitute, text) if "$" in text else text


def closing_bracket(text: str, i: int, opening: str, closing: str) -> int:
    """Index just after the bracket that closes the one at `i` (escapes and single
    quotes respected), or the text's length when it is never closed."""
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            close = text.find("'", i + 1)
            i = n if close < 0 else close + 1
            continue
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


class _Lexer:
    def __init__(self, src: SourceText, env: Mapping[str, str]):
        self.src = src
        self.text = src.text
        self.env = env
        self.i = 0
        self.pending_heredocs: list[tuple[Redirect, str, bool]] = []

    def pos(self, index: int) -> Pos:
        return self.src.pos(index)

    def tokens(self):
        text, n = self.text, len(self.text)
        while self.i < n:
            ch = text[self.i]
            if ch in " \t\r":
                self.i += 1
            elif ch == "\\" and text.startswith("\\\n", self.i):
                self.i += 2
            elif ch == "\n":
                start = self.pos(self.i)
                self.i += 1
                if self.pending_heredocs:
                    self._read_heredoc_bodies()
                yield _Token("newline", "\n", start)
            elif ch == "#":
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end
            else:
                index = self.i
                token = self._operator_or_redirect()
                if token is None:
                    token = self._word()
                if token is not None:
                    token.index = index
                    yield token

    def _operator_or_redirect(self) -> _Token | None:
        text, i = self.text, self.i
        if text[i] not in _OPERATOR_STARTS:
            return None
        # An fd number glued to a redirection: 2>&1, 3<file.
        j = i
        while j < len(text) and text[j].isdigit():
            j += 1
        if j < len(text) and text[j] in "<>":
            for op in _REDIRECTS:
                if text.startswith(op, j):
                    self.i = j + len(op)
                    return self._redirect(text[i:j] + op, self.pos(i))
        if j != i:
            return None
        for op in _OPERATORS:
            if text.startswith(op, i):
                self.i = i + len(op)
                return _Token("op", op, self.pos(i))
        return None

    def _redirect(self, op: str, start: Pos) -> _Token:
        text = self.text
        while self.i < len(text) and text[self.i] in " \t":
            self.i += 1
        target = None
        if op.endswith("&") and self.i < len(text) and (text[self.i].isdigit() or text[self.i] == "-"):
            begin = self.i
            while self.i < len(text) and (text[self.i].isdigit() or text[self.i] == "-"):
                self.i += 1
            target = Word(text[begin:self.i], text[begin:self.i], self.pos(begin),
                          self.src.end_pos(self.i), self.src.origins[begin:self.i])
        else:
            token = self._word()
            target = token.words[0] if token is not None and token.words else None
        redirect = Redirect(op.lstrip("0123456789"), target, start)
        if redirect.op in ("<<", "<<-") and target is not None:
            self.pending_heredocs.append((redirect, target.value, redirect.op == "<<-"))
        return _Token("redirect", op, start, redirect=redirect)

    def _read_heredoc_bodies(self):
        text = self.text
        for redirect, delimiter, strip_tabs in self.pending_heredocs:
            body_start = self.i
            while self.i < len(text):
                line_end = text.find("\n", self.i)
                line_end = len(text) if line_end < 0 else line_end
                line = text[self.i:line_end]
                if (line.lstrip("\t") if strip_tabs else line).rstrip("\r") == delimiter:
                    redirect.body = self.src.slice(body_start, self.i)
                    self.i = min(line_end + 1, len(text))
                    break
                self.i = line_end + 1
            else:
                redirect.body = self.src.slice(body_start, len(text))
                self.i = len(text)
        self.pending_heredocs = []

    def _word(self) -> _Token | None:
        text, n = self.text, len(self.text)
        begin = self.i
        plain = _PLAIN.match(text, begin)
        if plain is not None and (plain.end() == n or text[plain.end()] in _WORD_ENDS):
            # The common case, a word with no quotes, escapes or expansions.
            value, self.i = plain.group(), plain.end()
            start = self.pos(begin)
            return _Token("word", value, start, words=[Word(value, value, start, self.src.end_pos(self.i),
                                                            self.src.origins[begin:self.i])])
        builder = _WordBuilder()
        while self.i < n:
            ch = text[self.i]
            if ch in _WORD_ENDS:
                break
            if ch == "#" and self.i != begin:
                # `#` inside a word is literal (a comment starts only a word).
                builder.add("#", [self.pos(self.i)])
                self.i += 1
            elif ch == "'":
                builder.quoted = True
                close = text.find("'", self.i + 1)
                close = n if close < 0 else close
                builder.add(text[self.i + 1:close], self.src.origins[self.i + 1:close])
                self.i = min(close + 1, n)
            elif ch == '"':
                builder.quoted = True
                self._double_quoted(builder)
            elif ch == "\\":
                if self.i + 1 < n:
                    if text[self.i + 1] != "\n":
                        builder.add(text[self.i + 1], [self.pos(self.i + 1)])
                    self.i += 2
                else:
                    self.i += 1
            elif ch == "$":
                self._dollar(builder, quoted=False)
            elif ch == "`":
                self._backtick(builder)
            else:
                match = _PLAIN.match(text, self.i)
                if match is None:  # a lone character the pattern excludes, such as `#`
                    builder.add(ch, [self.pos(self.i)])
                    self.i += 1
                    continue
                builder.add(match.group(), self.src.origins[self.i:match.end()])
                self.i = match.end()
        if self.i == begin:
            self.i += 1  # never stall on an unexpected character
            return None
        raw = text[begin:self.i]
        words = builder.words(raw, self.pos(begin), self.src.end_pos(self.i))
        if not words and builder.quoted:  # `""` is an empty word; an unquoted empty `$X` is none
            words = [Word("", raw, self.pos(begin), self.src.end_pos(self.i), [], True, builder.expanded)]
        return _Token("word", raw, self.pos(begin), words=words)

    def _double_quoted(self, builder: _WordBuilder):
        text, n = self.text, len(self.text)
        self.i += 1
        while self.i < n and text[self.i] != '"':
            ch = text[self.i]
            if ch == "\\" and self.i + 1 < n and text[self.i + 1] in '$`"\\\n':
                if text[self.i + 1] != "\n":
                    builder.add(text[self.i + 1], [self.pos(self.i + 1)])
                self.i += 2
            elif ch == "$":
                self._dollar(builder, quoted=True)
            elif ch == "`":
                self._backtick(builder)
            else:
                builder.add(ch, [self.pos(self.i)])
                self.i += 1
        self.i = min(self.i + 1, n)  # past the closing quote, if there is one

    def _keep_raw(self, builder: _WordBuilder, begin: int, end: int):
        builder.add(self.text[begin:end], self.src.origins[begin:end])

    def _dollar(self, builder: _WordBuilder, quoted: bool):
        text, begin = self.text, self.i
        nxt = text[self.i + 1] if self.i + 1 < len(text) else ""
        if nxt == "(":
            self.i += 1
            self.i = closing_bracket(self.text, self.i, "(", ")")
            self._keep_raw(builder, begin, self.i)
        elif nxt == "{":
            self.i += 1
            self.i = closing_bracket(self.text, self.i, "{", "}")
            inner = text[begin + 2:self.i - 1]
            value = expand_parameter(inner, self.env)
            if value is None:
                self._keep_raw(builder, begin, self.i)
            else:
                builder.expanded = True
                builder.add(value, [self.pos(begin)] * len(value), splittable=not quoted)
        else:
            match = _NAME.match(text, self.i + 1)
            if match and match.group() in self.env:
                value = self.env[match.group()]
                builder.expanded = True
                builder.add(value, [self.pos(begin)] * len(value), splittable=not quoted)
                self.i = match.end()
            elif match:
                self.i = match.end()
                self._keep_raw(builder, begin, self.i)
            else:
                self.i += 2 if nxt and (nxt.isdigit() or nxt in "@*#?$!-") else 1
                self._keep_raw(builder, begin, min(self.i, len(text)))

    def _backtick(self, builder: _WordBuilder):
        begin, text = self.i, self.text
        j = self.i + 1
        while j < len(text) and text[j] != "`":
            j += 2 if text[j] == "\\" else 1
        self.i = min(j + 1, len(text))
        self._keep_raw(builder, begin, self.i)


def tokenize(src: SourceText, env: Mapping[str, str]) -> list["Token"]:
    """The tokens of shell source; here-document bodies are read into their redirects."""
    return list(_Lexer(src, env).tokens())


_SEPARATORS = {"&&", "||", ";", ";;", ";&", "|", "|&", "&", "(", ")", "\n"}


class _Pending:
    """The parts of the simple command being read."""
    __slots__ = ("argv", "assignments", "redirects")

    def __init__(self) -> None:
        self.argv: list[Word] = []
        self.assignments: list[Word] = []
        self.redirects: list[Redirect] = []


def _command(argv: list[Word], assignments: list[Word], redirects: list[Redirect], connector: str | None,
             depth: int, interpreter: str, script: SourceText | None) -> Command:
    """A finished simple command, with the apk call it makes read once for every rule."""
    command = Command(argv, assignments, redirects, connector, depth, interpreter, script=script)
    command.apk = read_apk(command)
    return command


class ShellReadings:
    """The scripts of one file read as shell, so that the rules looking at shell syntax do not
    lex a script the parser already read: tokens and commands by the script (matched by
    identity and kept alive, as parts of the model are) and by the values of the variables
    it was read with (a changed or another mapping with other values is read anew)."""
    __slots__ = ("_read",)

    def __init__(self) -> None:
        self._read: dict[tuple, tuple[SourceText, list[_Token], list[Command]]] = {}

    @staticmethod
    def _key(src: SourceText, env: Mapping[str, str]) -> tuple:
        return id(src), frozenset(env.items())

    def keep(self, src: SourceText, env: Mapping[str, str], tokens: list[_Token], commands: list[Command]) -> None:
        self._read[self._key(src, env)] = (src, tokens, commands)

    def read(self, src: SourceText, env: Mapping[str, str]) -> tuple[list[_Token], list[Command]]:
        """The tokens and commands of `src` read as shell with `env`: kept ones, else read now."""
        found = self._read.get(self._key(src, env))
        if found is None:
            parse_shell(src, env, readings=self)
            found = self._read[self._key(src, env)]
        return found[1], found[2]


def parse_shell(src: SourceText, env: Mapping[str, str], depth: int = 0,
                interpreter: str = "sh", readings: ShellReadings | None = None) -> list[Command]:
    """Split shell source into simple commands, reading `sh -c` bodies recursively; with
    `readings`, keep the tokens and commands of each script read there."""
    commands: list[Command] = []
    current = _Pending()
    connector: str | None = None
    skip_until: set[str] | None = None  # after `for`/`case`/`select` headers
    case_depth = 0

    def finish(next_connector: str | None):
        nonlocal current, connector
        if current.argv or current.assignments:
            command = _command(current.argv, current.assignments, current.redirects, connector, depth,
                               interpreter, src)
            commands.append(command)
            commands.extend(_nested_scripts(command, env, readings))
            connector = next_connector
        elif next_connector is not None and connector is None and commands:
            connector = next_connector
        current = _Pending()

    tokens = tokenize(src, env)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if skip_until is not None:
            if (token.kind == "word" and token.words and token.word.value in skip_until) or \
                    (token.kind in ("op", "newline") and token.text in skip_until):
                skip_until = None
            continue
        if token.kind in ("op", "newline"):
            if token.text == ")" and case_depth and not current.argv:
                continue
            finish(token.text if token.text != "(" else ";")
            continue
        if token.kind == "redirect":
            current.redirects.append(token.redirect)
            continue
        words = token.words
        if not words:
            continue
        if not current.argv and not current.assignments and len(words) == 1:
            value = token.word.value
            if not token.word.quoted:
                if value in _KEYWORDS_SEPARATING:
                    if value == "esac":
                        case_depth = max(0, case_depth - 1)
                    finish(";")
                    continue
                if value in ("for", "select"):
                    skip_until = {"do", ";", "\n"}
                    continue
                if value == "case":
                    case_depth += 1
                    skip_until = {"in"}
                    continue
                if value == "function":
                    index += 1  # the function name
                    continue
                if case_depth and _is_case_pattern(tokens, index):
                    skip_until = {")"}
                    continue
                if index + 1 < len(tokens) and tokens[index].text == "(" and tokens[index + 1].text == ")":
                    index += 2  # `name() {`: a function definition header
                    continue
            if _ASSIGNMENT.match(token.word.raw):
                current.assignments.append(token.word)
                continue
        current.argv.extend(words)
    finish(None)
    if readings is not None:
        readings.keep(src, env, tokens, commands)
    return commands


def _is_case_pattern(tokens: list[_Token], index: int) -> bool:
    """Inside `case`, a word followed (after `|`-joined words) by `)` is a pattern."""
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op" and token.text == ")":
            return True
        if token.kind == "op" and token.text == "|":
            index += 2
            continue
        return False
    return False


def _shell_script_argument(command: Command) -> tuple[str, Word] | None:
    """For `sh -c 'script'` (or `busybox sh -c`), the shell's name and the script word."""
    argv = command.effective_argv()
    if len(argv) >= 2 and argv[0].value.rsplit("/", 1)[-1] == "busybox":
        argv = argv[1:]
    if not argv:
        return None
    name = argv[0].value.rsplit("/", 1)[-1]
    if name not in SHELLS:
        return None
    for position, word in enumerate(argv[1:], start=1):
        value = word.value
        if value.startswith("-") and not value.startswith("--") and "c" in value[1:]:
            if position + 1 < len(argv):
                return name, argv[position + 1]
            return None
        if not value.startswith(("-", "+")):
            return None
    return None


def _nested_scripts(command: Command, env: Mapping[str, str], readings: ShellReadings | None) -> list[Command]:
    found = _shell_script_argument(command)
    if found is None:
        return []
    shell, script = found
    if len(script.origins) != len(script.value):
        return []
    inner = parse_shell(script.source(), env, depth=command.depth + 1, interpreter=shell, readings=readings)
    if inner:
        inner[0].connector = ";"
    return inner


def split_words(src: SourceText, env: Mapping[str, str]) -> list[Word]:
    """The words of a non-shell argument list (FROM, ARG), expanded from `env`."""
    words: list[Word] = []
    for token in _Lexer(src, env).tokens():
        if token.kind == "word":
            words.extend(token.words)
    return words


def command_from_words(argv: list[Word], env: Mapping[str, str],
                       readings: ShellReadings | None = None) -> list[Command]:
    """An exec-form RUN (`RUN ["sh", "-c", "..."]`) as a command, plus any nested script."""
    command = _command(list(argv), [], [], None, 0, "exec", None)
    return [command] + _nested_scripts(command, env, readings)
