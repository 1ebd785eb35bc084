"""`combmap completion`: shell completion, printed on demand so start-up stays fast."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from combmap.cli.common import COMPLETE_VAR, _out, app


class Shell(StrEnum):
    """Shells `combmap completion` writes a script for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"
    POWERSHELL = "powershell"


@app.command()
def completion(
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.", show_default=False)],
) -> None:
    """Print the shell completion script for commands, options and values.

    Load it from your shell's start-up file, e.g. for bash: eval "$(combmap completion bash)";
    for fish: combmap completion fish > ~/.config/fish/completions/combmap.fish

    Example: combmap completion zsh > ~/.zfunc/_combmap
    """
    from typer._completion_shared import get_completion_script

    _out(get_completion_script(prog_name="combmap", complete_var=COMPLETE_VAR, shell=shell.value), display=False)
