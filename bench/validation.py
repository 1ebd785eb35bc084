"""The Baxter & Fancourt 2020 comparison with its two baselines (docs/validation.md).

Prints, for the default profile:

* Table 2's 12 techniques against combmap's ranking, its drafted interventions and baseline
  (a), the guide's most-frequently-used techniques of the top functions: recall and precision;
* baseline (b), a null model of random codings: how often the top function, the selected set
  and the top policy categories come out the same whatever the input.

* with `--sensitivity`: whether another ordering of techniques under a function, or another
  per-barrier cut-off, would reach the method issue's targets (recall within the top 15 of at
  least 0.7; 4.1 among the Knowledge barrier's first five). The orderings are alternatives a
  reviewer could propose; combmap keeps its own (docs/method.md), this only measures them.

Run: python bench/validation.py [--random 300] [--seed 1] [--sensitivity]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from combmap import load_case, load_ontology, make_plan
from combmap.case import Barrier, Case
from combmap.ontology import Link, Ontology, sort_key
from combmap.plan import Plan, chains
from combmap.schema import BarrierKind, BehaviourModel, CaseInfoModel, Kind, Relation

CASE = Path(__file__).resolve().parent.parent / "cases" / "baxter-2020-cvso.yaml"
#: Table 2's techniques (docs/validation-coding.md); either code of a pair counts.
TABLE_2 = [
    ("3.1",), ("12.2",), ("12.1",), ("10.2",), ("4.1",), ("6.1",), ("8.1",), ("2.3",),
    ("1.1", "1.3"), ("1.5", "1.7"), ("15.1",), ("6.3",),
]
TABLE_2_FUNCTIONS = {
    "if:enablement", "if:environmental-restructuring", "if:incentivisation", "if:training",
    "if:modelling",
}


def hits(ranked: list[str], top: int) -> int:
    """Table 2 techniques among the first `top` of a ranking (bct ids)."""
    codes = {t.removeprefix("bct:") for t in ranked[:top]}
    return sum(1 for alts in TABLE_2 if codes.intersection(alts))


def baseline_most_frequent(plan: Plan, onto: Ontology, functions: int) -> list[str]:
    """Baseline (a): the guide's most-frequently-used techniques of the plan's top functions."""
    profile = onto.profile(plan.profile)
    out: list[str] = []
    for function in plan.functions[:functions]:
        for link in profile.out(Relation.FUNCTION_TECHNIQUE, function.id):
            if link.grade == "most-frequent" and link.target not in out:
                out.append(link.target)
    return out


def intervention_techniques(plan: Plan) -> list[str]:
    """The drafted interventions' techniques, in intervention order, each once."""
    out: list[str] = []
    for intervention in plan.interventions:
        out.extend(t.id for t in intervention.techniques if t.id not in out)
    return out


def _row(name: str, ranked: list[str], top: int) -> str:
    found = hits(ranked, top)
    shown = min(top, len(ranked))
    precision = found / shown if shown else 0.0
    return f"| {name} | {shown} | {found}/12 = {found / 12:.2f} | {precision:.2f} |"


#: Orderings of the techniques under a function (`chains.Offer.key`), by name.
ORDERINGS: dict[str, Callable[[chains.Offer], Any]] = {
    "evidence, then list (combmap)": lambda o: (
        -len(o.domains), -len(o.lineages), chains.TIERS[o.grade], sort_key(o.technique)
    ),
    "list tier, then evidence": lambda o: (
        chains.TIERS[o.grade], -len(o.domains), -len(o.lineages), sort_key(o.technique)
    ),
    "guide-listed first, then evidence": lambda o: (
        chains.TIERS[o.grade] > 1,
        -len(o.domains),
        -len(o.lineages),
        chains.TIERS[o.grade],
        sort_key(o.technique),
    ),
}
KNOWLEDGE_BARRIER = "ds-statutory-responsibilities"


def sensitivity() -> None:
    """Recall within the top 15, and 4.1 for the Knowledge barrier, under other rules."""
    original = chains.Offer.of
    print("| ordering under a function | per-barrier cut-off | recall, top 15 | 4.1 in the Knowledge barrier's first 5 |")
    print("|---|---:|---:|---|")
    try:
        for name, order in ORDERINGS.items():

            def keyed(
                technique: str,
                grade: str | None,
                lineages: tuple[str, ...],
                domains: tuple[str, ...],
                links: tuple[Link, ...],
                order: Callable[[chains.Offer], Any] = order,
            ) -> chains.Offer:
                offer = original(technique, grade, lineages, domains, links)
                return offer._replace(key=order(offer))

            chains.Offer.of = keyed  # type: ignore[method-assign]
            # A new ontology object: chain indexes (and their offers) are cached per ontology.
            onto = load_ontology(cache=False)
            case = load_case(CASE, onto)
            for cut in (3, 5, 8, 10, 15, 93):
                plan = make_plan(case, onto, top=93, per_barrier=cut)
                found = hits([t.id for t in plan.techniques], 15)
                chain = next(c for c in plan.barriers if c.id == KNOWLEDGE_BARRIER)
                knowledge = "yes" if "bct:4.1" in chain.recommended[:5] else "no"
                print(f"| {name} | {cut} | {found}/12 = {found / 12:.2f} | {knowledge} |")
    finally:
        chains.Offer.of = original  # type: ignore[method-assign]
    onto = load_ontology()
    everything = [t.id for t in make_plan(load_case(CASE, onto), onto, top=93, per_barrier=93).techniques]
    missing = [alts for alts in TABLE_2 if not {t.removeprefix("bct:") for t in everything} & set(alts)]
    print()
    print(
        f"Offered for some barrier under some candidate function, in any order: "
        f"{hits(everything, len(everything))}/12 of Table 2's techniques, among {len(everything)}; "
        f"never offered: {', '.join('/'.join(a) for a in missing)}"
    )


