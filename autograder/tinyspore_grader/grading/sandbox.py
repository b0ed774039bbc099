"""Confining a worker process with what Linux gives without extra daemons.

As root (a grading server, a container): each submission gets its own unprivileged uid (a slot, locked with
flock so that parallel graders never share one), its own mount, network and IPC namespaces (no network
at all; a private /tmp holding only the throwaway copy of the submission; the gradebook, the instructor's
source/, the other submissions and the engine's files hidden under empty mounts), rlimits (memory, CPU time,
file size, processes, open files, no core dumps) and no way back to privileges (no_new_privs). At the end
every process of that uid is killed, whatever it did to detach itself.

Not as root: the worker still gets the rlimits, a private working copy and its own session, and user
namespaces where the kernel allows them; `isolation()` says which protections are in force.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import resource
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

UID_BASE = 61000  # slot uids: 61000, 61001, ... (no user needs to exist for them)
SLOTS = 128
STATE = Path("/run/tinyspore-grading") if os.geteuid() == 0 else Path(f"/tmp/tinyspore-grading-{os.getuid()}")
STAGING = Path("/var/tmp/tinyspore-grading") if os.geteuid() == 0 else STATE / "work"

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUSER, CLONE_NEWUTS = 0x20000, 0x08000000, 0x40000000, 0x10000000, \
    0x04000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 38, 36, 1

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


@dataclass
class Limits:
    """The limits of one submission (seconds, megabytes, characters)."""

    cell_seconds: float = 30.0  # wall time of one cell of the submission
    notebook_seconds: float = 300.0  # wall time of all its cells together
    call_seconds: float = 20.0  # wall time of one graded call of an answer
    check_seconds: float = 60.0  # wall time of one test cell (all its graded calls)
    cpu_seconds: int = 300  # CPU time of each worker process
    memory_mb: int = 4096  # address space of each worker process
    file_mb: int = 64  # largest file a worker may write
    processes: int = 64  # processes of the submission's uid
    open_files: int = 256
    output_chars: int = 200_000  # what one cell may print; more is cut and reported
    draw_figures: bool = False  # figures as PNG images, as a Jupyter kernel shows them; else as their text
    hide: list[str] = field(default_factory=list)  # paths the worker must not see (gradebook, source/, ...)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode() if data else None), f"mount {target}")


def isolation() -> dict[str, bool]:
    """Which protections this machine gives a worker (checked by trying them in a child process)."""
    root = os.geteuid() == 0
    return {"root": root, "uid per submission": root, "namespaces": _can_unshare(), "rlimits": True}


_UNSHARE_OK: bool | None = None


def _can_unshare() -> bool:
    global _UNSHARE_OK
    if _UNSHARE_OK is None:
        pid = os.fork()
        if pid == 0:
            flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | (0 if os.geteuid() == 0 else CLONE_NEWUSER)
            os._exit(0 if _libc.unshare(flags) == 0 else 1)
        _UNSHARE_OK = os.waitpid(pid, 0)[1] == 0
    return _UNSHARE_OK


# ----- slots: one uid per submission being graded on this machine -----------------------------------------
@contextmanager
def slot():
    """Two free uids (root; else the current uid twice), held (flock) until the block ends, then every process
    of both is killed. The submission's cells run as the first, its graded answers as the second: the two
    cannot signal or trace each other, so hidden inputs seen by the second never reach the first's output."""
    STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() != 0:
        yield os.getuid(), os.getuid()
        return
    for n in range(SLOTS):
        lock = open(STATE / f"slot-{n}.lock", "w")  # noqa: SIM115 - held for the whole block
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        uids = (UID_BASE + 2 * n, UID_BASE + 2 * n + 1)
        try:
            for uid in uids:  # leftovers of a crashed grader, if any
                kill_uid(uid)
            yield uids
        finally:
            for uid in uids:
                kill_uid(uid)
            lock.close()
        return
    raise RuntimeError(f"all {SLOTS} grading slots are busy")


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid and not _zombie(entry.name):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _zombie(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True


def kill_uid(uid: int, timeout: float = 10.0) -> int:
    """SIGKILL every process of `uid` (as root), however it detached; the number left (0 expected)."""
    if os.geteuid() != 0 or uid == 0:
        return 0
    deadline = time.monotonic() + timeout
    left = _processes_of(uid)
    while left and time.monotonic() < deadline:
        pid = os.fork()
        if pid == 0:  # a helper with that uid: kill(-1) reaches every process of the uid, and only those
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                for _ in range(50):
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        break
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.01)
        left = _processes_of(uid)
    return len(left)


