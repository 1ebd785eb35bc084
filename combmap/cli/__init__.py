"""The `combmap` command line: the only package that prints, exits or imports typer.

Each command loads, computes, renders and outputs; everything else lives in the library.
Library modules are imported inside commands so that `combmap --help` stays fast. One module
per command group; importing them registers their commands on `app`.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from combmap.cli import assess, case, compare, diagram, ontology, plan, shell  # noqa: F401  (registration)
from combmap.cli.common import COMPLETE_VAR, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, _report, app

__all__ = ["app", "main"]

def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI: map library errors to exit 1, usage errors to 2, bugs to 3."""
    from combmap.errors import CombmapError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    if COMPLETE_VAR in os.environ:  # the shell asks for completions: typer's own protocol
        from typer._completion_classes import completion_init

        completion_init()
    try:
        # Standalone mode: typer handles --help, usage errors (exit 2) and Exit itself.
        app(args=args, prog_name="combmap")
    except CombmapError as error:
        if debug:
            raise
        _report(error)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        sys.stderr.write("stopped\n")
        sys.exit(130)
    except OSError as error:
        if debug:
            raise
        # Writing the result to stdout failed (a full disk, a closed terminal): an output
        # problem to report, not a bug.
        from combmap.errors import OutputError

        _report(OutputError(f"cannot write the output: {error.strerror or error}"))
        sys.exit(EXIT_INPUT)
    except Exception as bug:
        if debug:
            raise
        _report(
            RuntimeError(
                f"internal error ({type(bug).__name__}: {bug}); please report it, and rerun with --debug to see the traceback"
            )
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
