# The GitHub Action's image. alpineguard checks it with no finding (tests/test_action_image.py),
# and every dependency resolves to a musllinux wheel, so the build needs no compiler.
FROM python:3.13-alpine3.23
# git reads the pull request's head commit when the checkout is a merge commit.
RUN apk add --no-cache git tini
COPY pyproject.toml README.md /opt/alpineguard/
COPY src /opt/alpineguard/src
RUN pip install --no-cache-dir --only-binary=:all: '/opt/alpineguard[action]'
ENTRYPOINT ["/sbin/tini", "--", "python", "-m", "alpineguard.action"]