# ----- confining the current process (a freshly forked worker, still root) --------------------------------------
def confine(uid: int, workdir: str, limits: Limits, keep_fds: tuple[int, ...], read_only: bool = False) -> dict:
    """Turn this process into a sandboxed worker in `workdir` (`read_only`: it may not change it)."""
    applied = {"uid": None, "namespaces": False, "hidden": []}
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    root = os.geteuid() == 0
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | (0 if root else CLONE_NEWUSER)
    if _libc.unshare(flags) == 0:
        applied["namespaces"] = True
        if not root:
            _map_user()
        _private_mounts(workdir, limits.hide, applied, read_only)
        workdir = "/tmp/submission"
    os.chdir(workdir)
    for what, value in ((resource.RLIMIT_AS, limits.memory_mb << 20), (resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_FSIZE, limits.file_mb << 20), (resource.RLIMIT_NOFILE, limits.open_files),
                        (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, limits.processes)):
        resource.setrlimit(what, (value, value))
    for fd in _open_fds():
        if fd > 2 and fd not in keep_fds:
            try:
                os.close(fd)
            except OSError:
                pass
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if root:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        applied["uid"] = uid
    home = os.getcwd()
    os.environ.clear()
    os.environ.update({"HOME": home, "TMPDIR": "/tmp" if applied["namespaces"] else home, "PATH": "/usr/bin:/bin",
                       "MPLBACKEND": "module://matplotlib_inline.backend_inline", "OPENBLAS_NUM_THREADS": "1",
                       "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"})
    return applied


def _open_fds() -> list[int]:
    try:
        return [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


def _map_user() -> None:
    uid, gid = os.getuid(), os.getgid()
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError:
            pass


def _private_mounts(workdir: str, hide: list[str], applied: dict, read_only: bool = False) -> None:
    """/tmp is a fresh tmpfs holding only the submission's copy; the hidden paths are empty mounts."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    staging = os.path.dirname(os.path.abspath(workdir))
    # Python itself may live under /tmp (a clone of the course there, with its .venv): keep a handle on the
    # old /tmp so those folders can be bound back, read-only, into the fresh one.
    shadowed = _outermost([d for d in _python_dirs() if d.startswith("/tmp/")])
    old_tmp = os.open("/tmp", os.O_PATH | os.O_DIRECTORY) if shadowed else None
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777")
    for path in shadowed:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{old_tmp}/{path[len('/tmp/'):]}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    if old_tmp is not None:
        os.close(old_tmp)
    os.mkdir("/tmp/submission", 0o755)
    _mount(workdir, "/tmp/submission", None, MS_BIND | MS_REC)
    if read_only:
        _mount(None, "/tmp/submission", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    _expose_python()
    for path in [str(STAGING), staging, str(STATE), "/dev/shm", "/var/tmp", *hide]:
        _hide(path, applied)


def _python_dirs() -> list[str]:
    import sys

    dirs = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    dirs |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    return sorted(d for d in dirs if d != "/")


def _outermost(dirs: list[str]) -> list[str]:
    """The folders of `dirs` not inside another one of them (site-packages inside the prefix come with it)."""
    return [d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs)]


def _closed_ancestor(path: str) -> str | None:
    """The highest folder on the way to `path` that other users cannot enter (e.g. /root), if any."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        folder = "/" + "/".join(parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _expose_python() -> None:
    """Python and its packages may live in a folder other users cannot enter (a pyenv in /root): in this
    mount namespace, that folder becomes an empty tmpfs holding only those installations, readable."""
    needed = _outermost([d for d in _python_dirs() if _closed_ancestor(d)])
    if not needed:
        return
    os.mkdir("/tmp/.python", 0o700)
    for n, path in enumerate(needed):
        os.mkdir(f"/tmp/.python/{n}")
        _mount(path, f"/tmp/.python/{n}", None, MS_BIND | MS_REC)
    for closed in sorted({_closed_ancestor(p) for p in needed}):
        _mount("tmpfs", closed, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for n, path in enumerate(needed):
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/tmp/.python/{n}", path, None, MS_BIND | MS_REC)
        _libc.umount2(f"/tmp/.python/{n}".encode(), 2)  # MNT_DETACH
    os.chmod("/tmp/.python", 0o700)


def _hide(path: str, applied: dict) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
        elif os.path.exists(path):
            _mount("/dev/null", path, None, MS_BIND)
        else:
            return
        applied["hidden"].append(path)
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise


def die_with_parent() -> None:
    """This process is killed when its parent dies (a grading process when its fork server stops)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def reaper() -> None:
    """Adopt orphans (their parent died): the zygote reaps them, so no zombie holds a slot's process count."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
