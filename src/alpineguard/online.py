"""`--online`: ask the package registries the user's own pip and npm are configured for.

Python: the index URLs come from `pip config list` (files and PIP_* variables) and pip's
own default; each index is asked for a project's file list (the simple repository API,
JSON or HTML), which tells exactly which musllinux wheels and sdists every release has.
Node: `npm view` (the user's npm, its registry and credentials) gives install scripts,
`gypfile`, optional platform packages and `libc`.

Answers are cached on disk for a day. pip's configuration is read once per run and
each package is looked up once, even by parallel worker processes: a lock file makes
the others wait for the first and read its answer (or its failure) from the cache.
Look-ups run in parallel within a time box that also stops the subprocesses still
running; any failure leaves the question to the embedded data and records a note.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import html.parser
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable

from .deps.wheels import musl_relevant, normalize, parse_wheel
from .record import Record

CACHE_TTL_SECONDS = 24 * 3600
FAILURE_TTL_SECONDS = 600  # a failed look-up is not retried by the other workers of a run
TIME_BOX_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 15.0
WORKERS = 8
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def cache_dir() -> str:
    from .knowledge import cache_dir as alpineguard_cache
    return os.path.join(alpineguard_cache(), "registry-v2")


class LookupError_(Exception):
    """A registry could not answer; the caller falls back to embedded data."""


# ---------------------------------------------------------------- disk cache

class DiskCache:
    def __init__(self, folder: str | None = None, ttl: float = CACHE_TTL_SECONDS):
        self.folder = folder or cache_dir()
        self.ttl = ttl

    def _path(self, key: str) -> str:
        return os.path.join(self.folder, hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def get(self, key: str):
        try:
            with open(self._path(key), encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or time.time() - entry.get("at", 0) > self.ttl:
            return None
        return entry.get("value")

    @contextlib.contextmanager
    def locked(self, key: str):
        """Holds an exclusive lock for `key` (across processes) while the block runs."""
        try:
            import fcntl
            os.makedirs(self.folder, exist_ok=True)
            handle = open(self._path(key) + ".lock", "w")
        except (ImportError, OSError):
            yield  # no locking here: at worst two workers ask the same question
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def failure(self, key: str) -> str | None:
        """Why a recent look-up of `key` failed, if one did."""
        entry = self.get("failed:" + key)
        return entry["why"] if isinstance(entry, dict) and time.time() - entry.get("at", 0) < FAILURE_TTL_SECONDS \
            else None

    def put_failure(self, key: str, why: str) -> None:
        self.put("failed:" + key, {"why": why, "at": time.time()})

    def put(self, key: str, value) -> None:
        try:
            os.makedirs(self.folder, exist_ok=True)
            tmp = self._path(key) + f".{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "at": time.time(), "value": value}, handle)
            os.replace(tmp, self._path(key))
        except OSError:
            pass  # a read-only home only costs the next run a look-up


# ---------------------------------------------------------------- pip's configuration

class PipConfig(Record):
    """The package indexes and options the user's pip configuration names."""
    __slots__ = ("index_urls", "find_links", "cert", "no_index")

    def __init__(self, index_urls: list[str] | None = None, find_links: list[str] | None = None,
                 cert: str | None = None, no_index: bool = False) -> None:
        self.index_urls = [] if index_urls is None else index_urls
        self.find_links = [] if find_links is None else find_links
        self.cert = cert
        self.no_index = no_index


def _pip_command() -> list[str]:
    """The user's pip: `pip3`/`pip` on PATH, else the one of this interpreter."""
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    return [sys.executable, "-m", "pip"]


_CHILDREN: set = set()  # running pip / npm subprocesses, stopped when the time box ends
_CHILDREN_LOCK = threading.Lock()


