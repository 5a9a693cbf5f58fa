"""AG301-AG304: PID 1, init and entrypoint, through the real parser and engine."""
from __future__ import annotations

import subprocess

import pytest

from conftest import apply_fix, lint, where


def findings(text, rule, **settings):
    return [f for f in lint(text, select=rule, **settings) if f.rule == rule]


# --- AG301 no-init -------------------------------------------------------------------

def test_cmd_only_image_runs_its_program_as_pid1():
    text = """
        FROM alpine:3.20
        COPY app /usr/local/bin/app
        CMD ["app", "--serve"]
    """
    found = findings(text, "AG301")
    assert where(found) == [("AG301", 3, 6)]
    assert "`app` runs as PID 1" in found[0].message


def test_tini_entrypoint_is_an_init():
    text = """
        FROM alpine:3.20
        RUN apk add --no-cache tini
        ENTRYPOINT ["/sbin/tini", "--"]
        CMD ["app"]
    """
    assert findings(text, "AG301") == []


def test_other_inits_are_recognised():
    for entrypoint in ('["dumb-init", "--"]', '["/init"]', '["catatonit", "--"]', '["/tini-static-amd64", "--"]',
                       '["/usr/bin/env", "tini", "--"]'):
        assert findings(f'FROM alpine:3.20\nENTRYPOINT {entrypoint}\nCMD ["app"]\n', "AG301") == [], entrypoint


def test_require_init_off_silences_it():
    assert findings('FROM alpine:3.20\nCMD ["app"]\n', "AG301", require_init=False) == []


def test_no_entrypoint_or_cmd_leaves_the_base_images_process_alone():
    assert findings("FROM python:3.12-alpine3.20\nCOPY . /app\n", "AG301") == []


def test_non_alpine_final_stages_get_nothing():
    for base in ("debian:12", "scratch", "gcr.io/distroless/static-debian12"):
        text = f'FROM alpine:3.20 AS build\nCMD ["x"]\nFROM {base}\nCMD ["app"]\n'
        assert findings(text, "AG3") == [], base


def test_entrypoint_script_is_pid1_unless_it_hands_over_to_a_server():
    text = """
        FROM alpine:3.20
        COPY entrypoint.sh /usr/local/bin/
        ENTRYPOINT ["entrypoint.sh"]
        CMD {cmd}
    """
    found = findings(text.format(cmd='["node", "server.js"]'), "AG301")
    assert where(found) == [("AG301", 3, 13)] and "`entrypoint.sh` runs as PID 1" in found[0].message
    # By convention the script ends in `exec "$@"`: the server it is given becomes PID 1.
    assert findings(text.format(cmd='["nginx", "-g", "daemon off;"]'), "AG301") == []
    alone = findings('FROM alpine:3.20\nENTRYPOINT ["/entrypoint.sh"]\n', "AG301")
    assert where(alone) == [("AG301", 2, 13)]


def test_official_entrypoint_scripts_hand_pid1_to_their_cmd():
    text = """
        FROM {base}
        ENTRYPOINT ["docker-entrypoint.sh"]
        CMD {cmd}
    """
    assert findings(text.format(base="postgres:17-alpine3.22", cmd='["postgres"]'), "AG301") == []
    found = findings(text.format(base="node:22-alpine3.22", cmd='["node", "app.js"]'), "AG301")
    assert where(found) == [("AG301", 3, 6)]
    assert "`node` (started by `docker-entrypoint.sh`) runs as PID 1" in found[0].message
    # Without a CMD it is a base image: its users' CMD will be PID 1, and is judged there.
    assert findings('FROM alpine:3.20\nENTRYPOINT ["docker-entrypoint.sh"]\n', "AG301") == []


@pytest.mark.parametrize("cmd", ['["java", "-jar", "/app.jar"]', '["dotnet", "App.dll"]', '["nginx", "-g", "daemon off;"]',
                                 '["php-fpm83", "-F"]', '["postgres"]', '["gunicorn", "app:app"]',
                                 '["/usr/bin/supervisord", "-n"]', '["traefik"]', '["mvn"]',
                                 '["neo4j", "console"]'])
