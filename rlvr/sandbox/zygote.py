"""The zygote: a small trusted process, started once per worker in a fresh interpreter with a scrubbed
environment, that sets up the sandbox once and then forks one child per sample.

Run as `python -I -c <boot> CONFIG_JSON`; it never sees a test or an expected output, only the
candidate program (problem prompt + completion) and the name of the function to serve, so a child
forked from it holds nothing worth stealing. Per sample:

  worker --run(program, entry) + 2 pipe fds--> zygote --clone(NEWPID)--> child (pid 1 of a new pid ns)
  child, still root: new mount ns, fresh tmpfs on /tmp (its private cwd), fresh /proc, rlimits,
         fds 0-2 on /dev/null, only the two pipes kept; then setgroups([]) + setresgid/uid(slot uid),
         no_new_privs, parent-death signal; then exec(program) and serve calls (`serve_calls`).
  worker --finish--> zygote: SIGKILL pid 1 (the kernel then kills everything in its namespace),
         wait4, report exit status and resource use.

Modes (chosen by `setup`, reported in the hello message): `root` (all of the above), `userns`
(unprivileged: user+mount+net+pid namespaces, but the candidate keeps the invoking user's uid for
file access), `plain` (no namespaces: rlimits, a session/process group, a private temp dir).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import tempfile

from rlvr.sandbox import codec, linux

_HDR = struct.Struct(">I")
HIDDEN_DIRS = ("/root", "/home")
SCRATCH_DIRS = ("/var/tmp", "/run/lock", "/dev/shm")
CALL_FD, REPLY_FD = 3, 4


# ----------------------------------------------------------------------------- framing
def send_frame(fd: int, payload: bytes) -> None:
    data = _HDR.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def recv_frame(fd: int) -> bytes | None:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    return _read_exact(fd, _HDR.unpack(head)[0])


def ctl_send(sock: socket.socket, msg: dict, fds: list[int] = ()) -> None:
    payload = json.dumps(msg).encode()
    data = _HDR.pack(len(payload)) + payload
    if fds:
        n = socket.send_fds(sock, [data], list(fds))
        data = data[n:]
    if data:
        sock.sendall(data)


def ctl_recv(sock: socket.socket) -> tuple[dict | None, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
    if not data:
        return None, list(fds)
    while len(data) < 4 or len(data) < 4 + _HDR.unpack(data[:4])[0]:
        more = sock.recv(1 << 20)
        if not more:
            return None, list(fds)
        data += more
    return json.loads(data[4:4 + _HDR.unpack(data[:4])[0]]), list(fds)


# ----------------------------------------------------------------------------- one-time setup
def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _setup_mounts(expose: list[str], hide_files: list[str]) -> dict:
    """Private mount namespace: empty tmpfs over home directories (re-exposing only the interpreter
    and package paths the candidate needs), root-owned tmpfs over world-writable scratch dirs, and
    /dev/null over answer-key files. Nothing here propagates to the host."""
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    linux.mount("tmpfs", "/tmp", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=1m")
    hidden = [d for d in HIDDEN_DIRS if os.path.isdir(d)]
    keep = sorted({os.path.realpath(p) for p in expose if p and os.path.exists(p)})
    keep = [p for p in keep if any(_under(p, h) for h in hidden)]
    keep = [p for p in keep if not any(q != p and _under(p, q) for q in keep)]
    stashes = []
    for i, p in enumerate(keep):
        stash = f"/tmp/.keep{i}"
        os.mkdir(stash) if os.path.isdir(p) else open(stash, "w").close()
        linux.mount(p, stash, None, linux.MS_BIND | linux.MS_REC)
        stashes.append(stash)
    for d in hidden:
        linux.mount("tmpfs", d, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=1m")
    for p, stash in zip(keep, stashes):
        if os.path.isdir(stash):
            os.makedirs(p, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").close()
        linux.mount(stash, p, None, linux.MS_BIND | linux.MS_REC)
        linux.umount(stash, linux.MNT_DETACH)
    for d in SCRATCH_DIRS:
        if os.path.isdir(d):
            linux.mount("tmpfs", d, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=1m")
    hidden_files = []
    for f in hide_files:
        if os.path.isfile(f):
            linux.mount("/dev/null", f, None, linux.MS_BIND)
            hidden_files.append(f)
    return {"hidden_dirs": hidden, "exposed": keep, "hidden_files": hidden_files}


def setup(cfg: dict) -> dict:
    """Enter the strongest mode this host allows; return what is actually in force."""
    caps = {"mode": "plain", "separate_uid": False, "network_isolated": False, "pid_namespace": False,
            "private_tmp": True, "hidden_home": False, "hidden_answer_files": [], "rlimits": True,
            "seccomp": False}
    want = cfg.get("force_mode")
    if os.geteuid() == 0 and want in (None, "root"):
        try:
            linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWNET)
            info = _setup_mounts(cfg["expose"], cfg["hide_files"])
            caps.update(mode="root", separate_uid=True, network_isolated=True, pid_namespace=True,
                        hidden_home=bool(info["hidden_dirs"]), hidden_answer_files=info["hidden_files"])
            return caps
        except OSError as e:
            caps["setup_error"] = str(e)
    if want in (None, "userns"):
        uid, gid = os.getuid(), os.getgid()
        try:
            linux.unshare(linux.CLONE_NEWUSER | linux.CLONE_NEWNS | linux.CLONE_NEWNET)
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"0 {gid} 1")
            info = _setup_mounts(cfg["expose"], cfg["hide_files"])
            caps.update(mode="userns", network_isolated=True, pid_namespace=True,
                        hidden_home=bool(info["hidden_dirs"]), hidden_answer_files=info["hidden_files"])
            return caps
        except OSError as e:
            caps["setup_error"] = str(e)
    return caps


# ----------------------------------------------------------------------------- per-sample child
def _enter_child(cfg: dict, mode: str, call_fd: int, reply_fd: int, workdir: str | None) -> None:
    """Runs in the fresh child, still trusted, and turns it into the untrusted candidate's cell."""
    lim = cfg["limits"]
    uid, gid = cfg["uid"], cfg["gid"]
    if mode in ("root", "userns"):
        linux.unshare(linux.CLONE_NEWNS)
        owner = f",uid={uid},gid={gid}" if mode == "root" else ""
        linux.mount("tmpfs", "/tmp", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                    f"size={lim['tmp_mb']}m,nr_inodes=4096,mode=0700{owner}")
        linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
        workdir = "/tmp"
    else:
        os.setsid()
    os.chdir(workdir)
    # Only the two pipes survive, as fds 3 and 4; 0-2 read/write /dev/null so floods cost nothing.
    hi_call, hi_reply = os.dup(call_fd), os.dup(reply_fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.dup2(hi_call, CALL_FD)
    os.dup2(hi_reply, REPLY_FD)
    os.closerange(REPLY_FD + 1, 1 << 16)
    mb = 1 << 20
    limits = [(resource.RLIMIT_AS, lim["memory_mb"] * mb), (resource.RLIMIT_CPU, lim["cpu_s"]),
              (resource.RLIMIT_FSIZE, lim["file_mb"] * mb), (resource.RLIMIT_NOFILE, 64),
              (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, lim["nproc"])]
    for which, value in limits:
        resource.setrlimit(which, (value, value))
    if mode == "root":
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    elif mode == "userns":  # a nested user ns: no capabilities over the mounts set up above
        linux.unshare(linux.CLONE_NEWUSER)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # after setresuid, which clears it
    linux.prctl(linux.PR_SET_DUMPABLE, 0)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"})


def _describe(e: BaseException) -> str:
    try:
        return f"{type(e).__name__}: {e}"[:300]
    except BaseException:  # a hostile __str__
        return "exception"


def serve_calls(program: str, entry: str) -> None:
    """The untrusted side: run the program, then answer calls. Everything here may be subverted by
    the candidate; the trusted side only ever sees decoded builtin values."""
    try:
        namespace = {"__name__": "__candidate__"}
        exec(compile(program, "<candidate>", "exec"), namespace)
        fn = namespace[entry]
        if not callable(fn):
            raise TypeError(f"{entry} is not callable")
    except BaseException as e:
        send_frame(REPLY_FD, codec.encode(["loaderr", _describe(e)]))
        os._exit(0)
    send_frame(REPLY_FD, codec.encode(["ready"]))
    while True:
        msg = recv_frame(CALL_FD)
        if msg is None:
            os._exit(0)
        try:
            result = fn(*codec.decode(msg))
            reply = b'["ok",' + codec.encode(result) + b"]"
        except BaseException as e:
            try:
                reply = codec.encode(["exc", _describe(e)])
            except BaseException:
                reply = b'["exc","exception"]'
        send_frame(REPLY_FD, reply)


# ----------------------------------------------------------------------------- main loop
def main() -> None:
    cfg = json.loads(sys.argv[1])
    ctl = socket.socket(fileno=cfg["ctl_fd"])
    caps = setup(cfg)
    mode = caps["mode"]
    scratch = tempfile.mkdtemp(prefix="rlvr-sbx-") if mode == "plain" else None
    ctl_send(ctl, {"op": "hello", "caps": caps, "pid": os.getpid()})
    child, workdir = None, None
    while True:
        msg, fds = ctl_recv(ctl)
        if msg is None:
            break
        if msg["op"] == "run":
            if mode == "plain":
                workdir = tempfile.mkdtemp(dir=scratch)
            try:
                child = linux.clone_into_new_pid_namespace() if mode != "plain" else os.fork()
            except OSError as e:
                for fd in fds:
                    os.close(fd)
                ctl_send(ctl, {"op": "error", "detail": f"fork failed: {e}"})
                continue
            if child == 0:
                code = 0
                try:
                    _enter_child(cfg, mode, fds[0], fds[1], workdir)
                    serve_calls(msg["program"], msg["entry"])
                except BaseException:
                    code = 70
                os._exit(code)
            for fd in fds:
                os.close(fd)
            ctl_send(ctl, {"op": "started", "pid": child})
        elif msg["op"] == "finish":
            ctl_send(ctl, _finish(child, mode, workdir))
            child = workdir = None
    if child:
        _finish(child, mode, workdir)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


def _finish(child: int | None, mode: str, workdir: str | None) -> dict:
    if child is None:
        return {"op": "finished", "status": None}
    try:
        if mode == "plain":
            os.killpg(child, signal.SIGKILL)
        else:
            os.kill(child, signal.SIGKILL)  # pid 1 of its namespace: the kernel kills the rest
    except ProcessLookupError:
        pass
    _pid, status, ru = os.wait4(child, 0)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"op": "finished", "status": status, "cpu_s": round(ru.ru_utime + ru.ru_stime, 4),
            "max_rss_mb": round(ru.ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    main()
