"""Verifiers: trusted code that decides whether an output is right. Each returns a `Verdict`."""

from rlvr.verify.verdict import STATUSES, Verdict

__all__ = ["STATUSES", "Verdict"]