def _run(argv: list[str], timeout: float) -> str:
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True,
                                   env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1"))
    except OSError as error:
        raise LookupError_(f"{os.path.basename(argv[0])}: {error}") from None
    with _CHILDREN_LOCK:
        _CHILDREN.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise LookupError_(f"{' '.join(os.path.basename(a) for a in argv[:2])}: no answer in {timeout:.0f}s") from None
    finally:
        with _CHILDREN_LOCK:
            _CHILDREN.discard(process)
    if process.returncode != 0:
        raise LookupError_(f"{' '.join(os.path.basename(a) for a in argv[:2])}: {_failure(stdout, stderr)[:200]}")
    return stdout


def _failure(stdout: str, stderr: str) -> str:
    """Why a pip or npm command failed: npm's JSON error summary, else the last line it printed
    (npm's pointer to its log file says nothing)."""
    with contextlib.suppress(ValueError, LookupError, TypeError):
        return str(json.loads(stdout)["error"]["summary"])
    lines = [line for line in (stderr or stdout).strip().splitlines() if "complete log of this run" not in line]
    return lines[-1].strip() if lines else "failed"


def _stop(process) -> None:
    """Stops a subprocess and what it started (npm runs node, which may run more)."""
    try:
        os.killpg(process.pid, 9)
    except (OSError, AttributeError):
        with contextlib.suppress(OSError):
            process.kill()


def stop_running_lookups() -> int:
    """Stops every look-up subprocess still running; how many there were."""
    with _CHILDREN_LOCK:
        running = list(_CHILDREN)
    for process in running:
        _stop(process)
    return len(running)


_DEFAULT_INDEX_PROBE = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
_HELP_DEFAULT = re.compile(r"--index-url <url>\s+Base URL of the Python Package Index\s+\(default\s+(\S+?)\)")


def _pip_default_index(pip: list[str]) -> str:
    """pip's built-in index, asked from pip itself (never written into this program)."""
    try:
        return _run([sys.executable, "-c", _DEFAULT_INDEX_PROBE], 20).strip()
    except LookupError_:
        match = _HELP_DEFAULT.search(_run([*pip, "download", "--help"], 20))
        if not match:
            raise LookupError_("cannot tell which index pip uses by default") from None
        return match.group(1)


def parse_pip_config(listing: str) -> dict[str, str]:
    """`pip config list` lines (`global.index-url='...'`) -> the options pip download uses."""
    chosen: dict[str, tuple[int, str]] = {}
    rank = {"global": 0, "download": 1, "install": 1, ":env:": 2}
    for line in listing.splitlines():
        match = re.match(r"^([^.=]+|:env:)\.([a-z-]+)='(.*)'$", line.strip())
        if not match:
            continue
        section, key, value = match.groups()
        level = rank.get(section)
        if level is None:
            continue
        if key not in chosen or level >= chosen[key][0]:
            chosen[key] = (level, value)
    return {key: value for key, (_, value) in chosen.items()}


def pip_config(default_index: str | None = None) -> PipConfig:
    pip = _pip_command()
    options = parse_pip_config(_run([*pip, "config", "list"], 20))
    index = options.get("index-url")
    if not index:
        index = default_index or _pip_default_index(pip)
    config = PipConfig([index] + options.get("extra-index-url", "").split(),
                       options.get("find-links", "").split(), options.get("cert"),
                       options.get("no-index", "").lower() in ("1", "true", "yes", "on"))
    return config


_PIP_CONFIG_FILES = ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf")


