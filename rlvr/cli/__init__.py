"""`rlvr` command line: parse -> call the API -> render. One module per verb group."""

from __future__ import annotations

import sys

from rlvr.cli.app import app, console

# Each import registers its verbs on `app`.
from rlvr.cli import core  # noqa: F401,E402
from rlvr.cli import submit  # noqa: F401,E402
from rlvr.cli import probe  # noqa: F401,E402
from rlvr.cli import export  # noqa: F401,E402
from rlvr.cli import data  # noqa: F401,E402
from rlvr.cli import plan  # noqa: F401,E402
from rlvr.cli import evaluate  # noqa: F401,E402
from rlvr.cli import verify  # noqa: F401,E402
from rlvr.cli import report  # noqa: F401,E402


def main() -> None:
    import os

    from rlvr.errors import RlvrError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # rlvr never downloads at run time
    try:
        rc = app(standalone_mode=False)
    except RlvrError as e:
        console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except Exception as e:
        # typer vendors its own click, so match click's exceptions by shape: usage errors show and exit 2.
        if type(e).__name__ == "Abort":
            sys.exit(130)
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            sys.exit(e.exit_code)
        raise
    if isinstance(rc, int) and rc:  # typer.Exit(code) returns the code when standalone_mode is off
        sys.exit(rc)
