"""The Verdict: what a verifier decided, kept apart from what it is worth as a reward."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["passed", "failed", "timeout", "error", "unverifiable"]
STATUSES: tuple[str, ...] = ("passed", "failed", "timeout", "error", "unverifiable")


@dataclass(frozen=True)
class Verdict:
    """`passed`/`failed`: the check ran and decided. `timeout`/`error`: the candidate's fault (it
    looped, crashed, or produced nothing checkable) and so a failure. `unverifiable`: the verifier's
    own fault or missing ground truth (unparseable gold, sandbox infrastructure failure): never a pass
    or a fail, reported and counted apart."""

    status: Status
    detail: str = ""
    cpu_s: float | None = None
    wall_s: float | None = None
    max_rss_mb: float | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}; expected one of {STATUSES}")

    @property
    def passed(self) -> bool | None:
        """True/False for a decided verdict, None when it could not be verified."""
        if self.status == "unverifiable":
            return None
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def reward_from_verdict(verdict: Verdict, pass_value: float = 1.0, fail_value: float = 0.0) -> float | None:
    """Reward = f(verdict): None for unverifiable (TRL then ignores it), never 0.0 for infra errors."""
    if verdict.status == "unverifiable":
        return None
    return pass_value if verdict.status == "passed" else fail_value