def _pip_config_fingerprint() -> str:
    """What `pip config list` depends on: PIP_* variables, the config files, which pip."""
    files = list(_PIP_CONFIG_FILES)
    files += [os.path.join(d, "pip", "pip.conf") for d in os.environ.get("XDG_CONFIG_DIRS", "").split(":") if d]
    for variable in ("VIRTUAL_ENV", "PIP_CONFIG_FILE", "XDG_CONFIG_HOME"):
        if os.environ.get(variable):
            files.append(os.path.join(os.environ[variable], "pip.conf") if variable == "VIRTUAL_ENV"
                         else os.environ[variable])
    stamps = []
    for name in files:
        try:
            stamps.append((name, os.stat(os.path.expanduser(name)).st_mtime))
        except OSError:
            stamps.append((name, None))
    state = {"env": sorted((k, v) for k, v in os.environ.items() if k.startswith("PIP_")), "files": stamps,
             "pip": _pip_command()}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def shared_pip_config(cache: DiskCache) -> PipConfig:
    """pip's configuration, read by the first worker of a run and shared through the cache."""
    key = "pip-config:" + _pip_config_fingerprint()
    with cache.locked(key):
        stored = cache.get(key)
        if isinstance(stored, dict):
            return PipConfig(stored["index_urls"], stored["find_links"], stored["cert"], stored["no_index"])
        why = cache.failure(key)
        if why:
            raise LookupError_(why)
        try:
            config = pip_config()
        except LookupError_ as error:
            cache.put_failure(key, str(error))
            raise
        cache.put(key, {"index_urls": config.index_urls, "find_links": config.find_links, "cert": config.cert,
                        "no_index": config.no_index})
        return config


# ---------------------------------------------------------------- Python index

class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.files: list[tuple[str, str, bool]] = []
        self._anchor: dict | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._anchor, self._text = dict(attrs), ""

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            anchor, self._anchor = self._anchor, None
            href = anchor.get("href") or ""
            name = self._text.strip() or urllib.parse.unquote(href.split("#", 1)[0].rsplit("/", 1)[-1])
            self.files.append((name, anchor.get("data-requires-python") or "", "data-yanked" in anchor))

    def handle_data(self, data):
        if self._anchor is not None:
            self._text += data


def parse_index_page(body: bytes, content_type: str) -> list[tuple[str, str, bool]]:
    """(file name, requires-python, yanked) of the files of a simple-API project page.
    Yanked files stay: pip still installs a yanked release for an exact pin."""
    if "json" in content_type:
        data = json.loads(body.decode("utf-8"))
        return [(f["filename"], f.get("requires-python") or "", bool(f.get("yanked"))) for f in data.get("files", [])]
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    return parser.files


class PythonIndex:
    def __init__(self, config: PipConfig, fetch: Callable[[str], tuple[bytes, str]] | None = None):
        self.config = config
        self._fetch = fetch or self._http_get
        self._ssl = None

    def _context(self):
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self.config.cert) if self.config.cert \
                else ssl.create_default_context()
        return self._ssl

    def _http_get(self, url: str) -> tuple[bytes, str]:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme == "file":
            path = urllib.request.url2pathname(parsed.path)
            if os.path.isdir(path):
                path = os.path.join(path, "index.html")
            with open(path, "rb") as handle:
                return handle.read(), "text/html"
        headers = {"Accept": f"{_SIMPLE_JSON}, text/html;q=0.1", "User-Agent": "alpineguard"}
        if parsed.username:
            token = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
            netloc = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
            url = urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS, context=self._context()) as response:
            return response.read(), response.headers.get("Content-Type", "")

    def files(self, project: str) -> list[tuple[str, str, bool]]:
        """(file name, requires-python, yanked) of `project`'s musl-relevant files."""
        return _musl_files(project, self.listing(project))

    def listing(self, project: str) -> list[tuple[str, str, bool]]:
        """(file name, requires-python, yanked) of all of `project`'s files, across the
        configured indexes and find-links."""
        names: list[tuple[str, str, bool]] = []
        answered, problems = 0, []
        indexes = [] if self.config.no_index else self.config.index_urls
        for index in indexes:
            url = index.rstrip("/") + "/" + normalize(project) + "/"
            try:
                body, content_type = self._fetch(url)
            except FileNotFoundError:
                answered += 1  # a local index without the project
                continue
            except Exception as error:  # noqa: BLE001 - any failure means "ask the embedded data"
                code = getattr(error, "code", None)
                if code == 404:
                    answered += 1
                    continue
                problems.append(f"{_redact(index)}: {error}")
                continue
            answered += 1
            names += parse_index_page(body, content_type)
        for link in self.config.find_links:
            folder = urllib.request.url2pathname(urllib.parse.urlsplit(link).path) if link.startswith("file:") else link
            if os.path.isdir(folder):
                names += [(name, "", False) for name in os.listdir(folder)]
        if not answered and problems:
            raise LookupError_("; ".join(problems))
        return names


