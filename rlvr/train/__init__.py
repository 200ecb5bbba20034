"""Training: recipes (YAML -> dataclasses over TRL's configs), stages (SFT, DPO, GRPO) and the runner."""
