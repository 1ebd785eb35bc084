"""Build ontology/links/cactis-component-technique.yaml from the CACTIS BCT reference workbook.

CACTIS (R. West, Unlocking Behaviour Change) pairs each of 27 COM-B "targets" with the
intervention functions that can change it and the behaviour change techniques that deliver each
function, named in the style of the BCT Ontology (BCTO). This script maps every row to combmap
ids: the COM-B sub-domain to one of the six components, the function name to an `if:` id
("Rule-making" is CACTIS's name for Restriction), and the BCT name to BCTTv1 codes through the
reviewed crosswalk tools/data/cactis-bcttv1-crosswalk.csv: one row per CACTIS technique name,
with the code(s), a match type (exact, same, narrower, broader, none) and a note. A name missing
from the crosswalk stops the import, so no row is lost to wording; rows whose match is 'none' are
listed in docs/cactis-unmapped.md and counted in the set's note.

Usage:
    python tools/import_cactis.py XLSX [CROSSWALK]

XLSX is "CACTIS_v1_7_2_BCT_Reference v19.xlsx"; CROSSWALK defaults to the reviewed file above.
Output paths are relative to the repository holding this script. The output is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import yaml

REPO = Path(__file__).resolve().parent.parent
OUT_YAML = REPO / "ontology" / "links" / "cactis-component-technique.yaml"
OUT_UNMAPPED = REPO / "docs" / "cactis-unmapped.md"
CROSSWALK = REPO / "tools" / "data" / "cactis-bcttv1-crosswalk.csv"
#: Match types of the crosswalk: how the CACTIS technique relates to the BCTTv1 technique(s).
MATCHES = ("exact", "same", "narrower", "broader", "none")

SHEET = "BCT Reference List"
TARGET_SHEET = "COM-B Quick Reference"
HEADER = (
    "BCT No.",
    "COM-B Domain",
    "Sub-domain",
    "COM-B Target",
    "Intervention Function",
    "BCT Name",
    "BCT Description",
)

COMPONENTS: dict[str, str] = {
    "physical capability": "comb:physical-capability",
    "psychological capability": "comb:psychological-capability",
    "physical opportunity": "comb:physical-opportunity",
    "social opportunity": "comb:social-opportunity",
    "reflective motivation": "comb:reflective-motivation",
    "automatic motivation": "comb:automatic-motivation",
}

FUNCTIONS: dict[str, str] = {
    "education": "if:education",
    "persuasion": "if:persuasion",
    "incentivisation": "if:incentivisation",
    "coercion": "if:coercion",
    "training": "if:training",
    "rule-making": "if:restriction",
    "restriction": "if:restriction",
    "environmental restructuring": "if:environmental-restructuring",
    "modelling": "if:modelling",
    "enablement": "if:enablement",
}


@dataclass(frozen=True)
class Row:
    """One row of the CACTIS BCT reference list."""

    number: int
    subdomain: str
    target: str
    function: str
    name: str


@dataclass(frozen=True)
class Unmapped:
    """A CACTIS row that could not be mapped, with the reason."""

    row: Row
    target_no: int | None
    reason: str


def normalise(label: str) -> str:
    """Return a label's match key: lower case, no trailing ' BCT(s)', no punctuation or spaces."""
    text = label.strip().lower()
    text = re.sub(r"\s+bcts?$", "", text)
    return re.sub(r"[^a-z0-9]+", "", text)


def bct_sort_key(code: str) -> tuple[int, int]:
    """Sort BCTTv1 codes numerically (2.1 before 10.1)."""
    group, number = code.split(".")
    return int(group), int(number)


