"""The one safe CSV writer and the one table reader (issue 13 item 3; issue 15 items 2 and 4)."""

from __future__ import annotations

import csv
import io
import resource
import time
from pathlib import Path

import pytest

from combmap import Ontology, load_ontology, render, survey
from combmap import assess as lib
from combmap.errors import AssessmentError, CombmapError, InputError
from combmap.tabular import (
    csv_records,
    csv_text,
    decode,
    read_table,
    safe_cell,
    sniff_delimiter,
    unguard,
)

from .hostile import FORMULAS, HOSTILE, formula_cells


@pytest.mark.parametrize("payload", FORMULAS)
def test_safe_cell_neutralises_every_formula_lead(payload: str) -> None:
    assert formula_cells(csv_text([[payload]])) == []
    assert unguard(str(safe_cell(payload))) == payload


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert csv_text([[-1.5, 3, None, "plain", "a-b"]]) == "-1.5,3,,plain,a-b\n"


def test_hostile_corpus_round_trips_through_the_writer() -> None:
    rows = [[text.replace("\x00", "")] for text in (*HOSTILE, *FORMULAS)]
    back = list(csv.reader(io.StringIO(csv_text(rows), newline="")))
    assert [unguard(r[0]) for r in back] == [r[0] for r in rows]
    assert formula_cells(csv_text(rows)) == []


def _formula_overlay(folder: Path) -> Path:
    (folder / "links").mkdir(parents=True)
    (folder / "bct.yaml").write_text(
        "kind: technique\nentities:\n"
        + "".join(
            f"  - id: bct:99.{i}\n    label: {payload!r}\n    definition: {payload!r}\n"
            f"    parent: bctg:4\n    ref: ours\n    locator: {payload!r}\n    status: unverified\n"
            for i, payload in enumerate(FORMULAS[:4], start=1)
        ),
        encoding="utf-8",
    )
    (folder / "links" / "ours.yaml").write_text(
        "set: ours\nrelation: function-technique\ntitle: '=1+1'\nref: ours\nlocator: '-2+3'\n"
        "status: unverified\nprofiles: [bcw2011, bcw2014]\nlinks:\n"
        "  - {from: if:persuasion, to: bct:99.1, grade: less-frequent}\n",
        encoding="utf-8",
    )
    (folder / "references.yaml").write_text(
        "references:\n  - key: ours\n    authors: [Us]\n    year: 2026\n    title: Ours\n",
        encoding="utf-8",
    )
    (folder / "questions.yaml").write_text(
        "items:\n  - id: q-formula\n    section: capability\n    text: '=HYPERLINK(\"x\")'\n"
        "    help: '@SUM(1)'\n    tdf: [tdf:knowledge]\n    comb: [comb:psychological-capability]\n",
        encoding="utf-8",
    )
    return folder


def test_every_csv_output_is_formula_safe(tmp_path: Path) -> None:
    """Issue 15 item 4: ontology export, both survey dictionaries, aggregate and case CSVs."""
    onto = load_ontology(_formula_overlay(tmp_path / "overlay"))
    outputs = {
        "ontology export": render.export_csv(onto),
        "survey csv": survey.export_questions(lib.question_bank(onto), "csv"),
        "survey redcap": survey.export_questions(lib.question_bank(onto), "redcap"),
    }
    assert "=HYPERLINK" in outputs["ontology export"]  # the payload is there, as text
    for name, text in outputs.items():
        assert formula_cells(text) == [], name


def test_delimiter_is_detected_outside_quotes_only() -> None:
    assert sniff_delimiter('"Q1, part a";"Q2"\n1;2\n') == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("single\n") == ","


def test_apostrophes_never_become_the_quote_character() -> None:
    """Issue 13 item 3: csv.Sniffer chose ' as the quote and merged Alex's row into Sam's."""
    text = "respondent,comments\nSam,'Tis hard\nAlex,we said 'no'\n"
    rows = list(csv_records(text, "s.csv"))
    assert rows == [(1, ["respondent", "comments"]), (2, ["Sam", "'Tis hard"]), (3, ["Alex", "we said 'no'"])]


def test_unclosed_quote_is_a_located_error_never_a_merged_row() -> None:
    text = 'id,a,b,c\nr1,"unclosed,1,2\nr2,3,4,5\nr3,6,7,8\n'
    with pytest.raises(InputError) as caught:
        list(csv_records(text, "s.csv"))
    assert "line 2" in str(caught.value)
    swallow = 'id,a,b,c\nr1,"x,1,2\nr2,3,4,5\nr3,"6",7,8\n'
    with pytest.raises(InputError) as caught:
        list(csv_records(swallow, "s.csv"))
    assert caught.value.issues and caught.value.issues[0].line == 2


