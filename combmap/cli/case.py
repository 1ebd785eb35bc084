"""`combmap case import|export|template` and `combmap example`: cases as spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from combmap.cli.common import (
    CaseArgument,
    OntologyOption,
    _by_suffix,
    _emit,
    _note,
    _ontology,
    app,
)

case_app = typer.Typer(
    help="Cases as spreadsheets: import coded barriers, export a case, or get a blank template.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)
app.add_typer(case_app, name="case")

#: Example cases shipped in the wheel, by short name.
EXAMPLES = {"baxter": "baxter-2020-cvso.yaml"}

SheetArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE", help="Coded barriers: an .xlsx workbook or a CSV file ('-' for stdin).", show_default=False
    ),
]


@case_app.command("import")
def case_import(
    sheet: SheetArgument,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="The case file to write (.yaml); '-' or none for stdout."),
    ] = None,
    case_id: Annotated[str | None, typer.Option("--id", metavar="ID", help="Case id (default: from the file name).")] = None,
    title: Annotated[str | None, typer.Option("--title", metavar="TEXT", help="Case title (default: the file name).")] = None,
    behaviour: Annotated[
        str | None, typer.Option("--behaviour", metavar="TEXT", help="The target behaviour, when the sheet does not give it.")
    ] = None,
    ontology: OntologyOption = None,
) -> None:
    """Turn a spreadsheet of coded barriers (one row each) into a validated case file.

    Every problem is reported at once, located by sheet, row and column.

    Example: combmap case import coding.xlsx -o my-case.yaml
    """
    from combmap.sheet import case_document_text, read_sheet

    _by_suffix(output, {".yaml": "yaml", ".yml": "yaml"}, "yaml", "case", option=False)
    onto = _ontology(ontology)
    case, document = read_sheet(sheet, onto, case_id=case_id, title=title, behaviour=behaviour)
    _emit(case_document_text(document, str(sheet)), output)
    _note(f"{len(case.barriers)} barriers and enablers in case {case.id!r}")


@case_app.command("export")
def case_export(
    case: CaseArgument,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="The spreadsheet to write: .xlsx (every sheet) or .csv (barriers); '-' for stdout (as .xlsx)."),
    ],
    ontology: OntologyOption = None,
) -> None:
    """Write a case as a spreadsheet, to edit in Excel and import again.

    Example: combmap case export cases/baxter-2020-cvso.yaml -o baxter.xlsx
    """
    from combmap.cli.common import _case
    from combmap.sheet import case_csv, case_workbook

    kind = _by_suffix(output, {".xlsx": "xlsx", ".csv": "csv"}, "xlsx", "spreadsheet", option=False)
    onto, loaded = _case(case, ontology)
    _emit(case_workbook(loaded, onto) if kind == "xlsx" else case_csv(loaded, onto), output)


@case_app.command("template")
def case_template(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="The blank workbook to write (.xlsx); '-' for stdout.")
    ] = Path("coding.xlsx"),
    ontology: OntologyOption = None,
) -> None:
    """Write a blank coding workbook: one row per barrier, code lists as drop-downs.

    Example: combmap case template -o coding.xlsx
    """
    from combmap.sheet import case_workbook

    _by_suffix(output, {".xlsx": "xlsx"}, "xlsx", "workbook", option=False)
    _emit(case_workbook(None, _ontology(ontology)), output)


@app.command()
def example(
    name: Annotated[str, typer.Argument(metavar="NAME", help="baxter", show_default=False)] = "baxter",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Where to write it; stdout by default.")
    ] = None,
) -> None:
    """Write an example case shipped with combmap, to try every command on.

    Example: combmap example baxter -o case.yaml
    """
    from combmap.errors import UnknownIdError
    from combmap.resources import example_case

    if name not in EXAMPLES:
        raise UnknownIdError(f"no example called {name!r} (examples: {', '.join(EXAMPLES)})")
    _by_suffix(output, {".yaml": "yaml", ".yml": "yaml"}, "yaml", "case", option=False)
    text = example_case(EXAMPLES[name]).read_text(encoding="utf-8")
    if text.startswith("# yaml-language-server:"):  # points into the repository; not beside a copy
        text = text.split("\n", 1)[1]
    _emit(text, output)
