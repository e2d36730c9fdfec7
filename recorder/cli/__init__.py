"""The ``recorder`` command: a thin typer shell over library functions.

Conventions every command follows: exit 0 clean, 1 problems found, 2 bad input. Bad input is
one line on stderr (``file:place: message``), never a traceback: commands raise
``recorder.errors.BadInput`` and ``main`` turns it into that line.
"""
from __future__ import annotations

import sys

import typer

from recorder.errors import BadInput, RecorderError

try:  # typer >= 0.26 carries its own click; older ones use the click package
    from typer._click.exceptions import ClickException as _ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException as _ClickException

app = typer.Typer(
    name="recorder",
    help="Record third-party HTTP API traffic once, check it against the provider's OpenAPI "
         "contract, replay it in tests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register() -> None:
    # Each command module attaches itself to ``app``; importing them here keeps main() cheap to read.
    from recorder.cli import (cassettes_cmd, contracts_cmd, providers_cmd, record_cmd,  # noqa: F401
                              scan_cmd, verify_cmd)


def main(argv: list[str] | None = None) -> None:
    """Entry point for the console script and ``python -m recorder``."""
    _register()
    try:
        code = app(args=argv, prog_name="recorder", standalone_mode=False)
    except BadInput as exc:
        print(f"recorder: {exc.one_line()}", file=sys.stderr)
        sys.exit(2)
    except RecorderError as exc:
        print(f"recorder: {exc}", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("recorder: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except _ClickException as exc:  # usage errors arrive here in non-standalone mode
        exc.show()
        sys.exit(2)
    # In non-standalone mode click returns typer.Exit's code instead of raising it.
    sys.exit(code if isinstance(code, int) else 0)