def test_programs_that_handle_sigterm_as_pid1(cmd):
    assert findings(f"FROM alpine:3.20\nCMD {cmd}\n", "AG301") == []


@pytest.mark.parametrize("cmd", ['["node", "server.js"]', '["python3", "-m", "app"]', '["ruby", "app.rb"]',
                                 '["php", "worker.php"]', '["/start.sh"]', '["npm", "start"]', '["sh"]',
                                 '["uwsgi", "--ini", "app.ini"]'])
def test_programs_that_ignore_sigterm_as_pid1(cmd):
    found = findings(f"FROM alpine:3.20\nCMD {cmd}\n", "AG301")
    assert where(found) == [("AG301", 2, 6)]


def test_go_and_dotnet_programs_built_in_the_dockerfile():
    go = """
        FROM golang:1.23-alpine3.20 AS build
        RUN go build -o /out/server ./cmd/server
        FROM alpine:3.20
        WORKDIR /srv
        COPY --from=build /out/server ./
        CMD ["./server"]
    """
    assert findings(go, "AG301") == []
    built_on_alpine = go.replace("golang:1.23-alpine3.20", "alpine:3.20")
    assert findings(built_on_alpine, "AG301") == []
    not_go = go.replace("golang:1.23-alpine3.20", "rust:1-alpine3.20").replace("go build", "cargo build")
    assert where(findings(not_go, "AG301")) == [("AG301", 6, 6)]
    elsewhere = go.replace('CMD ["./server"]', 'CMD ["/usr/local/bin/server"]')
    assert where(findings(elsewhere, "AG301")) == [("AG301", 6, 6)]
    dotnet = """
        FROM mcr.microsoft.com/dotnet/sdk:8.0-alpine3.20 AS build
        RUN dotnet publish -c Release -o /app
        FROM mcr.microsoft.com/dotnet/runtime-deps:8.0-alpine3.20
        COPY --from=build /app /app
        ENTRYPOINT ["/app/Shop"]
    """
    assert findings(dotnet, "AG301") == []


def test_the_program_a_shell_execs_is_pid1():
    assert findings('FROM alpine:3.20\nCMD ["sh", "-c", "cd /srv && exec java -jar app.jar"]\n', "AG301") == []
    assert findings("FROM alpine:3.20\nCMD cd /srv && java -jar app.jar\n", "AG301") == []
    found = findings("FROM alpine:3.20\nCMD cd /srv && node server.js\n", "AG301")
    assert where(found) == [("AG301", 2, 16)] and "`node` runs as PID 1" in found[0].message
    piped = findings("FROM alpine:3.20\nCMD java -jar app.jar | tee /log\n", "AG301")
    assert where(piped) == [("AG301", 2, 5)]
    assert piped[0].message.startswith("`/bin/sh -c` (it stays in front of `java`, see AG303) runs as PID 1")
    nested = findings('FROM alpine:3.20\nCMD ["sh", "-c", "java -jar app.jar | tee /log"]\n', "AG301")
    assert nested[0].message.startswith("`sh -c` (it stays in front of `java`, see AG303)")
    # ENTRYPOINT ["sh", "-c"] takes its script from the CMD.
    assert findings('FROM alpine:3.20\nENTRYPOINT ["sh", "-c"]\nCMD ["exec java -jar app.jar"]\n', "AG301") == []
    handed = findings('FROM alpine:3.20\nENTRYPOINT ["sh", "-c"]\nCMD ["node app.js"]\n', "AG301")
    assert where(handed) == [("AG301", 3, 7)] and "`node` runs as PID 1" in handed[0].message