def random_case(rng: random.Random, onto: Ontology, index: int) -> Case:
    """A random coding: 8–25 barriers, 1–2 TDF domains each, a COM-B code on half."""
    domains = [e.id for e in onto.of_kind(Kind.DOMAIN)]
    components = [e.id for e in onto.of_kind(Kind.COMPONENT) if e.parent]
    barriers = []
    for n in range(rng.randint(8, 25)):
        barriers.append(
            Barrier(
                id=f"b{n:02d}",
                text="random barrier",
                kind=BarrierKind.BARRIER,
                domains=tuple(sorted(rng.sample(domains, rng.randint(1, 2)))),
                components=(rng.choice(components),) if rng.random() < 0.5 else (),
            )
        )
    return Case(
        info=CaseInfoModel(id=f"random-{index}", title="Random coding"),
        behaviour=BehaviourModel(target="A behaviour"),
        groups=(),
        barriers=tuple(barriers),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=300, help="random codings (null model)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sensitivity", action="store_true", help="other orderings and cut-offs")
    args = parser.parse_args()
    onto = load_ontology()
    if args.sensitivity:
        sensitivity()
        return
    plan = make_plan(load_case(CASE, onto), onto, top=93)
    ranked = [t.id for t in plan.techniques]
    drafted = intervention_techniques(plan)
    baseline = baseline_most_frequent(plan, onto, 5)
    print(f"# Baxter & Fancourt 2020, Table 2 (profile {plan.profile}, ontology {plan.ontology})")
    print()
    print("| ranking | techniques | recall | precision |")
    print("|---|---:|---:|---:|")
    for top in (10, 15, 20):
        print(_row(f"combmap techniques, top {top}", ranked, top))
    print(_row("drafted interventions' techniques, first 15", drafted, 15))
    print(_row(f"baseline (a): most frequent of the top 5 functions ({len(baseline)})", baseline, len(baseline)))
    selected = plan.selected
    print()
    print(f"functions: {', '.join(f.split(':')[1] for f in selected)}")
    print(f"function precision {len(TABLE_2_FUNCTIONS & set(selected[:5]))}/5 in the top 5")
    for chain in plan.barriers:
        if chain.id in {"ds-business-skills", "ds-statutory-responsibilities", "ub-overwhelm-and-burnout", "im-short-term-funding", "p-sector-disconnection"}:
            print(f"{chain.id}: {', '.join(t.removeprefix('bct:') for t in chain.recommended)}")
    rng = random.Random(args.seed)
    top_function: Counter[str] = Counter()
    top_policy: Counter[tuple[str, ...]] = Counter()
    selections: Counter[tuple[str, ...]] = Counter()
    first_intervention: Counter[str] = Counter()
    for index in range(args.random):
        random_plan = make_plan(random_case(rng, onto, index), onto)
        if random_plan.functions:
            first = random_plan.functions[0]
            tied = [f.id for f in random_plan.functions if f.rank == first.rank]
            top_function["=".join(sorted(tied))] += 1
        if random_plan.policies:
            best = random_plan.policies[0].rank
            top_policy[tuple(sorted(p.id for p in random_plan.policies if p.rank == best))] += 1
        selections[tuple(random_plan.selected)] += 1
        if random_plan.interventions:
            first_intervention[random_plan.interventions[0].target] += 1
    n = args.random
    print()
    print(f"# Null model: {n} random codings (seed {args.seed})")
    print()
    for title, counter in (
        ("top function (ties joined by =)", top_function),
        ("top policy categories (tied)", top_policy),
        ("first drafted intervention's target", first_intervention),
    ):
        common, count = counter.most_common(1)[0]
        name = common if isinstance(common, str) else " = ".join(common)
        print(f"- {title}: {name} in {count}/{n} ({count / n:.0%})")
    common_sel, count = selections.most_common(1)[0]
    print(f"- most common selected set ({len(common_sel)} functions): {count}/{n} ({count / n:.0%})")


if __name__ == "__main__":
    main()
