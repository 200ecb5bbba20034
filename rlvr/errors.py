"""Errors a user can cause. Each carries a one-paragraph message that names the file, line or field
and says what to do; the CLI renders it once and exits with code 2, without a traceback."""


class RlvrError(Exception):
    """Base class for user-facing errors."""

    exit_code = 2


class DatasetError(RlvrError):
    """A dataset or JSONL file that cannot be read or lacks what a command needs."""


class RecipeError(RlvrError):
    """A recipe with an unknown key, a wrong type or an impossible combination."""


class ModelError(RlvrError):
    """A model that cannot be resolved (unknown alias, missing directory, not in the offline cache)."""


class VerifyError(RlvrError):
    """Samples or problems given to a verifier that cannot be matched or parsed."""


class RunDirError(RlvrError):
    """A run directory that is missing or would be overwritten."""
