"""`rlvr` command line: parse -> call the API -> render. One module per verb group."""

from __future__ import annotations

import sys

from rlvr.cli.app import app, console

# Each import registers its verbs on `app`.
from rlvr.cli import core  # noqa: F401,E402
from rlvr.cli import export  # noqa: F401,E402
from rlvr.cli import data  # noqa: F401,E402
from rlvr.cli import plan  # noqa: F401,E402
from rlvr.cli import evaluate  # noqa: F401,E402
from rlvr.cli import verify  # noqa: F401,E402
from rlvr.cli import report  # noqa: F401,E402


def main() -> None:
    from rlvr.errors import RlvrError

    try:
        app(standalone_mode=False)
    except RlvrError as e:
        console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except Exception as e:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(e, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2)
        raise
