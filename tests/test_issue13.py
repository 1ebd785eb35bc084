"""Issue 13: nothing lost, nothing injected. One regression test per numbered fault, plus the
corpus tests for the class behind it (terminal and Markdown outputs join the hostile corpus).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from combmap import load_case, load_ontology, make_plan
from combmap.errors import AssessmentError, CombmapError, InputError, Issue, OutputError
from combmap.ontology import Ontology
from combmap.output import write_output
from combmap.render import export_graphml, md_code, md_escape, plan_markdown
from combmap.terminal import UNSAFE, clean, clean_block, markup

from .conftest import CASES, DATA
from .conftest import run_cli as run
from .hostile import ALL, TERMINAL, hostile_case_data

BAXTER = CASES / "baxter-2020-cvso.yaml"


def _unsafe(text: str) -> list[str]:
    """Characters that would act on a terminal (newline and tab are layout, not attacks)."""
    return sorted({repr(c) for c in UNSAFE.findall(text) if c not in "\n\t"})


# --- 1. terminal escapes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def terminal_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A case and an overlay whose free text carries every terminal sequence."""
    folder = tmp_path_factory.mktemp("terminal")
    data: dict[str, Any] = hostile_case_data()
    data["case"]["title"] = " ".join(TERMINAL[:4])
    data["options"]["exclude"][0]["reason"] = " ".join(TERMINAL)
    for index, text in enumerate(TERMINAL):
        data["barriers"].append({"id": f"t{index}", "text": text, "kind": "barrier", "tdf": ["knowledge"]})
    case = folder / "case.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    overlay = folder / "overlay"
    (overlay / "links").mkdir(parents=True)
    entity = {
        "id": "bcto:9001",
        "label": "Evil " + TERMINAL[0],
        "definition": " ".join(TERMINAL),
        "parent": "bctg:4",
        "ref": "michie2013",
        "status": "unverified",
    }
    (overlay / "bct.yaml").write_text(yaml.safe_dump({"kind": "technique", "entities": [entity]}), encoding="utf-8")
    links = {
        "set": "evil-links",
        "relation": "function-technique",
        "title": "Evil",
        "ref": "michie2013",
        "locator": TERMINAL[1],
        "status": "unverified",
        "profiles": ["bcw2011", "bcw2014"],
        "links": [{"from": "if:education", "to": "bcto:9001", "grade": "most-frequent"}],
    }
    (overlay / "links" / "evil.yaml").write_text(yaml.safe_dump(links), encoding="utf-8")
    return case, overlay


TERMINAL_COMMANDS = [
    ("plan", "{case}", "-f", "table", "--ontology", "{overlay}"),
    ("explain", "{case}", "education", "--ontology", "{overlay}"),
    ("explain", "{case}", "coercion", "--ontology", "{overlay}"),
    ("explain", "{case}", "bcto:9001", "--ontology", "{overlay}"),
    ("ontology", "search", "evil", "--ontology", "{overlay}"),
    ("ontology", "show", "bcto:9001", "--ontology", "{overlay}"),
    ("compare", "{case}", "--by", "group", "-f", "table", "--ontology", "{overlay}"),
    ("aggregate", "{case}", "-f", "table", "--ontology", "{overlay}"),
]