def test_program_built_in_the_final_stage():
    text = """
        FROM alpine:3.20
        RUN apk add --no-cache go && go build -o /usr/local/bin/api ./cmd/api
        CMD ["api"]
    """
    assert findings(text, "AG301") == []
    assert len(findings(text.replace("go build", "gcc -static"), "AG301")) == 1


def test_names_shared_by_several_programs():
    # Apache's httpd handles SIGTERM; BusyBox httpd (-f) does not.
    assert findings('FROM alpine:3.20\nCMD ["httpd", "-DFOREGROUND"]\n', "AG301") == []
    assert len(findings('FROM alpine:3.20\nCMD ["httpd", "-f", "-p", "80"]\n', "AG301")) == 1


def test_command_line_tool_images_and_broken_exec_form():
    # A tool whose default run prints its help is not a service.
    assert findings('FROM alpine:3.20\nENTRYPOINT ["yt-dlp"]\nCMD ["--help"]\n', "AG301") == []
    assert len(findings('FROM alpine:3.20\nENTRYPOINT ["yt-dlp"]\nCMD ["--watch"]\n', "AG301")) == 1
    # One string with a space names no program at all: not an init question.
    assert findings('FROM alpine:3.20\nENTRYPOINT ["app --verbose"]\n', "AG301") == []


def test_user_switchers_hand_over_to_their_command():
    assert findings('FROM alpine:3.20\nCMD ["su-exec", "www", "nginx", "-g", "daemon off;"]\n', "AG301") == []
    found = findings('FROM alpine:3.20\nCMD ["gosu", "app", "node", "server.js"]\n', "AG301")
    assert where(found) == [("AG301", 2, 21)]


def test_entrypoint_script_written_in_a_heredoc():
    script = """
        FROM alpine:3.20
        RUN apk add --no-cache tini
        COPY --chmod=755 <<EOF /entrypoint.sh
        #!/bin/sh
        set -e
        exec {call} "$@"
        EOF
        ENTRYPOINT ["/entrypoint.sh"]
        CMD ["app"]
    """
    assert findings(script.format(call="/sbin/tini --"), "AG301") == []
    assert where(findings(script.format(call=""), "AG301")) == [("AG301", 8, 13)]


def test_inherited_cmd_is_reported_where_it_is_written():
    text = """
        FROM alpine:3.20 AS base
        CMD ["app"]

        FROM base
        COPY app /usr/local/bin/
    """
    assert where(findings(text, "AG301")) == [("AG301", 2, 6)]


def test_inherited_init_entrypoint_keeps_covering_a_new_cmd():
    text = """
        FROM alpine:3.20 AS base
        RUN apk add --no-cache tini
        ENTRYPOINT ["/sbin/tini", "--"]

        FROM base
        CMD ["app"]
    """
    assert findings(text, "AG301") == []


def test_empty_entrypoint_resets_the_inherited_init():
    text = """
        FROM alpine:3.20 AS base
        RUN apk add --no-cache tini
        ENTRYPOINT ["/sbin/tini", "--"]
        CMD ["old"]

        FROM base
        ENTRYPOINT []
        CMD ["app"]
    """
    assert where(findings(text, "AG301")) == [("AG301", 8, 6)]


def test_entrypoint_resets_a_cmd_inherited_from_an_earlier_stage():
    text = """
        FROM alpine:3.20 AS base
        CMD ["old"]

        FROM base
        ENTRYPOINT ["server"]
    """
    found = findings(text, "AG301")
    assert where(found) == [("AG301", 5, 13)]
    assert "`server`" in found[0].message


def test_base_image_that_runs_an_init():
    text = 'FROM jenkins/jenkins:lts-alpine\nCMD ["app"]\n'
    assert findings(text, "AG301") == []
    # Its init is replaced by an ENTRYPOINT of the Dockerfile's own.
    assert where(findings('FROM jenkins/jenkins:lts-alpine\nENTRYPOINT ["app"]\n', "AG301")) == [("AG301", 2, 13)]


