# Node, Go and Python build stages and an Alpine runtime; benchmarks/startup.py times it.
ARG PYTHON_VERSION=3.12
ARG NODE_VERSION=20
ARG ALPINE_RELEASE=3.20

FROM node:${NODE_VERSION}-alpine${ALPINE_RELEASE} AS web
WORKDIR /src/web
RUN apk add --no-cache \
        git \
        python3 \
        make \
        g++
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY web/ ./
ENV NODE_ENV=production
RUN npm run build \
    && npm prune --omit=dev \
    && rm -rf /root/.cache

FROM golang:1.22-alpine${ALPINE_RELEASE} AS tools
WORKDIR /src/tools
RUN apk add --no-cache git ca-certificates
COPY tools/go.mod tools/go.sum ./
RUN go mod download
COPY tools/ ./
ENV CGO_ENABLED=0 GOOS=linux
RUN go build -trimpath -ldflags="-s -w" -o /out/healthcheck ./cmd/healthcheck \
    && go build -trimpath -ldflags="-s -w" -o /out/migrate ./cmd/migrate

FROM python:${PYTHON_VERSION}-alpine${ALPINE_RELEASE} AS wheels
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src/app
RUN apk add --no-cache --virtual .build-deps \
        build-base \
        musl-dev \
        libffi-dev \
        openssl-dev \
        postgresql-dev \
        jpeg-dev \
        zlib-dev \
        libxml2-dev \
        libxslt-dev \
        cargo \
        rust
COPY requirements.txt constraints.txt ./
RUN pip wheel --wheel-dir /wheels \
        -r requirements.txt \
        -c constraints.txt \
    # psycopg2 and lxml have no musllinux wheel for every platform
    && pip wheel --wheel-dir /wheels psycopg2==2.9.9 lxml==5.2.2 \
    && apk del .build-deps
COPY pyproject.toml setup.cfg ./
COPY src/ ./src/
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM alpine:${ALPINE_RELEASE} AS runtime
ARG PYTHON_VERSION
ARG APP_USER=app
ARG APP_UID=10001
LABEL org.opencontainers.image.title="orders-api" \
      org.opencontainers.image.description="Orders service with a web front-end" \
      org.opencontainers.image.licenses="MIT"
ENV LANG=C.UTF-8 \
    TZ=UTC \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_HOME=/srv/app
RUN apk update && apk add \
        python3 \
        py3-pip \
        tini \
        tzdata \
        ca-certificates \
        libpq \
        libffi \
        libjpeg-turbo \
        libxml2 \
        libxslt \
        curl \
    && rm -rf /tmp/*
RUN addgroup -S -g ${APP_UID} ${APP_USER} \
    && adduser -S -D -H -u ${APP_UID} -G ${APP_USER} -h ${APP_HOME} ${APP_USER} \
    && mkdir -p ${APP_HOME}/static ${APP_HOME}/media /var/log/app \
    && chown -R ${APP_USER}:${APP_USER} ${APP_HOME} /var/log/app
COPY --from=wheels /wheels /tmp/wheels
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links=/tmp/wheels orders-api \
    && rm -rf /tmp/wheels
COPY --from=web /src/web/dist ${APP_HOME}/static
COPY --from=tools /out/healthcheck /out/migrate /usr/local/bin/
COPY <<EOF /etc/app/gunicorn.conf.py
bind = "0.0.0.0:8000"
workers = 4
worker_class = "uvicorn.workers.UvicornWorker"
accesslog = "-"
errorlog = "-"
EOF

COPY --chmod=0755 <<'EOF' /usr/local/bin/docker-entrypoint.sh
#!/bin/sh
set -eu
if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    migrate up
fi
exec "$@"
EOF

RUN <<EOF
set -eu
python3 -m compileall -q /opt/venv/lib
find /opt/venv -name '__pycache__' -prune -o -name '*.pyc' -print | wc -l
apk add gcc
EOF

RUN sh -c 'apk add jq && jq --version' \
    && echo "built for ${PYTHON_VERSION}" > /etc/app/python-version
ENV GUNICORN_CMD_ARGS="--timeout 60 --graceful-timeout 30" \
    DATABASE_POOL_SIZE=10 \
    CACHE_URL=redis://cache:6379/0 \
    LOG_LEVEL=info \
    FEATURE_FLAGS=orders,invoices,refunds
RUN set -eux; \
    mkdir -p /etc/app/conf.d; \
    for name in orders invoices refunds; do \
        echo "enabled = true" > "/etc/app/conf.d/${name}.toml"; \
    done; \
    # timezone data stays; the zoneinfo compiler does not
    rm -f /usr/sbin/zic; \
    chmod -R a+rX /etc/app
WORKDIR ${APP_HOME}
USER ${APP_USER}
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:8000/healthz"]
ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["gunicorn", "-c", "/etc/app/gunicorn.conf.py", "orders.asgi:app"]
