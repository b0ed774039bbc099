"""The README's first command ends in `jupyter lab` on course/: a real JupyterLab server serves the chapters."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "tinyspore-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def _dev_module():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_jupyterlab_serves_the_course(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = _dev_module().lab_argv(sys.executable, ["--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                                   f"--IdentityProvider.token={TOKEN}"])
    log = tmp_path / "jupyterlab.log"  # a file, not a pipe, so a chatty server can never block on it
    server = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=log.open("w"),
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status = json.loads(_get(f"{base}/api/status"))
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                time.sleep(0.5)
        assert "started" in status
        listing = json.loads(_get(f"{base}/api/contents"))
        chapters = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
        assert chapters == sorted(p.name for p in (ROOT / "course").iterdir() if p.is_dir())
        notebook = json.loads(_get(f"{base}/api/contents/01_tensors/01_tensors.ipynb"))
        assert notebook["type"] == "notebook" and notebook["content"]["cells"]
        assert b"JupyterLab" in _get(f"{base}/lab")
        kernels = json.loads(_get(f"{base}/api/kernelspecs"))
        assert "python3" in kernels["kernelspecs"]
    finally:
        server.terminate()
        server.wait(timeout=30)
