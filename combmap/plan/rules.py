"""The rules a plan applies, each with the BCW step it implements or marked as combmap's own.

Printed in every plan (JSON `rules`, the Markdown and the report) and explained in
docs/method.md, which cites the source of each.
"""

from __future__ import annotations

from combmap.plan.models import Rule

_GUIDE = "Michie, Atkins & West 2014"

# Built unvalidated, as the plan's writer builds its models: validating at import would build
# pydantic's validator for Rule in every command that imports the planner.

RULES: tuple[Rule, ...] = (
    Rule.model_construct(
        id="components",
        step="4 (identify what needs to change)",
        text="A barrier's TDF domains map to COM-B components by the published TDF → COM-B "
        "table; its own COM-B codes are added. Skills maps to physical or psychological "
        "capability by the barrier's COM-B code or the construct it names, not to both.",
        own=False,
    ),
    Rule.model_construct(
        id="skills-default",
        step="combmap",
        text="A Skills code with neither a capability code nor a construct is read as cognitive "
        "and interpersonal skills (psychological capability); the chain says so.",
        own=True,
    ),
    Rule.model_construct(
        id="candidate-functions",
        step="5 (intervention functions)",
        text="Candidate functions come from the TDF → function table for each TDF code; the "
        f"COM-B → function matrix serves COM-B codes that no TDF code covers ({_GUIDE}; "
        "Michie, van Stralen & West 2011, Table 2). A domain with no row in the profile falls "
        "back to its COM-B components' rows, and the chain says so.",
        own=False,
    ),
    Rule.model_construct(
        id="selection",
        step="5–7 (APEASE)",
        text="The selected functions, policy categories and techniques are the candidates the "
        "case's APEASE judgements leave in: an exclusion or a failed criterion removes an "
        "option everywhere; 'unsure' keeps it, marked not sure.",
        own=False,
    ),
    Rule.model_construct(
        id="techniques",
        step="7 (behaviour change techniques)",
        text="Under each selected function, the techniques the guide lists for it (most "
        "frequently used, then less frequently used; CACTIS suggestions for the barrier's "
        "COM-B components after them), plus techniques the TDF → technique sources link to "
        "the domain that reached the function. Order: independent sources linking the "
        "technique to the barrier's own domains, then the list, then the BCTTv1 code.",
        own=False,
    ),
    Rule.model_construct(
        id="technique-home",
        step="combmap",
        text="A technique reached only through the barrier's domain is offered under a function "
        "only while no selected candidate function of the barrier lists it: a technique the "
        "guide lists under one function is offered there, not under every function its domain "
        "reaches.",
        own=True,
    ),
    Rule.model_construct(
        id="independent-evidence",
        step="combmap",
        text="Evidence is counted as independent sources (lineages): reproductions of one "
        "table count once, and a table derived from several sources counts only when none of "
        "them is already counted.",
        own=True,
    ),
    Rule.model_construct(
        id="non-links",
        step="7 (behaviour change techniques)",
        text="A technique that the Theory and Techniques Tool finds not linked to a barrier's "
        "domain, with no source linking it, is withheld for that barrier with the reason "
        "(Johnston et al. 2021).",
        own=False,
    ),
    Rule.model_construct(
        id="offered",
        step="combmap",
        text="A barrier's first techniques (settings.per_barrier, across its selected "
        "functions) count as offered for it; techniques rank by the load of the barriers they "
        "are offered for.",
        own=True,
    ),
    Rule.model_construct(
        id="ranking",
        step="combmap",
        text="Functions, policy categories and techniques rank by the load (weight × "
        "frequency) of the barriers they address, then by the number of barriers; equal on "
        "both is a tie with one rank. Listing order within a tie: the wheel's order "
        "(functions, policies) or the BCTTv1 code (techniques). Link status never changes a "
        "score.",
        own=True,
    ),
    Rule.model_construct(
        id="policies",
        step="6 (policy categories)",
        text="Policy categories are those linked to a selected function (Michie, van Stralen & "
        "West 2011, Table 3): common when linked to every selected function, candidate when "
        "linked to at least one.",
        own=False,
    ),
    Rule.model_construct(
        id="interventions",
        step="combmap",
        text="Drafted interventions group barriers by the code (TDF domain, or COM-B component) "
        "through which they reach their functions, as BCW studies tabulate domain → functions "
        "→ techniques; they rank by barriers addressed (as Baxter & Fancourt 2020, Table 2).",
        own=True,
    ),
    Rule.model_construct(
        id="robustness",
        step="combmap",
        text="Every ranked item carries its rank with the unverified links removed and the "
        "unverified links it rests on.",
        own=True,
    ),
    Rule.model_construct(
        id="enablers",
        step="combmap",
        text="Enablers have chains, as something to build on; they add to scores only by "
        "options.enabler_weight (0 by default).",
        own=True,
    ),
)

#: Rules a plan states only when the case uses what they govern (issue 16), so the plans of
#: cases that do not use them are unchanged.
EXTRA_RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule.model_construct(
            id="behaviours",
            step="2–3 (select and specify the target behaviours)",
            text="Each target behaviour is planned on its own barriers with the same rules as "
            "the whole case (its functions, policy categories, techniques and drafted "
            "interventions are those of a plan of its barriers alone); a drafted intervention "
            f"drafted for several behaviours is listed once in the summary ({_GUIDE}).",
            own=False,
        ),
        Rule.model_construct(
            id="candidates",
            step="2 (select the target behaviour)",
            text="Candidate behaviours are judged on likely impact, likelihood of change, "
            "spill-over and ease of measurement, each unacceptable, unpromising but worth "
            f"considering, promising or very promising ({_GUIDE}). combmap ranks them: a "
            "candidate judged unacceptable on any criterion last; the rest by the sum of the "
            "ratings (1 to 4, unjudged 0), then by the number of very promising ratings; equal "
            "on both is a tie. The ranking is combmap's; the guide leaves the choice to the "
            "team.",
            own=True,
        ),
        Rule.model_construct(
            id="outcomes",
            step="1 and 4 (behaviour, not outcome)",
            text="An entry of kind 'outcome' is an outcome or observed effect of the behaviour, "
            "not a determinant of it: it is listed, never scored, and has no chain.",
            own=False,
        ),
        Rule.model_construct(
            id="delivery",
            step="8 (mode of delivery)",
            text="Modes of delivery are the BCIO Mode of Delivery Ontology classes (Marques et "
            "al. 2021) the case file chooses for a drafted intervention; APEASE judges them like "
            "any other option, and an excluded mode is never shown as chosen.",
            own=False,
        ),
        Rule.model_construct(
            id="specification",
            step="8 (specify the intervention)",
            text="A drafted intervention is specified along the TIDieR items 3–9 (Hoffmann et al. "
            "2014) as the case file gives them, with BCIO classes per item; combmap does not "
            "compute them.",
            own=False,
        ),
        Rule.model_construct(
            id="proposed",
            step="combmap",
            text="Interventions the source's authors propose are compared with the plan: each "
            "function and policy category the coder gave them is looked up in the plan's "
            "ranking.",
            own=True,
        ),
    )
}
