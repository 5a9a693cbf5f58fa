"""AG0xx: problems with the input itself, reported by the engine."""
from .registry import declare

declare("AG001", "parse-error", "error",
        "The file cannot be read as a Dockerfile.",
        rationale="""
An unterminated heredoc, an instruction without arguments or an unknown instruction
makes `docker build` fail before anything runs. alpineguard reports the line and keeps
checking the rest of the file and the other files.""",
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