@pytest.mark.parametrize("args", TERMINAL_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_terminal_outputs_carry_no_control_characters(
    capsys: pytest.CaptureFixture[str], terminal_inputs: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    """Issue 13 item 1: OSC 52, OSC 8, ESC[2J, title changes, CR, backspace, bidi never printed."""
    case, overlay = terminal_inputs
    code, out, err = run(capsys, *(a.format(case=case, overlay=overlay) for a in args))
    assert code in (0, 1), err
    assert _unsafe(out) == [], out
    assert _unsafe(err) == [], err


def test_error_messages_are_filtered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 13 item 1: a file name or message with escapes reaches stderr cleaned."""
    name = str(tmp_path / ("x" + TERMINAL[0] + TERMINAL[2] + ".yaml"))
    code, _, err = run(capsys, "validate", name)
    assert code == 1
    assert "does not exist" in err
    assert _unsafe(err) == []


def test_assessment_summary_is_filtered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 13 item 1: the summary after --answers prints paths and labels through the filter."""
    out_file = tmp_path / ("org" + TERMINAL[2] + TERMINAL[4] + ".yaml")
    code, out, err = run(capsys, "assess", "--out", str(out_file), "--answers", str(DATA / "assess" / "answers.yaml"))
    assert code == 0, err
    assert "Your case file" in out
    assert _unsafe(out) == [] and _unsafe(err) == []


@pytest.mark.parametrize("text", ALL, ids=range(len(ALL)))
def test_terminal_filter_on_the_corpus(text: str) -> None:
    """The class: every corpus string, through each terminal helper, prints nothing active."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, force_terminal=False, width=100_000).print(f"[dim]{markup(text)}[/dim]")
    assert buffer.getvalue() == clean(text) + "\n"  # printed literally: no markup, no controls
    assert UNSAFE.search(clean(text)) is None
    assert _unsafe(clean_block(text)) == []


# --- 2. Markdown ------------------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def _html_tags(html: str) -> set[str]:
    import re

    return {m.lower() for m in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)}


_ALLOWED = {"p", "code", "h1", "h2", "h3", "ul", "ol", "li", "strong", "em", "table", "thead", "tbody", "tr", "th", "td", "br", "pre", "hr"}


@pytest.mark.parametrize("text", [*ALL, "` <img src=x onerror=alert(1)> `", "```\nfence", "`` x ``"], ids=range(len(ALL) + 3))
def test_markdown_builders_on_the_corpus(text: str) -> None:
    """The class: escaped text and code spans render no HTML, and a code span holds all its text."""
    for rendered in (md_escape(text), md_code(text), f"| a | {md_code(text, table=True)} |\n|---|---|\n"):
        assert _html_tags(_MD.render(rendered)) <= _ALLOWED, rendered
    tokens = _MD.parseInline(md_code(text))[0].children or []
    spans = [t for t in tokens if t.type == "code_inline"]
    assert len(spans) == 1 and [t.type for t in tokens] == ["code_inline"]
    assert spans[0].content.strip() == clean(text).strip()


HOSTILE_PROFILE = "` <img src=x onerror=alert(1)> `"


def test_profile_name_cannot_inject_html_in_plan_markdown(onto: Ontology) -> None:
    """Issue 13 item 2: an overlay profile name between backticks rendered a live <img>."""
    plan = make_plan(load_case(BAXTER, onto), onto)
    page = plan_markdown(plan.model_copy(update={"profile": HOSTILE_PROFILE}), onto)
    assert "img" not in _html_tags(_MD.render(page))


def test_profile_name_cannot_inject_html_in_aggregate_and_compare(onto: Ontology) -> None:
    """Issue 13 item 2: the same through `aggregate -f markdown` and `compare -f markdown`."""
    from combmap import aggregate, compare

    totals = aggregate.aggregate([str(BAXTER)], onto, jobs=1)
    data = aggregate.result(totals, onto)
    data["profiles"] = {HOSTILE_PROFILE: 1}
    assert "img" not in _html_tags(_MD.render(aggregate.to_markdown(data)))
    sides = compare.sides_by_case([load_case(BAXTER, onto), load_case(CASES / "uk-mh-professionals-volunteers.yaml", onto)])
    compared = compare.compare(sides, onto)
    compared["profiles"] = [HOSTILE_PROFILE]
    assert "img" not in _html_tags(_MD.render(compare.to_markdown(compared)))


# --- 4. merge onto someone's answers ------------------------------------------------------------


def test_merge_refuses_to_replace_a_persons_answers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 13 item 4: `assess merge -o` replaced another respondent's answers without --force."""
    theirs = tmp_path / "jo.yaml"
    code, _, err = run(capsys, "assess", "--out", str(theirs), "--answers", str(DATA / "assess" / "answers.yaml"))
    assert code == 0, err
    before = theirs.read_bytes()
    inputs = [str(DATA / "assess" / "sam.yaml"), str(DATA / "assess" / "alex.yaml")]
    code, _, err = run(capsys, "assess", "merge", *inputs, "-o", str(theirs))
    assert code == 1
    assert "Sam Patel's self-assessment answers" in " ".join(err.split())
    assert theirs.read_bytes() == before
    code, _, err = run(capsys, "assess", "merge", *inputs, "-o", str(theirs), "--force")
    assert code == 0, err


def test_merge_may_replace_its_own_earlier_merge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inputs = [str(DATA / "assess" / "sam.yaml"), str(DATA / "assess" / "alex.yaml")]
    merged = tmp_path / "merged.yaml"
    assert run(capsys, "assess", "merge", *inputs, "-o", str(merged))[0] == 0
    assert run(capsys, "assess", "merge", *inputs, "-o", str(merged))[0] == 0
    code, _, err = run(capsys, "assess", "merge", inputs[0], "-o", str(merged))
    assert code == 1 and "the merge would replace" in " ".join(err.split())


def test_other_outputs_refuse_an_answer_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 13 item 4, the class: `plan -o` onto someone's answers is refused too."""
    theirs = tmp_path / "sam.yaml"
    theirs.write_bytes((DATA / "assess" / "sam.yaml").read_bytes())
    code, _, err = run(capsys, "plan", str(BAXTER), "-o", str(theirs), "-f", "yaml")
    assert code == 1
    assert "self-assessment answers" in err and "not replaced" in err
    assert theirs.read_bytes() == (DATA / "assess" / "sam.yaml").read_bytes()


# --- 5. special files -------------------------------------------------------------------------


def test_fifo_is_written_through(tmp_path: Path) -> None:
    """Issue 13 item 5: the atomic rename turned a FIFO into a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "through the pipe\n")
    reader.join(5)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_character_device_is_written_through(tmp_path: Path) -> None:
    """Issue 13 item 5: `-o /dev/null` (here a private copy of it) stays a device."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot make a device node here (not root, or not allowed)")
    write_output(node, "x" * 1000)
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_stdout_link_is_written_through(tmp_path: Path) -> None:
    """Issue 13 item 5: a link to /proc/self/fd/1 was replaced by a regular file."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    code = f"from pathlib import Path; from combmap.output import write_output; write_output(Path({str(link)!r}), 'hello\\n')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "hello\n"
    assert link.is_symlink()


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a directory; give a file name"):
        write_output(tmp_path, "x")


def test_symlink_target_is_updated(tmp_path: Path) -> None:
    """Issue 13 item 5: a symlinked target was replaced instead of its target updated."""
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_output(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_long_file_name(tmp_path: Path) -> None:
    """Issue 13 item 5: a valid 250-character name was refused: the temporary name was longer."""
    target = tmp_path / ("n" * 246 + ".md")
    write_output(target, "fits")
    assert target.read_text() == "fits"


def test_stale_temporary_files_are_cleaned(tmp_path: Path) -> None:
    """Issue 13 item 5: a killed write's `.NAME.*.tmp` stayed for ever; the next write cleans it."""
    target = tmp_path / "plan.md"
    stale = tmp_path / ".plan.md.abcd1234.tmp"
    stale.write_text("half")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    other = tmp_path / ".plan.md.notours.tmp"  # not our pattern: left alone
    other.write_text("x")
    write_output(target, "whole")
    assert not stale.exists() and other.exists() and target.read_text() == "whole"


WRITER = """
import sys
from pathlib import Path
from combmap.output import write_output
target = Path(sys.argv[1])
print("ready", flush=True)
n = 0
while True:
    n += 1
    write_output(target, (str(n % 10) * 2_000_000) + "\\n")
"""


def test_killed_writers_leave_a_whole_file_and_no_leftover(tmp_path: Path) -> None:
    """Issue 13 item 5: after SIGKILL and SIGTERM mid-write, the next write leaves no .tmp."""
    target = tmp_path / "out.json"
    target.write_text("old\n")
    kills = 0
    for index, delay in enumerate((0.05, 0.13, 0.21, 0.34, 0.05, 0.13, 0.21, 0.34)):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.readline()
        time.sleep(delay)
        process.send_signal(signal.SIGKILL if index % 2 else signal.SIGTERM)
        process.wait()
        kills += 1
        text = target.read_text()
        assert text == "old\n" or (len(text) == 2_000_001 and len(set(text[:-1])) == 1)
    for leftover in tmp_path.glob(".out.json.*.tmp"):
        os.utime(leftover, (time.time() - 60, time.time() - 60))
    write_output(target, "final\n")
    assert kills == 8
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


# --- 6. limits while reading ------------------------------------------------------------------


def test_limit_holds_on_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 6: the limit was checked with stat, which says 0 for a pipe."""
    from combmap import yamlio

    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as out:
            try:
                out.write(b"a: 1\n" * 10_000)
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with pytest.raises(InputError, match="larger than 1,000 bytes"):
            yamlio.read_text(Path(f"/proc/self/fd/{read_end}"))
    finally:
        os.close(read_end)
        feeder.join(5)


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_dev_zero_is_refused_quickly(capsys: pytest.CaptureFixture[str], command: str) -> None:
    """Issue 13 items 6 and 7: `/dev/zero` grew to 2.6 GB, then an internal error."""
    start = time.monotonic()
    code, _, err = run(capsys, command, "/dev/zero")
    assert code == 1 and "larger than" in err
    assert time.monotonic() - start < 10


def test_stdin_over_the_limit_is_refused() -> None:
    big = b"barriers:\n" + b"  - x\n" * 1_500_000  # 9 MB
    done = subprocess.run([sys.executable, "-m", "combmap", "validate", "/dev/stdin"], input=big, capture_output=True)
    assert done.returncode == 1 and b"larger than" in done.stderr


# --- 7. internal errors on bad input ----------------------------------------------------------


def test_overlay_repeating_a_packaged_link_without_locator(tmp_path: Path) -> None:
    """Issue 13 item 7: TypeError sorting None with str (exit 3)."""
    (tmp_path / "links").mkdir()
    links = {
        "set": "again",
        "relation": "function-technique",
        "title": "A packaged link again, without the locator",
        "ref": "michie2014",
        "status": "unverified",
        "profiles": ["bcw2014"],
        "links": [{"from": "if:education", "to": "bct:2.2", "grade": "most-frequent"}],
    }
    (tmp_path / "links" / "again.yaml").write_text(yaml.safe_dump(links), encoding="utf-8")
    onto = load_ontology(tmp_path)
    make_plan(load_case(BAXTER, onto), onto)


def test_issues_with_and_without_lines_sort() -> None:
    """The same class in the error record: None lines never meet int lines in a comparison."""
    error = CombmapError("x", [Issue("f", 3, "", "b"), Issue("f", None, "", "a")])
    assert [i.line for i in error.issues] == [None, 3]


@pytest.mark.parametrize("kind", ["latin-1", "directory"])
def test_merge_onto_odd_outputs_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    """Issue 13 item 7: `assess merge -o` onto a Latin-1 file or a directory was exit 3."""
    target = tmp_path / "out.yaml"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_bytes("café: 1\n".encode("latin-1"))
    code, _, err = run(capsys, "assess", "merge", str(DATA / "assess" / "sam.yaml"), "-o", str(target))
    assert code == 1, err
    assert "internal error" not in err


# --- 8. concurrent writers --------------------------------------------------------------------


def test_second_writer_waits_then_names_the_holder(tmp_path: Path) -> None:
    """Issue 13 item 8: the second process waits briefly, then says who holds the lock."""
    from combmap.lock import hold

    target = tmp_path / "sam.yaml"
    with hold(target):
        start = time.monotonic()
        with pytest.raises(AssessmentError, match=rf"process {os.getpid()}, since"), hold(target, wait=0.3):
            pass
        assert time.monotonic() - start >= 0.3
    with hold(target, wait=0):
        pass  # released: free again
    assert not (tmp_path / ".sam.yaml.lock").exists()


def test_concurrent_answer_runs_lose_nothing(tmp_path: Path) -> None:
    """Issue 13 item 8: 8 of 20 concurrent --answers runs lost a writer's answers."""
    questions = [q.id for q in load_ontology().questions.items][:8]  # type: ignore[union-attr]
    target = tmp_path / "org.yaml"
    runs = []
    for index, question in enumerate(questions):
        answers = tmp_path / f"a{index}.yaml"
        answers.write_text(yaml.safe_dump({"answers": {question: 1 + index % 5}}), encoding="utf-8")
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "combmap", "assess", "--out", str(target), "--answers", str(answers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))
    errors = [p.communicate()[1] for p in runs]
    assert [p.returncode for p in runs] == [0] * len(runs), errors
    kept = yaml.safe_load(target.read_text())["assessment"]["respondents"][0]["answers"]
    assert set(questions) <= set(kept)