def test_configured_init_images():
    text = 'FROM registry.example.com/team/base:1-alpine\nCMD ["app"]\n'
    assert where(findings(text, "AG301")) == [("AG301", 2, 6)]
    assert findings(text, "AG301", init_images=("team/base",)) == []


def test_shell_form_and_crlf():
    text = "FROM alpine:3.20\r\nRUN apk add --no-cache tini\r\nCMD exec app --port 80\r\n"
    assert where(findings(text, "AG301")) == [("AG301", 3, 10)]
    text = "FROM alpine:3.20\r\nRUN apk add --no-cache tini\r\nENTRYPOINT exec /sbin/tini -- app\r\n"
    assert findings(text, "AG301") == []


def test_target_chooses_the_final_stage():
    text = 'FROM alpine:3.20 AS app\nCMD ["app"]\nFROM debian:12\nCMD ["x"]\n'
    assert where(findings(text, "AG301", target="app")) == [("AG301", 2, 6)]


# --- AG302 init-not-installed ----------------------------------------------------------

def test_tini_never_installed():
    text = """
        FROM alpine:3.20
        ENTRYPOINT ["/sbin/tini", "--"]
        CMD ["app"]
    """
    found = findings(text, "AG302")
    assert where(found) == [("AG302", 2, 13)]
    assert "apk add --no-cache tini" in found[0].message


def test_dumb_init_in_cmd_never_installed():
    assert where(findings('FROM alpine:3.20\nCMD ["dumb-init", "app"]\n', "AG302")) == [("AG302", 2, 6)]
    text = 'FROM alpine:3.20\nRUN apk add --no-cache dumb-init\nCMD ["dumb-init", "app"]\n'
    assert findings(text, "AG302") == []


def test_installed_in_a_stage_it_inherits_from_counts():
    text = """
        FROM alpine:3.20 AS base
        RUN set -eux; \\
            apk add --no-cache \\
            # the init
              tini

        FROM base
        ENTRYPOINT ["/sbin/tini", "--"]
    """
    assert findings(text, "AG302") == []


def test_installed_in_an_unrelated_stage_does_not_count():
    text = """
        FROM alpine:3.20 AS tools
        RUN apk add --no-cache tini

        FROM alpine:3.20
        ENTRYPOINT ["/sbin/tini", "--"]
    """
    assert where(findings(text, "AG302")) == [("AG302", 5, 13)]


def test_copied_or_downloaded_in():
    copied = """
        FROM alpine:3.20 AS tools
        RUN apk add --no-cache tini

        FROM alpine:3.20
        COPY --from=tools /sbin/tini /sbin/tini
        ENTRYPOINT ["/sbin/tini", "--"]
    """
    added = """
        FROM alpine:3.20
        ADD --chmod=755 https://github.com/krallin/tini/releases/download/v0.19.0/tini-static /tini
        ENTRYPOINT ["/tini", "--"]
    """
    downloaded = """
        FROM alpine:3.20
        RUN wget -O /usr/local/bin/tini https://example.org/tini && chmod +x /usr/local/bin/tini
        ENTRYPOINT ["tini", "--"]
    """
    for text in (copied, added, downloaded):
        assert findings(text, "AG302") == [] and findings(text, "AG304") == [], text


def test_deleted_again_is_not_installed():
    text = """
        FROM alpine:3.20
        RUN apk add --no-cache tini
        RUN apk del tini
        ENTRYPOINT ["/sbin/tini", "--"]
    """
    assert where(findings(text, "AG302")) == [("AG302", 4, 13)]


def test_no_check_for_unknown_bases_or_init_images():
    inferred = 'FROM mycorp/base:1\nRUN apk add --no-cache curl\nENTRYPOINT ["/sbin/tini", "--"]\n'
    init_image = 'FROM jenkins/jenkins:lts-alpine\nENTRYPOINT ["/usr/bin/tini", "--"]\n'
    debian = 'FROM debian:12\nENTRYPOINT ["/sbin/tini", "--"]\n'
    for text in (inferred, init_image, debian):
        assert findings(text, "AG302") == [] and findings(text, "AG304") == [], text


