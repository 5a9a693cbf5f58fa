"""Wall time of `alpineguard --online` for 20 dependencies, cold cache then warm.

Run: .venv/bin/python tools/measure_online.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = ["numpy==1.26.0", "pandas==2.2.3", "psycopg2==2.9.9", "lxml==5.3.0", "cryptography==43.0.3",
          "grpcio==1.68.0", "matplotlib==3.9.2", "requests==2.32.3", "flask==3.1.0", "pydantic==2.10.2",
          "orjson==3.10.12", "uvloop==0.21.0"]
NODE = {"canvas": "2.11.2", "sharp": "0.33.5", "bcrypt": "5.1.1", "puppeteer": "23.9.0", "express": "4.21.1",
        "bignum": "0.13.1", "esbuild": "0.24.0", "left-pad": "1.3.0"}


def main() -> int:
    with tempfile.TemporaryDirectory() as root:
        context = Path(root, "ctx")
        context.mkdir()
        (context / "requirements.txt").write_text("\n".join(PYTHON) + "\n")
        lock = {"lockfileVersion": 3, "packages": {f"node_modules/{n}": {"version": v, "hasInstallScript": True}
                                                   for n, v in NODE.items()}}
        (context / "package-lock.json").write_text(json.dumps(lock))
        (context / "Dockerfile").write_text(
            "FROM python:3.12-alpine\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            "FROM node:22-alpine\nCOPY package-lock.json .\nRUN npm ci\n")
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(root, "cache")))
        for label in ("cold", "cached"):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "alpineguard", "--online", "--select", "AG4",
                                   str(context / "Dockerfile")], capture_output=True, text=True, env=env)
            elapsed = time.monotonic() - started
            findings = done.stdout.count(" AG4")
            print(f"{label}: {elapsed:.2f}s, {len(PYTHON) + len(NODE)} dependencies, {findings} findings, "
                  f"failed look-up notes: {done.stdout.count('alpineguard: note:')}")
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "alpineguard", "--select", "AG4", str(context / "Dockerfile")],
                       capture_output=True, env=env)
        print(f"offline: {time.monotonic() - started:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
