"""The fast-set DDP check (about 25 s on 2 cores): `rlvr train --launch --num-processes 2` on CPU
(gloo) runs SFT on both ranks, evaluates on rank 0 only while rank 1 waits, and leaves one run
directory with one checkpoint. The curve comparison
against a 1-process run is in test_distributed.py (slow)."""

import json
import os
import subprocess
import sys

import yaml


def test_two_process_sft_on_cpu(tmp_path, tiny_model):
    recipe = {"name": "smoke", "model": "tiny-random", "output_dir": str(tmp_path / "smoke"),
              "stages": [{"method": "sft", "data": {"task": "arithmetic", "n": 16}, "per_device_train_batch_size": 2,
                          "max_steps": 2, "logging_steps": 1, "save_steps": 2}],
              "eval": {"sets": [{"task": "arithmetic", "split": "eval", "n": 4}], "max_new_tokens": 4}}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe))
    proc = subprocess.run([sys.executable, "-m", "rlvr", "train", str(path), "--launch",
                           "--num-processes", "2"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "RLVR_NO_TRACKIO": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        assert f"rlvr rank {rank}/2: stage sft took 2 optimizer steps" in proc.stderr
    run = tmp_path / "smoke"
    assert sorted(p.name for p in (run / "stages" / "sft").glob("checkpoint-*")) == ["checkpoint-2"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2]  # rank 0 alone wrote the metrics
    assert json.loads((run / "stages" / "sft" / "trainer_state.json").read_text())["world_size"] == 2
    assert proc.stdout.count("final model:") == 1
    for label in ("base", "sft"):  # evaluated once, by rank 0
        assert proc.stderr.count(f"evaluating {label} on task arithmetic") == 1
        assert json.loads((run / "eval" / label / "summary.json").read_text())["n_problems"] == 4
