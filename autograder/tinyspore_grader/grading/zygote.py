"""The warm fork server: NumPy, matplotlib, IPython, the engine and the checks imported once; a fresh process
per worker, forked in a few milliseconds and confined before it runs a single line of a submission.

    python -m tinyspore_grader.grading.zygote SOCKET     (started and stopped by `executor.Zygote`)

It listens on a Unix socket in a directory only its owner can enter (workers, which run as other uids and
in their own mount namespace, cannot reach it), and stops when its standard input closes (the grader died).
A request is a pickle from the trusted grader: (role, uid, workdir, limits). The forked child confines
itself (`sandbox.confine`), says hello with its pid, and serves its role (`worker.serve`) on the connection.

Role "grader" is the exception: a trusted grading process for `python -m tinyspore_grader grade`, not confined
(it never runs a submission's code: it grades submissions, as `executor.serve_grader`, and asks this server
for their workers). Forked from here, it starts with everything imported, in a process no submission has ever
touched: the grade command's grading processes cost no interpreter start and no imports of their own.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import socket
import struct
import sys

from . import codec, sandbox, skip_iri_grammar, worker


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(conn: socket.socket, listener: socket.socket, request: dict, path: str) -> None:
    try:
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if request["role"] == "grader":
            _grader(conn, path)
        applied = sandbox.confine(request["uid"], request["workdir"], request["limits"], keep_fds=(conn.fileno(),),
                                  read_only=request["role"] == "answer")
        codec.send(conn, {"pid": os.getpid(), "uid": applied["uid"], "namespaces": applied["namespaces"],
                          "hidden": len(applied["hidden"])})
        worker.serve(conn, request["role"], {"output_limit": request["limits"].output_chars,
                                             "draw_figures": request["limits"].draw_figures})
    except BaseException as error:  # noqa: BLE001 - say why, then die
        try:
            codec.send(conn, {"error": f"{type(error).__name__}: {error}"})
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


def _grader(conn: socket.socket, path: str) -> None:
    from . import executor

    sandbox.die_with_parent()
    codec.send(conn, {"pid": os.getpid()})
    executor.serve_grader(conn, path)
    os._exit(0)


def main(path: str) -> None:
    skip_iri_grammar()
    worker.warm_up()
    sandbox.reaper()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [], 1.0)
        _reap()
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
            return  # the grader is gone
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        try:
            conn.settimeout(10)
            (size,) = struct.unpack("!Q", codec._recv_exactly(conn, 8))
            request = pickle.loads(codec._recv_exactly(conn, size))  # from the trusted grader (owner-only socket)
            conn.settimeout(None)
        except (OSError, EOFError, pickle.UnpicklingError):
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:
            _child(conn, listener, request, path)
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1])
