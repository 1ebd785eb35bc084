"""The `combmap` command line: the only package that prints, exits or imports typer.

Each command loads, computes, renders and outputs; everything else lives in the library.
Library modules are imported inside commands so that `combmap --help` stays fast. One module
per command group; importing them registers their commands on `app`.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any, NoReturn

import typer

from combmap.cli import (  # noqa: F401  (registration)
    assess,
    behaviours,
    case,
    compare,
    diagram,
    ontology,
    plan,
    shell,
)
from combmap.cli.common import (
    COMPLETE_VAR,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    _end_gc_pause,
    _pause_gc,
    _report,
    app,
)

__all__ = ["app", "main"]


def _stand_in(callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A function without parameters that carries `callback`'s name and docstring."""
    if callback is None:
        return None

    def stand_in() -> None:
        raise AssertionError("a stand-in command is listed in help, never run")

    stand_in.__name__ = callback.__name__
    stand_in.__doc__ = callback.__doc__
    return stand_in


def _trimmed(full: typer.Typer, args: list[str]) -> typer.Typer:
    """The app with every command but the one asked for replaced by a stand-in.

    typer builds the parameters of every command (reading their annotations) before it runs
    any: about 12 ms for combmap's commands, as much again as a help screen costs. A group's
    help lists only the names and summaries of its commands, so stand-ins with the same name,
    docstring and settings but no parameters print the same help (tests/test_cli.py compares
    them). Anything that is not a known command name is left to the full app, so that usage
    errors and suggestions are typer's own.
    """
    wanted = next((arg for arg in args if not arg.startswith("-")), None)
    commands = {
        info.name or typer.main.get_command_name(info.callback.__name__): info
        for info in full.registered_commands
        if info.callback is not None
    }
    groups = {str(info.name): info for info in full.registered_groups}
    if wanted is not None and wanted not in commands and wanted not in groups:
        return full
    trimmed = copy.copy(full)
    trimmed.registered_commands = []
    for name, info in commands.items():
        if name != wanted:
            info = copy.copy(info)
            info.name, info.callback = name, _stand_in(info.callback)
        trimmed.registered_commands.append(info)
    trimmed.registered_groups = []
    for name, group in groups.items():
        instance = group.typer_instance
        if name != wanted and instance is not None:
            group = copy.copy(group)
            sub = copy.copy(instance)
            sub.registered_commands, sub.registered_groups = [], []
            if sub.registered_callback is not None:
                sub.registered_callback = copy.copy(sub.registered_callback)
                sub.registered_callback.callback = _stand_in(sub.registered_callback.callback)
            group.typer_instance = sub
        trimmed.registered_groups.append(group)
    return trimmed


class _Deferred(type):
    """A stand-in class that imports the real one on first use (a call or an attribute)."""

    _module: str
    _name: str

    def _real(cls) -> Any:
        return getattr(import_module(cls._module), cls._name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, attribute: str) -> Any:
        return getattr(cls._real(), attribute)


#: What typer's help formatter imports at its top but help in rich markup never uses: rich's
#: Markdown (markdown-it, pygments) for `rich_markup_mode="markdown"`, and Traceback (attrs,
#: rich.pretty) for pretty tracebacks, which the app turns off. Together half its import time.
_UNUSED_BY_HELP = (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback"))


def _import_help_formatter() -> None:
    """Import `typer.rich_utils` with deferred stand-ins for the names in `_UNUSED_BY_HELP`.

    The stand-in modules are in `sys.modules` only while typer's module runs, so any later
    import of rich.markdown or rich.traceback gets the real module, and a stand-in class
    used after all (a call, `Traceback.from_exception`) imports and forwards to the real
    one. The help printed is typer's own, byte for byte (tests/test_cli.py). A typer that
    imports other names from these modules gets a plain import. Measured on `--help`: 50 ms
    of imports saved, a third of the minimal typer app's whole run.
    """
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins: dict[str, ModuleType] = {}
    for module, name in _UNUSED_BY_HELP:
        if module not in sys.modules:
            stand_in = ModuleType(module)
            setattr(stand_in, name, _Deferred(name, (), {"_module": module, "_name": name}))
            stand_ins[module] = stand_in
    sys.modules.update(stand_ins)
    try:
        import_module("typer.rich_utils")
        plain = False
    except ImportError:  # a typer that imports other names from them
        plain = True
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
    if plain:
        import_module("typer.rich_utils")


def _asks_for_help(args: list[str]) -> bool:
    """Whether typer will print a help screen: -h/--help, or no command, or a group alone."""
    groups = {str(info.name) for info in app.registered_groups}
    return not args or "-h" in args or "--help" in args or (len(args) == 1 and args[0] in groups)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI: map library errors to exit 1, usage errors to 2, bugs to 3."""
    _pause_gc()
    try:
        _run(sys.argv[1:] if argv is None else argv)
    finally:
        _end_gc_pause(process_ends=argv is None)


def _run(args: list[str]) -> NoReturn:
    from combmap.errors import CombmapError

    debug = "--debug" in args
    completing = COMPLETE_VAR in os.environ
    if completing:  # the shell asks for completions: typer's own protocol, on the full app
        from typer._completion_classes import completion_init

        completion_init()
    elif _asks_for_help(args):
        _import_help_formatter()
    try:
        # Standalone mode: typer handles --help, usage errors (exit 2) and Exit itself.
        (app if completing else _trimmed(app, args))(args=args, prog_name="combmap")
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
