"""Watching for a policy that learns the verifier instead of the task.

  patterns   completion text -> the known reward-hack patterns it shows (code and math)
  signals    per-batch rates of those patterns and the R1-Zero failure signs (length, repetition,
             non-target language), and the rising-rate / reward-vs-held-out drift rules
  review     human-audit slices of a run's eval samples, and scoring the verifier on the verdicts

Training integration (a reward wrapper and TrainerCallbacks) lives in rlvr/train/monitor.py.
"""
