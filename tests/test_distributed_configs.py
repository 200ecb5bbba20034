"""The shipped accelerate configs load with accelerate's own classes and say what their names promise;
a recipe's `distributed:` picks one, and `rlvr train` turns it into the right launch command."""

import sys

import pytest
from accelerate.commands.config.config_args import ClusterConfig
from accelerate.utils import DistributedType

from rlvr.errors import RecipeError
from rlvr.train import distributed as dist
from rlvr.train.distributed import CONFIGS, accelerate_config, grpo_generation_kwargs, launch_command, launch_decision


def load(name):
    return ClusterConfig.from_yaml_file(str(accelerate_config(name)))


def test_every_shipped_config_loads_and_is_bf16_on_one_machine():
    for name in CONFIGS:
        cfg = load(name)
        assert cfg.mixed_precision == "bf16" and cfg.num_machines == 1 and cfg.use_cpu is False, name


def test_ddp_is_plain_multi_gpu():
    cfg = load("ddp")
    assert cfg.distributed_type == DistributedType.MULTI_GPU
    assert cfg.deepspeed_config == {} and cfg.fsdp_config == {}


@pytest.mark.parametrize("name,stage", [("zero2", 2), ("zero3", 3)])
def test_deepspeed_configs_have_their_zero_stage(name, stage):
    cfg = load(name)
    assert cfg.distributed_type == DistributedType.DEEPSPEED
    assert cfg.deepspeed_config["zero_stage"] == stage
    assert cfg.deepspeed_config["offload_optimizer_device"] == "none"
    assert cfg.deepspeed_config.get("zero3_save_16bit_model", False) is (stage == 3)  # one file on save


def test_fsdp_shards_per_decoder_layer_and_saves_a_full_state_dict():
    cfg = load("fsdp")
    assert cfg.distributed_type == DistributedType.FSDP
    fsdp = cfg.fsdp_config
    assert fsdp["fsdp_version"] == 2 and fsdp["fsdp_reshard_after_forward"] is True
    assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"


def test_a_config_path_is_accepted_and_unknown_names_are_recipe_errors(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("distributed_type: MULTI_GPU\n")
    assert accelerate_config(str(own)) == own
    with pytest.raises(RecipeError, match="zero4.*ddp, zero2, zero3, fsdp"):
        accelerate_config("zero4")


def test_cpu_launch_command_is_ddp_over_gloo_with_an_explicit_count(monkeypatch):
    monkeypatch.setattr(dist, "gpu_count", lambda: 0)
    cmd = launch_command("r.yaml", "ddp", 2, ("--no-eval",))
    assert cmd[:4] == ["accelerate", "launch", "--config_file", str(accelerate_config("ddp"))]
    assert cmd[4:] == ["--mixed_precision", "no", "--num_cpu_threads_per_process", "1", "--num_processes", "2",
                       "-m", "rlvr", "train", "r.yaml", "--no-eval"]
    with pytest.raises(RecipeError, match="needs CUDA GPUs"):
        launch_command("r.yaml", "zero3", 2)
    with pytest.raises(RecipeError, match="--num-processes"):
        launch_command("r.yaml", "ddp")


def test_gpu_launch_uses_one_process_per_gpu(monkeypatch):
    monkeypatch.setattr(dist, "gpu_count", lambda: 8)
    cmd = launch_command("r.yaml", "zero3")
    assert cmd == ["accelerate", "launch", "--config_file", str(accelerate_config("zero3")), "--num_processes", "8",
                   "-m", "rlvr", "train", "r.yaml"]


def test_launch_decision(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(dist, "gpu_count", lambda: 4)
    assert launch_decision(None, "r.yaml", False, None) == ("here", None)
    action, cmd = launch_decision("fsdp", "r.yaml", False, None)
    assert action == "print" and cmd[cmd.index("--num_processes") + 1] == "4"  # never silently one GPU of four
    action, cmd = launch_decision(None, "r.yaml", True, None)
    assert action == "launch" and cmd[3] == str(accelerate_config("ddp"))
    monkeypatch.setattr(dist, "gpu_count", lambda: 1)
    assert launch_decision("zero3", "r.yaml", False, None) == ("here", None)
    monkeypatch.setenv("WORLD_SIZE", "2")  # already inside a launcher: train
    assert launch_decision("zero3", "r.yaml", True, None) == ("here", None)


def test_grpo_uses_vllm_only_where_it_can_run(monkeypatch):
    monkeypatch.setattr(dist, "vllm_available", lambda: False)
    assert grpo_generation_kwargs({}) == {}
    monkeypatch.setattr(dist, "vllm_available", lambda: True)
    assert grpo_generation_kwargs({}) == {"use_vllm": True, "vllm_mode": "colocate"}
    assert grpo_generation_kwargs({"vllm_mode": "server"}) == {"use_vllm": True, "vllm_mode": "server"}
    assert grpo_generation_kwargs({"use_vllm": False}) == {}  # the recipe decides


def test_vllm_is_not_available_without_a_gpu_or_package():
    import importlib.util

    import torch

    expected = importlib.util.find_spec("vllm") is not None and torch.cuda.is_available()
    assert dist.vllm_available() is expected


def test_make_config_leaves_vllm_off_on_this_cpu(tmp_path):
    from rlvr.train.recipe import parse_recipe
    from rlvr.train.stages import make_config

    r = parse_recipe({"name": "v", "model": "tiny-random", "stages": [
        {"method": "grpo", "data": {"task": "arithmetic"}, "rewards": ["accuracy"], "vllm_mode": "server"}]})
    cfg = make_config(r, r.stages[0], tmp_path, [])
    assert cfg.use_vllm is dist.vllm_available() and cfg.vllm_mode == "server"


def test_train_cli_rejects_an_unknown_distributed_value(tmp_path, cli):
    path = tmp_path / "r.yaml"
    path.write_text("name: x\nmodel: tiny-random\ndistributed: zero9\nstages: [{method: sft, data: {task: arithmetic}}]\n")
    proc = cli("train", path)
    assert proc.returncode == 2 and "zero9" in proc.stderr and "Traceback" not in proc.stderr