def test_a_quoted_cell_may_span_lines() -> None:
    rows = list(csv_records('id,note,x\nr1,"two\nlines",1\nr2,b,2\n', "s.csv"))
    assert rows[1] == (2, ["r1", "two\nlines", "1"]) and rows[2] == (4, ["r2", "b", "2"])


def test_utf16_files_are_text_not_binary() -> None:
    """Issue 13 item 10: Excel's "Unicode text" is UTF-16 with a BOM, tab-separated."""
    text = "record_id\tq_know_duties\nr1\t4\n"
    assert decode(text.encode("utf-16"), "x.txt") == text
    assert decode(text.encode("utf-16-le"), "x.txt") == text
    assert decode(("\ufeff" + text).encode("utf-8"), "x.txt") == text
    with pytest.raises(InputError, match="binary"):
        decode(b"a\x00\x00\x00b\x00", "x.bin")


def test_survey_import_of_a_utf16_export(tmp_path: Path, onto: Ontology) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("record_id\tq_know_duties\nr1\t4\nr2\t2\n".encode("utf-16"))
    result = survey.import_survey(path, onto)
    assert [r.name for r in result.rows] == ["r1", "r2"]


def test_a_million_bad_survey_rows_are_fast_and_small(tmp_path: Path, onto: Ontology) -> None:
    """Issue 13 item 9: 1M bad rows took 280 s and 653 MB; now streamed, problems capped."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("record_id,q_know_duties\n")
        handle.writelines(f"r{i},x\n" for i in range(1_000_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = survey.import_survey(path, onto)
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(result.problems) == survey.MAX_PROBLEMS
    assert result.more_problems == 1_000_000 - survey.MAX_PROBLEMS
    assert elapsed < 60 and grown_mb < 200, (elapsed, grown_mb)


def test_an_over_long_answer_is_a_row_problem_not_a_bad_case(tmp_path: Path, onto: Ontology) -> None:
    """Issue 13 item 10: a survey field over the case limits was written, then refused by plan."""
    path = tmp_path / "s.csv"
    path.write_text(f"record_id,q_know_duties,comments\nr1,4,{'x' * 20_001}\nr2,4,ok\n", encoding="utf-8")
    result = survey.import_survey(path, onto)
    assert [r.name for r in result.rows] == ["r2"]
    assert "20,001 characters" in result.problems[0].message


def test_no_rows_imported_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import run_cli

    path = tmp_path / "s.csv"
    path.write_text("record_id,q_know_duties\nr1,x\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "assess", "import", str(path), "--out-dir", str(tmp_path))
    assert code == 1 and "no row was imported" in err and "the other rows" not in err


def test_redcap_labels_with_a_bar_do_not_add_a_choice(tmp_path: Path) -> None:
    """Issue 13 item 10: a scale label containing | added a choice in the REDCap dictionary."""
    overlay = tmp_path / "o"
    overlay.mkdir()
    (overlay / "questions.yaml").write_text(
        "scale:\n  points: [No | never, Rarely, Sometimes, Often, Always]\nitems: []\n", encoding="utf-8"
    )
    onto = load_ontology(overlay)
    bank = lib.question_bank(onto)
    rows = list(csv.reader(io.StringIO(survey.export_questions(bank, "redcap"))))
    radio = next(r for r in rows if r[3] == "radio")
    assert len(radio[5].split(" | ")) == 7
    (tmp_path / "s.csv").write_text(f"record_id,{survey.variable_name(bank.items[0])}\nr1,No / never\n", encoding="utf-8")
    result = survey.import_survey(tmp_path / "s.csv", onto)
    assert result.rows[0].response.answers == {bank.items[0].id: 1}


def test_broken_tables_fail_cleanly(tmp_path: Path) -> None:
    for name, data in {"e.csv": b"", "z.xlsx": b"PK\x03\x04junk", "d.csv": b"\xff\xfe\x00"}.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CombmapError):
            read_table(tmp_path / name)
    with pytest.raises(AssessmentError):
        survey.import_survey_text('a,b\n"x', "s.csv", lib.question_bank(load_ontology()))


def test_a_table_over_the_limit_is_refused_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables go through the one bounded reader (`yamlio.read_bytes`), with their own limit."""
    from combmap import tabular

    table = tmp_path / "big.csv"
    table.write_text("a,b\n" + "1,2\n" * 500, encoding="utf-8")
    monkeypatch.setattr(tabular, "MAX_TABLE_BYTES", 1000)
    with pytest.raises(InputError, match=r"big\.csv is larger than 1,000 bytes, the most combmap reads in a table"):
        read_table(table)
    with pytest.raises(InputError, match="is a directory; expected a table"):
        read_table(tmp_path)
