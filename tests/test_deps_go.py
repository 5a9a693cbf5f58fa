"""AG404 go-cgo-no-toolchain."""
from __future__ import annotations

from deps_helpers import at, lint_context

GO_MOD = "module example.org/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/mattn/go-sqlite3 v1.14.22\n)\n"


def test_race_flag_without_gcc(tmp_path):
    findings = lint_context(tmp_path, "FROM golang:1.23-alpine\nRUN go test -race ./...\n")
    assert at(findings) == [("AG404", 2, 13, "error")]


def test_cgo_enabled_env(tmp_path):
    findings = lint_context(tmp_path, "FROM golang:1.23-alpine\nENV CGO_ENABLED=1\nRUN go build ./cmd/app\n")
    assert at(findings) == [("AG404", 3, 8, "error")]


def test_cgo_module_in_copied_go_mod(tmp_path):
    findings = lint_context(tmp_path, "FROM golang:1.23-alpine\nWORKDIR /src\nCOPY go.mod ./\nCOPY . .\nRUN go build -o /app .\n",
                            {"go.mod": GO_MOD})
    assert at(findings) == [("AG404", 5, 8, "error")]
    assert "github.com/mattn/go-sqlite3 (go.mod:6)" in findings[0].message


def test_toolchain_present_or_cgo_off_or_pure_go(tmp_path):
    assert lint_context(tmp_path, "FROM golang:1.23-alpine\nRUN apk add --no-cache gcc musl-dev && go test -race ./...\n") == []
    assert lint_context(tmp_path, "FROM golang:1.23-alpine\nRUN apk add build-base\nRUN CGO_ENABLED=1 go build .\n") == []
    assert lint_context(tmp_path, "FROM golang:1.23-alpine\nCOPY . .\nRUN CGO_ENABLED=0 go build .\n", {"go.mod": GO_MOD}) == []
    assert lint_context(tmp_path, "FROM golang:1.23-alpine\nRUN go build ./...\n") == []


def test_go_mod_not_copied_is_not_read(tmp_path):
    assert lint_context(tmp_path, "FROM golang:1.23-alpine\nRUN go build .\n", {"go.mod": GO_MOD}) == []


def test_glibc_golang_image_not_checked(tmp_path):
    assert lint_context(tmp_path, "FROM golang:1.23-bookworm\nRUN go test -race ./...\n") == []