def _musl_files(project: str, files: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """The files a musl question needs, plus one file of each other release (so that a
    release with glibc wheels only is known to exist): keeps the cache small."""
    kept = {entry for entry in files if musl_relevant(project, entry[0])}
    seen = {parse_wheel(n).version if n.endswith(".whl") else n for n, _, _ in kept}
    for entry in sorted(files):
        wheel = parse_wheel(entry[0])
        if wheel is not None and normalize(wheel.name) == normalize(project) and wheel.version not in seen:
            seen.add(wheel.version)
            kept.add(entry)
    return sorted(kept)


def _redact(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname or url if parsed.username else url


# ---------------------------------------------------------------- npm

NPM_FIELDS = ("name", "version", "scripts", "gypfile", "optionalDependencies", "libc", "os", "cpu", "binary")
# npm's own waits between retries (10 s, then 60 s) outlast the time box: a registry that
# refuses connections would read as a time-out, not as the refusal it is.
_NPM_RETRY_WAITS = ("--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=4000")


def npm_view(spec: str) -> list[dict]:
    """`npm view <spec> <fields> --json`: one dict per matching version."""
    npm = shutil.which("npm")
    if npm is None:
        raise LookupError_("npm is not installed")
    out = _run([npm, "view", spec, *NPM_FIELDS, "--json", *_NPM_RETRY_WAITS], REQUEST_TIMEOUT_SECONDS + 10)
    if not out.strip():
        return []
    data = json.loads(out)
    return data if isinstance(data, list) else [data]


# ---------------------------------------------------------------- one run's look-ups

class Fallback(Record, frozen=True):
    """A dependency checked with the embedded data because its registry look-up failed."""
    __slots__ = ("ecosystem", "package", "why")

    def __init__(self, ecosystem: str, package: str, why: str) -> None:
        self.ecosystem = ecosystem  # "Python" or "npm"
        self.package = package  # the project name, or the npm spec (name@version)
        self.why = why


def fallback_notes(fallbacks) -> list[str]:
    """One line per ecosystem and cause, naming every package that fell back to the embedded data."""
    by_cause: dict[tuple[str, str], list[str]] = {}
    for fallback in sorted(set(fallbacks), key=lambda f: (f.ecosystem, f.why, f.package)):
        by_cause.setdefault((fallback.ecosystem, fallback.why), []).append(fallback.package)
    return [f"registry look-up failed for {ecosystem} package{'s' if len(names) > 1 else ''} {', '.join(names)} "
            f"({why}); used the embedded data for {'them' if len(names) > 1 else 'it'}"
            for (ecosystem, why), names in by_cause.items()]


class Answers(Record):
    """Registry answers of one run, and the packages that fell back to embedded data."""
    __slots__ = ("python", "npm", "fallbacks")

    def __init__(self, python: dict[str, list[list[str]]] | None = None,
                 npm: dict[str, list[dict]] | None = None, fallbacks: list[Fallback] | None = None) -> None:
        self.python = {} if python is None else python  # project -> [file name, requires-python]
        self.npm = {} if npm is None else npm  # spec -> npm view records
        self.fallbacks = [] if fallbacks is None else fallbacks

    @property
    def notes(self) -> list[str]:
        return fallback_notes(self.fallbacks)


class Registry:
    """Parallel, time-boxed, cached look-ups for one run (in one process: see RunContext)."""

    def __init__(self, cache: DiskCache | None = None, python_index: PythonIndex | None = None,
                 npm: Callable[[str], list[dict]] = npm_view, time_box: float = TIME_BOX_SECONDS):
        self.cache = cache or DiskCache()
        self._python_index = python_index
        self._npm = npm
        self.time_box = time_box
        self.answers = Answers()
        self._lock = threading.Lock()
        self._config_lock = threading.Lock()
        self._config_problem: str | None = None
        self._asked: set[tuple[str, str]] = set()  # asked once per run, answered or not

    def _index(self) -> PythonIndex | None:
        with self._config_lock:  # one `pip config list` for all the threads (and, through the cache, workers)
            if self._python_index is None and self._config_problem is None:
                try:
                    self._python_index = PythonIndex(shared_pip_config(self.cache))
                except LookupError_ as error:
                    self._config_problem = f"cannot read pip's configuration ({error})"
        return self._python_index

    def _cached(self, key: str, look_up: Callable[[], object]):
        """The cached answer for `key`, else one look-up shared by the run's workers."""
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self.cache.locked(key):
            cached = self.cache.get(key)  # another worker may have answered while this one waited
            if cached is not None:
                return cached
            why = self.cache.failure(key)
            if why:
                raise LookupError_(why)
            try:
                cached = look_up()
            except Exception as error:  # noqa: BLE001 - recorded, so that no other worker retries it
                self.cache.put_failure(key, str(error))
                raise
            self.cache.put(key, cached)
            return cached

    def _look_up_python(self, project: str):
        index = self._index()
        if index is None:
            raise LookupError_(self._config_problem or "no Python index")
        return index.files(project)

    def _python(self, project: str):
        cached = self._cached("pypi:" + project, lambda: self._look_up_python(project))
        with self._lock:
            self.answers.python[project] = cached

    def _npm_spec(self, spec: str):
        cached = self._cached("npm:" + spec, lambda: self._npm(spec))
        with self._lock:
            self.answers.npm[spec] = cached

    def prefetch(self, python_projects=(), npm_specs=()) -> Answers:
        """Look up what was not asked yet in this run; failures and time-outs become
        fallbacks: the packages left to the embedded data, and why."""
        jobs = [(self._python, normalize(p), "Python") for p in sorted({normalize(p) for p in python_projects})
                if ("python", normalize(p)) not in self._asked]
        jobs += [(self._npm_spec, s, "npm") for s in sorted(set(npm_specs)) if ("npm", s) not in self._asked]
        if not jobs:
            return self.answers
        self._asked.update(("python" if what == "Python" else "npm", arg) for _, arg, what in jobs)
        outcomes: dict[tuple[str, str], str | None] = {}
        finished = threading.Condition()
        queue = list(jobs)

        def work():
            while True:
                with finished:
                    if not queue:
                        return
                    func, arg, what = queue.pop(0)
                try:
                    func(arg)
                    outcome = None
                except Exception as error:  # noqa: BLE001 - any failure means "ask the embedded data"
                    outcome = str(error) or type(error).__name__
                with finished:
                    outcomes[(what, arg)] = outcome
                    finished.notify_all()

        # daemon threads: a look-up still hanging at the deadline does not hold the run
        for _ in range(min(WORKERS, len(jobs))):
            threading.Thread(target=work, name="alpineguard-online", daemon=True).start()
        deadline = time.monotonic() + self.time_box
        with finished:
            while len(outcomes) < len(jobs) and time.monotonic() < deadline:
                finished.wait(deadline - time.monotonic())
            pending = sorted((what, arg) for _, arg, what in jobs if (what, arg) not in outcomes)
            queue.clear()
        if pending:
            stop_running_lookups()
        with self._lock:
            self.answers.fallbacks += [Fallback(what, arg, f"no answer within the {self.time_box:g}s time box")
                                       for what, arg in pending]
            self.answers.fallbacks += [Fallback(what, arg, problem)
                                       for (what, arg), problem in sorted(outcomes.items()) if problem is not None]
        return self.answers

    def look_up(self, python_projects=(), npm_specs=()) -> list[Fallback]:
        """prefetch(), returning the packages it left to the embedded data: the caller's check
        reports them, so they travel in the run's result (also from worker processes, each
        with its own registry)."""
        known = len(self.answers.fallbacks)
        self.prefetch(python_projects, npm_specs)
        return self.answers.fallbacks[known:]
