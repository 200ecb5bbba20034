"""The Ray verifier pool gives the same verdicts as the local pool: all 164 canonical HumanEval
solutions and every hostile class, on a local Ray instance (2 CPUs, 2 actors of 1 sandbox each)."""

import json
import os

import pytest

ray = pytest.importorskip("ray", reason="the Ray backend needs `pip install ray` (the `distributed` extra)")

from rlvr.sandbox import Limits, SandboxPool  # noqa: E402
from rlvr.verify.code import verify_samples  # noqa: E402
from rlvr.verify.hostile import HOSTILE, hostile_completion  # noqa: E402
from rlvr.verify.problems import humaneval_path, load_problems  # noqa: E402
from rlvr.verify.ray_backend import RayVerifierPool  # noqa: E402

HOSTILE_TASKS = ("HumanEval/0", "HumanEval/32")


@pytest.fixture(scope="module")
def problems():
    return load_problems(humaneval_path())


@pytest.fixture(scope="module")
def ray_pool():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    pool = RayVerifierPool(actors=2, workers_per_actor=1, limits=Limits(timeout_s=1.0),
                           hide_files=(str(humaneval_path()),))
    yield pool
    pool.close()
    ray.shutdown()


def both(samples, problems, ray_pool):
    with SandboxPool(2, Limits(timeout_s=1.0), hide_files=(str(humaneval_path()),)) as pool:
        local = verify_samples(samples, problems, pool=pool, workers=2)
    remote = verify_samples(samples, problems, remote=ray_pool.dispatch)
    return local, remote


def test_canonical_humaneval_identical(problems, ray_pool):
    samples = [{"task_id": t, "completion": p.canonical_solution} for t, p in problems.items()]
    local, remote = both(samples, problems, ray_pool)
    assert len(remote) == 164 and all(r["status"] == "passed" for r in remote)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("wall_s", "cpu_s")} for r in rows]  # noqa: E731
    assert strip(remote) == strip(local)  # same order, ids, statuses and details


def test_hostile_set_identical_and_never_passes(problems, ray_pool, tmp_path):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("original")
    samples = [{"task_id": t, "cls": name,
                "completion": hostile_completion(name, problems[t].entry_point, sentinel=str(sentinel), port=9,
                                                 secret="RLVR_TEST_SECRET", pidfile=str(sentinel) + ".pid")}
               for name in HOSTILE for t in HOSTILE_TASKS]
    local, remote = both(samples, problems, ray_pool)
    assert len(remote) == 2 * len(HOSTILE) == 46
    # A memory or fork bomb ends either on its rlimit (error) or on the 1 s wall clock (timeout), whichever
    # comes first on a loaded machine; that race is the same with the local pool run twice.
    racy = {"memory_bomb", "fork_bomb"}
    same = lambda r: (r["cls"], r["status"] if r["cls"] not in racy else r["status"] in ("timeout", "error"))  # noqa: E731
    assert [same(r) for r in remote] == [same(r) for r in local]
    assert not any(r["passed"] for r in remote)
    assert {r["status"] for r in remote if r["cls"] == "infinite_loop"} == {"timeout"}
    assert sentinel.read_text() == "original" and not os.path.exists(str(sentinel) + ".pid")


def test_bad_samples_are_checked_on_the_driver(problems, ray_pool):
    samples = [{"task_id": "HumanEval/0", "completion": problems["HumanEval/0"].canonical_solution},
               {"task_id": "nope", "completion": ""}]
    rows = verify_samples(samples, problems, remote=ray_pool.dispatch, skip_bad=True)
    assert [r["status"] for r in rows] == ["passed", "error"]
    assert rows[1]["detail"] == "bad sample: task_id 'nope' is not in the problem set"


def test_pool_reports_its_actors(ray_pool):
    caps = ray_pool.capabilities
    assert caps["backend"] == "ray" and caps["actors"] == 2 and caps["workers_per_actor"] == 1 and caps["hosts"] == 1
    assert caps["mode"] in ("root", "userns", "plain")


def test_code_tests_reward_with_ray_backend(problems, ray_pool, monkeypatch):
    from rlvr.rewards import code
    from rlvr.rewards.code import code_tests

    # the reward's shared pool for (address None, timeout 1.0) is this one: the 2 test CPUs are taken
    monkeypatch.setitem(code._ray_pools, (None, 1.0), ray_pool)

    p = problems["HumanEval/0"]
    body = p.canonical_solution
    rewards = code_tests(["q", "q"], [body, "    return None\n"], test=[p.test] * 2, entry_point=[p.entry_point] * 2,
                         problem_prompt=[p.prompt] * 2, backend="ray", timeout=1.0)
    assert rewards == [1.0, 0.0]


def test_verify_cli_ray(tmp_path, cli, problems):
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "completion": problems[t].canonical_solution}) + "\n"
                               for t in ("HumanEval/0", "HumanEval/1", "HumanEval/2")))
    out = tmp_path / "r.jsonl"
    proc = cli("verify", samples, "--benchmark", "humaneval", "--out", out, "--ray", "--workers", "1", "--json",
               )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["pass@1"] == 1.0 and summary["sandbox"]["backend"] == "ray"
    assert [json.loads(line)["status"] for line in out.read_text().splitlines()] == ["passed"] * 3
