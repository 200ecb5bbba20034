"""Run untrusted code (model-written programs) so that only trusted code decides the verdict.

Threat model
------------
The candidate is hostile and knows how the grader works. It may return objects that claim equality
with anything (including subclasses of builtins), exit early with status 0 (`sys.exit`, `os._exit`,
atexit hooks), raise skip or interrupt exceptions, tamper with builtins or the test's helpers, install
tracing hooks, print success text, loop forever, allocate without bound, fork without bound, flood
its output, write or delete files, open network connections, start daemons, read secrets from the
environment or home directory, read the answer key, and signal, trace or outlive the harness.

Defences
--------
* Verdict from plain data. The candidate runs in its own process; the problem's test runs in the
  trusted worker against a proxy. Each call sends builtin arguments over a pipe and receives bytes
  that `codec.decode` turns into fresh builtins (exact types only), so every `==` in the test is a
  real builtin comparison. A sample passes only if the trusted check returns. Exit status, printed
  text and objects built by the candidate never reach the verdict.
* Process isolation (mode `root`, when the harness runs as root): per worker a zygote started in a
  fresh interpreter with a scrubbed environment, in its own network namespace (no interfaces up: no
  TCP/UDP, not even to 127.0.0.1; abstract Unix sockets are per namespace) and mount namespace
  (empty tmpfs over /root and /home with only the interpreter's paths re-exposed, root-owned tmpfs
  over /var/tmp, /run/lock and /dev/shm, /dev/null bound over answer-key files). Per sample the
  zygote clones a child that is pid 1 of a new PID namespace (it cannot see or signal anything
  outside, and when it ends the kernel kills everything it started), with its own mount namespace,
  a fresh size-capped tmpfs as /tmp and working directory, a fresh /proc, then drops to a dedicated
  uid/gid per worker slot with no supplementary groups (it cannot write root-owned files, read other
  processes' environments, or ptrace anything), no_new_privs, a parent-death SIGKILL, and rlimits on
  address space, CPU seconds, file size, open files, processes+threads and core dumps. Stdin/stdout/
  stderr are /dev/null. The wall-clock limit is enforced by the trusted side.
* Mode `userns` (unprivileged, user namespaces allowed): the same namespaces, but the candidate keeps
  the invoking user's uid for file access, so it can read and write that user's files outside the
  hidden directories. Mode `plain` (no namespaces): rlimits, a private temp directory, a new session
  killed as a process group; no network isolation, and a daemon that leaves the session can outlive
  the sample. `capabilities()` reports which mode and protections are in force.

Not covered: kernel exploits (no seccomp filter), side channels and timing, total memory across a
fork bomb beyond nproc x address-space limit (no cgroups), CPU-time fairness between workers, and
filesystem Unix sockets that the sandbox uid is allowed to open.
"""

from rlvr.sandbox.codec import CodecError, decode, encode
from rlvr.sandbox.pool import (CandidateRaised, Limits, Sandbox, SandboxInfraError, SandboxPool,
                               capabilities)

__all__ = ["CandidateRaised", "CodecError", "Limits", "Sandbox", "SandboxInfraError", "SandboxPool",
           "capabilities", "decode", "encode"]
