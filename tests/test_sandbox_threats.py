"""Every hostile class on real HumanEval problems: never `passed`, and the host is left untouched."""

import os
import socket
import subprocess
import time

import pytest

from rlvr.sandbox import Limits, SandboxPool
from rlvr.verify.code import verify_samples
from rlvr.verify.hostile import CHEAT_CLASSES, HOST_CLASSES, HOSTILE, hostile_completion
from rlvr.verify.problems import humaneval_path, load_problems

TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/33", "HumanEval/32")
SECRET = "hunter2-rlvr-test-secret"


@pytest.fixture(scope="module")
def problems():
    return load_problems(humaneval_path())


@pytest.fixture(scope="module")
def hostile_run(problems, tmp_path_factory):
    """Run every class on every task once, recording the host's state around the run."""
    sentinel = tmp_path_factory.mktemp("host") / "sentinel.txt"
    sentinel.write_text("original")
    os.environ["RLVR_TEST_SECRET"] = SECRET
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    samples = [{"task_id": t, "completion": hostile_completion(name, problems[t].entry_point, sentinel=str(sentinel),
                                                               port=port, secret="RLVR_TEST_SECRET",
                                                               pidfile=str(sentinel) + ".pid"),
                "cls": name} for name in HOSTILE for t in TASKS]
    with SandboxPool(2, Limits(timeout_s=1.0), hide_files=(str(humaneval_path()),)) as pool:
        uids = [sb.uid for sb in pool.sandboxes]
        rows = verify_samples(samples, problems, pool=pool, workers=2)
        alive = all(sb.alive() for sb in pool.sandboxes)
    time.sleep(0.3)
    try:
        server.accept()
        connected = True
    except OSError:
        connected = False
    server.close()
    leftover = subprocess.run(["ps", "-eo", "uid=,pid=,cmd="], capture_output=True, text=True).stdout.splitlines()
    leftover = [ln for ln in leftover if ln.split() and int(ln.split()[0]) in uids]
    return {"rows": rows, "sentinel": sentinel, "connected": connected, "leftover": leftover, "zygotes_alive": alive}


@pytest.mark.parametrize("name", CHEAT_CLASSES + HOST_CLASSES)
def test_hostile_class_never_passes(hostile_run, name):
    rows = [r for r in hostile_run["rows"] if r["cls"] == name]
    assert len(rows) == len(TASKS)
    assert [r["status"] for r in rows if r["status"] == "passed"] == []
    assert all(r["status"] in ("failed", "timeout", "error") for r in rows), [(r["status"], r["detail"]) for r in rows]


@pytest.mark.parametrize("name", ["infinite_loop", "sleep_forever"])
def test_loops_are_timeouts(hostile_run, name):
    assert {r["status"] for r in hostile_run["rows"] if r["cls"] == name} == {"timeout"}


@pytest.mark.parametrize("name", ["always_equal", "int_subclass", "str_subclass"])
def test_fake_equal_values_never_cross_the_boundary(hostile_run, name):
    for r in hostile_run["rows"]:
        if r["cls"] == name:
            assert r["status"] == "error" and "cannot cross the sandbox boundary" in r["detail"]


def test_file_outside_sandbox_unchanged(hostile_run):
    assert hostile_run["sentinel"].read_text() == "original"
    assert not os.path.exists(str(hostile_run["sentinel"]) + ".pid")
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not os.path.exists(os.path.join(d, "rlvr-pwned"))


def test_no_network_connection_reached_the_host(hostile_run):
    assert hostile_run["connected"] is False


def test_secret_not_returned(hostile_run):
    assert all(SECRET not in r["detail"] for r in hostile_run["rows"])
    # HumanEval/33's check compares against the candidate itself (sort_third), so a returned secret
    # would show up as a pass there; read_secret returns None, which fails the check.
    assert [r["status"] for r in hostile_run["rows"] if r["cls"] == "read_secret"].count("passed") == 0


def test_harness_alive_and_nothing_left_running(hostile_run):
    assert hostile_run["zygotes_alive"]
    assert os.getppid() > 1  # this process (the harness) was not killed
    assert hostile_run["leftover"] == []


def test_secret_env_var_invisible_inside(problems):
    """A candidate returning os.environ / reading the zygote's environ gets nothing of the grader's."""
    os.environ["RLVR_TEST_SECRET"] = SECRET
    seen = []
    with SandboxPool(1, Limits(timeout_s=2.0)) as pool:
        sb = pool.sandboxes[0]
        prog = ("import os\ndef leak():\n    out = dict(os.environ)\n    for p in os.listdir('/proc'):\n"
                "        try: out[p] = open('/proc/%s/environ' % p, 'rb').read().decode('latin1')\n"
                "        except Exception as e: pass\n    return str(out)\n")
        v = sb.run(prog, "leak", lambda c: seen.append(c()))
    assert v.status == "passed" and seen
    assert SECRET not in seen[0]


def test_all_164_canonical_solutions_pass(problems):
    samples = [{"task_id": t, "completion": p.canonical_solution} for t, p in problems.items()]
    rows = verify_samples(samples, problems, workers=2, hide_files=(str(humaneval_path()),))
    bad = [(r["task_id"], r["status"], r["detail"]) for r in rows if r["status"] != "passed"]
    assert bad == []
    assert [r["task_id"] for r in rows] == list(problems)


def test_answer_key_hidden_from_candidate(problems):
    path = str(humaneval_path())
    got = []
    with SandboxPool(1, Limits(timeout_s=2.0), hide_files=(path,)) as pool:
        program = (f"def size():\n    try:\n        return len(open({path!r}, 'rb').read())\n"
                   "    except OSError:\n        return -1\n")
        v = pool.sandboxes[0].run(program, "size", lambda c: got.append(c()))
    # replaced by /dev/null (0 bytes), or not visible at all (-1) when it lives under the private /tmp
    assert v.status == "passed" and got in ([0], [-1])
