"""The trusted side: one `Sandbox` per worker (it owns a zygote process) and `run_check`, which runs
trusted test code against a proxy whose every call is answered by the untrusted candidate process.

The verdict is "the trusted check returned": each proxy call sends builtin arguments down a pipe and
gets back bytes that are decoded (`rlvr.sandbox.codec`) into fresh builtins, so the comparisons in the
test use real `==` on values the grader built. What the candidate prints, its exit status, its atexit
hooks and whatever it does to its own interpreter never reach the verdict.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from rlvr.sandbox import codec
from rlvr.sandbox.zygote import ctl_recv, ctl_send, send_frame
from rlvr.verify.verdict import Verdict

UID_BASE = 200_000  # sandbox uids: UID_BASE + 64 * (harness pid % 4096) + slot; need not exist in /etc/passwd
_BOOT = "import sys; sys.path.insert(0, sys.argv[2]); from rlvr.sandbox.zygote import main; main()"
_SCRUBBED_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Limits:
    """Per-sample limits. `timeout_s` is wall time for the whole sample (load + every call)."""

    timeout_s: float = 3.0
    memory_mb: int = 512       # RLIMIT_AS per process
    nproc: int = 16            # RLIMIT_NPROC for the sample's uid (processes + threads)
    file_mb: int = 16          # RLIMIT_FSIZE
    tmp_mb: int = 32           # size of the private tmpfs working directory
    max_reply_mb: int = 4      # largest value a call may return

    def zygote_limits(self) -> dict:
        cpu = int(self.timeout_s) + 1
        return {"memory_mb": self.memory_mb, "cpu_s": cpu, "nproc": self.nproc, "file_mb": self.file_mb,
                "tmp_mb": self.tmp_mb}


class SandboxInfraError(Exception):
    """The harness failed (zygote gone, fork failed, broken pipe on our side): verdict `unverifiable`."""


class CandidateRaised(Exception):
    """The candidate function raised; the trusted test sees this as an ordinary exception."""


class _CandidateTimeout(BaseException):
    pass


class _CandidateGone(BaseException):
    pass


class _CandidateInvalid(BaseException):
    pass


def _expose_paths() -> list[str]:
    """Paths the candidate's interpreter must still read when home directories are hidden."""
    pkg_root = str(Path(__file__).resolve().parents[2])
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)), pkg_root}
    paths.update(p for p in sys.path if p and os.path.isabs(p))
    return sorted(paths)


