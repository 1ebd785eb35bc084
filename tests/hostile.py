"""One shared corpus of hostile strings, and a case file made of them.

Every renderer's tests use it: case text is untrusted (a client's notes, a partner's quotes), so
none of these may break a format's syntax, run as code, or be read as markup.
"""

from __future__ import annotations

from pathlib import Path

import yaml

#: A string of exactly 5,000 characters (words, so wrapping has work to do).
LONG = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 100)[:5000]
#: 5,000 characters with no space at all.
LONG_WORD = "W" * 5000

HOSTILE: tuple[str, ...] = (
    'He said "hi", then \'bye\' and "unbalanced',
    "back\\slash, double \\\\ and a trailing backslash \\",
    "literal \\n newline, \\l left, \\r right, \\N node, \\G graph, \\E edge, \\T tail",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<<B>html label</B>>",
    "{} { curly } braces }{",
    "a -> b -- c; d -> e",
    "digraph",
    "subgraph",
    "node [shape=box]",
    "strict graph G { x }",
    "&amp; &lt; &gt; &#60; &quot; &nbsp;",
    "line one\nline two\r\nline three",
    "tab\there\tand\tthere",
    "emoji 😀 👩🏽‍⚕️ 🏳️‍🌈",
    "RTL שלום עולם مرحبا بالعالم \u202eevil override\u202c end",
    LONG,
    LONG_WORD,
    "**x** __y__ `code` # heading",
    "[a](javascript:alert(1))",
    "| table | breaker |\n|---|---|",
    "[bold red]x[/] and [link=https://example.invalid]click[/link]",
    '"] end --> x["',
    "end",
    "-->",
    "%% comment\nclassDef evil fill:#f00",
    "#quot; #35; #59;",
    "\x00\x07\x1b[31mANSI red\x1b[0m",
)

#: Terminal escape sequences and controls (issue 13): each would act on a terminal if printed.
TERMINAL: tuple[str, ...] = (
    "\x1b]52;c;aGVsbG8=\x07 writes the clipboard (OSC 52)",
    "\x1b]8;;https://example.invalid\x1b\\hidden link\x1b]8;;\x1b\\ (OSC 8)",
    "\x1b[2J\x1b[H screen cleared",
    "\x1b]0;new window title\x07 title change",
    "overwritten\rby carriage return",
    "back\x08\x08\x08\x08space",
    "bidi \u202eoverride\u202c \u2066isolate\u2069 \u200fmark",
    "C1 \x9b31m CSI and \x9d OSC",
    "\x1bP device control \x1b\\",
)
#: Every hostile string: the shared corpus plus the terminal sequences.
ALL: tuple[str, ...] = HOSTILE + TERMINAL

#: The case title: short enough for one terminal line, hostile in every format.
TITLE = 'Hostile "case" <script>alert(1)</script> [bold red]x[/] **x** \\n {} -> end'

_TDF = ["knowledge", "skills", "emotion", "social-influences", "environmental-context-and-resources", "goals"]
_COMB = ["psychological-capability", "physical-opportunity", "social-opportunity", "reflective-motivation", "automatic-motivation", "physical-capability"]
_KINDS = ["barrier", "barrier", "enabler", "both"]


def hostile_case_data() -> dict[str, object]:
    """Plain data of a valid case whose every free-text field is hostile."""
    groups = [
        {"id": "staff", "label": "<script>alert('group')</script> & [bold]staff[/]"},
        {"id": "volunteers", "label": 'vol"unteers \\n -> }'},
    ]
    barriers = []
    for index, text in enumerate(HOSTILE):
        clean = text.replace("\x00", "")  # YAML cannot carry NUL
        entry: dict[str, object] = {
            "id": f"h{index:02d}",
            "text": clean,
            "kind": _KINDS[index % len(_KINDS)],
            "tdf": [_TDF[index % len(_TDF)]],
            "evidence": [clean, HOSTILE[(index + 3) % len(HOSTILE)].replace("\x00", "")],
            "notes": HOSTILE[(index + 5) % len(HOSTILE)].replace("\x00", ""),
            "group": groups[index % 2]["id"],
            "frequency": 1 + index % 4,
        }
        if index % 3 == 0:
            entry["comb"] = [_COMB[index % len(_COMB)]]
        barriers.append(entry)
    return {
        "case": {
            "id": "hostile-case",
            "title": TITLE,
            "organisation": "<img src=x onerror=alert(1)> Org & \"Co\" \\N",
            "sector": "[bold red]sector[/]",
            "setting": "RTL \u202e gnittes",
            "date": "2026-01-01",
            "source": {"citation": "[a](javascript:alert(1)) <script>x</script>", "url": "javascript:alert(1)"},
            "coded_by": "digraph { a -> b }",
            "notes": LONG,
        },
        "behaviour": {
            "target": "<script>alert('behaviour')</script> target",
            "who": '"] end --> x["',
            "what": "**x** | y |",
            "where": "\\l\\n",
            "when": "{}",
            "how_often": "&amp;",
            "with_whom": "emoji 😀",
        },
        "groups": groups,
        "barriers": barriers,
        "options": {
            "exclude": [{"id": "if:coercion", "reason": "<script>alert('apease')</script> \"too\" \\n harsh", "criteria": ["acceptability"]}],
            "apease": {"if:enablement": {"affordability": "unsure", "practicability": "pass"}},
        },
    }


def write_hostile_case(folder: Path) -> Path:
    """Write the hostile case as YAML into `folder` and return its path."""
    path = folder / "hostile-case.yaml"
    path.write_text(yaml.safe_dump(hostile_case_data(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


#: Cells a spreadsheet would run as formulas (OWASP's CSV-injection leads, and full-width forms).
FORMULAS: tuple[str, ...] = (
    '=HYPERLINK("http://evil.example","Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
)


def formula_cells(text: str) -> list[str]:
    """Cells of a CSV text that a spreadsheet would read as a formula (should be none)."""
    import csv
    import io

    leads = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row if cell.startswith(leads)]