def read_crosswalk(path: Path) -> dict[str, tuple[list[str], str, str]]:
    """Map CACTIS technique names to (BCTTv1 codes, match type, note) from the reviewed file."""
    out: dict[str, tuple[list[str], str, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            match = record["match"].strip()
            if match not in MATCHES:
                raise SystemExit(f"{path}: {record['cactis_name']!r}: unknown match {match!r}")
            codes = [c.strip() for c in record["bcttv1_codes"].split(";") if c.strip()]
            if (match == "none") != (not codes):
                raise SystemExit(f"{path}: {record['cactis_name']!r}: codes and match disagree")
            out[record["cactis_name"].strip()] = (
                sorted(codes, key=bct_sort_key),
                match,
                record["note"],
            )
    return out


def read_rows(path: Path) -> tuple[list[Row], dict[str, int]]:
    """Read the BCT reference list and the numbered target list from the workbook."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows: list[Row] = []
    seen_header = False
    for values in book[SHEET].iter_rows(values_only=True):
        cells = tuple("" if v is None else str(v).strip() for v in values[: len(HEADER)])
        if cells == HEADER:
            seen_header = True
            continue
        if not seen_header or not cells[0].isdigit():
            continue
        rows.append(Row(int(cells[0]), cells[2], cells[3], cells[4], cells[5]))
    if not seen_header:
        raise SystemExit(f"{path}: sheet {SHEET!r} has no header row {HEADER!r}")
    targets: dict[str, int] = {}
    for values in book[TARGET_SHEET].iter_rows(values_only=True):
        if values and isinstance(values[0], int) and len(values) >= 4 and values[3]:
            targets[str(values[3]).strip()] = values[0]
    book.close()
    return rows, targets


def build(
    rows: list[Row], targets: dict[str, int], crosswalk: dict[str, tuple[list[str], str, str]]
) -> tuple[list[dict[str, Any]], list[Unmapped]]:
    """Map rows to links (deduplicated on from, via, to) and collect the rows left unmapped."""
    missing = sorted({row.name for row in rows} - set(crosswalk))
    if missing:
        raise SystemExit(f"CACTIS names missing from the crosswalk: {missing}; review and add them")
    notes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    matches: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    unmapped: list[Unmapped] = []
    for row in rows:
        target_no = targets.get(row.target)
        component = COMPONENTS.get(row.subdomain.lower())
        function = FUNCTIONS.get(row.function.lower())
        codes, match, why = crosswalk[row.name]
        if component is None:
            unmapped.append(Unmapped(row, target_no, f"unknown sub-domain {row.subdomain!r}"))
            continue
        if function is None:
            unmapped.append(Unmapped(row, target_no, f"unknown function {row.function!r}"))
            continue
        if match == "none":
            unmapped.append(Unmapped(row, target_no, f"crosswalk: no BCTTv1 technique ({why})"))
            continue
        label = f"T{target_no}" if target_no is not None else "T?"
        text = f"CACTIS row {row.number}, target {label} '{row.target}': '{row.name}' ({match})"
        for code in codes:
            notes[(component, function, f"bct:{code}")].append(text)
            matches[(component, function, f"bct:{code}")].add(match)
    links = []
    for key, texts in sorted(
        notes.items(), key=lambda item: (item[0][0], item[0][1], bct_sort_key(item[0][2][4:]))
    ):
        component, function, technique = key
        found = [m for m in MATCHES if m in matches[key]]
        links.append(
            {
                "from": component,
                "via": function,
                "to": technique,
                "mapping": found[0],
                "note": "; ".join(texts),
            }
        )
    return links, unmapped


def write_yaml(links: list[dict[str, Any]], unmapped: list[Unmapped], total: int) -> None:
    """Write the link set file."""
    mapped_rows = total - len(unmapped)
    note = (
        "Generated by tools/import_cactis.py from CACTIS v1.7.2 'BCT Reference List' "
        f"({total} rows). Each row pairs a COM-B target with an intervention function and a "
        "BCTO-style technique name; the sub-domain gives the component and 'Rule-making' is "
        "read as Restriction. Technique names are mapped to BCTTv1 codes through the reviewed "
        "crosswalk tools/data/cactis-bcttv1-crosswalk.csv (every name is in it, with a match "
        "type: exact = equals a BCTO label cross-referenced to the code; same = the same "
        "technique in other words; narrower / broader = the CACTIS technique is a special case "
        "of, or wider than, the BCTTv1 one; none = no BCTTv1 technique). A name mapped to "
        f"several codes gives one link per code. {mapped_rows} rows mapped (95 under the earlier "
        f"exact-label matching), {len(unmapped)} have no BCTTv1 technique and are listed in "
        "docs/cactis-unmapped.md. Identical (from, via, to) links were merged, giving "
        f"{len(links)} links; each link's 'mapping' is its closest match and its note names "
        "the CACTIS rows, targets and match types. Secondary: CACTIS is R. West's refinement "
        "of the BCW (27 targets), not the published BCW itself. The workbook states no "
        "licence: only these derived links are shipped."
    )
    document = {
        "set": "cactis-component-technique",
        "relation": "component-technique",
        "title": "COM-B components to BCTs through intervention functions (CACTIS v1.7.2)",
        "lineage": ["cactis"],
        "sources": [
            {"ref": "west-cactis", "locator": "sheet 'BCT Reference List'", "read": "reproduction"}
        ],
        "profiles": ["bcw2011", "bcw2014", "bcw2014-disputed"],
        "note": note,
        "links": links,
    }
    header = "# Generated by tools/import_cactis.py; do not edit by hand.\n"
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    OUT_YAML.write_text(header + body, encoding="utf-8")


def write_unmapped(unmapped: list[Unmapped], total: int) -> None:
    """Write the Markdown table of unmapped rows."""
    lines = [
        "# CACTIS rows not mapped to BCTTv1",
        "",
        "Generated by `tools/import_cactis.py`; do not edit by hand. These rows of CACTIS v1.7.2",
        "'BCT Reference List' name a technique that the reviewed crosswalk",
        "(`tools/data/cactis-bcttv1-crosswalk.csv`) matches to no BCTTv1 technique (match type",
        "'none'; its note says why). They are left out of",
        "`ontology/links/cactis-component-technique.yaml` rather than forced onto a code.",
        "",
        f"{len(unmapped)} of {total} rows.",
        "",
        "| Row | CACTIS technique name | COM-B target | Function | Reason |",
        "|---|---|---|---|---|",
    ]
    for item in sorted(unmapped, key=lambda u: u.row.number):
        target = f"T{item.target_no} {item.row.target}" if item.target_no else item.row.target
        cells = [str(item.row.number), item.row.name, target, item.row.function, item.reason]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    OUT_UNMAPPED.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the import and report the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xlsx", type=Path, help="CACTIS_v1_7_2_BCT_Reference v19.xlsx")
    parser.add_argument(
        "crosswalk", type=Path, nargs="?", default=CROSSWALK, help="the reviewed crosswalk CSV"
    )
    args = parser.parse_args(argv)
    crosswalk = read_crosswalk(args.crosswalk)
    rows, targets = read_rows(args.xlsx)
    links, unmapped = build(rows, targets, crosswalk)
    write_yaml(links, unmapped, len(rows))
    write_unmapped(unmapped, len(rows))
    sys.stdout.write(
        f"{len(rows)} CACTIS rows: {len(rows) - len(unmapped)} mapped, {len(unmapped)} unmapped; "
        f"{len(links)} links written to {OUT_YAML.relative_to(REPO)}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
