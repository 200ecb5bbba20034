"""Thin ctypes wrappers over the Linux calls Python's `os` module lacks (Python 3.11 has no
`os.unshare`, `mount` or `prctl`). Standard library only: the zygote imports this in a fresh
interpreter with a scrubbed environment."""

from __future__ import annotations

import ctypes
import os
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

_SYS_CLONE = 56  # x86_64; aarch64 uses 220

_libc = ctypes.CDLL(None, use_errno=True)
_pylibc = ctypes.PyDLL(None, use_errno=True)  # keeps the GIL held across clone()
_pylibc.syscall.restype = ctypes.c_long


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def umount(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0)), "prctl")


def clone_into_new_pid_namespace() -> int:
    """fork() whose child is pid 1 of a fresh PID namespace (0 in the child, its pid in the parent).

    `unshare(CLONE_NEWPID)` works only once per process, so the zygote calls the raw clone syscall
    each time, with the interpreter's fork hooks around it as `os.fork` does. When that pid 1 exits,
    the kernel kills every process left in its namespace: nothing a sample starts can outlive it."""
    import platform

    nr = 220 if platform.machine() in ("aarch64", "arm64") else _SYS_CLONE
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = _pylibc.syscall(ctypes.c_long(nr), ctypes.c_ulong(CLONE_NEWPID | signal.SIGCHLD),
                          None, None, None, None)
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    return _check(pid, "clone(CLONE_NEWPID)")
