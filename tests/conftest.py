import os
import subprocess
import sys

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RLVR_NO_TRACKIO", "1")  # tests do not write Trackio runs unless they ask to


@pytest.fixture(scope="session")
def tiny_model():
    """The tiny random Llama (2 layers, SmolLM2 tokenizer), built once per cache."""
    from rlvr.models import resolve_model

    return resolve_model("tiny-random")


def run_cli(*args, cwd=None, env=None, timeout=600):
    """Run `python -m rlvr ARGS` as a user would; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "rlvr", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