# --- AG304 init-wrong-path -------------------------------------------------------------

def test_debian_path_of_tini_is_wrong_on_alpine():
    text = """
        FROM alpine:3.20
        RUN apk add --no-cache tini
        ENTRYPOINT ["/usr/bin/tini", "--"]
    """
    found = findings(text, "AG304")
    assert where(found) == [("AG304", 3, 13)]
    assert (found[0].start, found[0].end) == ((3, 13), (3, 28))
    assert "`/sbin/tini`" in found[0].message
    fix = found[0].fix
    assert fix is not None and not fix.safe
    assert apply_fix(text, fix).split("\n")[2] == 'ENTRYPOINT ["/sbin/tini", "--"]'
    assert findings(apply_fix(text, fix), "AG3") == []


def test_path_where_the_dockerfile_put_it():
    text = 'FROM alpine:3.20\nADD tini /tini\nENTRYPOINT ["/sbin/tini", "--"]\n'
    found = findings(text, "AG304")
    assert where(found) == [("AG304", 3, 13)]
    assert found[0].fix.edits[0].replacement == '"/tini"'


def test_tini_static_package_path():
    text = 'FROM alpine:3.20\nRUN apk add --no-cache tini-static\nENTRYPOINT ["/sbin/tini", "--"]\n'
    found = findings(text, "AG304")
    assert found[0].fix.edits[0].replacement == '"/sbin/tini-static"'


def test_symlink_puts_it_there():
    text = """
        FROM alpine:3.20
        RUN apk add --no-cache tini && ln -s /sbin/tini /usr/bin/tini
        ENTRYPOINT ["/usr/bin/tini", "--"]
    """
    assert findings(text, "AG304") == []


def test_bare_name_is_looked_up_in_path():
    ok = 'FROM alpine:3.20\nRUN apk add --no-cache dumb-init\nENTRYPOINT ["dumb-init", "--"]\n'
    assert findings(ok, "AG304") == []
    narrowed = 'FROM alpine:3.20\nRUN apk add --no-cache tini\nENV PATH=/usr/bin:/bin\nENTRYPOINT ["tini", "--"]\n'
    found = findings(narrowed, "AG304")
    assert where(found) == [("AG304", 4, 13)]
    assert found[0].fix.edits[0].replacement == '"/sbin/tini"'


def test_shell_form_path_fix_and_workdir():
    text = 'FROM alpine:3.20\nRUN apk add --no-cache dumb-init\nENTRYPOINT exec /usr/local/bin/dumb-init -- app\n'
    found = findings(text, "AG304")
    assert where(found) == [("AG304", 3, 17)]
    assert apply_fix(text, found[0].fix).split("\n")[2] == "ENTRYPOINT exec /usr/bin/dumb-init -- app"
    relative = 'FROM alpine:3.20\nWORKDIR /opt\nCOPY tini bin/\nENTRYPOINT ["/opt/bin/tini", "--"]\n'
    assert findings(relative, "AG3") == []


# --- AG303 shell-form-entrypoint -------------------------------------------------------

# Shell-form CMD scripts, with PROG standing for the program. Whether BusyBox ash replaces
# itself with PROG (so no shell stays PID 1) is measured below with the real ash; AG303
# must report exactly the scripts where the shell stays.
SCRIPTS = [
    ("PROG", False),
    ("cd / && PROG", False),
    ("cd /; PROG", False),
    ("X=1 PROG", False),
    ("false || PROG", False),
    ("sleep 0 & PROG", False),
    ("if true; then PROG; fi", False),
    ("PROG | cat", True),
    ("PROG &", True),
    ("trap 'exit' TERM; PROG", True),
    ("PROG; echo done", True),
    ("PROG || exit 1", True),
    ("while true; do PROG; break; done", True),
]