class Sandbox:
    """One zygote and the trusted side of its samples. Not thread-safe: one per worker thread."""

    def __init__(self, slot: int = 0, limits: Limits = Limits(), hide_files: tuple[str, ...] = (),
                 force_mode: str | None = None):
        self.slot, self.limits, self.hide_files, self.force_mode = slot, limits, tuple(hide_files), force_mode
        self.uid = self.gid = UID_BASE + 64 * (os.getpid() % 4096) + slot
        self.proc: subprocess.Popen | None = None
        self.caps: dict = {}
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cfg = {"ctl_fd": theirs.fileno(), "uid": self.uid, "gid": self.gid, "limits": self.limits.zygote_limits(),
               "expose": _expose_paths(), "hide_files": [str(Path(f).resolve()) for f in self.hide_files],
               "force_mode": self.force_mode}
        pkg_root = str(Path(__file__).resolve().parents[2])
        try:
            self.proc = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, json.dumps(cfg), pkg_root],
                                         env=_SCRUBBED_ENV, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, cwd="/")
        except OSError as e:
            raise SandboxInfraError(f"cannot start the sandbox zygote: {e}") from None
        finally:
            theirs.close()
        self.ctl = ours
        hello, _ = self._recv(timeout=30)
        if hello.get("op") != "hello":
            raise SandboxInfraError(f"sandbox zygote said {hello!r} instead of hello")
        self.caps = hello["caps"]
        self.zygote_pid = hello["pid"]

    def _recv(self, timeout: float = 30.0) -> tuple[dict, list[int]]:
        self.ctl.settimeout(timeout)
        try:
            msg, fds = ctl_recv(self.ctl)
        except (OSError, ValueError) as e:
            raise SandboxInfraError(f"sandbox zygote unreachable: {e}") from None
        if msg is None:
            raise SandboxInfraError(f"sandbox zygote exited (code {self.proc.poll() if self.proc else '?'})")
        return msg, fds

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            self.ctl.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ one sample
    def run(self, program: str, entry_point: str, trusted_check: Callable[[Callable], object]) -> Verdict:
        """Load `program` in a fresh sandboxed child and run `trusted_check(candidate_proxy)` here.

        Passed iff the trusted check returns; an AssertionError or any other exception raised by the
        trusted code is `failed`; the candidate failing to load, raising, dying or returning a
        non-builtin is `error`; running out of wall time is `timeout`; our own failures `unverifiable`."""
        if not self.alive():
            try:
                self.restart()
            except SandboxInfraError as e:
                return Verdict("unverifiable", str(e))
        t0 = time.monotonic()
        deadline = t0 + self.limits.timeout_s
        call_r, call_w = os.pipe()
        reply_r, reply_w = os.pipe()
        try:
            ctl_send(self.ctl, {"op": "run", "program": program, "entry": entry_point}, [call_r, reply_w])
            started, _ = self._recv()
            if started.get("op") != "started":
                raise SandboxInfraError(started.get("detail", "sandbox did not start the sample"))
        except (OSError, SandboxInfraError) as e:
            for fd in (call_r, call_w, reply_r, reply_w):
                os.close(fd)
            self.close()
            return Verdict("unverifiable", f"sandbox: {e}")
        finally:
            if self.proc is not None:
                os.close(call_r)
                os.close(reply_w)
        channel = _Channel(call_w, reply_r, deadline, self.limits.max_reply_mb << 20)
        status, detail = self._decide(channel, entry_point, trusted_check)
        channel.close()
        try:
            ctl_send(self.ctl, {"op": "finish"})
            fin, _ = self._recv()
        except (OSError, SandboxInfraError) as e:
            self.close()
            return Verdict("unverifiable", f"sandbox cleanup failed: {e}")
        return Verdict(status, detail, cpu_s=fin.get("cpu_s"), wall_s=round(time.monotonic() - t0, 4),
                       max_rss_mb=fin.get("max_rss_mb"))

    @staticmethod
    def _decide(channel: "_Channel", entry_point: str, trusted_check) -> tuple[str, str]:
        try:
            first = channel.receive("loading")
            if first == ["ready"]:
                pass
            elif type(first) is list and len(first) == 2 and first[0] == "loaderr" and type(first[1]) is str:
                return "error", f"program failed to load: {first[1]}"
            else:
                return "error", "program sent an invalid handshake"
            trusted_check(channel.proxy(entry_point))
            if channel.fault is not None:  # the test swallowed our timeout/exit signal: it still counts
                raise channel.fault
            return "passed", f"all checks passed ({channel.calls} calls)"
        except _CandidateTimeout as e:
            return "timeout", str(e)
        except (_CandidateGone, _CandidateInvalid) as e:
            return "error", str(e)
        except SandboxInfraError as e:
            return "unverifiable", str(e)
        except CandidateRaised as e:
            return "error", f"call #{channel.calls} raised {e}"
        except AssertionError as e:
            return "failed", f"assertion failed after call #{channel.calls}" + (f": {e}"[:200] if str(e) else "")
        except RecursionError:
            return "failed", "check hit the recursion limit on the candidate's value"
        except Exception as e:  # the trusted test choked on the candidate's (builtin) value
            return "failed", f"check raised {type(e).__name__} after call #{channel.calls}: {e}"[:300]


