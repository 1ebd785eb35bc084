"""Cases as spreadsheets: import, export, template (issue 15 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from combmap import Ontology, load_case
from combmap.errors import CaseError
from combmap.sheet import case_csv, case_workbook, read_sheet

from .conftest import run_cli
from .hostile import write_hostile_case

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_xlsx_round_trip_gives_the_same_case(path: Path, tmp_path: Path, onto: Ontology) -> None:
    case = load_case(path, onto)
    book = tmp_path / "case.xlsx"
    book.write_bytes(case_workbook(case, onto))
    back, _document = read_sheet(book, onto)
    assert back == case
    assert back.assessment == case.assessment


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_csv_round_trip_gives_the_same_barriers(path: Path, tmp_path: Path, onto: Ontology) -> None:
    case = load_case(path, onto)
    table = tmp_path / "case.csv"
    table.write_text(case_csv(case, onto), encoding="utf-8")
    back, _ = read_sheet(table, onto, behaviour=case.behaviour.target)
    assert back.barriers == case.barriers


def test_hostile_text_round_trips_through_xlsx_and_csv(tmp_path: Path, onto: Ontology) -> None:
    case = load_case(write_hostile_case(tmp_path), onto)
    (tmp_path / "h.xlsx").write_bytes(case_workbook(case, onto))
    assert read_sheet(tmp_path / "h.xlsx", onto)[0] == case
    (tmp_path / "h.csv").write_text(case_csv(case, onto), encoding="utf-8")
    assert read_sheet(tmp_path / "h.csv", onto, behaviour="x")[0].barriers == case.barriers


def test_formulas_are_written_as_text(tmp_path: Path, onto: Ontology) -> None:
    (tmp_path / "f.csv").write_text('id,text,tdf\nb1,"=HYPERLINK(""x"")",knowledge\n', encoding="utf-8")
    case, _ = read_sheet(tmp_path / "f.csv", onto, behaviour="x")
    book = tmp_path / "f.xlsx"
    book.write_bytes(case_workbook(case, onto))
    cell = load_workbook(book)["barriers"]["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'


def test_errors_are_located_by_sheet_row_and_column_all_at_once(tmp_path: Path, onto: Ontology) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "barriers"
    ws.append(["id", "text", "TDF domain", "TDF domain 2", "COM-B", "frequency", "colour"])
    ws.append(["b1", "No money", "knowlege", "", "", "", "red"])
    ws.append(["B 2", "Too busy", "skills", "emotion", "psychological capability", "-3"])
    book.save(tmp_path / "coding.xlsx")
    with pytest.raises(CaseError) as caught:
        read_sheet(tmp_path / "coding.xlsx", onto, behaviour="x")
    shown = [str(i) for i in caught.value.issues]
    where = "coding.xlsx [sheet barriers]"
    assert any(s.startswith(f"{where}:1: column G: unknown column 'colour'") for s in shown), shown
    assert any(s.startswith(f"{where}:2: column C (tdf): unknown domain 'knowlege'") and "knowledge" in s for s in shown), shown
    assert any(s.startswith(f"{where}:3: column A (id):") for s in shown), shown
    assert any(s.startswith(f"{where}:3: column F (frequency):") for s in shown), shown


def test_template_has_drop_downs(tmp_path: Path, onto: Ontology) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(case_workbook(None, onto))
    book = load_workbook(path)
    assert book.sheetnames == ["case", "barriers", "groups", "exclusions", "apease", "lists"]
    assert book["lists"].sheet_state == "hidden"
    formulas = {v.formula1 for v in book["barriers"].data_validations.dataValidation}
    assert any("lists!$B$2:$B$15" in f for f in formulas)  # the 14 TDF domains
    assert [c.value for c in book["barriers"][1]][:4] == ["id", "text", "kind", "tdf"]


def test_cli_import_export_template_and_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "case", "template", "-o", str(tmp_path / "t.xlsx"))
    assert code == 0
    code, _, _ = run_cli(capsys, "example", "baxter", "-o", str(tmp_path / "case.yaml"))
    assert code == 0
    code, _, _ = run_cli(capsys, "case", "export", str(tmp_path / "case.yaml"), "-o", str(tmp_path / "c.xlsx"))
    assert code == 0
    code, out, err = run_cli(capsys, "case", "import", str(tmp_path / "c.xlsx"))
    assert code == 0 and out.startswith("# Made by `combmap case import`") and "41 barriers" in err
    code, _, err = run_cli(capsys, "case", "export", str(tmp_path / "case.yaml"), "-o", str(tmp_path / "c.docx"))
    assert code == 1 and ".csv, .xlsx" in err