@pytest.mark.parametrize("script,stays", SCRIPTS, ids=[s for s, _ in SCRIPTS])
def test_cmd_reported_exactly_where_busybox_ash_stays_pid1(busybox, script, stays):
    probe = "echo $$; " + script.replace("PROG", "cut -d' ' -f1 /proc/self/stat")
    done = subprocess.run([busybox, "ash", "-c", probe], capture_output=True, text=True, timeout=30)
    shell_pid, program_pid = done.stdout.split()[:2]
    assert (shell_pid != program_pid) == stays, done.stdout
    found = findings(f"FROM alpine:3.20\nCMD {script.replace('PROG', 'node server.js')}\n", "AG303")
    assert len(found) == (1 if stays else 0), found
    if stays:
        assert "keeps `/bin/sh -c` as PID 1" in found[0].message and found[0].fix is None


def test_old_alpine_and_other_shells_keep_the_shell():
    text = "FROM alpine:3.7\nCMD node server.js --port 8080\n"
    found = findings(text, "AG303")
    assert [(f.start, f.end) for f in found] == [((2, 5), (2, 31))]
    assert "Alpine before 3.8" in found[0].message
    assert found[0].fix.safe
    fixed = apply_fix(text, found[0].fix)
    assert fixed.split("\n")[1] == 'CMD ["node", "server.js", "--port", "8080"]'
    assert findings(fixed, "AG303") == []
    bash = 'FROM alpine:3.20\nRUN apk add --no-cache bash\nSHELL ["/bin/bash", "-c"]\nCMD node server.js\n'
    assert "not BusyBox ash" in findings(bash, "AG303")[0].message


def test_a_command_that_needs_the_shell_is_told_to_exec():
    for cmd in ("java $JAVA_OPTS -jar app.jar", "PORT=80 node server.js"):
        found = findings(f"FROM alpine:3.7\nCMD {cmd}\n", "AG303")
        assert len(found) == 1 and found[0].fix is None, cmd
        assert "start the command with `exec`" in found[0].message and "use exec form" not in found[0].message
        assert findings(f"FROM alpine:3.7\nCMD exec {cmd}\n".replace("exec PORT=80", "PORT=80 exec"), "AG303") \
            in ([], found) and findings(f"FROM alpine:3.7\nCMD exec java $JAVA_OPTS -jar app.jar\n", "AG303") == []


def test_shell_form_entrypoint_ignores_arguments():
    text = "FROM alpine:3.20\nENTRYPOINT node server.js\n"
    found = findings(text, "AG303")
    assert where(found) == [("AG303", 2, 12)]
    assert "ignores CMD and `docker run` arguments" in found[0].message and "PID 1" not in found[0].message
    assert found[0].fix.safe
    assert apply_fix(text, found[0].fix).split("\n")[1] == 'ENTRYPOINT ["node", "server.js"]'
    # With a CMD in force, exec form passes it on as arguments: not a safe rewrite.
    with_cmd = 'FROM alpine:3.20\nENTRYPOINT node server.js\nCMD ["--port", "80"]\n'
    assert not findings(with_cmd, "AG303")[0].fix.safe


def test_shell_form_entrypoint_that_needs_the_shell():
    found = findings("FROM alpine:3.20\nENTRYPOINT java $JAVA_OPTS -jar app.jar\n", "AG303")
    assert "needs the shell for `$JAVA_OPTS`" in found[0].message and '"$@"' in found[0].message
    assert found[0].fix is None
    listed = findings("FROM alpine:3.20\nENTRYPOINT cd /app && node server.js\n", "AG303")
    assert "needs the shell for `&&`" in listed[0].message


def test_fix_keeps_quoted_words_and_joins_continuations():
    text = 'FROM alpine:3.20\nENTRYPOINT python3 \\\n    "my app.py"\n'
    found = findings(text, "AG303")
    assert where(found) == [("AG303", 2, 12)]
    assert apply_fix(text, found[0].fix).split("\n")[1] == 'ENTRYPOINT ["python3", "my app.py"]'


