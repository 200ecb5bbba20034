"""The code verifier past one host: Ray actors, each owning a local sandbox pool.

The sandbox design stays per host: every actor starts its own `SandboxPool` (a zygote per worker
slot, namespaces and uids of the host it runs on) and runs the trusted `check()` for its samples
there, exactly as `rlvr verify` does locally. The driver validates the samples, cuts them into chunks,
keeps every actor busy with a bounded queue of chunks, and writes results back in input order, so a
Ray run and a local run produce the same rows (only wall times differ).

What crosses the network: the problem (trusted prompt/test text from the driver's problem file), the
completion text, and back the verdict fields (builtins). The candidate never talks to the driver.

Needs `pip install "rlvr[distributed]"` (ray). `address=None` starts a local Ray instance (tests);
`address="auto"` joins the cluster this host belongs to; `ray://host:10001` connects a client.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Iterable, Iterator

from rlvr.errors import VerifyError
from rlvr.sandbox import Limits
from rlvr.verify.problems import Problem

FIELDS = ("passed", "status", "detail", "wall_s", "cpu_s")
START_TIMEOUT_S = float(os.environ.get("RLVR_RAY_START_TIMEOUT_S", 120))
CHUNK = 8  # samples per task sent to an actor: small enough to balance, large enough to amortise a round trip


def _ray():
    try:
        import ray
    except ImportError:
        raise VerifyError("--ray needs the `ray` package: pip install \"rlvr[distributed]\" (or pip install ray), "
                          "or drop --ray to verify with the local sandbox pool.") from None
    return ray


class VerifierActor:
    """One host's share of the work: a SandboxPool with `workers` sandboxes (a Ray actor)."""

    def __init__(self, workers: int, limits: Limits, hide_files: tuple[str, ...] = ()):
        from rlvr.sandbox import SandboxPool

        self.pool = SandboxPool(workers, limits, tuple(hide_files))
        self.workers = workers

    def capabilities(self) -> dict:
        import socket

        return {**self.pool.capabilities, "host": socket.gethostname(), "pid": os.getpid()}

    def verify(self, chunk: list[tuple[int, dict, Problem]]) -> list[tuple[int, dict]]:
        from rlvr.verify.code import verify_samples

        samples = [{"task_id": p.task_id, "completion": s["completion"]} for _, s, p in chunk]
        problems = {p.task_id: p for _, _, p in chunk}
        rows = verify_samples(samples, problems, workers=self.workers, pool=self.pool)
        return [(i, {k: r.get(k) for k in FIELDS}) for (i, _, _), r in zip(chunk, rows)]

    def close(self) -> None:
        self.pool.close()


class RayVerifierPool:
    """`actors` Ray actors of `workers_per_actor` sandboxes each; `dispatch` is verify_samples' `remote`.

    By default one actor per `workers_per_actor` CPUs the cluster offers, so a cluster of N hosts gets
    actors spread over all of them (Ray places each where its CPUs are free)."""

    def __init__(self, actors: int | None = None, workers_per_actor: int = 2, limits: Limits = Limits(),
                 hide_files: Iterable[str] = (), address: str | None = None, chunk: int = CHUNK,
                 num_cpus: int | None = None):
        ray = _ray()
        t0 = time.monotonic()
        self._own_ray = not ray.is_initialized()
        if self._own_ray:
            ray.init(address=address, num_cpus=num_cpus if address is None else None, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers_per_actor = max(1, min(workers_per_actor, cpus))
        n = actors or max(1, cpus // self.workers_per_actor)
        remote_cls = ray.remote(num_cpus=self.workers_per_actor)(VerifierActor)
        self.actors = [remote_cls.remote(self.workers_per_actor, limits, tuple(hide_files)) for _ in range(n)]
        self.chunk = max(1, chunk)
        try:  # actors wait for free CPUs; a cluster that has none would otherwise wait forever
            self.capabilities = ray.get(self.actors[0].capabilities.remote(), timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise VerifyError(f"no Ray actor of {self.workers_per_actor} CPUs started within {START_TIMEOUT_S} s "
                              f"(cluster CPUs: {cpus}, some may be held by other actors). Free CPUs, add nodes, or "
                              "lower the workers per actor (--workers).") from None
        self.capabilities.update(backend="ray", actors=n, workers_per_actor=self.workers_per_actor,
                                 hosts=len({ray.get(a.capabilities.remote())["host"] for a in self.actors}),
                                 startup_s=round(time.monotonic() - t0, 2))
        self._lock = threading.Lock()  # one dispatch at a time (rewards may be called from threads)

    def dispatch(self, items: list[tuple[int, dict, Problem]]) -> Iterator[tuple[int, dict]]:
        """Send chunks round the actors, at most two in flight per actor; yield results as they land."""
        ray = _ray()
        todo = deque(items[k:k + self.chunk] for k in range(0, len(items), self.chunk))
        with self._lock:
            pending: dict = {}
            free = deque(self.actors * 2)
            while todo or pending:
                while todo and free:
                    actor = free.popleft()
                    pending[actor.verify.remote(todo.popleft())] = actor
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    free.append(pending.pop(ref))
                    yield from ray.get(ref)

    def close(self) -> None:
        ray = _ray()
        if not ray.is_initialized():
            return
        try:
            ray.get([a.close.remote() for a in self.actors], timeout=30)
        except Exception:
            pass
        for a in self.actors:
            ray.kill(a)
        self.actors = []
        if self._own_ray:
            ray.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_verify_ray(samples: list, problems: dict[str, Problem], address: str | None = None,
                   actors: int | None = None, workers_per_actor: int = 2, timeout: float = 3.0,
                   hide_files: Iterable[str] = (), **kwargs) -> tuple[list[dict], dict]:
    """`rlvr.verify.code.run_verify` with the sandboxes on Ray actors: the same rows and summary keys,
    and the summary's `sandbox` says backend ray, how many actors and on how many hosts."""
    from rlvr.verify.code import summarize, verify_samples

    t0 = time.monotonic()
    with RayVerifierPool(actors, workers_per_actor, Limits(timeout_s=timeout), hide_files, address) as pool:
        rows = verify_samples(samples, problems, remote=pool.dispatch, **kwargs)
        caps = dict(pool.capabilities)
    return rows, summarize(rows, time.monotonic() - t0, caps)
