"""Start JupyterLab exactly as `dev.py lab [--instructor]` does, for tests (tests/test_lab.py, tests/browser/)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "tinyspore-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev_module():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_lab(tmp_path: Path, port: int, *, mode: str = "learner", notebook_dir: Path | None = None,
              timeout: float = 90) -> subprocess.Popen:
    """JupyterLab as `dev.py lab [--instructor]` starts it, on `port`; returns once its API answers."""
    dev = dev_module()
    argv = dev.lab_argv(sys.executable, ["--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                         f"--IdentityProvider.token={TOKEN}"], mode=mode, notebook_dir=notebook_dir)
    env = dev.lab_env(mode)
    # Runtime files, workspaces and user settings of this server only, so no earlier session leaks in.
    env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    log = tmp_path / f"jupyterlab-{port}.log"  # a file, not a pipe, so a chatty server can never block on it
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log.open("w"), env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while True:
        try:
            get(port, "/api/status")
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}") from None
            time.sleep(0.5)


def get(port: int, path: str, method: str = "GET", body: bytes | None = None) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=body,
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def status(port: int, path: str) -> int:
    try:
        get(port, path)
        return 200
    except urllib.error.HTTPError as error:
        return error.code


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