class _Channel:
    """The trusted end of one sample's two pipes, with the sample's wall-clock deadline."""

    def __init__(self, call_w: int, reply_r: int, deadline: float, max_reply: int):
        self.call_w, self.reply_r, self.deadline, self.max_reply = call_w, reply_r, deadline, max_reply
        self.calls = 0
        self.fault: BaseException | None = None
        self._poll = select.poll()
        self._poll.register(reply_r, select.POLLIN)

    def _read(self, n: int, when: str) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = self.deadline - time.monotonic()
            if left <= 0 or not self._poll.poll(max(1, int(left * 1000))):
                if self.deadline - time.monotonic() <= 0:
                    raise _CandidateTimeout(f"wall-clock limit reached while {when}")
                continue
            b = os.read(self.reply_r, min(n - got, 1 << 20))
            if not b:
                raise _CandidateGone(f"candidate process exited while {when}")
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def receive(self, when: str):
        if self.fault is not None:
            raise self.fault
        try:
            return self._receive(when)
        except (_CandidateTimeout, _CandidateGone, _CandidateInvalid) as e:
            self.fault = e
            raise

    def _receive(self, when: str):
        size = int.from_bytes(self._read(4, when), "big")
        if size > self.max_reply:
            raise _CandidateInvalid(f"reply of {size} bytes while {when} exceeds the {self.max_reply >> 20} MiB limit")
        try:
            return codec.decode(self._read(size, when))
        except codec.CodecError as e:
            raise _CandidateInvalid(f"undecodable reply while {when}: {e}") from None

    def call(self, args: tuple):
        try:
            payload = codec.encode(list(args))
        except codec.CodecError as e:
            raise SandboxInfraError(f"the test passes an argument that cannot cross the boundary: {e}") from None
        self.calls += 1
        when = f"answering call #{self.calls}"
        if self.fault is None:
            try:
                send_frame(self.call_w, payload)
            except BrokenPipeError:
                self.fault = _CandidateGone(f"candidate process exited before call #{self.calls}")
        reply = self.receive(when)
        if type(reply) is list and len(reply) == 2 and reply[0] == "ok":
            return reply[1]
        if type(reply) is list and len(reply) == 2 and reply[0] == "exc" and type(reply[1]) is str:
            raise CandidateRaised(reply[1])
        self.fault = _CandidateInvalid(f"malformed reply to call #{self.calls} (not a builtin value)")
        raise self.fault

    def proxy(self, name: str) -> Callable:
        def candidate(*args, **kwargs):
            if kwargs:
                raise SandboxInfraError("the test calls the candidate with keyword arguments, which rlvr does not forward")
            return self.call(args)

        candidate.__name__ = name
        return candidate

    def close(self) -> None:
        for fd in (self.call_w, self.reply_r):
            try:
                os.close(fd)
            except OSError:
                pass


class SandboxPool:
    """N sandboxes for N worker threads; `capabilities` is what the first zygote reported."""

    def __init__(self, workers: int, limits: Limits = Limits(), hide_files: tuple[str, ...] = (),
                 force_mode: str | None = None):
        self.sandboxes = [Sandbox(i, limits, hide_files, force_mode) for i in range(max(1, workers))]
        self._free = list(self.sandboxes)
        self._lock = threading.Condition()

    @property
    def capabilities(self) -> dict:
        return dict(self.sandboxes[0].caps)

    def acquire(self) -> Sandbox:
        with self._lock:
            while not self._free:
                self._lock.wait()
            return self._free.pop()

    def release(self, sandbox: Sandbox) -> None:
        with self._lock:
            self._free.append(sandbox)
            self._lock.notify()

    def close(self) -> None:
        for s in self.sandboxes:
            s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def capabilities(force_mode: str | None = None) -> dict:
    """Which protections hold on this host, as reported by a freshly started zygote."""
    with Sandbox(0, force_mode=force_mode) as sb:
        return dict(sb.caps)


__all__ = ["Limits", "Sandbox", "SandboxPool", "SandboxInfraError", "CandidateRaised", "capabilities", "asdict"]
