"""AG0xx: problems with the input itself, reported by the engine."""
from .registry import declare

declare("AG001", "parse-error", "error",
        "The file cannot be read as a Dockerfile.",
        rationale="""
What BuildKit's parser rejects makes `docker build` fail before anything runs: an
unterminated heredoc (a heredoc opens at any whole word `<<NAME`, so `-u <<UID>>` opens
one named `UID>>`), an unknown instruction, an instruction other than RUN, CMD or
ENTRYPOINT without arguments, anything but ARG before the first FROM (reported once),
FROM with other than an image and an optional `AS name` (a `#` after it starts no
comment), COPY or ADD with a single argument, a file with no instructions at all, an
ONBUILD trigger Docker refuses (`ONBUILD ONBUILD`, `ONBUILD FROM`, `ONBUILD MAINTAINER`). What
BuildKit accepts is no finding: a keyword followed by a line continuation (`RUN\\`), or
a template placeholder in FROM (`<REPO>/app`), which parses and only names an unknown
image. alpineguard reports the line and keeps checking the rest of the file and the
other files.""",
        bad="""
RUN <<EOF
apk add --no-cache curl
""",
        good="""
RUN <<EOF
apk add --no-cache curl
EOF
""")

declare("AG002", "unreadable-file", "error",
        "The file is not text, cannot be read, or is larger than the size limit.",
        rationale="""
Binary files, bytes that are not UTF-8, files that cannot be opened and files over the
configured size limit cannot be checked. The message says which; the other files are
still checked.""")

declare("AG003", "invalid-pragma", "warning",
        "An inline pragma names no known rule, is misspelt, or stands where it hides nothing.",
        rationale="""
A pragma that does not work fails silently: the finding it was meant to hide shows up
anyway, or worse, a typo in a rule ID hides nothing while the author believes the
question settled. alpineguard reports `# alpineguard:` pragmas that name an unknown rule
(at the rule ID), use an unknown verb, name no rule, or stand where no instruction
follows (a blank line, the end of the file, the inside of a continuation). hadolint
pragmas are hadolint's business and are never reported; see the README for the hadolint
codes alpineguard honours.""",
        bad="""
# alpineguard: ignore=AG10
RUN apk add curl
""",
        good="""
# alpineguard: ignore=AG101 the index is removed by the base image's cleanup hook
RUN apk add curl
""",
        fix="Name an existing rule ID (`--list-rules`) and put the pragma directly above the instruction.")

declare("AG004", "build-definition-error", "error",
        "A compose or bake file cannot be read, or a build in it cannot be used.",
        rationale="""
alpineguard reads compose files and bake files for the context, Dockerfile, args and
target of each build. A file that is not valid YAML, HCL or JSON, a compose file whose
`services` or `build` has the wrong shape, a `${...}` that Compose rejects, or a `.env`
line Compose cannot read makes `docker compose build` or `docker buildx bake` fail too.
The finding points at the place (a YAML error at its line and column); the Dockerfiles
are still checked on their own, as without build definitions.""",
        fix="Repair the file at the place shown; `docker compose config` or `docker buildx bake --print` shows how "
            "Docker reads it.")
