# syntax=docker/dockerfile:1.7
# Three stages (Python API, Node front end, Go helper), timed cold by benchmarks/bench.py; a blank
# line follows each heredoc because hadolint 2.x needs one.
ARG PYTHON_VERSION=3.12
ARG NODE_VERSION=20
ARG ALPINE_VERSION=3.20

FROM golang:1.22-alpine${ALPINE_VERSION} AS gobuild
WORKDIR /go/src/helper
ENV CGO_ENABLED=0 \
    GOOS=linux GOFLAGS=-trimpath
RUN apk add --no-cache git ca-certificates tzdata \
 && update-ca-certificates
COPY helper/go.mod helper/go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download \
 && go mod verify
COPY helper/ ./
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w -X main.version=${VERSION:-dev}" -o /out/helper ./cmd/helper \
 && go vet ./... \
 && /out/helper --version

FROM node:${NODE_VERSION}-alpine AS frontend
WORKDIR /src/web
RUN apk add --no-cache --virtual .gyp python3 make g++ \
 && npm config set fund false \
 && npm config set audit false
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --prefer-offline \
 && apk del .gyp
COPY web/ ./
RUN npm run build \
 && npm prune --omit=dev \
 && find dist -name '*.map' -delete \
 && du -sh dist
RUN <<EOF
set -eu
for asset in dist/assets/*.js; do
  gzip -9 -k "$asset"
done
ls -la dist/assets | head -n 20
EOF


FROM python:${PYTHON_VERSION}-alpine${ALPINE_VERSION} AS wheels
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /wheels
RUN apk update \
 && apk add --virtual .build-deps \
        build-base \
        musl-dev \
        libffi-dev \
        openssl-dev \
        postgresql-dev \
        cargo \
        rust \
        linux-headers \
 && pip install --upgrade pip setuptools wheel
COPY requirements.txt requirements-dev.txt ./
RUN pip wheel --wheel-dir /wheels \
        -r requirements.txt \
        psycopg2==2.9.9 \
        cryptography==42.0.5 \
        uvloop==0.19.0 \
        orjson==3.10.3 \
 && ls -1 /wheels | sort \
 && apk del .build-deps
RUN sh -c 'cd /wheels && for whl in *.whl; do python -m zipfile -l "$whl" > /dev/null || exit 1; done'

FROM python:${PYTHON_VERSION}-alpine${ALPINE_VERSION} AS runtime
LABEL org.opencontainers.image.title="inventory-api" \
      org.opencontainers.image.source="https://example.invalid/inventory" \
      org.opencontainers.image.licenses="MIT"
ARG APP_USER=app
ARG APP_UID=10001
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_HOME=/srv/app \
    PATH=/srv/app/.venv/bin:$PATH
RUN apk add --no-cache \
        libpq \
        libffi \
        openssl \
        tini \
        curl \
        su-exec \
 && addgroup -S -g ${APP_UID} ${APP_USER} \
 && adduser -S -D -H -u ${APP_UID} -G ${APP_USER} -h ${APP_HOME} ${APP_USER} \
 && mkdir -p ${APP_HOME}/data ${APP_HOME}/logs \
 && chown -R ${APP_USER}:${APP_USER} ${APP_HOME}
WORKDIR ${APP_HOME}
COPY --from=wheels /wheels /tmp/wheels
RUN python -m venv .venv \
 && .venv/bin/pip install --no-index --find-links=/tmp/wheels -r /tmp/wheels/requirements.txt \
 && rm -rf /tmp/wheels \
 && find .venv -type d -name __pycache__ -prune -exec rm -rf {} + \
 && .venv/bin/python -c "import psycopg2, cryptography, uvloop, orjson"
COPY --from=gobuild /out/helper /usr/local/bin/helper
COPY --from=frontend /src/web/dist ./static
COPY --chown=app:app src/ ./src/
COPY --chown=app:app <<'EOF' /srv/app/gunicorn.conf.py
import multiprocessing
bind = "0.0.0.0:8000"
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "uvicorn.workers.UvicornWorker"
accesslog = "-"
EOF

RUN set -eux; \
    case "$(apk --print-arch)" in \
        x86_64) arch=amd64 ;; \
        aarch64) arch=arm64 ;; \
        *) echo "unsupported architecture"; exit 1 ;; \
    esac; \
    curl -fsSL -o /usr/local/bin/migrate "https://example.invalid/migrate-${arch}"; \
    chmod +x /usr/local/bin/migrate; \
    if [ -n "${APP_USER}" ]; then \
        echo "running as ${APP_USER}"; \
    fi
RUN <<EOF
set -e
python - <<'PY'
import compileall
compileall.compile_dir("src", quiet=1)
PY
echo "compiled"
EOF

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
EXPOSE 8000
USER ${APP_USER}
STOPSIGNAL SIGTERM
VOLUME ["/srv/app/data"]
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["gunicorn", "--config", "/srv/app/gunicorn.conf.py", "inventory.app:create_app()"]
