# The GitHub Action's image. alpineguard checks it with no finding (tests/test_action_image.py).
# Every runtime dependency comes from requirements-action.txt (`make lock`): pinned, each file's
# hash checked, musllinux wheels only, so one Action tag installs the same code and needs no compiler.
FROM python:3.13-alpine3.23
# git fetches and reads the commit under review when the checkout is another one.
RUN apk add --no-cache git tini
COPY requirements-action.txt /opt/alpineguard/
RUN pip install --no-cache-dir --require-hashes --only-binary=:all: --no-deps \
    -r /opt/alpineguard/requirements-action.txt
# alpineguard itself runs from its source: installing it would fetch an unpinned build backend.
COPY src /opt/alpineguard/src
ENV PYTHONPATH=/opt/alpineguard/src
ENTRYPOINT ["/sbin/tini", "--", "python", "-m", "alpineguard.action"]