def test_no_fix_where_the_shell_does_work():
    for cmd in ("cd /app && node server.js", "node $APP_MAIN", "node *.js", "node server.js # main",
                "node server.js > /log", "FOO=1 node server.js", "set -e"):
        found = findings(f"FROM alpine:3.7\nENV APP_MAIN=x.js\nCMD {cmd}\n", "AG303")
        assert len(found) == 1 and found[0].fix is None, cmd


def test_exec_prefixed_and_exec_form_are_fine():
    assert findings("FROM alpine:3.7\nCMD exec node server.js\n", "AG303") == []
    assert findings("FROM alpine:3.20\nENTRYPOINT exec node server.js\n", "AG303") == []
    assert findings('FROM alpine:3.7\nCMD ["node", "server.js"]\n', "AG303") == []


def test_exec_form_that_is_not_json():
    text = "FROM alpine:3.20\nCMD ['bundle', 'exec', 'rackup']\n"
    found = findings(text, "AG303")
    assert where(found) == [("AG303", 2, 5)] and "not a JSON array" in found[0].message
    assert found[0].fix.safe
    assert apply_fix(text, found[0].fix).split("\n")[1] == 'CMD ["bundle", "exec", "rackup"]'
    missing_commas = findings('FROM alpine:3.20\nENTRYPOINT ["make" "test"]\n', "AG303")
    assert "not a JSON array" in missing_commas[0].message and missing_commas[0].fix is None


def test_shell_form_arguments_for_an_exec_form_entrypoint():
    text = 'FROM alpine:3.20\nENTRYPOINT ["md2html"]\nCMD --help\n'
    found = findings(text, "AG303")
    assert where(found) == [("AG303", 3, 5)]
    assert "reaches ENTRYPOINT `md2html` as `/bin/sh -c '--help'`" in found[0].message
    assert apply_fix(text, found[0].fix).split("\n")[2] == 'CMD ["--help"]'
    # A command handed to a wrapper entrypoint is run by the shell, which execs it.
    assert findings('FROM alpine:3.20\nENTRYPOINT ["/sbin/tini", "--"]\nCMD node server.js\n', "AG303") == []


def test_only_the_final_images_process_counts():
    overridden = 'FROM alpine:3.7\nCMD node a.js\nCMD ["node", "b.js"]\n'
    builder = 'FROM alpine:3.7 AS build\nCMD make\nFROM alpine:3.7\nCMD ["app"]\n'
    debian = "FROM debian:12\nENTRYPOINT node server.js\n"
    for text in (overridden, builder, debian):
        assert findings(text, "AG303") == [], text


def test_inherited_shell_form_and_entrypoint_over_cmd():
    inherited = 'FROM alpine:3.20 AS base\nCMD node server.js | tee log\nFROM base\nRUN true\n'
    assert where(findings(inherited, "AG303")) == [("AG303", 2, 5)]
    both = 'FROM alpine:3.20\nENTRYPOINT node server.js\nCMD --port 80\n'
    assert where(findings(both, "AG303")) == [("AG303", 2, 12)]


def test_crlf_fix():
    text = "FROM alpine:3.20\r\nENTRYPOINT node server.js\r\n"
    found = findings(text, "AG303")
    assert [(f.start, f.end) for f in found] == [((2, 12), (2, 26))]
    assert apply_fix(text, found[0].fix) == 'FROM alpine:3.20\r\nENTRYPOINT ["node", "server.js"]\r\n'


def test_rule_page_lists_every_program_known_to_handle_sigterm():
    from alpineguard.knowledge import load_data
    from alpineguard.rules import all_rules
    rationale = next(r for r in all_rules() if r.id == "AG301").rationale
    known = load_data("pid1.yaml")["handles_sigterm"]
    names = [name for kind, values in known.items() for name in values]
    names += list(load_data("pid1.yaml")["handles_sigterm_with_argument"])
    assert [name for name in names if f"`{name}`" not in rationale] == []