# --- 9. cost ----------------------------------------------------------------------------------


def test_did_you_mean_once_per_distinct_code_and_problems_capped(onto: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 9: 100k misspelt codes took 110 s (a did-you-mean per code) and listed all."""
    from combmap import case as cases

    calls: list[str] = []
    real = Ontology.suggest

    def counting(self: Ontology, text: str, kinds: Any = None) -> str | None:
        calls.append(text)
        return real(self, text, kinds)

    monkeypatch.setattr(Ontology, "suggest", counting)
    cases._RESOLVED.clear()
    barriers = [{"id": f"b{i}", "text": "x", "tdf": ["knowlege"]} for i in range(500)]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"case": {"id": "c", "title": "t"}, "behaviour": {"target": "x"}, "barriers": barriers}))
    with pytest.raises(CombmapError) as raised:
        load_case(path, onto)
    assert calls == ["knowlege"]
    assert len(raised.value.issues) == cases.MAX_ISSUES + 1
    assert "and 400 more problems" in raised.value.issues[-1].message


# --- 10. smaller holes ------------------------------------------------------------------------


def test_graphml_is_well_formed_with_a_control_character(tmp_path: Path) -> None:
    entity = {"id": "bcto:77", "label": "bell \a and escape \x1b", "definition": "d\x0c", "parent": "bctg:4", "ref": "michie2013"}
    (tmp_path / "bct.yaml").write_text(yaml.safe_dump({"kind": "technique", "entities": [entity]}), encoding="utf-8")
    ET.fromstring(export_graphml(load_ontology(tmp_path)))


def test_utf16_file_is_read(tmp_path: Path, onto: Ontology) -> None:
    """Issue 13 item 10: Excel's "Unicode text" (UTF-16 with a BOM) was called binary."""
    path = tmp_path / "case.yaml"
    path.write_bytes(BAXTER.read_text(encoding="utf-8").encode("utf-16"))
    assert load_case(path, onto).barriers


def test_control_character_is_located_by_line(tmp_path: Path, onto: Ontology) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("case:\n  id: c\n  title: bad \x1b[2J title\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_case(path, onto)
    issue = raised.value.issues[0]
    assert (issue.file, issue.line) == (str(path), 3) and "U+001B" in issue.message


def test_no_rows_imported_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    survey = str(DATA / "assess" / "survey.csv")
    run(capsys, "assess", "import", survey, "--out-dir", str(tmp_path))
    code, _, err = run(capsys, "assess", "import", survey, "--out-dir", str(tmp_path))
    assert code == 1
    flat = " ".join(err.split())
    assert "no row was imported" in flat and "the other rows were" not in flat


def test_internal_node_names_cannot_collide_with_overlay_ids(onto: Ontology) -> None:
    """Issue 13 item 10: `header:policies`, `legend:note0` became the diagram's own node names."""
    import re

    from combmap.diagram import dot_id, plan_digraph, plan_mermaid

    plan = make_plan(load_case(BAXTER, onto), onto)
    texts = plan_digraph(plan, onto).source + plan_mermaid(plan, onto)
    for overlay_id in ("header:policies", "header:barriers", "legend:note0", "case:title", "legend:x"):
        assert not re.search(rf"(?<![\w]){re.escape(dot_id(overlay_id))}(?![\w])", texts), overlay_id


def test_tooltip_mentioning_javascript_is_kept() -> None:
    from combmap.report import sanitize_svg

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<a xlink:title="never follow javascript: links" xlink:href="javascript:alert(1)"><text>x</text></a></svg>'
    )
    out = sanitize_svg(svg)
    assert "never follow javascript: links" in out and "alert" not in out


def test_full_disk_during_write_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = threading.Thread(target=fifo.read_bytes)
    reader.start()

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OutputError, match="No space left"):
        write_output(fifo, "x")
    reader.join(5)
