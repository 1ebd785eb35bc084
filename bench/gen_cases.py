"""Generate N synthetic, valid case files for benchmarks and tests.

Usage:

    .venv/bin/python bench/gen_cases.py 10000 /tmp/cases-10k
    .venv/bin/python bench/gen_cases.py 1000 /tmp/cases --seed 7 --corrupt 0.01

Each case has 5–60 entries: barriers, enablers and "both", coded to TDF domains and/or COM-B
components written the ways people write them (ids, short ids, labels, aliases), with
stakeholder groups, shared themes, frequencies, weights, evidence quotes and now and then an
APEASE exclusion or worksheet. The same N and seed give the same bytes. Files go into
subdirectories of 1,000 (`OUTDIR/000/gen-000000.yaml`), so directories stay small.
`--corrupt F` makes a fraction F of the files invalid in assorted ways (bad YAML, unknown
codes, wrong types), for testing that bad files are reported and skipped.

The generator writes YAML text directly (no YAML library): about 2,000 cases per second, so
100,000 take under a minute (and about 1 GB of disk).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

#: TDF domains in the forms a coder might write them.
DOMAINS = {
    "behavioural-regulation": [
        "behavioural-regulation",
        "Behavioural regulation",
        "Behavior regulation",
    ],
    "beliefs-about-capabilities": ["beliefs-about-capabilities", "Beliefs about capabilities"],
    "beliefs-about-consequences": ["beliefs-about-consequences", "tdf:beliefs-about-consequences"],
    "emotion": ["emotion", "Emotion", "Emotions"],
    "environmental-context-and-resources": [
        "environmental-context-and-resources",
        "ECR",
        "Environmental context and resources",
    ],
    "goals": ["goals", "Goals"],
    "intentions": ["intentions", "Intention"],
    "knowledge": ["knowledge", "Knowledge", "tdf:knowledge"],
    "memory-attention-and-decision-processes": ["memory-attention-and-decision-processes", "MADP"],
    "optimism": ["optimism", "Optimism"],
    "reinforcement": ["reinforcement", "Reinforcement"],
    "skills": ["skills", "Skills", "Skill"],
    "social-influences": ["social-influences", "Social influences"],
    "social-professional-role-and-identity": [
        "social-professional-role-and-identity",
        "Professional role and identity",
    ],
}
#: COM-B components, likewise.
COMPONENTS = {
    "physical-capability": ["physical-capability", "C-Ph"],
    "psychological-capability": ["psychological-capability", "C-Ps", "Psychological capability"],
    "physical-opportunity": ["physical-opportunity", "O-Ph", "comb:physical-opportunity"],
    "social-opportunity": ["social-opportunity", "O-So"],
    "reflective-motivation": ["reflective-motivation", "M-Re", "Reflective motivation"],
    "automatic-motivation": ["automatic-motivation", "M-Au"],
}
#: The TDF → COM-B map, so most generated codings are coherent (a few are deliberately not).
DOMAIN_COMPONENT = {
    "behavioural-regulation": "psychological-capability",
    "beliefs-about-capabilities": "reflective-motivation",
    "beliefs-about-consequences": "reflective-motivation",
    "emotion": "automatic-motivation",
    "environmental-context-and-resources": "physical-opportunity",
    "goals": "reflective-motivation",
    "intentions": "reflective-motivation",
    "knowledge": "psychological-capability",
    "memory-attention-and-decision-processes": "psychological-capability",
    "optimism": "reflective-motivation",
    "reinforcement": "automatic-motivation",
    "skills": "psychological-capability",
    "social-influences": "social-opportunity",
    "social-professional-role-and-identity": "reflective-motivation",
}
SECTORS = [
    "Community and voluntary sector",
    "NHS mental health care",
    "Primary care",
    "Social care",
    "Peer support",
    "Local authority public health",
]
GROUPS = [
    ("volunteers", "Volunteers"),
    ("staff", "Paid staff"),
    ("managers", "Managers"),
    ("patients", "Patients"),
    ("carers", "Carers"),
    ("professionals", "Mental health professionals"),
]
SUBJECTS = [
    "training",
    "supervision",
    "funding",
    "referrals",
    "safeguarding",
    "data protection",
    "recruitment",
    "matching",
    "scheduling",
    "transport",
    "digital access",
    "role boundaries",
    "burnout",
    "peer support",
    "evaluation",
    "partnership working",
    "stigma",
    "confidence",
]
FRAMES = {
    "barrier": [
        "Lack of {s} made it hard to take part",
        "Staff were unsure how to handle {s}",
        "Little time for {s} alongside other duties",
        "Worries about {s} put people off",
        "No clear process for {s}",
    ],
    "enabler": [
        "Good {s} helped people keep going",
        "Shared experience of {s} built trust",
        "A named contact for {s} made things easier",
        "Flexible arrangements for {s} suited participants",
    ],
}
EXCLUDABLE = [
    "if:coercion",
    "if:restriction",
    "policy:legislation",
    "policy:fiscal-measures",
    "bct:14.1",
]
DOMAIN_IDS = sorted(DOMAINS)
COMPONENT_IDS = sorted(COMPONENTS)
CRITERIA = ["acceptability", "affordability", "practicability", "equity", "side-effects"]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (the generated text has no control characters)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def case_text(index: int, rng: random.Random) -> str:
    """One valid case file, as YAML text."""
    case_id = f"gen-{index:06d}"
    sector = rng.choice(SECTORS)
    group_count = rng.choice([0, 0, 1, 2, 2, 3])
    groups = rng.sample(GROUPS, group_count)
    lines = [
        f"# Synthetic case {index} (bench/gen_cases.py)",
        "case:",
        f"  id: {case_id}",
        f"  title: {_q(f'Synthetic organisation {index}: {sector.lower()}')}",
        f"  organisation: {_q(f'Organisation {index}')}",
        f"  sector: {_q(sector)}",
        "  setting: England",
        f'  date: "20{rng.randint(15, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"',
        "behaviour:",
        "  target: Staff and volunteers support people with mental illness to take part in community activities",
        "  who: Staff and volunteers",
    ]
    if groups:
        lines.append("groups:")
        for group_id, label in groups:
            lines.append(f"  - {{id: {group_id}, label: {_q(label)}, size: {rng.randint(3, 40)}}}")
    lines.append("barriers:")
    count = rng.randint(5, 60)
    themes = [f"theme-{t}" for t in range(max(2, count // 3))]
    for number in range(count):
        roll = rng.random()
        kind = "barrier" if roll < 0.65 else "enabler" if roll < 0.9 else "both"
        domains = rng.sample(DOMAIN_IDS, rng.choice([0, 1, 1, 1, 2, 2, 3]))
        components = sorted({DOMAIN_COMPONENT[d] for d in domains if rng.random() < 0.6})
        if not domains or rng.random() < 0.1:
            components = sorted({*components, rng.choice(COMPONENT_IDS)})
        subject = rng.choice(SUBJECTS)
        text = rng.choice(FRAMES["enabler" if kind == "enabler" else "barrier"]).format(s=subject)
        lines.append(f"  - id: b{number:02d}-{subject.replace(' ', '-')}")
        lines.append(f"    text: {_q(text)}")
        lines.append(f"    kind: {kind}")
        if rng.random() < 0.5:
            lines.append(f"    theme: {rng.choice(themes)}")
        if domains:
            lines.append(f"    tdf: [{', '.join(_q(rng.choice(DOMAINS[d])) for d in domains)}]")
        if components:
            lines.append(
                f"    comb: [{', '.join(_q(rng.choice(COMPONENTS[c])) for c in components)}]"
            )
        if rng.random() < 0.2:
            lines.append(f"    weight: {rng.choice([0.5, 1.5, 2, 3])}")
        if rng.random() < 0.7:
            lines.append(f"    frequency: {rng.randint(1, 25)}")
        if groups and rng.random() < 0.85:
            lines.append(f"    group: {rng.choice(groups)[0]}")
        lines.append(
            f"    evidence: [{_q(f'“{text.lower()}” (Participant {rng.randint(1, 40)})')}]"
        )
        lines.append(f"    locator: {_q(f'Results, theme {rng.randint(1, 6)}')}")
    roll = rng.random()
    if roll < 0.15:
        option = rng.choice(EXCLUDABLE)
        lines += [
            "options:",
            "  exclude:",
            f'    - {{id: {_q(option)}, reason: "Not acceptable here", criteria: [acceptability]}}',
        ]
    elif roll < 0.25:
        option = rng.choice(EXCLUDABLE)
        judgements = ", ".join(
            f"{c}: {rng.choice(['pass', 'unsure', 'fail'])}" for c in rng.sample(CRITERIA, 2)
        )
        lines += [
            "options:",
            "  enabler_weight: 0.5",
            "  apease:",
            f"    {_q(option)}: {{{judgements}}}",
        ]
    return "\n".join(lines) + "\n"


def corrupt(text: str, rng: random.Random) -> str:
    """Break a case in one of the ways real files break."""
    how = rng.randrange(4)
    if how == 0:
        return text.replace("barriers:", "barriers: [", 1)  # not valid YAML
    if how == 1:
        return text.replace("    kind: barrier", "    kind: obstacle", 1).replace(
            "    kind: enabler", "    kind: helper", 1
        )
    if how == 2:
        return text.replace("    tdf: [", '    tdf: ["no such domain", ', 1).replace(
            "    comb: [", '    comb: ["no such component", ', 1
        )
    return "- just\n- a list\n"


def generate(count: int, outdir: Path, *, seed: int = 2020, corrupt_share: float = 0.0) -> int:
    """Write `count` cases under `outdir`; return how many were made corrupt."""
    rng = random.Random(seed)
    broken = 0
    for index in range(count):
        folder = outdir / f"{index // 1000:03d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        text = case_text(index, rng)
        if corrupt_share and rng.random() < corrupt_share:
            text = corrupt(text, rng)
            broken += 1
        (folder / f"gen-{index:06d}.yaml").write_text(text, encoding="utf-8")
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="How many cases.")
    parser.add_argument("outdir", type=Path, help="Where to write them (created).")
    parser.add_argument("--seed", type=int, default=2020, help="Random seed (default 2020).")
    parser.add_argument(
        "--corrupt", type=float, default=0.0, help="Share of files to break (0..1)."
    )
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    broken = generate(args.count, args.outdir, seed=args.seed, corrupt_share=args.corrupt)
    elapsed = time.perf_counter() - start
    print(
        f"wrote {args.count} cases ({broken} corrupt) to {args.outdir} in {elapsed:.2f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
